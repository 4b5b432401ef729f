//! Why-not explanations: for one input of a term, every candidate rule in the order the match
//! tree tries them and, for each that does not fire, the first pattern step or guard that
//! fails, with its span and what the input held instead.
//!
//! The match tree tries a term's rules by priority, highest first, and in file order within a
//! priority (equal-priority rules never overlap, so their order cannot change the winner). The
//! candidates are the rules its opcode switch leads to: those testing the opcode of the term's
//! first argument for the opcode it has, and those not testing it. Each candidate's steps run
//! one at a time, as the [reference matcher](super::reference) runs them, on a slot file of its
//! own; only patterns and guards run (they are pure by the [`TermEnv`](super::TermEnv)
//! contract), never a right-hand side, so explaining changes nothing in the host.

use super::exec::Host;
use super::program::*;
use super::reference::Reference;
use super::{RuleProgram, Span};

/// What became of one candidate rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its patterns and guards all pass, and no earlier rule's did: this rule fires.
    Fires,
    /// Step `span` failed; `reason` says what the input held instead.
    Failed { span: Span, reason: String },
    /// An earlier rule fires, so the match tree never gets to this one.
    NotReached,
    /// Evaluating a guard stopped with an error (the executor would report it too).
    Error(String),
}

/// One candidate rule and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub rule: RuleId,
    pub outcome: Outcome,
}

/// The candidate rules of `term` on `args`, in the order the match tree tries them, with
/// their outcomes (see the module documentation).
pub fn attempts<H: Host>(
    prog: &RuleProgram<H>,
    host: &mut H,
    term: TermId,
    args: &[u64],
) -> Vec<Attempt> {
    let mut order: Vec<RuleId> = prog.rules_of(term).to_vec();
    order.sort_by_key(|r| (-i64::from(prog.rules[r.index()].prio), r.0));
    let first_opcode = first_arg_opcode(prog, host, term, args);
    let frame = &prog.frames[term.index()];
    let mut reference = Reference::new();
    let mut fired = false;
    let mut out = Vec::new();
    for r in order {
        let rule = &prog.rules[r.index()];
        let dispatched_elsewhere = rule.steps.iter().any(|s| match *s {
            Step::Opcode {
                inst: Slot(0),
                term: t,
                ..
            } => first_opcode.is_some() && opcode_number(prog, t) != first_opcode,
            _ => false,
        });
        if dispatched_elsewhere {
            continue;
        }
        if fired {
            out.push(Attempt {
                rule: r,
                outcome: Outcome::NotReached,
            });
            continue;
        }
        let mut slots = vec![0u64; frame.slot_count() as usize];
        let mut locals = vec![0u64; frame.max_locals as usize];
        slots[..args.len()].copy_from_slice(args);
        let mut outcome = Outcome::Fires;
        for (k, step) in rule.steps.iter().enumerate() {
            match reference.step(prog, host, term, step, &mut slots, &mut locals, 0) {
                Ok(true) => {}
                Ok(false) => {
                    outcome = Outcome::Failed {
                        span: rule.spans[k],
                        reason: reason(prog, host, term, step, rule.spans[k], &slots),
                    };
                    break;
                }
                Err(e) => {
                    outcome = Outcome::Error(e.to_string());
                    break;
                }
            }
        }
        fired = outcome == Outcome::Fires;
        out.push(Attempt { rule: r, outcome });
    }
    out
}

/// The opcode number of the term's first argument, when it is an `Inst` that opcode rules
/// switch on.
fn first_arg_opcode<H: Host>(
    prog: &RuleProgram<H>,
    host: &H,
    term: TermId,
    args: &[u64],
) -> Option<u32> {
    let tests_inst = prog.rules_of(term).iter().any(|r| {
        prog.rules[r.index()]
            .steps
            .iter()
            .any(|s| matches!(s, Step::Opcode { inst: Slot(0), .. }))
    });
    let &arg = args.first()?;
    (tests_inst && arg != super::exec::NO_INST).then(|| host.inst_opcode(arg))
}

fn opcode_number<H>(prog: &RuleProgram<H>, t: TermId) -> Option<u32> {
    match prog.terms[t.index()].kind {
        TermKind::Opcode { opcode, .. } => Some(opcode),
        _ => None,
    }
}

/// The name of the opcode term with number `opcode`.
fn opcode_name<H>(prog: &RuleProgram<H>, opcode: u32) -> String {
    prog.terms
        .iter()
        .find(|t| matches!(t.kind, TermKind::Opcode { opcode: o, .. } if o == opcode))
        .map_or_else(|| format!("opcode {opcode}"), |t| t.name.clone())
}

