//! Recursion that can never end, beyond the direct case `sema` reports (a rule calling its
//! own term with its own arguments).
//!
//! A term *forwards* to another when its highest-priority rule is the only one at that
//! priority, tests nothing (so it fires on every input) and its right-hand side is just a call
//! of the other term with the same arguments in the same order. A cycle of forwarding terms
//! calls itself with the same input forever, whatever the input: an error at each rule of the
//! cycle. Other unbounded recursion is caught when rules run ([`MAX_DEPTH`]).
//!
//! [`MAX_DEPTH`]: super::exec::MAX_DEPTH

use super::diag::Diagnostic;
use super::program::*;
use super::sema::Checked;

/// Reports every cycle of forwarding terms.
pub fn check<H>(p: &Checked<H>, diags: &mut Vec<Diagnostic>) {
    let forward: Vec<Option<(TermId, RuleId)>> = (0..p.terms.len())
        .map(|t| forwards_to(p, TermId(t as u32)))
        .collect();
    // 0: unvisited, 1: on the current walk, 2: done.
    let mut state = vec![0u8; p.terms.len()];
    for start in 0..p.terms.len() {
        let mut walk = Vec::new();
        let mut t = start;
        while state[t] == 0 {
            state[t] = 1;
            walk.push(t);
            match forward[t] {
                Some((next, _)) => t = next.index(),
                None => break,
            }
        }
        if state[t] == 1 && forward[t].is_some() {
            let cycle_start = walk.iter().position(|&x| x == t).unwrap_or(0);
            let cycle = &walk[cycle_start..];
            let names: Vec<&str> = cycle.iter().map(|&x| p.terms[x].name.as_str()).collect();
            for &x in cycle {
                if let Some((_, rule)) = forward[x] {
                    diags.push(Diagnostic::error(
                        p.rules[rule.index()].span,
                        format!(
                            "infinite recursion: {} -> {} pass the same input around forever",
                            names.join(" -> "),
                            names[0]
                        ),
                    ));
                }
            }
        }
        for x in walk {
            state[x] = 2;
        }
    }
}

/// The term `t` forwards its input to, and the rule doing it (see the module documentation).
fn forwards_to<H>(p: &Checked<H>, t: TermId) -> Option<(TermId, RuleId)> {
    let rules = &p.rules_of[t.index()];
    let top = rules.iter().map(|r| p.rules[r.index()].prio).max()?;
    let mut at_top = rules.iter().filter(|r| p.rules[r.index()].prio == top);
    let rule = *at_top.next()?;
    if at_top.next().is_some() || !p.rules[rule.index()].steps.is_empty() {
        return None;
    }
    let frame = &p.frames[t.index()];
    let CExpr::Call { term, args } = &frame.exprs[p.rules[rule.index()].body.index()] else {
        return None;
    };
    let forwarded = args.len() == p.terms[t.index()].args.len()
        && args
            .iter()
            .enumerate()
            .all(|(i, a)| frame.exprs[a.index()] == CExpr::Slot(Slot(i as u32)));
    let is_rule_term = !p.rules_of[term.index()].is_empty();
    (forwarded && is_rule_term).then_some((*term, rule))
}
