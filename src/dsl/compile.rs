//! The match-tree compiler: all rules of a term become one decision tree, flattened into
//! [`MatchCode`].
//!
//! Rules are inserted in priority order (highest first, then file order) into a trie of their
//! [`Step`]s. A rule's pattern steps are pure tests, so they may run in any order that binds a
//! slot before reading it: the rule joins an existing child when that child makes *any* of its
//! pending pattern steps (its guards then follow in order). Scanning the children from the
//! last, it may skip backwards over children whose step *excludes* one of its steps (a
//! different opcode, variant or literal for the same slot): no input can reach both, so trying
//! the new rule earlier than those children cannot change which rule wins. For the same reason
//! it skips children that hold only rules of its own priority (equal-priority rules never
//! overlap: that is a compile error). It may also enter a child whose step cannot fail (the
//! defining instruction of a value, the controlling type): running that step costs nothing to a
//! rule that does not need it. Any other child stops the search and one of the rule's steps
//! becomes a new last child: preferably one testing the slot the previous last child tests (so
//! both fall in one switch), else the first in canonical order. A depth-first walk of the trie
//! therefore meets rules in priority order, with shared steps tested once:
//!
//! ```text
//! rules (priority order)            trie                       flattened
//! 1 (lower (iadd x (iconst k)))     root                       switch opcode(arg0) → L1, L2
//! 2 (lower (isub x y))              ├ opcode(arg0)=iadd        L1: load args; definst …
//! 3 (lower (iadd x y))              │ └ definst(arg0.1)            test opcode=iconst else L1b
//!                                   │   ├ opcode=iconst → rule 1   … accept 1; return
//!                                   │   └ rule 3               L1b: accept 3 …
//!                                   └ opcode(arg0)=isub → 2    L2: load args; accept 2 …
//! ```
//!
//! Flattening emits each child after its previous sibling; every test's failure address is the
//! start of its next sibling (or the parent's continuation). A run of sibling opcode tests on
//! one slot becomes a `SwitchOpcode` with a dense table (and a run of small-literal tests a
//! `SwitchLiteral`); when the selected child fails, control skips the whole run, since its
//! other children test other values.

use super::exec::{MatchCode, Op, Pc, SwitchLoad, LITERAL_TABLE, NO_TARGET};
use super::program::*;
use super::sema::Checked;

#[derive(Debug)]
struct Node {
    step: Option<Step>,
    accept: Option<RuleId>,
    /// Priority of the first (highest-priority) rule inserted through this node.
    max_prio: i32,
    /// The last child and the previous sibling while the trie grows (`NONE` for none).
    last_child: u32,
    prev: u32,
    /// The children, in order, as a range of [`Trie::kids`] (filled once the trie is built).
    kids: (u32, u32),
}

const NONE: u32 = u32::MAX;

struct Trie {
    nodes: Vec<Node>,
    kids: Vec<u32>,
}

impl Node {
    fn new(step: Option<Step>, accept: Option<RuleId>, max_prio: i32) -> Node {
        Node {
            step,
            accept,
            max_prio,
            last_child: NONE,
            prev: NONE,
            kids: (0, 0),
        }
    }
}

/// Appends `id` to the children of `parent`.
fn add_child(nodes: &mut [Node], parent: usize, id: usize) {
    nodes[id].prev = nodes[parent].last_child;
    nodes[parent].last_child = id as u32;
}

