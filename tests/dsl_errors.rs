//! Bad input to the rule compiler: every syntax and semantic error, overlap and shadowing
//! finding carries the expected message at the expected `path:line:col`.

use rulesel::dsl::testkit::{fake_env, with_prelude, FakeIr};
use rulesel::dsl::{compile, Diagnostic, Severity, SourceMap};

/// Compiles `src` (as `t.rules`, after the prelude) and returns its findings with the sources.
fn findings(src: &str) -> (Vec<Diagnostic>, SourceMap) {
    match compile(with_prelude("t.rules", src), fake_env::<FakeIr>()) {
        Ok(p) => (p.warnings, p.sources),
        Err(e) => (e.diagnostics, e.sources),
    }
}

/// Asserts a finding of `severity` whose message contains `msg`, located at `t.rules:line:col`.
fn expect(src: &str, severity: Severity, msg: &str, line: u32, col: u32) -> String {
    let (diags, sources) = findings(src);
    let all: String = diags.iter().map(|d| sources.render(d)).collect();
    let hit = diags.iter().find(|d| {
        d.severity == severity
            && d.message.contains(msg)
            && sources.location(d.span) == format!("t.rules:{line}:{col}")
    });
    match hit {
        Some(d) => sources.render(d),
        None => panic!("expected {severity:?} `{msg}` at t.rules:{line}:{col}; got:\n{all}"),
    }
}

fn error(src: &str, msg: &str, line: u32, col: u32) -> String {
    expect(src, Severity::Error, msg, line, col)
}

fn warning(src: &str, msg: &str, line: u32, col: u32) -> String {
    expect(src, Severity::Warning, msg, line, col)
}

const LOWER: &str = "(decl partial lower (Inst) u64)\n";

// ---- syntax ----

#[test]
fn unclosed_form_reports_end_of_file() {
    error(
        "(decl f (u64) u64)\n(rule (f x) x",
        "unexpected end of file",
        2,
        14,
    );
}

#[test]
fn stray_close_paren() {
    error("(decl f (u64) u64))", "unexpected `)`", 1, 19);
}

#[test]
fn bad_character() {
    let r = error(
        "(decl f (u64) u64)\n(rule (f x) #)",
        "unexpected character `#`",
        2,
        13,
    );
    assert!(
        r.contains("┌─ t.rules:2:13\n  │\n2 │ (rule (f x) #)\n  │             ^\n"),
        "{r}"
    );
}

#[test]
fn integer_literal_too_large() {
    error(
        "(const $Big u64 0x1ffffffffffffffffffffffffffffffff)",
        "does not fit in 128 bits",
        1,
        17,
    );
}

#[test]
fn keyword_used_as_a_name() {
    error(
        "(decl if (u64) u64)",
        "unexpected `if`; expected one of `partial`, `multi`, a name",
        1,
        7,
    );
}

#[test]
fn rule_without_right_hand_side() {
    error("(decl f (u64) u64)\n(rule (f x))", "unexpected `)`", 2, 12);
}

#[test]
fn bare_name_at_top_level() {
    error("foo", "unexpected `foo`; expected `(`", 1, 1);
}

// ---- names, arity, types ----

#[test]
fn unknown_type_in_decl() {
    error("(decl f (u65) u64)", "unknown type `u65`", 1, 10);
}

#[test]
fn unknown_term_in_pattern() {
    let src = format!("{LOWER}(rule (lower (iaddd x y)) 1)");
    let r = error(&src, "unknown term `iaddd`", 2, 15);
    assert!(r.contains("^^^^^"), "{r}");
}

#[test]
fn unknown_term_in_expression() {
    error(
        "(decl f (u64) u64)\n(rule (f x) (g x))",
        "unknown term `g`",
        2,
        14,
    );
}

#[test]
fn unknown_constant() {
    let src = format!("{LOWER}(rule (lower (has_type $I65 _)) 1)");
    error(&src, "unknown constant `$I65`", 2, 24);
}

#[test]
fn opcode_arity() {
    let src = format!("{LOWER}(rule (lower (iadd x)) 1)");
    error(&src, "term `iadd` takes 2 arguments, found 1", 2, 14);
}

#[test]
fn rule_head_arity() {
    error(
        "(decl f (u64) u64)\n(rule (f 1 2) 3)",
        "term `f` takes 1 arguments, found 2",
        2,
        7,
    );
}

