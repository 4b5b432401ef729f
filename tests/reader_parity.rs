//! Reader parity with Cranelift 0.135.8 (`--features oracle`): over a corpus of CLIF text —
//! the shared run tests, real-program CLIF (QuickJS as Wasmtime writes it), our own run tests
//! and construct files, generated modules, and malformed constructs — `cranelift-reader` and
//! rulesel's reader accept the same files, and agree on every function: name, signature,
//! blocks and their parameter types, and each instruction's opcode, result types, number of
//! value operands and user stack map. Every file rulesel accepts prints to a fixed point.
//!
//! rulesel also reads the instructions Cranelift has dropped since older versions (`iadd_imm`
//! and the other `_imm` forms, `stack_load`, …), so that older CLIF keeps working; a file that
//! Cranelift rejects only for naming one of those counts as an extension, not a disagreement.
//! The oracle's Cranelift is built for x86-64 alone: a file whose last `set` line is followed
//! only by other targets is refused by it ("dangling 'set'") but not by Cranelift built for all
//! targets; those are counted apart too.
#![cfg(feature = "oracle")]

use cranelift_codegen::ir as cl;
use cranelift_reader::{parse_test, ParseOptions};
use rulesel::ir::{self as rs, EntityRef};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Opcodes rulesel reads that Cranelift 0.135.8 no longer has.
const EXTENSION_OPCODES: &[&str] = &[
    "iadd_imm",
    "imul_imm",
    "udiv_imm",
    "sdiv_imm",
    "urem_imm",
    "srem_imm",
    "irsub_imm",
    "band_imm",
    "bor_imm",
    "bxor_imm",
    "ishl_imm",
    "ushr_imm",
    "sshr_imm",
    "rotl_imm",
    "rotr_imm",
    "icmp_imm",
    "band_not",
    "bor_not",
    "bxor_not",
    "stack_load",
    "stack_store",
    "global_value",
    "iadd_cin",
    "iadd_cout",
    "iadd_carry",
    "isub_bin",
    "isub_bout",
    "isub_borrow",
];

