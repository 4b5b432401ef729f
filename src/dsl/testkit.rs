//! A small fake IR and a seeded rule-set generator, for the rule language's own tests, fuzzing
//! and benchmark (the real IR and x64 rules are not needed to exercise the DSL).
//!
//! [`FakeIr`] is a straight-line list of instructions over a fake opcode table
//! ([`FAKE_OPCODES`]); each instruction defines one value, and the first values are parameters
//! (defined by no instruction). [`generate_rules`] writes a `.rules` file of `lower` rules over
//! that table with nested opcode patterns, literals, repeated variables, guards and priorities;
//! every rule returns its own index, so a result says which rule fired.

use super::env::TermEnv;
use super::exec::Host;
use super::prelude::standard_env;
use crate::ir::Type;
use std::fmt::Write as _;

/// A seeded xorshift64* generator (deterministic across platforms and runs).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A fake opcode: (name, value operands, immediates as (field, DSL type)).
pub type FakeOpcode = (&'static str, u32, &'static [(&'static str, &'static str)]);

/// The fake opcode table: (name, value operands, immediates as (field, DSL type)). Opcode
/// numbers are positions in this table.
pub const FAKE_OPCODES: &[FakeOpcode] = &[
    ("iadd", 2, &[]),
    ("isub", 2, &[]),
    ("imul", 2, &[]),
    ("iconst", 0, &[("imm", "i64")]),
    ("load", 1, &[("offset", "i32")]),
    ("store", 2, &[("offset", "i32")]),
    ("icmp", 2, &[("cond", "u8")]),
    ("ineg", 1, &[]),
    ("band", 2, &[]),
    ("ishl", 2, &[]),
];

/// The prelude environment plus the fake opcode table.
pub fn fake_env<H: 'static>() -> TermEnv<H> {
    let mut env = standard_env();
    for (number, (name, values, imms)) in FAKE_OPCODES.iter().enumerate() {
        env.opcode(name, number as u32, *values, imms.iter().copied());
    }
    env
}

/// One fake instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeInst {
    pub opcode: u32,
    pub ctrl_type: Type,
    pub values: Vec<u64>,
    pub imms: Vec<u64>,
}

/// A fake function body. Value `v` is a parameter if `v < params`, else the result of
/// instruction `v - params`.
#[derive(Clone, Debug, Default)]
pub struct FakeIr {
    pub params: u64,
    pub insts: Vec<FakeInst>,
}

/// Types the generator and random bodies use.
pub const FAKE_TYPES: [Type; 5] = [Type::I8, Type::I16, Type::I32, Type::I64, Type::F64];

impl FakeIr {
    /// A random body: `params` parameters, then `insts` instructions whose operands are earlier
    /// values and whose immediates are small (so rule literals match often).
    pub fn random(rng: &mut Rng, params: u64, insts: usize) -> FakeIr {
        let mut ir = FakeIr {
            params,
            insts: Vec::new(),
        };
        for i in 0..insts {
            let opcode = rng.below(FAKE_OPCODES.len() as u64) as u32;
            let (_, values, imms) = FAKE_OPCODES[opcode as usize];
            let available = params + i as u64;
            ir.insts.push(FakeInst {
                opcode,
                ctrl_type: *rng.pick(&FAKE_TYPES),
                values: (0..values).map(|_| rng.below(available.max(1))).collect(),
                imms: imms.iter().map(|_| rng.below(9)).collect(),
            });
        }
        ir
    }
}

impl Host for FakeIr {
    fn inst_opcode(&self, inst: u64) -> u32 {
        self.insts[inst as usize].opcode
    }
    fn inst_value(&self, inst: u64, index: u32) -> u64 {
        self.insts[inst as usize].values[index as usize]
    }
    fn inst_immediate(&self, inst: u64, index: u32) -> u64 {
        self.insts[inst as usize].imms[index as usize]
    }
    fn inst_ctrl_type(&self, inst: u64) -> u64 {
        u64::from(self.insts[inst as usize].ctrl_type.code())
    }
    fn value_def(&self, value: u64) -> Option<u64> {
        value.checked_sub(self.params)
    }
}

