//! The seeded generator of random valid CLIF modules.
//!
//! A function is grown as nested regions, which keeps it valid by construction:
//!
//! ```text
//!  straight ops     v = op(values in scope)                 (int, i128, float, conversions)
//!  memory           stack_addr + store / load on a slot
//!  call             results of a later module function
//!  diamond          brif c ─▶ then-region ─┐
//!                         └─▶ else-region ─┴▶ join(v: T)
//!  loop             jump head(0, x) ; head(i, acc): body-region ; brif i+1 < n, head(i+1, acc'), exit(acc')
//!  switch           br_table i, [case-regions…] ─▶ join(v: T)
//! ```
//!
//! The scope is the list of values defined in blocks that dominate the current point: a region's
//! own values go out of scope at its join, where only the join's parameters come back. Loops run
//! at most 4 times each, so every function terminates quickly. Slots are zeroed on entry (the
//! interpreter zeroes memory, hardware does not), and the function's last return value reads
//! every slot back, so memory contents are compared with the results.
//!
//! Where CLIF and the interpreter disagree the generator steers clear: `srem MIN, -1` is 0 in
//! CLIF but traps in the interpreter, so `srem`'s divisor is never -1. Everything else is
//! defined or traps the same way in both (shift amounts are masked, division by zero and
//! `sdiv MIN, -1` trap, `fcvt_to_*` traps on NaN and overflow, NaN payloads are compared
//! NaN-aware by the runner).

use super::program::{Block, BlockId, Func, Line, Module, Target, Term, Ty, Val};
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            funcs: 3,
            depth: 2,
            regions: 6,
        }
    }
}

/// Generates the module of `seed`.
pub fn generate_module(seed: u64, limits: Limits) -> Module {
    let mut rng = Rng::new(seed);
    let count = 1 + rng.below(limits.funcs.max(1) as u64) as usize;
    // Signatures first: a function calls only later ones, whose signatures it must know.
    let sigs: Vec<(Vec<Ty>, Vec<Ty>)> = (0..count)
        .map(|_| {
            let params = (0..rng.below(5)).map(|_| random_ty(&mut rng)).collect();
            // At most two results of each register class: more need a return area, which
            // neither Cranelift nor rulesel give without an sret parameter.
            let returns = match random_ty(&mut rng) {
                Ty::I128 => vec![Ty::I128],
                first if rng.chance(50) => vec![first, random_ty(&mut rng)]
                    .into_iter()
                    .filter(|&t| t != Ty::I128)
                    .collect(),
                first => vec![first],
            };
            (params, returns)
        })
        .collect();
    let funcs = (0..count)
        .map(|i| {
            let mut g = FuncGen {
                rng: &mut rng,
                limits,
                sigs: &sigs,
                index: i,
                next_val: 0,
                blocks: Vec::new(),
                callees: Vec::new(),
                slots: Vec::new(),
            };
            g.generate()
        })
        .collect();
    Module { funcs }
}

fn random_ty(rng: &mut Rng) -> Ty {
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

/// Values usable at the current point, with their types.
type Scope = Vec<(Val, Ty)>;

struct FuncGen<'a> {
    rng: &'a mut Rng,
    limits: Limits,
    sigs: &'a [(Vec<Ty>, Vec<Ty>)],
    index: usize,
    next_val: u32,
    blocks: Vec<Block>,
    callees: Vec<usize>,
    slots: Vec<u32>,
}

/// Size of every stack slot: room for two i128s.
const SLOT_SIZE: u32 = 32;

