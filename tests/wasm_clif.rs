//! Real-program CLIF (`../shared/wasm-clif/quickjs/`: every function of QuickJS as Wasmtime
//! 48.0.8 writes it): each file becomes an object as `rulesel compile FILE -o X.o` makes it,
//! unchanged, and the object is a valid ELF file with the function's symbol. Files are compiled
//! in-process on every core.

use rayon::prelude::*;
use rulesel::module::Module;
use std::path::{Path, PathBuf};

fn quickjs_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/wasm-clif/quickjs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "clif"))
        .collect();
    files.sort();
    files
}

/// The object of one file, as `rulesel compile` writes it, or the error it prints.
fn compile(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    Module::from_clif(&text)
        .and_then(|m| m.finish_object())
        .map_err(|e| e.to_string())
}

#[test]
fn every_quickjs_function_compiles_to_an_object() {
    let files = quickjs_files();
    assert_eq!(files.len(), 1966, "the corpus has 1,966 files");
    let start = std::time::Instant::now();
    let failures: Vec<String> = files
        .par_iter()
        .filter_map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            match compile(path) {
                Err(e) => Some(format!("{name}: {e}")),
                Ok(object) if !object.starts_with(b"\x7fELF") => {
                    Some(format!("{name}: not an ELF object"))
                }
                Ok(_) => None,
            }
        })
        .collect();
    println!(
        "{} files compiled in {:.1} s",
        files.len() - failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// `rulesel explain` shows the functions' source locations (`@4fa34`) beside the instructions.
#[test]
fn explain_shows_quickjs_source_locations() {
    let path = quickjs_files()
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "wasm0-function100.clif"))
        .expect("wasm0-function100.clif");
    let text = std::fs::read_to_string(&path).unwrap();
    let listing = rulesel::ruletools::explain::explain_text(
        &text,
        None,
        rulesel::compile::RuleChoice::Embedded,
    )
    .unwrap();
    let first_loc = text
        .split_whitespace()
        .find(|w| w.starts_with('@'))
        .expect("a source location in the file");
    assert!(
        listing.contains(first_loc),
        "{first_loc} not shown:\n{listing}"
    );
}

/// Every fifth of the same functions with regalloc2's checker on each allocation (all of them
/// pass it; a sample keeps the test's time down).
#[test]
fn quickjs_allocations_pass_the_checker() {
    let start = std::time::Instant::now();
    let sample: Vec<PathBuf> = quickjs_files().into_iter().step_by(5).collect();
    let failures: Vec<String> = sample
        .par_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let (file, targets) = rulesel::targets::parse_clif(&text).unwrap();
            let (mut flags, isa) = targets.first();
            flags.regalloc_checker = true;
            let errors: Vec<String> = (file.functions.iter())
                .filter_map(|tf| {
                    rulesel::compile::compile_function(&tf.function, &flags, &isa).err()
                })
                .map(|e| e.to_string())
                .collect();
            (!errors.is_empty()).then(|| format!("{}: {}", path.display(), errors.join("; ")))
        })
        .collect();
    println!("checked in {:.1} s", start.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
