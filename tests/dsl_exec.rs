//! Whole-pipeline tests of the executor on small hand-written term sets: opcode terms with
//! immediates and controlling types, values defined by instructions, enums with fields,
//! rule-defined constructors, guards falling back, coverage, tracing and run-time errors.

use rulesel::dsl::testkit::{fake_env, with_prelude, FakeInst, FakeIr};
use rulesel::dsl::{compile, ExecError, Machine, Reference, RuleProgram};
use rulesel::ir::Type;
use std::cell::RefCell;
use std::rc::Rc;

fn program(src: &str) -> RuleProgram<FakeIr> {
    match compile(with_prelude("t.rules", src), fake_env::<FakeIr>()) {
        Ok(p) => p,
        Err(e) => panic!("{}", e.render()),
    }
}

fn inst(opcode: u32, ty: Type, values: &[u64], imms: &[u64]) -> FakeInst {
    FakeInst {
        opcode,
        ctrl_type: ty,
        values: values.to_vec(),
        imms: imms.to_vec(),
    }
}

const IADD: u32 = 0;
const ISUB: u32 = 1;
const ICONST: u32 = 3;
const LOAD: u32 = 4;

/// Two params (values 0, 1), then: 0: iconst 5 (value 2), 1: iadd v0 v2 (value 3),
/// 2: load v3+8 (value 4), 3: isub v1 v1 (value 5), 4: iadd v0 v1 (value 6).
fn body() -> FakeIr {
    FakeIr {
        params: 2,
        insts: vec![
            inst(ICONST, Type::I64, &[], &[5]),
            inst(IADD, Type::I64, &[0, 2], &[]),
            inst(LOAD, Type::I32, &[3], &[8]),
            inst(ISUB, Type::I8, &[1, 1], &[]),
            inst(IADD, Type::I32, &[0, 1], &[]),
        ],
    }
}

const LOWERING: &str = "
(decl partial lower (Inst) u64)
;; add of a constant: the immediate plus 1000
(rule add_imm 2 (lower (iadd _ (iconst k))) (u64_add 1000 (i64_as_u64 k)))
;; 64-bit add
(rule add64 1 (lower (has_type $I64 (iadd _ _))) 64)
(rule add_any (lower (iadd _ _)) 1)
;; load from an add: address mode folding
(rule load_add 1 (lower (load (iadd _base (iconst off)) disp)) (u64_add (i64_as_u64 off) (u32_as_u64 (i32_as_u32 disp))))
(rule (lower (load _ _)) 3)
;; sub of a value from itself
(rule sub_same (lower (has_type (fits_in_32 _) (isub x x))) 0)
(decl i32_as_u32 (i32) u32)
(extern constructor i32_as_u32 i32_as_u32)
";

fn lowering_env() -> rulesel::dsl::TermEnv<FakeIr> {
    let mut env = fake_env::<FakeIr>();
    env.constructor("i32_as_u32", |_: &mut FakeIr, x: i32| x as u32);
    env
}

#[test]
fn opcode_terms_immediates_types_and_defining_instructions() {
    let prog = compile(with_prelude("t.rules", LOWERING), lowering_env()).unwrap();
    assert!(prog.warnings.is_empty(), "{:?}", prog.warnings);
    let lower = prog.term("lower").unwrap();
    let mut ir = body();
    let mut m = Machine::new();
    let mut results = Vec::new();
    for i in 0..5 {
        let r = m.run(&prog, &mut ir, lower, &[i]).unwrap();
        results.push(r.map(|v| (v, prog.rule_label(m.last_fired().unwrap()))));
    }
    let label = |n: &str, line: u32| format!("t.rules:{line} {n}");
    assert_eq!(results[0], None, "iconst has no rule");
    assert_eq!(results[1], Some((1005, label("add_imm", 4))));
    assert_eq!(results[2], Some((13, label("load_add", 9))));
    assert_eq!(results[3], Some((0, label("sub_same", 12))));
    assert_eq!(results[4], Some((1, label("add_any", 7))));
    ir.insts[4].ctrl_type = Type::I64;
    assert_eq!(m.run(&prog, &mut ir, lower, &[4]), Ok(Some(64)));
    ir.insts[3].ctrl_type = Type::I64;
    assert_eq!(
        m.run(&prog, &mut ir, lower, &[3]),
        Ok(None),
        "i64 does not fit in 32"
    );
}

