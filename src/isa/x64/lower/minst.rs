//! [`MInst`]: an instruction of x64 VCode — a table [`Inst`], or one of the few pseudo
//! instructions whose register constraints or bytes a single row cannot state (function entry,
//! return, call, call with exception handlers, two-way branch, conditional trap, jump table).

use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::Reg;
use crate::isa::x64::rows::Op;
use crate::isa::x64::table::Cc;
use crate::machinst::buffer::{MachLabel, TrapCode};
use crate::machinst::vcode::MachInst;
use regalloc2::{Allocation, Operand, PReg, PRegSet};

/// The read-modify-write operations done by a compare-and-swap loop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AtomicLoopOp {
    And,
    Nand,
    Or,
    Xor,
    Umin,
    Umax,
    Smin,
    Smax,
}

/// The operations of a 128-bit compare-and-swap loop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Atomic128Op {
    Add,
    Sub,
    And,
    Nand,
    Or,
    Xor,
    Xchg,
    Umin,
    Umax,
    Smin,
    Smax,
}

/// A register bound to a physical one at an instruction boundary (argument, result).
pub type Fixed = (Reg, PReg);

/// The user stack map of a call: the stack-slot entries a collector must see.
#[derive(Clone, Debug)]
pub struct StackMap(pub Vec<crate::ir::UserStackMapEntry>);

/// Where a `try_call` goes: it returns to `normal`; an exception thrown below it resumes at the
/// first of `handlers` (tag, `None` for `default`) that matches. `contexts` are the stack slots
/// holding the exception table's `context` values. `result_loads` read the results the callee
/// left in the return area into the physical registers the call's defs bind them to, between
/// the call and the jump to `normal`.
#[derive(Clone, Debug)]
pub struct TryCallTargets {
    pub normal: MachLabel,
    pub handlers: Vec<(Option<u32>, MachLabel)>,
    pub contexts: Vec<u32>,
    pub result_loads: Vec<Inst>,
}

