//! `return_call`: leaving the current frame and jumping to a `tail` callee so that the callee
//! returns straight to our caller.
//!
//! Both functions use the `tail` convention, in which the callee pops its stack arguments. Our
//! incoming area is at least as large as the callee's stack arguments (the prologue grew it,
//! see [`super::frame`]), so the callee's arguments fit at its top, right below our caller's
//! stack pointer, which is where the callee's `ret` will leave it:
//!
//! ```text
//!   before                                   after, at the jump
//!   ┌────────────────────┐ ← S               ┌────────────────────┐ ← S
//!   │ our incoming area  │ T bytes           │ callee's arguments │ B bytes (copied up)
//!   │                    │                   ├────────────────────┤
//!   ├────────────────────┤                   │ return address     │ ← rsp
//!   │ return address     │                   │ (rest of the old   │
//!   │ saved rbp          │ ← rbp             │  frame, dead)      │
//!   │ callee-saves, …    │                   │                    │
//!   │ outgoing area:     │                   │                    │
//!   │  callee's args     │ ← rsp             │                    │
//!   └────────────────────┘                   └────────────────────┘
//! ```
//!
//! Lowering first stores the callee's stack arguments in our outgoing area (as for an ordinary
//! call; the frame reserves room for them) and loads the register arguments into place, then
//! emits [`return_call_sequence`] and the jump. Argument registers survive the sequence: it
//! only writes [`PROBE_LOOP_REG`] (r11, never an argument) and restores callee-saved registers
//! (never arguments). An indirect callee's address must be in a register the sequence leaves
//! alone: [`RETURN_CALL_TARGET_REG`].

use super::frame::FrameLayout;
use super::prologue::{emit_frame_teardown, FrameInst};
use super::registers::PROBE_LOOP_REG;
use super::Unsupported;
use crate::isa::x64::regs::{R10, RBP, RSP};
use regalloc2::PReg;

/// Where an indirect `return_call` keeps the callee's address: caller-saved, no argument, not
/// touched by the sequence.
pub const RETURN_CALL_TARGET_REG: PReg = R10;

/// The instructions between placing the arguments of a `return_call` and jumping to the callee
/// (the jump itself, to a symbol or [`RETURN_CALL_TARGET_REG`], is lowering's).
/// `callee_stack_args` is the callee's `AbiLayout::stack_arg_size`; the frame must have been
/// laid out with it in `FrameRequest::tail_call_args_size`.
pub fn return_call_sequence(
    frame: &FrameLayout,
    callee_stack_args: u32,
) -> Result<Vec<FrameInst>, Unsupported> {
    let area = frame.tail_args_size;
    if callee_stack_args > area || callee_stack_args > frame.outgoing_area_size {
        return Err(Unsupported(format!(
            "a return_call passing {callee_stack_args} bytes of stack arguments from a frame \
             laid out for {area}"
        )));
    }
    if !frame.setup_frame {
        // No frame, no callee-saves, no stack arguments: the jump alone is the tail call.
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let shift = (area - callee_stack_args) as i32;
    let copy = |from: (PReg, i32), to: i32, out: &mut Vec<FrameInst>| {
        out.push(FrameInst::Load {
            dst: PROBE_LOOP_REG,
            base: from.0,
            disp: from.1,
        });
        out.push(FrameInst::Store {
            src: PROBE_LOOP_REG,
            base: RBP,
            disp: to,
        });
    };
    // The return address goes right below where the callee's arguments will be.
    copy((RBP, 8), 8 + shift, &mut out);
    for word in (0..callee_stack_args as i32).step_by(8) {
        copy((RSP, word), 16 + shift + word, &mut out);
    }
    emit_frame_teardown(frame, &mut out);
    if shift > 0 {
        out.push(FrameInst::AddImm {
            dst: RSP,
            imm: shift as u32,
        });
    }
    Ok(out)
}
