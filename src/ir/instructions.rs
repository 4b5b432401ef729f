//! Instruction data: one variant per [`InstructionFormat`], holding the opcode, the value
//! operands and the immediates. Variable-length operand lists (call arguments, return values,
//! branch arguments) live in pools of the [`DataFlowGraph`](super::dfg::DataFlowGraph) and are
//! named by small `Copy` handles, so `InstructionData` itself is `Copy` and a few words long.

use super::condcodes::{FloatCC, IntCC};
use super::entity::{
    Block, Constant, DynamicStackSlot, ExceptionTable, FuncRef, GlobalValue, JumpTable, SigRef,
    StackSlot, Value,
};
use super::immediates::{Ieee16, Ieee32, Ieee64, Imm64, Offset32};
use super::memflags::MemFlags;
use super::opcodes::{AtomicRmwOp, InstructionFormat, Opcode};
use super::trapcode::TrapCode;
use std::fmt;
use std::marker::PhantomData;

/// A handle to a list of `T` stored in a [`ListPool<T>`].
#[derive(PartialEq, Eq, Hash, Debug)]
pub struct EntityList<T> {
    start: u32,
    len: u32,
    item: PhantomData<T>,
}

impl<T> Clone for EntityList<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for EntityList<T> {}

impl<T> Default for EntityList<T> {
    fn default() -> Self {
        EntityList {
            start: 0,
            len: 0,
            item: PhantomData,
        }
    }
}

impl<T> EntityList<T> {
    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// An append-only store of lists. Lists are never freed: a function's lists are built once by
/// the parser or builder and read many times.
#[derive(Clone, Debug)]
pub struct ListPool<T> {
    items: Vec<T>,
}

impl<T: Copy> ListPool<T> {
    pub fn new() -> Self {
        ListPool { items: Vec::new() }
    }

    /// Stores a copy of `items` and returns its handle.
    pub fn make(&mut self, items: &[T]) -> EntityList<T> {
        let start = u32::try_from(self.items.len()).expect("list pool fits in u32");
        self.items.extend_from_slice(items);
        EntityList {
            start,
            len: items.len() as u32,
            item: PhantomData,
        }
    }

    pub fn get(&self, list: EntityList<T>) -> &[T] {
        &self.items[list.start as usize..(list.start + list.len) as usize]
    }

    pub fn get_mut(&mut self, list: EntityList<T>) -> &mut [T] {
        &mut self.items[list.start as usize..(list.start + list.len) as usize]
    }

    /// The list with `item` appended; extends in place when `list` is the pool's last list.
    pub fn push(&mut self, list: EntityList<T>, item: T) -> EntityList<T> {
        if (list.start + list.len) as usize == self.items.len() {
            self.items.push(item);
            EntityList {
                len: list.len + 1,
                ..list
            }
        } else {
            let mut copy = self.get(list).to_vec();
            copy.push(item);
            self.make(&copy)
        }
    }
}

impl<T: Copy> Default for ListPool<T> {
    fn default() -> Self {
        ListPool::new()
    }
}

/// A list of values in the data-flow graph's value pool.
pub type ValueList = EntityList<Value>;

/// One argument passed to a block by a branch.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BlockArg {
    /// An ordinary value.
    Value(Value),
    /// The `n`th return value of the `try_call` ending the block (`retN`), on its normal edge.
    TryCallRet(u32),
    /// The `n`th exception payload of the `try_call` ending the block (`exnN`), on a handler edge.
    TryCallExn(u32),
}

impl fmt::Display for BlockArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockArg::Value(v) => write!(f, "{v}"),
            BlockArg::TryCallRet(n) => write!(f, "ret{n}"),
            BlockArg::TryCallExn(n) => write!(f, "exn{n}"),
        }
    }
}

/// A branch target: a block and the arguments passed to its parameters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BlockCall {
    pub block: Block,
    pub args: EntityList<BlockArg>,
}

/// The targets of a `br_table`: the default first, then the table indexed by the operand.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct JumpTableData {
    /// Never empty: `targets[0]` is the default; `targets[1 + i]` is taken for index `i`.
    targets: Vec<BlockCall>,
}

impl JumpTableData {
    pub fn new(default: BlockCall, table: &[BlockCall]) -> JumpTableData {
        let mut targets = Vec::with_capacity(table.len() + 1);
        targets.push(default);
        targets.extend_from_slice(table);
        JumpTableData { targets }
    }

