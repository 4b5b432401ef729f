//! [`LowerCtx`]: the state the rules run against while one function is lowered — the IR (as the
//! rule executor's [`Host`]), the virtual registers of IR values, the instructions emitted for
//! the current IR instruction, and the side tables emission needs (constants, symbols, jump
//! tables).
//!
//! Values and words: every rule value is one `u64` word. Registers are packed regalloc2 `VReg`
//! bits; a [`ValueRegs`] is two of them; memory operands live in a per-instruction arena
//! ([`LowerCtx::amodes`]) and the word is their index, with bit 63 set when a `GprMem`/`XmmMem`
//! word means memory rather than a register.

use crate::dsl::{Host, Word};
use crate::ir::{self, EntityRef, InstructionData as D};
use crate::isa::x64::abi::AbiLayout;
use crate::isa::x64::amode::Amode;
use crate::isa::x64::inst::Inst;
use crate::isa::x64::regs::{Reg, PINNED_VREGS};
use crate::machinst::blockorder::BlockOrder;
use crate::machinst::buffer::{MachLabel, SymbolId, SymbolName, TrapCode};
use crate::machinst::lower::LowerFacts;
use crate::settings::Flags;
use regalloc2::{PReg, RegClass, VReg};

use super::minst::MInst;
use super::IsaFlags;

/// Packs a register into the low 32 bits of a word (`u32::MAX` for none).
pub fn reg_word(r: Reg) -> u64 {
    if !r.is_valid() {
        return u64::from(u32::MAX);
    }
    let v = r.to_vreg();
    ((v.vreg() as u64) << 2) | v.class() as u64
}

/// Inverse of [`reg_word`] (only the low 32 bits are read).
pub fn word_reg(w: u64) -> Reg {
    let w = w as u32;
    if w == u32::MAX {
        return Reg::INVALID;
    }
    let class = match w & 3 {
        0 => RegClass::Int,
        1 => RegClass::Float,
        _ => RegClass::Vector,
    };
    let index = (w >> 2) as usize;
    if index < PINNED_VREGS {
        Reg::phys(PReg::from_index(index))
    } else {
        Reg::virt(VReg::new(index, class))
    }
}

/// The register a regalloc2 `VReg` stands for (pinned indices are physical registers).
pub fn vreg_reg(v: VReg) -> Reg {
    if v.vreg() < PINNED_VREGS {
        Reg::phys(PReg::from_index(v.vreg()))
    } else {
        Reg::virt(v)
    }
}

impl Word for Reg {
    const RUST_TYPE: &'static str = "Reg";
    fn to_word(self) -> u64 {
        reg_word(self)
    }
    fn from_word(word: u64) -> Self {
        word_reg(word)
    }
}

/// The registers of one IR value: one, or two for `i128` (low half first).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ValueRegs {
    pub lo: Reg,
    pub hi: Reg,
}

impl ValueRegs {
    pub const NONE: ValueRegs = ValueRegs {
        lo: Reg::INVALID,
        hi: Reg::INVALID,
    };
    pub fn one(r: Reg) -> ValueRegs {
        ValueRegs {
            lo: r,
            hi: Reg::INVALID,
        }
    }
    pub fn regs(self) -> impl Iterator<Item = Reg> {
        [self.lo, self.hi].into_iter().filter(|r| r.is_valid())
    }
}

impl Word for ValueRegs {
    const RUST_TYPE: &'static str = "ValueRegs";
    fn to_word(self) -> u64 {
        reg_word(self.lo) | (reg_word(self.hi) << 32)
    }
    fn from_word(word: u64) -> Self {
        ValueRegs {
            lo: word_reg(word),
            hi: word_reg(word >> 32),
        }
    }
}

impl Word for ir::Value {
    const RUST_TYPE: &'static str = "Value";
    fn to_word(self) -> u64 {
        self.index() as u64
    }
    fn from_word(word: u64) -> Self {
        ir::Value::new(word as usize)
    }
}

impl Word for ir::Inst {
    const RUST_TYPE: &'static str = "Inst";
    fn to_word(self) -> u64 {
        self.index() as u64
    }
    fn from_word(word: u64) -> Self {
        ir::Inst::new(word as usize)
    }
}

impl Word for MachLabel {
    const RUST_TYPE: &'static str = "MachLabel";
    fn to_word(self) -> u64 {
        u64::from(self.0)
    }
    fn from_word(word: u64) -> Self {
        MachLabel(word as u32)
    }
}

