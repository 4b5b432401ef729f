//! [`Inst`]: one x86-64 instruction in VCode — a table row plus its operand values — and the
//! regalloc2 view of it.
//!
//! # Layout
//!
//! An `Inst` is a fixed-size `Copy` value (56 bytes): the row ([`Op`]), a condition code, an
//! optional trap code, six register slots, one addressing mode and one 64-bit immediate. The
//! row decides what each slot means, walking its operands in order:
//!
//! ```text
//!   operand (Gpr/Xmm)  read         1 slot: the use
//!                      written      1 slot: the def
//!                      read+written 2 slots: the use, then the def that reuses its register
//!   operand (…Mem)     read         1 slot: the register, when not in memory form
//!   memory operand     -            the `mem` field (base and index are uses)
//!   immediate / label / symbol      the `imm` field;  condition code: the `cc` field
//! ```
//!
//! # Registers before and after allocation
//!
//! Slots hold [`Reg`]s: virtual before allocation, physical (pinned) after. [`Inst::collect_operands`]
//! hands regalloc2 one `Operand` per occupied slot and per address register, in the order above,
//! with these constraints: a fixed operand (rax of `div`) is `reg_fixed_use`/`reg_fixed_def`; a
//! read-and-written register's def is `reg_reuse_def` of its use (two-address forms); a register
//! that is already physical (rsp in an address, say) is `fixed_nonallocatable`. Uses are early and
//! defs late: an x86 instruction reads all its sources before it writes, so a def may share a
//! register with a use that dies here. [`Inst::with_allocs`] walks the same order and writes the
//! allocations back, after which every register is physical and the instruction can be encoded.

use std::fmt;

use regalloc2::{Allocation, Operand, PReg, RegClass};

use super::amode::{Amode, FrameArea};
use super::regs::{Reg, RSP};
use super::rows::Op;
use super::table::{Access, Cc, Form, Kind, Loc, OpSpec, Width};
use crate::machinst::buffer::{MachLabel, SymbolId, TrapCode};

/// The most register slots any row needs (`lock cmpxchg16b`: rdx and rax read and written, rcx
/// and rbx read).
pub const MAX_REG_SLOTS: usize = 6;

/// An input value given to [`Inst::new`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arg {
    Reg(Reg),
    Mem(Amode),
    Imm(i64),
    Cc(Cc),
    Label(MachLabel),
    Symbol(SymbolId),
}

/// A source that may be a register, memory or an immediate, as lowering has it before it picks
/// between a row and its immediate sibling ([`Op::imm_form`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegMemImm {
    Reg(Reg),
    Mem(Amode),
    Imm(i64),
}

/// The value of one operand of an instruction, as the encoder and printer see it. For a
/// read-and-written register this is the def (equal to the use once allocated).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Value {
    Reg(Reg),
    Mem(Amode),
    Imm(i64),
    Cc(Cc),
    Label(MachLabel),
    Symbol(SymbolId),
}

/// Why `Inst::new` refused its arguments: operand `operand` (index into the row's operands) of
/// row `op` got something it cannot take.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InstError {
    pub op: Op,
    pub operand: usize,
    pub problem: &'static str,
}

impl fmt::Display for InstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: operand {}: {}",
            self.op.row().name,
            self.operand,
            self.problem
        )
    }
}

impl std::error::Error for InstError {}

/// One x86-64 instruction: a row and its operands. See the module documentation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Inst {
    pub op: Op,
    /// The condition of `jcc`/`setcc`/`cmovcc` rows (`O` otherwise).
    pub cc: Cc,
    /// Recorded as a trap site at the instruction's offset when set.
    pub trap: Option<TrapCode>,
    /// The row's register-or-memory operand is memory (`mem` holds it).
    mem_form: bool,
    regs: [Reg; MAX_REG_SLOTS],
    mem: Amode,
    imm: i64,
}

/// What a register slot is to regalloc2.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Use {
        fixed: Option<PReg>,
    },
    Def {
        fixed: Option<PReg>,
    },
    /// Def of a read-and-written operand: `use_slot` holds its use.
    ReuseDef {
        fixed: Option<PReg>,
        use_slot: usize,
    },
}

