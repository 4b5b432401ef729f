//! A function: name, signature, the frame and global declarations of its preamble, its
//! data-flow graph and layout, and (when parsed from text) where each part was written.

use super::dfg::{DataFlowGraph, ExternalName};
use super::entity::{Block, EntityVec, GlobalValue, Inst, SecondaryMap, StackSlot};
use super::immediates::{Imm64, Offset32};
use super::layout::Layout;
use super::memflags::MemFlags;
use super::signature::Signature;
use super::types::Type;
use std::collections::BTreeMap;
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
    /// An embedder's key for the slot (`key = N`), carried to debug information untouched.
    pub key: Option<u64>,
}

impl StackSlotData {
    /// An explicit slot of `size` bytes aligned to `2^align_shift`.
    pub fn explicit(size: u32, align_shift: u8) -> StackSlotData {
        StackSlotData {
            kind: StackSlotKind::Explicit,
            size,
            align_shift,
            key: None,
        }
    }
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
        if let Some(key) = self.key {
            write!(f, ", key = {key}")?;
        }
        Ok(())
    }
}

/// An alias region of the preamble: `region0 = 8 "VMContext+0x8"`. Memory accesses name it in
/// their flags (`region0`); accesses to different regions never alias.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct AliasRegionData {
    /// The producer's identifier, unique among the regions it makes.
    pub user_id: u32,
    /// What the region holds, for people reading the text.
    pub description: String,
}

/// A position in the producer's source (a wasm byte offset, say): `@00c7` before an
/// instruction. Kept with the instruction and printed back; it does not affect code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SourceLoc(pub u32);

impl fmt::Display for SourceLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{:04x}", self.0)
    }
}

/// One debug tag of an instruction (`<ss0, 7>`): an embedder's number or a stack slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DebugTag {
    User(u32),
    StackSlot(StackSlot),
}

impl fmt::Display for DebugTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DebugTag::User(n) => write!(f, "{n}"),
            DebugTag::StackSlot(ss) => write!(f, "{ss}"),
        }
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
    /// The alias regions of the preamble, `region0` first.
    pub alias_regions: Vec<AliasRegionData>,
    pub dfg: DataFlowGraph,
    pub layout: Layout,
    /// The producer's source location of each instruction that has one (`@00c7`).
    pub srclocs: SecondaryMap<Inst, Option<SourceLoc>>,
    /// The debug tags of the instructions that have some (`<ss0, 7>`).
    pub debug_tags: BTreeMap<Inst, Vec<DebugTag>>,
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
            alias_regions: Vec::new(),
            dfg: DataFlowGraph::new(),
            layout: Layout::new(),
            srclocs: SecondaryMap::new(),
            debug_tags: BTreeMap::new(),
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
