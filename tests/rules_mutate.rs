//! `rulesel mutate`: mutants of a few rules judged against a run test that exercises them
//! (all noticed) and against one that does not reach them (all survive, and say so).

use std::path::{Path, PathBuf};
use std::process::Command;

fn rulesel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("rulesel runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The line of `rules/x64/<file>` that starts with `needle` (1-based).
fn rule_line(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(repo(&format!("rules/x64/{file}"))).unwrap();
    text.lines()
        .position(|l| l.starts_with(needle))
        .expect("rule in file")
        + 1
}

/// `K of M mutants killed (P%)` → (K, M).
fn killed(out: &str) -> (usize, usize) {
    let last = out.lines().last().unwrap_or("");
    let words: Vec<&str> = last.split(' ').collect();
    assert!(
        words.len() == 6 && words[1] == "of" && words[3] == "mutants" && words[4] == "killed",
        "last line: {last}\n{out}"
    );
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

#[test]
fn mutants_of_the_narrow_concat_rule_are_killed_by_its_run_test() {
    let line = rule_line("i128.rules", "(rule (concat_shift $I16) 16)");
    let only = format!("i128.rules:{line}");
    let (ok, out, err) = rulesel(&[
        "mutate",
        "--only",
        &only,
        "--functions",
        "0",
        "--runtests",
        "tests/runtests/narrow_concat_split.clif",
    ]);
    assert!(ok, "{out}{err}");
    // `$I16` → `$I8` (stillborn: it overlaps the `$I8` rule) and 16 → 17 (wrong shift).
    let (k, m) = killed(&out);
    assert!(m >= 1 && k == m, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("survived ")), "{out}");
}

#[test]
fn survivors_are_listed_with_what_the_tests_saw() {
    let line = rule_line("i128.rules", "(rule (concat_shift $I16) 16)");
    let only = format!("i128.rules:{line}");
    // A run test that never concatenates: nothing notices.
    let (ok, out, err) = rulesel(&[
        "mutate",
        "--only",
        &only,
        "--functions",
        "0",
        "--runtests",
        "tests/runtests/sunk_load_users.clif",
    ]);
    assert!(ok, "{out}{err}");
    let (k, m) = killed(&out);
    assert!(m >= 1 && k == 0, "{out}");
    assert!(
        out.contains(&format!(
            "survived rules/x64/i128.rules:{line}: 16 → 17 [never fires in the tests; code differs in 0 run-test functions]"
        )),
        "{out}"
    );
}

#[test]
fn a_rules_directory_is_mutated_without_rebuilding() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutate_rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("rules/x64")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let line = rule_line("i128.rules", "(rule (concat_shift $I32) 32)");
    let only = format!("i128.rules:{line}");
    let (ok, out, err) = rulesel(&[
        "mutate",
        "--rules",
        dir.to_str().unwrap(),
        "--only",
        &only,
        "--functions",
        "0",
        "--runtests",
        "tests/runtests/narrow_concat_split.clif",
    ]);
    assert!(ok, "{out}{err}");
    let (k, m) = killed(&out);
    assert!(m >= 1 && k == m, "{out}");
}