    pub fn default_target(&self) -> BlockCall {
        self.targets[0]
    }

    /// The indexed targets, without the default.
    pub fn table(&self) -> &[BlockCall] {
        &self.targets[1..]
    }

    /// Every target, the default first.
    pub fn all_targets(&self) -> &[BlockCall] {
        &self.targets
    }
}

/// One entry of a `try_call`'s exception table, in written order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ExceptionItem {
    /// `tagN: block(...)`: the handler for exceptions with tag `N`.
    Tag(u32, BlockCall),
    /// `default: block(...)`: the handler for every tag no `Tag` entry names.
    Default(BlockCall),
    /// `context vN`: the dynamic context the runtime needs to match the tags that follow (up to
    /// the next `context`); the compiled table says where the value is kept.
    Context(Value),
}

/// The targets of a `try_call`: where a normal return goes, and the handlers with their tags
/// and contexts.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ExceptionTableData {
    /// The callee's signature.
    pub sig: SigRef,
    /// Never empty: `targets[0]` is the normal return, then the handlers in written order.
    targets: Vec<BlockCall>,
    /// The entries; a `Tag` or `Default` entry's target is the next unused one of `targets`.
    items: Vec<ExceptionItem>,
}

impl ExceptionTableData {
    /// A table from the normal-return target and the entries in written order.
    pub fn new(
        sig: SigRef,
        normal_return: BlockCall,
        items: &[ExceptionItem],
    ) -> ExceptionTableData {
        let mut targets = vec![normal_return];
        targets.extend(items.iter().filter_map(|item| match *item {
            ExceptionItem::Tag(_, call) | ExceptionItem::Default(call) => Some(call),
            ExceptionItem::Context(_) => None,
        }));
        ExceptionTableData {
            sig,
            targets,
            items: items.to_vec(),
        }
    }

    pub fn normal_return(&self) -> BlockCall {
        self.targets[0]
    }

    /// The entries, in written order.
    pub fn items(&self) -> &[ExceptionItem] {
        &self.items
    }

    /// The handlers as `(tag, target, context)` in order: tag `None` is the `default`
    /// handler; the context is the latest `context` entry before the handler, if any.
    pub fn handlers(&self) -> impl Iterator<Item = (Option<u32>, BlockCall, Option<Value>)> + '_ {
        let mut context = None;
        self.items.iter().filter_map(move |item| match *item {
            ExceptionItem::Context(v) => {
                context = Some(v);
                None
            }
            ExceptionItem::Tag(tag, call) => Some((Some(tag), call, context)),
            ExceptionItem::Default(call) => Some((None, call, context)),
        })
    }

    /// The `context` values, in order.
    pub fn contexts(&self) -> impl Iterator<Item = Value> + '_ {
        self.items.iter().filter_map(|item| match item {
            ExceptionItem::Context(v) => Some(*v),
            _ => None,
        })
    }

    /// Every target, the normal return first.
    pub fn all_targets(&self) -> &[BlockCall] {
        &self.targets
    }
}