/// A word as the rules would write it: a `$Type` constant for a type (`is_type`), else the
/// integer (negative when its top bit is set, as most such words are signed immediates).
fn show_word<H>(prog: &RuleProgram<H>, is_type: bool, word: u64) -> String {
    match prog.type_const_names.get(&word) {
        Some(name) if is_type => format!("${name}"),
        _ => (word as i64).to_string(),
    }
}

/// Why `step` failed on the words in `slots`.
fn reason<H: Host>(
    prog: &RuleProgram<H>,
    host: &H,
    term: TermId,
    step: &Step,
    span: Span,
    slots: &[u64],
) -> String {
    let name = |t: TermId| prog.term_name(t).to_string();
    match *step {
        Step::Opcode { inst, term: t, .. } => format!(
            "the instruction is `{}`, not `{}`",
            opcode_name(prog, host.inst_opcode(slots[inst.index()])),
            name(t)
        ),
        Step::DefInst { .. } => {
            "no instruction the patterns can see defines the value (it is a block parameter, or the result of an instruction with side effects)".to_string()
        }
        Step::Variant { term: t, .. } => format!("the value is not the variant `{}`", name(t)),
        Step::Extract { term: t, .. } => format!("the extractor `{}` does not match", name(t)),
        Step::Lit { slot, value } => {
            // A type: a controlling type, or a value the rule names with a `$Type` constant.
            let written = &prog.sources.text(span.file)[span.lo as usize..span.hi as usize];
            let is_type = matches!(
                prog.frames[term.index()].origins.get(slot.index()),
                Some(SlotOrigin::CtrlType(_))
            ) || written
                .strip_prefix('$')
                .is_some_and(|n| prog.type_const_names.get(&value).is_some_and(|t| t == n));
            format!(
                "the value is {}, not {}",
                show_word(prog, is_type, slots[slot.index()]),
                show_word(prog, is_type, value)
            )
        }
        Step::Eq { .. } => "the two places of a repeated variable hold different values".to_string(),
        Step::Eval { .. } => "the guard's expression fails (a partial term in it does not match)".to_string(),
        Step::IsTrue { .. } => "the guard is false".to_string(),
        Step::CtrlType { .. } => "the controlling type cannot be read".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsl::testkit::{fake_env, with_prelude, FakeIr};

    #[test]
    fn candidates_in_priority_order_with_the_failing_step() {
        let src = "(decl partial lower (Inst) u64)
(rule 2 (lower (iadd _ (iconst 3))) 1)
(rule 1 (lower (iadd x x)) 2)
(rule 0 (lower (iadd _ _)) 3)
(rule 5 (lower (isub _ _)) 4)
(rule -1 (lower (iadd _ _)) (if (u64_eq 1 2)) 5)";
        let prog = crate::dsl::compile(with_prelude("t.rules", src), fake_env::<FakeIr>())
            .unwrap_or_else(|e| panic!("{}", e.render()));
        // Value 0 is a parameter; inst 0 is `iconst 4` (value 1); inst 1 is `iadd v0, v1`.
        let inst = |opcode: &str, values: Vec<u64>, imms: Vec<u64>| crate::dsl::testkit::FakeInst {
            opcode: crate::dsl::testkit::FAKE_OPCODES
                .iter()
                .position(|o| o.0 == opcode)
                .unwrap() as u32,
            ctrl_type: crate::ir::Type::I64,
            values,
            imms,
        };
        let mut ir = FakeIr {
            params: 1,
            insts: vec![
                inst("iconst", vec![], vec![4]),
                inst("iadd", vec![0, 1], vec![]),
            ],
        };
        let add = 1;
        let lower = prog.term("lower").unwrap();
        let found = attempts(&prog, &mut ir, lower, &[add]);
        let rules: Vec<u32> = found
            .iter()
            .map(|a| prog.sources.line_col(prog.rule_span(a.rule)).line)
            .collect();
        // isub's rule is not a candidate; the rest by priority.
        assert_eq!(rules, vec![2, 3, 4, 6], "{found:?}");
        let text = |s: Span| &prog.sources.text(s.file)[s.lo as usize..s.hi as usize];
        match &found[0].outcome {
            Outcome::Failed { span, reason } => {
                assert_eq!(text(*span), "3");
                assert_eq!(reason, "the value is 4, not 3");
            }
            o => panic!("{o:?}"),
        }
        match &found[1].outcome {
            Outcome::Failed { span, reason } => {
                assert_eq!(text(*span), "x");
                assert!(reason.contains("repeated variable"), "{reason}");
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(found[2].outcome, Outcome::Fires);
        assert_eq!(found[3].outcome, Outcome::NotReached);
    }
}
