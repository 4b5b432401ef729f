//! `rulesel check` on the real x64 rule program: the embedded rules, and copies of `rules/x64`
//! with a rule appended that overlaps an existing one or uses an unknown term.

use std::path::{Path, PathBuf};
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

/// A fresh copy of `rules/x64` under the test's temporary directory.
fn copy_of_x64_rules(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/x64");
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// Appends `text` to `file` of `dir`; returns the 1-based line the text starts on.
fn append(dir: &Path, file: &str, text: &str) -> usize {
    let path = dir.join(file);
    let mut old = std::fs::read_to_string(&path).unwrap();
    if !old.ends_with('\n') {
        old.push('\n');
    }
    let line = old.lines().count() + 1;
    std::fs::write(&path, old + text).unwrap();
    line
}

#[test]
fn the_embedded_rules_check_clean() {
    let (ok, out) = rulesel(&["check"]);
    assert!(ok, "{out}");
    assert!(!out.contains("error"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.contains(" rules, ") && last.contains(" terms, compiled in ") && last.ends_with(" ms"),
        "{last}"
    );
    let rules: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(rules > 300, "{last}");
    // Exhaustiveness: opcodes the x64 rules do not lower yet are listed, lowered ones are not.
    assert!(
        out.contains(" (opcode, type) pairs no rule covers:"),
        "{out}"
    );
    let listed = |op: &str| {
        out.lines()
            .any(|l| l.trim_start().split(':').next() == Some(op))
    };
    assert!(listed("dynamic_stack_addr") && !listed("try_call"), "{out}");
    assert!(
        !listed("iadd") && !listed("load") && !listed("brif"),
        "{out}"
    );
}

#[test]
fn a_whole_rules_directory_loads_recursively_with_its_own_prelude() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check_whole");
    let _ = std::fs::remove_dir_all(&dir);
    let x64 = copy_of_x64_rules("check_whole_x64");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::rename(&x64, dir.join("x64")).unwrap();
    let prelude = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/prelude.rules");
    std::fs::copy(prelude, dir.join("prelude.rules")).unwrap();
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (_, embedded) = rulesel(&["check"]);
    let counts = |out: &str| {
        out.lines()
            .last()
            .unwrap()
            .split(" compiled")
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(counts(&out), counts(&embedded));
}

#[test]
fn a_copied_rule_is_an_overlap_error_at_the_copy() {
    let dir = copy_of_x64_rules("check_overlap");
    let text = std::fs::read_to_string(dir.join("arith.rules")).unwrap();
    // The first rule of the file, whole: from `(rule` to its closing parenthesis.
    let start = text.find("(rule").unwrap();
    let mut depth = 0;
    let mut end = start;
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            end = start + i + 1;
            break;
        }
    }
    let rule = &text[start..end];
    let line = append(&dir, "arith.rules", &format!("{rule}\n"));
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(!ok, "{out}");
    // The error points at the copy's pattern (the second parenthesis of the rule) and names
    // the original's line.
    let col = rule[1..].find('(').unwrap() + 2;
    let original = text[..start].lines().count() + 1;
    assert!(
        out.contains("error: rules overlap: this rule and the rule at"),
        "{out}"
    );
    let at = format!("arith.rules:{line}:{col}\n");
    assert!(out.contains(&at), "expected `{at}` in:\n{out}");
    assert!(
        out.contains(&format!("arith.rules:{original} have the same priority")),
        "{out}"
    );
}

#[test]
fn an_unknown_term_is_an_error_at_the_term() {
    let dir = copy_of_x64_rules("check_unknown");
    let line = append(
        &dir,
        "arith.rules",
        "(rule (lower (has_type $I64 (iadd x (iconst k)))) (no_such_term x k))\n",
    );
    let (ok, out) = rulesel(&["check", "--rules", dir.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains("error: unknown term `no_such_term`"), "{out}");
    let at = format!("arith.rules:{line}:52\n");
    assert!(out.contains(&at), "expected `{at}` in:\n{out}");
    assert!(out.contains("^^^^^^^^^^^^"), "{out}");
}

#[test]
fn a_rules_directory_lowers_run() {
    // The copy lowers exactly as the embedded rules do.
    let dir = copy_of_x64_rules("check_run");
    let clif = dir.join("add.clif");
    std::fs::write(
        &clif,
        "test run\ntarget x86_64\nfunction %f(i64, i64) -> i64 {\nblock0(v0: i64, v1: i64):\n    v2 = iadd v0, v1\n    return v2\n}\n; run: %f(2, 3) == 5\n",
    )
    .unwrap();
    let (ok, out) = rulesel(&[
        "run",
        "--rules",
        dir.to_str().unwrap(),
        clif.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("1 passed, 0 failed, 0 skipped"), "{out}");
    // A rules directory that does not compile stops the command with its errors.
    append(
        &dir,
        "arith.rules",
        "(rule (lower (iadd x y)) (no_such_term x y))\n",
    );
    let (ok, out) = rulesel(&[
        "run",
        "--rules",
        dir.to_str().unwrap(),
        clif.to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("unknown term `no_such_term`"), "{out}");
}
