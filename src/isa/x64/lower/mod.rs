//! x64 lowering: the Rust side of the rules in `rules/x64/*.rules`.
//!
//! ```text
//!   ir::Function ─BlockOrder─▶ blocks in reverse postorder, critical edges split
//!        │  for each block, last to first; for each instruction, last to first:
//!        │    pure and no result needed?  skip (it was folded into its users, or is dead)
//!        │    branch?  run `lower_branch`   otherwise  run `lower`   (dsl::Machine over LowerCtx)
//!        │    the rule's outputs become the registers of the instruction's results
//!        ▼
//!   VCode<MInst> ──regalloc2──▶ allocations ──emit.rs──▶ MachBuffer ──▶ CompiledCode
//! ```
//!
//! Lowering goes backwards so that every use of a value is seen before its definition: a value
//! nobody asked to have in a register (`put_in_gpr`) and whose instruction is pure was folded
//! into all its users — constants into immediates, compares into branches — and is not
//! lowered again. The rule program is compiled once per process ([`rule_program`]).
//!
//! Rules decide which instructions to emit; the Rust here ([`terms`], [`abi_lower`]) only
//! gives them registers, memory operands, labels and the ABI's moves.

pub mod abi_lower;
pub mod ctx;
pub mod emit;
pub mod exceptions;
pub mod minst;
pub mod shuffle;
pub mod stack_switch;
pub mod struct_args;
pub mod terms;
pub mod tls;

use crate::dsl::{self, Machine, RuleProgram};
use crate::ir::{self, EntityRef};
use crate::isa::x64::abi::AbiLayout;
use crate::isa::x64::cpuid::{Feature as CpuFeature, TargetFeatures};
use crate::isa::x64::regs::{Reg, PINNED_VREGS};
use crate::isa::x64::table::Feature;
use crate::machinst::blockorder::{BlockOrder, LoweredBlock};
use crate::machinst::lists::Lists;
use crate::machinst::timing::{Phase, PhaseClock};
use crate::machinst::vcode::{VBlocks, VCode};
use crate::settings::Flags;
use ctx::LowerCtx;
use minst::MInst;
use regalloc2::VReg;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

/// The x86-64 features a `target x86_64 …` line enables (beyond the SSE2 baseline), as
/// lowering asks about them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct IsaFlags {
    pub sse3: bool,
    pub ssse3: bool,
    pub sse41: bool,
    pub sse42: bool,
    pub popcnt: bool,
    pub lzcnt: bool,
    pub bmi1: bool,
    pub bmi2: bool,
    pub avx: bool,
    pub avx2: bool,
    pub fma: bool,
    pub cmpxchg16b: bool,
    pub avx512f: bool,
    pub avx512vl: bool,
    pub avx512dq: bool,
    pub avx512bitalg: bool,
    pub avx512vbmi: bool,
    pub avx512vnni: bool,
    pub avx_vnni: bool,
}

impl IsaFlags {
    /// Flags from the words after `target x86_64` (presets such as `sse41`, `skylake`,
    /// `x86-64-v3`, and flags `has_avx`, `has_ssse3=false`…, applied left to right; see
    /// [`TargetFeatures::from_target_flags`]). An unknown word is an error naming it.
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> Result<IsaFlags, String> {
        TargetFeatures::from_target_flags(words)
            .map(IsaFlags::from_features)
            .map_err(|e| e.to_string())
    }

    /// The flags of a feature set.
    pub fn from_features(features: TargetFeatures) -> IsaFlags {
        let has = |f| features.contains(f);
        IsaFlags {
            sse3: has(CpuFeature::Sse3),
            ssse3: has(CpuFeature::Ssse3),
            sse41: has(CpuFeature::Sse41),
            sse42: has(CpuFeature::Sse42),
            popcnt: has(CpuFeature::Popcnt),
            lzcnt: has(CpuFeature::Lzcnt),
            bmi1: has(CpuFeature::Bmi1),
            bmi2: has(CpuFeature::Bmi2),
            avx: has(CpuFeature::Avx),
            avx2: has(CpuFeature::Avx2),
            fma: has(CpuFeature::Fma),
            cmpxchg16b: has(CpuFeature::Cmpxchg16b),
            avx512f: has(CpuFeature::Avx512f),
            avx512vl: has(CpuFeature::Avx512vl),
            avx512dq: has(CpuFeature::Avx512dq),
            avx512bitalg: has(CpuFeature::Avx512bitalg),
            avx512vbmi: has(CpuFeature::Avx512vbmi),
            avx512vnni: has(CpuFeature::Avx512vnni),
            avx_vnni: has(CpuFeature::AvxVnni),
        }
    }

