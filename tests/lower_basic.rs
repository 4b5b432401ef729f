//! Whole-pipeline lowering tests: CLIF functions are compiled (regalloc2's checker on), mapped
//! executable, linked to each other, and called; their results must match the `; run` lines.

use rulesel::compile::{compile_function, CompiledCode, SymbolName};
use rulesel::ir::{self, DataValue, Expectation, ExternalName, Type};
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

/// The host routine behind a libcall name: the JIT's own table.
fn libcall_address(name: &str) -> Option<i64> {
    rulesel::jit::libcalls::address(name).map(|a| a as i64)
}

/// Maps `codes` (name, code) into one executable region and resolves calls between them.
fn load(codes: &[(String, CompiledCode)]) -> Result<Module, String> {
    let mut offsets = Vec::new();
    let mut size = 0usize;
    for (_, c) in codes {
        offsets.push(size);
        size = (size + c.bytes.len() + 15) & !15;
    }
    // Host routines are too far for rel32 calls: each gets a 16-byte trampoline
    // (`jmp [rip]` followed by its address) after the code.
    let trampolines = size;
    let mut far: Vec<String> = Vec::new();
    for (_, c) in codes {
        for s in &c.symbols {
            let n = match s {
                SymbolName::External(n) => name_of(n),
                SymbolName::LibCall(n) => n.clone(),
            };
            if !codes.iter().any(|(name, _)| *name == n) && !far.contains(&n) {
                far.push(n);
            }
        }
    }
    size += 16 * far.len();
    // A GOT entry (the address) for every symbol any code names, after the trampolines.
    let got = size;
    let mut named: Vec<String> = Vec::new();
    for (_, c) in codes {
        for s in &c.symbols {
            let n = match s {
                SymbolName::External(n) => name_of(n),
                SymbolName::LibCall(n) => n.clone(),
            };
            if !named.contains(&n) {
                named.push(n);
            }
        }
    }
    size += 8 * named.len();
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
    for (i, n) in far.iter().enumerate() {
        let at = trampolines + 16 * i;
        let addr = libcall_address(n).ok_or(format!("unresolved symbol {n}"))?;
        mem[at..at + 6].copy_from_slice(&[0xff, 0x25, 0, 0, 0, 0]);
        mem[at + 6..at + 14].copy_from_slice(&addr.to_le_bytes());
    }
    for (i, n) in named.iter().enumerate() {
        let addr = match codes.iter().position(|(name, _)| name == n) {
            Some(k) => base as i64 + offsets[k] as i64,
            None => libcall_address(n).ok_or(format!("unresolved symbol {n}"))?,
        };
        mem[got + 8 * i..got + 8 * i + 8].copy_from_slice(&addr.to_le_bytes());
    }
    let got_entry = |n: &str| {
        named
            .iter()
            .position(|f| f == n)
            .map(|i| base as i64 + (got + 8 * i) as i64)
            .ok_or(format!("no GOT entry for {n}"))
    };
    let trampoline = |n: &str| {
        far.iter()
            .position(|f| f == n)
            .map(|i| base as i64 + (trampolines + 16 * i) as i64)
            .ok_or(format!("unresolved symbol {n}"))
    };
    for ((_, c), &off) in codes.iter().zip(&offsets) {
        for r in &c.relocs {
            let target = match &c.symbols[r.symbol.0 as usize] {
                SymbolName::External(n) => {
                    let n = name_of(n);
                    match codes.iter().position(|(name, _)| *name == n) {
                        Some(i) => base as i64 + offsets[i] as i64,
                        None => trampoline(&n)?,
                    }
                }
                SymbolName::LibCall(n) => trampoline(n)?,
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
                RelocKind::GotPcRel4 => {
                    let n = match &c.symbols[r.symbol.0 as usize] {
                        SymbolName::External(n) => name_of(n),
                        SymbolName::LibCall(n) => n.clone(),
                    };
                    let v = (got_entry(&n)? + r.addend - p) as i32;
                    mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                RelocKind::ElfTlsGd4 => {
                    return Err("thread-local relocations are not loaded by this test".into());
                }
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

/// An argument or result as this harness passes it: integers in GPRs, floats in XMM registers.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Scalar {
    Int(i64),
    I128(i128),
    F32(u32),
    F64(u64),
}

fn scalar(v: &DataValue) -> Option<Scalar> {
    Some(match *v {
        DataValue::F32(x) => Scalar::F32(x.bits()),
        DataValue::F64(x) => Scalar::F64(x.bits()),
        DataValue::I128(x) => Scalar::I128(x),
        _ => Scalar::Int(int_bits(v)?),
    })
}

type IntFn = extern "C" fn(i64, i64, i64, i64, i64, i64, f64, f64, f64, f64) -> i64;
type WideFn = extern "C" fn(i64, i64, i64, i64, i64, i64, f64, f64, f64, f64) -> i128;
type FloatFn = extern "C" fn(i64, i64, i64, i64, i64, i64, f64, f64, f64, f64) -> f64;

/// Calls `f` with at most six integer and four float arguments (System V assigns the two kinds
/// independently, so unused registers are harmless); the result is rax or xmm0 as `ret` says.
fn call(f: *const u8, args: &[Scalar], ret: Type) -> Option<Scalar> {
    let (mut ints, mut floats) = ([0i64; 6], [0f64; 4]);
    let (mut ni, mut nf) = (0, 0);
    for a in args {
        match *a {
            Scalar::Int(v) if ni < 6 => {
                ints[ni] = v;
                ni += 1;
            }
            // An i128 takes two consecutive integer registers, low half first.
            Scalar::I128(v) if ni < 5 => {
                ints[ni] = v as i64;
                ints[ni + 1] = (v >> 64) as i64;
                ni += 2;
            }
            Scalar::F32(b) if nf < 4 => {
                floats[nf] = f64::from_bits(u64::from(b));
                nf += 1;
            }
            Scalar::F64(b) if nf < 4 => {
                floats[nf] = f64::from_bits(b);
                nf += 1;
            }
            _ => return None,
        }
    }
    let (i, x) = (ints, floats);
    if ret == Type::I128 {
        // SAFETY: as below; an i128 result comes back in rax:rdx as Rust's i128 does.
        let f: WideFn = unsafe { std::mem::transmute(f) };
        return Some(Scalar::I128(f(
            i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3],
        )));
    }
    if ret.is_float() {
        // SAFETY: `f` is a compiled System V function with these argument classes.
        let f: FloatFn = unsafe { std::mem::transmute(f) };
        let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]).to_bits();
        Some(if ret == Type::F32 {
            Scalar::F32(r as u32)
        } else {
            Scalar::F64(r)
        })
    } else {
        // SAFETY: as above, with an integer result.
        let f: IntFn = unsafe { std::mem::transmute(f) };
        let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]);
        let bits = ret.bits();
        Some(Scalar::Int(if bits >= 64 {
            r
        } else {
            r & ((1i64 << bits) - 1)
        }))
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Two<A, B>(A, B);
type Fn2<A, B> = extern "C" fn(i64, i64, i64, i64, i64, i64, f64, f64, f64, f64) -> Two<A, B>;

/// A result read back from a register: an integer of `ty`'s width, or float bits.
fn from_reg(ty: Type, int: i64, float: f64) -> Scalar {
    match ty {
        Type::F32 => Scalar::F32(float.to_bits() as u32),
        Type::F64 => Scalar::F64(float.to_bits()),
        _ => Scalar::Int(int),
    }
}

/// Calls `f` returning two scalars: integers come back in rax then rdx, floats in xmm0 then
/// xmm1, as a C function returning a two-field struct of those classes does.
fn call2(f: *const u8, args: &[Scalar], rets: [Type; 2]) -> Option<[Scalar; 2]> {
    let (mut ints, mut floats) = ([0i64; 6], [0f64; 4]);
    let (mut ni, mut nf) = (0, 0);
    for a in args {
        match *a {
            Scalar::Int(v) if ni < 6 => {
                ints[ni] = v;
                ni += 1;
            }
            Scalar::F32(b) if nf < 4 => {
                floats[nf] = f64::from_bits(u64::from(b));
                nf += 1;
            }
            Scalar::F64(b) if nf < 4 => {
                floats[nf] = f64::from_bits(b);
                nf += 1;
            }
            _ => return None,
        }
    }
    let (i, x) = (ints, floats);
    let [a, b] = rets;
    if a.bits() > 64 || b.bits() > 64 || a.is_vector() || b.is_vector() {
        return None;
    }
    // SAFETY (all four): `f` is a compiled System V function with these argument classes
    // returning two values of these classes.
    Some(match (a.is_float(), b.is_float()) {
        (false, false) => {
            let f: Fn2<i64, i64> = unsafe { std::mem::transmute(f) };
            let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]);
            [from_reg(a, r.0, 0.0), from_reg(b, r.1, 0.0)]
        }
        (true, true) => {
            let f: Fn2<f64, f64> = unsafe { std::mem::transmute(f) };
            let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]);
            [from_reg(a, 0, r.0), from_reg(b, 0, r.1)]
        }
        (false, true) => {
            let f: Fn2<i64, f64> = unsafe { std::mem::transmute(f) };
            let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]);
            [from_reg(a, r.0, 0.0), from_reg(b, 0, r.1)]
        }
        (true, false) => {
            let f: Fn2<f64, i64> = unsafe { std::mem::transmute(f) };
            let r = f(i[0], i[1], i[2], i[3], i[4], i[5], x[0], x[1], x[2], x[3]);
            [from_reg(a, 0, r.0), from_reg(b, r.1, 0.0)]
        }
    })
}

