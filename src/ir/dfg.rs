//! The data-flow graph: instructions, the values they define and use, block parameters, and the
//! tables instructions refer to (signatures, external functions, jump and exception tables,
//! constants).
//!
//! Values are defined exactly once, as an instruction result or a block parameter, or are an
//! alias of another value (CLIF's `v1 -> v0`). Value numbers may have holes (text keeps the
//! numbers it was written with); a hole is a value whose definition is [`ValueDef::Unused`].

use super::entity::{
    Block, Constant, EntityRef, EntityVec, ExceptionTable, FuncRef, Inst, JumpTable, SigRef,
    StackSlot, Value,
};
use super::instructions::{
    BlockArg, BlockCall, EntityList, ExceptionTableData, InstructionData, JumpTableData, ListPool,
    ValueList,
};
use super::opcodes::CtrlType;
use super::signature::Signature;
use super::types::Type;
use std::collections::BTreeMap;
use std::fmt;

/// Where a value comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ValueDef {
    /// Result number `n` of an instruction.
    Result(Inst, u16),
    /// Parameter number `n` of a block.
    Param(Block, u16),
    /// Another name for a value.
    Alias(Value),
    /// A number no definition uses (a hole left by text numbering).
    Unused,
}

#[derive(Clone, Copy, Debug)]
struct ValueData {
    ty: Type,
    def: ValueDef,
}

/// A function the code calls: its name, signature and whether it is linked next to the caller.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ExtFuncData {
    pub name: ExternalName,
    pub signature: SigRef,
    /// Defined in the same object, so reachable with a near call (`colocated`).
    pub colocated: bool,
    /// Calls to it are patchable call sites (`patchable`): the embedder may turn them into
    /// no-ops and back, so they clobber no register the convention does not.
    pub patchable: bool,
}

/// One entry of a call's user stack map (`stack_map=[i32 @ ss0+4]`): a value of type `ty`
/// that the caller keeps at `offset` in stack slot `slot` across the call, for a garbage
/// collector to find.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UserStackMapEntry {
    pub ty: Type,
    pub slot: StackSlot,
    pub offset: u32,
}

/// The name of something outside the function: `%name` for test cases, `u1:2` for a user-
/// defined namespace and index.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum ExternalName {
    TestCase(String),
    User { namespace: u32, index: u32 },
}

impl fmt::Display for ExternalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternalName::TestCase(name) => write!(f, "%{name}"),
            ExternalName::User { namespace, index } => write!(f, "u{namespace}:{index}"),
        }
    }
}

/// The bytes of a constant-pool entry, least significant byte first.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct ConstantData(pub Vec<u8>);

/// Prints as one hex number, most significant byte first (`0x0011…`), as CLIF writes constants.
impl fmt::Display for ConstantData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0.iter().rev() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Instructions, values and the tables they refer to.
#[derive(Clone, Debug, Default)]
pub struct DataFlowGraph {
    insts: EntityVec<Inst, InstructionData>,
    results: EntityVec<Inst, ValueList>,
    values: EntityVec<Value, ValueData>,
    block_params: EntityVec<Block, Vec<Value>>,
    /// The pool of variable operand lists.
    pub value_lists: ListPool<Value>,
    /// The pool of branch-argument lists.
    pub block_args: ListPool<BlockArg>,
    pub jump_tables: EntityVec<JumpTable, JumpTableData>,
    pub exception_tables: EntityVec<ExceptionTable, ExceptionTableData>,
    pub constants: EntityVec<Constant, ConstantData>,
    pub signatures: EntityVec<SigRef, Signature>,
    pub ext_funcs: EntityVec<FuncRef, ExtFuncData>,
    /// The user stack maps of the calls that have one.
    pub user_stack_maps: BTreeMap<Inst, Vec<UserStackMapEntry>>,
}

impl DataFlowGraph {
    pub fn new() -> Self {
        Self::default()
    }

    // ---- instructions ----

    /// Adds an instruction without results; see [`DataFlowGraph::make_results`].
    pub fn make_inst(&mut self, data: InstructionData) -> Inst {
        self.results.push(ValueList::default());
        self.insts.push(data)
    }

    pub fn num_insts(&self) -> usize {
        self.insts.len()
    }

    pub fn inst_is_valid(&self, inst: Inst) -> bool {
        self.insts.is_valid(inst)
    }

    pub fn inst(&self, inst: Inst) -> &InstructionData {
        &self.insts[inst]
    }

    pub fn inst_mut(&mut self, inst: Inst) -> &mut InstructionData {
        &mut self.insts[inst]
    }