fn class_of(kind: Kind) -> RegClass {
    if kind.is_xmm() {
        RegClass::Float
    } else {
        RegClass::Int
    }
}

/// Does `v` fit an immediate of `bytes` bytes applied at `width`?
fn imm_fits(v: i64, bytes: u8, width: Width) -> bool {
    match bytes {
        0 => (1..=9).contains(&v),
        8 => true,
        _ => {
            let bits = u32::from(bytes) * 8;
            let signed = v >= -(1i64 << (bits - 1)) && v < (1i64 << (bits - 1));
            // An immediate as wide as the operation may also be written unsigned.
            signed || (bits == width.bits() && v >= 0 && v < (1i64 << bits))
        }
    }
}

impl Inst {
    /// Build an instance of `op`. `inputs` are the row's [`Row::inputs`] in order, `outputs`
    /// its [`Row::outputs`] (fresh virtual registers, or the fixed physical ones).
    ///
    /// [`Row::inputs`]: super::table::Row::inputs
    /// [`Row::outputs`]: super::table::Row::outputs
    pub fn new(op: Op, inputs: &[Arg], outputs: &[Reg]) -> Result<Inst, InstError> {
        let row = op.row();
        let mut inst = Inst {
            op,
            cc: Cc::O,
            trap: None,
            mem_form: false,
            regs: [Reg::INVALID; MAX_REG_SLOTS],
            mem: Amode::base_disp(Reg::INVALID, 0),
            imm: 0,
        };
        let (mut ins, mut outs) = (inputs.iter(), outputs.iter());
        let mut slot = 0;
        for (i, spec) in row.operands.iter().enumerate() {
            let err = |problem| InstError {
                op,
                operand: i,
                problem,
            };
            let check_reg = |r: Reg| {
                if !r.is_valid() || r.class() != class_of(spec.kind) {
                    return Err(err("register of the wrong class"));
                }
                match (spec.fixed(), r.to_preg()) {
                    (Some(f), Some(p)) if f != p => Err(err("must be the row's fixed register")),
                    _ => Ok(r),
                }
            };
            let mut input = || ins.next().copied().ok_or(err("missing input"));
            match spec.kind {
                Kind::Gpr | Kind::Xmm => {
                    if spec.access.reads() {
                        let Arg::Reg(r) = input()? else {
                            return Err(err("expects a register"));
                        };
                        inst.regs[slot] = check_reg(r)?;
                        slot += 1;
                    }
                    if spec.access.writes() {
                        let r = *outs.next().ok_or(err("missing output"))?;
                        inst.regs[slot] = check_reg(r)?;
                        if spec.access == Access::ReadWrite {
                            let (u, d) = (inst.regs[slot - 1], inst.regs[slot]);
                            if u.is_virtual() != d.is_virtual() || (!u.is_virtual() && u != d) {
                                return Err(err("use and def must both be virtual or the same"));
                            }
                        }
                        slot += 1;
                    }
                }
                Kind::GprMem | Kind::XmmMem => {
                    match input()? {
                        Arg::Reg(r) => inst.regs[slot] = check_reg(r)?,
                        Arg::Mem(a) => {
                            inst.mem = Self::check_amode(a).map_err(err)?;
                            inst.mem_form = true;
                        }
                        _ => return Err(err("expects a register or memory")),
                    }
                    slot += 1;
                }
                Kind::Mem => match input()? {
                    Arg::Mem(a) => inst.mem = Self::check_amode(a).map_err(err)?,
                    _ => return Err(err("expects memory")),
                },
                Kind::Imm => match input()? {
                    Arg::Imm(v) => {
                        let Loc::Imm(bytes) = spec.loc else {
                            unreachable!("immediates are encoded as immediates")
                        };
                        if !imm_fits(v, bytes, spec.width) {
                            return Err(err("immediate out of range"));
                        }
                        inst.imm = v;
                    }
                    _ => return Err(err("expects an immediate")),
                },
                Kind::Cc => match input()? {
                    Arg::Cc(c) => inst.cc = c,
                    _ => return Err(err("expects a condition code")),
                },
                Kind::Label => match input()? {
                    Arg::Label(l) => inst.imm = i64::from(l.0),
                    _ => return Err(err("expects a label")),
                },
                Kind::Symbol => match input()? {
                    Arg::Symbol(s) => inst.imm = i64::from(s.0),
                    _ => return Err(err("expects a symbol")),
                },
            }
        }
        let end = InstError {
            op,
            operand: row.operands.len(),
            problem: "too many inputs or outputs",
        };
        if ins.next().is_some() || outs.next().is_some() {
            return Err(end);
        }
        Ok(inst)
    }