/// An instruction: its opcode, operands and immediates, one variant per format.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[allow(missing_docs)]
pub enum InstructionData {
    NullAry {
        opcode: Opcode,
    },
    Unary {
        opcode: Opcode,
        arg: Value,
    },
    UnaryImm {
        opcode: Opcode,
        imm: Imm64,
    },
    UnaryIeee16 {
        opcode: Opcode,
        imm: Ieee16,
    },
    UnaryIeee32 {
        opcode: Opcode,
        imm: Ieee32,
    },
    UnaryIeee64 {
        opcode: Opcode,
        imm: Ieee64,
    },
    UnaryConst {
        opcode: Opcode,
        constant: Constant,
    },
    UnaryGlobalValue {
        opcode: Opcode,
        global_value: GlobalValue,
    },
    Binary {
        opcode: Opcode,
        args: [Value; 2],
    },
    BinaryImm8 {
        opcode: Opcode,
        arg: Value,
        imm: u8,
    },
    BinaryImm64 {
        opcode: Opcode,
        arg: Value,
        imm: Imm64,
    },
    Ternary {
        opcode: Opcode,
        args: [Value; 3],
    },
    TernaryImm8 {
        opcode: Opcode,
        args: [Value; 2],
        imm: u8,
    },
    Shuffle {
        opcode: Opcode,
        args: [Value; 2],
        mask: [u8; 16],
    },
    IntCompare {
        opcode: Opcode,
        cond: IntCC,
        args: [Value; 2],
    },
    IntCompareImm {
        opcode: Opcode,
        cond: IntCC,
        arg: Value,
        imm: Imm64,
    },
    FloatCompare {
        opcode: Opcode,
        cond: FloatCC,
        args: [Value; 2],
    },
    IntAddTrap {
        opcode: Opcode,
        args: [Value; 2],
        code: TrapCode,
    },
    Jump {
        opcode: Opcode,
        destination: BlockCall,
    },
    Brif {
        opcode: Opcode,
        arg: Value,
        blocks: [BlockCall; 2],
    },
    BranchTable {
        opcode: Opcode,
        arg: Value,
        table: JumpTable,
    },
    Trap {
        opcode: Opcode,
        code: TrapCode,
    },
    CondTrap {
        opcode: Opcode,
        arg: Value,
        code: TrapCode,
    },
    /// `args` are the call arguments.
    Call {
        opcode: Opcode,
        func_ref: FuncRef,
        args: ValueList,
    },
    /// `args[0]` is the callee address, the rest the call arguments.
    CallIndirect {
        opcode: Opcode,
        sig_ref: SigRef,
        args: ValueList,
    },
    TryCall {
        opcode: Opcode,
        func_ref: FuncRef,
        args: ValueList,
        exception: ExceptionTable,
    },
    /// `args[0]` is the callee address, the rest the call arguments.
    TryCallIndirect {
        opcode: Opcode,
        args: ValueList,
        exception: ExceptionTable,
    },
    FuncAddr {
        opcode: Opcode,
        func_ref: FuncRef,
    },
    Load {
        opcode: Opcode,
        flags: MemFlags,
        arg: Value,
        offset: Offset32,
    },
    LoadNoOffset {
        opcode: Opcode,
        flags: MemFlags,
        arg: Value,
    },
    /// `args[0]` is the stored value, `args[1]` the address.
    Store {
        opcode: Opcode,
        flags: MemFlags,
        args: [Value; 2],
        offset: Offset32,
    },
    StoreNoOffset {
        opcode: Opcode,
        flags: MemFlags,
        args: [Value; 2],
    },
    StackLoad {
        opcode: Opcode,
        stack_slot: StackSlot,
        offset: Offset32,
    },
    StackStore {
        opcode: Opcode,
        arg: Value,
        stack_slot: StackSlot,
        offset: Offset32,
    },
    DynamicStackLoad {
        opcode: Opcode,
        dynamic_stack_slot: DynamicStackSlot,
    },
    DynamicStackStore {
        opcode: Opcode,
        arg: Value,
        dynamic_stack_slot: DynamicStackSlot,
    },
    /// `args[0]` is the address, `args[1]` the operand.
    AtomicRmw {
        opcode: Opcode,
        flags: MemFlags,
        op: AtomicRmwOp,
        args: [Value; 2],
    },
    /// `args` are the address, the expected value and the replacement.
    AtomicCas {
        opcode: Opcode,
        flags: MemFlags,
        args: [Value; 3],
    },
    MultiAry {
        opcode: Opcode,
        args: ValueList,
    },
    ExceptionHandlerAddress {
        opcode: Opcode,
        block: Block,
        imm: Imm64,
    },
}

impl InstructionData {
    pub fn opcode(&self) -> Opcode {
        use InstructionData::*;
        match *self {
            NullAry { opcode }
            | Unary { opcode, .. }
            | UnaryImm { opcode, .. }
            | UnaryIeee16 { opcode, .. }
            | UnaryIeee32 { opcode, .. }
            | UnaryIeee64 { opcode, .. }
            | UnaryConst { opcode, .. }
            | UnaryGlobalValue { opcode, .. }
            | Binary { opcode, .. }
            | BinaryImm8 { opcode, .. }
            | BinaryImm64 { opcode, .. }
            | Ternary { opcode, .. }
            | TernaryImm8 { opcode, .. }
            | Shuffle { opcode, .. }
            | IntCompare { opcode, .. }
            | IntCompareImm { opcode, .. }
            | FloatCompare { opcode, .. }
            | IntAddTrap { opcode, .. }
            | Jump { opcode, .. }
            | Brif { opcode, .. }
            | BranchTable { opcode, .. }
            | Trap { opcode, .. }
            | CondTrap { opcode, .. }
            | Call { opcode, .. }
            | CallIndirect { opcode, .. }
            | TryCall { opcode, .. }
            | TryCallIndirect { opcode, .. }
            | FuncAddr { opcode, .. }
            | Load { opcode, .. }
            | LoadNoOffset { opcode, .. }
            | Store { opcode, .. }
            | StoreNoOffset { opcode, .. }
            | StackLoad { opcode, .. }
            | StackStore { opcode, .. }
            | DynamicStackLoad { opcode, .. }
            | DynamicStackStore { opcode, .. }
            | AtomicRmw { opcode, .. }
            | AtomicCas { opcode, .. }
            | MultiAry { opcode, .. }
            | ExceptionHandlerAddress { opcode, .. } => opcode,
        }
    }