/// One function as both readers see it, as comparable text (a line per block and instruction).
fn shape_of_ours(f: &rs::Function) -> String {
    let mut out = format!("{} {}\n", f.name, f.signature);
    for &b in f.layout.blocks() {
        let params: Vec<String> = (f.dfg.block_params(b).iter())
            .map(|&v| f.dfg.value_type(v).to_string())
            .collect();
        let _ = writeln!(out, "block({})", params.join(", "));
        for &inst in f.layout.block_insts(b) {
            let results: Vec<String> = (f.dfg.inst_results(inst).iter())
                .map(|&v| f.dfg.value_type(v).to_string())
                .collect();
            let mut line = format!(
                "  {} -> [{}] args {}",
                f.dfg.inst(inst).opcode(),
                results.join(", "),
                f.dfg.inst_args(inst).len()
            );
            if let Some(entries) = f.dfg.user_stack_maps.get(&inst) {
                let entries: Vec<String> = (entries.iter())
                    .map(|e| format!("{} @ ss{}+{}", e.ty, e.slot.index(), e.offset))
                    .collect();
                let _ = write!(line, " stack_map [{}]", entries.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

fn shape_of_theirs(f: &cl::Function) -> String {
    let mut out = format!("{} {}\n", f.name, f.signature);
    for b in f.layout.blocks() {
        let params: Vec<String> = (f.dfg.block_params(b).iter())
            .map(|&v| f.dfg.value_type(v).to_string())
            .collect();
        let _ = writeln!(out, "block({})", params.join(", "));
        for inst in f.layout.block_insts(b) {
            let results: Vec<String> = (f.dfg.inst_results(inst).iter())
                .map(|&v| f.dfg.value_type(v).to_string())
                .collect();
            let mut line = format!(
                "  {} -> [{}] args {}",
                f.dfg.insts[inst].opcode(),
                results.join(", "),
                f.dfg.inst_args(inst).len()
            );
            if let Some(entries) = f.dfg.user_stack_map_entries(inst) {
                let entries: Vec<String> = (entries.iter())
                    .map(|e| format!("{} @ ss{}+{}", e.ty, e.slot.as_u32(), e.offset))
                    .collect();
                let _ = write!(line, " stack_map [{}]", entries.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// What a reader made of a file: the shapes of its functions, or why it refused it.
type Verdict = Result<Vec<String>, String>;

fn read_ours(text: &str) -> Verdict {
    let (file, _) = rulesel::targets::parse_clif(text).map_err(|e| e.to_string())?;
    Ok(file
        .functions
        .iter()
        .map(|tf| shape_of_ours(&tf.function))
        .collect())
}

fn read_theirs(text: &str) -> Verdict {
    // The file-test runner gives files that run code the host's convention as the default.
    let runs = text.lines().any(|l| {
        l.trim_start().starts_with("test run") || l.trim_start().starts_with("test interpret")
    });
    let options = ParseOptions {
        default_calling_convention: if runs {
            cranelift_codegen::isa::CallConv::SystemV
        } else {
            cranelift_codegen::isa::CallConv::Fast
        },
        ..ParseOptions::default()
    };
    let file = parse_test(text, options).map_err(|e| e.to_string())?;
    Ok(file
        .functions
        .iter()
        .map(|(f, _)| shape_of_theirs(f))
        .collect())
}

/// Is the last `set` line of `text` followed by `target` lines, none of them x86-64? The oracle's
/// Cranelift is built for x86-64 alone and skips the others, so for it the `set` dangles; for
/// Cranelift built for all its targets (its test runner), and for rulesel, it does not.
fn set_before_other_targets(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let Some(last_set) = lines.iter().rposition(|l| l.starts_with("set ")) else {
        return false;
    };
    let targets: Vec<&&str> = lines[last_set..]
        .iter()
        .filter(|l| l.starts_with("target "))
        .collect();
    !targets.is_empty() && !targets.iter().any(|l| l.starts_with("target x86_64"))
}

/// Does printing `text` as rulesel reads it, and reading that again, give the same text?
fn prints_to_a_fixed_point(text: &str) -> Result<(), String> {
    let printed = rs::parse_test_file(text)
        .map_err(|e| e.to_string())?
        .to_string();
    let again = rs::parse_test_file(&printed)
        .map_err(|e| format!("the printed text does not parse: {e}"))?
        .to_string();
    if again == printed {
        Ok(())
    } else {
        Err("printing is not a fixed point".to_string())
    }
}

/// Files with a construct each, malformed: both readers refuse every one.
const MALFORMED: &[&str] = &[
    "function %f() {\nblock0:\n@zz12 return\n}\n",
    "function %f() {\n    sig0 = ()\n    fn0 = %g()\nblock0:\n    try_call fn0(), sig0, block1, [ tag4294967296: block1 ]\nblock1:\n    return\n}\n",
    "function %f() {\n    region0 = x \"VMContext\"\nblock0:\n    return\n}\n",
    "function %f() {\n    fn0 = patchable\nblock0:\n    return\n}\n",
    "set frobnicate=1\ntarget x86_64\nfunction %f() {\nblock0:\n    return\n}\n",
    "target x86_64 has_warp\nfunction %f() {\nblock0:\n    return\n}\n",
    "function %f() {\nblock0:\n    v0 = iconst.i32\n    return\n}\n",
];

/// Malformed constructs `cranelift-reader` lets through and rulesel's reader refuses, each with
/// the located error's position and why Cranelift's reader takes it.
const REFUSED_HERE_ONLY: &[(&str, &str, &str)] = &[
    (
        "test run frobnicate\nfunction %f() {\nblock0:\n    return\n}\n",
        "1:10: ",
        "it keeps a test line's options uninterpreted (its test runner refuses unknown ones)",
    ),
    (
        "function %f() {\n    fn0 = %g()\nblock0:\n    call fn0(), stack_map=[i32 @ ss3+0]\n    return\n}\n",
        "4:34: ",
        "it does not check that a stack map's slot is declared",
    ),
];

fn clif_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "clif"))
        .collect();
    files.sort();
    files
}

#[derive(Default)]
struct Tally {
    files: usize,
    accepted: usize,
    rejected_by_both: usize,
    extensions: usize,
    unbuilt_targets: usize,
    functions: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn compare(&mut self, name: &str, text: &str) {
        self.files += 1;
        match (read_ours(text), read_theirs(text)) {
            (Ok(ours), Ok(theirs)) => {
                self.accepted += 1;
                if ours.len() != theirs.len() {
                    self.disagreements.push(format!(
                        "{name}: {} functions here, {} in Cranelift",
                        ours.len(),
                        theirs.len()
                    ));
                    return;
                }
                self.functions += ours.len();
                for (o, t) in ours.iter().zip(&theirs) {
                    if o != t {
                        self.disagreements.push(format!(
                            "{name}: a function differs\nhere:\n{o}Cranelift:\n{t}"
                        ));
                    }
                }
                if let Err(e) = prints_to_a_fixed_point(text) {
                    self.disagreements.push(format!("{name}: {e}"));
                }
            }
            (Err(_), Err(_)) => self.rejected_by_both += 1,
            (Ok(_), Err(e))
                if EXTENSION_OPCODES
                    .iter()
                    .any(|op| e.contains(&format!("'{op}'"))) =>
            {
                self.extensions += 1
            }
            (Ok(_), Err(e)) if e.contains("dangling 'set'") && set_before_other_targets(text) => {
                self.unbuilt_targets += 1
            }
            (Ok(_), Err(e)) => self
                .disagreements
                .push(format!("{name}: accepted here, Cranelift says: {e}")),
            (Err(e), Ok(_)) => self
                .disagreements
                .push(format!("{name}: Cranelift accepts it, here: {e}")),
        }
    }
}

#[test]
fn both_readers_accept_the_same_files_and_agree_on_every_function() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tally = Tally::default();
    let dirs = [
        "../shared/clif-runtests",
        "../shared/wasm-clif/quickjs",
        "tests/runtests",
        "tests/fuzz_regressions",
    ];
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| clif_files_in(&root.join(d)))
        .collect();
    files.push(root.join("tests/lower_our_ops.clif"));
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        tally.compare(&path.display().to_string(), &text);
    }
    for seed in 0..300 {
        let module = rulesel::fuzzgen::generate_module(seed, rulesel::fuzzgen::Limits::default());
        let text = format!("{}\n{}", module.config.header(), module.to_oracle_clif());
        tally.compare(&format!("generated module {seed}"), &text);
    }
    for (i, text) in MALFORMED.iter().enumerate() {
        let before = tally.rejected_by_both;
        tally.compare(&format!("malformed construct {i}"), text);
        assert_eq!(
            tally.rejected_by_both,
            before + 1,
            "malformed construct {i} was accepted:\n{text}"
        );
    }
    for (text, at, why) in REFUSED_HERE_ONLY {
        let ours = read_ours(text).expect_err(text);
        assert!(ours.starts_with(at), "{ours}");
        assert!(
            read_theirs(text).is_ok(),
            "Cranelift's reader refuses it now, though {why}"
        );
    }
    println!(
        "{} files: {} accepted by both ({} functions), {} refused by both, {} read only here (older opcodes), {} with a `set` before targets the oracle is built without; {} disagreements",
        tally.files,
        tally.accepted,
        tally.functions,
        tally.rejected_by_both,
        tally.extensions,
        tally.unbuilt_targets,
        tally.disagreements.len()
    );
    assert!(
        tally.disagreements.is_empty(),
        "{} disagreements:\n{}",
        tally.disagreements.len(),
        tally.disagreements.join("\n")
    );
    assert!(tally.functions > 3500, "{} functions", tally.functions);
}
