//! rulesel: an x86-64 code generator for Cranelift-compatible IR (CLIF) whose instruction
//! selection is written as rules. See `DESIGN.md` in the shared folder for the pipeline:
//!
//! ```text
//! .clif ─▶ ir ─▶ lower (rules → match trees) ─▶ regalloc2 ─▶ abi frame ─▶ emit ─▶ jit / obj
//! ```

pub mod compile;
pub mod dsl;
pub mod fuzzgen;
pub mod ir;
pub mod isa;
pub mod jit;
pub mod machinst;
pub mod module;
pub mod obj;
pub mod ruletools;
pub mod runtest;
pub mod settings;
pub mod targets;
pub mod unwind;
