//! Runtime routines that compiled code calls and the C library does not provide, added to an
//! object when one of its functions refers to them.
//!
//! `__cranelift_probestack` (outline stack probes): called by a prologue with the frame size in
//! rax, it touches one word in every page between the caller's stack pointer and that far
//! below it, so the guard page is hit in order. Every register but the flags is preserved.
//!
//! ```text
//!   push rcx ; push rdx
//!   lea  rcx, [rsp + 24]          the caller's rsp before its call
//!   mov  rdx, rax
//! loop:
//!   cmp  rdx, 4096 ; jbe last
//!   sub  rcx, 4096 ; or dword [rcx], 0 ; sub rdx, 4096 ; jmp loop
//! last:
//!   sub  rcx, rdx  ; or dword [rcx], 0
//!   pop  rdx ; pop rcx ; ret
//! ```

use crate::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use crate::isa::x64::encode::{emit, X64Buffer};
use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::{Reg, RAX, RCX, RDX, RSP};
use crate::isa::x64::rows::Op;
use crate::isa::x64::table::Cc;
use crate::isa::x64::unwind::dwarf_register;
use crate::machinst::buffer::CompiledCode;
use crate::unwind::{UnwindInfo, UnwindStep};
use gimli::write::CallFrameInstruction;
use regalloc2::PReg;

/// The routine uses no frame slots; the encoder still asks for a resolver.
struct NoFrame;

impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
        (RSP, offset)
    }
}

/// The machine code of `__cranelift_probestack`, with its unwind description.
pub fn probestack() -> Result<CompiledCode, String> {
    const PAGE: i64 = 4096;
    let mut buf = X64Buffer::new();
    let (top, last) = (buf.new_label(), buf.new_label());
    let r = |p: PReg| Arg::Reg(Reg::from(p));
    let mut steps = Vec::new();
    let put = |buf: &mut X64Buffer, op: Op, inputs: &[Arg], outputs: &[PReg]| {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        let inst = Inst::new(op, inputs, &outputs).map_err(|e| e.to_string())?;
        emit(&inst, buf, &NoFrame).map_err(|e| e.to_string())?;
        Ok::<u32, String>(buf.mark().0)
    };
    let mut at = |mark: u32, inst| steps.push((mark, inst));
    let m = put(&mut buf, Op::push_r64, &[r(RCX)], &[])?;
    at(m, CallFrameInstruction::CfaOffset(16));
    at(m, CallFrameInstruction::Offset(dwarf_register(RCX), -16));
    let m = put(&mut buf, Op::push_r64, &[r(RDX)], &[])?;
    at(m, CallFrameInstruction::CfaOffset(24));
    at(m, CallFrameInstruction::Offset(dwarf_register(RDX), -24));
    put(
        &mut buf,
        Op::lea_r64,
        &[Arg::Mem(Amode::base_disp(RSP, 24))],
        &[RCX],
    )?;
    put(&mut buf, Op::mov_r64_rm64, &[r(RAX)], &[RDX])?;
    buf.bind_label(top);
    put(&mut buf, Op::cmp_r64_imm32, &[r(RDX), Arg::Imm(PAGE)], &[])?;
    put(&mut buf, Op::jcc, &[Arg::Cc(Cc::Be), Arg::Label(last)], &[])?;
    put(
        &mut buf,
        Op::sub_r64_imm32,
        &[r(RCX), Arg::Imm(PAGE)],
        &[RCX],
    )?;
    let probe = [Arg::Mem(Amode::base_disp(RCX, 0)), Arg::Imm(0)];
    put(&mut buf, Op::or_m32_imm32, &probe, &[])?;
    put(
        &mut buf,
        Op::sub_r64_imm32,
        &[r(RDX), Arg::Imm(PAGE)],
        &[RDX],
    )?;
    put(&mut buf, Op::jmp, &[Arg::Label(top)], &[])?;
    buf.bind_label(last);
    put(&mut buf, Op::sub_r64_rm64, &[r(RCX), r(RDX)], &[RCX])?;
    put(&mut buf, Op::or_m32_imm32, &probe, &[])?;
    let m = put(&mut buf, Op::pop_r64, &[], &[RDX])?;
    at(m, CallFrameInstruction::CfaOffset(16));
    let m = put(&mut buf, Op::pop_r64, &[], &[RCX])?;
    at(m, CallFrameInstruction::CfaOffset(8));
    put(&mut buf, Op::ret, &[], &[])?;
    let mut code = buf.finish().map_err(|e| e.to_string())?;
    code.unwind = UnwindInfo {
        steps: (steps.into_iter())
            .map(|(mark, inst)| UnwindStep {
                offset: code.mark_offsets[mark as usize],
                inst,
            })
            .collect(),
    };
    Ok(code)
}
