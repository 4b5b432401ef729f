//! A function: name, signature, the frame and global declarations of its preamble, its
//! data-flow graph and layout, and (when parsed from text) where each part was written.

use super::dfg::{DataFlowGraph, ExternalName};
use super::entity::{Block, EntityVec, GlobalValue, Inst, SecondaryMap, StackSlot};
use super::immediates::{Imm64, Offset32};
use super::layout::Layout;
use super::memflags::MemFlags;
use super::signature::Signature;
use super::types::Type;
use std::fmt;

/// A function's name: `%name` or `u1:2`.
pub type FunctionName = ExternalName;

/// A stack slot: `ss0 = explicit_slot 16, align = 8`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct StackSlotData {
    pub kind: StackSlotKind,
    /// Size in bytes.
    pub size: u32,
    /// Alignment as a power of two (`align = 16` is 4); 0 means the default.
    pub align_shift: u8,
}

/// What a stack slot is for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StackSlotKind {
    /// Allocated for `stack_load`/`stack_store`/`stack_addr` (`explicit_slot`).
    Explicit,
}

impl fmt::Display for StackSlotData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StackSlotKind::Explicit => write!(f, "explicit_slot {}", self.size)?,
        }
        if self.align_shift != 0 {
            write!(f, ", align = {}", 1u64 << self.align_shift)?;
        }
        Ok(())
    }
}

/// How a global value is computed.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum GlobalValueData {
    /// The function's `vmctx` parameter.
    VMContext,
    /// A load from another global value plus an offset: `load.i64 notrap aligned gv0+8`.
    Load {
        base: GlobalValue,
        offset: Offset32,
        global_type: Type,
        flags: MemFlags,
    },
    /// Another global value plus a constant: `iadd_imm.i64 gv0, 16`.
    IAddImm {
        base: GlobalValue,
        offset: Imm64,
        global_type: Type,
    },
    /// The address of a symbol plus an offset: `symbol colocated tls %foo+8`.
    Symbol {
        name: ExternalName,
        offset: Imm64,
        colocated: bool,
        tls: bool,
    },
}

impl fmt::Display for GlobalValueData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobalValueData::VMContext => f.write_str("vmctx"),
            GlobalValueData::Load {
                base,
                offset,
                global_type,
                flags,
            } => write!(f, "load.{global_type}{flags} {base}{offset}"),
            GlobalValueData::IAddImm {
                base,
                offset,
                global_type,
            } => write!(f, "iadd_imm.{global_type} {base}, {offset}"),
            GlobalValueData::Symbol {
                name,
                offset,
                colocated,
                tls,
            } => {
                f.write_str("symbol")?;
                if *colocated {
                    f.write_str(" colocated")?;
                }
                if *tls {
                    f.write_str(" tls")?;
                }
                write!(f, " {name}")?;
                match offset.0 {
                    0 => Ok(()),
                    n if n > 0 => write!(f, "+{offset}"),
                    _ => write!(f, "{offset}"),
                }
            }
        }
    }
}

/// A position in source text, 1-based.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct SourcePos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Where the parts of a parsed function were written. Empty for functions built in Rust.
#[derive(Clone, Debug, Default)]
pub struct SourceLocs {
    /// The `function` keyword.
    pub function: Option<SourcePos>,
    pub insts: SecondaryMap<Inst, Option<SourcePos>>,
    pub blocks: SecondaryMap<Block, Option<SourcePos>>,
}

/// A CLIF function.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: FunctionName,
    pub signature: Signature,
    pub stack_slots: EntityVec<StackSlot, StackSlotData>,
    pub global_values: EntityVec<GlobalValue, GlobalValueData>,
    /// A `stack_limit = gvN` preamble line: the function checks its frame against this bound.
    pub stack_limit: Option<GlobalValue>,
    pub dfg: DataFlowGraph,
    pub layout: Layout,
    pub source_locs: SourceLocs,
}

impl Function {
    /// An empty function with the given name and signature.
    pub fn new(name: FunctionName, signature: Signature) -> Function {
        Function {
            name,
            signature,
            stack_slots: EntityVec::new(),
            global_values: EntityVec::new(),
            stack_limit: None,
            dfg: DataFlowGraph::new(),
            layout: Layout::new(),
            source_locs: SourceLocs::default(),
        }
    }

    /// A short description of `inst` for messages: `inst3 (v4 = iadd)` or `inst3 (store)`.
    pub fn describe_inst(&self, inst: Inst) -> String {
        let opcode = self.dfg.inst(inst).opcode();
        match self.dfg.inst_results(inst) {
            [] => format!("{inst} ({opcode})"),
            [r, ..] => format!("{inst} ({r} = {opcode})"),
        }
    }
}
