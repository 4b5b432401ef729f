//! Overlap and shadowing between the rules of a term.
//!
//! Rules are compared through their [`Step`]s (which name shared slots, see
//! [`program`](super::program)):
//!
//! * **Overlap** (error): two rules of equal priority *may* match one input — no slot is tested
//!   for two different opcodes, variants or literals, also across slots a repeated variable
//!   makes equal. Guards and extern extractors are assumed able to succeed, as in ISLE, so two
//!   rules told apart only by guards need distinct priorities.
//! * **Shadowing** (warning): a rule can never fire because one higher-priority rule succeeds on
//!   every input it matches (each of that rule's steps is also a step of this one — identical
//!   guards included), or because higher-priority rules that differ from it only by the variant
//!   of one enum slot together cover every variant. This direction is kept sound: a warning
//!   is never wrong, though some shadowing goes unreported.
//!
//! Comparing all pairs would be quadratic in the rules of a term (`lower` may have thousands),
//! so rules are bucketed by priority and by the values they test at the two slots most often
//! tested; only buckets that can agree are compared, and pairs testing one of the sixteen most
//! tested slots for different values are set aside before the full comparison.

use super::diag::{Diagnostic, SourceMap};
use super::program::*;
use super::sema::Checked;
use std::collections::BTreeMap;

/// What a rule tests, prepared for comparisons.
/// (The lists of all rules of a term are kept in three shared arrays, see [`FactLists`].)
struct Facts<'a> {
    /// Steps, sorted (for subset tests).
    steps: &'a [Step],
    /// (slot, value) of every opcode, variant and literal test, sorted by slot.
    tests: &'a [(Slot, u64)],
    eqs: &'a [(Slot, Slot)],
    /// Tests an enum variant somewhere (only such rules can join a variant cover).
    has_variant: bool,
    /// One bit per step (by hash), to reject most non-covering pairs at once: if `s` covers
    /// `r`, every non-`Eq` step of `s` is a step of `r`, so its bit is set in `r`'s signature.
    signature: u64,
}

fn step_bit(s: &Step) -> u64 {
    use std::hash::{Hash, Hasher};
    if matches!(s, Step::Eq { .. }) {
        return 0;
    }
    let mut h = WordHasher::default();
    s.hash(&mut h);
    1 << (h.finish() % 64)
}

/// The sorted steps, tests and equalities of all rules of a term, one after the other (one
/// allocation each instead of three per rule), with each rule's ranges.
#[derive(Default)]
struct FactLists {
    steps: Vec<Step>,
    tests: Vec<(Slot, u64)>,
    eqs: Vec<(Slot, Slot)>,
    /// Per rule: the ends of its ranges in the three lists.
    ends: Vec<(usize, usize, usize)>,
}

impl FactLists {
    fn add<H>(&mut self, p: &Checked<H>, r: &CRule) {
        let (s0, t0) = (self.steps.len(), self.tests.len());
        self.steps.extend_from_slice(&r.steps);
        self.steps[s0..].sort();
        self.tests
            .extend(r.steps.iter().filter_map(|s| test_of(p, s)));
        self.tests[t0..].sort();
        self.eqs.extend(r.steps.iter().filter_map(|s| match *s {
            Step::Eq { a, b } => Some((a, b)),
            _ => None,
        }));
        self.ends
            .push((self.steps.len(), self.tests.len(), self.eqs.len()));
    }

    /// The facts of rule `i` (in the order added), of which `r` is the rule.
    fn facts(&self, i: usize, r: &CRule) -> Facts<'_> {
        let (s0, t0, e0) = if i == 0 { (0, 0, 0) } else { self.ends[i - 1] };
        let (s1, t1, e1) = self.ends[i];
        let has_variant = r.steps.iter().any(|s| matches!(s, Step::Variant { .. }));
        let signature = r.steps.iter().fold(0, |acc, s| acc | step_bit(s));
        Facts {
            signature,
            steps: &self.steps[s0..s1],
            tests: &self.tests[t0..t1],
            eqs: &self.eqs[e0..e1],
            has_variant,
        }
    }
}

