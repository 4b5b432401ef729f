//! The mutants of a rule set: each one small edit to one rule of one file, made from the
//! rule's syntax tree so that it lands on a whole argument, guard, literal or name.
//!
//! | operator | edit |
//! |---|---|
//! | [`Operator::SwapArgs`] | two different arguments of a constructor call change places |
//! | [`Operator::Variant`] | an enum variant (a condition code, an ALU operation…) becomes the one declared before or after it |
//! | [`Operator::Width`] | an operand width in an instruction or helper name (`add_r64_rm64` → `add_r32_rm32`), or a type constant (`$I32` → `$I64`), becomes a neighbouring one that exists |
//! | [`Operator::Literal`] | an integer literal `k` becomes `k + 1` (0 and 1 swap) |
//! | [`Operator::DropGuard`] | an `(if …)` or `(if-let …)` guard disappears |
//!
//! The list depends only on the rule texts and the program's term names, so the parent of a
//! mutation run and each process that judges one mutant number the mutants alike.

use crate::dsl::ast::{AstArena, Def, Expr, Guard, Herd, Pattern, Rule, TypeBody};
use crate::dsl::{parse::parse_file, FileId, SourceMap};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The kind of an edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    SwapArgs,
    Variant,
    Width,
    Literal,
    DropGuard,
}

