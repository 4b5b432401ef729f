//! The seeded generator of random valid CLIF modules.
//!
//! A module is a [`Config`] (its `set` lines and CPU features, [`super::config`]), then the
//! signatures of its functions (any calling convention; stack arguments, `i128` and floats
//! among them; `uext`/`sext` narrow values; a `vmctx` pointer; more results than return
//! registers when `enable_multi_ret_implicit_sret` allows), then the functions. Function `i`
//! calls only functions after it, directly, through `func_addr` + `call_indirect`, or, under
//! `tail`, by `return_call`/`return_call_indirect`, so every call terminates. In a mixed
//! module ([`Limits::mixed`]) some functions are compiled by Cranelift itself, so that calls
//! between the two compilers check rulesel's calling conventions against Cranelift's.
//!
//! A function is grown as nested regions, which keeps it valid by construction:
//!
//! ```text
//!  straight ops     v = op(values in scope)             every lowered (opcode, type): ops.rs
//!  vector region    scalars ─▶ 128-bit vector operations ─▶ scalars, a digest stored to a
//!                   slot (vectors.rs)
//!  memory           loads, stores, stack_load/store, atomics on stack slots; a load right
//!                   before the instruction it can fold into, sometimes with a second user
//!  call             results of a later module function (direct or indirect)
//!  diamond          brif c ─▶ then-region ─┐     (c often a fresh compare that a select
//!                         └─▶ else-region ─┴▶ join(v: T)     before the branch also reads)
//!  loop             jump head(0, x) ; head(i, acc): body-region ; brif i+1 < n, head(i+1, acc'), exit(acc')
//!  switch           br_table i, [case-regions…] ─▶ join(v: T)
//!  cold             brif 0, cold, next: code that is compiled but never runs (frame and stack
//!                   pointers, debugtrap, 32-bit addresses…: values no interpreter can agree on)
//!  trap             trapz/trapnz, uadd_overflow_trap, an arm that ends in `trap`
//! ```
//!
//! The scope is the list of values defined in blocks that dominate the current point: a region's
//! own values go out of scope at its join, where only the join's parameters come back. Loops run
//! at most 4 times each, so every function terminates quickly. Slots are zeroed on entry (the
//! interpreter zeroes memory, hardware does not), and the function's last return value reads
//! every slot back, so memory contents are compared with the results. Addresses never enter
//! the scope (as integers they differ between the interpreter and the hardware).
//!
//! Where CLIF and the interpreter disagree the generator steers clear: `srem MIN, -1` is 0 in
//! CLIF but traps in the interpreter, so `srem`'s divisor is never -1. Everything else is
//! defined or traps the same way in both (shift amounts are masked, division by zero and
//! `sdiv MIN, -1` trap, `fcvt_to_*` traps on NaN and overflow, NaN payloads are compared
//! NaN-aware by the runner).

use super::config::random_config;
use super::lowered::{lowered, Lowered};
use super::program::{
    Block, BlockId, Compiler, Config, Conv, Ext, Func, Line, Module, Param, Sig, Slot, Target,
    Term, TryCall, Ty, Val,
};
use crate::dsl::testkit::Rng;

/// How big the generated modules are.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Functions per module (at least 1).
    pub funcs: usize,
    /// Nesting depth of control-flow regions.
    pub depth: u32,
    /// Regions in a sequence.
    pub regions: u64,
    /// Let Cranelift compile some functions (see the module documentation).
    pub mixed: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            funcs: 3,
            depth: 2,
            regions: 6,
            mixed: true,
        }
    }
}

/// Generates the module of `seed`.
pub fn generate_module(seed: u64, limits: Limits) -> Module {
    let mut rng = Rng::new(seed);
    let config = random_config(&mut rng);
    let count = 1 + rng.below(limits.funcs.max(1) as u64) as usize;
    let sigs = signatures(&mut rng, &config, count);
    let mut funcs: Vec<Func> = (0..count)
        .map(|i| {
            FuncGen {
                rng: &mut rng,
                limits,
                config: &config,
                lowered: lowered(),
                sigs: &sigs,
                index: i,
                next_val: 0,
                blocks: Vec::new(),
                callees: Vec::new(),
                sig_refs: Vec::new(),
                slots: Vec::new(),
                data_slots: Vec::new(),
                globals: Vec::new(),
                ctx_slot: None,
                stack_limit: None,
                pinned_set: false,
                rulesel_only: false,
            }
            .generate()
        })
        .collect();
    if limits.mixed {
        for i in 0..funcs.len() {
            if !funcs[i].rulesel_only
                && rng.chance(25)
                && cranelift_can_compile(&funcs[i], &funcs, &config)
            {
                funcs[i].compiler = Compiler::Cranelift;
            }
        }
    }
    Module { funcs, config }
}

/// Cranelift 0.135 compiles tail calls only with frame pointers, and rejects (by panicking) an
/// `i128` in a signature outside the `tail` convention unless the LLVM ABI extensions are on,
/// for its own signature and every one it calls.
fn cranelift_can_compile(f: &Func, funcs: &[Func], config: &Config) -> bool {
    // Its tail calls need frame pointers.
    let tail_calls = f.blocks.iter().any(|b| {
        matches!(
            &b.term,
            Term::Other {
                callee: Some(_),
                ..
            }
        )
    });
    if tail_calls && !config.is_on("preserve_frame_pointers") {
        return false;
    }
    // Cranelift's preserve_all prologue calls the outline probe with the frame size in rax,
    // which it does not restore (seed 22001, module 8575); its stack-limit check is kept out
    // too.
    if f.sig.conv == Conv::PreserveAll
        && (config.is_on("enable_probestack") || f.stack_limit.is_some())
    {
        return false;
    }
    if config.is_on("enable_llvm_abi_extensions") {
        return true;
    }
    let ok = |s: &Sig| {
        s.conv == Conv::Tail || !s.params.iter().chain(&s.returns).any(|p| p.ty == Ty::I128)
    };
    ok(&f.sig) && f.callees.iter().all(|&c| ok(&funcs[c].sig)) && f.sigs.iter().all(ok)
}