fn test_of<H>(p: &Checked<H>, s: &Step) -> Option<(Slot, u64)> {
    match *s {
        Step::Opcode { inst, term, .. } => match p.terms[term.index()].kind {
            TermKind::Opcode { opcode, .. } => Some((inst, u64::from(opcode))),
            _ => None,
        },
        Step::Variant { value, term, .. } => match p.terms[term.index()].kind {
            TermKind::Variant { tag, .. } => Some((value, u64::from(tag))),
            _ => None,
        },
        Step::Lit { slot, value } => Some((slot, value)),
        _ => None,
    }
}

/// Classes of slots made equal by a few `Eq` steps: a small union-find on a list (rules
/// repeat a variable a few times at most, so this beats a hash map).
#[derive(Default)]
struct Classes {
    /// (slot, parent) pairs.
    parent: Vec<(Slot, Slot)>,
}

impl Classes {
    fn find(&self, s: Slot) -> Slot {
        let mut x = s;
        while let Some(&(_, p)) = self.parent.iter().find(|e| e.0 == x) {
            if p == x {
                break;
            }
            x = p;
        }
        x
    }

    fn union(&mut self, a: Slot, b: Slot) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.push((ra, rb));
        }
    }
}

/// Whether some input may satisfy the tests of both rules.
fn may_overlap(a: &Facts, b: &Facts) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.tests.len() && j < b.tests.len() {
        let (sa, va) = a.tests[i];
        let (sb, vb) = b.tests[j];
        if sa == sb && va != vb {
            return false;
        }
        if sa <= sb {
            i += 1;
        } else {
            j += 1;
        }
    }
    if a.eqs.is_empty() && b.eqs.is_empty() {
        return true;
    }
    let mut classes = Classes::default();
    for &(x, y) in a.eqs.iter().chain(b.eqs) {
        classes.union(x, y);
    }
    let mut class_value: Vec<(Slot, u64)> = Vec::new();
    for &(s, v) in a.tests.iter().chain(b.tests) {
        let root = classes.find(s);
        match class_value.iter().find(|c| c.0 == root) {
            Some(&(_, w)) if w != v => return false,
            Some(_) => {}
            None => class_value.push((root, v)),
        }
    }
    true
}

/// Whether every step of `s` also holds whenever `r`'s steps hold.
fn covers(s: &Facts, r: &Facts) -> bool {
    if s.signature & !r.signature != 0 {
        return false;
    }
    s.steps.iter().all(|st| implied(st, r))
}

/// Whether step `st` holds whenever `r`'s steps hold: it is one of them, or an equality they
/// force.
fn implied(st: &Step, r: &Facts) -> bool {
    match *st {
        Step::Eq { a, b } => r.steps.binary_search(st).is_ok() || equal_in(r, a, b),
        _ => r.steps.binary_search(st).is_ok(),
    }
}

/// `a` and `b` are forced equal by `r` (by equalities or equal literals).
fn equal_in(r: &Facts, a: Slot, b: Slot) -> bool {
    let mut classes = Classes::default();
    for &(x, y) in r.eqs {
        classes.union(x, y);
    }
    if classes.find(a) == classes.find(b) {
        return true;
    }
    let lit = |s: Slot| r.tests.iter().find(|t| t.0 == s).map(|t| t.1);
    matches!((lit(a), lit(b)), (Some(x), Some(y)) if x == y)
}

/// Bucket key: priority and the tested values at the two most tested slots.
type Key = (i32, Option<u64>, Option<u64>);
/// The tested values alone.
type Values = (Option<u64>, Option<u64>);

fn compatible(a: &Key, b: &Key) -> bool {
    let agree = |x: Option<u64>, y: Option<u64>| x.is_none() || y.is_none() || x == y;
    agree(a.1, b.1) && agree(a.2, b.2)
}

/// Reports overlapping rules (errors) and shadowed rules (warnings).
pub fn check<H>(p: &Checked<H>, sources: &SourceMap, diags: &mut Vec<Diagnostic>) {
    for (t, rules) in p.rules_of.iter().enumerate() {
        if rules.len() > 1 {
            check_term(p, TermId(t as u32), rules, sources, diags);
        }
    }
}