/// Builds the match code of every rule-defined term.
pub fn compile<H>(p: &Checked<H>) -> MatchCode {
    let opcode_count = p
        .terms
        .iter()
        .filter_map(|t| match t.kind {
            TermKind::Opcode { opcode, .. } => Some(opcode + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut code = MatchCode {
        opcode_count,
        ..MatchCode::default()
    };
    // About one instruction per step and two per rule (so that the array grows rarely).
    code.ops
        .reserve(p.rules.iter().map(|r| r.steps.len() + 2).sum::<usize>());
    for (t, rules) in p.rules_of.iter().enumerate() {
        if rules.is_empty() {
            code.entry.push(NO_TARGET);
            code.frame_size.push(0);
            continue;
        }
        let trie = build_trie(p, rules);
        let frame = &p.frames[t];
        let mut em = Emitter {
            p,
            code: &mut code,
            trie: &trie.nodes,
            kids: &trie.kids,
            frame,
            locals_base: frame.slot_count(),
            temps_base: frame.slot_count() + frame.max_locals,
            next_temp: 0,
            max_temps: 0,
            term_fails: Fixups::EMPTY,
        };
        let entry = em.code.ops.len() as Pc;
        let rest = em.children(em.kids_of(0));
        let fail = em.code.ops.len() as Pc;
        em.code.ops.push(Op::Fail);
        let term_fails = em.term_fails;
        em.patch(rest, fail);
        em.patch(term_fails, fail);
        let size = em.temps_base + em.max_temps;
        code.entry.push(entry);
        code.frame_size.push(size);
    }
    code
}

fn build_trie<H>(p: &Checked<H>, rules: &[RuleId]) -> Trie {
    let mut by_prio: Vec<(i64, u32)> = rules
        .iter()
        .map(|r| (-i64::from(p.rules[r.index()].prio), r.0))
        .collect();
    by_prio.sort_unstable();
    let order = by_prio.iter().map(|&(_, r)| RuleId(r));
    let mut nodes = vec![Node::new(None, None, i32::MAX)];
    // The pattern steps of the rule being inserted that no node on its path has made yet, in
    // canonical order; its guard steps follow, in order.
    let mut pending: Vec<Step> = Vec::new();
    // Infallible steps this rule passed through (and so need not run again).
    let mut done: Vec<Step> = Vec::new();
    for r in order {
        let rule = &p.rules[r.index()];
        let prio = rule.prio;
        let guards_at = rule
            .steps
            .iter()
            .position(|s| matches!(s, Step::Eval { .. }))
            .unwrap_or(rule.steps.len());
        pending.clear();
        pending.extend_from_slice(&rule.steps[..guards_at]);
        let guards = &rule.steps[guards_at..];
        done.clear();
        let mut cur = 0usize;
        let mut g = 0;
        loop {
            // Pattern steps are pure tests: while some remain, the rule may make any of them
            // next (once what it reads is bound), so it can join a child making any of them.
            // Guards then follow in order.
            let in_pattern = !pending.is_empty();
            if !in_pattern {
                while g < guards.len() && done.contains(&guards[g]) {
                    g += 1;
                }
                if g == guards.len() {
                    break;
                }
            }
            let mut next = None;
            let mut ci = nodes[cur].last_child;
            while ci != NONE {
                let c = &nodes[ci as usize];
                let (id, step, max_prio) = (ci, c.step, c.max_prio);
                ci = c.prev;
                let Some(s) = step else {
                    // A rule ending here: skipped when of this rule's priority (see below).
                    if max_prio == prio {
                        continue;
                    }
                    break;
                };
                let wanted = if in_pattern {
                    pending.iter().position(|&x| x == s)
                } else {
                    (guards[g] == s).then_some(usize::MAX)
                };
                if let Some(k) = wanted {
                    if in_pattern {
                        pending.remove(k);
                    } else {
                        g += 1;
                    }
                    next = Some(id as usize);
                    break;
                }
                let excluded = if in_pattern {
                    pending.iter().any(|x| s.excludes(x, &p.terms))
                } else {
                    s.excludes(&guards[g], &p.terms)
                };
                if excluded {
                    continue;
                }
                // Everything under `c` has this rule's priority, and rules of equal priority
                // never overlap (that is a compile error), so none of them can match an input
                // this rule matches: their order does not matter.
                if max_prio == prio {
                    continue;
                }
                // A step that cannot fail only binds a slot: this rule may run it too and
                // continue inside, instead of starting a sibling that every input would reach
                // after `c` anyway.
                if matches!(s, Step::CtrlType { .. } | Step::DefInst { .. }) {
                    done.push(s);
                    next = Some(id as usize);
                    break;
                }
                break;
            }
            cur = match next {
                Some(c) => c,
                None => {
                    let step = if in_pattern {
                        let k = pick_step(p, &pending, &nodes, nodes[cur].last_child);
                        pending.remove(k)
                    } else {
                        g += 1;
                        guards[g - 1]
                    };
                    nodes.push(Node::new(Some(step), None, prio));
                    let id = nodes.len() - 1;
                    add_child(&mut nodes, cur, id);
                    id
                }
            };
        }
        nodes.push(Node::new(None, Some(r), prio));
        let id = nodes.len() - 1;
        add_child(&mut nodes, cur, id);
    }
    // Every node's children, in order, as one range of a shared array.
    let mut kids = Vec::with_capacity(nodes.len());
    for n in 0..nodes.len() {
        let start = kids.len();
        let mut c = nodes[n].last_child;
        while c != NONE {
            kids.push(c);
            c = nodes[c as usize].prev;
        }
        kids[start..].reverse();
        nodes[n].kids = (start as u32, kids.len() as u32);
    }
    Trie { nodes, kids }
}

/// Which of the pending pattern steps a rule makes next when it starts a new child: one that
/// tests the same slot the same way as the last child (so that the two can become one switch),
/// else the first in canonical order. Only steps whose input slots are bound qualify: those no
/// other pending step produces.
fn pick_step<H>(p: &Checked<H>, pending: &[Step], nodes: &[Node], last_sibling: u32) -> usize {
    let last = if last_sibling == NONE {
        None
    } else {
        nodes[last_sibling as usize].step
    };
    let same_switch = |s: &Step| match (last, *s) {
        (Some(Step::Opcode { inst: a, .. }), Step::Opcode { inst: b, .. }) => a == b,
        (Some(Step::Variant { value: a, .. }), Step::Variant { value: b, .. }) => a == b,
        (Some(Step::Lit { slot: a, .. }), Step::Lit { slot: b, .. }) => a == b,
        _ => false,
    };
    if last.is_some() {
        for (k, s) in pending.iter().enumerate() {
            if same_switch(s) && ready(p, s, pending) {
                return k;
            }
        }
    }
    0
}

/// Whether no step of `pending` binds a slot that `s` reads.
fn ready<H>(p: &Checked<H>, s: &Step, pending: &[Step]) -> bool {
    let read = match *s {
        Step::Opcode { inst, .. } => inst,
        Step::Variant { value, .. } => value,
        Step::Lit { slot, .. } => slot,
        _ => return false,
    };
    pending.iter().all(|q| {
        let (first, n) = match *q {
            Step::DefInst { inst, .. } => (inst, 1),
            Step::CtrlType { out, .. } => (out, 1),
            Step::Opcode { term, out, .. }
            | Step::Variant { term, out, .. }
            | Step::Extract { term, out, .. } => (out, p.terms[term.index()].args.len() as u32),
            Step::Eval { out, .. } => (out, 1),
            _ => return true,
        };
        !(read.0 >= first.0 && read.0 < first.0 + n)
    })
}

struct Emitter<'a, H> {
    p: &'a Checked<H>,
    code: &'a mut MatchCode,
    trie: &'a [Node],
    kids: &'a [u32],
    frame: &'a TermFrame,
    locals_base: u32,
    temps_base: u32,
    next_temp: u32,
    max_temps: u32,
    /// Right-hand-side failures: the whole term fails.
    term_fails: Fixups,
}

/// Instructions whose failure target is not known yet: a list threaded through their `fail`
/// fields (each holds the address of the next, the last `NO_TARGET`), so building and
/// merging lists allocates nothing.
#[derive(Clone, Copy, Debug)]
struct Fixups {
    head: Pc,
    tail: Pc,
}

impl Fixups {
    const EMPTY: Fixups = Fixups {
        head: NO_TARGET,
        tail: NO_TARGET,
    };
}

impl<'a, H> Emitter<'a, H> {
    fn kids_of(&self, n: usize) -> &'a [u32] {
        let (start, end) = self.trie[n].kids;
        &self.kids[start as usize..end as usize]
    }

    fn pc(&self) -> Pc {
        self.code.ops.len() as Pc
    }

    fn fail_of(&mut self, at: Pc) -> &mut Pc {
        self.code.ops[at as usize]
            .fail_mut()
            .expect("fixups are instructions with a failure target")
    }

    /// Adds the instruction at `at` (already emitted) to `list`.
    fn add(&mut self, list: &mut Fixups, at: usize) {
        let at = at as Pc;
        *self.fail_of(at) = list.head;
        if list.head == NO_TARGET {
            list.tail = at;
        }
        list.head = at;
    }

    /// Moves the instructions of `other` into `list`.
    fn join(&mut self, list: &mut Fixups, other: Fixups) {
        if other.head == NO_TARGET {
            return;
        }
        if list.head != NO_TARGET {
            *self.fail_of(other.tail) = list.head;
        } else {
            list.tail = other.tail;
        }
        list.head = other.head;
    }

    fn patch(&mut self, fixups: Fixups, target: Pc) {
        let mut at = fixups.head;
        while at != NO_TARGET {
            let f = self.fail_of(at);
            at = *f;
            *f = target;
        }
    }

    /// Emits sibling subtrees in order; returns the failures of the last one (they continue
    /// wherever the parent's failure goes).
    fn children(&mut self, kids: &[u32]) -> Fixups {
        let mut pending = Fixups::EMPTY;
        let mut i = 0;
        while i < kids.len() {
            let here = self.pc();
            self.patch(pending, here);
            let run = self.switch_run(&kids[i..]);
            let lit_run = if run >= 2 {
                0
            } else {
                self.literal_run(&kids[i..])
            };
            if run >= 2 {
                pending = self.switch(&kids[i..i + run]);
                i += run;
            } else if lit_run >= 3 {
                pending = self.literal_switch(&kids[i..i + lit_run]);
                i += lit_run;
            } else {
                pending = self.node(kids[i] as usize);
                i += 1;
            }
        }
        pending
    }

    /// Length of the run of opcode tests on one slot, with distinct opcodes, at `kids[0]`.
    fn switch_run(&self, kids: &[u32]) -> usize {
        let Some(Step::Opcode { inst, .. }) = self.trie[kids[0] as usize].step else {
            return 0;
        };
        // Opcodes seen so far: a bit set for small opcode numbers, a list for the others.
        let (mut small, mut large) = (0u64, Vec::new());
        let mut n = 0;
        for &k in kids {
            match self.trie[k as usize].step {
                Some(Step::Opcode { inst: i, term, .. }) if i == inst => {
                    let op = self.opcode(term).0;
                    if op < 64 {
                        if small & (1 << op) != 0 {
                            break;
                        }
                        small |= 1 << op;
                    } else {
                        if large.contains(&op) {
                            break;
                        }
                        large.push(op);
                    }
                    n += 1;
                }
                _ => break,
            }
        }
        n
    }

    /// Length of the run of tests of one slot against distinct small literals (below
    /// [`LITERAL_TABLE`]) at `kids[0]`.
    fn literal_run(&self, kids: &[u32]) -> usize {
        let Some(Step::Lit { slot, .. }) = self.trie[kids[0] as usize].step else {
            return 0;
        };
        let mut seen = 0u64;
        let mut n = 0;
        for &k in kids {
            match self.trie[k as usize].step {
                Some(Step::Lit { slot: s, value })
                    if s == slot && value < LITERAL_TABLE && seen & (1 << value) == 0 =>
                {
                    seen |= 1 << value;
                    n += 1;
                }
                _ => break,
            }
        }
        n
    }

    /// A run of literal tests on one slot as one `SwitchLiteral`; like [`Self::switch`], a
    /// failed child skips the rest of the run, whose other tests want other values.
    fn literal_switch(&mut self, kids: &[u32]) -> Fixups {
        let Some(Step::Lit { slot, .. }) = self.trie[kids[0] as usize].step else {
            unreachable!("literal runs start with a literal step")
        };
        let table = self.code.tables.len() as u32;
        self.code
            .tables
            .resize(table as usize + LITERAL_TABLE as usize, NO_TARGET);
        self.code.loads.resize(
            table as usize + LITERAL_TABLE as usize,
            SwitchLoad::default(),
        );
        let mut fails = Fixups::EMPTY;
        let at = self.code.ops.len();
        self.code.ops.push(Op::SwitchLiteral {
            slot,
            table,
            fail: NO_TARGET,
        });
        self.add(&mut fails, at);
        for &k in kids {
            let node = &self.trie[k as usize];
            let Some(Step::Lit { value, .. }) = node.step else {
                unreachable!("literal runs hold literal steps")
            };
            let pc = self.pc();
            self.code.tables[(table + value as u32) as usize] = pc;
            let kids_fails = self.children(self.kids_of(k as usize));
            self.join(&mut fails, kids_fails);
        }
        fails
    }

    fn opcode(&self, t: TermId) -> (u32, u32) {
        match self.p.terms[t.index()].kind {
            TermKind::Opcode { opcode, value_args } => (opcode, value_args),
            _ => unreachable!("opcode steps name opcode terms"),
        }
    }

    fn switch(&mut self, kids: &[u32]) -> Fixups {
        let Some(Step::Opcode { inst, .. }) = self.trie[kids[0] as usize].step else {
            unreachable!("switch runs start with an opcode step")
        };
        let table = self.code.tables.len() as u32;
        let n = self.code.opcode_count as usize;
        self.code.tables.resize(table as usize + n, NO_TARGET);
        self.code
            .loads
            .resize(table as usize + n, SwitchLoad::default());
        let mut fails = Fixups::EMPTY;
        let at = self.code.ops.len();
        self.code.ops.push(Op::SwitchOpcode {
            inst,
            table,
            fail: NO_TARGET,
        });
        self.add(&mut fails, at);
        for &k in kids {
            let node = &self.trie[k as usize];
            let Some(Step::Opcode { term, out, .. }) = node.step else {
                unreachable!("switch runs hold opcode steps")
            };
            let (opcode, values) = self.opcode(term);
            let pc = self.pc();
            self.code.tables[(table + opcode) as usize] = pc;
            // The switch loads the operands itself when their counts fit `SwitchLoad`.
            match self.fused_counts(term) {
                Some((values, imms)) => {
                    self.code.loads[(table + opcode) as usize] = SwitchLoad { out, values, imms }
                }
                None => self.load_inst(inst, term, out, values),
            }
            let kids_fails = self.children(self.kids_of(k as usize));
            self.join(&mut fails, kids_fails);
        }
        fails
    }

    /// The value and immediate operand counts of opcode `term`, when they fit the 16-bit
    /// fields of an opcode test or switch that loads the operands itself.
    fn fused_counts(&self, term: TermId) -> Option<(u16, u16)> {
        let (_, values) = self.opcode(term);
        let n = self.p.terms[term.index()].args.len() as u32;
        Some((u16::try_from(values).ok()?, u16::try_from(n - values).ok()?))
    }

    fn load_inst(&mut self, inst: Slot, term: TermId, out: Slot, values: u32) {
        let n = self.p.terms[term.index()].args.len() as u32;
        if n > 0 {
            self.code.ops.push(Op::LoadInst {
                inst,
                out,
                values,
                imms: n - values,
            });
        }
    }

    fn node(&mut self, n: usize) -> Fixups {
        let node = &self.trie[n];
        if let Some(rule) = node.accept {
            self.accept(rule);
            return Fixups::EMPTY;
        }
        let mut fails = Fixups::EMPTY;
        let step = node.step.expect("inner trie nodes hold a step");
        let at = self.code.ops.len();
        match step {
            // Cannot fail: a value no instruction defines gets `NO_INST`, on which the opcode
            // test that always follows fails.
            Step::DefInst { value, inst } => self.code.ops.push(Op::DefInst { value, inst }),
            Step::CtrlType { inst, out } => self.code.ops.push(Op::CtrlType { inst, out }),
            Step::Opcode { inst, term, out } => {
                let (opcode, values) = self.opcode(term);
                // The test loads the operands itself when their counts fit its fields.
                let fused = self.fused_counts(term);
                let (fused_values, fused_imms) = fused.unwrap_or((0, 0));
                self.code.ops.push(Op::TestOpcode {
                    inst,
                    opcode,
                    fail: NO_TARGET,
                    out,
                    values: fused_values,
                    imms: fused_imms,
                });
                self.add(&mut fails, at);
                if fused.is_none() {
                    self.load_inst(inst, term, out, values);
                }
            }
            Step::Variant { value, term, out } => {
                let TermKind::Variant { ty, tag } = self.p.terms[term.index()].kind else {
                    unreachable!("variant steps name variant terms")
                };
                let TypeKind::Enum { boxed, .. } = self.p.types[ty.index()].kind else {
                    unreachable!("variants belong to enums")
                };
                let n = self.p.terms[term.index()].args.len() as u32;
                if boxed {
                    self.code.ops.push(Op::TestBoxedTag {
                        slot: value,
                        tag,
                        fail: NO_TARGET,
                    });
                    if n > 0 {
                        self.code.ops.push(Op::LoadFields {
                            slot: value,
                            out,
                            n,
                        });
                    }
                } else {
                    self.code.ops.push(Op::TestTag {
                        slot: value,
                        tag,
                        fail: NO_TARGET,
                    });
                }
                self.add(&mut fails, at);
            }
            Step::Extract { value, term, out } => {
                let TermKind::Decl {
                    extractor: Some(ext),
                    ..
                } = self.p.terms[term.index()].kind
                else {
                    unreachable!("extract steps name extern extractors")
                };
                let n = self.p.terms[term.index()].args.len() as u32;
                self.code.ops.push(Op::Extract {
                    ext,
                    value,
                    out,
                    n,
                    fail: NO_TARGET,
                });
                self.add(&mut fails, at);
            }
            Step::Lit { slot, value } => {
                self.code.ops.push(Op::TestLit {
                    slot,
                    value,
                    fail: NO_TARGET,
                });
                self.add(&mut fails, at);
            }
            Step::Eq { a, b } => {
                self.code.ops.push(Op::TestEq {
                    a,
                    b,
                    fail: NO_TARGET,
                });
                self.add(&mut fails, at);
            }
            Step::IsTrue { slot } => {
                self.code.ops.push(Op::TestTrue {
                    slot,
                    fail: NO_TARGET,
                });
                self.add(&mut fails, at);
            }
            Step::Eval { expr, out } => {
                self.next_temp = 0;
                let r = self.expr(expr, &mut fails);
                if r != out {
                    self.code.ops.push(Op::Move { out, from: r });
                }
            }
        }
        let kid_fails = self.children(self.kids_of(n));
        self.join(&mut fails, kid_fails);
        fails
    }

    fn accept(&mut self, rule: RuleId) {
        let body = self.p.rules[rule.index()].body;
        if let CExpr::Const(value) = self.frame.exprs[body.index()] {
            self.code.ops.push(Op::ReturnConst { value, rule });
            return;
        }
        self.code.ops.push(Op::Accept { rule });
        self.next_temp = 0;
        let mut fails = self.term_fails;
        let r = self.expr(self.p.rules[rule.index()].body, &mut fails);
        self.term_fails = fails;
        self.code.ops.push(Op::Return { slot: r, rule });
    }

    fn temp(&mut self) -> Slot {
        let s = Slot(self.temps_base + self.next_temp);
        self.next_temp += 1;
        self.max_temps = self.max_temps.max(self.next_temp);
        s
    }

    /// Emits code computing expression `e`; returns the slot holding its value. Failing calls
    /// are added to `fails`.
    fn expr(&mut self, e: ExprId, fails: &mut Fixups) -> Slot {
        match &self.frame.exprs[e.index()] {
            CExpr::Slot(s) => *s,
            CExpr::Local(l) => Slot(self.locals_base + l),
            CExpr::Const(v) => {
                let out = self.temp();
                self.code.ops.push(Op::Const { out, value: *v });
                out
            }
            CExpr::Let { binds, body } => {
                for &(l, v) in binds {
                    let r = self.expr(v, fails);
                    let local = Slot(self.locals_base + l);
                    if r != local {
                        self.code.ops.push(Op::Move {
                            out: local,
                            from: r,
                        });
                    }
                }
                self.expr(*body, fails)
            }
            CExpr::Call { term, args } => {
                let (term, args) = (*term, args.clone());
                let arg_slots: Vec<Slot> = args.iter().map(|&a| self.expr(a, fails)).collect();
                let start = self.code.operands.len() as u32;
                let n = arg_slots.len() as u32;
                self.code.operands.extend(arg_slots);
                let out = self.temp();
                let at = self.code.ops.len();
                let info = &self.p.terms[term.index()];
                match info.kind {
                    TermKind::Decl {
                        ctor: Ctor::Extern(ext),
                        ..
                    } => {
                        self.code.ops.push(Op::CallExtern {
                            ext,
                            args: start,
                            n,
                            out,
                            fail: NO_TARGET,
                        });
                        self.add(fails, at);
                    }
                    TermKind::Decl { .. } => {
                        self.code.ops.push(Op::CallTerm {
                            term,
                            args: start,
                            n,
                            out,
                            fail: NO_TARGET,
                        });
                        self.add(fails, at);
                    }
                    TermKind::Variant { ty, tag } => {
                        let boxed = matches!(
                            self.p.types[ty.index()].kind,
                            TypeKind::Enum { boxed: true, .. }
                        );
                        self.code.ops.push(Op::MakeVariant {
                            tag,
                            boxed,
                            args: start,
                            n,
                            out,
                        });
                    }
                    TermKind::Opcode { .. } | TermKind::HasType => {
                        unreachable!("sema rejects calls to extractor-only terms")
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dsl::exec::Op;
    use crate::dsl::testkit::{fake_env, with_prelude, FakeIr};

    #[test]
    fn rules_share_tests_and_switch_on_opcode() {
        let src = "(decl partial lower (Inst) u64)
            (rule 3 (lower (iadd _ (iconst 1))) 1)
            (rule 2 (lower (isub _ _)) 2)
            (rule 1 (lower (iadd _ (iconst 2))) 3)
            (rule 0 (lower (iadd _ _)) 4)
            (rule 0 (lower (imul _ _)) 5)";
        let prog = crate::dsl::compile(with_prelude("t.rules", src), fake_env::<FakeIr>())
            .expect("valid rules");
        let lower = prog.term("lower").unwrap();
        let entry = prog.code.entry[lower.index()] as usize;
        let ops: Vec<Op> = prog.code.ops[entry..]
            .iter()
            .copied()
            .take_while(|op| *op != Op::Fail)
            .collect();
        let count = |f: fn(&Op) -> bool| ops.iter().filter(|op| f(op)).count();
        assert_eq!(
            count(|op| matches!(op, Op::SwitchOpcode { .. })),
            1,
            "{ops:#?}"
        );
        assert_eq!(count(|op| matches!(op, Op::DefInst { .. })), 1, "{ops:#?}");
        assert_eq!(
            count(|op| matches!(op, Op::TestOpcode { .. })),
            1,
            "{ops:#?}"
        );
        assert_eq!(count(|op| matches!(op, Op::TestLit { .. })), 2, "{ops:#?}");
        assert_eq!(
            count(|op| matches!(op, Op::Accept { .. } | Op::ReturnConst { .. })),
            5,
            "{ops:#?}"
        );
    }
}