#[test]
fn enums_with_fields_rule_constructors_and_let() {
    let prog = program(
        "(type Amode (enum (Imm (base Value) (off u64)) (Reg (base Value)) Zero))
         (decl amode (Value u64) Amode)
         (rule 1 (amode v 0) (Amode.Reg v))
         (rule (amode v off) (Amode.Imm v off))
         (decl cost (Amode) u64)
         (rule (cost (Amode.Imm _ off)) (let ((a u64 (u64_add off 1)) (b u64 (u64_mul a 2))) b))
         (rule (cost (Amode.Reg _)) 1)
         (rule (cost (Amode.Zero)) 0)
         (decl total (Value u64) u64)
         (rule (total v off) (cost (amode v off)))",
    );
    let total = prog.term("total").unwrap();
    let mut m = Machine::new();
    let mut ir = body();
    assert_eq!(m.run(&prog, &mut ir, total, &[1, 0]), Ok(Some(1)));
    assert_eq!(m.run(&prog, &mut ir, total, &[1, 20]), Ok(Some(42)));
    let amode = prog.term("amode").unwrap();
    let h = m.run(&prog, &mut ir, amode, &[7, 9]).unwrap().unwrap();
    assert_eq!(m.boxed_variant(h), Some((0, &[7u64, 9][..])));
    assert_eq!(
        Reference::new()
            .run(&prog, &mut ir, total, &[1, 20])
            .unwrap()
            .map(|r| r.1),
        Some(42)
    );
}

#[test]
fn failed_guard_falls_back_to_the_next_rule_in_priority_order() {
    let prog = program(
        "(decl f (u64 u64) u64)
         (rule 3 (f x y) (if (u64_lt x y)) (if-let 0 (u64_and x 1)) 3)
         (rule 2 (f x _) (if-let nz (u64_nonzero x)) (u64_add nz 100))
         (rule 1 (f _ y) y)",
    );
    let f = prog.term("f").unwrap();
    let mut m = Machine::new();
    let mut ir = FakeIr::default();
    assert_eq!(m.run(&prog, &mut ir, f, &[2, 5]), Ok(Some(3)));
    assert_eq!(
        m.run(&prog, &mut ir, f, &[3, 5]),
        Ok(Some(103)),
        "odd x: first guard fails"
    );
    assert_eq!(
        m.run(&prog, &mut ir, f, &[4, 2]),
        Ok(Some(104)),
        "x >= y: first guard fails"
    );
    assert_eq!(
        m.run(&prog, &mut ir, f, &[0, 0]),
        Ok(Some(0)),
        "x = 0: both guards fail"
    );
}

#[test]
fn total_term_without_matching_rule_is_an_error() {
    let prog = program("(decl f (u64) u64)\n(rule (f 1) 1)");
    let f = prog.term("f").unwrap();
    let err = Machine::new().run(&prog, &mut FakeIr::default(), f, &[2]);
    assert_eq!(
        err,
        Err(ExecError::NoRuleMatched {
            term: "f".to_string(),
            args: vec![2]
        })
    );
}

#[test]
fn runaway_recursion_stops_with_an_error() {
    let prog = program("(decl f (u64) u64)\n(rule (f x) (f (u64_add x 1)))");
    let f = prog.term("f").unwrap();
    let err = Machine::new().run(&prog, &mut FakeIr::default(), f, &[0]);
    assert_eq!(
        err,
        Err(ExecError::RecursionLimit {
            term: "f".to_string()
        })
    );
}

