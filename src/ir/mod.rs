//! The CLIF-compatible intermediate representation. Depends on nothing else in rulesel.

pub mod condcodes;
pub mod entity;
pub mod immediates;
pub mod memflags;
pub mod opcodes;
pub mod signature;
pub mod trapcode;
pub mod types;

pub use condcodes::{FloatCC, IntCC};
pub use entity::{
    Block, Constant, DynamicStackSlot, EntityRef, EntityVec, ExceptionTable, FuncRef, GlobalValue,
    Inst, JumpTable, SecondaryMap, SigRef, StackSlot, Value,
};
pub use immediates::{Ieee128, Ieee16, Ieee32, Ieee64, Imm64, Offset32};
pub use memflags::MemFlags;
pub use opcodes::{InstructionFormat, Opcode, OpcodeInfo};
pub use signature::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature};
pub use trapcode::TrapCode;
pub use types::Type;