    /// The value operands of `inst`.
    pub fn inst_args(&self, inst: Inst) -> &[Value] {
        self.insts[inst].arguments(&self.value_lists)
    }

    pub fn inst_results(&self, inst: Inst) -> &[Value] {
        self.value_lists.get(self.results[inst])
    }

    /// The first result, for single-result instructions.
    pub fn first_result(&self, inst: Inst) -> Option<Value> {
        self.inst_results(inst).first().copied()
    }

    /// Creates fresh result values of the given types for `inst`.
    pub fn make_results(&mut self, inst: Inst, types: &[Type]) -> &[Value] {
        let values: Vec<Value> = types
            .iter()
            .enumerate()
            .map(|(i, &ty)| {
                self.values.push(ValueData {
                    ty,
                    def: ValueDef::Result(inst, i as u16),
                })
            })
            .collect();
        self.results[inst] = self.value_lists.make(&values);
        self.inst_results(inst)
    }

    /// Gives `inst` the results `values` (numbers chosen by the caller, e.g. the text parser),
    /// typed `types`. Each value must be undefined so far.
    pub fn attach_results(&mut self, inst: Inst, values: &[Value], types: &[Type]) {
        for (i, (&v, &ty)) in values.iter().zip(types).enumerate() {
            self.define_value(v, ty, ValueDef::Result(inst, i as u16));
        }
        self.results[inst] = self.value_lists.make(values);
    }

    /// The controlling type of `inst`: its explicit type (the first result's) or the type of the
    /// operand it is inferred from; `INVALID` for non-polymorphic instructions.
    pub fn ctrl_type(&self, inst: Inst) -> Type {
        let info = self.insts[inst].opcode().info();
        match info.ctrl {
            CtrlType::NotPolymorphic => Type::INVALID,
            CtrlType::Explicit => self
                .first_result(inst)
                .map_or(Type::INVALID, |v| self.value_type(v)),
            CtrlType::FromArg(n) => self
                .inst_args(inst)
                .get(usize::from(n))
                .map_or(Type::INVALID, |&v| self.value_type(v)),
        }
    }

    /// The branch targets of a terminator, in order (for `br_table` the default first, for
    /// `try_call` the normal return first).
    pub fn branch_destinations(&self, inst: Inst) -> &[BlockCall] {
        match &self.insts[inst] {
            InstructionData::Jump { destination, .. } => std::slice::from_ref(destination),
            InstructionData::Brif { blocks, .. } => blocks,
            InstructionData::BranchTable { table, .. } => self.jump_tables[*table].all_targets(),
            InstructionData::TryCall { exception, .. }
            | InstructionData::TryCallIndirect { exception, .. } => {
                self.exception_tables[*exception].all_targets()
            }
            _ => &[],
        }
    }

    /// The `context` values of a `try_call`'s exception table: values the instruction uses
    /// beyond its operands.
    pub fn exception_contexts(&self, inst: Inst) -> Vec<Value> {
        match self.insts[inst] {
            InstructionData::TryCall { exception, .. }
            | InstructionData::TryCallIndirect { exception, .. } => self
                .exception_tables
                .get(exception)
                .map_or_else(Vec::new, |t| t.contexts().collect()),
            _ => Vec::new(),
        }
    }

    /// Makes a branch target from a block and value arguments.
    pub fn block_call(&mut self, block: Block, args: &[Value]) -> BlockCall {
        let args: Vec<BlockArg> = args.iter().map(|&v| BlockArg::Value(v)).collect();
        BlockCall {
            block,
            args: self.block_args.make(&args),
        }
    }

    pub fn block_call_args(&self, call: BlockCall) -> &[BlockArg] {
        self.block_args.get(call.args)
    }

    pub fn make_value_list(&mut self, values: &[Value]) -> ValueList {
        self.value_lists.make(values)
    }

    pub fn make_block_arg_list(&mut self, args: &[BlockArg]) -> EntityList<BlockArg> {
        self.block_args.make(args)
    }

    /// The signature a call instruction uses: its callee's, its own, or its exception table's.
    pub fn call_signature(&self, inst: Inst) -> Option<SigRef> {
        match self.insts[inst] {
            InstructionData::Call { func_ref, .. } => {
                self.ext_funcs.get(func_ref).map(|f| f.signature)
            }
            InstructionData::CallIndirect { sig_ref, .. } => Some(sig_ref),
            InstructionData::TryCall { exception, .. }
            | InstructionData::TryCallIndirect { exception, .. } => {
                self.exception_tables.get(exception).map(|t| t.sig)
            }
            _ => None,
        }
    }

