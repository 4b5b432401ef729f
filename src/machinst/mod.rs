//! The target-independent back end: lowering driver, VCode, register allocation glue and the
//! machine-code buffer.

pub mod blockorder;
pub mod buffer;
pub mod lists;
pub mod lower;
pub mod timing;
pub mod vcode;
