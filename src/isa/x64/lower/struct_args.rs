//! `sarg(N)` parameters: a struct passed by value in the stack-argument area. The IR value is a
//! pointer: the caller's to the struct it passes (whose bytes are copied into the outgoing
//! area), the callee's to its copy in the incoming area.

use super::abi_lower::emit_load_store;
use super::ctx::LowerCtx;
use crate::ir;
use crate::isa::x64::abi::moves::outgoing_amode;
use crate::isa::x64::amode::{Amode, FrameArea};
use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::Reg;
use crate::isa::x64::rows::Op;
use regalloc2::RegClass;

/// The callee's pointer: the address of byte `offset` of the incoming stack arguments.
pub fn incoming_address(ctx: &mut LowerCtx, offset: u32) -> Reg {
    let at = Amode::Frame {
        area: FrameArea::IncomingArg,
        index: 0,
        offset: offset as i32,
    };
    let r = ctx.alloc_reg(RegClass::Int);
    match Inst::new(Op::lea_r64, &[Arg::Mem(at)], &[r]) {
        Ok(i) => ctx.emit(super::minst::MInst::Real(i)),
        Err(e) => ctx.fail(format!("sarg: {e}")),
    }
    r
}

/// The caller's copy: `size` bytes (the struct's own size, not the slot's) from the address in
/// `from` to byte `offset` of the outgoing area, in 8-, 4-, 2- and 1-byte moves, so that no
/// byte past the struct is read.
pub fn copy_to_outgoing(ctx: &mut LowerCtx, from: Reg, offset: u32, size: u32) {
    let mut at = 0u32;
    for (chunk, load, store) in [
        (8, Op::mov_r64_rm64, Op::mov_m64_r64),
        (4, Op::mov_r32_rm32, Op::mov_m32_r32),
        (2, Op::movzx_r32_rm16, Op::mov_m16_r16),
        (1, Op::movzx_r32_rm8, Op::mov_m8_r8),
    ] {
        while size - at >= chunk {
            let src = Amode::base_disp(from, at as i32);
            let dst = outgoing_amode(offset + at);
            emit_load_store(ctx, load, src, store, dst);
            at += chunk;
        }
    }
}

/// The original size of the struct parameter `index` of `sig` (the layout rounds it up).
pub fn struct_size(sig: &ir::Signature, index: usize) -> Option<u32> {
    match sig.params.get(index)?.purpose {
        ir::ArgumentPurpose::StructArgument(size) => Some(size),
        _ => None,
    }
}
