//! The x86-64 back end: registers, the instruction table, encoder, printer and ABI.
//!
//! ```text
//!   rows.rs   the table: one line per instruction form ──┬─▶ encode.rs  bytes into a MachBuffer
//!   table.rs  what a row says (operands, encoding)       ├─▶ print.rs   AT&T text, as objdump
//!   regs.rs   registers; Reg = virtual or pinned physical├─▶ inst.rs    Inst: a row + operand values,
//!   amode.rs  memory operands, frame slots resolved late │              regalloc2 operands/allocations
//!                                                        └─▶ Row::term_signature: rule terms
//! ```
//!
//! # Adding an instruction
//!
//! Add a line to the `table!` in `rows.rs`: name, Intel and AT&T mnemonics, whether objdump
//! sizes a memory operand with a suffix, the operands in Intel order, the encoding, and the CPU
//! feature if it is not baseline. `tests/x64_encoding.rs` then encodes it over registers,
//! addressing modes and immediates and checks it against iced-x86 and objdump; lowering names
//! it `Op::<name>` and the rule language sees the term `<name>` with `Row::term_signature`.
//!
//! # Registers through allocation
//!
//! An [`inst::Inst`] holds [`regs::Reg`]s, which are regalloc2 `VReg`s where indices below
//! [`regs::PINNED_VREGS`] stand for physical registers. `Inst::collect_operands` gives regalloc2
//! the operand list derived from the row (reuse constraints for two-address forms, fixed
//! registers for implicit operands); `Inst::with_allocs` writes the allocation back; then
//! `encode::emit` encodes it, resolving frame addresses through the ABI's `FrameResolver`.

pub mod abi;
pub mod amode;
pub mod cpuid;
pub mod encode;
pub mod inst;
pub mod lower;
pub mod print;
pub mod regs;
pub mod rows;
pub mod table;
pub mod unwind;

pub use lower::IsaFlags;