impl Word for TrapCode {
    const RUST_TYPE: &'static str = "TrapCode";
    fn to_word(self) -> u64 {
        u64::from(self.0)
    }
    fn from_word(word: u64) -> Self {
        TrapCode(word as u8)
    }
}

/// The machine trap code of an IR trap code.
pub fn trap_code(code: ir::TrapCode) -> TrapCode {
    TrapCode::from(code)
}

/// The word for memory flags: the trap code byte when the access may trap (0 for `notrap`),
/// bit 8 for big-endian.
pub fn memflags_word(flags: ir::MemFlags) -> u64 {
    let trap = flags.trap_code.map_or(0, |code| u64::from(code.as_byte()));
    let big = u64::from(flags.endianness == ir::memflags::Endianness::Big);
    trap | (big << 8)
}

/// Bit 63 of a `GprMem`/`XmmMem` word: the rest is an amode arena index.
pub const MEM_BIT: u64 = 1 << 63;

/// The lowering state of one function. See the module documentation.
pub struct LowerCtx {
    pub func: ir::Function,
    pub flags: Flags,
    pub isa: IsaFlags,
    pub abi: AbiLayout,
    pub order: BlockOrder,
    /// Registers of each IR value, assigned on first use or definition.
    value_regs: Vec<ValueRegs>,
    /// Whether some instruction reads the value from a register.
    value_needed: Vec<bool>,
    /// For each virtual register (index minus `PINNED_VREGS`), the register it stands for
    /// (itself unless aliased to a rule's output).
    aliases: Vec<Reg>,
    /// Instructions emitted for the IR instruction being lowered, in order.
    pub cur: Vec<MInst>,
    pub cur_inst: ir::Inst,
    /// Lowered index of the block being lowered.
    pub cur_block: u32,
    /// Results produced by the rule that fired, in result order.
    pub outputs: Vec<ValueRegs>,
    /// Memory operands of the current instruction, with the trap code of their access.
    pub amodes: Vec<(Amode, Option<TrapCode>)>,
    /// Names of the symbols relocations refer to, indexed by `SymbolId`.
    pub symbols: Vec<SymbolName>,
    /// Constant-pool entries (bytes, alignment), labelled after the blocks in this order.
    pub constants: Vec<(Vec<u8>, u32)>,
    /// Jump tables, labelled after the constants in this order.
    pub jump_tables: Vec<Vec<MachLabel>>,
    /// The largest outgoing-argument area of the function's calls.
    pub outgoing_area: u32,
    pub is_leaf: bool,
    /// Use counts and side-effect colors (what may merge into what).
    facts: LowerFacts,
    /// Loads merged into their user as a memory operand; they are not lowered again.
    pub sunk: Vec<bool>,
    /// The register holding the caller's return-area pointer, when results go there.
    pub ret_area_ptr: Option<Reg>,
    /// Stack slots lowering made for itself (moving values between register classes), as
    /// (size, alignment); they are numbered after the IR's slots.
    pub temp_slots: Vec<(u32, u32)>,
    /// The largest stack-argument area among the callees of `return_call`s.
    pub tail_call_args: u32,
    /// The registers each lowered `try_call` defines, made by whichever asks first: its
    /// edges (lowered before it) or the call.
    try_calls: Vec<(ir::Inst, TryCallRegs)>,
    /// The first error an extern hit (externs cannot return errors to the rules).
    pub error: Option<String>,
}

/// The registers a `try_call` defines: its return values (`retN` on the normal edge) and its
/// exception payloads (`exnN` on handler edges).
#[derive(Clone, Debug, Default)]
pub struct TryCallRegs {
    pub rets: Vec<ValueRegs>,
    pub exns: Vec<Reg>,
}

impl LowerCtx {
    pub fn new(
        func: ir::Function,
        flags: Flags,
        isa: IsaFlags,
        abi: AbiLayout,
        order: BlockOrder,
    ) -> LowerCtx {
        let nvalues = func.dfg.num_values();
        let ninsts = func.dfg.num_insts();
        let facts = LowerFacts::new(&func);
        LowerCtx {
            facts,
            sunk: vec![false; ninsts],
            func,
            flags,
            isa,
            abi,
            order,
            value_regs: vec![ValueRegs::NONE; nvalues],
            value_needed: vec![false; nvalues],
            aliases: Vec::new(),
            cur: Vec::new(),
            cur_inst: ir::Inst::new(0),
            cur_block: 0,
            outputs: Vec::new(),
            amodes: Vec::new(),
            symbols: Vec::new(),
            constants: Vec::new(),
            jump_tables: Vec::new(),
            outgoing_area: 0,
            is_leaf: true,
            ret_area_ptr: None,
            temp_slots: Vec::new(),
            tail_call_args: 0,
            try_calls: Vec::new(),
            error: None,
        }
    }

