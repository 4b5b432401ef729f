//! Two conventions C cannot speak, run between generated functions under a C driver:
//!
//! - a `tail` function that receives no stack arguments makes a `return_call` to one that takes
//!   twenty (its prologue grows the incoming area; the callee's `ret imm16` pops it), and
//!   control comes back to C with its stack intact;
//! - results beyond the registers come back through the hidden return area
//!   (`enable_multi_ret_implicit_sret`): the caller passes the area's address, the callee keeps
//!   it in the return-area temporary and stores through it, the caller reads the area.
//!
//! As in `abi_calls_run.rs`, the function bodies are written here with table instructions; every
//! location and every frame sequence comes from the ABI layer.

mod abi_support;
use abi_support::{assemble, inst, r, Program, Step};

use regalloc2::PReg;
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest};
use rulesel::isa::x64::abi::moves::{
    arg_passes, call_plan, callee_amode, caller_amode, outgoing_amode, ret_passes, ArgPass, Place,
    ValuePart,
};
use rulesel::isa::x64::abi::prologue::{epilogue, prologue};
use rulesel::isa::x64::abi::tail_call::{return_call_sequence, RETURN_CALL_TARGET_REG};
use rulesel::isa::x64::abi::AbiLayout;
use rulesel::isa::x64::amode::Amode;
use rulesel::isa::x64::inst::Arg;
use rulesel::isa::x64::regs::{xmm, R10, R11, R12, R13, RBX, RDI, RSI};
use rulesel::isa::x64::rows::Op;
use rulesel::settings::Flags;

fn sig(cc: CallConv, params: &[Type], returns: &[Type]) -> Signature {
    Signature {
        params: params.iter().map(|&t| AbiParam::new(t)).collect(),
        returns: returns.iter().map(|&t| AbiParam::new(t)).collect(),
        call_conv: cc,
    }
}

fn frame(abi: &AbiLayout, clobbered: &[PReg], outgoing: u32, tail_args: u32) -> FrameLayout {
    let req = FrameRequest {
        stack_slots: &[],
        spill_slots: 0,
        outgoing_area_size: outgoing,
        clobbered: clobbered.iter().copied().collect(),
        is_leaf: false,
        tail_call_args_size: tail_args,
    };
    FrameLayout::compute(abi, &req, &Flags::default()).unwrap()
}

/// Byte `offset` of 8-byte slot `i` of the buffer C shares with us.
fn word(base: PReg, i: usize) -> Arg {
    Arg::Mem(Amode::base_disp(base, 8 * i as i32))
}

/// `g(buf, a1 … a25)`, `tail`: stores `a_k` in `buf[k]` and returns 0x600d.
fn tail_callee(callee: &Signature) -> Vec<u8> {
    let abi = AbiLayout::compute(callee, &Flags::default()).unwrap();
    let f = frame(&abi, &[], 0, 0);
    let mut steps = vec![Step::Frame(prologue(&f, &Flags::default(), None))];
    for pass in arg_passes(&abi).into_iter().skip(1) {
        let ArgPass::Part(part) = pass else {
            panic!("{pass:?}")
        };
        let value = match part.place {
            Place::Reg(reg) => reg,
            stack => {
                let from = Arg::Mem(callee_amode(stack).unwrap());
                steps.push(inst(Op::mov_r64_rm64, &[from], &[R11]));
                R11
            }
        };
        steps.push(inst(
            Op::mov_m64_r64,
            &[word(RDI, part.value), r(value)],
            &[],
        ));
    }
    steps.push(inst(
        Op::mov_r64_imm32,
        &[Arg::Imm(0x600d)],
        &[rulesel::isa::x64::regs::RAX],
    ));
    steps.push(Step::Frame(epilogue(&f).unwrap()));
    assemble(&steps, &f)
}