    /// `op` with its last input given as a [`RegMemImm`]: a register or memory goes to `op`
    /// itself, an immediate to `op`'s immediate sibling, which must exist and take the value.
    pub fn new_rmi(
        op: Op,
        leading: &[Arg],
        src: RegMemImm,
        outputs: &[Reg],
    ) -> Result<Inst, InstError> {
        let mut inputs = leading.to_vec();
        let op = match src {
            RegMemImm::Reg(r) => {
                inputs.push(Arg::Reg(r));
                op
            }
            RegMemImm::Mem(a) => {
                inputs.push(Arg::Mem(a));
                op
            }
            RegMemImm::Imm(v) => {
                inputs.push(Arg::Imm(v));
                op.imm_form().ok_or(InstError {
                    op,
                    operand: leading.len(),
                    problem: "the row has no immediate form",
                })?
            }
        };
        Inst::new(op, &inputs, outputs)
    }

    fn check_amode(a: Amode) -> Result<Amode, &'static str> {
        if let Amode::Base {
            base, index, scale, ..
        } = a
        {
            if !base.is_valid() || base.class() != RegClass::Int {
                return Err("address base must be a general-purpose register");
            }
            if index.is_valid() && index.class() != RegClass::Int {
                return Err("address index must be a general-purpose register");
            }
            if index.to_preg() == Some(RSP) {
                return Err("rsp cannot be an index");
            }
            if scale > 3 {
                return Err("scale must be 0 to 3 (1, 2, 4 or 8)");
            }
        }
        Ok(a)
    }

    /// The same instruction recording `code` as a trap site.
    pub fn with_trap(mut self, code: TrapCode) -> Inst {
        self.trap = Some(code);
        self
    }

    /// After allocation: a `lea` of `disp(base)`, or of `(base, index)` unscaled, whose
    /// destination is the base (or that index) as the shorter `add` it computes. The rules
    /// lower adds to `lea` so that the allocator need not give the result an operand's
    /// register; where it did, this is the usual x86 form. The flags it writes are dead:
    /// lowering never puts an add between a flag's setter and its reader.
    pub fn lea_as_add(&self) -> Option<Inst> {
        let (add_imm, add_reg) = match self.op {
            Op::lea_r32 => (Op::add_r32_imm32, Op::add_r32_rm32),
            Op::lea_r64 => (Op::add_r64_imm32, Op::add_r64_rm64),
            _ => return None,
        };
        let Amode::Base {
            base,
            index,
            scale,
            disp,
        } = self.mem
        else {
            return None;
        };
        let dst = self.regs[0];
        let add = if !index.is_valid() && base == dst {
            Inst::new(add_imm, &[Arg::Reg(dst), Arg::Imm(disp.into())], &[dst])
        } else if index.is_valid() && scale == 0 && disp == 0 && (base == dst || index == dst) {
            let other = if base == dst { index } else { base };
            Inst::new(add_reg, &[Arg::Reg(dst), Arg::Reg(other)], &[dst])
        } else {
            return None;
        };
        add.ok()
    }

    /// Does the instruction address memory?
    pub fn has_mem(&self) -> bool {
        self.mem_form || self.op.row().operands.iter().any(|o| o.kind == Kind::Mem)
    }

    /// The value of operand `i` of the row (see [`Value`]).
    pub fn value(&self, i: usize) -> Value {
        let ops = self.op.row().operands;
        let slot: usize = ops[..i].iter().map(OpSpec::reg_slots).sum();
        self.value_at(&ops[i], slot)
    }

    /// [`Inst::value`] of the operand `spec` whose register slots start at `slot` (for callers
    /// walking the operands in order, which know the slot already).
    pub fn value_at(&self, spec: &OpSpec, slot: usize) -> Value {
        match spec.kind {
            Kind::Gpr | Kind::Xmm => Value::Reg(self.regs[slot + spec.reg_slots() - 1]),
            Kind::GprMem | Kind::XmmMem if self.mem_form => Value::Mem(self.mem),
            Kind::GprMem | Kind::XmmMem => Value::Reg(self.regs[slot]),
            Kind::Mem => Value::Mem(self.mem),
            Kind::Imm => Value::Imm(self.imm),
            Kind::Cc => Value::Cc(self.cc),
            Kind::Label => Value::Label(MachLabel(self.imm as u32)),
            Kind::Symbol => Value::Symbol(SymbolId(self.imm as u32)),
        }
    }

    /// The register operand `i` reads, if it reads one: for a read-and-written register this
    /// is the use, which differs from [`Inst::value`]'s def until allocation.
    pub fn read_reg(&self, i: usize) -> Option<Reg> {
        let ops = self.op.row().operands;
        let slot: usize = ops[..i].iter().map(OpSpec::reg_slots).sum();
        let spec = ops[i];
        let reg_operand = matches!(spec.kind, Kind::Gpr | Kind::Xmm)
            || (spec.kind.is_mem() && spec.kind != Kind::Mem && !self.mem_form);
        (reg_operand && spec.access.reads()).then(|| self.regs[slot])
    }

    /// The branch or call target label, if the row has one.
    pub fn target(&self) -> Option<MachLabel> {
        let i = self
            .op
            .row()
            .operands
            .iter()
            .position(|o| o.kind == Kind::Label)?;
        match self.value(i) {
            Value::Label(l) => Some(l),
            _ => None,
        }
    }

    /// Visit every register slot and address register in collection order, with the slot's
    /// index (`MAX_REG_SLOTS` for address registers).
    fn visit(&mut self, mut f: impl FnMut(&mut Reg, Role, usize)) {
        let mut slot = 0;
        for spec in self.op.row().operands {
            let fixed = spec.fixed();
            match spec.kind {
                Kind::Gpr | Kind::Xmm => {
                    if spec.access.reads() {
                        f(&mut self.regs[slot], Role::Use { fixed }, slot);
                        slot += 1;
                    }
                    let role = match spec.access {
                        Access::Read => None,
                        Access::Write => Some(Role::Def { fixed }),
                        Access::ReadWrite => Some(Role::ReuseDef {
                            fixed,
                            use_slot: slot - 1,
                        }),
                    };
                    if let Some(role) = role {
                        f(&mut self.regs[slot], role, slot);
                    }
                    slot += usize::from(spec.access.writes());
                }
                Kind::GprMem | Kind::XmmMem => {
                    if !self.mem_form {
                        f(&mut self.regs[slot], Role::Use { fixed: None }, slot);
                    }
                    slot += 1;
                }
                _ => {}
            }
        }
        if self.has_mem() {
            self.mem.map_regs(|mut r| {
                f(&mut r, Role::Use { fixed: None }, MAX_REG_SLOTS);
                r
            });
        }
    }

    /// Append the instruction's regalloc2 operands to `out` (see the module documentation for
    /// order and constraints).
    pub fn collect_operands(&self, out: &mut Vec<Operand>) {
        let base = out.len();
        // Operand index of each slot's use, for reuse constraints.
        let mut use_index = [0usize; MAX_REG_SLOTS];
        let mut copy = *self;
        copy.visit(|r, role, slot| {
            let index = out.len() - base;
            let operand = match (r.to_preg(), role) {
                (Some(p), _) => Operand::fixed_nonallocatable(p),
                (None, Role::Use { fixed: Some(p) }) => Operand::reg_fixed_use(r.to_vreg(), p),
                (None, Role::Use { fixed: None }) => Operand::reg_use(r.to_vreg()),
                (None, Role::Def { fixed: Some(p) } | Role::ReuseDef { fixed: Some(p), .. }) => {
                    Operand::reg_fixed_def(r.to_vreg(), p)
                }
                (None, Role::Def { fixed: None }) => Operand::reg_def(r.to_vreg()),
                (None, Role::ReuseDef { use_slot, .. }) => {
                    Operand::reg_reuse_def(r.to_vreg(), use_index[use_slot])
                }
            };
            if slot < MAX_REG_SLOTS {
                use_index[slot] = index;
            }
            out.push(operand);
        });
    }

    /// Replace every register by `f(register)` (slots and address registers alike).
    pub fn map_regs(&mut self, mut f: impl FnMut(Reg) -> Reg) {
        self.visit(|r, _, _| *r = f(*r));
    }

    /// Apply regalloc2's allocations for this instruction (`Output::inst_allocs`), which are in
    /// [`Inst::collect_operands`] order. Every allocation is a register: operands are only
    /// ever given register constraints.
    pub fn with_allocs(mut self, allocs: &[Allocation]) -> Inst {
        let mut next = allocs.iter();
        self.visit(|r, _, _| {
            if let Some(p) = next.next().and_then(|a| a.as_reg()) {
                *r = Reg::phys(p);
            }
        });
        self
    }

    /// Is this a return?
    pub fn is_ret(&self) -> bool {
        self.op.row().intel == "ret"
    }

    /// Does this instruction end a block by jumping (a branch to a label or an indirect jump)?
    pub fn is_branch(&self) -> bool {
        matches!(self.op.row().enc.form, Form::Branch { .. }) || self.op == Op::jmp_rm64
    }

    /// The move regalloc2 asks for between two allocations (`Edit::Move`): register to
    /// register, spill, or reload. Spill slots are [`FrameArea::SpillSlot`] addresses; XMM
    /// values move whole (128 bits), so a float spill slot must span 16 bytes (regalloc2
    /// `spillslot_size` of 2 with 8-byte slots). `None` for a stack-to-stack move, which
    /// regalloc2 does not produce. The moves leave the flags alone, so regalloc2 may put them
    /// between a compare and the `jcc`/`setcc`/`cmovcc` that reads it.
    pub fn gen_move(from: Allocation, to: Allocation) -> Option<Inst> {
        let slot = |a: Allocation| {
            a.as_stack().map(|s| Amode::Frame {
                area: FrameArea::SpillSlot,
                index: s.index() as u32,
                offset: 0,
            })
        };
        let class = from.as_reg().or(to.as_reg())?.class();
        let xmm = class == RegClass::Float;
        let built = match (from.as_reg(), to.as_reg()) {
            (Some(f), Some(t)) => {
                let op = if xmm {
                    Op::movaps_x_xm128
                } else {
                    Op::mov_r64_rm64
                };
                Inst::new(op, &[Arg::Reg(f.into())], &[t.into()])
            }
            (Some(f), None) => {
                let op = if xmm {
                    Op::movups_m128_x
                } else {
                    Op::mov_m64_r64
                };
                Inst::new(op, &[Arg::Mem(slot(to)?), Arg::Reg(f.into())], &[])
            }
            (None, Some(t)) => {
                let op = if xmm {
                    Op::movups_x_xm128
                } else {
                    Op::mov_r64_rm64
                };
                Inst::new(op, &[Arg::Mem(slot(from)?)], &[t.into()])
            }
            (None, None) => return None,
        };
        built.ok()
    }

    /// The registers still virtual, if any (an instruction must have none to be encoded).
    pub fn first_virtual_reg(&self) -> Option<Reg> {
        // Slots the row does not use hold `Reg::INVALID`, so the whole array can be scanned.
        let in_slots = self.regs.iter().copied().find(|r| r.is_virtual());
        in_slots.or_else(|| {
            (self.has_mem())
                .then(|| self.mem.regs().find(|r| r.is_virtual()))
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::x64::regs::{self, PINNED_VREGS, RAX, RCX, RDX, RSP};
    use regalloc2::VReg;

    fn v(n: usize) -> Reg {
        Reg::virt(VReg::new(PINNED_VREGS + n, RegClass::Int))
    }

    fn operands(inst: &Inst) -> Vec<Operand> {
        let mut out = Vec::new();
        inst.collect_operands(&mut out);
        out
    }

    #[test]
    fn lea_whose_destination_is_an_operand_is_an_add() {
        let (rax, rcx) = (Reg::phys(RAX), Reg::phys(RCX));
        let lea = |op, a| Inst::new(op, &[Arg::Mem(a)], &[rax]).unwrap();
        let text = |i: Option<Inst>| i.map(|i| i.to_string());
        assert_eq!(
            text(lea(Op::lea_r64, Amode::base_disp(rax, 5)).lea_as_add()),
            Some("add    $0x5,%rax".to_string())
        );
        for a in [
            Amode::base_index(rax, rcx, 0, 0),
            Amode::base_index(rcx, rax, 0, 0),
        ] {
            assert_eq!(
                text(lea(Op::lea_r32, a).lea_as_add()),
                Some("add    %ecx,%eax".to_string())
            );
        }
        // Another destination, a scale or a displacement beside the index stays a lea.
        for a in [
            Amode::base_disp(rcx, 5),
            Amode::base_index(rax, rcx, 1, 0),
            Amode::base_index(rax, rcx, 0, 8),
        ] {
            assert!(lea(Op::lea_r64, a).lea_as_add().is_none());
        }
    }

    #[test]
    fn block_ends() {
        let l = MachLabel(3);
        let jcc = Inst::new(Op::jcc, &[Arg::Cc(Cc::E), Arg::Label(l)], &[]).unwrap();
        assert!(jcc.is_branch() && !jcc.is_ret());
        assert_eq!(jcc.target(), Some(l));
        let ret = Inst::new(Op::ret_imm16, &[Arg::Imm(16)], &[]).unwrap();
        assert!(ret.is_ret() && !ret.is_branch());
        let indirect = Inst::new(Op::jmp_rm64, &[Arg::Reg(v(0))], &[]).unwrap();
        assert!(indirect.is_branch());
        assert_eq!(indirect.target(), None);
        let call = Inst::new(Op::call_label, &[Arg::Label(l)], &[]).unwrap();
        assert!(!call.is_branch());
    }

    #[test]
    fn printed_before_allocation() {
        let add = Inst::new(Op::add_r64_rm64, &[Arg::Reg(v(0)), Arg::Reg(v(2))], &[v(1)]).unwrap();
        let n = PINNED_VREGS;
        assert_eq!(
            add.to_string(),
            format!("add    %v{},%v{} -> %v{}", n + 2, n, n + 1)
        );
        let div = Inst::new(
            Op::div_rm32,
            &[
                Arg::Mem(Amode::base_disp(v(0), 8)),
                Arg::Reg(v(1)),
                Arg::Reg(v(2)),
            ],
            &[v(3), v(4)],
        )
        .unwrap();
        assert_eq!(div.to_string(), format!("divl   0x8(%v{n})"));
        assert_eq!(add.read_reg(0), Some(v(0)));
        assert_eq!(add.read_reg(1), Some(v(2)));
        assert_eq!(div.read_reg(0), None);
    }

    #[test]
    fn small_copy_types() {
        assert_eq!(size_of::<Reg>(), 4);
        assert_eq!(size_of::<Amode>(), 16);
        assert_eq!(size_of::<Inst>(), 56);
    }

    #[test]
    fn two_address_forms_reuse_their_input() {
        let add = Inst::new(Op::add_r64_rm64, &[Arg::Reg(v(0)), Arg::Reg(v(2))], &[v(1)]).unwrap();
        assert_eq!(
            operands(&add),
            [
                Operand::reg_use(v(0).to_vreg()),
                Operand::reg_reuse_def(v(1).to_vreg(), 0),
                Operand::reg_use(v(2).to_vreg()),
            ]
        );
        // Memory form: the address registers are uses after the slots.
        let mem = Amode::base_index(v(3), v(4), 2, 8);
        let add = Inst::new(Op::add_r64_rm64, &[Arg::Reg(v(0)), Arg::Mem(mem)], &[v(1)]).unwrap();
        assert_eq!(
            operands(&add),
            [
                Operand::reg_use(v(0).to_vreg()),
                Operand::reg_reuse_def(v(1).to_vreg(), 0),
                Operand::reg_use(v(3).to_vreg()),
                Operand::reg_use(v(4).to_vreg()),
            ]
        );
    }

    #[test]
    fn implicit_registers_are_fixed_constraints() {
        let div = Inst::new(
            Op::idiv_rm64,
            &[Arg::Reg(v(0)), Arg::Reg(v(1)), Arg::Reg(v(2))],
            &[v(3), v(4)],
        )
        .unwrap();
        assert_eq!(
            operands(&div),
            [
                Operand::reg_use(v(0).to_vreg()),
                Operand::reg_fixed_use(v(1).to_vreg(), RAX),
                Operand::reg_fixed_def(v(3).to_vreg(), RAX),
                Operand::reg_fixed_use(v(2).to_vreg(), RDX),
                Operand::reg_fixed_def(v(4).to_vreg(), RDX),
            ]
        );
        let shl = Inst::new(Op::shl_r32_cl, &[Arg::Reg(v(0)), Arg::Reg(v(1))], &[v(2)]).unwrap();
        assert_eq!(
            operands(&shl)[2],
            Operand::reg_fixed_use(v(1).to_vreg(), RCX)
        );
        let mulx = Inst::new(
            Op::mulx_r64_r64_rm64,
            &[Arg::Reg(v(0)), Arg::Reg(v(1))],
            &[v(2), v(3)],
        )
        .unwrap();
        assert_eq!(
            operands(&mulx),
            [
                Operand::reg_def(v(2).to_vreg()),
                Operand::reg_def(v(3).to_vreg()),
                Operand::reg_use(v(0).to_vreg()),
                Operand::reg_fixed_use(v(1).to_vreg(), RDX),
            ]
        );
    }

    #[test]
    fn register_memory_or_immediate_sources_pick_the_row() {
        let with = |src| Inst::new_rmi(Op::sub_r32_rm32, &[Arg::Reg(v(0))], src, &[v(1)]);
        assert_eq!(with(RegMemImm::Reg(v(2))).unwrap().op, Op::sub_r32_rm32);
        let mem = RegMemImm::Mem(Amode::base_disp(v(2), 4));
        assert_eq!(with(mem).unwrap().op, Op::sub_r32_rm32);
        assert_eq!(with(RegMemImm::Imm(-3)).unwrap().op, Op::sub_r32_imm32);
        let mul = Inst::new_rmi(
            Op::imul_r64_rm64,
            &[Arg::Reg(v(0))],
            RegMemImm::Imm(3),
            &[v(1)],
        );
        assert!(mul.is_err());
    }

    #[test]
    fn physical_registers_are_not_allocated() {
        let store = Inst::new(
            Op::mov_m64_r64,
            &[Arg::Mem(Amode::base_disp(RSP, 8)), Arg::Reg(v(0))],
            &[],
        )
        .unwrap();
        assert_eq!(
            operands(&store),
            [
                Operand::reg_use(v(0).to_vreg()),
                Operand::fixed_nonallocatable(RSP),
            ]
        );
    }

    #[test]
    fn allocations_make_every_register_physical() {
        let mem = Amode::base_index(v(3), v(4), 0, 0);
        let add = Inst::new(Op::add_r64_rm64, &[Arg::Reg(v(0)), Arg::Mem(mem)], &[v(1)]).unwrap();
        assert!(add.first_virtual_reg().is_some());
        let regs = [regs::R9, regs::R9, regs::RSI, regs::R13];
        let allocs: Vec<Allocation> = regs.iter().map(|&r| Allocation::reg(r)).collect();
        let done = add.with_allocs(&allocs);
        assert_eq!(done.first_virtual_reg(), None);
        assert_eq!(done.value(0), Value::Reg(Reg::phys(regs::R9)));
        assert_eq!(
            done.value(1),
            Value::Mem(Amode::base_index(regs::RSI, regs::R13, 0, 0))
        );
        let mut renamed = add;
        renamed.map_regs(|r| if r == v(3) { v(7) } else { r });
        assert_eq!(
            renamed.value(1),
            Value::Mem(Amode::base_index(v(7), v(4), 0, 0))
        );
    }
}