/// Equality as run tests mean it: integers by their low bits, floats by bits or both NaN.
fn same(got: Scalar, want: Scalar, ret: Type) -> bool {
    match (got, want) {
        (Scalar::Int(a), Scalar::Int(b)) => {
            let bits = ret.bits();
            let m = |v: i64| {
                if bits >= 64 {
                    v
                } else {
                    v & ((1i64 << bits) - 1)
                }
            };
            m(a) == m(b)
        }
        (Scalar::I128(a), Scalar::I128(b)) => a == b,
        (Scalar::F32(a), Scalar::F32(b)) => {
            a == b || (f32::from_bits(a).is_nan() && f32::from_bits(b).is_nan())
        }
        (Scalar::F64(a), Scalar::F64(b)) => {
            a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
        }
        _ => false,
    }
}

/// The outcome of running one file: (passed runs, failures with messages).
fn run_file(text: &str, fastalloc: bool) -> (usize, Vec<String>) {
    let file = ir::parse_test_file(text).expect("test file parses");
    let mut fl = flags(fastalloc);
    for h in &file.headers {
        if let ir::HeaderKind::Set { name, value } = &h.kind {
            fl.set(name, value.as_deref()).expect("valid setting");
        }
    }
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
    // With the pinned register, compiled code writes r15, which the Rust code calling it here
    // expects preserved; `rulesel run` (whose trampoline saves r15) runs those files.
    if fl.enable_pinned_reg {
        return (passed, failures);
    }
    for tf in &file.functions {
        let sig = &tf.function.signature;
        let name = name_of(&tf.function.name);
        let Some(&(_, entry)) = module.entries.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        for cmd in &tf.run_commands {
            // This harness calls functions of one or two scalar results; the `rulesel run`
            // harness covers the rest.
            let Some(args) = cmd.args.iter().map(scalar).collect::<Option<Vec<Scalar>>>() else {
                continue;
            };
            if let [r0, r1] = &sig.returns[..] {
                let rets = [r0.value_type, r1.value_type];
                let Some(got) = call2(entry, &args, rets) else {
                    continue;
                };
                let want: Option<Vec<Scalar>> = match &cmd.expectation {
                    Expectation::Equal(v) | Expectation::NotEqual(v) => {
                        v.iter().map(scalar).collect()
                    }
                    Expectation::True => None,
                };
                let Some(want) = want.filter(|w| w.len() == 2) else {
                    continue;
                };
                let eq = same(got[0], want[0], rets[0]) && same(got[1], want[1], rets[1]);
                let ok = matches!(cmd.expectation, Expectation::Equal(_)) == eq;
                if ok {
                    passed += 1;
                } else {
                    failures.push(format!("{cmd}: got {got:?}"));
                }
                continue;
            }
            let [ret] = &sig.returns[..] else {
                continue;
            };
            let ret = ret.value_type;
            if (ret.bits() > 64 && ret != Type::I128) || ret.is_vector() {
                continue;
            }
            let Some(got) = call(entry, &args, ret) else {
                continue;
            };
            let want = |v: &[DataValue]| match v {
                [one] => scalar(one),
                _ => None,
            };
            let ok = match &cmd.expectation {
                Expectation::True => got != Scalar::Int(0) && got != Scalar::I128(0),
                Expectation::Equal(v) => want(v).is_some_and(|w| same(got, w, ret)),
                Expectation::NotEqual(v) => want(v).is_some_and(|w| !same(got, w, ret)),
            };
            if ok {
                passed += 1;
            } else {
                failures.push(format!("{cmd}: got {got:?}"));
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

/// Every run of `text` passes, with both register allocators, and there are at least
/// `min_runs` of them.
fn check(text: &str, min_runs: usize) {
    for fastalloc in [false, true] {
        let (passed, failures) = run_file(text, fastalloc);
        assert!(failures.is_empty(), "fastalloc={fastalloc}: {failures:#?}");
        assert!(passed >= min_runs, "only {passed} runs");
    }
}

#[test]
fn the_x64_rules_compile() {
    if let Err(e) = rulesel::isa::x64::lower::rule_program() {
        panic!("{e}");
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
    check(&shared("select.clif"), 10);
}

#[test]
fn shared_rotl() {
    check(&shared("rotl.clif"), 10);
}

#[test]
fn shared_division() {
    for f in ["udiv.clif", "urem.clif", "sdiv.clif", "srem.clif"] {
        check(&shared(f), 10);
    }
}

#[test]
fn shared_float_arithmetic_compares_and_select() {
    for f in [
        "fadd.clif",
        "fsub.clif",
        "fdiv.clif",
        "fneg.clif",
        "fabs.clif",
        "fcmp-gt.clif",
        "fcmp-le.clif",
        "fcmp-lt.clif",
        "fcmp-ne.clif",
        "fcmp-ueq.clif",
        "fcmp-uno.clif",
        "select-float.clif",
        "fpromote.clif",
        "float-bitops.clif",
        "bitcast.clif",
    ] {
        check(&shared(f), 1);
    }
}

/// Code that is compiled but not run: it traps into a debugger or names symbols the tests do
/// not define.
const COMPILE_ONLY: &str = "function %debug(i64) -> i64 {
block0(v0: i64):
    brif v0, block1, block2
block1:
    debugtrap
    jump block2
block2:
    return v0
}
function %symbol() -> i64 {
    gv0 = symbol colocated %somewhere+8
block0:
    v0 = symbol_value.i64 gv0
    return v0
}
";

#[test]
fn code_that_is_not_run_compiles() {
    let file = ir::parse_test_file(COMPILE_ONLY).unwrap();
    for tf in &file.functions {
        let code = compile_function(&tf.function, &flags(false), &IsaFlags::host()).unwrap();
        assert!(!code.bytes.is_empty());
    }
}

/// Operations and forms the shared files do not reach (so every rule fires somewhere).
const OUR_INTEGERS: &str = include_str!("lower_our_ops.clif");

#[test]
fn our_operations() {
    check(OUR_INTEGERS, 74);
}

/// Float operations the shared files do not reach at every width.
const OUR_FLOATS: &str = "target x86_64
target x86_64 has_avx has_fma
function %mul_div_sqrt_f32(f32, f32) -> f32 {
block0(v0: f32, v1: f32):
    v2 = fmul v0, v1
    v3 = fdiv v2, v1
    v4 = sqrt v3
    return v4
}
; run: %mul_div_sqrt_f32(0x1.0p4, 0x1.8p1) == 0x1.0p2
function %mul_div_sqrt_f64(f64, f64) -> f64 {
block0(v0: f64, v1: f64):
    v2 = fmul v0, v1
    v3 = fdiv v2, v1
    v4 = sqrt v3
    return v4
}
; run: %mul_div_sqrt_f64(0x1.0p4, 0x1.8p1) == 0x1.0p2
function %demote(f64) -> f32 {
block0(v0: f64):
    v1 = fdemote.f32 v0
    return v1
}
; run: %demote(0x1.8p1) == 0x1.8p1
function %ordered_compares(f64, f64) -> i8 {
block0(v0: f64, v1: f64):
    v2 = fcmp ord v0, v1
    v3 = fcmp one v0, v1
    v4 = fcmp ult v0, v1
    v5 = fcmp ule v0, v1
    v6 = fcmp ugt v0, v1
    v7 = fcmp uge v0, v1
    v8 = ishl_imm v3, 1
    v9 = ishl_imm v4, 2
    v10 = ishl_imm v5, 3
    v11 = ishl_imm v6, 4
    v12 = ishl_imm v7, 5
    v13 = bor v2, v8
    v14 = bor v13, v9
    v15 = bor v14, v10
    v16 = bor v15, v11
    v17 = bor v16, v12
    return v17
}
; run: %ordered_compares(0x1.0p0, 0x1.0p1) == 15
; run: %ordered_compares(0x1.0p1, 0x1.0p0) == 51
; run: %ordered_compares(0x1.0p0, 0x1.0p0) == 41
; run: %ordered_compares(0x1.0p0, +NaN) == 60
function %float_band_not(f32, f32) -> f32 {
block0(v0: f32, v1: f32):
    v2 = band_not v0, v1
    return v2
}
; run: %float_band_not(-0x1.0p0, -0x0.0) == 0x1.0p0
function %fma_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fma v0, v1, v2
    return v3
}
; run: %fma_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == 0x1.cp2
function %fma_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fma v0, v1, v2
    return v3
}
; run: %fma_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == 0x1.cp2
function %fma_nmsub_a_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fneg v0
    v4 = fneg v2
    v5 = fma v3, v1, v4
    return v5
}
; run: %fma_nmsub_a_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.cp2
function %fma_nmsub_b_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fneg v1
    v4 = fneg v2
    v5 = fma v0, v3, v4
    return v5
}
; run: %fma_nmsub_b_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.cp2
function %fma_msub_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fneg v2
    v4 = fma v0, v1, v3
    return v4
}
; run: %fma_msub_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == 0x1.4p2
function %fma_nmadd_a_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fneg v0
    v4 = fma v3, v1, v2
    return v4
}
; run: %fma_nmadd_a_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.4p2
function %fma_nmadd_b_f32(f32, f32, f32) -> f32 {
block0(v0: f32, v1: f32, v2: f32):
    v3 = fneg v1
    v4 = fma v0, v3, v2
    return v4
}
; run: %fma_nmadd_b_f32(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.4p2
function %fma_nmsub_a_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fneg v0
    v4 = fneg v2
    v5 = fma v3, v1, v4
    return v5
}
; run: %fma_nmsub_a_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.cp2
function %fma_nmsub_b_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fneg v1
    v4 = fneg v2
    v5 = fma v0, v3, v4
    return v5
}
; run: %fma_nmsub_b_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.cp2
function %fma_msub_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fneg v2
    v4 = fma v0, v1, v3
    return v4
}
; run: %fma_msub_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == 0x1.4p2
function %fma_nmadd_a_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fneg v0
    v4 = fma v3, v1, v2
    return v4
}
; run: %fma_nmadd_a_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.4p2
function %fma_nmadd_b_f64(f64, f64, f64) -> f64 {
block0(v0: f64, v1: f64, v2: f64):
    v3 = fneg v1
    v4 = fma v0, v3, v2
    return v4
}
; run: %fma_nmadd_b_f64(0x1.0p1, 0x1.8p1, 0x1.0p0) == -0x1.4p2
";

