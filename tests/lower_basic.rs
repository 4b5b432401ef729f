//! Whole-pipeline lowering tests: CLIF functions are compiled (regalloc2's checker on), mapped
//! executable, linked to each other, and called; their results must match the `; run` lines.

use rulesel::compile::{compile_function, CompiledCode, SymbolName};
use rulesel::ir::{self, DataValue, Expectation, ExternalName};
use rulesel::isa::x64::IsaFlags;
use rulesel::machinst::buffer::RelocKind;
use rulesel::settings::{Flags, RegallocAlgorithm};
use std::path::Path;

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
}
const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const PROT_EXEC: i32 = 4;
const MAP_PRIVATE: i32 = 2;
const MAP_ANONYMOUS: i32 = 0x20;

/// Compiled functions of one file, mapped executable (the mapping is never freed: tests are
/// short-lived processes).
struct Module {
    entries: Vec<(String, *const u8)>,
}

fn name_of(n: &ExternalName) -> String {
    match n {
        ExternalName::TestCase(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Maps `codes` (name, code) into one executable region and resolves calls between them.
fn load(codes: &[(String, CompiledCode)]) -> Result<Module, String> {
    let mut offsets = Vec::new();
    let mut size = 0usize;
    for (_, c) in codes {
        offsets.push(size);
        size = (size + c.bytes.len() + 15) & !15;
    }
    let len = (size.max(1) + 4095) & !4095;
    // SAFETY: an anonymous private mapping of `len` bytes; checked for failure below.
    let base = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if base as isize == -1 {
        return Err("mmap failed".into());
    }
    // SAFETY: the mapping is `len` bytes, writable, and every write below stays inside it.
    let mem = unsafe { std::slice::from_raw_parts_mut(base, len) };
    for ((_, c), &off) in codes.iter().zip(&offsets) {
        mem[off..off + c.bytes.len()].copy_from_slice(&c.bytes);
    }
    for ((_, c), &off) in codes.iter().zip(&offsets) {
        for r in &c.relocs {
            let target = match &c.symbols[r.symbol.0 as usize] {
                SymbolName::External(n) => {
                    let n = name_of(n);
                    let i = codes
                        .iter()
                        .position(|(name, _)| *name == n)
                        .ok_or(format!("unresolved symbol {n}"))?;
                    base as i64 + offsets[i] as i64
                }
                SymbolName::LibCall(n) => return Err(format!("no libcall {n} in tests")),
            };
            let at = off + r.offset as usize;
            let p = base as i64 + at as i64;
            match r.kind {
                RelocKind::CallPlt4 | RelocKind::PcRel4 => {
                    let v = (target + r.addend - p) as i32;
                    mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                RelocKind::Abs8 => {
                    let v = target + r.addend;
                    mem[at..at + 8].copy_from_slice(&v.to_le_bytes());
                }
                RelocKind::GotPcRel4 => return Err("GOT relocation in a test".into()),
            }
        }
    }
    // SAFETY: the region holds only code we wrote; it becomes read-only and executable.
    if unsafe { mprotect(base, len, PROT_READ | PROT_EXEC) } != 0 {
        return Err("mprotect failed".into());
    }
    let entries = codes
        .iter()
        .zip(&offsets)
        // SAFETY: `off` is inside the mapping.
        .map(|((n, _), &off)| (n.clone(), unsafe { base.add(off) } as *const u8))
        .collect();
    Ok(Module { entries })
}

fn flags(fastalloc: bool) -> Flags {
    Flags {
        regalloc_checker: true,
        regalloc_algorithm: if fastalloc {
            RegallocAlgorithm::SinglePass
        } else {
            RegallocAlgorithm::Backtracking
        },
        ..Flags::default()
    }
}

fn int_bits(v: &DataValue) -> Option<i64> {
    Some(match *v {
        DataValue::I8(x) => i64::from(x),
        DataValue::I16(x) => i64::from(x),
        DataValue::I32(x) => i64::from(x),
        DataValue::I64(x) => x,
        _ => return None,
    })
}

/// Calls `f` with up to six integer arguments; the result is rax.
fn call_int(f: *const u8, args: &[i64]) -> i64 {
    let mut a = [0i64; 6];
    a[..args.len()].copy_from_slice(args);
    // SAFETY: `f` is a compiled System V function taking at most six integer arguments and
    // returning at most one integer; extra register arguments are ignored by the callee.
    let f: extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64 = unsafe { std::mem::transmute(f) };
    f(a[0], a[1], a[2], a[3], a[4], a[5])
}

/// The outcome of running one file: (passed runs, failures with messages).
fn run_file(text: &str, fastalloc: bool) -> (usize, Vec<String>) {
    let file = ir::parse_test_file(text).expect("test file parses");
    let fl = flags(fastalloc);
    let isa = IsaFlags::host();
    let mut codes = Vec::new();
    let mut failures = Vec::new();
    for tf in &file.functions {
        match compile_function(&tf.function, &fl, &isa) {
            Ok(c) => codes.push((name_of(&tf.function.name), c)),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let module = match load(&codes) {
        Ok(m) => m,
        Err(e) => {
            failures.push(e);
            return (0, failures);
        }
    };
    let mut passed = 0;
    for tf in &file.functions {
        let sig = &tf.function.signature;
        let name = name_of(&tf.function.name);
        let Some(&(_, entry)) = module.entries.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        for cmd in &tf.run_commands {
            let args: Option<Vec<i64>> = cmd.args.iter().map(int_bits).collect();
            // This harness calls integer functions of one result only; the `rulesel run`
            // harness covers the rest.
            let (Some(args), [ret]) = (args, &sig.returns[..]) else {
                continue;
            };
            if args.len() > 6 || !ret.value_type.is_int() || ret.value_type.bits() > 64 {
                continue;
            }
            let bits = ret.value_type.bits();
            let mask = |v: i64| {
                if bits == 64 {
                    v
                } else {
                    v & ((1i64 << bits) - 1)
                }
            };
            let got = mask(call_int(entry, &args));
            let ok = match &cmd.expectation {
                Expectation::True => got != 0,
                Expectation::Equal(v) => v.len() == 1 && int_bits(&v[0]).map(mask) == Some(got),
                Expectation::NotEqual(v) => v.len() == 1 && int_bits(&v[0]).map(mask) != Some(got),
            };
            if ok {
                passed += 1;
            } else {
                failures.push(format!("{cmd}: got {got}"));
            }
        }
    }
    (passed, failures)
}

fn shared(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/clif-runtests")
        .join(name);
    std::fs::read_to_string(path).expect("shared run test exists")
}

fn check(text: &str, min_runs: usize) {
    check_except(text, &[], min_runs);
}

/// Like `check`, but functions that fail to compile with a message naming one of `gaps` (a
/// known missing feature, such as float compares) are left out.
fn check_except(text: &str, gaps: &[&str], min_runs: usize) {
    for fastalloc in [false, true] {
        let (passed, failures) = run_file(text, fastalloc);
        let real: Vec<&String> = failures
            .iter()
            .filter(|m| !(m.contains("not supported yet") && gaps.iter().any(|g| m.contains(g))))
            .collect();
        assert!(real.is_empty(), "fastalloc={fastalloc}: {real:#?}");
        assert!(passed >= min_runs, "only {passed} runs");
    }
}

#[test]
fn arithmetic_and_constants() {
    check(
        "function %f(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    v3 = iconst.i64 3
    v4 = imul v2, v3
    v5 = isub v4, v0
    v6 = iconst.i64 0x1234_5678_9abc
    v7 = bxor v5, v6
    return v7
}
; run: %f(1, 2) == 0x1234_5678_9ab4
; run: %f(-5, 7) == 0x1234_5678_9ab7
",
        2,
    );
}

#[test]
fn shared_fibonacci() {
    check(&shared("fibonacci.clif"), 16);
}

#[test]
fn shared_brif() {
    check(&shared("brif.clif"), 10);
}

#[test]
fn shared_arithmetic() {
    check(&shared("arithmetic.clif"), 20);
}

#[test]
fn shared_br() {
    check(&shared("br.clif"), 10);
}

#[test]
fn shared_select() {
    // Float compares and i128 conditions are not lowered yet.
    check_except(&shared("select.clif"), &["f32", "f64", "select_i128"], 10);
}

#[test]
fn shared_rotl() {
    check_except(&shared("rotl.clif"), &["i128"], 10);
}

#[test]
fn shared_division() {
    for f in ["udiv.clif", "urem.clif", "sdiv.clif", "srem.clif"] {
        check_except(&shared(f), &["i128"], 10);
    }
}
