//! Calls across the boundary with C, executed. Until lowering exists, the generated functions
//! are assembled here from table instructions, but every location comes from the ABI layer
//! (`AbiLayout`, `arg_passes`, `call_plan`, `FrameLayout`, prologue and epilogue), so these
//! tests check the layer against what GCC does for `extern` System V and `ms_abi` functions:
//!
//! - `recv`: C calls a generated function with many mixed arguments; it stores each one
//!   where C can compare it with what was passed.
//! - `send`: a generated function loads values and calls a C function with many mixed
//!   arguments, which checks them; its result comes back through the generated function.
//! - `clobber`: a generated function that overwrites every allocatable register, called from
//!   an assembly harness that checks the convention's callee-saved registers afterwards.
//!
//! The layer follows Cranelift 0.135 where Cranelift and GCC part ways, so those cases are not
//! asked of GCC: an `i128` under Windows x64 (Cranelift: two halves, one position each, and
//! rax:rdx for a result; GCC and LLVM 18+: by reference, and xmm0), and a System V `i128`
//! that goes to the stack while integer registers are left (Cranelift does not use them for
//! later arguments; GCC does). Calls between rulesel's and Cranelift's code are checked by the
//! mixed modules of the differential campaign.

use std::process::Command;

mod abi_support;
use abi_support::{assemble, inst, r, Program, Step};

use regalloc2::{PReg, PRegSet, RegClass};
use rulesel::ir::{AbiParam, ArgumentExtension, CallConv, Signature, Type};
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest};
use rulesel::isa::x64::abi::moves::{
    arg_passes, call_plan, callee_amode, caller_amode, outgoing_amode, ret_passes, sret_return,
    ArgPass, Extend, Place, ValuePart,
};
use rulesel::isa::x64::abi::prologue::{epilogue, prologue};
use rulesel::isa::x64::abi::{callee_saved, machine_env, AbiLayout};
use rulesel::isa::x64::amode::Amode;
use rulesel::isa::x64::inst::Arg;
use rulesel::isa::x64::regs::{gpr, xmm, R10, R11, R12, RAX, RBX};
use rulesel::isa::x64::rows::Op;
use rulesel::module::Module;
use rulesel::settings::Flags;

/// LLVM's extensions (a third System V result register, f128 under Windows x64).
fn flags() -> Flags {
    Flags {
        enable_llvm_abi_extensions: true,
        ..Flags::default()
    }
}

/// The value argument `i` carries, as a C expression of its C type.
fn c_value(i: usize, ty: Type) -> String {
    let n = i as u64 + 1;
    match ty {
        Type::I8 => format!("0x{:x}", 0x80 + n),
        Type::I16 => format!("0x{:x}", 0x8000 + n * 3),
        Type::I32 => format!("0x{:x}", 0x8000_0000u64 + n * 7),
        Type::I64 => format!("(int64_t)0x{:x}", 0x8123_4567_0000_0000u64 + n),
        Type::I128 => format!(
            "(((__int128)0x{:x} << 64) | 0x{:x})",
            0x7eed_0000_0000_0000u64 + n,
            0x9abc_0000_0000_0000u64 + n
        ),
        Type::F32 => format!("{}.5f", n * 3),
        Type::F64 => format!("{}.25", n * 1000 + 1),
        // Exact in binary128, not in binary64: a double-rounded value would differ.
        Type::F128 => format!(
            "({}.0Q + 1.0Q / 1099511627776.0Q / 1099511627776.0Q)",
            n * 7
        ),
        other => panic!("no C value for {other}"),
    }
}

fn c_type(ty: Type, ext: ArgumentExtension) -> &'static str {
    let unsigned = ext == ArgumentExtension::Uext;
    match (ty, unsigned) {
        (Type::I8, false) => "int8_t",
        (Type::I8, true) => "uint8_t",
        (Type::I16, false) => "int16_t",
        (Type::I16, true) => "uint16_t",
        (Type::I32, false) => "int32_t",
        (Type::I32, true) => "uint32_t",
        (Type::I64, _) => "int64_t",
        (Type::I128, _) => "__int128",
        (Type::F32, _) => "float",
        (Type::F64, _) => "double",
        (Type::F128, _) => "__float128",
        (other, _) => panic!("no C type for {other}"),
    }
}

/// `i64 ptr` first, then the mixed parameters in a compact notation (`i8:sext`, `f32`, …).
fn signature(cc: CallConv, first: &[&str], mixed: &str) -> Signature {
    let mut sig = Signature::new(cc);
    for p in first.iter().copied().chain(mixed.split_whitespace()) {
        let (ty, ext) = p.split_once(':').unwrap_or((p, ""));
        let param = AbiParam::new(Type::parse(ty).unwrap());
        sig.params.push(match ext {
            "uext" => param.uext(),
            "sext" => param.sext(),
            _ => param,
        });
    }
    sig
}

/// Byte `offset` of the 16-byte slot of parameter `i` in the buffer C shares with us.
fn slot(base: PReg, i: usize, offset: i32) -> Arg {
    Arg::Mem(Amode::base_disp(base, 16 * i as i32 + offset))
}