#[test]
fn our_float_operations() {
    check(OUR_FLOATS, 20);
    let sse = IsaFlags::default();
    let file = ir::parse_test_file(OUR_FLOATS).unwrap();
    for tf in &file.functions {
        compile_function(&tf.function, &flags(false), &sse).expect("SSE2-only code");
    }
}

#[test]
fn shared_rounding_through_sse41_or_libcalls() {
    for f in ["ceil.clif", "floor.clif", "trunc.clif", "nearest.clif"] {
        check(&shared(f), 10);
    }
}

#[test]
fn shared_integer_families() {
    for f in [
        "alias.clif",
        "arithmetic-extends.clif",
        "bitops.clif",
        "bmask.clif",
        "const.clif",
        "div-checks.clif",
        "extend.clif",
        "fold-bitops.clif",
        "icmp.clif",
        "icmp-eq-imm.clif",
        "icmp-of-icmp.clif",
        "icmp-sge.clif",
        "icmp-ult.clif",
        "ineg.clif",
        "shift-right-left.clif",
        "stack.clif",
        "stack-addr-64.clif",
        "call.clif",
        "x64-bmi1.clif",
        "x64-bmi2.clif",
    ] {
        check(&shared(f), 1);
    }
}

/// Every shared run-test file in `tests/lower_passing.txt` (the list may only grow) runs with
/// both allocators under the checker, all of its single-result calls passing.
#[test]
fn shared_files_on_the_passing_list() {
    let list = include_str!("lower_passing.txt");
    let mut files = 0;
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        check(&shared(name), 0);
        files += 1;
    }
    assert!(files >= 125, "{files} files on the list");
}