pub(super) fn random_ty(rng: &mut Rng) -> Ty {
    // i128 and narrow types less often: most code is i32/i64/float.
    *rng.pick(&[
        Ty::I8,
        Ty::I16,
        Ty::I32,
        Ty::I32,
        Ty::I64,
        Ty::I64,
        Ty::I128,
        Ty::F32,
        Ty::F64,
    ])
}

/// The return registers of a convention as Cranelift assigns them: (integer, float).
fn return_registers(conv: Conv, config: &Config) -> (usize, usize) {
    match conv {
        Conv::Tail => (8, 8),
        Conv::WindowsFastcall => (2, 1),
        // Only the last result, which `returns_fit` checks.
        Conv::Winch => (1, 1),
        _ if config.is_on("enable_llvm_abi_extensions") => (3, 2),
        _ => (2, 2),
    }
}

/// Do `returns` fit in the return registers of `conv`?
fn returns_fit(returns: &[Param], conv: Conv, config: &Config) -> bool {
    if conv == Conv::Winch && returns.len() > 1 {
        return false;
    }
    let (ints, floats) = return_registers(conv, config);
    let int_regs: usize = returns
        .iter()
        .map(|p| match p.ty {
            Ty::I128 => 2,
            t if t.is_float() => 0,
            _ => 1,
        })
        .sum();
    let float_regs = returns.iter().filter(|p| p.ty.is_float()).count();
    int_regs <= ints && float_regs <= floats
}

/// Signatures of `count` functions, last first, so that a `tail` function can share the
/// results of a later one (which `return_call` needs).
fn signatures(rng: &mut Rng, config: &Config, count: usize) -> Vec<Sig> {
    let sret = config.is_on("enable_multi_ret_implicit_sret");
    let llvm = config.is_on("enable_llvm_abi_extensions");
    let mut sigs: Vec<Sig> = Vec::with_capacity(count);
    for i in (0..count).rev() {
        let conv = *rng.pick(&[
            Conv::SystemV,
            Conv::SystemV,
            Conv::Fast,
            Conv::Tail,
            Conv::Tail,
            Conv::WindowsFastcall,
            Conv::PreserveAll,
            Conv::Winch,
        ]);
        // i128 under Windows x64 needs the LLVM extensions, in both compilers; winch has no
        // i128 at all.
        let i128_ok = match conv {
            Conv::WindowsFastcall => llvm,
            Conv::Winch => false,
            _ => true,
        };
        let value = |rng: &mut Rng| loop {
            let ty = random_ty(rng);
            if ty == Ty::I128 && !i128_ok {
                continue;
            }
            let ext = if matches!(ty, Ty::I8 | Ty::I16 | Ty::I32) && rng.chance(30) {
                *rng.pick(&[Ext::Uext, Ext::Sext])
            } else {
                Ext::None
            };
            break Param {
                ty,
                ext,
                vmctx: false,
            };
        };
        let nparams = if rng.chance(15) {
            6 + rng.below(12)
        } else {
            rng.below(5)
        };
        let mut params: Vec<Param> = (0..nparams).map(|_| value(rng)).collect();
        // Functions other than the first may take a vmctx (a pointer into their caller's
        // frame): the harness never calls them itself. Both compilers read a stack limit
        // only from a vmctx in a register: at most two parameters come before it.
        if i > 0 && rng.chance(15) {
            let at = rng.below(params.len().min(2) as u64 + 1) as usize;
            params.insert(
                at,
                Param {
                    ty: Ty::I64,
                    ext: Ext::None,
                    vmctx: true,
                },
            );
        }
        // Earlier in `sigs` means later in the module.
        let later_tails: Vec<usize> = sigs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.conv == Conv::Tail)
            .map(|(k, _)| k)
            .collect();
        // Cranelift's verifier gives preserve_all no results.
        let returns = if conv == Conv::PreserveAll {
            Vec::new()
        } else if conv == Conv::Tail && !later_tails.is_empty() && rng.chance(50) {
            sigs[*rng.pick(&later_tails)].returns.clone()
        } else {
            loop {
                let many = sret && rng.chance(20);
                let n = if many {
                    3 + rng.below(16)
                } else {
                    rng.below(3)
                };
                let uniform = many && rng.chance(50);
                let first = value(rng);
                let rets: Vec<Param> = (0..n)
                    .map(|k| if uniform || k == 0 { first } else { value(rng) })
                    .collect();
                if sret || returns_fit(&rets, conv, config) {
                    break rets;
                }
            }
        };
        sigs.push(Sig {
            params,
            returns,
            conv,
        });
    }
    sigs.reverse();
    sigs
}

/// Values usable at the current point, with their types.
pub(super) type Scope = Vec<(Val, Ty)>;

/// Size of every data slot (room for two i128s); slots are 16-aligned so that the
/// interpreter's `aligned` checks (on offsets in its own stack) agree with the hardware's.
pub(super) const SLOT_SIZE: u32 = 32;

pub(super) struct FuncGen<'a> {
    pub(super) rng: &'a mut Rng,
    pub(super) limits: Limits,
    pub(super) config: &'a Config,
    pub(super) lowered: &'a Lowered,
    pub(super) sigs: &'a [Sig],
    pub(super) index: usize,
    pub(super) next_val: u32,
    pub(super) blocks: Vec<Block>,
    pub(super) callees: Vec<usize>,
    pub(super) sig_refs: Vec<usize>,
    pub(super) slots: Vec<Slot>,
    /// Slots that random loads and stores use and the checksum reads back.
    pub(super) data_slots: Vec<u32>,
    pub(super) globals: Vec<String>,
    /// A zeroed slot whose address is passed as callees' `vmctx` (never written otherwise).
    pub(super) ctx_slot: Option<u32>,
    pub(super) stack_limit: Option<u32>,
    /// `set_pinned_reg` was emitted in the entry block (so `get_pinned_reg` reads a value both
    /// sides agree on).
    pub(super) pinned_set: bool,
    /// The function uses something Cranelift's x64 back end cannot compile.
    pub(super) rulesel_only: bool,
}