    /// Every flag the machine running this process has.
    pub fn host() -> IsaFlags {
        IsaFlags::from_features(TargetFeatures::host())
    }

    fn bits(&self) -> [bool; 19] {
        [
            self.sse3,
            self.ssse3,
            self.sse41,
            self.sse42,
            self.popcnt,
            self.lzcnt,
            self.bmi1,
            self.bmi2,
            self.avx,
            self.avx2,
            self.fma,
            self.cmpxchg16b,
            self.avx512f,
            self.avx512vl,
            self.avx512dq,
            self.avx512bitalg,
            self.avx512vbmi,
            self.avx512vnni,
            self.avx_vnni,
        ]
    }

    /// Whether every flag of `self` is also in `other` (can code for `self` run on `other`?).
    pub fn is_subset_of(&self, other: &IsaFlags) -> bool {
        self.bits().iter().zip(other.bits()).all(|(&x, y)| !x || y)
    }

    /// Whether an instruction row needing `feature` may be used. AVX-512 rows on 128-bit
    /// registers need AVX512F and AVX512VL besides their own family.
    pub fn has(&self, feature: Feature) -> bool {
        let vl = self.avx512f && self.avx512vl;
        match feature {
            Feature::Base => true,
            Feature::Sse3 => self.sse3,
            Feature::Ssse3 => self.ssse3,
            Feature::Sse41 => self.sse41,
            Feature::Sse42 => self.sse42,
            Feature::Popcnt => self.popcnt,
            Feature::Lzcnt => self.lzcnt,
            Feature::Bmi1 => self.bmi1,
            Feature::Bmi2 => self.bmi2,
            Feature::Fma => self.fma,
            Feature::Avx => self.avx,
            Feature::Avx2 => self.avx2,
            Feature::Cmpxchg16b => self.cmpxchg16b,
            Feature::Avx512Vl => vl,
            Feature::Avx512VlDq => vl && self.avx512dq,
            Feature::Avx512VlVbmi => vl && self.avx512vbmi,
            Feature::Avx512VlBitalg => vl && self.avx512bitalg,
            Feature::Avx512VlVnni => vl && self.avx512vnni,
            Feature::AvxVnni => self.avx && self.avx_vnni,
        }
    }
}

/// The x64 rule files, compiled once per process with the lowering environment.
pub fn rule_program() -> Result<&'static RuleProgram<LowerCtx>, String> {
    static PROGRAM: OnceLock<Result<RuleProgram<LowerCtx>, String>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            dsl::compile(dsl::embedded_x64_sources(), terms::lower_env()).map_err(|e| e.render())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// What lowering did with one IR instruction, for `explain` and tests: the rule of `lower` or
/// `lower_branch` that fired and the instructions it emitted (before allocation).
#[derive(Clone, Debug)]
pub struct TraceStep {
    pub inst: ir::Inst,
    pub rule: Option<dsl::RuleId>,
    /// The rules of helper terms that fired on the way, in the order they returned (the
    /// executor's trace hook reports them).
    pub helpers: Vec<dsl::RuleId>,
    pub code: Vec<MInst>,
}

/// A lowered function: its VCode and what emission needs besides.
pub struct Lowered {
    pub vcode: VCode<MInst>,
    pub ctx: LowerCtx,
    /// One step per lowered IR instruction, in lowering order (last block first), when asked.
    pub trace: Vec<TraceStep>,
}

/// Lowers `func` (verified) to VCode with the rules of `prog`, running them on `machine` (whose
/// coverage counters, when enabled, count the firings); `trace` records a [`TraceStep`] per
/// IR instruction; the rule executor's time is charged to `clock`'s [`Phase::Rules`].
pub fn lower_function(
    prog: &RuleProgram<LowerCtx>,
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    machine: &mut Machine,
    trace: bool,
    clock: &mut impl PhaseClock,
) -> Result<Lowered, String> {
    lower_function_probing(prog, func, flags, isa, machine, trace, clock, &mut None)
}

/// What lowering found for the instruction a why-not question is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WhyNotFinding {
    /// Unused and free of side effects: not lowered at all.
    Dead,
    /// Folded into a user's instruction (a load as a memory operand).
    Sunk,
    /// The candidate rules of `term` and what became of each.
    Tried {
        term: dsl::TermId,
        attempts: Vec<dsl::why_not::Attempt>,
    },
}