const FOLD: &str = "function %f(i64, i64) -> i64 {
    ss0 = explicit_slot 16
block0(v0: i64, v1: i64):
    v2 = stack_addr.i64 ss0
    store v0, v2
    store v1, v2+8
    v3 = load.i64 v2+8
    v4 = iadd v0, v3
    v6 = load.i64 v2
    store v4, v2
    v7 = iadd v6, v0
    v8 = load.i64 v2
    v9 = iadd v7, v8
    return v9
}
; run: %f(1, 2) == 5
; run: %f(10, -3) == 27
";

#[test]
fn loads_fold_into_their_user_but_not_across_a_store() {
    // v3's load folds into the add (used once, by the store); v6's load must stay before the
    // store that follows it; v8's folds into the last add.
    check(FOLD, 2);
    let file = ir::parse_test_file(FOLD).unwrap();
    let code = compile_function(
        &file.functions[0].function,
        &flags(false),
        &IsaFlags::host(),
    )
    .unwrap();
    let mut decoder = iced_x86::Decoder::new(64, &code.bytes[..code.code_len as usize], 0);
    let (mut add_mem, mut mov_loads) = (0, 0);
    for inst in &mut decoder {
        let mem_src = inst.op_count() == 2 && inst.op1_kind() == iced_x86::OpKind::Memory;
        if inst.mnemonic() == iced_x86::Mnemonic::Add && mem_src {
            add_mem += 1;
        }
        if inst.mnemonic() == iced_x86::Mnemonic::Mov && mem_src {
            mov_loads += 1;
        }
    }
    assert_eq!((add_mem, mov_loads), (2, 1));
}