fn check_term<H>(
    p: &Checked<H>,
    term: TermId,
    rules: &[RuleId],
    sources: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) {
    let mut lists = FactLists::default();
    for r in rules {
        lists.add(p, &p.rules[r.index()]);
    }
    let facts: Vec<Facts> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| lists.facts(i, &p.rules[r.index()]))
        .collect();
    let prios: Vec<i32> = rules.iter().map(|r| p.rules[r.index()].prio).collect();
    let prio = |i: usize| prios[i];
    let mut counts = vec![0usize; p.frames[term.index()].slot_count() as usize];
    for f in &facts {
        for &(s, _) in f.tests {
            counts[s.index()] += 1;
        }
    }
    let mut by_count: Vec<(usize, Slot)> = counts
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c > 0)
        .map(|(s, &c)| (c, Slot(s as u32)))
        .collect();
    by_count.sort_by(|a, b| b.cmp(a));
    let (k1, k2) = (by_count.first().map(|x| x.1), by_count.get(1).map(|x| x.1));
    let value_at =
        |f: &Facts, s: Option<Slot>| s.and_then(|s| f.tests.iter().find(|t| t.0 == s).map(|t| t.1));
    // The values each rule tests at the sixteen most tested slots (bit `k` of the mask: the
    // `k`th of them is tested; values cut to 32 bits): two rules testing one of them for
    // values that differ even so cannot overlap, which settles most pairs before the full
    // comparison (`may_overlap` finds the same conflict).
    let mut rank = vec![u8::MAX; counts.len()];
    for (k, &(_, s)) in by_count.iter().take(16).enumerate() {
        rank[s.index()] = k as u8;
    }
    let quick: Vec<([u32; 16], u16)> = facts
        .iter()
        .map(|f| {
            let mut q = ([0; 16], 0u16);
            // A rule's first test of a slot (the smallest value) is the one `value_at` finds.
            for &(s, v) in f.tests {
                let k = rank[s.index()];
                if k != u8::MAX && q.1 & (1 << k) == 0 {
                    q.0[k as usize] = v as u32;
                    q.1 |= 1 << k;
                }
            }
            q
        })
        .collect();
    let disjoint = |i: usize, j: usize| {
        let (a, b) = (&quick[i], &quick[j]);
        let mut differ = 0u16;
        for k in 0..16 {
            differ |= u16::from(a.0[k] != b.0[k]) << k;
        }
        differ & a.1 & b.1 != 0
    };
    let keys: Vec<Key> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| (prio(i), value_at(f, k1), value_at(f, k2)))
        .collect();
    // Rules grouped by their key values (priority aside), each group by decreasing priority,
    // as (priority, signature, rule) so that the shadowing scan reads one array.
    let mut groups: BTreeMap<Values, Vec<(i32, u64, usize)>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        groups
            .entry((k.1, k.2))
            .or_default()
            .push((prio(i), facts[i].signature, i));
    }
    for g in groups.values_mut() {
        g.sort_by_key(|&(prio, _, i)| (-i64::from(prio), i));
    }
    let label = |i: usize| {
        let r = &p.rules[rules[i].index()];
        format!(
            "{}:{}",
            sources.path(r.span.file),
            sources.line_col(r.span).line
        )
    };

    // Overlap: rules of equal priority in groups that can agree. Sorting by key puts each
    // priority level's groups next to each other.
    let mut keyed: Vec<(Key, usize)> = keys.iter().copied().zip(0..).collect();
    keyed.sort_unstable();
    let by_key: Vec<usize> = keyed.iter().map(|k| k.1).collect();
    let mut level_start = 0;
    while level_start < by_key.len() {
        let p0 = keys[by_key[level_start]].0;
        let level_end = by_key[level_start..]
            .iter()
            .position(|&i| keys[i].0 != p0)
            .map_or(by_key.len(), |n| level_start + n);
        let level = &by_key[level_start..level_end];
        let groups_of_level: Vec<&[usize]> = level.chunk_by(|&a, &b| keys[a] == keys[b]).collect();
        for (ga, a) in groups_of_level.iter().enumerate() {
            for (gb, b) in groups_of_level.iter().enumerate().skip(ga) {
                if !compatible(&keys[a[0]], &keys[b[0]]) {
                    continue;
                }
                for (x, &i) in a.iter().enumerate() {
                    let others = if ga == gb { &b[x + 1..] } else { &b[..] };
                    for &j in others {
                        if !disjoint(i, j) && may_overlap(&facts[i], &facts[j]) {
                            diags.push(overlap_error(p, term, rules, i.min(j), i.max(j), &label));
                        }
                    }
                }
            }
        }
        level_start = level_end;
    }

    // Shadowing: higher-priority rules whose tests are all among this rule's.
    // Without variant tests, only the groups that may cover a rule matter (at most four: those
    // whose key values are open or equal to the rule's); they are visited in the map's order.
    let any_variant = facts.iter().any(|f| f.has_variant);
    type Group = Vec<(i32, u64, usize)>;
    let all_groups: Vec<(&Values, &Group)> = groups.iter().collect();
    let mut candidates: Vec<(&Values, &Group)> = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        let r = &p.rules[rules[i].index()];
        let mut variant_cover: OrderedMap<(Slot, TypeId), Vec<(u32, usize)>> =
            OrderedMap::default();
        let mut shadowed_by = None;
        let visit: &[(&Values, &Group)] = if any_variant {
            &all_groups
        } else {
            candidates.clear();
            let (k1, k2) = (keys[i].1, keys[i].2);
            let mut wanted = [(None, None), (None, k2), (k1, None), (k1, k2)];
            wanted.sort();
            for (n, w) in wanted.iter().enumerate() {
                if n > 0 && wanted[n - 1] == *w {
                    continue;
                }
                if let Some((gk, g)) = groups.get_key_value(w) {
                    candidates.push((gk, g));
                }
            }
            &candidates
        };
        'groups: for &(gk, g) in visit {
            if !compatible(&(0, gk.0, gk.1), &keys[i]) {
                continue;
            }
            // A group testing a key slot that this rule leaves open cannot cover it alone.
            let may_cover =
                (gk.0.is_none() || keys[i].1.is_some()) && (gk.1.is_none() || keys[i].2.is_some());
            for &(_, sig, j) in g.iter().take_while(|x| x.0 > r.prio) {
                // The signature test of `covers` first, on the group's array.
                if may_cover && sig & !f.signature == 0 && covers(&facts[j], f) {
                    shadowed_by = Some(vec![j]);
                    break 'groups;
                }
                if !any_variant || !facts[j].has_variant {
                    continue;
                }
                if let Some((slot, ty, tag)) = covers_but_variant(p, &facts[j], f) {
                    variant_cover.entry((slot, ty)).or_default().push((tag, j));
                }
            }
        }
        if shadowed_by.is_none() {
            shadowed_by = variant_cover.iter().find_map(|(&(_, ty), tags)| {
                let TypeKind::Enum { variants, .. } = &p.types[ty.index()].kind else {
                    return None;
                };
                let all = (0..variants.len() as u32).all(|v| tags.iter().any(|t| t.0 == v));
                all.then(|| tags.iter().map(|t| t.1).collect())
            });
        }
        if let Some(by) = shadowed_by {
            let names: Vec<String> = by.iter().map(|&j| label(j)).collect();
            let mut d = Diagnostic::warning(
                r.pattern_span,
                format!(
                    "rule can never fire: higher-priority rules cover every input it matches ({})",
                    names.join(", ")
                ),
            )
            .with_label("this rule never fires");
            for &j in &by {
                d = d.with_note(
                    p.rules[rules[j].index()].pattern_span,
                    "shadowed by this rule",
                );
            }
            diags.push(d);
        }
    }
}