    /// The format of this variant (always the format of its opcode in a valid instruction).
    pub fn format(&self) -> InstructionFormat {
        use InstructionData as D;
        use InstructionFormat as F;
        match self {
            D::NullAry { .. } => F::NullAry,
            D::Unary { .. } => F::Unary,
            D::UnaryImm { .. } => F::UnaryImm,
            D::UnaryIeee16 { .. } => F::UnaryIeee16,
            D::UnaryIeee32 { .. } => F::UnaryIeee32,
            D::UnaryIeee64 { .. } => F::UnaryIeee64,
            D::UnaryConst { .. } => F::UnaryConst,
            D::UnaryGlobalValue { .. } => F::UnaryGlobalValue,
            D::Binary { .. } => F::Binary,
            D::BinaryImm8 { .. } => F::BinaryImm8,
            D::BinaryImm64 { .. } => F::BinaryImm64,
            D::Ternary { .. } => F::Ternary,
            D::TernaryImm8 { .. } => F::TernaryImm8,
            D::Shuffle { .. } => F::Shuffle,
            D::IntCompare { .. } => F::IntCompare,
            D::IntCompareImm { .. } => F::IntCompareImm,
            D::FloatCompare { .. } => F::FloatCompare,
            D::IntAddTrap { .. } => F::IntAddTrap,
            D::Jump { .. } => F::Jump,
            D::Brif { .. } => F::Brif,
            D::BranchTable { .. } => F::BranchTable,
            D::Trap { .. } => F::Trap,
            D::CondTrap { .. } => F::CondTrap,
            D::Call { .. } => F::Call,
            D::CallIndirect { .. } => F::CallIndirect,
            D::TryCall { .. } => F::TryCall,
            D::TryCallIndirect { .. } => F::TryCallIndirect,
            D::FuncAddr { .. } => F::FuncAddr,
            D::Load { .. } => F::Load,
            D::LoadNoOffset { .. } => F::LoadNoOffset,
            D::Store { .. } => F::Store,
            D::StoreNoOffset { .. } => F::StoreNoOffset,
            D::StackLoad { .. } => F::StackLoad,
            D::StackStore { .. } => F::StackStore,
            D::DynamicStackLoad { .. } => F::DynamicStackLoad,
            D::DynamicStackStore { .. } => F::DynamicStackStore,
            D::AtomicRmw { .. } => F::AtomicRmw,
            D::AtomicCas { .. } => F::AtomicCas,
            D::MultiAry { .. } => F::MultiAry,
            D::ExceptionHandlerAddress { .. } => F::ExceptionHandlerAddress,
        }
    }

    /// All value operands, fixed ones first (for indirect calls the callee address comes first).
    pub fn arguments<'a>(&'a self, pool: &'a ListPool<Value>) -> &'a [Value] {
        use InstructionData::*;
        match self {
            Unary { arg, .. }
            | BinaryImm8 { arg, .. }
            | BinaryImm64 { arg, .. }
            | IntCompareImm { arg, .. }
            | Brif { arg, .. }
            | BranchTable { arg, .. }
            | CondTrap { arg, .. }
            | Load { arg, .. }
            | LoadNoOffset { arg, .. }
            | StackStore { arg, .. }
            | DynamicStackStore { arg, .. } => std::slice::from_ref(arg),
            Binary { args, .. }
            | TernaryImm8 { args, .. }
            | Shuffle { args, .. }
            | IntCompare { args, .. }
            | FloatCompare { args, .. }
            | IntAddTrap { args, .. }
            | Store { args, .. }
            | StoreNoOffset { args, .. }
            | AtomicRmw { args, .. } => args,
            Ternary { args, .. } | AtomicCas { args, .. } => args,
            Call { args, .. }
            | CallIndirect { args, .. }
            | TryCall { args, .. }
            | TryCallIndirect { args, .. }
            | MultiAry { args, .. } => pool.get(*args),
            NullAry { .. }
            | UnaryImm { .. }
            | UnaryIeee16 { .. }
            | UnaryIeee32 { .. }
            | UnaryIeee64 { .. }
            | UnaryConst { .. }
            | UnaryGlobalValue { .. }
            | Jump { .. }
            | Trap { .. }
            | FuncAddr { .. }
            | StackLoad { .. }
            | DynamicStackLoad { .. }
            | ExceptionHandlerAddress { .. } => &[],
        }
    }