#[test]
fn atomic_read_modify_write_returns_old_and_stores_new() {
    // Each function returns old * 1000 + new, the memory being a stack slot.
    let mut text = String::new();
    for (op, ty, a, b, (old, new)) in [
        ("add", "i64", 5, 7, (5, 12)),
        ("sub", "i32", 5, 7, (5, -2)),
        ("and", "i64", 12, 10, (12, 8)),
        ("nand", "i64", 12, 10, (12, -9)),
        ("or", "i16", 12, 3, (12, 15)),
        ("xor", "i8", 12, 10, (12, 6)),
        ("xchg", "i64", 3, 9, (3, 9)),
        ("umin", "i64", 3, -1, (3, 3)),
        ("umax", "i32", 3, -1, (3, -1)),
        ("smin", "i64", 3, -1, (3, -1)),
        ("smax", "i8", 3, -1, (3, 3)),
    ] {
        // Widen to i64 (sextend of an i64 is not valid CLIF).
        let widen = |v: &str| {
            if ty == "i64" {
                format!("iadd_imm {v}, 0")
            } else {
                format!("sextend.i64 {v}")
            }
        };
        text.push_str(&format!(
            "function %rmw_{op}_{ty}({ty}, {ty}) -> i64 {{
    ss0 = explicit_slot 8
block0(v0: {ty}, v1: {ty}):
    v2 = stack_addr.i64 ss0
    store v0, v2
    v3 = atomic_rmw.{ty} {op} v2, v1
    v4 = load.{ty} v2
    v5 = {}
    v6 = {}
    v7 = imul_imm v5, 1000
    v8 = iadd v7, v6
    return v8
}}
; run: %rmw_{op}_{ty}({a}, {b}) == {}
",
            widen("v3"),
            widen("v4"),
            old * 1000 + new
        ));
    }
    check(&text, 11);
}

