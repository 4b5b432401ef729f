//! The CLIF-compatible intermediate representation. Depends on nothing else in rulesel.
//!
//! ```text
//!  .clif text ──lexer──▶ tokens ──parser──▶ TestFile { headers, functions + run commands }
//!                                               │
//!  FunctionBuilder ─────────────────────────▶ Function ──verifier──▶ Ok / Vec<VerifierError>
//!                                               │  └──write──▶ .clif text (a fixed point)
//!          ┌────────────────────────────────────┴──────────────┐
//!          ▼                                                   ▼
//!   DataFlowGraph                                           Layout
//!     insts: Inst → InstructionData (one variant per format)  block order
//!     results, block params, values: Value → (type, def)      instructions of each block
//!     pools: value lists, branch-argument lists
//!     signatures, external functions, constants, jump and exception tables
//! ```
//!
//! [`opcodes`] is the one table of the instruction set; the parser, printer, verifier and the
//! rule language all read it.

pub mod builder;
pub mod condcodes;
pub mod dfg;
pub mod diagnostic;
pub mod dominators;
pub mod entity;
pub mod function;
pub mod immediates;
pub mod instructions;
pub mod layout;
pub mod lexer;
pub mod memflags;
pub mod opcodes;
pub mod parser;
pub mod runcmd;
pub mod signature;
pub mod trapcode;
pub mod types;
pub mod verifier;
pub mod write;

pub use builder::FunctionBuilder;
pub use condcodes::{FloatCC, IntCC};
pub use dfg::{DataFlowGraph, ExternalName, UserStackMapEntry, ValueDef};
pub use entity::{
    Block, Constant, DynamicStackSlot, EntityRef, EntityVec, ExceptionTable, FuncRef, GlobalValue,
    Inst, JumpTable, SecondaryMap, SigRef, StackSlot, Value,
};
pub use function::{
    AliasRegionData, DebugTag, Function, GlobalValueData, SourceLoc, StackSlotData,
};
pub use immediates::{Ieee128, Ieee16, Ieee32, Ieee64, Imm64, Offset32};
pub use instructions::{BlockArg, BlockCall, ExceptionItem, InstructionData};
pub use layout::Layout;
pub use memflags::MemFlags;
pub use opcodes::{InstructionFormat, Opcode, OpcodeInfo};
pub use parser::{
    parse_functions, parse_test_file, Header, HeaderKind, ParseError, TestFile, TestFunction,
};
pub use runcmd::{DataValue, Expectation, RunCommand};
pub use signature::{AbiParam, ArgumentExtension, ArgumentPurpose, CallConv, Signature};
pub use trapcode::TrapCode;
pub use types::Type;
pub use verifier::{verify_function, VerifierError};