#[test]
fn call_arity() {
    error(
        "(decl f (u64) u64)\n(rule (f x) (u64_add x))",
        "term `u64_add` takes 2 arguments, found 1",
        2,
        13,
    );
}

#[test]
fn extractor_on_wrong_type() {
    error(
        "(decl f (u64) u64)\n(rule (f (iadd _ _)) 1)",
        "`iadd` matches a `Inst` but the value here is a `u64`",
        2,
        11,
    );
}

#[test]
fn body_of_wrong_type() {
    let src = format!("{LOWER}(rule (lower (has_type ty _)) ty)");
    error(
        &src,
        "this expression is `Type` but `u64` is expected",
        2,
        31,
    );
}

#[test]
fn literal_out_of_range() {
    error(
        "(decl g (u8) u64)\n(rule (g 300) 1)",
        "literal 300 does not fit in `u8`",
        2,
        10,
    );
}

#[test]
fn unbound_variable() {
    error(
        "(decl f (u64) u64)\n(rule (f _) y)",
        "unbound variable `y`",
        2,
        13,
    );
}

#[test]
fn unused_variable_is_a_warning() {
    warning(
        "(decl f (u64 u64) u64)\n(rule (f x y) x)",
        "unused variable `y`",
        2,
        12,
    );
}

#[test]
fn literal_of_unknown_type() {
    error(
        "(decl partial f (u64) u64)\n(rule (f x) (if 3) x)",
        "cannot tell the type of this literal",
        2,
        17,
    );
}

#[test]
fn pattern_repeats_variable_at_another_type() {
    error(
        "(decl f (u64 u8) u64)\n(rule (f x x) x)",
        "type mismatch: `x` is `u64` but `u8` is expected",
        2,
        12,
    );
}

// ---- declarations and externs ----

#[test]
fn extern_without_rust_binding() {
    error(
        "(decl f (u64) u64)\n(extern constructor f no_such_fn)",
        "extern constructor `no_such_fn` has no Rust binding",
        2,
        23,
    );
}

#[test]
fn extern_signature_mismatch() {
    error(
        "(decl f (u32 u64) u64)\n(extern constructor f u64_add)",
        "argument 1 of `f` is `u32` (Rust `u32`) but the Rust binding `u64_add` uses `u64`",
        2,
        23,
    );
}

#[test]
fn extern_arity_mismatch() {
    error(
        "(decl f (u64) u64)\n(extern constructor f u64_add)",
        "`u64_add` has 2 arguments in Rust but the constructor `f` needs 1",
        2,
        23,
    );
}

#[test]
fn partial_rust_function_behind_total_decl() {
    error(
        "(decl f (i64) i32)\n(extern constructor f i64_to_i32)",
        "`i64_to_i32` can fail (returns `Option`) but `f` is not declared `partial`",
        2,
        23,
    );
}

#[test]
fn duplicate_term() {
    let (diags, sources) = findings("(decl f (u64) u64)\n(decl f (u8) u8)");
    let d = diags
        .iter()
        .find(|d| d.message == "term `f` is already defined")
        .unwrap();
    assert_eq!(sources.location(d.span), "t.rules:2:7");
    assert_eq!(sources.location(d.notes[0].0), "t.rules:1:7");
}

#[test]
fn duplicate_type_with_the_prelude() {
    let (diags, sources) = findings("(type u64 (primitive u64))");
    let d = diags
        .iter()
        .find(|d| d.message == "type `u64` is already defined")
        .unwrap();
    assert_eq!(sources.location(d.span), "t.rules:1:7");
    assert_eq!(sources.location(d.notes[0].0), "rules/prelude.rules:9:7");
}

#[test]
fn rules_on_an_extern_constructor() {
    error(
        "(rule (u64_add x y) x)",
        "term `u64_add` has an extern constructor and cannot also have rules",
        1,
        8,
    );
}

#[test]
fn call_of_a_term_without_constructor() {
    error(
        "(decl f (u64) u64)\n(decl g (u64) u64)\n(rule (f x) (g x))",
        "term `g` has no constructor",
        3,
        14,
    );
}

#[test]
fn constructor_used_as_extractor() {
    error(
        "(decl f (u64) u64)\n(rule (f (u64_add x y)) x)",
        "term `u64_add` has no extractor and cannot be used in a pattern",
        2,
        11,
    );
}