/// Rule coverage over the passing list: the share of x64 rules that fire at least once.
#[test]
fn most_x64_rules_fire_on_the_passing_list() {
    let prog = rulesel::compile::rule_program().expect("rules compile");
    let mut machine = rulesel::dsl::Machine::new();
    machine.enable_coverage(prog.rule_count());
    let ours = [FOLD, OUR_FLOATS, OUR_INTEGERS, COMPILE_ONLY];
    // Our run tests (`tests/runtests/*.clif`) too: they exist to reach rules the shared
    // files do not.
    let run_tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runtests");
    let mut our_files: Vec<_> = std::fs::read_dir(&run_tests)
        .expect("tests/runtests")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "clif"))
        .collect();
    our_files.sort();
    let files = include_str!("lower_passing.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .map(shared)
        .chain(ours.iter().map(|t| t.to_string()))
        .chain(
            our_files
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("run test")),
        );
    for text in files {
        let file = ir::parse_test_file(&text).unwrap();
        let mut fl = flags(false);
        let mut targets = Vec::new();
        for h in &file.headers {
            match &h.kind {
                ir::HeaderKind::Set { name, value } => fl.set(name, value.as_deref()).unwrap(),
                ir::HeaderKind::Target { isa, flags } if isa == "x86_64" => {
                    targets.extend(IsaFlags::from_words(flags).ok())
                }
                _ => {}
            }
        }
        if targets.is_empty() {
            targets.push(IsaFlags::default());
        }
        // Every x86_64 target line of the file, as `rulesel run` compiles it.
        for isa in &targets {
            for tf in &file.functions {
                rulesel::compile::compile_function_with(&tf.function, &fl, isa, &mut machine)
                    .unwrap();
            }
        }
    }
    let counts = machine.coverage().unwrap();
    let x64: Vec<usize> = (0..counts.len())
        .filter(|&i| {
            prog.rule_label(rulesel::dsl::RuleId(i as u32))
                .starts_with("rules/x64/")
        })
        .collect();
    let unfired: Vec<String> = x64
        .iter()
        .filter(|&&i| counts[i] == 0)
        .map(|&i| prog.rule_label(rulesel::dsl::RuleId(i as u32)))
        .collect();
    let fired = x64.len() - unfired.len();
    println!(
        "{fired} of {} x64 rules fired; never: {unfired:#?}",
        x64.len()
    );
    // A rule that never fires is removed or gets a run test of ours.
    assert!(unfired.is_empty(), "{fired} of {} fired", x64.len());
}