impl FuncGen<'_> {
    fn generate(&mut self) -> Func {
        let (params, returns) = self.sigs[self.index].clone();
        let entry = self.new_block();
        let mut scope: Scope = params.iter().map(|&t| (self.new_val(), t)).collect();
        self.blocks[entry.0 as usize].params = scope.clone();
        for i in 0..self.rng.below(3) {
            self.slots.push(SLOT_SIZE);
            let mut hidden = Vec::new();
            let zero = self.konst(entry, &mut hidden, Ty::I128, 0);
            let addr = self.slot_address(entry, i);
            for off in [0, 16] {
                self.line(
                    entry,
                    &[],
                    vec![zero, addr],
                    format!("store notrap {zero}, {addr}+{off}"),
                    true,
                );
            }
        }
        let mut cur = entry;
        let regions = 1 + self.rng.below(self.limits.regions);
        for _ in 0..regions {
            cur = self.region(cur, &mut scope, self.limits.depth);
        }
        let mut rets: Vec<Val> = returns
            .iter()
            .map(|&t| self.operand(cur, &mut scope, t))
            .collect();
        if !self.slots.is_empty() {
            // Fold every slot's bytes into the last result, so wrong memory shows.
            let last = returns.len() - 1;
            let mut acc = self.convert(cur, &mut scope, rets[last], returns[last], Ty::I64);
            let seven = self.konst(cur, &mut scope, Ty::I64, 7);
            for s in 0..self.slots.len() {
                let addr = self.slot_address(cur, s as u64);
                for off in (0..SLOT_SIZE).step_by(8) {
                    let v = self.def(
                        cur,
                        &mut scope,
                        Ty::I64,
                        vec![addr],
                        format!("load.i64 notrap {addr}+{off}"),
                    );
                    let r = self.def(
                        cur,
                        &mut scope,
                        Ty::I64,
                        vec![acc, seven],
                        format!("rotl {acc}, {seven}"),
                    );
                    acc = self.def(
                        cur,
                        &mut scope,
                        Ty::I64,
                        vec![r, v],
                        format!("bxor {r}, {v}"),
                    );
                }
            }
            rets[last] = self.convert(cur, &mut scope, acc, Ty::I64, returns[last]);
        }
        self.blocks[cur.0 as usize].term = Term::Return(rets);
        Func {
            name: format!("f{}", self.index),
            returns,
            slots: std::mem::take(&mut self.slots),
            callees: std::mem::take(&mut self.callees),
            blocks: std::mem::take(&mut self.blocks),
        }
    }

    fn new_val(&mut self) -> Val {
        self.next_val += 1;
        Val(self.next_val - 1)
    }

    fn new_block(&mut self) -> BlockId {
        self.blocks.push(Block {
            params: Vec::new(),
            lines: Vec::new(),
            term: Term::Return(Vec::new()),
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    fn line(&mut self, b: BlockId, defs: &[(Val, Ty)], uses: Vec<Val>, text: String, effect: bool) {
        self.blocks[b.0 as usize].lines.push(Line {
            defs: defs.to_vec(),
            uses,
            text,
            effect,
            callee: None,
        });
    }

    /// Appends `v = <rhs>` of type `ty` to block `b` and puts `v` in scope.
    fn def(&mut self, b: BlockId, scope: &mut Scope, ty: Ty, uses: Vec<Val>, rhs: String) -> Val {
        let v = self.new_val();
        self.line(b, &[(v, ty)], uses, format!("{v} = {rhs}"), false);
        scope.push((v, ty));
        v
    }

    fn konst(&mut self, b: BlockId, scope: &mut Scope, ty: Ty, bits: u128) -> Val {
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
    fn operand(&mut self, b: BlockId, scope: &mut Scope, ty: Ty) -> Val {
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

    /// Converts `v: from` to type `to` (extension, reduction, bitcast or float conversion).
    fn convert(&mut self, b: BlockId, scope: &mut Scope, v: Val, from: Ty, to: Ty) -> Val {
        if from == to {
            return v;
        }
        let rhs = match (from.is_float(), to.is_float()) {
            (false, false) if from.bits() < to.bits() => {
                let op = if self.rng.chance(50) {
                    "uextend"
                } else {
                    "sextend"
                };
                format!("{op}.{to} {v}")
            }
            (false, false) => format!("ireduce.{to} {v}"),
            (true, true) if from == Ty::F32 => format!("fpromote.f64 {v}"),
            (true, true) => format!("fdemote.f32 {v}"),
            (false, true) if from.bits() == to.bits() => format!("bitcast.{to} {v}"),
            (false, true) => {
                let op = if self.rng.chance(50) {
                    "fcvt_from_sint"
                } else {
                    "fcvt_from_uint"
                };
                format!("{op}.{to} {v}")
            }
            (true, false) if from.bits() == to.bits() && self.rng.chance(50) => {
                format!("bitcast.{to} {v}")
            }
            (true, false) => {
                let sat = self.rng.chance(80);
                let signed = self.rng.chance(50);
                let base = if signed {
                    "fcvt_to_sint"
                } else {
                    "fcvt_to_uint"
                };
                let to_ty = if to == Ty::I128 { Ty::I64 } else { to };
                let to_ty = if !sat && to_ty.bits() < 32 {
                    Ty::I32
                } else {
                    to_ty
                };
                let suffix = if sat { "_sat" } else { "" };
                let c = self.def(
                    b,
                    scope,
                    to_ty,
                    vec![v],
                    format!("{base}{suffix}.{to_ty} {v}"),
                );
                return self.convert(b, scope, c, to_ty, to);
            }
        };
        self.def(b, scope, to, vec![v], rhs)
    }

    /// Grows a region starting in block `b`; returns the block where code continues.
    fn region(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let choice = self.rng.below(100);
        match choice {
            0..=49 => {
                for _ in 0..1 + self.rng.below(6) {
                    self.straight_op(b, scope);
                }
                b
            }
            50..=59 => {
                self.memory_op(b, scope);
                b
            }
            60..=67 if self.index + 1 < self.sigs.len() => {
                self.call(b, scope);
                b
            }
            68..=79 if depth > 0 => self.diamond(b, scope, depth),
            80..=89 if depth > 0 => self.counted_loop(b, scope, depth),
            90..=99 if depth > 0 => self.switch(b, scope, depth),
            _ => {
                self.straight_op(b, scope);
                b
            }
        }
    }

    fn diamond(&mut self, b: BlockId, scope: &mut Scope, depth: u32) -> BlockId {
        let cond_ty = *self.rng.pick(&Ty::INTS);
        let cond = self.operand(b, scope, cond_ty);
        let ty = random_ty(self.rng);
        let join = self.new_block();
        let joined = self.new_val();
        self.blocks[join.0 as usize].params = vec![(joined, ty)];
        let mut arms = Vec::new();
        for _ in 0..2 {
            let arm = self.new_block();
            let mut arm_scope = scope.clone();
            let end = self.region(arm, &mut arm_scope, depth - 1);
            let v = self.operand(end, &mut arm_scope, ty);
            self.blocks[end.0 as usize].term = Term::Jump(Target {
                block: join,
                args: vec![v],
            });
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

    fn call(&mut self, b: BlockId, scope: &mut Scope) {
        let callee =
            self.index + 1 + self.rng.below((self.sigs.len() - self.index - 1) as u64) as usize;
        let fn_ref = match self.callees.iter().position(|&c| c == callee) {
            Some(i) => i,
            None => {
                self.callees.push(callee);
                self.callees.len() - 1
            }
        };
        let (params, returns) = self.sigs[callee].clone();
        let args: Vec<Val> = params.iter().map(|&t| self.operand(b, scope, t)).collect();
        let defs: Vec<(Val, Ty)> = returns.iter().map(|&t| (self.new_val(), t)).collect();
        let lhs: Vec<String> = defs.iter().map(|(v, _)| v.to_string()).collect();
        let argv: Vec<String> = args.iter().map(Val::to_string).collect();
        let text = if lhs.is_empty() {
            format!("call fn{fn_ref}({})", argv.join(", "))
        } else {
            format!("{} = call fn{fn_ref}({})", lhs.join(", "), argv.join(", "))
        };
        self.blocks[b.0 as usize].lines.push(Line {
            defs: defs.clone(),
            uses: args,
            text,
            effect: true,
            callee: Some(callee),
        });
        scope.extend(defs);
    }

    fn memory_op(&mut self, b: BlockId, scope: &mut Scope) {
        if self.slots.is_empty() {
            self.straight_op(b, scope);
            return;
        }
        let slot = self.rng.below(self.slots.len() as u64);
        let ty = random_ty(self.rng);
        let off = self.rng.below((SLOT_SIZE - ty.bytes() + 1) as u64);
        let flags = *self.rng.pick(&["", " notrap", " aligned", " little"]);
        match self.rng.below(2) {
            0 => {
                let v = self.operand(b, scope, ty);
                let addr = self.slot_address(b, slot);
                let flags = if flags == " aligned" { "" } else { flags };
                self.line(
                    b,
                    &[],
                    vec![v, addr],
                    format!("store{flags} {v}, {addr}+{off}"),
                    true,
                );
            }
            _ => {
                let addr = self.slot_address(b, slot);
                let flags = if flags == " aligned" { "" } else { flags };
                // Narrow loads with extension, when the type allows one.
                let text = match ty {
                    Ty::I32 if self.rng.chance(50) => {
                        let op = *self.rng.pick(&["uload8", "sload8", "uload16", "sload16"]);
                        format!("{op}.i32{flags} {addr}+{off}")
                    }
                    Ty::I64 if self.rng.chance(50) => {
                        let op = *self.rng.pick(&[
                            "uload8", "sload8", "uload16", "sload16", "uload32", "sload32",
                        ]);
                        format!("{op}.i64{flags} {addr}+{off}")
                    }
                    _ => format!("load.{ty}{flags} {addr}+{off}"),
                };
                self.def(b, scope, ty, vec![addr], text);
            }
        }
    }

    /// The address of slot `slot`, kept out of scope: an address is only for loads and stores
    /// (as an integer it differs between the interpreter and the hardware).
    fn slot_address(&mut self, b: BlockId, slot: u64) -> Val {
        self.def(
            b,
            &mut Vec::new(),
            Ty::I64,
            vec![],
            format!("stack_addr.i64 ss{slot}"),
        )
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

    fn straight_op(&mut self, b: BlockId, scope: &mut Scope) {
        let ty = random_ty(self.rng);
        match ty {
            Ty::F32 | Ty::F64 => self.float_op(b, scope, ty),
            Ty::I128 => self.wide_op(b, scope),
            _ => self.int_op(b, scope, ty),
        }
    }

    fn int_op(&mut self, b: BlockId, scope: &mut Scope, ty: Ty) {
        const BINARY: &[&str] = &[
            "iadd", "isub", "imul", "band", "bor", "bxor", "ishl", "ushr", "sshr", "rotl", "rotr",
            "udiv", "sdiv", "urem", "srem", "umulhi", "smulhi", "smin", "smax", "umin", "umax",
        ];
        const UNARY: &[&str] = &[
            "iabs", "ineg", "bnot", "clz", "ctz", "cls", "popcnt", "bitrev", "bswap",
        ];
        const CC: &[&str] = &[
            "eq", "ne", "slt", "sge", "sgt", "sle", "ult", "uge", "ugt", "ule",
        ];
        const OVERFLOW: &[&str] = &[
            "uadd_overflow",
            "sadd_overflow",
            "usub_overflow",
            "ssub_overflow",
            "umul_overflow",
            "smul_overflow",
        ];
        let x = self.operand(b, scope, ty);
        match self.rng.below(10) {
            0..=3 => {
                let op = *self.rng.pick(BINARY);
                let y_ty = if matches!(op, "ishl" | "ushr" | "sshr" | "rotl" | "rotr") {
                    *self.rng.pick(&Ty::INTS)
                } else {
                    ty
                };
                let mut y = self.operand(b, scope, y_ty);
                if op == "srem" {
                    y = self.not_minus_one(b, scope, ty, y);
                }
                self.def(b, scope, ty, vec![x, y], format!("{op} {x}, {y}"));
            }
            4 => {
                let op = *self.rng.pick(UNARY);
                if op == "bswap" && ty == Ty::I8 {
                    return;
                }
                self.def(b, scope, ty, vec![x], format!("{op} {x}"));
            }
            5 => {
                // An operation with a constant operand (immediate forms in the lowering).
                let op = *self.rng.pick(BINARY);
                let bits = interesting_bits(self.rng, ty);
                let mut k = self.konst(b, scope, ty, bits);
                if op == "srem" {
                    k = self.not_minus_one(b, scope, ty, k);
                }
                self.def(b, scope, ty, vec![x, k], format!("{op} {x}, {k}"));
            }
            6 => {
                let cc = *self.rng.pick(CC);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, Ty::I8, vec![x, y], format!("icmp {cc} {x}, {y}"));
            }
            7 => {
                let c_ty = *self.rng.pick(&Ty::INTS);
                let c = self.operand(b, scope, c_ty);
                let y = self.operand(b, scope, ty);
                let op = if self.rng.chance(80) {
                    "select"
                } else {
                    "select_spectre_guard"
                };
                self.def(b, scope, ty, vec![c, x, y], format!("{op} {c}, {x}, {y}"));
            }
            8 => {
                let op = *self.rng.pick(OVERFLOW);
                let y = self.operand(b, scope, ty);
                let (r, f) = (self.new_val(), self.new_val());
                self.line(
                    b,
                    &[(r, ty), (f, Ty::I8)],
                    vec![x, y],
                    format!("{r}, {f} = {op} {x}, {y}"),
                    false,
                );
                scope.push((r, ty));
                scope.push((f, Ty::I8));
            }
            _ => {
                let from = random_ty(self.rng);
                let v = self.operand(b, scope, from);
                self.convert(b, scope, v, from, ty);
            }
        }
    }

    /// `y`, or 1 where `y` is -1. `srem MIN, -1` is 0 in CLIF (and in compiled code), but
    /// Cranelift's interpreter traps on it as an overflow; this keeps the two comparable.
    fn not_minus_one(&mut self, b: BlockId, scope: &mut Scope, ty: Ty, y: Val) -> Val {
        let minus_one = self.konst(b, scope, ty, mask(ty));
        let one = self.konst(b, scope, ty, 1);
        let is = self.def(
            b,
            scope,
            Ty::I8,
            vec![y, minus_one],
            format!("icmp eq {y}, {minus_one}"),
        );
        self.def(
            b,
            scope,
            ty,
            vec![is, one, y],
            format!("select {is}, {one}, {y}"),
        )
    }

    fn wide_op(&mut self, b: BlockId, scope: &mut Scope) {
        const BINARY: &[&str] = &[
            "iadd", "isub", "imul", "band", "bor", "bxor", "ishl", "ushr", "sshr", "rotl", "rotr",
            "smin", "umax",
        ];
        const UNARY: &[&str] = &[
            "ineg", "bnot", "clz", "ctz", "popcnt", "bswap", "bitrev", "iabs",
        ];
        let ty = Ty::I128;
        let x = self.operand(b, scope, ty);
        match self.rng.below(6) {
            0 | 1 => {
                let op = *self.rng.pick(BINARY);
                let y_ty = if matches!(op, "ishl" | "ushr" | "sshr" | "rotl" | "rotr") {
                    *self.rng.pick(&Ty::INTS)
                } else {
                    ty
                };
                let y = self.operand(b, scope, y_ty);
                self.def(b, scope, ty, vec![x, y], format!("{op} {x}, {y}"));
            }
            2 => {
                let op = *self.rng.pick(UNARY);
                self.def(b, scope, ty, vec![x], format!("{op} {x}"));
            }
            3 => {
                let (lo, hi) = (self.new_val(), self.new_val());
                self.line(
                    b,
                    &[(lo, Ty::I64), (hi, Ty::I64)],
                    vec![x],
                    format!("{lo}, {hi} = isplit {x}"),
                    false,
                );
                scope.push((lo, Ty::I64));
                scope.push((hi, Ty::I64));
            }
            4 => {
                let cc = *self
                    .rng
                    .pick(&["eq", "ne", "slt", "sge", "ult", "ugt", "ule", "sgt"]);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, Ty::I8, vec![x, y], format!("icmp {cc} {x}, {y}"));
            }
            _ => {
                let c = self.operand(b, scope, Ty::I8);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, ty, vec![c, x, y], format!("select {c}, {x}, {y}"));
            }
        }
    }

    fn float_op(&mut self, b: BlockId, scope: &mut Scope, ty: Ty) {
        const BINARY: &[&str] = &["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign"];
        const UNARY: &[&str] = &["fneg", "fabs", "sqrt", "ceil", "floor", "trunc", "nearest"];
        const CC: &[&str] = &[
            "eq", "ne", "lt", "le", "gt", "ge", "uno", "ord", "ueq", "one", "ult", "ule", "ugt",
            "uge",
        ];
        let x = self.operand(b, scope, ty);
        match self.rng.below(7) {
            0 | 1 => {
                let op = *self.rng.pick(BINARY);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, ty, vec![x, y], format!("{op} {x}, {y}"));
            }
            2 => {
                let op = *self.rng.pick(UNARY);
                self.def(b, scope, ty, vec![x], format!("{op} {x}"));
            }
            3 => {
                let (y, z) = (self.operand(b, scope, ty), self.operand(b, scope, ty));
                self.def(b, scope, ty, vec![x, y, z], format!("fma {x}, {y}, {z}"));
            }
            4 => {
                let cc = *self.rng.pick(CC);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, Ty::I8, vec![x, y], format!("fcmp {cc} {x}, {y}"));
            }
            5 => {
                let c_ty = *self.rng.pick(&Ty::INTS);
                let c = self.operand(b, scope, c_ty);
                let y = self.operand(b, scope, ty);
                self.def(b, scope, ty, vec![c, x, y], format!("select {c}, {x}, {y}"));
            }
            _ => {
                let from = random_ty(self.rng);
                let v = self.operand(b, scope, from);
                self.convert(b, scope, v, from, ty);
            }
        }
    }
}

fn mask(ty: Ty) -> u128 {
    if ty.bits() >= 128 {
        u128::MAX
    } else {
        (1u128 << ty.bits()) - 1
    }
}

/// A float constant as CLIF writes it exactly: by its bits, in the hexadecimal form.
fn float_const_text(ty: Ty, bits: u128) -> String {
    match ty {
        Ty::F32 => format!("f32const {}", hex_float(bits as u64, 8, 23)),
        _ => format!("f64const {}", hex_float(bits as u64, 11, 52)),
    }
}

/// The CLIF spelling of an IEEE float given by its bits: `0x1.8p1`, `-0x0.0`, `+Inf`,
/// `+NaN:0x…`, `-sNaN:0x…`.
pub fn hex_float(bits: u64, exp_bits: u32, frac_bits: u32) -> String {
    let sign = bits >> (exp_bits + frac_bits) & 1 == 1;
    let exp = (bits >> frac_bits) & ((1 << exp_bits) - 1);
    let frac = bits & ((1u64 << frac_bits) - 1);
    let max_exp = (1u64 << exp_bits) - 1;
    let bias = (max_exp >> 1) as i64;
    let s = if sign { "-" } else { "" };
    if exp == max_exp {
        let s = if sign { "-" } else { "+" };
        if frac == 0 {
            return format!("{s}Inf");
        }
        let quiet = frac >> (frac_bits - 1) & 1 == 1;
        let payload = frac & ((1u64 << (frac_bits - 1)) - 1);
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
        for seed in 0..200 {
            let text = generate_module(seed, Limits::default()).to_clif();
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
        let texts: Vec<String> = (0..50)
            .map(|s| generate_module(s, Limits::default()).to_clif())
            .collect();
        for needle in [
            "br_table",
            "brif",
            "call fn",
            "stack_addr",
            "load.",
            "iconcat",
            "fma",
            "udiv",
        ] {
            assert!(
                texts.iter().any(|t| t.contains(needle)),
                "no {needle} in 50 modules"
            );
        }
    }

    #[test]
    fn hex_floats_spell_the_bits() {
        let f32s = |x: f32| hex_float(u64::from(x.to_bits()), 8, 23);
        assert_eq!(f32s(3.0), "0x1.8p1");
        assert_eq!(f32s(-0.0), "-0x0.0");
        assert_eq!(f32s(f32::INFINITY), "+Inf");
        assert_eq!(hex_float(0x7fc0_0000, 8, 23), "+NaN");
        assert_eq!(hex_float(0xff80_0001, 8, 23), "-sNaN:0x1");
        assert_eq!(hex_float(1, 8, 23), "0x0.000002p-126");
        assert_eq!(hex_float(1.0f64.to_bits(), 11, 52), "0x1.0p0");
    }
}