/// Lowers `func` (verified) with the rules of `prog` as [`lower_function`] does, and explains
/// why each candidate rule does or does not fire on `inst` (`rulesel explain --why-not`): the
/// finding (`None` when lowering stopped before reaching `inst`) and how lowering ended.
pub fn why_not(
    prog: &RuleProgram<LowerCtx>,
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    inst: ir::Inst,
) -> (Option<WhyNotFinding>, Result<(), String>) {
    let mut probe = Some((inst, None));
    let mut machine = Machine::new();
    let lowered = lower_function_probing(
        prog,
        func,
        flags,
        isa,
        &mut machine,
        false,
        &mut (),
        &mut probe,
    );
    (probe.and_then(|p| p.1), lowered.map(|_| ()))
}

/// [`lower_function`], explaining the instruction of `probe` into it when it is lowered.
#[allow(clippy::too_many_arguments)]
fn lower_function_probing(
    prog: &RuleProgram<LowerCtx>,
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    machine: &mut Machine,
    trace: bool,
    clock: &mut impl PhaseClock,
    probe: &mut Option<(ir::Inst, Option<WhyNotFinding>)>,
) -> Result<Lowered, String> {
    if let Some(ty) = (func.dfg.values())
        .map(|v| func.dfg.value_type(v))
        .find(|t| t.is_vector() && t.bits() > 128)
    {
        return Err(format!(
            "not supported yet: {ty} (vectors wider than 128 bits)"
        ));
    }
    let abi = AbiLayout::compute(&func.signature, flags).map_err(|e| e.to_string())?;
    let order = BlockOrder::new(func);
    if order.blocks.is_empty() {
        return Err("the function has no blocks".to_string());
    }
    if !order.preds(0).is_empty() {
        return Err("not supported yet: branches to the entry block".to_string());
    }
    let lower_term = prog
        .term("lower")
        .ok_or("the rules declare no `lower` term")?;
    let branch_term = prog
        .term("lower_branch")
        .ok_or("the rules declare no `lower_branch` term")?;
    let mut ctx = LowerCtx::new(func.clone(), flags.clone(), *isa, abi, order);
    let mut steps = Vec::new();
    // Every rule firing while tracing; the ones of one IR instruction are taken after it.
    let fired_rules: Option<Rc<RefCell<Vec<dsl::RuleId>>>> = trace.then(Rc::default);
    if let Some(fired) = &fired_rules {
        let log = Rc::clone(fired);
        machine.set_trace(Some(Box::new(move |rule, _, _| {
            log.borrow_mut().push(rule)
        })));
    }
    let nblocks = ctx.order.blocks.len();
    let mut blocks = VBlocks {
        insts: vec![(0, 0); nblocks],
        params: Lists::empty(nblocks, 1),
        branch_args: Lists::empty(ctx.order.num_edges(), 1),
    };
    // The instructions of the whole function, last to first: each IR instruction's sequence is
    // appended reversed, and the whole is reversed once at the end.
    let mut rev_insts: Vec<MInst> = Vec::with_capacity(func.dfg.num_insts() + nblocks);
    for b in (0..nblocks).rev() {
        ctx.cur_block = b as u32;
        let rev_start = rev_insts.len();
        match ctx.order.blocks[b] {
            LoweredBlock::Edge { from, succ, .. } => {
                let term = ctx.func.layout.last_inst(from).expect("a branching block");
                let call = ctx.func.dfg.branch_destinations(term)[succ as usize];
                block_args(&mut ctx, term, call, &mut blocks.branch_args, b)?;
                let target = LowerCtx::block_label(ctx.order.succs(b)[0]);
                rev_insts.push(MInst::Jump { target });
            }
            LoweredBlock::Orig(block) => {
                for k in (0..ctx.func.layout.block_insts(block).len()).rev() {
                    let inst = ctx.func.layout.block_insts(block)[k];
                    let fired = lower_inst(
                        &mut ctx,
                        machine,
                        prog,
                        inst,
                        (lower_term, branch_term),
                        clock,
                        probe,
                    )?;
                    let opcode = ctx.func.dfg.inst(inst).opcode();
                    // A lone successor receives the arguments, unless it is an edge block
                    // (the edge of a try_call), which passes them itself.
                    let lone_orig_succ = ctx.order.succs(b).len() == 1
                        && matches!(
                            ctx.order.blocks[ctx.order.succs(b)[0] as usize],
                            LoweredBlock::Orig(_)
                        );
                    if opcode.is_branch() && lone_orig_succ {
                        let call = ctx.func.dfg.branch_destinations(inst)[0];
                        block_args(&mut ctx, inst, call, &mut blocks.branch_args, b)?;
                    }
                    if let (Some(log), true) = (&fired_rules, fired) {
                        let rule = machine.last_fired();
                        let mut helpers = std::mem::take(&mut *log.borrow_mut());
                        // The instruction's own rule returns last.
                        if helpers.last().copied() == rule {
                            helpers.pop();
                        }
                        steps.push(TraceStep {
                            inst,
                            rule,
                            helpers,
                            code: ctx.cur.clone(),
                        });
                    }
                    rev_insts.extend(ctx.cur.drain(..).rev());
                }
                if b == 0 {
                    abi_lower::lower_args(&mut ctx);
                    if let Some(e) = ctx.error.take() {
                        return Err(e);
                    }
                    rev_insts.extend(ctx.cur.drain(..).rev());
                } else {
                    blocks.params.set_with(b, |params| {
                        for k in 0..ctx.func.dfg.block_params(block).len() {
                            let regs = ctx.value_regs(ctx.func.dfg.block_params(block)[k]);
                            params.extend(regs.regs().map(|r| r.to_vreg()));
                        }
                    });
                }
            }
        }
        // Reversed positions for now.
        blocks.insts[b] = (rev_start as u32, rev_insts.len() as u32);
    }
    rev_insts.reverse();
    let mut insts = rev_insts;
    let total = insts.len() as u32;
    for range in &mut blocks.insts {
        let (lo, hi) = *range;
        *range = (total - hi, total - lo);
    }
    // Aliases resolved, virtual registers are renumbered in order of first appearance, so
    // that their numbers grow with program order (lowering, bottom-up, allocated them the other
    // way round). regalloc2 merges block parameters with their arguments in the order of the
    // parameters' numbers and caps the work of each merge; in program order that cap keeps a
    // chain of loop-carried values from growing into one bundle spanning the whole function,
    // whose every merge would cost its size.
    let mut renumber = Renumber::new(ctx.num_vregs());
    let mut final_reg = |r: Reg| renumber.reg(ctx.resolve(r));
    // In program order: a block's parameters, its instructions, the arguments it passes.
    for b in 0..nblocks {
        for p in blocks.params.get_mut(b) {
            *p = final_reg(ctx::vreg_reg(*p)).to_vreg();
        }
        let (lo, hi) = blocks.insts[b];
        for inst in &mut insts[lo as usize..hi as usize] {
            inst.map_regs(&mut final_reg);
        }
        for k in 0..ctx.order.succs(b).len() {
            for a in blocks.branch_args.get_mut(ctx.order.edge(b, k)) {
                *a = final_reg(ctx::vreg_reg(*a)).to_vreg();
            }
        }
    }
    if trace {
        machine.set_trace(None);
        for inst in steps.iter_mut().flat_map(|s| &mut s.code) {
            inst.map_regs(&mut final_reg);
        }
    }
    let vcode = VCode::new(
        insts,
        blocks,
        &ctx.order,
        PINNED_VREGS + renumber.next as usize,
    );
    Ok(Lowered {
        vcode,
        ctx,
        trace: steps,
    })
}