#[test]
fn explain_names_the_rule_of_each_instruction() {
    let file = ir::parse_test_file(
        "function %f(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iconst.i64 5
    v3 = iadd v0, v2
    v4 = imul v3, v1
    return v4
}",
    )
    .unwrap();
    let (steps, code) = rulesel::compile::explain_function(
        &file.functions[0].function,
        &flags(false),
        &IsaFlags::host(),
    )
    .unwrap();
    assert!(!code.bytes.is_empty());
    // iconst folds into the add (a lea) as a displacement: it has no step of its own.
    let insts: Vec<&str> = steps.iter().map(|s| s.inst.as_str()).collect();
    assert_eq!(insts.len(), 3, "{steps:#?}");
    assert!(steps[0]
        .rule
        .as_deref()
        .unwrap()
        .starts_with("rules/x64/arith.rules:"));
    assert!(steps[0].code[0].starts_with("lea"), "{steps:#?}");
    assert!(steps[1].code[0].starts_with("imul"), "{steps:#?}");
    assert!(steps[2].code[0].starts_with("ret"), "{steps:#?}");
}

#[test]
fn windows_fastcall_functions_follow_their_convention() {
    // Five integer arguments: four in rcx, rdx, r8, r9, the fifth on the stack above the
    // shadow space; rsi and rdi are callee-saved there, so using many registers must keep them.
    let text = "function %f(i64, i64, i64, i64, i64) -> i64 windows_fastcall {
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64):
    v5 = imul_imm v1, 10
    v6 = imul_imm v2, 100
    v7 = imul_imm v3, 1000
    v8 = imul_imm v4, 10000
    v9 = iadd v0, v5
    v10 = iadd v9, v6
    v11 = iadd v10, v7
    v12 = iadd v11, v8
    return v12
}";
    let file = ir::parse_test_file(text).unwrap();
    for fastalloc in [false, true] {
        let code = compile_function(
            &file.functions[0].function,
            &flags(fastalloc),
            &IsaFlags::host(),
        )
        .unwrap();
        let module = load(&[("f".to_string(), code)]).unwrap();
        // SAFETY: a compiled Windows x64 function of five integer arguments.
        let f: extern "win64" fn(i64, i64, i64, i64, i64) -> i64 =
            unsafe { std::mem::transmute(module.entries[0].1) };
        assert_eq!(f(1, 2, 3, 4, 5), 54321);
    }
}