    /// The registers `try_call` instruction `inst` defines (see [`TryCallRegs`]): one per return
    /// value of its signature (two for an i128), one per payload register of the callee's
    /// convention.
    pub fn try_call_regs(&mut self, inst: ir::Inst) -> TryCallRegs {
        if let Some((_, regs)) = self.try_calls.iter().find(|(i, _)| *i == inst) {
            return regs.clone();
        }
        let dfg = &self.func.dfg;
        let sig = dfg.call_signature(inst).and_then(|s| dfg.signatures.get(s));
        let (types, cc): (Vec<ir::Type>, _) = match sig {
            Some(sig) => (
                sig.returns.iter().map(|r| r.value_type).collect(),
                sig.call_conv,
            ),
            None => (Vec::new(), ir::CallConv::SystemV),
        };
        let npayload = crate::isa::x64::abi::exception_payload_regs(cc).len();
        let mut regs = TryCallRegs::default();
        for ty in types {
            let lo = self.alloc_reg(Self::class_of(ty));
            let hi = if ty == ir::Type::I128 {
                self.alloc_reg(RegClass::Int)
            } else {
                Reg::INVALID
            };
            regs.rets.push(ValueRegs { lo, hi });
        }
        for _ in 0..npayload {
            regs.exns.push(self.alloc_reg(RegClass::Int));
        }
        self.try_calls.push((inst, regs.clone()));
        regs
    }

    /// The register holding the caller's return-area pointer (defined on entry; returns are
    /// lowered before the entry block, so whoever asks first allocates it).
    pub fn ret_area_reg(&mut self) -> Reg {
        match self.ret_area_ptr {
            Some(r) => r,
            None => {
                let r = self.alloc_reg(RegClass::Int);
                self.ret_area_ptr = Some(r);
                r
            }
        }
    }

    /// The `load` defining `v`, if it can become a memory operand of the instruction being
    /// lowered: `v` is read by one machine instruction only ([`LowerFacts::used_once`]: no
    /// other use, nor a pure user folded into several places), nothing asked for it in a
    /// register already, and the load is in the same block with no side effect between the
    /// two. (Should a rule still ask for the value's register after sinking it, the driver
    /// lowers the load as well: see `lower_inst`.)
    pub fn sinkable_load(&self, v: ir::Value) -> Option<ir::Inst> {
        let dfg = &self.func.dfg;
        let v = dfg.resolve_aliases(v);
        let ir::ValueDef::Result(load, 0) = dfg.value_def(v) else {
            return None;
        };
        let ok = dfg.inst(load).opcode() == ir::Opcode::Load
            && self.facts.used_once(v)
            && !self.value_needed[v.index()]
            && !self.sunk[load.index()]
            && self.func.layout.inst_block(load) == self.func.layout.inst_block(self.cur_inst)
            && self.facts.adjacent_effects(load, self.cur_inst);
        ok.then_some(load)
    }

