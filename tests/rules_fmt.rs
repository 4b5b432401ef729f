//! `rulesel fmt`: every rules file of the repository, formatted, compiles to the same match
//! trees as before, keeps its comments and is a fixed point; `fmt --check` passes on `rules/`
//! and names a file that is not formatted.

use rulesel::dsl::{self, format::format_rules, FileId, SourceMap};
use rulesel::isa::x64::lower::terms::lower_env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rule files of the repository as the x64 program loads them: the prelude, then
/// `rules/x64` (read from disk, so that files added since the build are included).
fn rule_files() -> Vec<(String, String)> {
    let mut paths = vec![repo().join("rules/prelude.rules")];
    let mut x64: Vec<PathBuf> = std::fs::read_dir(repo().join("rules/x64"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    x64.sort();
    paths.extend(x64);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect()
}

fn compile(
    files: &[(String, String)],
) -> dsl::RuleProgram<rulesel::isa::x64::lower::ctx::LowerCtx> {
    let mut map = SourceMap::new();
    for (path, text) in files {
        map.add(path.clone(), text.clone());
    }
    dsl::compile(map, lower_env()).unwrap_or_else(|e| panic!("{}", e.render()))
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.find(';').map(|i| l[i..].trim_end()))
        .collect()
}

#[test]
fn formatted_files_compile_to_the_same_match_trees() {
    let files = rule_files();
    let original = compile(&files);
    for i in 0..files.len() {
        let (path, text) = &files[i];
        let formatted =
            format_rules(FileId(0), text).unwrap_or_else(|d| panic!("{path}: {}", d.message));
        assert_eq!(
            format_rules(FileId(0), &formatted).unwrap(),
            formatted,
            "{path}: formatting twice changes the text"
        );
        assert_eq!(
            comments(text),
            comments(&formatted),
            "{path}: comments changed"
        );
        let mut with = files.clone();
        with[i].1 = formatted;
        let prog = compile(&with);
        assert_eq!(prog.rule_count(), original.rule_count(), "{path}");
        assert!(
            prog.code == original.code,
            "{path}: the match trees differ once formatted"
        );
    }
}

fn rulesel(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("rulesel runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_repository_rules_are_formatted() {
    let (ok, out) = rulesel(&["fmt", "--check", "rules"]);
    assert!(ok, "run `rulesel fmt rules` to format:\n{out}");
}

#[test]
fn check_names_the_files_that_would_change_and_fmt_fixes_them() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fmt_check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (messy, tidy) = (dir.join("messy.rules"), dir.join("tidy.rules"));
    std::fs::write(&messy, "(decl f (u64)   u64)\n(rule (f x)\n x)\n").unwrap();
    std::fs::write(&tidy, "(decl f (u64) u64)\n").unwrap();
    let d = dir.to_str().unwrap();
    let (ok, out) = rulesel(&["fmt", "--check", d]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("would reformat") && out.contains("messy.rules"),
        "{out}"
    );
    assert!(!out.contains("tidy.rules"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "(decl f (u64)   u64)\n(rule (f x)\n x)\n"
    );
    let (ok, out) = rulesel(&["fmt", d]);
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "(decl f (u64) u64)\n(rule (f x) x)\n"
    );
    assert!(rulesel(&["fmt", "--check", d]).0);
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_left_alone() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fmt_error");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.rules");
    std::fs::write(&bad, "(rule (f x)\n").unwrap();
    let (ok, out) = rulesel(&["fmt", bad.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("unexpected end of file") && out.contains("bad.rules:1:12"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "(rule (f x)\n");
}