#[derive(Clone, Debug)]
pub enum MInst {
    Real(Inst),
    /// Function entry: the incoming register arguments are defined here.
    Args {
        defs: Vec<Fixed>,
    },
    /// Return: the results are read in their registers, then the epilogue runs.
    Ret {
        uses: Vec<Fixed>,
    },
    /// A call instruction (`call_sym`, `call_label` or `call_rm64`) with the argument registers
    /// it reads, the result registers it writes, what else it clobbers, and the bytes the callee
    /// pops (re-reserved right after the call).
    Call {
        inst: Inst,
        uses: Vec<Fixed>,
        defs: Vec<Fixed>,
        clobbers: PRegSet,
        callee_pop: u32,
        /// The call's user stack map (`stack_map=[…]`), if it has one.
        stack_map: Option<Box<StackMap>>,
    },
    /// `try_call`: a call that ends its block (fields as for `Call`), with where it goes next
    /// (see [`TryCallTargets`]); the payloads of exceptions arrive in registers `defs` binds
    /// (the return values and payloads share rax and rdx).
    TryCall {
        inst: Inst,
        uses: Vec<Fixed>,
        defs: Vec<Fixed>,
        clobbers: PRegSet,
        callee_pop: u32,
        stack_map: Option<Box<StackMap>>,
        targets: Box<TryCallTargets>,
    },
    /// `tls_value` under ELF general-dynamic: `data16 lea sym@tlsgd(%rip), %rdi; data16
    /// data16 rex.W call __tls_get_addr@plt`, the exact 16 bytes a linker may rewrite into a
    /// cheaper model; the address comes back in rax (`dst`), the call clobbers `clobbers`.
    ElfTlsGetAddr {
        symbol: crate::machinst::buffer::SymbolId,
        get_addr: crate::machinst::buffer::SymbolId,
        dst: Reg,
        clobbers: PRegSet,
    },
    /// `stack_switch` (basic model): saves rsp, rbp and the address after this instruction at
    /// `store` (offsets 0, 8, 16), loads them from `load` and jumps; the payload goes and comes
    /// back in rdi (`payload_in`, `payload_out`). Every other register is clobbered: whoever
    /// switches back keeps nothing in registers.
    StackSwitch {
        store: Reg,
        load: Reg,
        payload_in: Reg,
        payload_out: Reg,
        clobbers: PRegSet,
    },
    /// `return_call`: the arguments are in place (`uses`); the frame is taken down, stack
    /// arguments moved up, and control jumps to `symbol`, or to the address in `target`
    /// (fixed to r10). Ends the block like a return.
    ReturnCall {
        symbol: Option<crate::machinst::buffer::SymbolId>,
        target: Option<Reg>,
        uses: Vec<Fixed>,
        callee_stack_args: u32,
    },
    /// Unconditional branch to a successor block.
    Jump {
        target: MachLabel,
    },
    /// `jcc taken; jmp not_taken` as one terminator.
    JumpIf {
        cc: Cc,
        taken: MachLabel,
        not_taken: MachLabel,
    },
    /// `ud2` recorded as a trap site with `code`; ends its block like a return.
    Trap {
        code: TrapCode,
    },
    /// `j!cc over; ud2 (code); over:` — traps when `cc` holds.
    TrapIf {
        cc: Cc,
        code: TrapCode,
    },
    /// `dst = [addr]; loop: tmp = op(dst, operand); lock cmpxchg [addr], tmp; jne loop` —
    /// an atomic read-modify-write of `bytes` bytes; `dst` (rax) ends with the old value. Its
    /// registers are defined at the start, so none shares a register with `addr` or `operand`,
    /// which the loop keeps reading.
    AtomicLoop {
        op: AtomicLoopOp,
        bytes: u8,
        addr: crate::isa::x64::amode::Amode,
        operand: Reg,
        tmp: Reg,
        dst: Reg,
        trap: Option<TrapCode>,
    },
    /// The 128-bit loop: `rdx:rax = [addr]; loop: rcx:rbx = op(rdx:rax, operand);
    /// lock cmpxchg16b [addr]; jne loop`. rax/rdx end with the old value; rbx/rcx are
    /// temporaries. All four are defined at the start (see `AtomicLoop`).
    AtomicLoop128 {
        op: Atomic128Op,
        addr: crate::isa::x64::amode::Amode,
        lo: Reg,
        hi: Reg,
        old_lo: Reg,
        old_hi: Reg,
        new_lo: Reg,
        new_hi: Reg,
        trap: Option<TrapCode>,
    },
    /// Indirect branch through a jump table: `index` (already bounds-checked, zero-extended)
    /// selects one of `targets`; `tmp1`/`tmp2` are scratch defs. A terminator.
    JumpTable {
        index: Reg,
        tmp1: Reg,
        tmp2: Reg,
        default: MachLabel,
        targets: Vec<MachLabel>,
    },
}