/// Virtual register numbers in order of first appearance.
struct Renumber {
    /// New number (from 0) of each old virtual register (index minus the pinned ones).
    map: Vec<u32>,
    next: u32,
}

impl Renumber {
    fn new(num_vregs: usize) -> Renumber {
        Renumber {
            map: vec![u32::MAX; num_vregs.saturating_sub(PINNED_VREGS)],
            next: 0,
        }
    }

    /// `r` renumbered (physical and invalid registers are left alone).
    fn reg(&mut self, r: Reg) -> Reg {
        if !r.is_virtual() {
            return r;
        }
        let v = r.to_vreg();
        let slot = &mut self.map[v.vreg() - PINNED_VREGS];
        if *slot == u32::MAX {
            *slot = self.next;
            self.next += 1;
        }
        Reg::virt(VReg::new(PINNED_VREGS + *slot as usize, v.class()))
    }
}

/// Records the registers the one-successor block `b` passes to its target's parameters: the
/// arguments of `branch`'s destination `call`, values or the return values and exception
/// payloads a `try_call` defines.
fn block_args(
    ctx: &mut LowerCtx,
    branch: ir::Inst,
    call: ir::BlockCall,
    branch_args: &mut Lists<VReg>,
    b: usize,
) -> Result<(), String> {
    let mut result = Ok(());
    branch_args.set_with(ctx.order.edge(b, 0), |out| {
        for k in 0..ctx.func.dfg.block_call_args(call).len() {
            let arg = ctx.func.dfg.block_call_args(call)[k];
            let regs = match arg {
                ir::BlockArg::Value(v) => ctx.put_in_regs(v),
                ir::BlockArg::TryCallRet(n) => {
                    match ctx.try_call_regs(branch).rets.get(n as usize) {
                        Some(&regs) => regs,
                        None => {
                            result = Err(format!("ret{n}: the call has no such return value"));
                            return;
                        }
                    }
                }
                ir::BlockArg::TryCallExn(n) => {
                    let exns = ctx.try_call_regs(branch).exns;
                    match exns.get(n as usize) {
                        Some(&r) => ctx::ValueRegs::one(r),
                        None => {
                            result = Err(format!(
                                "not supported: exn{n} (the callee's calling convention has {} exception payload registers)",
                                exns.len()
                            ));
                            return;
                        }
                    }
                }
            };
            out.extend(regs.regs().map(|r| r.to_vreg()));
        }
    });
    result
}

