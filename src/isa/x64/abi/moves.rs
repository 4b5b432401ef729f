//! What lowering does with an [`AbiLayout`]: the per-value steps at a call site, on function
//! entry and at a return, as plain data over locations. Lowering turns each step into
//! instructions (fixed-register operands for registers, loads and stores through
//! `Amode::Frame` operands for the stack) without knowing any convention's rules.
//!
//! Both sides of a call read the same [`ArgPass`] list; they address the stack differently:
//!
//! | place | caller (before/after the call) | callee (entry/return) |
//! |---|---|---|
//! | `Place::Reg(r)` | fixed use / def of `r` on the call | fixed def on entry / use on `ret` |
//! | `Place::ArgStack(o)` | outgoing area + o | incoming-argument area + o |
//! | `Place::RetArea(o)` | outgoing area + ret_area_offset + o | `[ret-area temporary + o]` |
//!
//! [`caller_amode`] and [`callee_amode`] give the `Amode::Frame` operands for these.
//!
//! The *return-area temporary* is the virtual register a callee copies its incoming
//! return-area pointer into on entry ([`ArgPass::RetAreaPointer`]), so the pointer survives until
//! the results are stored at `return`.

use super::args::{AbiArg, AbiLayout, ArgLoc, ArgSlot};
use super::registers::call_clobbers;
use crate::ir::{ArgumentExtension, Type};
use crate::isa::x64::amode::{Amode, FrameArea};
use crate::isa::x64::regs::RAX;
use crate::settings::Flags;
use regalloc2::{PReg, PRegSet};

/// The widening of a narrow integer to 64 bits that the producer of an argument (the caller) or
/// of a result (the callee) performs: `movzx`/`movsx` from `from`, or `mov r32, r32` for a zero
/// extension from 32 bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Extend {
    pub from: Type,
    pub signed: bool,
}

/// The extension a value of type `ty` with attribute `ext` needs, if any: only `uext`/`sext`
/// integers narrower than 64 bits are widened.
pub fn extension(ty: Type, ext: ArgumentExtension) -> Option<Extend> {
    let narrow = ty.is_int() && ty.bits() < 64;
    match ext {
        ArgumentExtension::Uext if narrow => Some(Extend {
            from: ty,
            signed: false,
        }),
        ArgumentExtension::Sext if narrow => Some(Extend {
            from: ty,
            signed: true,
        }),
        _ => None,
    }
}

/// Where one part of a value is, seen by either side of the call (see the module table).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    Reg(PReg),
    /// `offset` bytes into the stack-argument area.
    ArgStack(u32),
    /// `offset` bytes into the return area.
    RetArea(u32),
}

/// One register-sized part of a parameter or result.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValuePart {
    /// Index of the parameter or result in the signature.
    pub value: usize,
    /// 0, or 1 for the high half of an `i128`.
    pub part: u8,
    /// The part's type as stored (`i64` for `i128` halves).
    pub ty: Type,
    pub place: Place,
    /// The producer widens the part to 64 bits before it goes to `place`.
    pub extend: Option<Extend>,
}

/// One step of passing the parameters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgPass {
    /// A part of a value passed directly.
    Part(ValuePart),
    /// Caller: store the value at byte `copy` of the outgoing area and pass that address at
    /// `pointer`. Callee: the value is in memory at the address found at `pointer`.
    ByRef {
        value: usize,
        ty: Type,
        pointer: Place,
        copy: u32,
    },
    /// Caller: copy `size` bytes from the address the IR value holds to `ArgStack(offset)`.
    /// Callee: the IR value is the address of `ArgStack(offset)`.
    Struct {
        value: usize,
        offset: u32,
        size: u32,
    },
    /// The hidden return-area pointer. Caller: pass the address of byte `ret_area` of the
    /// outgoing area. Callee: copy it into the return-area temporary.
    RetAreaPointer { place: Place, ret_area: u32 },
}

fn place(slot: ArgSlot, is_ret: bool) -> Place {
    match slot {
        ArgSlot::Reg { reg, .. } => Place::Reg(reg),
        ArgSlot::Stack { offset, .. } if is_ret => Place::RetArea(offset),
        ArgSlot::Stack { offset, .. } => Place::ArgStack(offset),
    }
}