#[test]
fn coverage_counts_firings_and_trace_sees_each_one() {
    let prog = compile(with_prelude("t.rules", LOWERING), lowering_env()).unwrap();
    let lower = prog.term("lower").unwrap();
    let mut m = Machine::new();
    m.enable_coverage(prog.rule_count());
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    m.set_trace(Some(Box::new(move |rule, input, result| {
        log.borrow_mut().push((rule, input.to_vec(), result));
    })));
    let mut ir = body();
    for i in 0..5 {
        m.run(&prog, &mut ir, lower, &[i]).unwrap();
    }
    let counts = m.coverage().unwrap().to_vec();
    let add_imm = prog.rule_named("add_imm").unwrap();
    let add64 = prog.rule_named("add64").unwrap();
    assert_eq!(counts[add_imm.0 as usize], 1);
    assert_eq!(counts[add64.0 as usize], 0);
    let report = prog.coverage_report(&counts);
    assert!(report.contains("1  t.rules:4 add_imm\n"), "{report}");
    assert!(
        report.contains("0  t.rules:6 add64  (never fired)\n"),
        "{report}"
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], (add_imm, vec![1], 1005));
}

#[test]
fn executor_needs_no_allocation_once_warm() {
    // The slot stack and arena are reused: their capacity stops growing after a first pass.
    let prog = compile(with_prelude("t.rules", LOWERING), lowering_env()).unwrap();
    let lower = prog.term("lower").unwrap();
    let mut m = Machine::new();
    let mut ir = body();
    for i in 0..5 {
        m.run(&prog, &mut ir, lower, &[i]).unwrap();
    }
    let before = m.capacity();
    for _ in 0..100 {
        for i in 0..5 {
            m.run(&prog, &mut ir, lower, &[i]).unwrap();
        }
    }
    assert_eq!(m.capacity(), before);
}

#[test]
fn host_terms_need_no_declaration() {
    // As the x64 back end does for its instruction table: one constructor per row, declared
    // and bound from Rust.
    let mut env = fake_env::<FakeIr>();
    for (row, name) in ["x64_add", "x64_sub"].into_iter().enumerate() {
        env.host_constructor(
            name,
            &["Value", "Value"],
            "u64",
            false,
            move |_, args, out| {
                out[0] = 1000 * (row as u64 + 1) + args[0] * 10 + args[1];
                true
            },
        );
    }
    let src = "(decl partial lower (Inst) u64)
        (rule (lower (iadd x y)) (x64_add x y))
        (rule (lower (isub x y)) (x64_sub x y))";
    let prog = compile(with_prelude("t.rules", src), env).unwrap();
    let lower = prog.term("lower").unwrap();
    let mut ir = body();
    let mut m = Machine::new();
    assert_eq!(m.run(&prog, &mut ir, lower, &[1]), Ok(Some(1002)));
    assert_eq!(m.run(&prog, &mut ir, lower, &[3]), Ok(Some(2011)));
}

#[test]
fn host_term_with_unknown_type_is_located_in_the_host_file() {
    let mut env = fake_env::<FakeIr>();
    env.host_constructor("x64_mov", &["Gpr"], "u64", false, |_, _, _| true);
    let e = compile(with_prelude("t.rules", ""), env)
        .err()
        .expect("unknown type");
    let d = e.errors().next().unwrap();
    assert_eq!(d.message, "unknown type `Gpr`");
    assert_eq!(e.sources.line_text(d.span), "(host-term x64_mov (Gpr) u64)");
}

#[test]
fn host_term_with_too_many_arguments_is_rejected() {
    let mut env = fake_env::<FakeIr>();
    env.host_constructor("wide", &["u64"; 17], "u64", false, |_, _, _| true);
    let e = compile(with_prelude("t.rules", ""), env)
        .err()
        .expect("too wide");
    let d = e.errors().next().unwrap();
    assert_eq!(d.message, "host terms take at most 16 arguments");
    assert!(e.sources.line_text(d.span).starts_with("(host-term wide"));
}