fn store_op(ty: Type) -> Op {
    match ty {
        Type::I8 => Op::mov_m8_r8,
        Type::I16 => Op::mov_m16_r16,
        Type::I32 => Op::mov_m32_r32,
        Type::F32 => Op::movss_m32_x,
        Type::F64 => Op::movsd_m64_x,
        Type::F128 | Type::I128 => Op::movdqu_m128_x,
        _ => Op::mov_m64_r64,
    }
}

/// A load that produces the value as the ABI wants it in a 64-bit register or an XMM register.
fn load_op(ty: Type, extend: Option<Extend>) -> Op {
    match (ty, extend) {
        (Type::F32, _) => Op::movss_x_m32,
        (Type::F64, _) => Op::movsd_x_m64,
        // A whole f128 in one place is a result in xmm0.
        (Type::F128 | Type::I128, _) => Op::movdqu_x_xm128,
        (Type::I8, Some(Extend { signed: true, .. })) => Op::movsx_r64_rm8,
        (Type::I8, Some(_)) => Op::movzx_r64_rm8,
        (Type::I16, Some(Extend { signed: true, .. })) => Op::movsx_r64_rm16,
        (Type::I16, Some(_)) => Op::movzx_r64_rm16,
        (Type::I32, Some(Extend { signed: true, .. })) => Op::movsxd_r64_rm32,
        _ => Op::mov_r64_rm64,
    }
}

fn scratch(ty: Type) -> PReg {
    if ty.is_float() {
        xmm(15)
    } else {
        R11
    }
}

fn frame_for(abi: &AbiLayout, clobbered: &[PReg], outgoing: u32, leaf: bool) -> FrameLayout {
    let req = FrameRequest {
        stack_slots: &[],
        spill_slots: 0,
        outgoing_area_size: outgoing,
        clobbered: clobbered.iter().copied().collect(),
        is_leaf: leaf,
        tail_call_args_size: 0,
    };
    FrameLayout::compute(abi, &req, &flags()).unwrap()
}

/// `void recv(slot *buf, args…)`: stores argument `i` into `buf[i]`.
fn recv_function(sig: &Signature) -> Vec<u8> {
    let abi = AbiLayout::compute(sig, &flags()).unwrap();
    let frame = frame_for(&abi, &[xmm(15)], 0, true);
    let passes = arg_passes(&abi);
    let mut steps = vec![Step::Frame(prologue(&frame, &flags(), None))];
    let ArgPass::Part(ValuePart {
        place: Place::Reg(buf),
        ..
    }) = passes[0]
    else {
        panic!("the buffer pointer comes in a register")
    };
    steps.push(inst(Op::mov_r64_rm64, &[r(buf)], &[RAX]));
    for pass in &passes[1..] {
        let part = match *pass {
            ArgPass::Part(part) => part,
            ArgPass::ByRef { value, pointer, .. } => {
                // The address of the caller's copy, then the 16 bytes it points to.
                let ptr = match pointer {
                    Place::Reg(reg) => reg,
                    stack => {
                        let from = Arg::Mem(callee_amode(stack).unwrap());
                        steps.push(inst(Op::mov_r64_rm64, &[from], &[R11]));
                        R11
                    }
                };
                let from = Arg::Mem(Amode::base_disp(ptr, 0));
                steps.push(inst(Op::movdqu_x_xm128, &[from], &[xmm(15)]));
                steps.push(inst(
                    Op::movdqu_m128_x,
                    &[slot(RAX, value, 0), r(xmm(15))],
                    &[],
                ));
                continue;
            }
            ref other => panic!("{other:?}"),
        };
        let at = slot(RAX, part.value, 8 * i32::from(part.part));
        let reg = match part.place {
            Place::Reg(reg) => reg,
            stack => {
                let tmp = scratch(part.ty);
                let from = Arg::Mem(callee_amode(stack).unwrap());
                steps.push(inst(load_op(part.ty, None), &[from], &[tmp]));
                tmp
            }
        };
        steps.push(inst(store_op(part.ty), &[at, r(reg)], &[]));
    }
    steps.push(Step::Frame(epilogue(&frame).unwrap()));
    assemble(&steps, &frame)
}

