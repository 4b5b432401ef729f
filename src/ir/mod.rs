//! The CLIF-compatible intermediate representation. Depends on nothing else in rulesel.

pub mod signature;
pub mod types;

pub use signature::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature};
pub use types::Type;