/// How [`generate_rules`] assigns priorities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priorities {
    /// Every rule its own priority (except twins), following specificity with some noise: the
    /// hardest case for a match tree, which must respect a total order.
    Distinct,
    /// A few levels by specificity, as hand-written rule sets have; rules of one level that
    /// overlap are dropped (the checker finds them), so every level is overlap-free.
    Levels(u32),
}

/// One generated rule before numbering.
struct GenRule {
    key: u64,
    /// A rule and its twin share a group (and so a priority).
    group: usize,
    prio: i64,
    pattern: String,
    guards: String,
    body: u64,
}

/// Writes a rule file of `count` rules for `(decl partial lower (Inst) u64)`, each returning
/// its index. More specific rules (more tests) get higher priorities, as in real rule sets;
/// some rules have a *twin* of equal priority that differs only in one literal of the pattern
/// (so the two cannot overlap).
pub fn generate_rules(seed: u64, count: usize, priorities: Priorities) -> String {
    let mut rng = Rng::new(seed);
    let mut seen = std::collections::HashSet::new();
    let mut rules = Vec::new();
    match priorities {
        Priorities::Distinct => {
            candidates(&mut rng, &mut seen, &mut rules, count);
            let mut by_key: Vec<usize> = (0..rules.len()).collect();
            by_key.sort_by_key(|&i| (rules[i].key, rules[i].group));
            let mut rank = 0;
            for (n, &i) in by_key.iter().enumerate() {
                if n > 0 && rules[i].group != rules[by_key[n - 1]].group {
                    rank += 1;
                }
                rules[i].prio = rank - rules.len() as i64 / 2;
            }
        }
        Priorities::Levels(levels) => {
            // Rules of one level that overlap are dropped, so generate until enough remain.
            for _ in 0..50 {
                let first = rules.len();
                candidates(&mut rng, &mut seen, &mut rules, count);
                for r in &mut rules[first..] {
                    r.prio = (r.key / 8).min(u64::from(levels) - 1) as i64;
                }
                drop_overlapping(&mut rules);
                if rules.len() >= count {
                    break;
                }
            }
        }
    }
    rules.truncate(count);
    let mut out = String::from("(decl partial lower (Inst) u64)\n");
    for (i, r) in rules.iter().enumerate() {
        let _ = writeln!(out, "{}", rule_text(i, r));
    }
    out
}

/// Appends `n` new distinct rules (and some twins) to `rules`.
fn candidates(
    rng: &mut Rng,
    seen: &mut std::collections::HashSet<String>,
    rules: &mut Vec<GenRule>,
    n: usize,
) {
    let target = rules.len() + n;
    while rules.len() < target {
        let mut g = RuleGen {
            rng: &mut *rng,
            vars: Vec::new(),
            lits: Vec::new(),
            text: String::new(),
            next_var: 0,
        };
        g.inst_pattern(3, true);
        let guards = g.guards();
        let pattern = std::mem::take(&mut g.text);
        let lits = std::mem::take(&mut g.lits);
        if !seen.insert(normalized(&pattern, &guards)) {
            continue;
        }
        // Tests the rule makes: opcode and extractor terms (not `has_type`, which only binds),
        // literals, constants and guards. Noise below 8 never reorders different counts.
        let tests = pattern.matches('(').count() - pattern.matches("has_type").count()
            + lits.len()
            + pattern.matches('$').count()
            + guards.matches("(if").count();
        let key = tests as u64 * 8 + rng.below(8);
        let twin = (rules.len() + 1 < target && !lits.is_empty() && rng.chance(25)).then(|| {
            let (lo, hi) = lits[rng.below(lits.len() as u64) as usize];
            format!("{}{}{}", &pattern[..lo], 6 + rng.below(3), &pattern[hi..])
        });
        let body = rng.below(5);
        let group = rules.len();
        if let Some(twin) = twin {
            rules.push(GenRule {
                key,
                group,
                prio: 0,
                pattern: twin,
                guards: guards.clone(),
                body: rng.below(5),
            });
        }
        rules.push(GenRule {
            key,
            group,
            prio: 0,
            pattern,
            guards,
            body,
        });
    }
}