#[test]
fn calls_pass_stack_arguments_both_ways() {
    check(
        "function %h(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64) -> i64, f64 {
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64, v5: i64, v6: i64, v7: i64, v8: f64, v9: f64, v10: f64, v11: f64, v12: f64, v13: f64, v14: f64, v15: f64, v16: f64, v17: f64):
    v18 = imul_imm v7, 10
    v19 = iadd v18, v6
    v20 = imul_imm v0, 100
    v21 = iadd v19, v20
    v22 = fsub v17, v16
    v23 = fadd v22, v8
    return v21, v23
}
function %g(i64) -> i64 {
    fn0 = %h(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64) -> i64, f64
block0(v0: i64):
    v1 = iconst.i64 7
    v2 = iconst.i64 3
    v3 = f64const 0x1.0p0
    v4 = f64const 0x1.0p3
    v5 = f64const 0x1.0p5
    v6, v7 = call fn0(v0, v0, v0, v0, v0, v0, v2, v1, v3, v3, v3, v3, v3, v3, v3, v3, v4, v5)
    v8 = fcvt_to_sint.i64 v7
    v9 = imul_imm v8, 1000
    v10 = iadd v6, v9
    return v10
}
; run: %g(2) == 25273
",
        1,
    );
}

/// x86 is little-endian and no rule swaps bytes: a big-endian access is an honest "not
/// supported yet", not a little-endian access (which `rulesel fuzz` found it was).
#[test]
fn big_endian_memory_is_not_supported_yet() {
    for body in [
        "v2 = load.i64 big v0\n    return v2",
        "store big v1, v0\n    return v1",
        "v2 = load.i32 little v0\n    v3 = sextend.i64 v2\n    v4 = load.i64 big v0\n    v5 = iadd v3, v4\n    return v5",
        "v2 = atomic_load.i64 big v0\n    return v2",
    ] {
        let text = format!("function %f(i64, i64) -> i64 {{\nblock0(v0: i64, v1: i64):\n    {body}\n}}\n");
        let file = ir::parse_test_file(&text).unwrap();
        let err = compile_function(&file.functions[0].function, &flags(false), &IsaFlags::host())
            .unwrap_err();
        assert!(
            err.message.contains("not supported yet: big-endian memory accesses"),
            "{body}: {err}"
        );
    }
    let text =
        "function %f(i64 vmctx) -> i64 {\n    gv0 = vmctx\n    gv1 = load.i64 notrap aligned big gv0\n\
                block0(v0: i64):\n    v1 = global_value.i64 gv1\n    return v1\n}\n";
    let file = ir::parse_test_file(text).unwrap();
    let err = compile_function(
        &file.functions[0].function,
        &flags(false),
        &IsaFlags::host(),
    )
    .unwrap_err();
    assert!(err.message.contains("big-endian"), "{err}");
}