/// `start(buf, g)`, `tail`, no stack arguments of its own: `return_call g(buf, 0x1111 * k …)`.
fn tail_caller(callee: &Signature) -> Vec<u8> {
    let own = sig(CallConv::Tail, &[Type::I64, Type::I64], &[Type::I64]);
    let abi = AbiLayout::compute(&own, &Flags::default()).unwrap();
    let callee_abi = AbiLayout::compute(callee, &Flags::default()).unwrap();
    // A callee-saved register in use, so the sequence has something to restore.
    let f = frame(&abi, &[RBX], 0, callee_abi.stack_arg_size);
    assert!(
        f.tail_args_size > f.incoming_args_size,
        "the area must grow"
    );
    let mut steps = vec![
        Step::Frame(prologue(&f, &Flags::default(), None)),
        inst(Op::mov_r64_rm64, &[r(RSI)], &[RETURN_CALL_TARGET_REG]),
        inst(Op::mov_r64_imm32, &[Arg::Imm(-1)], &[RBX]),
    ];
    let value = |k: usize| Arg::Imm(0x1111 * k as i64);
    let passes = arg_passes(&callee_abi);
    for pass in &passes[1..] {
        let ArgPass::Part(part) = *pass else {
            panic!("{pass:?}")
        };
        match part.place {
            Place::Reg(reg) => steps.push(inst(Op::mov_r64_imm32, &[value(part.value)], &[reg])),
            stack => {
                steps.push(inst(Op::mov_r64_imm32, &[value(part.value)], &[R11]));
                let to = Arg::Mem(caller_amode(&callee_abi, stack).unwrap());
                steps.push(inst(Op::mov_m64_r64, &[to, r(R11)], &[]));
            }
        }
    }
    steps.push(Step::Frame(
        return_call_sequence(&f, callee_abi.stack_arg_size).unwrap(),
    ));
    steps.push(inst(Op::jmp_rm64, &[r(RETURN_CALL_TARGET_REG)], &[]));
    assemble(&steps, &f)
}

#[test]
fn return_call_with_more_stack_arguments_returns_to_c_intact() {
    let callee = sig(CallConv::Tail, &[Type::I64; 26], &[Type::I64]);
    let c = r#"
#include <stdint.h>
#include <stdio.h>
int64_t start(int64_t *buf, void *g);
int64_t g(int64_t *buf);
int main(void) {
    volatile int64_t canary[4] = {1, 2, 3, 4};
    int64_t buf[26] = {0};
    int bad = 0;
    for (int round = 0; round < 3; round++) {
        int64_t r = start(buf, (void *)g);
        if (r != 0x600d) { printf("result %lx\n", (long)r); bad = 1; }
        for (int k = 1; k < 26; k++)
            if (buf[k] != 0x1111 * k) { printf("arg %d = %lx\n", k, (long)buf[k]); bad = 1; }
    }
    if (canary[0] + canary[1] + canary[2] + canary[3] != 10) bad = 1;
    printf(bad ? "bad\n" : "ok\n");
    return 0;
}
"#;
    let program = Program::build(
        "tail",
        c,
        &[("start", tail_caller(&callee)), ("g", tail_callee(&callee))],
        "",
    );
    assert_eq!(program.run(), "ok");
}

fn implicit_sret() -> Flags {
    Flags {
        enable_multi_ret_implicit_sret: true,
        ..Flags::default()
    }
}

/// The callee: `(buf) -> (i64, i64, i64, f64, f64, f64, i64)`, result `i` read from `buf[i]`.
fn many_results_callee(callee: &Signature) -> Vec<u8> {
    let abi = AbiLayout::compute(callee, &implicit_sret()).unwrap();
    assert!(abi.stack_ret_size > 0);
    // r12 (callee-saved) carries integer results to the return area.
    let f = frame(&abi, &[R12], 0, 0);
    let mut steps = vec![Step::Frame(prologue(&f, &Flags::default(), None))];
    let passes = arg_passes(&abi);
    let Some(ArgPass::RetAreaPointer {
        place: Place::Reg(ptr),
        ..
    }) = passes.last().copied()
    else {
        panic!("the return-area pointer comes in a register here")
    };
    // The return-area temporary: the pointer must survive until the results are stored.
    // (It comes first, in rdi; `buf` is the first declared argument, after it.)
    let Some(ArgPass::Part(ValuePart {
        place: Place::Reg(buf),
        ..
    })) = passes.first().copied()
    else {
        panic!("buf comes in a register")
    };
    assert_eq!(ptr, RDI);
    steps.push(inst(Op::mov_r64_rm64, &[r(ptr)], &[R10]));
    steps.push(inst(Op::mov_r64_rm64, &[r(buf)], &[R11]));
    for part in ret_passes(&abi) {
        let float = part.ty.is_float();
        let load = if float {
            Op::movsd_x_m64
        } else {
            Op::mov_r64_rm64
        };
        let from = word(R11, part.value);
        match part.place {
            Place::Reg(reg) => steps.push(inst(load, &[from], &[reg])),
            Place::RetArea(offset) => {
                let tmp = if float { xmm(15) } else { R12 };
                steps.push(inst(load, &[from], &[tmp]));
                let store = if float {
                    Op::movsd_m64_x
                } else {
                    Op::mov_m64_r64
                };
                let to = Arg::Mem(Amode::base_disp(R10, offset as i32));
                steps.push(inst(store, &[to, r(tmp)], &[]));
            }
            other => panic!("{other:?}"),
        }
    }
    steps.push(Step::Frame(epilogue(&f).unwrap()));
    assemble(&steps, &f)
}