/// `int64_t send(slot *buf, int64_t (*fn)(args…))`: loads argument `i` from `buf[i]`, calls
/// `fn` and returns its result.
fn send_function(cc: CallConv, callee: &Signature) -> Vec<u8> {
    let mut own = Signature::new(cc);
    own.params = vec![AbiParam::new(Type::I64); 2];
    own.returns = vec![AbiParam::new(Type::I64)];
    let own_abi = AbiLayout::compute(&own, &flags()).unwrap();
    let callee_abi = AbiLayout::compute(callee, &flags()).unwrap();
    let plan = call_plan(&callee_abi, &flags(), false);
    let mut clobbered = plan.clobbers;
    for reg in [RBX, R12, R11, xmm(15)] {
        clobbered.add(reg);
    }
    let clobbered: Vec<PReg> = clobbered.into_iter().collect();
    let frame = frame_for(&own_abi, &clobbered, plan.outgoing_area_size, false);
    let own_args = arg_passes(&own_abi);
    let reg_of = |p: &ArgPass| match p {
        ArgPass::Part(ValuePart {
            place: Place::Reg(reg),
            ..
        }) => *reg,
        other => panic!("{other:?}"),
    };
    let mut steps = vec![
        Step::Frame(prologue(&frame, &flags(), None)),
        inst(Op::mov_r64_rm64, &[r(reg_of(&own_args[0]))], &[RBX]),
        inst(Op::mov_r64_rm64, &[r(reg_of(&own_args[1]))], &[R12]),
    ];
    // Stack arguments and by-reference copies first (through scratch registers), then the
    // argument registers.
    for pass in &plan.args {
        match *pass {
            ArgPass::Part(part) if !matches!(part.place, Place::Reg(_)) => {
                let tmp = scratch(part.ty);
                let from = slot(RBX, part.value, 8 * i32::from(part.part));
                steps.push(inst(load_op(part.ty, part.extend), &[from], &[tmp]));
                let to = Arg::Mem(caller_amode(&callee_abi, part.place).unwrap());
                let store_ty = if part.extend.is_some() {
                    Type::I64
                } else {
                    part.ty
                };
                steps.push(inst(store_op(store_ty), &[to, r(tmp)], &[]));
            }
            ArgPass::ByRef {
                value,
                pointer,
                copy,
                ..
            } => {
                let copy_at = Arg::Mem(outgoing_amode(copy));
                steps.push(inst(Op::movdqu_x_xm128, &[slot(RBX, value, 0)], &[xmm(15)]));
                steps.push(inst(Op::movdqu_m128_x, &[copy_at, r(xmm(15))], &[]));
                if !matches!(pointer, Place::Reg(_)) {
                    steps.push(inst(Op::lea_r64, &[copy_at], &[R11]));
                    let to = Arg::Mem(caller_amode(&callee_abi, pointer).unwrap());
                    steps.push(inst(Op::mov_m64_r64, &[to, r(R11)], &[]));
                }
            }
            _ => {}
        }
    }
    for pass in &plan.args {
        match *pass {
            ArgPass::Part(part) => {
                if let Place::Reg(reg) = part.place {
                    let from = slot(RBX, part.value, 8 * i32::from(part.part));
                    steps.push(inst(load_op(part.ty, part.extend), &[from], &[reg]));
                }
            }
            ArgPass::ByRef {
                pointer: Place::Reg(reg),
                copy,
                ..
            } => steps.push(inst(Op::lea_r64, &[Arg::Mem(outgoing_amode(copy))], &[reg])),
            _ => {}
        }
    }
    steps.push(inst(Op::call_rm64, &[r(R12)], &[]));
    steps.push(Step::Frame(epilogue(&frame).unwrap()));
    assemble(&steps, &frame)
}

const SYSV_MIXED: &str = "i64 f64 i32:sext f32 i8:uext f64 i16:sext i64 f64 i128 f32 i64 \
     f64 i8:sext f64 i64 f64 i32:uext f32 i16:uext f64 i128 i64 f64";
const WINDOWS_MIXED: &str = "f64 i32:sext i64 f32 i64 i8:uext f64 i16:sext i64 f64 f32 \
     i16:uext i64 f64 i8:sext f64 i32:uext";

/// Does GCC lay `sig` out as the ABI layer (Cranelift's rules) does? Not when an i128 appears
/// under Windows x64, nor when a System V i128 goes to the stack while integer registers are
/// left for a later integer argument (see the module documentation).
fn gcc_agrees(sig: &Signature) -> bool {
    let is_int = |t: Type| t.is_int();
    if sig.call_conv == CallConv::WindowsFastcall {
        return !sig.params.iter().any(|p| p.value_type == Type::I128);
    }
    let mut used = 0;
    for (k, p) in sig.params.iter().enumerate() {
        if p.value_type == Type::I128 {
            if used + 2 <= 6 {
                used += 2;
            } else {
                let later_int = sig.params[k + 1..].iter().any(|q| is_int(q.value_type));
                if used < 6 && later_int {
                    return false;
                }
                used = 6;
            }
        } else if is_int(p.value_type) {
            used = (used + 1).min(6);
        }
    }
    true
}

fn attr(cc: CallConv) -> &'static str {
    if cc == CallConv::WindowsFastcall {
        "__attribute__((ms_abi)) "
    } else {
        ""
    }
}

/// The C parameter list of `sig` from index `from`, as `T a1, T a2, …`.
fn c_params(sig: &Signature, from: usize) -> String {
    sig.params[from..]
        .iter()
        .enumerate()
        .map(|(k, p)| format!("{} a{}", c_type(p.value_type, p.extension), k + from))
        .collect::<Vec<_>>()
        .join(", ")
}

const C_PRELUDE: &str = "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n\
     typedef struct { unsigned char b[16]; } slot;\nstatic int bad;\n";