    /// Records the first error; the lowering driver reports it.
    pub fn fail(&mut self, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(message.into());
        }
    }

    pub fn num_vregs(&self) -> usize {
        PINNED_VREGS + self.aliases.len()
    }

    /// A fresh virtual register.
    pub fn alloc_reg(&mut self, class: RegClass) -> Reg {
        let r = Reg::virt(VReg::new(PINNED_VREGS + self.aliases.len(), class));
        self.aliases.push(r);
        r
    }

    /// Makes `from` (a value's register) stand for `to` (a rule's output).
    pub fn set_alias(&mut self, from: Reg, to: Reg) {
        if let Some(i) = from.to_vreg().vreg().checked_sub(PINNED_VREGS) {
            self.aliases[i] = to;
        }
    }

    /// The register `r` finally stands for, following aliases.
    pub fn resolve(&self, mut r: Reg) -> Reg {
        for _ in 0..self.aliases.len() + 1 {
            let Some(i) = r.to_vreg().vreg().checked_sub(PINNED_VREGS) else {
                return r;
            };
            if !r.is_valid() || self.aliases[i] == r {
                return r;
            }
            r = self.aliases[i];
        }
        r
    }

    /// The register class a value of type `ty` lives in.
    pub fn class_of(ty: ir::Type) -> RegClass {
        if ty.is_float() || ty.is_vector() {
            RegClass::Float
        } else {
            RegClass::Int
        }
    }

    /// The registers of `v` (allocated on first request), without marking it used.
    pub fn value_regs(&mut self, v: ir::Value) -> ValueRegs {
        let v = self.func.dfg.resolve_aliases(v);
        let i = v.index();
        if self.value_regs[i] == ValueRegs::NONE {
            let ty = self.func.dfg.value_type(v);
            let class = Self::class_of(ty);
            let lo = self.alloc_reg(class);
            let hi = if ty == ir::Type::I128 {
                self.alloc_reg(RegClass::Int)
            } else {
                Reg::INVALID
            };
            self.value_regs[i] = ValueRegs { lo, hi };
        }
        self.value_regs[i]
    }

    /// The registers of `v`, marking the value as needed so its definition is lowered.
    pub fn put_in_regs(&mut self, v: ir::Value) -> ValueRegs {
        let v = self.func.dfg.resolve_aliases(v);
        self.value_needed[v.index()] = true;
        self.value_regs(v)
    }

    pub fn is_needed(&self, v: ir::Value) -> bool {
        self.value_needed[self.func.dfg.resolve_aliases(v).index()]
    }

    /// Appends an instruction to the current IR instruction's code.
    pub fn emit(&mut self, inst: MInst) {
        self.cur.push(inst);
    }

    /// Adds a constant-pool entry and returns its label (entries are shared).
    pub fn constant(&mut self, bytes: &[u8], align: u32) -> MachLabel {
        let nblocks = self.order.blocks.len() as u32;
        let i = match self
            .constants
            .iter()
            .position(|(b, a)| b == bytes && *a == align)
        {
            Some(i) => i,
            None => {
                self.constants.push((bytes.to_vec(), align));
                self.constants.len() - 1
            }
        };
        MachLabel(nblocks + i as u32)
    }

    /// The symbol id of `name`, added on first use.
    pub fn symbol(&mut self, name: SymbolName) -> SymbolId {
        let i = match self.symbols.iter().position(|s| *s == name) {
            Some(i) => i,
            None => {
                self.symbols.push(name);
                self.symbols.len() - 1
            }
        };
        SymbolId(i as u32)
    }

    /// The label of lowered block `b`.
    pub fn block_label(b: u32) -> MachLabel {
        MachLabel(b)
    }

    /// Stores a memory operand in the arena; returns its word.
    pub fn amode_word(&mut self, a: Amode, trap: Option<TrapCode>) -> u64 {
        self.amodes.push((a, trap));
        (self.amodes.len() - 1) as u64
    }

    /// Emits a table instruction, recording the trap code of its memory operand if any.
    pub fn emit_inst(&mut self, inst: Inst, trap: Option<TrapCode>) {
        let inst = match trap {
            Some(code) => inst.with_trap(code),
            None => inst,
        };
        self.emit(MInst::Real(inst));
    }

    /// The lowered successor block `i` of the current block's terminator.
    pub fn succ_label(&mut self, i: u8) -> MachLabel {
        match self
            .order
            .succs(self.cur_block as usize)
            .get(usize::from(i))
        {
            Some(&b) => Self::block_label(b),
            None => {
                self.fail(format!("branch has no successor {i}"));
                MachLabel(0)
            }
        }
    }
}

