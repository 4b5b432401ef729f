//! Every CLIF file of `../shared/clif-runtests` parses, verifies, and prints to a fixed point.

use rulesel::ir::{parse_test_file, verify_function, Expectation};
use std::path::{Path, PathBuf};

fn clif_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clif-runtests");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the shared run tests are beside the repo") {
            let path = entry.expect("readable directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "clif") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn all_shared_run_tests_parse_verify_and_print_to_a_fixed_point() {
    let files = clif_files();
    assert_eq!(files.len(), 219, "expected the 219 shared .clif files");
    let mut failures = Vec::new();
    let (mut functions, mut run_commands) = (0, 0);
    for path in &files {
        let shown = path.display();
        let text = std::fs::read_to_string(path).unwrap();
        let file = match parse_test_file(&text) {
            Ok(file) => file,
            Err(e) => {
                failures.push(format!("{shown}:{e}"));
                continue;
            }
        };
        for tf in &file.functions {
            if let Err(errors) = verify_function(&tf.function) {
                failures.push(format!("{shown}: {}", errors[0]));
            }
        }
        functions += file.functions.len();
        run_commands += file
            .functions
            .iter()
            .map(|f| f.run_commands.len())
            .sum::<usize>();
        let printed = file.to_string();
        match parse_test_file(&printed) {
            Ok(again) => {
                if again.to_string() != printed {
                    failures.push(format!("{shown}: printing is not a fixed point"));
                }
                if again.functions.len() != file.functions.len() {
                    failures.push(format!("{shown}: function count changed"));
                }
            }
            Err(e) => failures.push(format!("{shown}: printed text does not parse: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(functions > 1500, "{functions} functions");
    assert!(run_commands > 8000, "{run_commands} run commands");
}

#[test]
fn run_commands_are_typed_by_the_signature() {
    let text = "test run
target x86_64 sse41 has_avx=false
set opt_level=speed
function %f(f32, i128, i32x4) -> i8, f64 {
block0(v0: f32, v1: i128, v2: i32x4):
    v3 = iconst.i8 1
    v4 = f64const -0x1.8p1
    return v3, v4
}
; run: %f(0x1.8p3, 0x0000000000c0ffee_000000000000beef, [1 2 3 -1]) == [1, -0x1.8p1]
; run: %f(-sNaN:0x1, -1, 0x1) != [0, +Inf]
; run
";
    let file = parse_test_file(text).unwrap();
    assert_eq!(file.headers.len(), 3);
    assert_eq!(
        file.headers[1].to_string(),
        "target x86_64 sse41 has_avx=false"
    );
    let cmds = &file.functions[0].run_commands;
    assert_eq!(cmds.len(), 3);
    assert_eq!(
        cmds[0].to_string(),
        "; run: %f(0x1.800000p3, 233322351144230103946411759, 0xffffffff000000030000000200000001) == [1, -0x1.8000000000000p1]"
    );
    assert_eq!(cmds[0].args[0].bits(), 12.0f32.to_bits() as u128);
    assert_eq!(cmds[1].args[0].bits(), 0xff80_0001);
    assert!(matches!(cmds[1].expectation, Expectation::NotEqual(_)));
    assert_eq!(cmds[2].expectation, Expectation::True);
    assert_eq!(cmds[2].pos.line, 12);
}