/// The one or two register-sized parts of a value passed directly (none for one passed in
/// memory).
fn parts(value: usize, arg: &AbiArg, is_ret: bool) -> impl Iterator<Item = ValuePart> {
    let part = |part: u8, slot: ArgSlot, extend| ValuePart {
        value,
        part,
        ty: slot.ty(),
        place: place(slot, is_ret),
        extend,
    };
    let pair = match arg.loc {
        ArgLoc::Slot(slot) => [Some(part(0, slot, extension(arg.ty, arg.extension))), None],
        ArgLoc::Pair { lo, hi } => [Some(part(0, lo, None)), Some(part(1, hi, None))],
        ArgLoc::ByRef { .. } | ArgLoc::StructArg { .. } => [None, None],
    };
    pair.into_iter().flatten()
}

/// The steps that pass the parameters of `layout`, in parameter order, followed by the hidden
/// return-area pointer when there is one.
pub fn arg_passes(layout: &AbiLayout) -> Vec<ArgPass> {
    let mut passes = Vec::with_capacity(layout.args.len() + 1);
    for (value, arg) in layout.args.iter().enumerate() {
        match arg.loc {
            ArgLoc::Slot(_) | ArgLoc::Pair { .. } => {
                passes.extend(parts(value, arg, false).map(ArgPass::Part))
            }
            ArgLoc::ByRef {
                pointer,
                copy_offset,
            } => passes.push(ArgPass::ByRef {
                value,
                ty: arg.ty,
                pointer: place(pointer, false),
                copy: layout.byref_area_offset() + copy_offset,
            }),
            ArgLoc::StructArg { offset, size } => passes.push(ArgPass::Struct {
                value,
                offset,
                size,
            }),
        }
    }
    if let Some(ptr) = layout.ret_area_ptr {
        passes.push(ArgPass::RetAreaPointer {
            place: place(ptr, false),
            ret_area: layout.ret_area_offset(),
        });
    }
    passes
}

/// The parts of the results of `layout`, in result order.
pub fn ret_passes(layout: &AbiLayout) -> Vec<ValuePart> {
    let mut passes = Vec::with_capacity(layout.rets.len());
    for (value, ret) in layout.rets.iter().enumerate() {
        passes.extend(parts(value, ret, true));
    }
    passes
}

/// The explicit `sret` parameter whose value the callee must leave in rax on return.
pub fn sret_return(layout: &AbiLayout) -> Option<(usize, PReg)> {
    layout.sret_param.map(|param| (param, RAX))
}

/// Everything lowering needs to emit one call.
#[derive(Clone, Debug)]
pub struct CallPlan {
    pub args: Vec<ArgPass>,
    pub rets: Vec<ValuePart>,
    /// Registers the call overwrites (defs of the call instruction besides the results).
    pub clobbers: PRegSet,
    /// Bytes of the caller's outgoing area this call uses; the frame reserves the maximum.
    pub outgoing_area_size: u32,
    /// Bytes the callee pops on return. The caller re-reserves them right after the call
    /// (`sub rsp, n`) so that rsp is back at its fixed position for the rest of the body.
    pub callee_pop_size: u32,
}

/// The plan of a call to a function with layout `callee`; `is_exception_edge` for a `try_call`
/// whose exceptional successor needs everything clobbered.
pub fn call_plan(callee: &AbiLayout, flags: &Flags, is_exception_edge: bool) -> CallPlan {
    CallPlan {
        args: arg_passes(callee),
        rets: ret_passes(callee),
        clobbers: call_clobbers(callee.call_conv, flags, is_exception_edge),
        outgoing_area_size: callee.outgoing_area_size(),
        callee_pop_size: callee.callee_pop_size(),
    }
}

/// Byte `offset` of the outgoing area, as a memory operand the frame resolves.
pub fn outgoing_amode(offset: u32) -> Amode {
    Amode::Frame {
        area: FrameArea::OutgoingArg,
        index: 0,
        offset: offset as i32,
    }
}

/// The memory operand a caller uses for `place` (registers have none).
pub fn caller_amode(callee: &AbiLayout, place: Place) -> Option<Amode> {
    match place {
        Place::Reg(_) => None,
        Place::ArgStack(offset) => Some(outgoing_amode(offset)),
        Place::RetArea(offset) => Some(outgoing_amode(callee.ret_area_offset() + offset)),
    }
}

/// The memory operand a callee uses for `place`. Results in the return area are addressed
/// through the return-area temporary (`Amode::base_disp(temp, offset)`), so they have none here.
pub fn callee_amode(place: Place) -> Option<Amode> {
    match place {
        Place::ArgStack(offset) => Some(Amode::Frame {
            area: FrameArea::IncomingArg,
            index: 0,
            offset: offset as i32,
        }),
        Place::Reg(_) | Place::RetArea(_) => None,
    }
}