/// The immediate fields of an instruction as rule words, in [`ir::opcodes::ImmKind`] order.
fn immediates(data: &D) -> ([u64; 2], usize) {
    let one = |a: u64| ([a, 0], 1);
    let two = |a: u64, b: u64| ([a, b], 2);
    let cc_int = |c: ir::IntCC| ir::IntCC::ALL.iter().position(|&x| x == c).unwrap_or(0) as u64;
    match *data {
        D::UnaryImm { imm, .. } | D::BinaryImm64 { imm, .. } => one(imm.0 as u64),
        D::UnaryIeee16 { imm, .. } => one(u64::from(imm.bits())),
        D::UnaryIeee32 { imm, .. } => one(u64::from(imm.bits())),
        D::UnaryIeee64 { imm, .. } => one(imm.bits()),
        D::UnaryConst { constant, .. } => one(constant.index() as u64),
        D::UnaryGlobalValue { global_value, .. } => one(global_value.index() as u64),
        D::BinaryImm8 { imm, .. } | D::TernaryImm8 { imm, .. } => one(u64::from(imm)),
        D::IntCompare { cond, .. } => one(cc_int(cond)),
        D::IntCompareImm { cond, imm, .. } => two(cc_int(cond), imm.0 as u64),
        D::FloatCompare { cond, .. } => one(ir::FloatCC::ALL
            .iter()
            .position(|&x| x == cond)
            .unwrap_or(0) as u64),
        D::IntAddTrap { code, .. } | D::Trap { code, .. } | D::CondTrap { code, .. } => {
            one(u64::from(trap_code(code).0))
        }
        D::Jump { .. } => one(0),
        D::Brif { .. } => two(0, 1),
        D::BranchTable { table, .. } => one(table.index() as u64),
        D::Call { func_ref, .. } | D::FuncAddr { func_ref, .. } => one(func_ref.index() as u64),
        D::CallIndirect { sig_ref, .. } => one(sig_ref.index() as u64),
        D::TryCall {
            func_ref,
            exception,
            ..
        } => two(func_ref.index() as u64, exception.index() as u64),
        D::TryCallIndirect { exception, .. } => one(exception.index() as u64),
        D::Load { flags, offset, .. } | D::Store { flags, offset, .. } => {
            two(memflags_word(flags), offset.0 as i64 as u64)
        }
        D::LoadNoOffset { flags, .. }
        | D::StoreNoOffset { flags, .. }
        | D::AtomicCas { flags, .. } => one(memflags_word(flags)),
        D::StackLoad {
            stack_slot, offset, ..
        }
        | D::StackStore {
            stack_slot, offset, ..
        } => two(stack_slot.index() as u64, offset.0 as i64 as u64),
        D::DynamicStackLoad {
            dynamic_stack_slot, ..
        }
        | D::DynamicStackStore {
            dynamic_stack_slot, ..
        } => one(dynamic_stack_slot.index() as u64),
        D::AtomicRmw { flags, op, .. } => two(
            memflags_word(flags),
            ir::opcodes::AtomicRmwOp::ALL
                .iter()
                .position(|&x| x == op)
                .unwrap_or(0) as u64,
        ),
        D::ExceptionHandlerAddress { block, imm, .. } => two(block.index() as u64, imm.0 as u64),
        D::Shuffle { .. } => one(0),
        D::NullAry { .. }
        | D::Unary { .. }
        | D::Binary { .. }
        | D::Ternary { .. }
        | D::MultiAry { .. } => ([0, 0], 0),
    }
}

impl Host for LowerCtx {
    fn inst_opcode(&self, inst: u64) -> u32 {
        self.func
            .dfg
            .inst(ir::Inst::new(inst as usize))
            .opcode()
            .index() as u32
    }

    fn inst_value(&self, inst: u64, index: u32) -> u64 {
        let args = self.func.dfg.inst_args(ir::Inst::new(inst as usize));
        let v = args[index as usize];
        self.func.dfg.resolve_aliases(v).index() as u64
    }

    fn inst_immediate(&self, inst: u64, index: u32) -> u64 {
        let data = self.func.dfg.inst(ir::Inst::new(inst as usize));
        // A shuffle mask is 16 bytes: its word names the instruction, whose mask the
        // `shuffle_*` externs read.
        if let D::Shuffle { .. } = data {
            return inst;
        }
        let (words, n) = immediates(data);
        if (index as usize) < n {
            words[index as usize]
        } else {
            0
        }
    }

    fn inst_ctrl_type(&self, inst: u64) -> u64 {
        self.func
            .dfg
            .ctrl_type(ir::Inst::new(inst as usize))
            .to_word()
    }

    /// Only pure instructions are visible through values: folding one into its user never moves
    /// it across a side effect, and computing it twice (when it has other users) is harmless.
    fn value_def(&self, value: u64) -> Option<u64> {
        let v = self
            .func
            .dfg
            .resolve_aliases(ir::Value::new(value as usize));
        match self.func.dfg.value_def(v) {
            ir::ValueDef::Result(inst, _) if self.func.dfg.inst(inst).opcode().info().is_pure() => {
                Some(inst.index() as u64)
            }
            _ => None,
        }
    }
}
