//! `rulesel check`: the embedded rules, a `--rules` directory, and a failing directory.

use std::path::PathBuf;
use std::process::Command;

fn rulesel(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(args)
        .output()
        .expect("rulesel runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn rules_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    dir
}

const PRELUDE: &str = include_str!("../rules/prelude.rules");

#[test]
fn check_compiles_the_embedded_rules() {
    let (ok, out) = rulesel(&["check"]);
    assert!(ok, "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.contains(" rules, ") && last.contains(" terms, compiled in ") && last.ends_with(" ms"),
        "{last}"
    );
}

#[test]
fn check_loads_a_rules_directory_recursively() {
    let dir = rules_dir(
        "cli_good",
        &[
            ("prelude.rules", PRELUDE),
            (
                "sub/more.rules",
                "(decl f (u64) u64)\n(rule (f x) (u64_add x 1))\n(rule 1 (f 0) 7)\n",
            ),
        ],
    );
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("6 rules, "),
        "{out}"
    );
}

#[test]
fn check_fails_with_located_errors() {
    let dir = rules_dir(
        "cli_bad",
        &[
            ("prelude.rules", PRELUDE),
            ("sub/bad.rules", "(decl f (u64) u64)\n(rule (f x) (u64_add x 1))\n(rule (f x) (u64_add x 1))\n(rule (f y) (nope y))\n"),
        ],
    );
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("sub/bad.rules:4:14: error: unknown term `nope`"),
        "{out}"
    );
    assert!(
        out.contains(" 4 | (rule (f y) (nope y))\n   |              ^^^^\n"),
        "{out}"
    );
    assert!(out.ends_with("1 error\n"), "{out}");
    let dir = rules_dir(
        "cli_overlap",
        &[
            ("prelude.rules", PRELUDE),
            (
                "sub/bad.rules",
                "(decl f (u64) u64)\n(rule (f x) (u64_add x 1))\n(rule (f x) (u64_add x 1))\n",
            ),
        ],
    );
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("sub/bad.rules:3:7: error: rules overlap: this rule and the rule at"),
        "{out}"
    );
}