/// Removes the later rule of every pair of equal-priority rules the checker says overlap.
fn drop_overlapping(rules: &mut Vec<GenRule>) {
    loop {
        let mut text = String::from("(decl partial lower (Inst) u64)\n");
        for (i, r) in rules.iter().enumerate() {
            let _ = writeln!(text, "{}", rule_text(i, r));
        }
        let Err(e) = super::compile(with_prelude("gen.rules", &text), fake_env::<FakeIr>()) else {
            return;
        };
        let mut drop: Vec<usize> = e
            .errors()
            .filter(|d| d.message.starts_with("rules overlap"))
            .map(|d| e.sources.line_col(d.span).line as usize - 2)
            .collect();
        if drop.is_empty() {
            return;
        }
        drop.sort_unstable();
        drop.dedup();
        for i in drop.into_iter().rev() {
            rules.remove(i);
        }
    }
}

/// A rule's pattern and guards with variables used only once written as `_`, and `has_type`
/// wrappers that bind nothing dropped: equal texts mean one rule would shadow the other.
fn normalized(pattern: &str, guards: &str) -> String {
    let all = format!("{pattern}{guards}");
    let words: Vec<&str> = all.split([' ', '(', ')']).collect();
    let mut text = format!("{pattern} {guards}");
    for w in &words {
        if w.starts_with("_v") && words.iter().filter(|x| *x == w).count() == 1 {
            text = text
                .replace(&format!("{w} "), "_ ")
                .replace(&format!("{w})"), "_)");
        }
    }
    text.replace("(has_type _ ", "(")
}

fn rule_text(i: usize, r: &GenRule) -> String {
    let body = match r.body {
        0 => format!("(let ((a u64 (u64_add 1 {i}))) (u64_sub a 1))"),
        1 => format!("(u64_add 0 {i})"),
        _ => i.to_string(),
    };
    format!(
        "(rule r{i} {} (lower {}){} {body})",
        r.prio, r.pattern, r.guards
    )
}

struct RuleGen<'a> {
    rng: &'a mut Rng,
    /// Bound variables: (name, DSL type).
    vars: Vec<(String, &'static str)>,
    /// Byte ranges of integer literals in `text` (for twins).
    lits: Vec<(usize, usize)>,
    text: String,
    next_var: u32,
}

impl RuleGen<'_> {
    fn fresh(&mut self, ty: &'static str) -> String {
        let name = format!("_v{}", self.next_var);
        self.next_var += 1;
        self.vars.push((name.clone(), ty));
        name
    }

    /// A pattern on an `Inst`: an opcode term, sometimes under `has_type`.
    fn inst_pattern(&mut self, depth: u32, top: bool) {
        if top && self.rng.chance(40) {
            self.text.push_str("(has_type ");
            match self.rng.below(4) {
                0 => {
                    let t = *self.rng.pick(&["$I8", "$I16", "$I32", "$I64"]);
                    self.text.push_str(t);
                }
                1 => self.text.push_str("(fits_in_32 _)"),
                2 => {
                    let v = self.fresh("Type");
                    self.text.push_str(&v);
                }
                _ => self.text.push('_'),
            }
            self.text.push(' ');
            self.opcode_pattern(depth);
            self.text.push(')');
        } else {
            self.opcode_pattern(depth);
        }
    }

    fn opcode_pattern(&mut self, depth: u32) {
        let (name, values, imms) = *self.rng.pick(FAKE_OPCODES);
        self.text.push('(');
        self.text.push_str(name);
        for _ in 0..values {
            self.text.push(' ');
            self.value_pattern(depth.saturating_sub(1));
        }
        for (_, ty) in imms {
            self.text.push(' ');
            self.imm_pattern(ty);
        }
        self.text.push(')');
    }

    fn value_pattern(&mut self, depth: u32) {
        let repeatable: Vec<String> = self
            .vars
            .iter()
            .filter(|v| v.1 == "Value")
            .map(|v| v.0.clone())
            .collect();
        match self.rng.below(10) {
            0..=2 if depth > 0 => self.opcode_pattern(depth),
            3 if !repeatable.is_empty() => {
                let v = self.rng.pick(&repeatable).clone();
                self.text.push_str(&v);
            }
            4..=6 => {
                let v = self.fresh("Value");
                self.text.push_str(&v);
            }
            _ => self.text.push('_'),
        }
    }

    fn imm_pattern(&mut self, ty: &'static str) {
        match self.rng.below(10) {
            0..=4 => {
                let lo = self.text.len();
                let _ = write!(self.text, "{}", self.rng.below(4));
                self.lits.push((lo, self.text.len()));
            }
            5..=7 => {
                let v = self.fresh(ty);
                self.text.push_str(&v);
            }
            _ => self.text.push('_'),
        }
    }

    /// Zero or more guards over the bound `i64` variables.
    fn guards(&mut self) -> String {
        let ints: Vec<String> = self
            .vars
            .iter()
            .filter(|v| v.1 == "i64")
            .map(|v| v.0.clone())
            .collect();
        let mut g = String::new();
        if ints.is_empty() || !self.rng.chance(50) {
            return g;
        }
        let k = self.rng.pick(&ints).clone();
        match self.rng.below(3) {
            0 => {
                let _ = write!(g, " (if (i64_lt {k} {}))", self.rng.below(5));
            }
            1 => {
                let _ = write!(g, " (if-let $true (u64_is_zero (i64_as_u64 {k})))");
            }
            _ => {
                let _ = write!(g, " (if-let _x (u64_nonzero (i64_as_u64 {k})))");
            }
        }
        g
    }
}