fn overlap_error<H>(
    p: &Checked<H>,
    term: TermId,
    rules: &[RuleId],
    first: usize,
    second: usize,
    label: &dyn Fn(usize) -> String,
) -> Diagnostic {
    let (r1, r2) = (
        &p.rules[rules[first].index()],
        &p.rules[rules[second].index()],
    );
    let example = example_input(p, term, r1, r2);
    Diagnostic::error(
        r2.pattern_span,
        format!(
            "rules overlap: this rule and the rule at {} have the same priority ({}) and can both match {example}",
            label(first),
            r2.prio
        ),
    )
    .with_label("this rule")
    .with_note(r1.pattern_span, "the other rule")
}

/// If `s` covers `r` except for one variant test on a slot `r` leaves untested (with no
/// tests on that variant's fields), returns that slot and the variant's tag.
fn covers_but_variant<H>(p: &Checked<H>, s: &Facts, r: &Facts) -> Option<(Slot, TypeId, u32)> {
    let mut extra = None;
    for st in s.steps {
        if implied(st, r) {
            continue;
        }
        match (*st, extra) {
            (Step::Variant { value, term, .. }, None) => {
                if r.tests.iter().any(|t| t.0 == value) {
                    return None;
                }
                let TermKind::Variant { ty, tag } = p.terms[term.index()].kind else {
                    return None;
                };
                extra = Some((value, ty, tag, *st));
            }
            _ => return None,
        }
    }
    let (slot, ty, tag, step) = extra?;
    let Step::Variant { term, out, .. } = step else {
        return None;
    };
    let n = p.terms[term.index()].args.len() as u32;
    let touches_fields = s.steps.iter().any(|st| {
        let uses = |x: Slot| x.0 >= out.0 && x.0 < out.0 + n;
        match *st {
            Step::Eq { a, b } => uses(a) || uses(b),
            Step::Lit { slot, .. } => uses(slot),
            Step::Variant { value, .. } | Step::Extract { value, .. } => uses(value),
            Step::DefInst { value, .. } => uses(value),
            _ => false,
        }
    });
    (!touches_fields).then_some((slot, ty, tag))
}