/// Lowers one IR instruction into `ctx.cur`; `false` when it needed no code of its own (dead,
/// or folded into its users). `terms` are `lower` and `lower_branch`. When `probe` names
/// `inst`, what became of it and of each candidate rule is recorded there.
fn lower_inst(
    ctx: &mut LowerCtx,
    machine: &mut Machine,
    prog: &RuleProgram<LowerCtx>,
    inst: ir::Inst,
    (lower_term, branch_term): (dsl::TermId, dsl::TermId),
    clock: &mut impl PhaseClock,
    probe: &mut Option<(ir::Inst, Option<WhyNotFinding>)>,
) -> Result<bool, String> {
    let dfg = &ctx.func.dfg;
    let opcode = dfg.inst(inst).opcode();
    let needed = dfg.inst_results(inst).iter().any(|&r| ctx.is_needed(r));
    let dead = opcode.info().is_pure() && !needed;
    ctx.cur.clear();
    let probed = probe.as_ref().is_some_and(|p| p.0 == inst);
    // A load merged into its user needs no code of its own, unless something also asked for
    // its value in a register: then it is read here as well (the same memory, since no side
    // effect separates the two reads), so that register is defined.
    if dead || ctx.sunk[inst.index()] && !needed {
        if let (Some(p), true) = (probe.as_mut(), probed) {
            p.1 = Some(if dead {
                WhyNotFinding::Dead
            } else {
                WhyNotFinding::Sunk
            });
        }
        return Ok(false);
    }
    let unsupported = |ctx: &LowerCtx| {
        let ty = ctx.func.dfg.ctrl_type(inst);
        if ty.is_invalid() {
            format!("not supported yet: {opcode}")
        } else {
            format!("not supported yet: {opcode} on {ty}")
        }
    };
    ctx.cur_inst = inst;
    ctx.cur.clear();
    ctx.amodes.clear();
    ctx.outputs.clear();
    let term = if opcode.is_branch() {
        branch_term
    } else {
        lower_term
    };
    if let (Some(p), true) = (probe.as_mut(), probed) {
        // Patterns and guards are pure, so evaluating them first changes nothing; whatever an
        // extern might still have left behind is cleared all the same.
        let attempts = dsl::why_not::attempts(prog, ctx, term, &[inst.index() as u64]);
        p.1 = Some(WhyNotFinding::Tried { term, attempts });
        ctx.error = None;
        ctx.cur.clear();
        ctx.amodes.clear();
        ctx.outputs.clear();
    }
    let run = clock.time(Phase::Rules, |_| {
        machine.run(prog, ctx, term, &[inst.index() as u64])
    });
    if let Some(e) = ctx.error.take() {
        return Err(format!("{}: {e}", ctx.func.describe_inst(inst)));
    }
    match run {
        Ok(Some(_)) => {}
        Ok(None) | Err(dsl::ExecError::NoRuleMatched { .. }) => return Err(unsupported(ctx)),
        Err(e) => return Err(format!("{}: {e}", ctx.func.describe_inst(inst))),
    }
    if !ctx.outputs.is_empty() {
        let nresults = ctx.func.dfg.inst_results(inst).len();
        if ctx.outputs.len() != nresults {
            return Err(format!(
                "{}: the rule produced {} results for {} values",
                ctx.func.describe_inst(inst),
                ctx.outputs.len(),
                nresults
            ));
        }
        for k in 0..nresults {
            let (r, out) = (ctx.func.dfg.inst_results(inst)[k], ctx.outputs[k]);
            let regs = ctx.value_regs(r);
            ctx.set_alias(regs.lo, out.lo);
            if regs.hi.is_valid() {
                ctx.set_alias(regs.hi, out.hi);
            }
        }
    }
    Ok(true)
}