/// The embedded prelude plus one more file.
pub fn with_prelude(path: &str, text: &str) -> super::SourceMap {
    let mut sources = super::embedded_sources();
    sources.add(path, text);
    sources
}

impl FakeIr {
    /// A body whose last-built instruction is shaped to match rule `rule` (a rule of a term
    /// over one `Inst`): the opcodes, literal immediates and controlling type its pattern
    /// tests, with everything else random. Guards, extractors and repeated variables may still
    /// reject it. Returns the body and the instruction to lower.
    pub fn matching<H>(
        prog: &super::RuleProgram<H>,
        rule: super::RuleId,
        rng: &mut Rng,
    ) -> (FakeIr, u64) {
        use super::program::{Slot, Step, TermKind};
        let steps = &prog.rules[rule.index()].steps;
        let mut ir = FakeIr {
            params: 3,
            insts: Vec::new(),
        };
        // Builds the instruction in `slot` (inner instructions first); returns its index.
        fn build<H>(
            prog: &super::RuleProgram<H>,
            steps: &[Step],
            slot: Slot,
            ir: &mut FakeIr,
            rng: &mut Rng,
        ) -> u64 {
            let shape = steps.iter().find_map(|s| match *s {
                Step::Opcode { inst, term, out } if inst == slot => Some((term, out)),
                _ => None,
            });
            let (opcode, values, imms, out) = match shape {
                Some((term, out)) => match prog.terms[term.index()].kind {
                    TermKind::Opcode { opcode, value_args } => {
                        let n = prog.terms[term.index()].args.len() as u32;
                        (opcode, value_args, n - value_args, Some(out))
                    }
                    _ => (0, 2, 0, None),
                },
                None => (0, 2, 0, None),
            };
            let lit = |s: Slot| {
                steps.iter().find_map(|st| match *st {
                    Step::Lit { slot, value } if slot == s => Some(value),
                    _ => None,
                })
            };
            let ctrl = steps.iter().find_map(|s| match *s {
                Step::CtrlType { inst, out } if inst == slot => Some(out),
                _ => None,
            });
            let ctrl_type = ctrl
                .and_then(lit)
                .and_then(|code| Type::from_code(code as u8))
                .unwrap_or(*rng.pick(&FAKE_TYPES));
            let mut vals = Vec::new();
            for k in 0..values {
                let v = out.map(|o| Slot(o.0 + k));
                let def = v.and_then(|v| {
                    steps.iter().find_map(|s| match *s {
                        Step::DefInst { value, inst } if value == v => Some(inst),
                        _ => None,
                    })
                });
                vals.push(match def {
                    Some(inner) => ir.params + build(prog, steps, inner, ir, rng),
                    None => rng.below(ir.params),
                });
            }
            let imm_values = (0..imms)
                .map(|j| {
                    out.and_then(|o| lit(Slot(o.0 + values + j)))
                        .unwrap_or_else(|| rng.below(9))
                })
                .collect();
            ir.insts.push(FakeInst {
                opcode,
                ctrl_type,
                values: vals,
                imms: imm_values,
            });
            ir.insts.len() as u64 - 1
        }
        let root = build(prog, steps, Slot(0), &mut ir, rng);
        (ir, root)
    }
}
