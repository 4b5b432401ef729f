//! The x86-64 back end: registers, the instruction table, encoder, printer and ABI.

pub mod abi;
pub mod regs;