impl MInst {
    /// Applies allocations, in [`MachInst::collect_operands`] order.
    pub fn with_allocs(&self, allocs: &[Allocation]) -> MInst {
        let phys = |a: &Allocation, r: Reg| a.as_reg().map_or(r, Reg::phys);
        match self {
            MInst::Real(i) => MInst::Real(i.with_allocs(allocs)),
            MInst::Call {
                inst,
                uses,
                defs,
                clobbers,
                callee_pop,
                stack_map,
            } => {
                // The instruction's own operands come first; it takes no more than those.
                MInst::Call {
                    inst: inst.with_allocs(allocs),
                    uses: uses.clone(),
                    defs: defs.clone(),
                    clobbers: *clobbers,
                    callee_pop: *callee_pop,
                    stack_map: stack_map.clone(),
                }
            }
            MInst::TryCall {
                inst,
                uses,
                defs,
                clobbers,
                callee_pop,
                stack_map,
                targets,
            } => {
                // As for `Call`: the instruction's own operands come first.
                MInst::TryCall {
                    inst: inst.with_allocs(allocs),
                    uses: uses.clone(),
                    defs: defs.clone(),
                    clobbers: *clobbers,
                    callee_pop: *callee_pop,
                    stack_map: stack_map.clone(),
                    targets: targets.clone(),
                }
            }
            MInst::StackSwitch {
                store,
                load,
                payload_in,
                payload_out,
                clobbers,
            } => MInst::StackSwitch {
                store: phys(&allocs[0], *store),
                load: phys(&allocs[1], *load),
                payload_in: phys(&allocs[2], *payload_in),
                payload_out: phys(&allocs[3], *payload_out),
                clobbers: *clobbers,
            },
            MInst::ElfTlsGetAddr {
                symbol,
                get_addr,
                dst,
                clobbers,
            } => MInst::ElfTlsGetAddr {
                symbol: *symbol,
                get_addr: *get_addr,
                dst: phys(&allocs[0], *dst),
                clobbers: *clobbers,
            },
            MInst::JumpTable {
                index,
                tmp1,
                tmp2,
                default,
                targets,
            } => MInst::JumpTable {
                index: phys(&allocs[0], *index),
                tmp1: phys(&allocs[1], *tmp1),
                tmp2: phys(&allocs[2], *tmp2),
                default: *default,
                targets: targets.clone(),
            },
            MInst::AtomicLoop {
                op,
                bytes,
                addr,
                operand,
                tmp,
                dst,
                trap,
            } => {
                let mut next = allocs.iter();
                let mut addr = *addr;
                addr.map_regs(|r| next.next().map_or(r, |a| phys(a, r)));
                let mut take = |r: Reg| next.next().map_or(r, |a| phys(a, r));
                let operand = take(*operand);
                let tmp = take(*tmp);
                let dst = take(*dst);
                MInst::AtomicLoop {
                    op: *op,
                    bytes: *bytes,
                    addr,
                    operand,
                    tmp,
                    dst,
                    trap: *trap,
                }
            }
            MInst::AtomicLoop128 {
                op,
                addr,
                lo,
                hi,
                old_lo,
                old_hi,
                new_lo,
                new_hi,
                trap,
            } => {
                let mut next = allocs.iter();
                let mut addr = *addr;
                addr.map_regs(|r| next.next().map_or(r, |a| phys(a, r)));
                let mut take = |r: Reg| next.next().map_or(r, |a| phys(a, r));
                MInst::AtomicLoop128 {
                    op: *op,
                    addr,
                    lo: take(*lo),
                    hi: take(*hi),
                    old_lo: take(*old_lo),
                    old_hi: take(*old_hi),
                    new_lo: take(*new_lo),
                    new_hi: take(*new_hi),
                    trap: *trap,
                }
            }
            other => other.clone(),
        }
    }

    /// Renames every virtual register through `f` (alias resolution after lowering).
    pub fn map_regs(&mut self, mut f: impl FnMut(Reg) -> Reg) {
        match self {
            MInst::Real(i) => i.map_regs(f),
            MInst::Args { defs } | MInst::Ret { uses: defs } => {
                defs.iter_mut().for_each(|(r, _)| *r = f(*r))
            }
            MInst::ReturnCall { target, uses, .. } => {
                if let Some(t) = target {
                    *t = f(*t);
                }
                uses.iter_mut().for_each(|(r, _)| *r = f(*r));
            }
            MInst::Call {
                inst, uses, defs, ..
            }
            | MInst::TryCall {
                inst, uses, defs, ..
            } => {
                inst.map_regs(&mut f);
                uses.iter_mut().for_each(|(r, _)| *r = f(*r));
                defs.iter_mut().for_each(|(r, _)| *r = f(*r));
            }
            MInst::ElfTlsGetAddr { dst, .. } => *dst = f(*dst),
            MInst::StackSwitch {
                store,
                load,
                payload_in,
                payload_out,
                ..
            } => {
                for r in [store, load, payload_in, payload_out] {
                    *r = f(*r);
                }
            }
            MInst::JumpTable {
                index, tmp1, tmp2, ..
            } => {
                *index = f(*index);
                *tmp1 = f(*tmp1);
                *tmp2 = f(*tmp2);
            }
            MInst::AtomicLoop {
                addr,
                operand,
                tmp,
                dst,
                ..
            } => {
                addr.map_regs(&mut f);
                *operand = f(*operand);
                *tmp = f(*tmp);
                *dst = f(*dst);
            }
            MInst::AtomicLoop128 {
                addr,
                lo,
                hi,
                old_lo,
                old_hi,
                new_lo,
                new_hi,
                ..
            } => {
                addr.map_regs(&mut f);
                for r in [lo, hi, old_lo, old_hi, new_lo, new_hi] {
                    *r = f(*r);
                }
            }
            MInst::Jump { .. }
            | MInst::JumpIf { .. }
            | MInst::TrapIf { .. }
            | MInst::Trap { .. } => {}
        }
    }