#[test]
fn partial_call_where_failure_cannot_be_handled() {
    error(
        "(decl f (i64) i32)\n(rule (f x) (i64_to_i32 x))",
        "`i64_to_i32` is partial and may fail here",
        2,
        14,
    );
}

#[test]
fn infinite_self_recursion() {
    error(
        "(decl f (u64 u64) u64)\n(rule (f x y) (f x y))",
        "infinite recursion: `f` calls itself with its own arguments",
        2,
        16,
    );
}

#[test]
fn multi_terms_are_rejected() {
    error(
        "(decl multi f (u64) u64)",
        "`multi` terms are not supported",
        1,
        7,
    );
}

#[test]
fn priority_out_of_range() {
    error(
        "(decl f (u64) u64)\n(rule 99999999999 (f x) x)",
        "priority 99999999999 is out of range",
        2,
        7,
    );
}

#[test]
fn host_opcode_with_unknown_immediate_type() {
    let mut env = fake_env::<FakeIr>();
    env.opcode("fma", 40, 3, [("flags", "MemFlags")]);
    let e = compile(with_prelude("t.rules", ""), env)
        .err()
        .expect("unknown type");
    let d = e
        .errors()
        .find(|d| d.message == "unknown type `MemFlags`")
        .unwrap();
    assert_eq!(e.sources.path(d.span.file), "<host>");
    assert!(e.sources.line_text(d.span).starts_with("(opcode fma 40"));
}

// ---- overlap and shadowing ----

#[test]
fn overlap_of_equal_priority_rules_names_both_with_an_example() {
    let src = format!("{LOWER}(rule (lower (iadd x y)) 1)\n(rule (lower (iadd _ (iconst 3))) 2)");
    let r = error(&src, "rules overlap", 3, 7);
    assert!(r.contains("the rule at t.rules:2"), "{r}");
    assert!(r.contains("(lower (iadd _ (iconst 3)))"), "{r}");
    // Both rules in one picture, each under its label.
    assert!(r.contains("┌─ t.rules:3:7\n"), "{r}");
    assert!(
        r.contains(
            "2 │ (rule (lower (iadd x y)) 1)\n  │       ------------------ the other rule\n\
             3 │ (rule (lower (iadd _ (iconst 3))) 2)\n  │       ^^^^^^^^^^^^^^^^^^^^^^^^^^^ this rule\n"
        ),
        "{r}"
    );
}

#[test]
fn overlap_through_repeated_variables() {
    let src = "(decl f (u64 u64) u64)\n(rule (f x x) x)\n(rule (f 1 1) 2)";
    let r = error(src, "rules overlap", 3, 7);
    assert!(r.contains("can both match (f 1 1)"), "{r}");
}