impl Operator {
    pub const ALL: [Operator; 5] = [
        Operator::SwapArgs,
        Operator::Variant,
        Operator::Width,
        Operator::Literal,
        Operator::DropGuard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operator::SwapArgs => "swap arguments",
            Operator::Variant => "enum variant",
            Operator::Width => "operand width",
            Operator::Literal => "literal",
            Operator::DropGuard => "drop guard",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One mutant: `text[lo..hi]` of file `file` of the source map replaced by `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    pub file: FileId,
    pub lo: usize,
    pub hi: usize,
    pub replacement: String,
    pub operator: Operator,
    /// `path:line` of the rule the edit is in (how coverage names rules, less their names).
    pub rule: String,
    /// What changed, in words (`Cc.E → Cc.Ne`).
    pub what: String,
}

impl Mutant {
    /// The source map with this mutant's edit made.
    pub fn apply(&self, sources: &SourceMap) -> SourceMap {
        let mut out = SourceMap::new();
        for f in sources.file_ids() {
            let text = sources.text(f);
            if f == self.file {
                let edited = format!(
                    "{}{}{}",
                    &text[..self.lo],
                    self.replacement,
                    &text[self.hi..]
                );
                out.add(sources.path(f), edited);
            } else {
                out.add(sources.path(f), text);
            }
        }
        out
    }
}

/// The mutants of the rules of every file of `sources` but the prelude, in file and source
/// order. `terms` are the program's term names (a width edit must name a term that exists).
/// Files that do not parse have none.
pub fn mutants(sources: &SourceMap, terms: &HashSet<String>) -> Vec<Mutant> {
    let herd = Herd::new();
    let arena = AstArena::new(&herd);
    let parsed: Vec<(FileId, Vec<Def<'_>>)> = sources
        .file_ids()
        .filter_map(|f| Some((f, parse_file(f, sources.text(f), &arena).ok()?)))
        .collect();
    let mut enums: HashMap<String, Vec<String>> = HashMap::new();
    for (_, defs) in &parsed {
        for def in defs {
            if let Def::Type(t) = def {
                if let TypeBody::Enum(variants) = &t.body {
                    let names = variants.iter().map(|v| v.name.name.to_string()).collect();
                    enums.insert(t.name.name.to_string(), names);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (file, defs) in &parsed {
        let path = sources.path(*file);
        if std::path::Path::new(path).file_name() == Some("prelude.rules".as_ref()) {
            continue;
        }
        let text = sources.text(*file);
        for def in defs {
            if let Def::Rule(rule) = def {
                let line = text[..rule.span.lo as usize].matches('\n').count() + 1;
                let mut walk = Walk {
                    file: *file,
                    text,
                    rule: format!("{path}:{line}"),
                    enums: &enums,
                    terms,
                    out: &mut out,
                };
                walk.rule(rule);
            }
        }
    }
    out
}

struct Walk<'a> {
    file: FileId,
    text: &'a str,
    rule: String,
    enums: &'a HashMap<String, Vec<String>>,
    terms: &'a HashSet<String>,
    out: &'a mut Vec<Mutant>,
}

impl Walk<'_> {
    fn push(&mut self, lo: u32, hi: u32, replacement: String, operator: Operator, what: String) {
        self.out.push(Mutant {
            file: self.file,
            lo: lo as usize,
            hi: hi as usize,
            replacement,
            operator,
            rule: self.rule.clone(),
            what,
        });
    }

    fn src(&self, lo: u32, hi: u32) -> &str {
        &self.text[lo as usize..hi as usize]
    }

    fn rule(&mut self, rule: &Rule<'_>) {
        self.pattern(&rule.pattern);
        for guard in rule.guards {
            let span = match guard {
                Guard::IfLet(p, e, span) => {
                    self.pattern(p);
                    self.expr(e);
                    *span
                }
                Guard::If(e, span) => {
                    self.expr(e);
                    *span
                }
            };
            let shown = one_line(self.src(span.lo, span.hi));
            self.push(
                span.lo,
                span.hi,
                String::new(),
                Operator::DropGuard,
                format!("drop {shown}"),
            );
        }
        self.expr(&rule.body);
    }

    fn pattern(&mut self, p: &Pattern<'_>) {
        match p {
            Pattern::Wildcard(_) | Pattern::Var(_) => {}
            Pattern::Int(v, span) => self.literal(*v, span.lo, span.hi),
            Pattern::Const(c) => self.constant(c.name, c.span.lo, c.span.hi),
            Pattern::Bind(_, inner) => self.pattern(inner),
            Pattern::And(ps, _) => ps.iter().for_each(|p| self.pattern(p)),
            Pattern::Term(name, args, _) => {
                self.name(name.name, name.span.lo, name.span.hi);
                args.iter().for_each(|p| self.pattern(p));
            }
        }
    }

    fn expr(&mut self, e: &Expr<'_>) {
        match e {
            Expr::Var(_) => {}
            Expr::Int(v, span) => self.literal(*v, span.lo, span.hi),
            Expr::Const(c) => self.constant(c.name, c.span.lo, c.span.hi),
            Expr::Call(name, args, _) => {
                self.name(name.name, name.span.lo, name.span.hi);
                self.swaps(name.name, args);
                args.iter().for_each(|a| self.expr(a));
            }
            Expr::Let(bindings, body, _) => {
                bindings.iter().for_each(|b| self.expr(&b.value));
                self.expr(body);
            }
        }
    }

    /// Every pair of different arguments of a call, swapped.
    fn swaps(&mut self, callee: &str, args: &[Expr<'_>]) {
        for i in 0..args.len() {
            for j in i + 1..args.len() {
                let (a, b) = (args[i].span(), args[j].span());
                let (ta, tb) = (self.src(a.lo, a.hi), self.src(b.lo, b.hi));
                if ta == tb {
                    continue;
                }
                let between = self.src(a.hi, b.lo);
                let replacement = format!("{tb}{between}{ta}");
                let what = format!(
                    "swap arguments {} and {} of {callee} ({} ↔ {})",
                    i + 1,
                    j + 1,
                    one_line(ta),
                    one_line(tb)
                );
                self.push(a.lo, b.hi, replacement, Operator::SwapArgs, what);
            }
        }
    }

    /// `k` → `k + 1`, except that 0 and 1 swap (the literal's text is replaced in decimal,
    /// or in hex when it was written in hex).
    fn literal(&mut self, v: i128, lo: u32, hi: u32) {
        let new = match v {
            0 => 1,
            1 => 0,
            v => v.wrapping_add(1),
        };
        let old = self.src(lo, hi).to_string();
        let replacement = if old.contains("0x") && new >= 0 {
            format!("{new:#x}")
        } else {
            new.to_string()
        };
        self.push(
            lo,
            hi,
            replacement.clone(),
            Operator::Literal,
            format!("{old} → {replacement}"),
        );
    }

    /// A type constant's width: `$I32` ↔ `$I64`, `$I8` ↔ `$I16`, `$I128` → `$I64`, `$F32` ↔
    /// `$F64`.
    fn constant(&mut self, name: &str, lo: u32, hi: u32) {
        let new = match name {
            "I8" => "I16",
            "I16" => "I8",
            "I32" => "I64",
            "I64" => "I32",
            "I128" => "I64",
            "F32" => "F64",
            "F64" => "F32",
            _ => return,
        };
        let old = self.src(lo, hi).to_string();
        let replacement = old.replacen(name, new, 1);
        self.push(
            lo,
            hi,
            replacement.clone(),
            Operator::Width,
            format!("{old} → {replacement}"),
        );
    }

    /// A term name: an enum variant's neighbours, and the names with one of its widths
    /// changed that are terms too.
    fn name(&mut self, name: &str, lo: u32, hi: u32) {
        if let Some((ty, variant)) = name.split_once('.') {
            let Some(variants) = self.enums.get(ty) else {
                return;
            };
            let Some(i) = variants.iter().position(|v| v == variant) else {
                return;
            };
            let n = variants.len();
            let mut others = vec![(i + 1) % n];
            if n > 2 {
                others.push((i + n - 1) % n);
            }
            for k in others {
                let new = format!("{ty}.{}", variants[k]);
                self.push(
                    lo,
                    hi,
                    new.clone(),
                    Operator::Variant,
                    format!("{name} → {new}"),
                );
            }
            return;
        }
        for width in widths_in(name) {
            let alternatives: &[u32] = match width {
                64 => &[32],
                32 => &[64, 16],
                16 => &[32, 8],
                _ => &[16, 32],
            };
            let renamed = alternatives
                .iter()
                .map(|&w| with_width(name, width, w))
                .find(|n| self.terms.contains(n));
            if let Some(new) = renamed {
                self.push(
                    lo,
                    hi,
                    new.clone(),
                    Operator::Width,
                    format!("{name} → {new}"),
                );
            }
        }
    }
}

/// The widths (8, 16, 32, 64) that end some `_`-separated word of `name` after letters
/// (`r64`, `rm8`, `imm32`, `zext64`), each once.
fn widths_in(name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for word in name.split('_') {
        if let Some(w) = word_width(word) {
            if !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

fn word_width(word: &str) -> Option<u32> {
    let digits = word.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = word.len() - digits.len();
    if letters == 0 {
        return None;
    }
    match digits {
        "8" | "16" | "32" | "64" => digits.parse().ok(),
        _ => None,
    }
}

/// `name` with every word that ends in width `from` ending in `to` instead.
fn with_width(name: &str, from: u32, to: u32) -> String {
    name.split('_')
        .map(|word| match word_width(word) {
            Some(w) if w == from => {
                let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
                format!("{letters}{to}")
            }
            _ => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// Source text on one line, whitespace runs squeezed, cut at 60 characters.
fn one_line(s: &str) -> String {
    let squeezed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if squeezed.chars().count() > 60 {
        let cut: String = squeezed.chars().take(57).collect();
        format!("{cut}…")
    } else {
        squeezed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> SourceMap {
        let mut map = SourceMap::new();
        map.add("x/prelude.rules", "(type u64 (primitive u64))");
        map.add("x/a.rules", text);
        map
    }

    #[test]
    fn each_operator_edits_whole_syntax() {
        let text = "(type Cc (enum E Ne B))\n\
                    (rule (f x) (if-let 3 (g x)) (add_r64_rm64 x (Cc.E) $I32))\n";
        let terms: HashSet<String> = ["add_r32_rm32", "add_r64_rm64"].map(String::from).into();
        let map = sources(text);
        let all = mutants(&map, &terms);
        let edited: Vec<(Operator, String)> = all
            .iter()
            .map(|m| {
                let out = m.apply(&map);
                let t = out.text(FileId(1));
                (m.operator, t.lines().nth(1).unwrap().to_string())
            })
            .collect();
        let has = |op: Operator, line: &str| {
            assert!(
                edited.iter().any(|(o, l)| *o == op && l == line),
                "{op}: {line} not in {edited:#?}"
            )
        };
        has(
            Operator::Literal,
            "(rule (f x) (if-let 4 (g x)) (add_r64_rm64 x (Cc.E) $I32))",
        );
        has(
            Operator::DropGuard,
            "(rule (f x)  (add_r64_rm64 x (Cc.E) $I32))",
        );
        has(
            Operator::Width,
            "(rule (f x) (if-let 3 (g x)) (add_r32_rm32 x (Cc.E) $I32))",
        );
        has(
            Operator::Width,
            "(rule (f x) (if-let 3 (g x)) (add_r64_rm64 x (Cc.E) $I64))",
        );
        has(
            Operator::Variant,
            "(rule (f x) (if-let 3 (g x)) (add_r64_rm64 x (Cc.Ne) $I32))",
        );
        has(
            Operator::Variant,
            "(rule (f x) (if-let 3 (g x)) (add_r64_rm64 x (Cc.B) $I32))",
        );
        has(
            Operator::SwapArgs,
            "(rule (f x) (if-let 3 (g x)) (add_r64_rm64 (Cc.E) x $I32))",
        );
        has(
            Operator::SwapArgs,
            "(rule (f x) (if-let 3 (g x)) (add_r64_rm64 $I32 (Cc.E) x))",
        );
        // Three swaps, two variants, two widths, a literal, a guard.
        assert_eq!(all.len(), 9, "{all:#?}");
        assert!(all.iter().all(|m| m.rule == "x/a.rules:2"));
    }

    #[test]
    fn widths_are_words_ending_in_a_width() {
        assert_eq!(widths_in("movzx_r32_rm8"), vec![32, 8]);
        assert_eq!(with_width("movzx_r32_rm8", 8, 16), "movzx_r32_rm16");
        assert_eq!(widths_in("x64_thing"), vec![64]);
        assert_eq!(widths_in("f64_const"), vec![64]);
        assert!(widths_in("i128_lo").is_empty());
        assert!(widths_in("cmp").is_empty());
    }
}