/// The caller: `(buf, out, callee)`: calls `callee(buf)` and stores result `i` in `out[i]`.
fn many_results_caller(callee: &Signature) -> Vec<u8> {
    let own = sig(CallConv::SystemV, &[Type::I64; 3], &[]);
    let abi = AbiLayout::compute(&own, &Flags::default()).unwrap();
    let callee_abi = AbiLayout::compute(callee, &implicit_sret()).unwrap();
    let plan = call_plan(&callee_abi, &implicit_sret(), false);
    let f = frame(&abi, &[RBX, R12, R13], plan.outgoing_area_size, 0);
    let mut steps = vec![
        Step::Frame(prologue(&f, &Flags::default(), None)),
        inst(Op::mov_r64_rm64, &[r(RDI)], &[RBX]),
        inst(Op::mov_r64_rm64, &[r(RSI)], &[R12]),
        inst(Op::mov_r64_rm64, &[r(rulesel::isa::x64::regs::RDX)], &[R13]),
    ];
    for pass in &plan.args {
        match *pass {
            ArgPass::Part(part) => {
                let Place::Reg(reg) = part.place else {
                    panic!("{part:?}")
                };
                steps.push(inst(Op::mov_r64_rm64, &[r(RBX)], &[reg]));
            }
            ArgPass::RetAreaPointer {
                place: Place::Reg(reg),
                ret_area,
            } => steps.push(inst(
                Op::lea_r64,
                &[Arg::Mem(outgoing_amode(ret_area))],
                &[reg],
            )),
            other => panic!("{other:?}"),
        }
    }
    steps.push(inst(Op::call_rm64, &[r(R13)], &[]));
    for part in &plan.rets {
        let float = part.ty.is_float();
        let store = if float {
            Op::movsd_m64_x
        } else {
            Op::mov_m64_r64
        };
        let value = match part.place {
            Place::Reg(reg) => reg,
            area => {
                let tmp = if float { xmm(15) } else { R11 };
                let load = if float {
                    Op::movsd_x_m64
                } else {
                    Op::mov_r64_rm64
                };
                let from = Arg::Mem(caller_amode(&callee_abi, area).unwrap());
                steps.push(inst(load, &[from], &[tmp]));
                tmp
            }
        };
        steps.push(inst(store, &[word(R12, part.value), r(value)], &[]));
    }
    steps.push(Step::Frame(epilogue(&f).unwrap()));
    assemble(&steps, &f)
}

#[test]
fn results_beyond_the_registers_come_back_through_the_return_area() {
    let callee = sig(
        CallConv::SystemV,
        &[Type::I64],
        &[
            Type::I64,
            Type::I64,
            Type::I64,
            Type::F64,
            Type::F64,
            Type::F64,
            Type::I64,
        ],
    );
    let c = r#"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
void caller(uint64_t *buf, uint64_t *out, void *callee);
void callee(void);
int main(void) {
    uint64_t buf[7], out[7] = {0};
    for (int i = 0; i < 7; i++) buf[i] = 0x0123456789abcdefull ^ (0x1111ull * (i + 1));
    caller(buf, out, (void *)callee);
    int bad = memcmp(buf, out, sizeof buf) != 0;
    printf(bad ? "bad\n" : "ok\n");
    return 0;
}
"#;
    let program = Program::build(
        "many-results",
        c,
        &[
            ("caller", many_results_caller(&callee)),
            ("callee", many_results_callee(&callee)),
        ],
        "",
    );
    assert_eq!(program.run(), "ok");
}