#[test]
fn repeated_variable_against_different_literals_is_not_overlap() {
    let (diags, _) = findings("(decl f (u64 u64) u64)\n(rule (f x x) x)\n(rule (f 1 2) 2)");
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn different_opcodes_or_literals_do_not_overlap() {
    let src = format!(
        "{LOWER}(rule (lower (iadd _ _)) 1)\n(rule (lower (isub _ _)) 2)\n(rule (lower (iconst 1)) 3)\n(rule (lower (iconst 2)) 4)"
    );
    let (diags, _) = findings(&src);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn guards_do_not_separate_rules_of_equal_priority() {
    let src = format!(
        "{LOWER}(rule (lower (iconst k)) (if (i64_lt k 3)) 1)\n(rule (lower (iconst _)) 2)"
    );
    error(&src, "rules overlap", 3, 7);
}

#[test]
fn shadowed_rule_is_a_warning_naming_the_shadowing_rule() {
    let src = format!("{LOWER}(rule 1 (lower (iadd _ _)) 1)\n(rule (lower (iadd _ (iconst 3))) 2)");
    let r = warning(&src, "rule can never fire", 3, 7);
    assert!(r.contains("(t.rules:2)"), "{r}");
    assert!(
        r.contains("2 │ (rule 1 (lower (iadd _ _)) 1)\n  │         ------------------ shadowed by this rule\n"),
        "{r}"
    );
}

#[test]
fn rule_behind_an_identical_guard_is_shadowed() {
    let src = format!(
        "{LOWER}(rule 2 (lower (iconst k)) (if (i64_lt k 3)) 1)\n(rule 1 (lower (iconst k)) (if (i64_lt k 3)) (if (i64_lt k 1)) 2)"
    );
    warning(&src, "rule can never fire", 3, 9);
}

#[test]
fn rule_behind_a_guarded_rule_is_not_shadowed() {
    let src = format!(
        "{LOWER}(rule 1 (lower (iconst k)) (if (i64_lt k 3)) 1)\n(rule (lower (iconst _)) 2)"
    );
    let (diags, _) = findings(&src);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn enum_variants_together_shadow_a_wildcard_rule() {
    let src = "(type Cc (enum Lt Ge))\n(decl f (Cc) u64)\n(rule 1 (f (Cc.Lt)) 1)\n(rule 1 (f (Cc.Ge)) 2)\n(rule (f _) 3)";
    let r = warning(src, "rule can never fire", 5, 7);
    assert!(
        r.contains("t.rules:3, t.rules:4") || r.contains("t.rules:4, t.rules:3"),
        "{r}"
    );
}

#[test]
fn mutual_recursion_that_forwards_its_input_forever() {
    let src = "(decl f (u64 u64) u64)\n(decl g (u64 u64) u64)\n\
               (rule (f x y) (g x y))\n(rule (g a b) (f a b))";
    error(
        src,
        "infinite recursion: f -> g -> f pass the same input around forever",
        3,
        1,
    );
    error(
        src,
        "infinite recursion: f -> g -> f pass the same input around forever",
        4,
        1,
    );
}

#[test]
fn recursion_through_a_lower_priority_rule_is_allowed() {
    let src = "(decl f (u64) u64)\n(decl g (u64) u64)\n\
               (rule 1 (f 0) 0)\n(rule (f x) (g x))\n(rule (g x) (f (u64_sub x 1)))";
    let (diags, _) = findings(src);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn absurdly_deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 50_000;
    let src = format!(
        "(decl f (u64) u64)\n(rule (f {}x{}) 1)",
        "(g ".repeat(depth),
        ")".repeat(depth)
    );
    let (diags, sources) = findings(&src);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "parentheses nested deeper than 64 levels");
    // `(rule` and `(f` are two levels; the 63rd `(g ` starts at column 10 + 3 * 62.
    assert_eq!(
        sources.location(diags[0].span),
        format!("t.rules:2:{}", 10 + 3 * 62)
    );
}

#[test]
fn rule_with_too_many_tests() {
    let args = "u64 ".repeat(600);
    let lits = "1 ".repeat(600);
    let src = format!("(decl f ({args}) u64)\n(rule (f {lits}) 1)");
    error(&src, "rule makes more than 512 tests", 2, 7);
}

#[test]
fn deepest_accepted_nesting_compiles_and_runs() {
    // 60 levels of nested opcode patterns and of nested calls, on a test thread's stack.
    let depth = 60;
    let src = format!(
        "{LOWER}(rule (lower {}_{}) {}0{})",
        "(ineg ".repeat(depth),
        ")".repeat(depth),
        "(u64_add 1 ".repeat(depth),
        ")".repeat(depth)
    );
    let (diags, sources) = findings(&src);
    let all: String = diags.iter().map(|d| sources.render(d)).collect();
    assert!(diags.is_empty(), "{all}");
}

#[test]
fn redefining_a_builtin_points_at_the_host_file() {
    let (diags, sources) = findings("(decl has_type (u64) u64)");
    let d = diags
        .iter()
        .find(|d| d.message == "term `has_type` is already defined")
        .unwrap();
    assert_eq!(sources.location(d.span), "t.rules:1:7");
    assert_eq!(
        sources.line_text(d.notes[0].0),
        "(builtin has_type (Type Inst) Inst)"
    );
}

#[test]
fn overlap_example_names_type_constants() {
    let src = format!(
        "{LOWER}(rule (lower (has_type (fits_in_32 _) (iadd _ _))) 1)\n(rule (lower (has_type $I32 (iadd _ (iconst _)))) 2)"
    );
    let r = error(&src, "rules overlap", 3, 7);
    assert!(
        r.contains("can both match (lower (has_type $I32 (iadd _ (iconst _))))"),
        "{r}"
    );
}