/// One signature checked both ways against the C compiler: C calls the generated `recv{n}`,
/// and the generated `send{n}` calls the C function `check{n}`. Returns the C definitions, the
/// statements for `main`, and the generated functions. `sig` starts with a dummy `i64`, so that
/// value `i` sits in `buf[i]`.
fn c_round_trip(n: usize, sig: &Signature) -> (String, String, Vec<(String, Vec<u8>)>) {
    let cc = sig.call_conv;
    let ty = |k: usize| c_type(sig.params[k].value_type, sig.params[k].extension);
    let value = |k: usize| format!("({}){}", ty(k), c_value(k, sig.params[k].value_type));
    let params = sig.params.len();
    let mut defs = format!(
        "{a}void recv{n}(slot *buf, {p});\n{a}int64_t send{n}(slot *buf, void *fn);\n\
         {a}int64_t check{n}(int64_t a0, {p}) {{\n  (void)a0;\n",
        a = attr(cc),
        p = c_params(sig, 1)
    );
    for k in 1..params {
        defs += &format!("  if (a{k} != {}) return 1000 + {k};\n", value(k));
    }
    defs += "  return 0x600d;\n}\n";

    let args: Vec<String> = (1..params).map(value).collect();
    let mut main = format!(
        "  {{ static slot buf[{params}];\n    recv{n}(buf, {});\n",
        args.join(", ")
    );
    for k in 1..params {
        main += &format!(
            "    {{ {t} v = {}; if (memcmp(&buf[{k}], &v, sizeof v)) {{ printf(\"recv{n} arg {k}\\n\"); bad = 1; }} }}\n",
            value(k),
            t = ty(k)
        );
    }
    main += "    memset(buf, 0, sizeof buf);\n";
    for k in 1..params {
        main += &format!(
            "    {{ {t} v = {}; memcpy(&buf[{k}], &v, sizeof v); }}\n",
            value(k),
            t = ty(k)
        );
    }
    main += &format!(
        "    int64_t r = send{n}(buf, (void *)check{n});\n\
         \x20   if (r != 0x600d) {{ printf(\"send{n} %ld\\n\", (long)r); bad = 1; }} }}\n"
    );
    let functions = vec![
        (format!("recv{n}"), recv_function(sig)),
        (format!("send{n}"), send_function(cc, sig)),
    ];
    (defs, main, functions)
}

/// Builds and runs one C program checking every signature with [`c_round_trip`].
fn check_against_c(name: &str, sigs: &[Signature]) -> String {
    let mut c = String::from(C_PRELUDE);
    let mut main = String::new();
    let mut functions = Vec::new();
    for (n, sig) in sigs.iter().enumerate() {
        let (d, m, f) = c_round_trip(n, sig);
        c += &d;
        main += &m;
        functions.extend(f);
    }
    c += &format!(
        "int main(void) {{\n{main}  printf(bad ? \"bad\\n\" : \"ok\\n\");\n  return 0;\n}}\n"
    );
    let functions: Vec<(&str, Vec<u8>)> = functions
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    Program::build(name, &c, &functions, "").run()
}

#[test]
fn c_and_generated_functions_call_each_other_with_many_mixed_arguments() {
    let sigs = [
        signature(CallConv::SystemV, &["i64"], SYSV_MIXED),
        signature(CallConv::WindowsFastcall, &["i64"], WINDOWS_MIXED),
    ];
    assert!(sigs.iter().all(|s| s.params.len() > 12));
    assert_eq!(check_against_c("mixed", &sigs), "ok");
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

#[test]
fn random_signatures_agree_with_the_c_compiler() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut sigs = Vec::new();
    for cc in [CallConv::SystemV, CallConv::WindowsFastcall] {
        for _ in 0..40 {
            let count = 1 + rng.next(30) as usize;
            let params: Vec<&str> = (0..count)
                .map(|_| {
                    [
                        "i8:sext", "i8:uext", "i16:sext", "i16:uext", "i32", "i32:sext", "i64",
                        "i64", "f32", "f64", "f64", "i128", "f128",
                    ][rng.next(13) as usize]
                })
                .collect();
            let sig = signature(cc, &["i64"], &params.join(" "));
            if gcc_agrees(&sig) {
                sigs.push(sig);
            }
        }
    }
    assert!(sigs.len() > 50, "{} signatures", sigs.len());
    assert_eq!(check_against_c("random", &sigs), "ok");
}

fn rust_type(ty: Type, ext: ArgumentExtension) -> &'static str {
    let unsigned = ext == ArgumentExtension::Uext;
    match (ty, unsigned) {
        (Type::I8, false) => "i8",
        (Type::I8, true) => "u8",
        (Type::I16, false) => "i16",
        (Type::I16, true) => "u16",
        (Type::I32, false) => "i32",
        (Type::I32, true) => "u32",
        (Type::I64, _) => "i64",
        (Type::I128, _) => "i128",
        (Type::F32, _) => "f32",
        (Type::F64, _) => "f64",
        (other, _) => panic!("no Rust type for {other}"),
    }
}

