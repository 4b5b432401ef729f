//! The x86-64 ABI and frame layer, written by hand after the System V AMD64 psABI and the
//! Windows x64 calling convention.
//!
//! Four questions, one module each:
//!
//! - [`args`]: where does each parameter and result of a signature live (registers, stack
//!   slots, a pointer to a copy, a hidden return area)? → [`AbiLayout`].
//! - [`registers`]: which registers does a convention preserve across calls, which does a call
//!   clobber, and which may regalloc2 hand out? → [`machine_env`], [`call_clobbers`].
//! - [`frame`]: where does everything a function keeps on the stack sit? → [`FrameLayout`].
//! - [`prologue`]: which instructions set the frame up and take it down again, with stack probes
//!   and stack-limit checks? → [`prologue`](prologue::prologue), [`epilogue`](prologue::epilogue).
//!
//! Around them:
//!
//! - [`moves`] turns a layout into the per-value steps lowering emits at calls, on entry and
//!   at returns (extension of narrow values, the return-area temporary, `Amode`s for stack
//!   places, the registers a call clobbers).
//! - [`tail_call`]: the sequence between placing a `return_call`'s arguments and the jump.
//! - [`emit`]: frame sequences encoded through the x64 instruction table.
//!
//! Every function here takes a verified signature and returns [`Unsupported`] for an ABI it
//! cannot implement; none of them panics on such input.
//!
//! ```text
//!   Signature + Flags ──AbiLayout::compute──▶ AbiLayout ──moves──▶ lowering (calls, entry, ret)
//!   AbiLayout + FrameRequest (after regalloc) ──FrameLayout::compute──▶ FrameLayout
//!   FrameLayout ──prologue / epilogue / return_call_sequence──▶ [FrameInst] ──emit──▶ bytes
//!   FrameLayout ──FrameResolver──▶ Amode::Frame operands resolved at encoding
//! ```

pub mod args;
pub mod emit;
pub mod frame;
pub mod moves;
pub mod prologue;
pub mod registers;
pub mod tail_call;

pub use args::{AbiArg, AbiLayout, ArgLoc, ArgSlot};
pub use frame::{FrameLayout, FrameRequest, StackSlotSpec};
pub use registers::{call_clobbers, callee_saved, exception_payload_regs, machine_env};

use std::fmt;

/// A signature, frame or flag combination this layer cannot produce code for (yet). Displayed as
/// `not supported yet: …`; the caller adds the location (function name, signature).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not supported yet: {}", self.0)
    }
}

impl std::error::Error for Unsupported {}

/// Rounds `n` up to a multiple of `align` (a power of two).
pub(crate) fn align_to(n: u32, align: u32) -> u32 {
    debug_assert!(align.is_power_of_two());
    (n + align - 1) & !(align - 1)
}