    /// The jump or two-way branch rows, built for emission.
    pub fn branch_insts(&self) -> impl Iterator<Item = Inst> {
        let jmp = |l| Inst::new(Op::jmp, &[Arg::Label(l)], &[]).expect("jmp takes a label");
        let pair = match *self {
            MInst::Jump { target } => [Some(jmp(target)), None],
            MInst::JumpIf {
                cc,
                taken,
                not_taken,
            } => [
                Some(
                    Inst::new(Op::jcc, &[Arg::Cc(cc), Arg::Label(taken)], &[])
                        .expect("jcc takes a condition and a label"),
                ),
                Some(jmp(not_taken)),
            ],
            _ => [None, None],
        };
        pair.into_iter().flatten()
    }
}

impl MInst {
    /// One line of text: AT&T syntax for table instructions (virtual registers as `v300`),
    /// a short description for pseudo-instructions.
    pub fn describe(&self) -> String {
        use crate::isa::x64::print::{att, SymbolicNames};
        let fixed = |list: &[Fixed]| {
            list.iter()
                .map(|(r, p)| format!("{r:?}->%{}", crate::isa::x64::regs::name(*p, 8)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            MInst::Real(i) => att(i, &SymbolicNames),
            MInst::Args { defs } => format!("args {}", fixed(defs)),
            MInst::Ret { uses } => format!("ret {}", fixed(uses)),
            MInst::ReturnCall { symbol, uses, .. } => match symbol {
                Some(s) => format!("return_call sym{} uses [{}]", s.0, fixed(uses)),
                None => format!("return_call *%r10 uses [{}]", fixed(uses)),
            },
            MInst::TryCall {
                inst,
                uses,
                defs,
                targets,
                ..
            } => format!(
                "try {} uses [{}] defs [{}]; .L{}, [{}]",
                att(inst, &SymbolicNames),
                fixed(uses),
                fixed(defs),
                targets.normal.0,
                (targets.handlers.iter())
                    .map(|(tag, l)| match tag {
                        Some(t) => format!("tag{t}: .L{}", l.0),
                        None => format!("default: .L{}", l.0),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            MInst::Call {
                inst, uses, defs, ..
            } => format!(
                "{} uses [{}] defs [{}]",
                att(inst, &SymbolicNames),
                fixed(uses),
                fixed(defs)
            ),
            MInst::StackSwitch {
                store,
                load,
                payload_in,
                ..
            } => format!("stack_switch store {store:?} load {load:?} payload {payload_in:?}"),
            MInst::ElfTlsGetAddr { symbol, dst, .. } => {
                format!("tls_gd sym{} -> {dst:?}", symbol.0)
            }
            MInst::Jump { target } => format!("jmp .L{}", target.0),
            MInst::JumpIf {
                cc,
                taken,
                not_taken,
            } => format!("j{} .L{}; jmp .L{}", cc.name(), taken.0, not_taken.0),
            MInst::Trap { code } => format!("ud2 (trap {})", code.0),
            MInst::TrapIf { cc, code } => format!("trap if {} (trap {})", cc.name(), code.0),
            MInst::AtomicLoop {
                op, bytes, operand, ..
            } => format!("atomic {op:?} {bytes}-byte loop with {operand:?}"),
            MInst::JumpTable { index, targets, .. } => {
                format!("jump table [{}] by {index:?}", targets.len())
            }
            MInst::AtomicLoop128 { op, lo, hi, .. } => {
                format!("atomic {op:?} 16-byte loop with {hi:?}:{lo:?}")
            }
        }
    }
}

impl MachInst for MInst {
    fn collect_operands(&self, out: &mut Vec<Operand>) {
        match self {
            MInst::Real(i) => i.collect_operands(out),
            MInst::Args { defs } => out.extend(
                defs.iter()
                    .map(|&(r, p)| Operand::reg_fixed_def(r.to_vreg(), p)),
            ),
            MInst::Ret { uses } => out.extend(
                uses.iter()
                    .map(|&(r, p)| Operand::reg_fixed_use(r.to_vreg(), p)),
            ),
            MInst::ReturnCall { target, uses, .. } => {
                out.extend(
                    uses.iter()
                        .map(|&(r, p)| Operand::reg_fixed_use(r.to_vreg(), p)),
                );
                if let Some(t) = target {
                    out.push(Operand::reg_fixed_use(
                        t.to_vreg(),
                        crate::isa::x64::abi::tail_call::RETURN_CALL_TARGET_REG,
                    ));
                }
            }
            MInst::Call {
                inst, uses, defs, ..
            }
            | MInst::TryCall {
                inst, uses, defs, ..
            } => {
                inst.collect_operands(out);
                out.extend(
                    uses.iter()
                        .map(|&(r, p)| Operand::reg_fixed_use(r.to_vreg(), p)),
                );
                out.extend(
                    defs.iter()
                        .map(|&(r, p)| Operand::reg_fixed_def(r.to_vreg(), p)),
                );
            }
            MInst::AtomicLoop {
                addr,
                operand,
                tmp,
                dst,
                ..
            } => {
                push_address_uses(addr, out);
                out.push(Operand::reg_use(operand.to_vreg()));
                out.push(Operand::reg_temp(tmp.to_vreg()));
                out.push(Operand::reg_fixed_def_at_start(
                    dst.to_vreg(),
                    crate::isa::x64::regs::RAX,
                ));
            }
            MInst::AtomicLoop128 {
                addr,
                lo,
                hi,
                old_lo,
                old_hi,
                new_lo,
                new_hi,
                ..
            } => {
                use crate::isa::x64::regs::{RAX, RBX, RCX, RDX};
                push_address_uses(addr, out);
                out.push(Operand::reg_use(lo.to_vreg()));
                out.push(Operand::reg_use(hi.to_vreg()));
                out.push(Operand::reg_fixed_def_at_start(old_lo.to_vreg(), RAX));
                out.push(Operand::reg_fixed_def_at_start(old_hi.to_vreg(), RDX));
                out.push(Operand::reg_fixed_def_at_start(new_lo.to_vreg(), RBX));
                out.push(Operand::reg_fixed_def_at_start(new_hi.to_vreg(), RCX));
            }
            MInst::StackSwitch {
                store,
                load,
                payload_in,
                payload_out,
                ..
            } => {
                use crate::isa::x64::regs::RDI;
                out.push(Operand::reg_use(store.to_vreg()));
                out.push(Operand::reg_use(load.to_vreg()));
                out.push(Operand::reg_fixed_use(payload_in.to_vreg(), RDI));
                out.push(Operand::reg_fixed_def(payload_out.to_vreg(), RDI));
            }
            MInst::ElfTlsGetAddr { dst, .. } => out.push(Operand::reg_fixed_def(
                dst.to_vreg(),
                crate::isa::x64::regs::RAX,
            )),
            MInst::JumpTable {
                index, tmp1, tmp2, ..
            } => {
                out.push(Operand::reg_use(index.to_vreg()));
                out.push(Operand::reg_temp(tmp1.to_vreg()));
                out.push(Operand::reg_temp(tmp2.to_vreg()));
            }
            MInst::Jump { .. }
            | MInst::JumpIf { .. }
            | MInst::TrapIf { .. }
            | MInst::Trap { .. } => {}
        }
    }

    fn clobbers(&self) -> PRegSet {
        match self {
            MInst::Call { clobbers, defs, .. } | MInst::TryCall { clobbers, defs, .. } => {
                let mut c = *clobbers;
                for &(_, p) in defs {
                    c.remove(p);
                }
                c
            }
            MInst::ElfTlsGetAddr { clobbers, .. } => {
                let mut c = *clobbers;
                c.remove(crate::isa::x64::regs::RAX);
                c
            }
            MInst::StackSwitch { clobbers, .. } => {
                let mut c = *clobbers;
                c.remove(crate::isa::x64::regs::RDI);
                c
            }
            _ => PRegSet::empty(),
        }
    }

    fn is_ret(&self) -> bool {
        matches!(
            self,
            MInst::Ret { .. } | MInst::Trap { .. } | MInst::ReturnCall { .. }
        )
    }

    fn is_branch(&self) -> bool {
        matches!(
            self,
            MInst::Jump { .. }
                | MInst::JumpIf { .. }
                | MInst::JumpTable { .. }
                | MInst::TryCall { .. }
        )
    }
}

/// The operands of an address's registers: uses, except a physical register (rsp, rbp), which
/// the allocator must leave alone.
fn push_address_uses(addr: &crate::isa::x64::amode::Amode, out: &mut Vec<Operand>) {
    for r in addr.regs() {
        out.push(match r.to_preg() {
            Some(p) => Operand::fixed_nonallocatable(p),
            None => Operand::reg_use(r.to_vreg()),
        });
    }
}
