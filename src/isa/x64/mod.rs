//! The x86-64 back end: registers, the instruction table, encoder, printer and ABI.
//!
//! ```text
//!   rows.rs (the table) ─┬─▶ encode.rs   bytes into a MachBuffer
//!   table.rs (its types) ├─▶ print.rs    AT&T text as objdump prints it
//!                        ├─▶ inst.rs     Inst, regalloc2 operands, allocations applied
//!                        └─▶ rule terms  Row::term_signature
//! ```

pub mod abi;
pub mod amode;
pub mod encode;
pub mod inst;
pub mod print;
pub mod regs;
pub mod rows;
pub mod table;
