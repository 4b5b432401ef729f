//! Lowering what exceptions need: the registers and slots of a `try_call`, its handler labels,
//! and `get_exception_handler_address`.
//!
//! ```text
//!   block1:  try_call fn0(v0), sig0, block2(ret0), [ tag1: block3(exn0), default: block4 ]
//!              │ one terminator (MInst::TryCall): uses the arguments, defines rax…, clobbers
//!              │ every other register, successors [block2, block3, block4] (edges passing
//!              │ values get blocks of their own)
//!   block2 ◀── normal return: ret0 is the def in rax
//!   block3 ◀── tag 1: exn0 is the def in rax as well (the return value's register)
//! ```
//!
//! A `try_call`'s return values and payloads are defined by the call itself, in the registers
//! the convention gives them; a payload register that also holds a return value is one register
//! with two meanings, one per kind of edge. The throw runtime restores only the frame and stack
//! pointers, so the call clobbers every register on every edge (nothing is kept in a register
//! across it), and the prologue saves every callee-saved register the function must preserve.

use super::abi_lower::{bind, store};
use super::ctx::LowerCtx;
use super::minst::Fixed;
use crate::ir::{self, CallConv, EntityRef};
use crate::isa::x64::abi::exception_payload_regs;
use crate::isa::x64::amode::{Amode, FrameArea};
use crate::machinst::buffer::MachLabel;

/// Stores each `context` value of `inst`'s exception table in a slot of its own (8 bytes); the
/// slots, by stack-slot number, for the table's context offsets.
pub fn store_contexts(ctx: &mut LowerCtx, inst: ir::Inst) -> Vec<u32> {
    let values = ctx.func.dfg.exception_contexts(inst);
    let mut slots = Vec::with_capacity(values.len());
    for v in values {
        let ty = ctx.func.dfg.value_type(v);
        if LowerCtx::class_of(ty) != regalloc2::RegClass::Int || ty == ir::Type::I128 {
            ctx.fail(format!(
                "not supported: a {ty} exception context (expected a pointer)"
            ));
            return slots;
        }
        ctx.temp_slots.push((8, 8));
        let slot = (ctx.func.stack_slots.len() + ctx.temp_slots.len() - 1) as u32;
        let r = ctx.put_in_regs(v).lo;
        let at = Amode::Frame {
            area: FrameArea::StackSlot,
            index: slot,
            offset: 0,
        };
        store(ctx, ir::Type::I64, at, r);
        slots.push(slot);
    }
    slots
}

/// Adds to `defs` (the call's results in their registers) the payload registers of convention
/// `cc`, each defining `inst`'s `exnN` register, or making it an alias of the return value
/// already defined there.
pub fn bind_payloads(ctx: &mut LowerCtx, inst: ir::Inst, cc: CallConv, defs: &mut Vec<Fixed>) {
    let exns = ctx.try_call_regs(inst).exns;
    for (&r, &preg) in exns.iter().zip(exception_payload_regs(cc)) {
        match defs.iter().find(|&&(_, p)| p == preg) {
            Some(&(ret, _)) => ctx.set_alias(r, ret),
            None => bind(ctx, defs, r, preg),
        }
    }
}

/// The label of the normal-return successor of the `try_call` being lowered, and its handlers
/// as (tag, label) in table order.
pub fn targets(ctx: &mut LowerCtx, inst: ir::Inst) -> (MachLabel, Vec<(Option<u32>, MachLabel)>) {
    let succs = ctx.order.succs(ctx.cur_block as usize).to_vec();
    let label = |k: usize| LowerCtx::block_label(succs[k]);
    let tags: Vec<Option<u32>> = match ctx.func.dfg.inst(inst) {
        ir::InstructionData::TryCall { exception, .. }
        | ir::InstructionData::TryCallIndirect { exception, .. } => ctx.func.dfg.exception_tables
            [*exception]
            .handlers()
            .map(|(tag, _, _)| tag)
            .collect(),
        _ => Vec::new(),
    };
    let handlers = tags
        .into_iter()
        .enumerate()
        .map(|(k, tag)| (tag, label(1 + k)))
        .collect();
    (label(0), handlers)
}

/// The label of handler `index` of the `try_call` ending IR block `block`
/// (`get_exception_handler_address`): the start of the lowered successor it resumes at.
pub fn handler_label(ctx: &mut LowerCtx, block: ir::Block, index: i64) -> MachLabel {
    let term = ctx.func.layout.last_inst(block);
    let is_try_call = term.is_some_and(|t| {
        matches!(
            ctx.func.dfg.inst(t).opcode(),
            ir::Opcode::TryCall | ir::Opcode::TryCallIndirect
        )
    });
    let lowered = ctx.order.orig.get(block.index()).copied().flatten();
    let succ = usize::try_from(index).ok().and_then(|i| i.checked_add(1));
    match (is_try_call, lowered, succ) {
        (true, Some(b), Some(k)) => match ctx.order.succs(b as usize).get(k) {
            Some(&s) => LowerCtx::block_label(s),
            None => {
                ctx.fail(format!("{block} has no exception handler {index}"));
                MachLabel(0)
            }
        },
        (true, None, _) => {
            ctx.fail(format!(
                "not supported: the handler address of unreachable {block}"
            ));
            MachLabel(0)
        }
        _ => {
            ctx.fail(format!(
                "get_exception_handler_address: {block} does not end in a try_call"
            ));
            MachLabel(0)
        }
    }
}