fn rust_value(i: usize, ty: Type, ext: ArgumentExtension) -> String {
    let n = i as u64 + 1;
    let t = match ty {
        Type::F32 | Type::F64 => "",
        _ => rust_type(ty, ext),
    };
    match ty {
        Type::I8 => format!("{:#x}u8 as {t}", 0x80 + n),
        Type::I16 => format!("{:#x}u16 as {t}", 0x8000 + n * 3),
        Type::I32 => format!("{:#x}u32 as {t}", 0x8000_0000u64 + n * 7),
        Type::I64 => format!("{:#x}u64 as i64", 0x8123_4567_0000_0000u64 + n),
        Type::I128 => format!(
            "(({:#x}u128 << 64) | {:#x}u128) as i128",
            0x7eed_0000_0000_0000u64 + n,
            0x9abc_0000_0000_0000u64 + n
        ),
        Type::F32 => format!("{}.5f32", n * 3),
        Type::F64 => format!("{}.25f64", n * 1000 + 1),
        other => panic!("no Rust value for {other}"),
    }
}

/// A Rust program that calls `recv` and `send` through `extern "C"` or `extern "win64"` and
/// gives `send` a Rust callee.
fn rust_program(cc: CallConv, sig: &Signature) -> String {
    let abi = if cc == CallConv::WindowsFastcall {
        "win64"
    } else {
        "C"
    };
    let params = |from: usize| {
        sig.params[from..]
            .iter()
            .enumerate()
            .map(|(k, p)| format!("a{}: {}", k + from, rust_type(p.value_type, p.extension)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let value = |k: usize| {
        let p = &sig.params[k];
        rust_value(k, p.value_type, p.extension)
    };
    let n = sig.params.len();
    let mut s = format!(
        "#![allow(clippy::all)]\n\
         unsafe extern \"{abi}\" {{\n\
             fn recv(buf: *mut [u8; 16], {p});\n\
             fn send(buf: *mut [u8; 16], f: extern \"{abi}\" fn(i64, {t}) -> i64) -> i64;\n\
         }}\n\
         extern \"{abi}\" fn check(_a0: i64, {p}) -> i64 {{\n",
        p = params(1),
        t = sig.params[1..]
            .iter()
            .map(|p| rust_type(p.value_type, p.extension))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for k in 1..n {
        s += &format!("    if a{k} != {} {{ return 1000 + {k}; }}\n", value(k));
    }
    s += "    0x600d\n}\nfn main() {\n";
    s += &format!("    let mut buf = [[0u8; 16]; {n}];\n");
    let args: Vec<String> = (1..n).map(value).collect();
    s += &format!(
        "    unsafe {{ recv(buf.as_mut_ptr(), {}) }};\n",
        args.join(", ")
    );
    s += "    let mut bad = 0;\n";
    for k in 1..n {
        s += &format!(
            "    {{ let v = ({}).to_le_bytes(); if buf[{k}][..v.len()] != v[..] {{ println!(\"arg {k}\"); bad += 1; }} }}\n",
            value(k)
        );
    }
    s += "    let mut out = [[0u8; 16]; 64];\n";
    for k in 1..n {
        s += &format!(
            "    {{ let v = ({}).to_le_bytes(); out[{k}][..v.len()].copy_from_slice(&v); }}\n",
            value(k)
        );
    }
    s += "    let r = unsafe { send(out.as_mut_ptr(), check) };\n";
    s += "    println!(\"{} {:x}\", if bad == 0 { \"ok\" } else { \"bad\" }, r);\n}\n";
    s
}

#[test]
fn rust_calls_generated_functions_through_extern_c_and_win64() {
    for (cc, mixed) in [
        (CallConv::SystemV, SYSV_MIXED),
        (CallConv::WindowsFastcall, WINDOWS_MIXED),
    ] {
        let sig = signature(cc, &["i64"], mixed);
        let dir = std::env::temp_dir().join(format!(
            "rulesel-abi-calls-{}-rust-{cc}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let functions = [
            ("recv", recv_function(&sig)),
            ("send", send_function(cc, &sig)),
        ];
        let mut asm = String::from(".text\n");
        for (fname, bytes) in &functions {
            let bytes: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
            asm += &format!(".globl {fname}\n{fname}:\n.byte {}\n", bytes.join(","));
        }
        asm += ".section .note.GNU-stack,\"\",@progbits\n";
        std::fs::write(dir.join("gen.s"), asm).unwrap();
        std::fs::write(dir.join("main.rs"), rust_program(cc, &sig)).unwrap();
        let ok = Command::new("cc")
            .arg("-c")
            .arg(dir.join("gen.s"))
            .arg("-o")
            .arg(dir.join("gen.o"))
            .status()
            .unwrap()
            .success();
        assert!(ok, "assembling");
        let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .args(["--edition", "2024", "-O", "-o"])
            .arg(dir.join("prog"))
            .arg(dir.join("main.rs"))
            .arg("-C")
            .arg(format!("link-arg={}", dir.join("gen.o").display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rustc: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = Command::new(dir.join("prog")).output().unwrap();
        assert!(run.status.success(), "crashed: {:?}", run.status);
        assert_eq!(
            String::from_utf8_lossy(&run.stdout).trim(),
            "ok 600d",
            "{cc}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Calls `fn` (arg 1, SysV) with the callee-saved registers of `cc` set to known values and
/// returns a bitmask of the registers that came back changed.
fn preserve_harness(cc: CallConv) -> String {
    let windows = cc == CallConv::WindowsFastcall;
    let gprs: Vec<(&str, u8)> = if windows {
        vec![
            ("rbx", 3),
            ("rbp", 5),
            ("rsi", 6),
            ("rdi", 7),
            ("r12", 12),
            ("r13", 13),
            ("r14", 14),
            ("r15", 15),
        ]
    } else {
        vec![
            ("rbx", 3),
            ("rbp", 5),
            ("r12", 12),
            ("r13", 13),
            ("r14", 14),
            ("r15", 15),
        ]
    };
    let mut s = String::from(".globl preserve_check\npreserve_check:\n");
    // Save our caller's callee-saved registers (System V) and rdi/rsi, 16-align, room for xmm.
    for reg in ["rbx", "rbp", "r12", "r13", "r14", "r15", "rsi", "rdi"] {
        s += &format!("    push %{reg}\n");
    }
    s += "    sub $0x108, %rsp\n    mov %rdi, 0x100(%rsp)\n";
    for (name, enc) in &gprs {
        s += &format!(
            "    movabs $0x{:x}, %{name}\n",
            0x5a5a_0000_0000_0000u64 + u64::from(*enc)
        );
    }
    if windows {
        for i in 6..16 {
            s += &format!(
                "    movabs $0x{:x}, %rax\n    movq %rax, %xmm{i}\n",
                0x7a7a_0000_0000_0000u64 + i
            );
        }
        // The shadow space the callee may use.
        s += "    sub $0x20, %rsp\n    call *0x120(%rsp)\n    add $0x20, %rsp\n";
    } else {
        s += "    call *0x100(%rsp)\n";
    }
    s += "    xor %eax, %eax\n";
    for (name, enc) in &gprs {
        s += &format!(
            "    movabs $0x{:x}, %rcx\n    cmp %rcx, %{name}\n    je 1f\n    or $0x{:x}, %rax\n1:\n",
            0x5a5a_0000_0000_0000u64 + u64::from(*enc),
            1u64 << enc
        );
    }
    if windows {
        for i in 6..16u64 {
            s += &format!(
                "    movq %xmm{i}, %rdx\n    movabs $0x{:x}, %rcx\n    cmp %rcx, %rdx\n    je 1f\n    mov $0x{:x}, %edx\n    shl $16, %rdx\n    or %rdx, %rax\n1:\n",
                0x7a7a_0000_0000_0000u64 + i,
                1u64 << i
            );
        }
    }
    s += "    add $0x108, %rsp\n";
    for reg in ["rdi", "rsi", "r15", "r14", "r13", "r12", "rbp", "rbx"] {
        s += &format!("    pop %{reg}\n");
    }
    s += "    ret\n";
    s
}

/// `void clobber(void)` of convention `cc`: writes every allocatable register.
fn clobber_function(cc: CallConv) -> Vec<u8> {
    let flags = flags();
    let abi = AbiLayout::compute(&Signature::new(cc), &flags).unwrap();
    let env = machine_env(cc, &flags);
    let everything: PRegSet = (0..2)
        .map(|c| env.preferred_regs_by_class[c] | env.non_preferred_regs_by_class[c])
        .fold(PRegSet::empty(), |a, b| a | b);
    let all: Vec<PReg> = everything.into_iter().collect();
    let frame = frame_for(&abi, &all, 0, true);
    let mut steps = vec![Step::Frame(prologue(&frame, &flags, None))];
    for &reg in &all {
        if reg.class() == RegClass::Int {
            steps.push(inst(
                Op::mov_r64_imm32,
                &[Arg::Imm(-1 - reg.hw_enc() as i64)],
                &[reg],
            ));
        }
    }
    for &reg in &all {
        if reg.class() == RegClass::Float {
            steps.push(inst(Op::movq_x_rm64, &[r(gpr(0))], &[reg]));
        }
    }
    steps.push(Step::Frame(epilogue(&frame).unwrap()));
    assemble(&steps, &frame)
}

#[test]
fn callee_saved_registers_survive_a_function_that_uses_every_register() {
    for cc in [CallConv::SystemV, CallConv::WindowsFastcall, CallConv::Tail] {
        let saved = callee_saved(cc, &flags());
        assert!(!saved.is_empty(RegClass::Int));
        let c = "#include <stdio.h>\nlong preserve_check(void (*fn)(void));\nvoid clobber(void);\n\
                 int main(void) { printf(\"%lx\\n\", preserve_check(clobber)); return 0; }\n";
        let program = Program::build(
            &format!("preserve-{cc}"),
            c,
            &[("clobber", clobber_function(cc))],
            &preserve_harness(cc),
        );
        assert_eq!(program.run(), "0", "{cc}: mask of registers not preserved");
    }
}

/// `void clobber(void)` of convention `cc` compiled from CLIF: 16 integers and 18 floats loaded
/// from a data object and all live at once (each is used twice, so no load folds into its
/// user), more than either register file holds; the sums go back to the data object.
fn compiled_clobber(cc: CallConv) -> Vec<u8> {
    let words: Vec<String> = (1..=16u64)
        .map(|i| format!("i64 {i}"))
        .chain((1..=18).map(|i| format!("i64 {:#x}", f64::from(i).to_bits())))
        .chain(["i64 0".to_string(), "i64 0".to_string()])
        .collect();
    let mut s = format!(
        ";! data mut %vals align 8 = [{}]\nfunction %clobber() {cc} {{\n    gv0 = symbol colocated %vals\nblock0:\n    v0 = symbol_value.i64 gv0\n",
        words.join(", ")
    );
    for i in 1..=16 {
        s += &format!("    v{i} = load.i64 v0+{}\n", 8 * (i - 1));
    }
    for i in 1..=18 {
        s += &format!("    v{} = load.f64 v0+{}\n", 100 + i, 8 * (15 + i));
    }
    // Forward sums use every value once while all of them are still needed by the backward
    // chains that follow.
    s += "    v201 = iadd v1, v2\n";
    for i in 3..=16 {
        s += &format!("    v{} = iadd v{}, v{i}\n", 200 + i - 1, 200 + i - 2);
    }
    s += "    v301 = fadd v101, v102\n";
    for i in 3..=18 {
        s += &format!(
            "    v{} = fadd v{}, v{}\n",
            300 + i - 1,
            300 + i - 2,
            100 + i
        );
    }
    s += "    v401 = bxor v16, v15\n";
    for i in (1..=14).rev() {
        s += &format!("    v{} = bxor v{}, v{i}\n", 401 + 15 - i, 400 + 15 - i);
    }
    s += "    v501 = fsub v118, v117\n";
    for i in (101..=116).rev() {
        s += &format!("    v{} = fsub v{}, v{i}\n", 501 + 117 - i, 500 + 117 - i);
    }
    s += "    v600 = iadd v215, v415\n    store v600, v0+272\n";
    s += "    v601 = fadd v317, v517\n    store v601, v0+280\n    return\n}\n";
    let module = Module::from_clif(&s).unwrap();
    assert_saves_every_callee_saved_register(&module, cc);
    module.finish_object().unwrap()
}

/// The compiled function really uses the callee-saved registers (so the harness's check is not
/// vacuous): its frame description records a save of each one.
fn assert_saves_every_callee_saved_register(module: &Module, cc: CallConv) {
    let compiled = module.compile().unwrap();
    let saved: Vec<u16> = (compiled[0].code.unwind.steps.iter())
        .filter_map(|s| match s.inst {
            gimli::write::CallFrameInstruction::Offset(reg, _) => Some(reg.0),
            _ => None,
        })
        .collect();
    // DWARF numbers: rbx 3, rsi 4, rdi 5, rbp 6, r12-r15 12-15, xmm6-15 23-32.
    let mut want: Vec<u16> = vec![3, 6, 12, 13, 14, 15];
    if cc == CallConv::WindowsFastcall {
        want.extend([4, 5]);
        want.extend(23..=32);
    }
    for reg in want {
        assert!(
            saved.contains(&reg),
            "{cc}: DWARF register {reg} not saved: {saved:?}"
        );
    }
}

#[test]
fn callee_saved_registers_survive_compiled_code_that_uses_every_register() {
    for cc in [CallConv::SystemV, CallConv::WindowsFastcall] {
        // The sums (136 and 1 ^ 2 ^ … ^ 16 = 16; 171.0 and 18 - 17 - … - 1 = -135.0) show the
        // function ran and computed through its spills.
        let c = "#include <stdio.h>\n#include <stdint.h>\nlong preserve_check(void (*fn)(void));\n\
                 void clobber(void);\nextern int64_t vals[36];\n\
                 int main(void) { long mask = preserve_check(clobber); double d; __builtin_memcpy(&d, &vals[35], 8);\n\
                 printf(\"%lx %ld %g\\n\", mask, (long)vals[34], d); return 0; }\n";
        let program = Program::build_with_objects(
            &format!("compiled-preserve-{cc}"),
            c,
            &[("clobber.o", compiled_clobber(cc))],
            &preserve_harness(cc),
        );
        assert_eq!(
            program.run(),
            "0 152 36",
            "{cc}: mask of registers not preserved, then the sums"
        );
    }
}

/// `rets(slot *buf)` returning result `i` from `buf[i]` (`sret`: the parameter list starts with
/// the hidden struct-return pointer and the results are stored through it, then returned in rax).
fn rets_function(sig: &Signature) -> Vec<u8> {
    let abi = AbiLayout::compute(sig, &flags()).unwrap();
    let frame = frame_for(&abi, &[], 0, true);
    let args = arg_passes(&abi);
    let reg_of = |p: &ArgPass| match p {
        ArgPass::Part(ValuePart {
            place: Place::Reg(reg),
            ..
        }) => *reg,
        other => panic!("{other:?}"),
    };
    let buf = reg_of(args.last().unwrap());
    let mut steps = vec![
        Step::Frame(prologue(&frame, &flags(), None)),
        inst(Op::mov_r64_rm64, &[r(buf)], &[R11]),
    ];
    if let Some((param, reg)) = sret_return(&abi) {
        // Three words through the struct-return pointer, which is also returned.
        let ptr = reg_of(&args[param]);
        for word in 0..3 {
            steps.push(inst(Op::mov_r64_rm64, &[slot(R11, word + 1, 0)], &[R10]));
            let to = Arg::Mem(Amode::base_disp(ptr, 8 * word as i32));
            steps.push(inst(Op::mov_m64_r64, &[to, r(R10)], &[]));
        }
        steps.push(inst(Op::mov_r64_rm64, &[r(ptr)], &[reg]));
    }
    for part in ret_passes(&abi) {
        let Place::Reg(reg) = part.place else {
            panic!("results in registers only here")
        };
        let from = slot(R11, part.value + 1, 8 * i32::from(part.part));
        steps.push(inst(load_op(part.ty, part.extend), &[from], &[reg]));
    }
    steps.push(Step::Frame(epilogue(&frame).unwrap()));
    assemble(&steps, &frame)
}

#[test]
fn results_come_back_as_c_expects_them() {
    // (convention, results, C return type, C fields of the result)
    // Not here: f128 results under Windows x64, which GCC 12 returns through a hidden pointer
    // and LLVM in xmm0; with enable_llvm_abi_extensions we follow LLVM.
    let cases: [(CallConv, &str, &str, &[&str]); 10] = [
        (
            CallConv::SystemV,
            "i64 i64",
            "struct { int64_t a, b; }",
            &["a", "b"],
        ),
        (
            CallConv::SystemV,
            "f64 f64",
            "struct { double a, b; }",
            &["a", "b"],
        ),
        (
            CallConv::SystemV,
            "i64 f64",
            "struct { int64_t a; double b; }",
            &["a", "b"],
        ),
        (
            CallConv::SystemV,
            "f64 i32",
            "struct { double a; int32_t b; }",
            &["a", "b"],
        ),
        (CallConv::SystemV, "i128", "__int128", &[""]),
        (CallConv::SystemV, "i8:sext", "int8_t", &[""]),
        (CallConv::SystemV, "f32", "float", &[""]),
        (CallConv::WindowsFastcall, "i64", "int64_t", &[""]),
        (CallConv::WindowsFastcall, "f64", "double", &[""]),
        (CallConv::SystemV, "f128", "__float128", &[""]),
    ];
    let mut c = String::from(
        "#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n\
         typedef struct { unsigned char b[16]; } slot;\n\
         struct big { int64_t a, b, c; };\nint bad;\n",
    );
    let mut functions = Vec::new();
    let mut body = String::new();
    for (n, (cc, results, c_ret, fields)) in cases.iter().enumerate() {
        let mut sig = signature(*cc, &["i64"], "");
        sig.returns = signature(*cc, &[], results).params;
        functions.push((format!("rets{n}"), rets_function(&sig)));
        c += &format!(
            "typedef {c_ret} ret{n}_t;\n{}ret{n}_t rets{n}(slot *buf);\n",
            attr(*cc)
        );
        body += &format!("  {{ static slot buf[8]; ret{n}_t r;\n");
        for (k, p) in sig.returns.iter().enumerate() {
            let t = c_type(p.value_type, p.extension);
            body += &format!(
                "    {{ {t} v = ({t}){}; memcpy(&buf[{}], &v, sizeof v); }}\n",
                c_value(k, p.value_type),
                k + 1
            );
        }
        body += &format!("    r = rets{n}(buf);\n");
        for (k, (p, field)) in sig.returns.iter().zip(fields.iter()).enumerate() {
            let t = c_type(p.value_type, p.extension);
            let access = if field.is_empty() {
                "r".to_string()
            } else {
                format!("r.{field}")
            };
            body += &format!(
                "    if ({access} != ({t}){}) {{ printf(\"case {n} result {k}\\n\"); bad = 1; }}\n",
                c_value(k, p.value_type)
            );
        }
        body += "  }\n";
    }
    // Explicit sret under both conventions: C's hidden struct-return pointer.
    for (n, cc) in [(11, CallConv::SystemV), (12, CallConv::WindowsFastcall)] {
        let mut sig = Signature::new(cc);
        sig.params = vec![
            AbiParam::special(Type::I64, rulesel::ir::ArgumentPurpose::StructReturn),
            AbiParam::new(Type::I64),
        ];
        functions.push((format!("rets{n}"), rets_function(&sig)));
        c += &format!("{}struct big rets{n}(slot *buf);\n", attr(cc));
        body += &format!(
            "  {{ static slot buf[8]; for (int i = 1; i <= 3; i++) {{ int64_t v = i * 0x1111; memcpy(&buf[i], &v, 8); }}\n\
             \x20   struct big r = rets{n}(buf);\n\
             \x20   if (r.a != 0x1111 || r.b != 0x2222 || r.c != 0x3333) {{ printf(\"sret {n}\\n\"); bad = 1; }} }}\n"
        );
    }
    c += &format!(
        "int main(void) {{\n{body}  printf(bad ? \"bad\\n\" : \"ok\\n\");\n  return 0;\n}}\n"
    );
    let functions: Vec<(&str, Vec<u8>)> = functions
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    let program = Program::build("rets", &c, &functions, "");
    assert_eq!(program.run(), "ok");
}
