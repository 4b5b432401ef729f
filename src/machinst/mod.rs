//! The target-independent back end: lowering driver, VCode, register allocation glue and the
//! machine-code buffer.

pub mod blockorder;
pub mod buffer;
pub mod lower;
pub mod vcode;
