//! `rulesel explain --why-not`: the candidate rules of one instruction in the order the match
//! tree tries them, each with the step that stops it, on a real program and the real rules.

use std::path::Path;
use std::process::Command;

fn rulesel(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("rulesel runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `path:line:col` of the first `needle` in the rule of `file` that contains `rule` (both on
/// the rule's first line).
fn at(file: &str, rule: &str, needle: &str) -> String {
    let path = format!("rules/x64/{file}");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path)).unwrap();
    let (n, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(rule))
        .unwrap_or_else(|| panic!("no rule `{rule}` in {path}"));
    format!("{path}:{}:{}", n + 1, line.find(needle).unwrap() + 1)
}

#[test]
fn an_add_of_two_call_results_explains_why_the_specific_rules_do_not_fire() {
    // `v6 = iadd v3, v5` on line 15 of fib.clif adds two call results.
    let (ok, out) = rulesel(&["explain", "--why-not", "line:15", "examples/fib.clif"]);
    assert!(ok, "{out}");
    assert!(
        out.starts_with("function %fib, inst6: v6 = iadd v3, v5 (line 15)\n"),
        "{out}"
    );
    assert!(out.contains("term `lower`: "), "{out}");
    // By priority: the two constant lea rules, the i128 rule, the narrow constant rule, the
    // two sunk-load rules, then the register lea rule fires.
    let no_def = "`(iconst k)`: no instruction the patterns can see defines the value";
    let lea_right = at(
        "arith.rules",
        "(lower (has_type (ty_32_64 ty) (iadd x (iconst k))))",
        "(iconst k)",
    );
    let lea_left = at(
        "arith.rules",
        "(lower (has_type (ty_32_64 ty) (iadd (iconst k) x)))",
        "(iconst k)",
    );
    let i128 = at("i128.rules", "(lower (has_type $I128 (iadd x y)))", "$I128");
    let narrow = at(
        "arith.rules",
        "(lower (has_type (gpr_ty ty) (iadd x (iconst k))))",
        "(iconst k)",
    );
    let load_left = at(
        "arith.rules",
        "(iadd (sinkable_load l) x)",
        "(sinkable_load l)",
    );
    let load_right = at(
        "arith.rules",
        "(iadd x (sinkable_load l))",
        "(sinkable_load l)",
    );
    let expected = [
        format!("fails at {lea_right} {no_def}"),
        format!("fails at {lea_left} {no_def}"),
        format!("fails at {i128} `$I128`: the value is $I64, not $I128"),
        format!("fails at {narrow} {no_def}"),
        format!("fails at {load_left} `(sinkable_load l)`: the extractor `sinkable_load` does not match"),
        format!("fails at {load_right} `(sinkable_load l)`: the extractor `sinkable_load` does not match"),
        "fires".to_string(),
    ];
    let mut rest = out.as_str();
    for e in &expected {
        let i = rest
            .find(e.as_str())
            .unwrap_or_else(|| panic!("expected `{e}` next in:\n{out}"));
        rest = &rest[i + e.len()..];
    }
}

#[test]
fn a_branch_names_the_opcode_it_found_and_later_rules_are_not_tried() {
    let (ok, out) = rulesel(&[
        "explain",
        "--why-not",
        "inst1",
        "--function",
        "fib",
        "examples/fib.clif",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("term `lower_branch`"), "{out}");
    assert!(
        out.contains("`(icmp x y cc)`: the instruction is `icmp_imm`, not `icmp`"),
        "{out}"
    );
    assert!(out.contains("fires"), "{out}");
}

#[test]
fn an_instruction_that_is_not_there_is_an_error() {
    let (ok, out) = rulesel(&["explain", "--why-not", "line:1", "examples/fib.clif"]);
    assert!(!ok);
    assert!(out.contains("no instruction on line 1"), "{out}");
    let (ok, out) = rulesel(&["explain", "--why-not", "v3", "examples/fib.clif"]);
    assert!(!ok);
    assert!(out.contains("is not an instruction"), "{out}");
}
