//! The naive reference matcher: tries every rule of a term in priority order, each one step
//! at a time, with no sharing and no match tree. It exists to check the match-tree compiler
//! and executor (property tests) and as the baseline of the benchmark.

use super::exec::{ExecError, Host, MAX_DEPTH};
use super::program::*;
use super::RuleProgram;

/// Reference-matcher state: its own arena of enum values, and each term's rules in priority
/// order (sorted on first use, so the baseline is naive matching, not repeated sorting).
#[derive(Default)]
pub struct Reference {
    arena: Vec<u64>,
    order: Vec<Option<Vec<RuleId>>>,
}

impl Reference {
    pub fn new() -> Reference {
        Reference::default()
    }

    /// Runs `term` on `args`: the rule that fires and its result, `None` if no rule matched
    /// (or the committed rule's right-hand side failed).
    pub fn run<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        args: &[u64],
    ) -> Result<Option<(RuleId, u64)>, ExecError> {
        self.arena.clear();
        self.term(prog, host, term, args, 0)
    }

    fn term<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        args: &[u64],
        depth: u32,
    ) -> Result<Option<(RuleId, u64)>, ExecError> {
        if depth > MAX_DEPTH {
            return Err(ExecError::RecursionLimit {
                term: prog.term_name(term).to_string(),
            });
        }
        if self.order.len() < prog.terms.len() {
            self.order.resize(prog.terms.len(), None);
        }
        let order = self.order[term.index()].take().unwrap_or_else(|| {
            let mut order = prog.rules_of[term.index()].clone();
            order.sort_by_key(|r| (-i64::from(prog.rules[r.index()].prio), r.0));
            order
        });
        let result = self.try_rules(prog, host, term, args, depth, &order);
        self.order[term.index()] = Some(order);
        result
    }

    fn try_rules<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        args: &[u64],
        depth: u32,
        order: &[RuleId],
    ) -> Result<Option<(RuleId, u64)>, ExecError> {
        let frame = &prog.frames[term.index()];
        let mut slots = vec![0u64; frame.slot_count() as usize];
        let mut locals = vec![0u64; frame.max_locals as usize];
        slots[..args.len()].copy_from_slice(args);
        for &r in order {
            let rule = &prog.rules[r.index()];
            let mut ok = true;
            for step in &rule.steps {
                if !self.step(prog, host, term, step, &mut slots, &mut locals, depth)? {
                    ok = false;
                    break;
                }
            }
            if ok {
                let v = self.expr(prog, host, term, rule.body, &slots, &mut locals, depth)?;
                return Ok(v.map(|v| (r, v)));
            }
        }
        Ok(None)
    }

    /// Runs one step of a rule of `term` on `slots`: whether it passed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn step<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        step: &Step,
        slots: &mut [u64],
        locals: &mut [u64],
        depth: u32,
    ) -> Result<bool, ExecError> {
        let info = |t: TermId| &prog.terms[t.index()];
        Ok(match *step {
            Step::DefInst { value, inst } => match host.value_def(slots[value.index()]) {
                Some(i) => {
                    slots[inst.index()] = i;
                    true
                }
                None => false,
            },
            Step::CtrlType { inst, out } => {
                slots[out.index()] = host.inst_ctrl_type(slots[inst.index()]);
                true
            }
            Step::Opcode { inst, term: t, out } => {
                let TermKind::Opcode { opcode, value_args } = info(t).kind else {
                    return Ok(false);
                };
                let i = slots[inst.index()];
                if host.inst_opcode(i) != opcode {
                    return Ok(false);
                }
                for k in 0..info(t).args.len() as u32 {
                    slots[out.index() + k as usize] = if k < value_args {
                        host.inst_value(i, k)
                    } else {
                        host.inst_immediate(i, k - value_args)
                    };
                }
                true
            }
            Step::Variant {
                value,
                term: t,
                out,
            } => {
                let TermKind::Variant { ty, tag } = info(t).kind else {
                    return Ok(false);
                };
                let boxed = matches!(
                    prog.types[ty.index()].kind,
                    TypeKind::Enum { boxed: true, .. }
                );
                let v = slots[value.index()];
                if boxed {
                    let h = v as usize;
                    let n = info(t).args.len();
                    match self.arena.get(h..h + 1 + n) {
                        Some(words) if words[0] as u32 == tag => {
                            slots[out.index()..out.index() + n].copy_from_slice(&words[1..]);
                            true
                        }
                        _ => false,
                    }
                } else {
                    v == u64::from(tag)
                }
            }
            Step::Extract {
                value,
                term: t,
                out,
            } => {
                let TermKind::Decl {
                    extractor: Some(ext),
                    ..
                } = info(t).kind
                else {
                    return Ok(false);
                };
                let n = info(t).args.len();
                let mut outs = vec![0u64; n.max(1)];
                if !(prog.externs[ext.index()])(host, &[slots[value.index()]], &mut outs) {
                    return Ok(false);
                }
                slots[out.index()..out.index() + n].copy_from_slice(&outs[..n]);
                true
            }
            Step::Lit { slot, value } => slots[slot.index()] == value,
            Step::Eq { a, b } => slots[a.index()] == slots[b.index()],
            Step::IsTrue { slot } => slots[slot.index()] != 0,
            Step::Eval { expr, out } => {
                match self.expr(prog, host, term, expr, slots, locals, depth)? {
                    Some(v) => {
                        slots[out.index()] = v;
                        true
                    }
                    None => false,
                }
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn expr<H: Host>(
        &mut self,
        prog: &RuleProgram<H>,
        host: &mut H,
        term: TermId,
        e: ExprId,
        slots: &[u64],
        locals: &mut [u64],
        depth: u32,
    ) -> Result<Option<u64>, ExecError> {
        Ok(match &prog.frames[term.index()].exprs[e.index()] {
            CExpr::Slot(s) => Some(slots[s.index()]),
            CExpr::Local(l) => Some(locals[*l as usize]),
            CExpr::Const(v) => Some(*v),
            CExpr::Let { binds, body } => {
                for &(l, v) in binds {
                    match self.expr(prog, host, term, v, slots, locals, depth)? {
                        Some(x) => locals[l as usize] = x,
                        None => return Ok(None),
                    }
                }
                self.expr(prog, host, term, *body, slots, locals, depth)?
            }
            CExpr::Call { term: callee, args } => {
                let mut words = Vec::with_capacity(args.len());
                for &a in args {
                    match self.expr(prog, host, term, a, slots, locals, depth)? {
                        Some(x) => words.push(x),
                        None => return Ok(None),
                    }
                }
                let callee = *callee;
                match prog.terms[callee.index()].kind {
                    TermKind::Decl {
                        ctor: Ctor::Extern(ext),
                        ..
                    } => {
                        let mut out = [0u64];
                        (prog.externs[ext.index()])(host, &words, &mut out).then_some(out[0])
                    }
                    TermKind::Decl { .. } => {
                        match self.term(prog, host, callee, &words, depth + 1)? {
                            Some((_, v)) => Some(v),
                            None if prog.terms[callee.index()].partial => None,
                            None => {
                                return Err(ExecError::NoRuleMatched {
                                    term: prog.term_name(callee).to_string(),
                                    args: words,
                                })
                            }
                        }
                    }
                    TermKind::Variant { ty, tag } => {
                        if matches!(
                            prog.types[ty.index()].kind,
                            TypeKind::Enum { boxed: true, .. }
                        ) {
                            let h = self.arena.len() as u64;
                            self.arena
                                .push(u64::from(tag) | ((words.len() as u64) << 32));
                            self.arena.extend(words);
                            Some(h)
                        } else {
                            Some(u64::from(tag))
                        }
                    }
                    TermKind::Opcode { .. } | TermKind::HasType => None,
                }
            }
        })
    }
}