    /// Mutable access to the value operands, for rewriting (alias resolution).
    pub fn arguments_mut<'a>(&'a mut self, pool: &'a mut ListPool<Value>) -> &'a mut [Value] {
        use InstructionData::*;
        match self {
            Unary { arg, .. }
            | BinaryImm8 { arg, .. }
            | BinaryImm64 { arg, .. }
            | IntCompareImm { arg, .. }
            | Brif { arg, .. }
            | BranchTable { arg, .. }
            | CondTrap { arg, .. }
            | Load { arg, .. }
            | LoadNoOffset { arg, .. }
            | StackStore { arg, .. }
            | DynamicStackStore { arg, .. } => std::slice::from_mut(arg),
            Binary { args, .. }
            | TernaryImm8 { args, .. }
            | Shuffle { args, .. }
            | IntCompare { args, .. }
            | FloatCompare { args, .. }
            | IntAddTrap { args, .. }
            | Store { args, .. }
            | StoreNoOffset { args, .. }
            | AtomicRmw { args, .. } => args,
            Ternary { args, .. } | AtomicCas { args, .. } => args,
            Call { args, .. }
            | CallIndirect { args, .. }
            | TryCall { args, .. }
            | TryCallIndirect { args, .. }
            | MultiAry { args, .. } => pool.get_mut(*args),
            NullAry { .. }
            | UnaryImm { .. }
            | UnaryIeee16 { .. }
            | UnaryIeee32 { .. }
            | UnaryIeee64 { .. }
            | UnaryConst { .. }
            | UnaryGlobalValue { .. }
            | Jump { .. }
            | Trap { .. }
            | FuncAddr { .. }
            | StackLoad { .. }
            | DynamicStackLoad { .. }
            | ExceptionHandlerAddress { .. } => &mut [],
        }
    }

    /// The value operands that are not fixed by the format: call arguments (without an indirect
    /// callee) and return values.
    pub fn variable_args<'a>(&'a self, pool: &'a ListPool<Value>) -> &'a [Value] {
        let all = self.arguments(pool);
        &all[self.format().fixed_value_count().min(all.len())..]
    }

    /// The trap code, for instructions that carry one.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match *self {
            InstructionData::Trap { code, .. }
            | InstructionData::CondTrap { code, .. }
            | InstructionData::IntAddTrap { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The memory flags, for memory accesses (and `bitcast`, whose flags give the byte order).
    pub fn memflags(&self) -> Option<MemFlags> {
        match *self {
            InstructionData::Load { flags, .. }
            | InstructionData::LoadNoOffset { flags, .. }
            | InstructionData::Store { flags, .. }
            | InstructionData::StoreNoOffset { flags, .. }
            | InstructionData::AtomicRmw { flags, .. }
            | InstructionData::AtomicCas { flags, .. } => Some(flags),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::entity::EntityRef;

    #[test]
    fn list_pool_appends_in_place_at_the_end() {
        let mut pool = ListPool::new();
        let a = pool.make(&[Value::new(0), Value::new(1)]);
        let a = pool.push(a, Value::new(2));
        let b = pool.make(&[Value::new(7)]);
        let a2 = pool.push(a, Value::new(3));
        assert_eq!(pool.get(a2).len(), 4);
        assert_eq!(pool.get(a).len(), 3);
        assert_eq!(pool.get(b), &[Value::new(7)]);
    }

    #[test]
    fn arguments_follow_the_format() {
        let pool = ListPool::new();
        let (x, y) = (Value::new(1), Value::new(2));
        let inst = InstructionData::Binary {
            opcode: Opcode::Iadd,
            args: [x, y],
        };
        assert_eq!(inst.arguments(&pool), &[x, y]);
        assert_eq!(inst.format(), Opcode::Iadd.format());
        assert!(inst.variable_args(&pool).is_empty());
    }
}