/// An input both rules may match, written as a call of the term with `_` for anything left
/// open and `vN` for values a repeated variable forces equal.
fn example_input<H>(p: &Checked<H>, term: TermId, a: &CRule, b: &CRule) -> String {
    let steps: Vec<Step> = a.steps.iter().chain(&b.steps).copied().collect();
    let mut eq_names: FastMap<Slot, String> = FastMap::default();
    let mut classes = Classes::default();
    for s in &steps {
        if let Step::Eq { a, b } = *s {
            classes.union(a, b);
        }
    }
    let mut roots: Vec<Slot> = Vec::new();
    for s in &steps {
        if let Step::Eq { a, b } = *s {
            for x in [a, b] {
                let root = classes.find(x);
                let n = roots.iter().position(|&r| r == root).unwrap_or_else(|| {
                    roots.push(root);
                    roots.len() - 1
                });
                eq_names.insert(x, format!("v{n}"));
            }
        }
    }
    let arity = p.terms[term.index()].args.len();
    let args: Vec<String> = (0..arity as u32)
        .map(|i| render(p, &steps, &eq_names, Slot(i), 0))
        .collect();
    let mut s = format!("({}", p.terms[term.index()].name);
    for a in args {
        s.push(' ');
        s.push_str(&a);
    }
    s.push(')');
    s
}

fn render<H>(
    p: &Checked<H>,
    steps: &[Step],
    eqs: &FastMap<Slot, String>,
    slot: Slot,
    depth: u32,
) -> String {
    if depth > 16 {
        return "…".to_string();
    }
    let sub = |s: Slot| render(p, steps, eqs, s, depth + 1);
    let mut shape = None;
    let mut ctrl = None;
    for st in steps {
        match *st {
            Step::Lit { slot: s, value } if s == slot => {
                let is_type = steps
                    .iter()
                    .any(|st| matches!(*st, Step::CtrlType { out, .. } if out == slot));
                shape = Some(match p.type_const_names.get(&value) {
                    Some(name) if is_type => format!("${name}"),
                    _ => value.to_string(),
                });
            }
            Step::DefInst { value, inst } if value == slot => shape = Some(sub(inst)),
            Step::CtrlType { inst, out } if inst == slot => ctrl = Some(sub(out)),
            Step::Opcode { inst: s, term, out }
            | Step::Variant {
                value: s,
                term,
                out,
            }
            | Step::Extract {
                value: s,
                term,
                out,
            } if s == slot && shape.is_none() => {
                let info = &p.terms[term.index()];
                let mut text = format!("({}", info.name);
                for k in 0..info.args.len() as u32 {
                    text.push(' ');
                    text.push_str(&sub(Slot(out.0 + k)));
                }
                text.push(')');
                shape = Some(text);
            }
            _ => {}
        }
    }
    let base = shape.unwrap_or_else(|| eqs.get(&slot).cloned().unwrap_or_else(|| "_".to_string()));
    match ctrl {
        Some(ty) => format!("(has_type {ty} {base})"),
        None => base,
    }
}
