//! Shrinking a module on which rulesel and the interpreter disagree, while they still do.
//!
//! Every edit keeps the module valid (see [`super::program`]): a conditional branch or a
//! `br_table` becomes a `jump` to one of its targets (blocks no longer reachable drop out of the
//! printed text); an instruction becomes zero constants of its result types (except slot addresses: a
//! zero address would be undefined behaviour), or disappears when it defines nothing (stores) or
//! nothing reads it; an argument becomes zero. Edits are tried
//! one at a time and kept when the predicate still holds, until a whole pass keeps none. Last,
//! functions the tested one no longer calls are removed.

use super::program::{rename_fn_ref, Func, Line, Module, Target, Term};

/// Does the candidate (module, arguments of the tested function) still show the problem?
pub type StillFails<'a> = dyn FnMut(&Module, &[u128]) -> bool + 'a;

/// Shrinks `module` and `args` (for function `func`) while `still_fails`; returns the smaller
/// module with the tested function's new index, and the arguments.
pub fn minimise(
    module: &Module,
    func: usize,
    args: &[u128],
    still_fails: &mut StillFails<'_>,
) -> (Module, usize, Vec<u128>) {
    let mut best = module.clone();
    let mut args = args.to_vec();
    loop {
        let mut changed = false;
        for f in 0..best.funcs.len() {
            changed |= simplify_branches(&mut best, f, &args, still_fails);
            changed |= simplify_lines(&mut best, f, &args, still_fails);
        }
        for i in 0..args.len() {
            if args[i] != 0 {
                let mut fewer = args.clone();
                fewer[i] = 0;
                if still_fails(&best, &fewer) {
                    args = fewer;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let (pruned, func) = prune_functions(&best, func);
    (pruned, func, args)
}

fn simplify_branches(
    best: &mut Module,
    f: usize,
    args: &[u128],
    still_fails: &mut StillFails<'_>,
) -> bool {
    let mut changed = false;
    for b in 0..best.funcs[f].blocks.len() {
        let choices: Vec<Target> = match &best.funcs[f].blocks[b].term {
            Term::Brif(_, x, y) => vec![x.clone(), y.clone()],
            Term::BrTable(_, d, ts) => std::iter::once(d)
                .chain(ts)
                .map(|&block| Target {
                    block,
                    args: Vec::new(),
                })
                .collect(),
            Term::Jump(_) | Term::Return(_) | Term::Other { .. } | Term::TryCall(_) => continue,
        };
        for target in choices {
            let mut candidate = best.clone();
            candidate.funcs[f].blocks[b].term = Term::Jump(target);
            if still_fails(&candidate, args) {
                *best = candidate;
                changed = true;
                break;
            }
        }
    }
    changed
}

fn simplify_lines(
    best: &mut Module,
    f: usize,
    args: &[u128],
    still_fails: &mut StillFails<'_>,
) -> bool {
    let mut changed = false;
    for b in 0..best.funcs[f].blocks.len() {
        // Backwards, so a line's users are simplified before it and it can then go as dead.
        let mut l = best.funcs[f].blocks[b].lines.len();
        while l > 0 {
            l -= 1;
            let Some(line) = best.funcs[f].blocks[b].lines.get(l) else {
                continue;
            };
            let dead = !line.effect && {
                let used = best.funcs[f].used_values();
                line.defs.iter().all(|(v, _)| !used.contains(v))
            };
            if line.keep && !dead {
                continue;
            }
            let mut candidate = best.clone();
            if dead || line.defs.is_empty() {
                candidate.funcs[f].blocks[b].lines.remove(l);
            } else if is_zero_constant(line) {
                continue;
            } else {
                let next = &mut candidate.funcs[f].next_val;
                let zeroed = zeros(line, next);
                candidate.funcs[f].blocks[b].lines[l] = zeroed;
            }
            if still_fails(&candidate, args) {
                *best = candidate;
                changed = true;
            }
        }
    }
    changed
}

/// Is the line already what [`zeros`] makes of a one-result line?
fn is_zero_constant(line: &Line) -> bool {
    line.defs.len() == 1
        && line.uses.is_empty()
        && (line.text.ends_with(" 0")
            || line.text.ends_with(" 0x0.0")
            || line.text.contains("= iconst.i64 0\n"))
}

/// The line with every result replaced by a zero constant of its type (temporaries numbered
/// from `next_val`).
fn zeros(line: &Line, next_val: &mut u32) -> Line {
    Line {
        defs: line.defs.clone(),
        uses: Vec::new(),
        text: line
            .defs
            .iter()
            .map(|&(v, t)| {
                *next_val += 1;
                t.zero_text(v, super::program::Val(*next_val - 1))
            })
            .collect::<Vec<_>>()
            .join("\n    "),
        effect: false,
        keep: false,
        oracle: None,
        callee: None,
    }
}

/// Keeps only `func` and the functions it calls, directly or not; returns the module and the
/// new index of `func`.
fn prune_functions(module: &Module, func: usize) -> (Module, usize) {
    let mut keep = vec![false; module.funcs.len()];
    let mut work = vec![func];
    keep[func] = true;
    while let Some(f) = work.pop() {
        for c in module.funcs[f].called() {
            if !keep[c] {
                keep[c] = true;
                work.push(c);
            }
        }
    }
    let new_index: Vec<Option<usize>> = keep
        .iter()
        .scan(0usize, |next, &k| {
            Some(k.then(|| {
                *next += 1;
                *next - 1
            }))
        })
        .collect();
    let funcs: Vec<Func> = module
        .funcs
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(f, _)| {
            let mut f = f.clone();
            // A callee that is no longer called was dropped; its declaration goes too, which
            // renumbers the `fnN` references in the calls that remain.
            let live: Vec<usize> = f.called();
            let old_callees = std::mem::take(&mut f.callees);
            let mut renames = Vec::new();
            for (old_ref, &c) in old_callees.iter().enumerate() {
                if live.contains(&c) {
                    renames.push((old_ref, f.callees.len()));
                    f.callees
                        .push(new_index[c].expect("called functions are kept"));
                }
            }
            let rename = |text: &str| {
                let mut text = text.to_string();
                // Renamed in increasing order of the new index, which is never above the old
                // one, so a renamed reference is not renamed again.
                for &(old_ref, new_ref) in &renames {
                    if old_ref != new_ref {
                        text = rename_fn_ref(&text, old_ref, new_ref);
                    }
                }
                text
            };
            for block in &mut f.blocks {
                for line in &mut block.lines {
                    if let Some(c) = line.callee {
                        line.callee = new_index[c];
                        line.text = rename(&line.text);
                    }
                }
                match &mut block.term {
                    Term::Other {
                        text,
                        callee: callee @ Some(_),
                        ..
                    } => {
                        *callee = callee.and_then(|c| new_index[c]);
                        *text = rename(text);
                    }
                    // In a block no longer reachable the callee may be gone; such blocks are
                    // not printed.
                    Term::TryCall(t) => {
                        if let Some(new) = new_index[t.callee] {
                            t.callee = new;
                            t.call = rename(&t.call);
                        }
                    }
                    _ => {}
                }
            }
            f
        })
        .collect();
    let func = new_index[func].expect("the tested function is kept");
    (
        Module {
            funcs,
            config: module.config.clone(),
        },
        func,
    )
}