impl FuncGen<'_> {
    fn generate(&mut self) -> Func {
        let sig = self.sigs[self.index].clone();
        let entry = self.new_block();
        let mut scope: Scope = Vec::new();
        let mut params = Vec::new();
        for p in &sig.params {
            let v = self.new_val();
            params.push((v, p.ty));
            // A vmctx is an address: kept out of the scope.
            if !p.vmctx {
                scope.push((v, p.ty));
            }
        }
        self.blocks[entry.0 as usize].params = params;
        if sig.params.iter().any(|p| p.vmctx) {
            self.vmctx_globals();
        }
        for _ in 0..self.rng.below(3) {
            let slot = self.add_slot(SLOT_SIZE);
            self.data_slots.push(slot);
            self.zero_slot(entry, slot, SLOT_SIZE);
        }
        if self.sigs[self.index + 1..]
            .iter()
            .any(|s| s.params.iter().any(|p| p.vmctx))
        {
            let slot = self.add_slot(SLOT_SIZE);
            self.zero_slot(entry, slot, SLOT_SIZE);
            self.ctx_slot = Some(slot);
        }
        if self.config.is_on("enable_probestack") && self.rng.chance(50) {
            // A frame big enough to be probed, used only by a store and a load.
            let size = 16 * (64 + self.rng.below(512) as u32);
            let big = self.add_slot(size);
            self.big_slot_roundtrip(entry, &mut scope, big, size);
        }
        if self.config.is_on("enable_pinned_reg") && self.rng.chance(60) {
            let v = self.operand(entry, &mut scope, Ty::I64);
            self.line(
                entry,
                Line {
                    effect: true,
                    ..Line::pure(vec![], vec![v], format!("set_pinned_reg {v}"))
                },
            );
            self.pinned_set = true;
        }
        let mut cur = entry;
        let regions = 1 + self.rng.below(self.limits.regions);
        for _ in 0..regions {
            cur = self.region(cur, &mut scope, self.limits.depth);
        }
        let term = match self.tail_call(cur, &mut scope, false) {
            Some(term) => term,
            None => Term::Return(self.results(cur, &mut scope)),
        };
        self.blocks[cur.0 as usize].term = term;
        Func {
            name: format!("f{}", self.index),
            sig,
            slots: std::mem::take(&mut self.slots),
            callees: std::mem::take(&mut self.callees),
            sigs: std::mem::take(&mut self.sig_refs)
                .into_iter()
                .map(|s| self.sigs[s].clone())
                .collect(),
            globals: std::mem::take(&mut self.globals),
            stack_limit: self.stack_limit,
            blocks: std::mem::take(&mut self.blocks),
            compiler: Compiler::Rulesel,
            next_val: self.next_val,
            rulesel_only: self.rulesel_only,
        }
    }

    /// The function's results at block `b`; the last one folds in every data slot's bytes, so
    /// that wrong memory shows.
    fn results(&mut self, b: BlockId, scope: &mut Scope) -> Vec<Val> {
        let returns = self.sigs[self.index].return_types();
        let mut rets: Vec<Val> = returns.iter().map(|&t| self.operand(b, scope, t)).collect();
        if self.data_slots.is_empty() || returns.is_empty() {
            return rets;
        }
        let last = returns.len() - 1;
        let mut acc = self.convert(b, scope, rets[last], returns[last], Ty::I64);
        let seven = self.konst(b, scope, Ty::I64, 7);
        for s in self.data_slots.clone() {
            let addr = self.slot_address(b, s, 0);
            for off in (0..SLOT_SIZE).step_by(8) {
                let v = self.def(
                    b,
                    scope,
                    Ty::I64,
                    vec![addr],
                    format!("load.i64 notrap {addr}+{off}"),
                );
                let r = self.def(
                    b,
                    scope,
                    Ty::I64,
                    vec![acc, seven],
                    format!("rotl {acc}, {seven}"),
                );
                acc = self.def(b, scope, Ty::I64, vec![r, v], format!("bxor {r}, {v}"));
            }
        }
        rets[last] = self.convert(b, scope, acc, Ty::I64, returns[last]);
        rets
    }

    /// Under `tail`, sometimes end with a tail call to a later `tail` function with the same
    /// results (directly or through `func_addr`; in a `cold` block, which never runs, through a
    /// 32-bit function address too, which the interpreter cannot follow).
    fn tail_call(&mut self, b: BlockId, scope: &mut Scope, cold: bool) -> Option<Term> {
        let sig = &self.sigs[self.index];
        if sig.conv != Conv::Tail || !self.rng.chance(40) {
            return None;
        }
        let own_vmctx = self.own_vmctx();
        let candidates: Vec<usize> = (self.index + 1..self.sigs.len())
            .filter(|&j| {
                let s = &self.sigs[j];
                s.conv == Conv::Tail
                    && s.return_types() == sig.return_types()
                    // This frame is gone during the callee: only the incoming vmctx can be
                    // passed on.
                    && (!s.params.iter().any(|p| p.vmctx) || own_vmctx.is_some())
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let callee = *self.rng.pick(&candidates);
        let args = self.call_args(b, scope, callee, own_vmctx);
        let argv = args
            .iter()
            .map(Val::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let fn_ref = self.fn_ref(callee);
        let addr_ty = self.call_address_type(cold);
        if self.lowered.has("return_call_indirect", Some(addr_ty)) && self.rng.chance(30) {
            let sig_ref = self.sig_ref(callee);
            let ptr = self.func_addr(b, callee, fn_ref, addr_ty);
            let mut uses = vec![ptr];
            uses.extend(&args);
            return Some(Term::Other {
                text: format!("return_call_indirect sig{sig_ref}, {ptr}({argv})"),
                uses,
                callee: Some(callee),
            });
        }
        Some(Term::Other {
            text: format!("return_call fn{fn_ref}({argv})"),
            uses: args,
            callee: Some(callee),
        })
    }

    /// The address type of an indirect call: 64 bits, or in `cold` code (which never runs)
    /// sometimes 32 bits, which the interpreter cannot follow.
    fn call_address_type(&mut self, cold: bool) -> Ty {
        if cold && self.rng.chance(50) {
            Ty::I32
        } else {
            Ty::I64
        }
    }

    /// `ptr = func_addr.ty fnN` in block `b`, for an indirect call of module function `callee`
    /// (function reference `fn_ref`); kept by the minimiser (its users call through it). A
    /// 32-bit address makes the function rulesel's alone.
    fn func_addr(&mut self, b: BlockId, callee: usize, fn_ref: usize, ty: Ty) -> Val {
        self.narrow_address(ty);
        let ptr = self.new_val();
        self.line(
            b,
            Line {
                keep: true,
                callee: Some(callee),
                ..Line::pure(
                    vec![(ptr, ty)],
                    vec![],
                    format!("{ptr} = func_addr.{ty} fn{fn_ref}"),
                )
            },
        );
        ptr
    }

    /// The function's own vmctx parameter, if it has one.
    fn own_vmctx(&self) -> Option<Val> {
        let sig = &self.sigs[self.index];
        let at = sig.params.iter().position(|p| p.vmctx)?;
        Some(self.blocks[0].params[at].0)
    }

    pub(super) fn new_val(&mut self) -> Val {
        self.next_val += 1;
        Val(self.next_val - 1)
    }

    pub(super) fn new_block(&mut self) -> BlockId {
        self.blocks.push(Block {
            params: Vec::new(),
            lines: Vec::new(),
            term: Term::Return(Vec::new()),
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    pub(super) fn line(&mut self, b: BlockId, line: Line) {
        self.blocks[b.0 as usize].lines.push(line);
    }

    /// Appends `v = <rhs>` of type `ty` to block `b` and puts `v` in scope.
    pub(super) fn def(
        &mut self,
        b: BlockId,
        scope: &mut Scope,
        ty: Ty,
        uses: Vec<Val>,
        rhs: String,
    ) -> Val {
        let v = self.new_val();
        self.line(b, Line::pure(vec![(v, ty)], uses, format!("{v} = {rhs}")));
        scope.push((v, ty));
        v
    }

    fn add_slot(&mut self, size: u32) -> u32 {
        self.slots.push(Slot {
            size,
            align_log2: 4,
        });
        self.slots.len() as u32 - 1
    }

    /// Makes sure there is a data slot, for code that must store somewhere: a new one is zeroed
    /// at the top of the entry block (before any use, wherever the generator is).
    pub(super) fn ensure_data_slot(&mut self) {
        if !self.data_slots.is_empty() {
            return;
        }
        let later = std::mem::take(&mut self.blocks[0].lines);
        let slot = self.add_slot(SLOT_SIZE);
        self.data_slots.push(slot);
        self.zero_slot(BlockId(0), slot, SLOT_SIZE);
        self.blocks[0].lines.extend(later);
    }

    /// Zeroes `size` bytes of `slot` in block `b`.
    fn zero_slot(&mut self, b: BlockId, slot: u32, size: u32) {
        let zero = self.new_val();
        let half = self.new_val();
        self.line(
            b,
            Line {
                keep: true,
                ..Line::pure(
                    vec![(zero, Ty::I128)],
                    vec![],
                    format!("{half} = iconst.i64 0\n    {zero} = uextend.i128 {half}"),
                )
            },
        );
        let addr = self.slot_address(b, slot, 0);
        for off in (0..size).step_by(16) {
            self.line(
                b,
                Line {
                    effect: true,
                    keep: true,
                    ..Line::pure(
                        vec![],
                        vec![zero, addr],
                        format!("store notrap {zero}, {addr}+{off}"),
                    )
                },
            );
        }
    }

    /// A value stored into a large slot and read back (its frame is what probes must cover).
    fn big_slot_roundtrip(&mut self, b: BlockId, scope: &mut Scope, slot: u32, size: u32) {
        let off = 8 * self.rng.below(u64::from(size / 8 - 1)) as u32;
        let v = self.operand(b, scope, Ty::I64);
        let addr = self.slot_address(b, slot, 0);
        self.line(
            b,
            Line {
                effect: true,
                ..Line::pure(
                    vec![],
                    vec![v, addr],
                    format!("store notrap {v}, {addr}+{off}"),
                )
            },
        );
        self.def(
            b,
            scope,
            Ty::I64,
            vec![addr],
            format!("load.i64 notrap {addr}+{off}"),
        );
    }

    /// `gv0 = vmctx`, the word it points at (zero: the stack limit), and an address 16 bytes
    /// on (which `symbol_value` reads); the first limits the stack, sometimes.
    fn vmctx_globals(&mut self) {
        self.globals.push("vmctx".into());
        self.globals.push("load.i64 notrap aligned gv0".into());
        self.globals.push("iadd_imm.i64 gv0, 16".into());
        if self.rng.chance(40) {
            self.stack_limit = Some(1);
        }
    }

    /// The address of byte `off` of `slot`, kept out of scope: an address is only for loads
    /// and stores (as an integer it differs between the interpreter and the hardware).
    pub(super) fn slot_address(&mut self, b: BlockId, slot: u32, off: u32) -> Val {
        let v = self.new_val();
        let at = if off == 0 {
            String::new()
        } else {
            format!("+{off}")
        };
        self.line(
            b,
            Line {
                keep: true,
                ..Line::pure(
                    vec![(v, Ty::I64)],
                    vec![],
                    format!("{v} = stack_addr.i64 ss{slot}{at}"),
                )
            },
        );
        v
    }

    pub(super) fn konst(&mut self, b: BlockId, scope: &mut Scope, ty: Ty, bits: u128) -> Val {
        let rhs = match ty {
            Ty::F32 | Ty::F64 => float_const_text(ty, bits),
            Ty::I128 => {
                // An i128 constant is built from its halves: iconst's immediate has 64 bits.
                let lo = self.def(
                    b,
                    scope,
                    Ty::I64,
                    vec![],
                    format!("iconst.i64 {:#x}", bits as u64),
                );
                let hi = self.def(
                    b,
                    scope,
                    Ty::I64,
                    vec![],
                    format!("iconst.i64 {:#x}", (bits >> 64) as u64),
                );
                return self.def(b, scope, ty, vec![lo, hi], format!("iconcat {lo}, {hi}"));
            }
            int => format!("iconst.{int} {:#x}", bits & mask(int)),
        };
        self.def(b, scope, ty, vec![], rhs)
    }

    /// A value of type `ty`: one in scope, or a new constant.
    pub(super) fn operand(&mut self, b: BlockId, scope: &mut Scope, ty: Ty) -> Val {
        let candidates: Vec<Val> = scope
            .iter()
            .filter(|&&(_, t)| t == ty)
            .map(|&(v, _)| v)
            .collect();
        if !candidates.is_empty() && self.rng.chance(85) {
            return *self.rng.pick(&candidates);
        }
        let bits = interesting_bits(self.rng, ty);
        self.konst(b, scope, ty, bits)
    }

    /// Grows a region starting in block `b`; returns the block where code continues.
    fn region(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let choice = self.rng.below(100);
        match choice {
            0..=31 => {
                for _ in 0..1 + self.rng.below(6) {
                    self.straight_op(b, scope);
                }
                b
            }
            32..=39 => {
                super::vectors::region(self, b, scope);
                b
            }
            40..=49 => {
                self.memory_op(b, scope);
                b
            }
            50..=55 => {
                self.fold_op(b, scope);
                b
            }
            56..=62 if self.index + 1 < self.sigs.len() => {
                if self.lowered.has("try_call", None) && self.rng.chance(20) {
                    return self.try_call(b, scope, false);
                }
                self.call(b, scope);
                b
            }
            63..=65 => {
                self.trap_op(b, scope);
                b
            }
            66..=67 => self.cold(b, scope),
            68..=79 if depth > 0 => self.diamond(b, scope, depth),
            80..=89 if depth > 0 => self.counted_loop(b, scope, depth),
            90..=99 if depth > 0 => self.switch(b, scope, depth),
            _ => {
                self.straight_op(b, scope);
                b
            }
        }
    }

    /// A branch condition: a value in scope, or (often) a fresh compare that a `select`,
    /// `uextend` or second compare before the branch also reads, so that the compare is
    /// folded into the branch and still needed elsewhere.
    fn condition(&mut self, b: BlockId, scope: &mut Scope) -> Val {
        if self.rng.chance(50) {
            let ty = *self.rng.pick(&Ty::INTS);
            return self.operand(b, scope, ty);
        }
        let c = self.compare(b, scope);
        if self.rng.chance(50) {
            self.reuse_condition(b, scope, c);
        }
        c
    }

    fn diamond(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let cond = self.condition(b, scope);
        let ty = random_ty(self.rng);
        let join = self.new_block();
        let joined = self.new_val();
        self.blocks[join.0 as usize].params = vec![(joined, ty)];
        let mut arms = Vec::new();
        for _ in 0..2 {
            let arm = self.new_block();
            let mut arm_scope = scope.clone();
            let end = self.region(arm, &mut arm_scope, depth - 1);
            self.blocks[end.0 as usize].term = if self.rng.chance(3) {
                let code = *self.rng.pick(&TRAP_CODES);
                Term::Other {
                    text: format!("trap {code}"),
                    uses: vec![],
                    callee: None,
                }
            } else {
                let v = self.operand(end, &mut arm_scope, ty);
                Term::Jump(Target {
                    block: join,
                    args: vec![v],
                })
            };
            arms.push(arm);
        }
        self.blocks[b.0 as usize].term = Term::Brif(
            cond,
            Target {
                block: arms[0],
                args: vec![],
            },
            Target {
                block: arms[1],
                args: vec![],
            },
        );
        scope.push((joined, ty));
        join
    }

    fn counted_loop(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let ty = random_ty(self.rng);
        let init = self.operand(b, scope, ty);
        let zero = self.konst(b, scope, Ty::I32, 0);
        let head = self.new_block();
        let (i, acc) = (self.new_val(), self.new_val());
        self.blocks[head.0 as usize].params = vec![(i, Ty::I32), (acc, ty)];
        self.blocks[b.0 as usize].term = Term::Jump(Target {
            block: head,
            args: vec![zero, init],
        });
        let mut body_scope = scope.clone();
        body_scope.push((i, Ty::I32));
        body_scope.push((acc, ty));
        let end = self.region(head, &mut body_scope, depth - 1);
        // The new accumulator mixes the old one with something the body computed.
        let other = self.operand(end, &mut body_scope, ty);
        let next_acc = self.combine(end, &mut body_scope, ty, acc, other);
        let one = self.konst(end, &mut body_scope, Ty::I32, 1);
        let next_i = self.def(
            end,
            &mut body_scope,
            Ty::I32,
            vec![i, one],
            format!("iadd {i}, {one}"),
        );
        let trips = 1 + u128::from(self.rng.below(4));
        let trips = self.konst(end, &mut body_scope, Ty::I32, trips);
        let more = self.def(
            end,
            &mut body_scope,
            Ty::I8,
            vec![next_i, trips],
            format!("icmp ult {next_i}, {trips}"),
        );
        let exit = self.new_block();
        let out = self.new_val();
        self.blocks[exit.0 as usize].params = vec![(out, ty)];
        self.blocks[end.0 as usize].term = Term::Brif(
            more,
            Target {
                block: head,
                args: vec![next_i, next_acc],
            },
            Target {
                block: exit,
                args: vec![next_acc],
            },
        );
        scope.push((out, ty));
        exit
    }

    fn switch(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let index = self.operand(b, scope, Ty::I32);
        let ty = random_ty(self.rng);
        let join = self.new_block();
        let joined = self.new_val();
        self.blocks[join.0 as usize].params = vec![(joined, ty)];
        let cases: Vec<BlockId> = (0..2 + self.rng.below(3))
            .map(|_| {
                let case = self.new_block();
                let mut case_scope = scope.clone();
                let end = self.region(case, &mut case_scope, depth - 1);
                let v = self.operand(end, &mut case_scope, ty);
                self.blocks[end.0 as usize].term = Term::Jump(Target {
                    block: join,
                    args: vec![v],
                });
                case
            })
            .collect();
        let default = cases[0];
        let table = (0..1 + self.rng.below(5))
            .map(|_| *self.rng.pick(&cases))
            .collect();
        self.blocks[b.0 as usize].term = Term::BrTable(index, default, table);
        scope.push((joined, ty));
        join
    }

    /// Code behind a branch on zero: compiled, register-allocated and encoded, never run. It
    /// holds what the interpreter cannot run or agree on. Its values stay inside it.
    fn cold(&mut self, b: BlockId, scope: &mut Scope) -> BlockId {
        let zero_ty = *self.rng.pick(&Ty::NARROW_INTS);
        let zero = self.konst(b, scope, zero_ty, 0);
        let cold = self.new_block();
        let next = self.new_block();
        self.blocks[b.0 as usize].term = Term::Brif(
            zero,
            Target {
                block: cold,
                args: vec![],
            },
            Target {
                block: next,
                args: vec![],
            },
        );
        let mut cold_scope = scope.clone();
        for _ in 0..1 + self.rng.below(3) {
            self.cold_op(cold, &mut cold_scope);
        }
        if self.index + 1 < self.sigs.len() && self.rng.chance(15) {
            // Through a 32-bit address half the time, which only runs in rulesel.
            let normal = self.try_call(cold, &mut cold_scope, true);
            self.blocks[normal.0 as usize].term = Term::Jump(Target {
                block: next,
                args: vec![],
            });
            return next;
        }
        let term = match self.tail_call(cold, &mut cold_scope, true) {
            Some(t) => t,
            None if self.rng.chance(50) => Term::Return(self.results(cold, &mut cold_scope)),
            None => Term::Jump(Target {
                block: next,
                args: vec![],
            }),
        };
        self.blocks[cold.0 as usize].term = term;
        next
    }

    /// Ends `b` with a `try_call` (or `try_call_indirect`, in `cold` code sometimes through a
    /// 32-bit address) of a later function and returns the block its results reach, where the
    /// function goes on. No generated callee throws, so the handlers (with the payloads the
    /// callee's convention delivers) are compiled but never run; the normal block may read a
    /// handler's address, which only its being non-zero can be compared on.
    fn try_call(&mut self, b: BlockId, scope: &mut Scope, cold: bool) -> BlockId {
        let callee =
            self.index + 1 + self.rng.below((self.sigs.len() - self.index - 1) as u64) as usize;
        let own = self.own_vmctx();
        let args = self.call_args(b, scope, callee, own);
        let argv: Vec<String> = args.iter().map(Val::to_string).collect();
        let argv = argv.join(", ");
        let sig_ref = self.sig_ref(callee);
        let fn_ref = self.fn_ref(callee);
        let addr_ty = self.call_address_type(cold);
        let indirect = self.lowered.has("try_call_indirect", Some(addr_ty))
            && (addr_ty == Ty::I32 || self.rng.chance(30));
        let mut uses = args;
        let call = if indirect {
            let ptr = self.func_addr(b, callee, fn_ref, addr_ty);
            uses.insert(0, ptr);
            format!("{ptr}({argv})")
        } else {
            format!("fn{fn_ref}({argv})")
        };
        let returns = self.sigs[callee].return_types();
        let normal = self.new_block();
        let results: Vec<(Val, Ty)> = returns.iter().map(|&t| (self.new_val(), t)).collect();
        self.blocks[normal.0 as usize].params = results.clone();
        let rets: Vec<Val> = returns.iter().map(|_| self.new_val()).collect();
        let payloads = match self.sigs[callee].conv {
            Conv::SystemV | Conv::Fast | Conv::Tail | Conv::PreserveAll => {
                self.rng.below(3) as usize
            }
            Conv::WindowsFastcall | Conv::Winch => 0,
        };
        let mut handlers: Vec<(Option<u32>, BlockId, usize)> = Vec::new();
        for k in 0..self.rng.below(4) {
            // Distinct tags, then at most one `default`, last.
            let tag = match k {
                3 => None,
                _ if self.rng.chance(25) => None,
                _ => Some(k as u32 * 3 + self.rng.below(3) as u32),
            };
            let handler = self.new_block();
            let exn: Vec<(Val, Ty)> = (0..payloads).map(|_| (self.new_val(), Ty::I64)).collect();
            self.blocks[handler.0 as usize].params = exn.clone();
            let mut handler_scope = scope.clone();
            handler_scope.extend(exn);
            self.blocks[handler.0 as usize].term = if self.rng.chance(50) {
                Term::Return(self.results(handler, &mut handler_scope))
            } else {
                Term::Other {
                    text: format!("trap {}", self.rng.pick(&TRAP_CODES)),
                    uses: vec![],
                    callee: None,
                }
            };
            handlers.push((tag, handler, payloads));
            if tag.is_none() {
                break;
            }
        }
        self.blocks[b.0 as usize].term = Term::TryCall(TryCall {
            call,
            indirect,
            sig_ref,
            uses,
            callee,
            normal,
            rets,
            handlers: handlers.clone(),
        });
        scope.extend(results);
        let addr_ty = self.call_address_type(cold);
        if !handlers.is_empty()
            && self
                .lowered
                .has("get_exception_handler_address", Some(addr_ty))
            && self.rng.chance(40)
        {
            self.narrow_address(addr_ty);
            let index = self.rng.below(handlers.len() as u64);
            let addr = self.new_val();
            self.line(
                normal,
                Line {
                    keep: true,
                    oracle: Some(format!("{addr} = iconst.{addr_ty} 1")),
                    ..Line::pure(
                        vec![(addr, addr_ty)],
                        vec![],
                        format!("{addr} = get_exception_handler_address.{addr_ty} {b}, {index}"),
                    )
                },
            );
            let zero = self.konst(normal, scope, addr_ty, 0);
            self.def(
                normal,
                scope,
                Ty::I8,
                vec![addr, zero],
                format!("icmp ne {addr}, {zero}"),
            );
        }
        normal
    }

    /// Arguments for a call of module function `callee`: values in scope, and for a vmctx the
    /// given pointer or this frame's context slot.
    fn call_args(
        &mut self,
        b: BlockId,
        scope: &mut Scope,
        callee: usize,
        vmctx: Option<Val>,
    ) -> Vec<Val> {
        let params = self.sigs[callee].params.clone();
        params
            .iter()
            .map(|p| {
                if p.vmctx {
                    match vmctx {
                        Some(v) => v,
                        None => {
                            let slot = self
                                .ctx_slot
                                .expect("a function with a vmctx callee has a context slot");
                            self.slot_address(b, slot, 0)
                        }
                    }
                } else {
                    self.operand(b, scope, p.ty)
                }
            })
            .collect()
    }

    /// The index of module function `callee` among the function references.
    pub(super) fn fn_ref(&mut self, callee: usize) -> usize {
        match self.callees.iter().position(|&c| c == callee) {
            Some(i) => i,
            None => {
                self.callees.push(callee);
                self.callees.len() - 1
            }
        }
    }

    /// The index of module function `callee`'s signature among the signature references.
    pub(super) fn sig_ref(&mut self, callee: usize) -> usize {
        match self.sig_refs.iter().position(|&c| c == callee) {
            Some(i) => i,
            None => {
                self.sig_refs.push(callee);
                self.sig_refs.len() - 1
            }
        }
    }

    fn call(&mut self, b: BlockId, scope: &mut Scope) {
        let callee =
            self.index + 1 + self.rng.below((self.sigs.len() - self.index - 1) as u64) as usize;
        let own = self.own_vmctx();
        let args = self.call_args(b, scope, callee, own);
        let returns = self.sigs[callee].return_types();
        let defs: Vec<(Val, Ty)> = returns.iter().map(|&t| (self.new_val(), t)).collect();
        let lhs: Vec<String> = defs.iter().map(|(v, _)| v.to_string()).collect();
        let argv: Vec<String> = args.iter().map(Val::to_string).collect();
        let fn_ref = self.fn_ref(callee);
        let mut uses = args;
        let call = if self.lowered.has("call_indirect", Some(Ty::I64)) && self.rng.chance(25) {
            let sig_ref = self.sig_ref(callee);
            let ptr = self.func_addr(b, callee, fn_ref, Ty::I64);
            uses.insert(0, ptr);
            format!("call_indirect sig{sig_ref}, {ptr}({})", argv.join(", "))
        } else {
            format!("call fn{fn_ref}({})", argv.join(", "))
        };
        let text = if lhs.is_empty() {
            call
        } else {
            format!("{} = {call}", lhs.join(", "))
        };
        self.line(
            b,
            Line {
                defs: defs.clone(),
                uses,
                text,
                effect: true,
                keep: false,
                oracle: None,
                callee: Some(callee),
            },
        );
        scope.extend(defs);
    }

    /// Mixes two values of type `ty` into one (loop accumulators).
    fn combine(&mut self, b: BlockId, scope: &mut Scope, ty: Ty, x: Val, y: Val) -> Val {
        let op = if ty.is_float() {
            *self.rng.pick(&["fadd", "fmul", "fsub", "fmin", "fmax"])
        } else {
            *self.rng.pick(&["iadd", "bxor", "isub", "imul", "rotl"])
        };
        self.def(b, scope, ty, vec![x, y], format!("{op} {x}, {y}"))
    }
}

/// Trap codes the generator uses (`trap`, `trapz`, …).
pub(super) const TRAP_CODES: [&str; 5] = ["user1", "user7", "int_ovf", "int_divz", "heap_oob"];

pub(super) fn mask(ty: Ty) -> u128 {
    if ty.bits() >= 128 {
        u128::MAX
    } else {
        (1u128 << ty.bits()) - 1
    }
}

/// A float constant as CLIF writes it exactly: by its bits, in the hexadecimal form.
pub(super) fn float_const_text(ty: Ty, bits: u128) -> String {
    match ty {
        Ty::F32 => format!("f32const {}", hex_float(bits, 8, 23)),
        _ => format!("f64const {}", hex_float(bits, 11, 52)),
    }
}

/// The CLIF spelling of an IEEE float given by its bits (`exp_bits` exponent and `frac_bits`
/// fraction bits, so any width up to f128): `0x1.8p1`, `-0x0.0`, `+Inf`, `+NaN:0x…`,
/// `-sNaN:0x…`.
pub fn hex_float(bits: u128, exp_bits: u32, frac_bits: u32) -> String {
    let sign = bits >> (exp_bits + frac_bits) & 1 == 1;
    let exp = (bits >> frac_bits) & ((1 << exp_bits) - 1);
    let frac = bits & ((1u128 << frac_bits) - 1);
    let max_exp = (1u128 << exp_bits) - 1;
    let bias = (max_exp >> 1) as i64;
    let s = if sign { "-" } else { "" };
    if exp == max_exp {
        let s = if sign { "-" } else { "+" };
        if frac == 0 {
            return format!("{s}Inf");
        }
        let quiet = frac >> (frac_bits - 1) & 1 == 1;
        let payload = frac & ((1u128 << (frac_bits - 1)) - 1);
        let kind = if quiet { "NaN" } else { "sNaN" };
        return if payload == 0 && quiet {
            format!("{s}NaN")
        } else {
            format!("{s}{kind}:{payload:#x}")
        };
    }
    // Fraction digits: pad the field to a whole number of hex digits, then trim zeros.
    let digits = frac_bits.div_ceil(4);
    let shifted = frac << (digits * 4 - frac_bits);
    let mut hex = format!("{shifted:0width$x}", width = digits as usize);
    while hex.len() > 1 && hex.ends_with('0') {
        hex.pop();
    }
    if exp == 0 {
        if frac == 0 {
            return format!("{s}0x0.0");
        }
        return format!("{s}0x0.{hex}p{}", 1 - bias);
    }
    format!("{s}0x1.{hex}p{}", exp as i64 - bias)
}

/// Bits of a value of type `ty` that edge cases like: zero, one, all ones, the extremes, powers
/// of two, small numbers, and for floats ±0, ±Inf, NaNs, subnormals and integral values.
pub fn interesting_bits(rng: &mut Rng, ty: Ty) -> u128 {
    let m = mask(ty);
    let raw = match ty {
        Ty::F32 => u128::from(match rng.below(10) {
            0 => 0f32.to_bits(),
            1 => (-0f32).to_bits(),
            2 => f32::INFINITY.to_bits(),
            3 => f32::NEG_INFINITY.to_bits(),
            4 => 0x7fc0_0000,
            5 => 1,
            6 => (rng.below(200) as f32 - 100.0).to_bits(),
            7 => (rng.below(2000) as f32 / 8.0 - 100.0).to_bits(),
            8 => (rng.next_u64() as i64 as f32).to_bits(),
            _ => rng.next_u64() as u32,
        }),
        Ty::F64 => u128::from(match rng.below(10) {
            0 => 0f64.to_bits(),
            1 => (-0f64).to_bits(),
            2 => f64::INFINITY.to_bits(),
            3 => f64::NEG_INFINITY.to_bits(),
            4 => 0x7ff8_0000_0000_0000,
            5 => 1,
            6 => (rng.below(200) as f64 - 100.0).to_bits(),
            7 => (rng.below(2000) as f64 / 8.0 - 100.0).to_bits(),
            8 => (rng.next_u64() as i64 as f64).to_bits(),
            _ => rng.next_u64(),
        }),
        _ => match rng.below(9) {
            0 => 0,
            1 => 1,
            2 => u128::MAX,
            3 => m >> 1,
            4 => (m >> 1) + 1,
            5 => 1u128 << rng.below(u64::from(ty.bits())),
            6 => rng.below(16) as u128,
            7 => (rng.below(16) as i128 - 16) as u128,
            _ => (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()),
        },
    };
    raw & m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_modules_parse_and_verify() {
        for seed in 0..300 {
            let module = generate_module(seed, Limits::default());
            let text = format!("{}\n{}", module.config.header(), module.to_clif());
            let file = crate::ir::parse_test_file(&text).unwrap_or_else(|e| {
                panic!(
                    "seed {seed}: {}:{}: {}\n{text}",
                    e.pos.line, e.pos.col, e.message
                )
            });
            for tf in &file.functions {
                if let Err(errors) = crate::ir::verify_function(&tf.function) {
                    panic!("seed {seed}: {}\n{text}", errors[0].describe());
                }
            }
        }
    }

    #[test]
    fn generation_is_deterministic_and_varied() {
        let a = generate_module(7, Limits::default()).to_clif();
        assert_eq!(a, generate_module(7, Limits::default()).to_clif());
        let texts: Vec<String> = (0..100)
            .map(|s| generate_module(s, Limits::default()).to_clif())
            .collect();
        for needle in [
            "br_table",
            "brif",
            "call fn",
            "call_indirect",
            "return_call",
            "stack_addr",
            "load.",
            "iconcat",
            "fma",
            "udiv",
            " tail",
            "windows_fastcall",
            "vmctx",
            "atomic_rmw",
        ] {
            assert!(
                texts.iter().any(|t| t.contains(needle)),
                "no {needle} in 100 modules"
            );
        }
    }

    #[test]
    fn hex_floats_spell_the_bits() {
        let f32s = |x: f32| hex_float(u128::from(x.to_bits()), 8, 23);
        assert_eq!(f32s(3.0), "0x1.8p1");
        assert_eq!(f32s(-0.0), "-0x0.0");
        assert_eq!(f32s(f32::INFINITY), "+Inf");
        assert_eq!(hex_float(0x7fc0_0000, 8, 23), "+NaN");
        assert_eq!(hex_float(0xff80_0001, 8, 23), "-sNaN:0x1");
        assert_eq!(hex_float(1, 8, 23), "0x0.000002p-126");
        assert_eq!(hex_float(u128::from(1.0f64.to_bits()), 11, 52), "0x1.0p0");
        assert_eq!(hex_float(0x3c00, 5, 10), "0x1.0p0");
        assert_eq!(hex_float(0x3fff << 112, 15, 112), "0x1.0p0");
    }
}
