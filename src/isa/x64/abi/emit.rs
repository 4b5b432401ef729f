//! Emitting prologue, epilogue and tail-call sequences: each [`FrameInst`] becomes one or two
//! instructions of the x64 table, encoded into the function's [`X64Buffer`].
//!
//! | `FrameInst` | table rows |
//! |---|---|
//! | `Push`, `Pop` | `push_r64`, `pop_r64` |
//! | `Mov`, `Load`, `Store` | `mov_r64_rm64`, `mov_m64_r64` |
//! | `SubImm`, `AddImm` | `sub_r64_imm32`, `add_r64_imm32` (imm8 form when it fits) |
//! | `Lea` | `lea_r64` |
//! | `StoreXmm`, `LoadXmm` | `movdqu_m128_x`, `movdqu_x_xm128` |
//! | `MovImm` | `mov_r32_imm32` |
//! | `CallProbestack` | `call_sym` (a PLT32 relocation against the probe symbol) |
//! | `Cmp` | `cmp_r64_rm64` |
//! | `TrapIfBelow` | `jae` over a `ud2` recorded as a `stack_overflow` trap site |
//! | `Label`, `JumpIfNotEqual` | a buffer label, `jne` |
//! | `Ret` | `ret`, `ret_imm16` |

use super::prologue::FrameInst;
use crate::isa::x64::amode::{Amode, FrameResolver};
use crate::isa::x64::encode::{emit, EmitError, X64Buffer};
use crate::isa::x64::inst::{Arg, Inst, InstError};
use crate::isa::x64::regs::{Reg, RSP};
use crate::isa::x64::rows::Op;
use crate::isa::x64::table::Cc;
use crate::machinst::buffer::{CodeMark, MachLabel, SymbolId, TrapCode};
use std::fmt;

/// A frame sequence that could not be turned into instructions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameEmitError {
    Inst(InstError),
    Emit(EmitError),
}

impl fmt::Display for FrameEmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameEmitError::Inst(e) => write!(f, "frame instruction: {e}"),
            FrameEmitError::Emit(e) => write!(f, "frame instruction: {e}"),
        }
    }
}

impl std::error::Error for FrameEmitError {}

impl From<InstError> for FrameEmitError {
    fn from(e: InstError) -> Self {
        FrameEmitError::Inst(e)
    }
}

impl From<EmitError> for FrameEmitError {
    fn from(e: EmitError) -> Self {
        FrameEmitError::Emit(e)
    }
}

/// Encodes `seq` at the end of `buf` and returns, for each instruction, a mark at the end of its
/// code: where its effect on the frame is complete, which is what unwind information records.
/// `probestack` names [`super::prologue::PROBESTACK_SYMBOL`] in the buffer's symbol space;
/// `frame` resolves frame addresses (the sequences use none, but the encoder asks for one).
pub fn emit_frame_insts(
    seq: &[FrameInst],
    buf: &mut X64Buffer,
    probestack: SymbolId,
    frame: &dyn FrameResolver,
) -> Result<Vec<CodeMark>, FrameEmitError> {
    let mut marks = Vec::with_capacity(seq.len());
    // Sequence-local label numbers to buffer labels, made on first mention.
    let mut labels: Vec<(u32, MachLabel)> = Vec::new();
    let mut label = |n: u32, buf: &mut X64Buffer| match labels.iter().find(|(k, _)| *k == n) {
        Some(&(_, l)) => l,
        None => {
            let l = buf.new_label();
            labels.push((n, l));
            l
        }
    };
    let r = |p| Arg::Reg(Reg::from(p));
    let mem = |base, disp| Arg::Mem(Amode::base_disp(base, disp));
    for &inst in seq {
        let built = match inst {
            FrameInst::Push(reg) => Inst::new(Op::push_r64, &[r(reg)], &[])?,
            FrameInst::Pop(reg) => Inst::new(Op::pop_r64, &[], &[reg.into()])?,
            FrameInst::Mov { dst, src } => Inst::new(Op::mov_r64_rm64, &[r(src)], &[dst.into()])?,
            FrameInst::SubImm { dst, imm } => Inst::new(
                Op::sub_r64_imm32,
                &[r(dst), Arg::Imm(i64::from(imm))],
                &[dst.into()],
            )?,
            FrameInst::AddImm { dst, imm } => Inst::new(
                Op::add_r64_imm32,
                &[r(dst), Arg::Imm(i64::from(imm))],
                &[dst.into()],
            )?,
            FrameInst::Load { dst, base, disp } => {
                Inst::new(Op::mov_r64_rm64, &[mem(base, disp)], &[dst.into()])?
            }
            FrameInst::Store { src, base, disp } => {
                Inst::new(Op::mov_m64_r64, &[mem(base, disp), r(src)], &[])?
            }
            FrameInst::Lea { dst, base, disp } => {
                Inst::new(Op::lea_r64, &[mem(base, disp)], &[dst.into()])?
            }
            FrameInst::StoreXmm { src, disp } => {
                Inst::new(Op::movdqu_m128_x, &[mem(RSP, disp), r(src)], &[])?
            }
            FrameInst::LoadXmm { dst, disp } => {
                Inst::new(Op::movdqu_x_xm128, &[mem(RSP, disp)], &[dst.into()])?
            }
            FrameInst::MovImm { dst, imm } => Inst::new(
                Op::mov_r32_imm32,
                &[Arg::Imm(i64::from(imm))],
                &[dst.into()],
            )?,
            FrameInst::CallProbestack => Inst::new(Op::call_sym, &[Arg::Symbol(probestack)], &[])?,
            FrameInst::Cmp { lhs, rhs } => Inst::new(Op::cmp_r64_rm64, &[r(lhs), r(rhs)], &[])?,
            FrameInst::TrapIfBelow => {
                let skip = buf.new_label();
                let jae = Inst::new(Op::jcc, &[Arg::Cc(Cc::Ae), Arg::Label(skip)], &[])?;
                emit(&jae, buf, frame)?;
                let ud2 = Inst::new(Op::ud2, &[], &[])?.with_trap(TrapCode::STACK_OVERFLOW);
                emit(&ud2, buf, frame)?;
                buf.bind_label(skip);
                marks.push(buf.mark());
                continue;
            }
            FrameInst::Label(n) => {
                let l = label(n, buf);
                buf.bind_label(l);
                marks.push(buf.mark());
                continue;
            }
            FrameInst::JumpIfNotEqual(n) => {
                let l = label(n, buf);
                Inst::new(Op::jcc, &[Arg::Cc(Cc::Ne), Arg::Label(l)], &[])?
            }
            FrameInst::Ret { pop: 0 } => Inst::new(Op::ret, &[], &[])?,
            FrameInst::Ret { pop } => Inst::new(Op::ret_imm16, &[Arg::Imm(i64::from(pop))], &[])?,
        };
        emit(&built, buf, frame)?;
        marks.push(buf.mark());
    }
    Ok(marks)
}