    // ---- values ----

    pub fn num_values(&self) -> usize {
        self.values.len()
    }

    /// Whether `v` names a defined value (not a hole, not out of range).
    pub fn value_is_defined(&self, v: Value) -> bool {
        self.values
            .get(v)
            .is_some_and(|d| d.def != ValueDef::Unused)
    }

    /// The type of `v` (of its target, for an alias); `INVALID` for undefined values.
    pub fn value_type(&self, v: Value) -> Type {
        self.values.get(v).map_or(Type::INVALID, |d| d.ty)
    }

    pub fn value_def(&self, v: Value) -> ValueDef {
        self.values.get(v).map_or(ValueDef::Unused, |d| d.def)
    }

    /// Follows aliases to the value that is really defined. An alias cycle or an alias of an
    /// undefined value yields the last value reached.
    pub fn resolve_aliases(&self, v: Value) -> Value {
        let mut v = v;
        for _ in 0..=self.values.len() {
            match self.value_def(v) {
                ValueDef::Alias(target) => v = target,
                _ => return v,
            }
        }
        v
    }

    /// Defines `v` (growing the value table with holes as needed).
    pub fn define_value(&mut self, v: Value, ty: Type, def: ValueDef) {
        while self.values.len() <= v.index() {
            self.values.push(ValueData {
                ty: Type::INVALID,
                def: ValueDef::Unused,
            });
        }
        self.values[v] = ValueData { ty, def };
    }

    /// Makes `alias` another name for `target`. The alias takes the target's type.
    pub fn make_alias(&mut self, alias: Value, target: Value) {
        let ty = self.value_type(self.resolve_aliases(target));
        self.define_value(alias, ty, ValueDef::Alias(target));
    }

    /// Sets the type of an alias once its target's type is known.
    pub fn set_alias_type(&mut self, alias: Value, ty: Type) {
        if let Some(d) = self.values.get_mut(alias) {
            d.ty = ty;
        }
    }

    /// All value numbers, holes included.
    pub fn values(&self) -> impl Iterator<Item = Value> {
        self.values.keys()
    }

    // ---- blocks ----

    pub fn make_block(&mut self) -> Block {
        self.block_params.push(Vec::new())
    }

    /// Makes sure `block` exists, creating any lower-numbered blocks too.
    pub fn ensure_block(&mut self, block: Block) {
        while self.block_params.len() <= block.index() {
            self.block_params.push(Vec::new());
        }
    }

    pub fn num_blocks(&self) -> usize {
        self.block_params.len()
    }

    pub fn block_is_valid(&self, block: Block) -> bool {
        self.block_params.is_valid(block)
    }

    pub fn block_params(&self, block: Block) -> &[Value] {
        self.block_params.get(block).map_or(&[], |p| p)
    }

    /// Appends a fresh parameter of type `ty` to `block`.
    pub fn append_block_param(&mut self, block: Block, ty: Type) -> Value {
        let n = self.block_params[block].len() as u16;
        let v = self.values.push(ValueData {
            ty,
            def: ValueDef::Param(block, n),
        });
        self.block_params[block].push(v);
        v
    }

    /// Appends the parameter `v` (number chosen by the caller) of type `ty` to `block`.
    pub fn attach_block_param(&mut self, block: Block, v: Value, ty: Type) {
        let n = self.block_params[block].len() as u16;
        self.define_value(v, ty, ValueDef::Param(block, n));
        self.block_params[block].push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::opcodes::Opcode;

    #[test]
    fn values_and_aliases() {
        let mut dfg = DataFlowGraph::new();
        let b = dfg.make_block();
        let p = dfg.append_block_param(b, Type::I32);
        let inst = dfg.make_inst(InstructionData::Unary {
            opcode: Opcode::Ineg,
            arg: p,
        });
        let r = dfg.make_results(inst, &[Type::I32])[0];
        assert_eq!(dfg.value_def(r), ValueDef::Result(inst, 0));
        assert_eq!(dfg.ctrl_type(inst), Type::I32);
        let alias = Value::new(9);
        dfg.make_alias(alias, r);
        assert_eq!(dfg.resolve_aliases(alias), r);
        assert_eq!(dfg.value_type(alias), Type::I32);
        assert!(!dfg.value_is_defined(Value::new(5)));
        assert_eq!(ConstantData(vec![0x88, 0x77, 0x01]).to_string(), "0x017788");
    }
}
