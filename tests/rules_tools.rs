//! `rulesel coverage` and `rulesel explain`, and our own run tests (`tests/runtests/*.clif`),
//! which make the rules fire that Cranelift's shared run tests do not reach.

use rulesel::compile::RuleChoice;
use rulesel::ruletools::coverage;
use rulesel::runtest::{self, Status};
use std::path::{Path, PathBuf};
use std::process::Command;

fn rulesel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
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

/// The line of `rules/x64/<file>` that contains `needle` (1-based).
fn rule_line(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(repo(&format!("rules/x64/{file}"))).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .expect("rule in file")
        + 1
}

#[test]
fn our_run_tests_pass() {
    let options = runtest::Options {
        compiler: &runtest::Lowering,
        timeout: Some(std::time::Duration::from_secs(10)),
        regalloc_checker: true,
        compile_only: None,
    };
    let summary = runtest::run_paths(&[repo("tests/runtests")], &options, |o| {
        assert_eq!(o.status, Status::Pass, "{o}");
    })
    .unwrap();
    assert!(summary.count(Status::Pass) >= 1, "{}", summary.line());
}

#[test]
fn coverage_counts_firings_lists_unfired_rules_and_writes_html() {
    let html = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("coverage_html");
    let _ = std::fs::remove_dir_all(&html);
    let file = repo("tests/runtests/float_forms.clif");
    let (ok, out, err) = rulesel(&[
        "coverage",
        file.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(err.contains("PASS "), "{err}");
    // fdemote appears once in the file; it is compiled once per runnable target line.
    let targets = if std::arch::is_x86_feature_detected!("avx") {
        2
    } else {
        1
    };
    let demote = format!(
        "rules/x64/float.rules:{}",
        rule_line("float.rules", "(fdemote x)")
    );
    let line = out
        .lines()
        .find(|l| l.ends_with(&demote))
        .unwrap_or_else(|| panic!("{demote} in:\n{out}"));
    assert_eq!(
        line.split_whitespace().next(),
        Some(&*targets.to_string()),
        "{line}"
    );
    // No fadd in the file: its rule is listed as never fired, after the counts.
    let fadd = format!(
        "rules/x64/float.rules:{}",
        rule_line("float.rules", "(fadd x y)")
    );
    let (_, unfired) = out.split_once("never fired (").expect("unfired section");
    assert!(unfired.lines().any(|l| l.trim() == fadd), "{out}");
    let last = out.lines().last().unwrap();
    let (fired, rest) = last.split_once(" of ").unwrap();
    let (total, percent) = rest.split_once(" rules fired (").unwrap();
    let (fired, total): (usize, usize) = (fired.parse().unwrap(), total.parse().unwrap());
    assert!(0 < fired && fired < total, "{last}");
    let p: f64 = percent.trim_end_matches("%)").parse().unwrap();
    assert!(
        (p - fired as f64 * 100.0 / total as f64).abs() < 0.1,
        "{last}"
    );
    // HTML: an index linking a page per rule file, rule lines annotated with their counts.
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    let page = coverage::page_name("rules/x64/float.rules");
    assert!(index.contains(&format!("href=\"{page}\"")), "{index}");
    assert!(index.contains(last), "{index}");
    let float = std::fs::read_to_string(html.join(&page)).unwrap();
    let demote_row = format!(
        "<tr class=\"fired\"><td class=\"n\">{}</td><td class=\"c\">{targets}</td>",
        rule_line("float.rules", "(fdemote x)")
    );
    assert!(float.contains(&demote_row), "{demote_row}");
    let fadd_row = format!(
        "<tr class=\"unfired\"><td class=\"n\">{}</td><td class=\"c\">0</td>",
        rule_line("float.rules", "(fadd x y)")
    );
    assert!(float.contains(&fadd_row), "{fadd_row}");
}

/// Cranelift's run tests with ours (`tests/runtests`, whose `*_forms.clif` check the rules the
/// shared files do not reach) fire every x64 rule (`rulesel coverage`'s measure: targets whose
/// features this host lacks are compiled, not run). `tests/lower_our_ops.clif` is left out: it
/// reaches many of the same rules with one run line each, where the forms files check edge
/// values (a wrong width, condition, operand order or immediate), so those stay complete.
#[test]
fn shared_and_our_run_tests_fire_every_x64_rule() {
    let shared = repo("../shared/clif-runtests");
    if !shared.is_dir() {
        println!("no ../shared/clif-runtests: coverage not measured");
        return;
    }
    let paths = [shared, repo("tests/runtests")];
    let (_, cov) = coverage::run_files(
        &paths,
        RuleChoice::Embedded,
        Some(std::time::Duration::from_secs(10)),
        |_| {},
    )
    .unwrap();
    let x64 = |r: &rulesel::dsl::RuleId| cov.prog.rule_label(*r).starts_with("rules/x64/");
    let total = (0..cov.counts.len() as u32)
        .map(rulesel::dsl::RuleId)
        .filter(x64)
        .count();
    let unfired: Vec<String> = (cov.unfired().iter())
        .filter(|r| x64(r))
        .map(|&r| cov.prog.rule_label(r))
        .collect();
    let compiled_only = cov.fired_only_compiled().iter().filter(|r| x64(r)).count();
    println!(
        "{} of {total} x64 rules fired ({compiled_only} only in targets compiled, not run)",
        total - unfired.len()
    );
    assert!(unfired.is_empty(), "never fired: {unfired:#?}");
}

const EXPLAINED: &str = "target x86_64
function %f(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iconst.i64 5
    v3 = iadd v0, v2
    v4 = imul v3, v1
    return v4
}
function %g(i64) -> i32 {
block0(v0: i64):
    v1 = load.i32 v0
    return v1
}
";

#[test]
fn explain_shows_rule_and_code_per_instruction_then_the_final_code() {
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("explain.clif");
    std::fs::write(&file, EXPLAINED).unwrap();
    let (ok, out, err) = rulesel(&["explain", file.to_str().unwrap(), "--function", "%f"]);
    assert!(ok, "{out}{err}");
    assert!(!out.contains("function %g"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l.trim() == text)
            .unwrap_or_else(|| panic!("`{text}` in:\n{out}"))
    };
    // The constant folds into the add: it has no step of its own.
    assert!(!out.contains("v2 = iconst"), "{out}");
    let add = at("v3 = iadd v0, v2");
    let iadd_rule = rule_line("arith.rules", "(ty_32_64 ty) (iadd x (iconst k))))");
    assert_eq!(
        lines[add + 1].trim(),
        format!("rule rules/x64/arith.rules:{iadd_rule}")
    );
    assert!(lines[add + 2].trim().starts_with("(rule "), "{out}");
    // The first emitted instruction after a step's rule and helpers.
    let emitted = |from: usize| {
        lines[from..]
            .iter()
            .find(|l| l.trim().starts_with("=> "))
            .unwrap()
            .trim()
    };
    assert!(
        emitted(add).starts_with("=> lea") && emitted(add).contains("0x5("),
        "{out}"
    );
    // Helper rules reported by the trace hook: the i64 form of the lea helper.
    let imm_rule = rule_line("arith.rules", "(lea_add $I64 a)");
    let via = format!("via rules/x64/arith.rules:{imm_rule}");
    let mul = at("v4 = imul v3, v1");
    assert!(
        lines[add..mul].iter().any(|l| l.trim() == via),
        "{via} in:\n{out}"
    );
    assert!(emitted(mul).starts_with("=> imul"), "{out}");
    let ret = at("return v4");
    assert!(lines[ret + 1].contains("rules/x64/control.rules:"), "{out}");
    // After allocation: offsets from 0, bytes, AT&T text; the last instruction is `ret`.
    let code = lines
        .iter()
        .position(|l| l.starts_with("code after allocation ("))
        .expect("code section");
    assert!(code > ret, "{out}");
    assert!(lines[code + 1].trim_start().starts_with("0:  "), "{out}");
    let last = lines.last().unwrap();
    assert!(last.contains(" c3 ") && last.ends_with("ret"), "{out}");
    // Every function when none is named; an unknown name is an error.
    let (ok, out, _) = rulesel(&["explain", file.to_str().unwrap()]);
    assert!(
        ok && out.contains("function %f") && out.contains("function %g"),
        "{out}"
    );
    assert!(out.contains("v1 = load.i32 v0"), "{out}");
    let (ok, _, err) = rulesel(&["explain", file.to_str().unwrap(), "--function", "h"]);
    assert!(!ok && err.contains("no function named h"), "{err}");
}

#[test]
fn explain_and_compile_take_a_rules_directory() {
    // A copy of the x64 rules with the register-register i64 xor rule given another
    // instruction (sub): explain shows the other rule set's choice without a rebuild.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("explain_rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("rules/x64")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let arith = dir.join("arith.rules");
    let text = std::fs::read_to_string(&arith).unwrap();
    let swapped = text.replacen(
        "(rule 1 (alu (AluOp.Xor) $I64 x y) (xor_r64_rm64 x y))",
        "(rule 1 (alu (AluOp.Xor) $I64 x y) (sub_r64_rm64 x y))",
        1,
    );
    assert_ne!(text, swapped, "the rule to swap is in arith.rules");
    std::fs::write(&arith, swapped).unwrap();
    let file = dir.join("xor.clif");
    std::fs::write(
        &file,
        "target x86_64\nfunction %f(i64, i64) -> i64 {\nblock0(v0: i64, v1: i64):\n    v2 = bxor v0, v1\n    return v2\n}\n",
    )
    .unwrap();
    let (ok, out, err) = rulesel(&["explain", file.to_str().unwrap()]);
    assert!(ok && out.contains("=> xor "), "{out}{err}");
    let (ok, out, err) = rulesel(&[
        "explain",
        "--rules",
        dir.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(
        ok && out.contains("=> sub ") && !out.contains("=> xor "),
        "{out}{err}"
    );
    let obj = dir.join("xor.o");
    let (ok, out, err) = rulesel(&[
        "compile",
        "--rules",
        dir.to_str().unwrap(),
        file.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(std::fs::metadata(&obj).unwrap().len() > 0);
}

#[test]
fn explain_shows_source_locations() {
    // Real-program CLIF: Wasmtime's source locations, alias regions and a user name.
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("explain_srcloc.clif");
    std::fs::write(
        &file,
        r#"function u0:7(i64 vmctx, i32) -> i64 tail {
    region0 = 8 "VMContext+0x8"

                                block0(v0: i64, v1: i32):
@00c7                               v2 = uextend.i64 v1
@00c9                               v3 = load.i64 notrap aligned readonly region0 v0+8
@00ca                               v4 = iadd v3, v2
@00cb                               return v4
}
"#,
    )
    .unwrap();
    let (ok, out, err) = rulesel(&["explain", file.to_str().unwrap(), "--function", "u0:7"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("@00c7  v2 = uextend.i64 v1"), "{out}");
    // The load folds into the add, which has a step of its own.
    assert!(out.contains("@00ca  v4 = iadd v3, v2"), "{out}");
    assert!(out.contains("@00cb  return v4"), "{out}");
}

/// A rule that folds a load into its instruction and then reads the loaded value from a
/// register as well (a rule bug the use counts cannot see; here a flag-preserving `mov` of it)
/// still gets correct code: the driver lowers the load a second time instead of leaving the
/// register undefined.
#[test]
fn a_sunk_load_asked_for_in_a_register_is_still_loaded() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sink_and_use_rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("rules/x64")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name() == Some("control.rules".as_ref()) {
            let fold = "(rule 2 (icmp_flags cc x (sinkable_load l)) (if-let (ty_32_64 ty) (value_type x))\n  (let ((_f SideEffect (cmp ty (put_in_gpr x) (mem (sink_load l))))) (intcc cc)))";
            let bad = "(rule 2 (icmp_flags cc x y @ (sinkable_load l)) (if-let (ty_32_64 ty) (value_type x))\n  (let ((_f SideEffect (cmp ty (put_in_gpr x) (mem (sink_load l)))) (_r Gpr (mov_r64_rm64 (gpr_mem (put_in_gpr y))))) (intcc cc)))";
            assert!(text.contains(fold), "the load-folding compare rule moved");
            text = text.replace(fold, bad);
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    let clif = dir.join("sink_and_use.clif");
    std::fs::write(
        &clif,
        "test run\ntarget x86_64\n\
         function %f(i64, i64) -> i64 {\n    ss0 = explicit_slot 8\n\
         block0(v0: i64, v1: i64):\n    v9 = stack_addr.i64 ss0\n    store v1, v9\n\
         \x20   v2 = load.i64 v9\n    v3 = icmp eq v0, v2\n    v4 = select v3, v0, v1\n\
         \x20   return v4\n}\n\
         ; run: %f(3, 3) == 3\n; run: %f(3, 4) == 4\n",
    )
    .unwrap();
    let (ok, out, err) = rulesel(&[
        "run",
        "--checker",
        "--rules",
        dir.to_str().unwrap(),
        clif.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 passed"), "{out}");
}
