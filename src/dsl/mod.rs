//! The rule language: lexer, parser, checker, match-tree compiler and executor.
//!
//! ```text
//! .rules text ─lexer/parse─▶ ast ─sema+decls (+ host TermEnv)─▶ Checked ─overlap─▶ findings
//!                                                                  │
//!                                                                  └─compile─▶ MatchCode ─exec─▶ results
//! ```
//!
//! Entry points: [`compile()`] turns a [`SourceMap`] of rule files and a [`TermEnv`] into a
//! [`RuleProgram`] (or located diagnostics); a [`Machine`] runs a term of the program against
//! a [`Host`]. [`EMBEDDED_RULES`] are the rule files built into the binary
//! ([`compile_embedded_once`] compiles them once per process), and [`load_rules_dir`] reads
//! another directory at run time.
//!
//! # The language
//!
//! S-expressions; `;` comments to the end of the line; all files of a directory form one
//! program (declaration order does not matter).
//!
//! ```text
//! (type u64 (primitive u64))                 ; one word; names the Rust type externs use
//! (type Amode (enum (Imm (base Value) (off u64)) Zero))   ; variants are terms Amode.Imm …
//! (decl partial lower (Inst) u64)            ; signature; `partial` = may fail
//! (decl add_imm (u64 u64) u64)
//! (extern constructor add_imm rust_add)      ; bound to a closure registered in the TermEnv
//! (extern extractor fits_in_32 fits_in_32)   ; (decl fits_in_32 (Type) Type) used in patterns
//! (const $Ten u64 10)                        ; host constants ($I64 …) come from the TermEnv
//! (rule name 2                               ; optional name and priority (default 0)
//!   (lower (has_type $I64 (iadd x (iconst k))))   ; pattern: the term and its arguments
//!   (if-let 0 (u64_and (i64_as_u64 k) 1))    ; guard: match a pattern on an expression
//!   (if (i64_lt k 100))                      ; guard: succeeds, and is true if a bool
//!   (let ((v u64 (i64_as_u64 k))) (add_imm v 1)))  ; right-hand side
//! ```
//!
//! Patterns: `_`; a variable (a repeated variable tests equality); integer literals (decimal,
//! `0x`, `0b`, negative) and `$Constants`; `(term pat…)` for opcode terms, enum variants,
//! extern extractors and `(has_type ty inst)`; `(and pat…)`; `name @ pat`. An opcode term
//! matched on a `Value` matches the instruction defining it. Expressions: variables, literals,
//! constants, calls of constructors (rule-defined, extern, host or enum variants) and `let`.
//! Rules of equal priority must not overlap; higher priorities are tried first; a failed test
//! or guard falls back to the next rule; once a rule's guards pass, its right-hand side is the
//! result (failure there fails the term).

pub mod ast;
pub mod compile;
pub mod decls;
pub mod diag;
pub mod env;
pub mod exec;
pub mod exhaustive;
pub mod fastparse;
pub mod format;
pub mod lexer;
pub mod overlap;
pub mod parse;
pub mod prelude;
pub mod program;
pub mod reference;
pub mod sema;
pub mod termination;
pub mod testkit;
pub mod threads;
pub mod why_not;

pub use diag::{Diagnostic, FileId, Severity, SourceMap, Span, Style};
pub use env::{TermEnv, Word};
pub use exec::{ExecError, Host, Machine, MatchCode};
pub use program::{RuleId, TermId};
pub use reference::Reference;

use env::ExternFn;
use program::{CRule, OrderedMap, TermFrame, TermInfo, TypeInfo};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The rule files built into the binary, as (path, text).
pub const EMBEDDED_RULES: &[(&str, &str)] = &[(
    "rules/prelude.rules",
    include_str!("../../rules/prelude.rules"),
)];

/// The x64 lowering rules built into the binary, as (path, text). They need the lowering
/// environment (`isa::x64::lower::terms::lower_env`), so they are kept apart from the
/// target-independent [`EMBEDDED_RULES`]; [`embedded_x64_sources`] gives both.
pub const EMBEDDED_X64_RULES: &[(&str, &str)] = &[
    (
        "rules/x64/types.rules",
        include_str!("../../rules/x64/types.rules"),
    ),
    (
        "rules/x64/lower.rules",
        include_str!("../../rules/x64/lower.rules"),
    ),
    (
        "rules/x64/arith.rules",
        include_str!("../../rules/x64/arith.rules"),
    ),
    (
        "rules/x64/control.rules",
        include_str!("../../rules/x64/control.rules"),
    ),
    (
        "rules/x64/memory.rules",
        include_str!("../../rules/x64/memory.rules"),
    ),
    (
        "rules/x64/division.rules",
        include_str!("../../rules/x64/division.rules"),
    ),
    (
        "rules/x64/shifts.rules",
        include_str!("../../rules/x64/shifts.rules"),
    ),
    (
        "rules/x64/float.rules",
        include_str!("../../rules/x64/float.rules"),
    ),
    (
        "rules/x64/bits.rules",
        include_str!("../../rules/x64/bits.rules"),
    ),
    (
        "rules/x64/overflow.rules",
        include_str!("../../rules/x64/overflow.rules"),
    ),
    (
        "rules/x64/i128.rules",
        include_str!("../../rules/x64/i128.rules"),
    ),
    (
        "rules/x64/atomics.rules",
        include_str!("../../rules/x64/atomics.rules"),
    ),
    (
        "rules/x64/vector_memory.rules",
        include_str!("../../rules/x64/vector_memory.rules"),
    ),
    (
        "rules/x64/vector_ops.rules",
        include_str!("../../rules/x64/vector_ops.rules"),
    ),
    (
        "rules/x64/vector_arith.rules",
        include_str!("../../rules/x64/vector_arith.rules"),
    ),
    (
        "rules/x64/vector_compare.rules",
        include_str!("../../rules/x64/vector_compare.rules"),
    ),
    (
        "rules/x64/vector_shifts.rules",
        include_str!("../../rules/x64/vector_shifts.rules"),
    ),
    (
        "rules/x64/vector_lanes.rules",
        include_str!("../../rules/x64/vector_lanes.rules"),
    ),
    (
        "rules/x64/vector_float.rules",
        include_str!("../../rules/x64/vector_float.rules"),
    ),
    (
        "rules/x64/vector_convert.rules",
        include_str!("../../rules/x64/vector_convert.rules"),
    ),
];

/// A [`SourceMap`] of [`EMBEDDED_RULES`] followed by [`EMBEDDED_X64_RULES`].
pub fn embedded_x64_sources() -> SourceMap {
    let mut map = embedded_sources();
    for (path, text) in EMBEDDED_X64_RULES {
        map.add(*path, *text);
    }
    map
}

/// A [`SourceMap`] of [`EMBEDDED_RULES`].
pub fn embedded_sources() -> SourceMap {
    let mut map = SourceMap::new();
    for (path, text) in EMBEDDED_RULES {
        map.add(*path, *text);
    }
    map
}

/// Compiles the embedded rules with the environment `env` makes, once per process: later
/// calls return the same program (or the same errors). A host keeps the cell in a `static`:
///
/// ```ignore
/// static RULES: OnceLock<Result<RuleProgram<LowerCtx>, CompileError>> = OnceLock::new();
/// let rules = dsl::compile_embedded_once(&RULES, x64_term_env)?;
/// ```
pub fn compile_embedded_once<H>(
    cell: &'static OnceLock<Result<RuleProgram<H>, CompileError>>,
    env: impl FnOnce() -> TermEnv<H>,
) -> Result<&'static RuleProgram<H>, &'static CompileError> {
    cell.get_or_init(|| compile(embedded_sources(), env()))
        .as_ref()
}

/// Reads every `*.rules` file under `dir` (recursively, in path order).
pub fn load_rules_dir(dir: &Path) -> Result<SourceMap, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "rules") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{}: no .rules files", dir.display()));
    }
    let mut map = SourceMap::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        map.add(p.display().to_string(), text);
    }
    Ok(map)
}

/// A compiled rule program, ready to run.
pub struct RuleProgram<H> {
    pub sources: SourceMap,
    /// Warnings found while compiling (unused variables, shadowed rules).
    pub warnings: Vec<Diagnostic>,
    pub code: MatchCode,
    pub compile_time: Duration,
    /// Time spent parsing, checking, analysing overlap and building match trees.
    pub phase_times: PhaseTimes,
    pub(crate) types: Vec<TypeInfo>,
    pub(crate) terms: Vec<TermInfo>,
    pub(crate) rules: Vec<CRule>,
    pub(crate) frames: Vec<TermFrame>,
    pub(crate) rules_of: Vec<Vec<RuleId>>,
    pub(crate) externs: Vec<ExternFn<H>>,
    term_names: OrderedMap<String, TermId>,
    /// Names of the constants of type `Type`, by value (to write `$I64` in explanations).
    pub(crate) type_const_names: program::FastMap<u64, String>,
}

impl<H> RuleProgram<H> {
    /// The term named `name` (declared, opcode, variant `Enum.Variant` or built in).
    pub fn term(&self, name: &str) -> Option<TermId> {
        self.term_names.get(name).copied()
    }

    /// Every term's name, in declaration order.
    pub fn term_names(&self) -> impl Iterator<Item = (&str, TermId)> {
        self.term_names.iter().map(|(n, &t)| (n.as_str(), t))
    }

    pub fn term_name(&self, t: TermId) -> &str {
        &self.terms[t.index()].name
    }

    pub fn term_arity(&self, t: TermId) -> usize {
        self.terms[t.index()].args.len()
    }

    pub fn term_partial(&self, t: TermId) -> bool {
        self.terms[t.index()].partial
    }

    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The rules of a term, in definition order.
    pub fn rules_of(&self, t: TermId) -> &[RuleId] {
        &self.rules_of[t.index()]
    }

    /// The stable id of a rule: `path:line`, followed by its name if it has one.
    pub fn rule_label(&self, r: RuleId) -> String {
        let rule = &self.rules[r.index()];
        let lc = self.sources.line_col(rule.span);
        let mut s = format!("{}:{}", self.sources.path(rule.span.file), lc.line);
        if let Some(n) = &rule.name {
            let _ = write!(s, " {n}");
        }
        s
    }

    /// A rule's priority (higher is tried first).
    pub fn rule_priority(&self, r: RuleId) -> i32 {
        self.rules[r.index()].prio
    }

    /// Where a rule's pattern (its term and the patterns of its arguments) is written.
    pub fn rule_pattern_span(&self, r: RuleId) -> Span {
        self.rules[r.index()].pattern_span
    }

    /// Where a rule is written (the whole `(rule …)` form).
    pub fn rule_span(&self, r: RuleId) -> Span {
        self.rules[r.index()].span
    }

    /// The source text of a rule (the whole `(rule …)` form).
    pub fn rule_source(&self, r: RuleId) -> &str {
        let span = self.rule_span(r);
        let text = self.sources.text(span.file);
        text.get(span.lo as usize..span.hi as usize).unwrap_or("")
    }

    /// The rule with the given name, if any rule has it.
    pub fn rule_named(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.name.as_deref() == Some(name))
            .map(|i| RuleId(i as u32))
    }

    /// A coverage report: one line per rule, `count  label`, unfired rules marked.
    pub fn coverage_report(&self, counts: &[u64]) -> String {
        let mut out = String::new();
        for (i, &c) in counts.iter().enumerate() {
            let mark = if c == 0 { "  (never fired)" } else { "" };
            let _ = writeln!(out, "{c:>10}  {}{mark}", self.rule_label(RuleId(i as u32)));
        }
        out
    }
}

/// Where compile time went. The overlap analysis and the match trees are built side by side
/// (on two threads when the machine has two cores), so their times may add up to more than
/// their share of the total.
#[derive(Clone, Copy, Debug, Default)]
pub struct PhaseTimes {
    pub parse: Duration,
    pub check: Duration,
    pub overlap: Duration,
    pub match_trees: Duration,
}

/// A program that did not compile: the diagnostics (errors and warnings) and the sources they
/// point into.
pub struct CompileError {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Findings sorted by file and position, so they read top to bottom.
fn in_source_order(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by_key(|d| (d.span.file, d.span.lo));
    diags
}

impl CompileError {
    fn new(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> CompileError {
        CompileError {
            sources,
            diagnostics: in_source_order(diagnostics),
        }
    }

    /// Every diagnostic rendered as plain text with its location and source lines.
    pub fn render(&self) -> String {
        self.render_styled(Style::Plain)
    }

    /// Every diagnostic rendered in `style`.
    pub fn render_styled(&self, style: Style) -> String {
        self.diagnostics
            .iter()
            .map(|d| self.sources.render_styled(d, style))
            .collect()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl std::fmt::Debug for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// Parses, checks and compiles all files of `sources` against the host environment `env`.
/// Host-registered terms appear in messages as lines of a synthetic `<host>` file.
pub fn compile<H>(mut sources: SourceMap, env: TermEnv<H>) -> Result<RuleProgram<H>, CompileError> {
    let start = Instant::now();
    let files: Vec<FileId> = sources.file_ids().collect();
    let host_spans = add_host_file(&mut sources, &env);
    let mut diags = Vec::new();
    let mut asts = Vec::new();
    let texts: Vec<(FileId, &str)> = files.iter().map(|&f| (f, sources.text(f))).collect();
    let herd = ast::Herd::new();
    for parsed in parse::parse_files(&texts, &herd) {
        match parsed {
            Ok(defs) => asts.push(defs),
            Err(d) => diags.push(d),
        }
    }
    let mut phases = PhaseTimes {
        parse: start.elapsed(),
        ..PhaseTimes::default()
    };
    if diags.iter().any(|d| d.is_error()) {
        return Err(CompileError::new(sources, diags));
    }
    let Some(checked) = sema::check(&asts, env, &host_spans, &mut diags) else {
        return Err(CompileError::new(sources, diags));
    };
    phases.check = start.elapsed() - phases.parse;
    termination::check(&checked, &mut diags);
    // The overlap analysis and the match trees only read the checked program, so they are
    // built side by side (the trees are thrown away when the analysis finds an error), and
    // the syntax trees, no longer needed, are freed beside them.
    let ((code, trees_time), (mut overlap_diags, overlap_time)) = threads::join(
        || {
            let t = Instant::now();
            let code = compile::compile(&checked);
            let elapsed = t.elapsed();
            drop(asts);
            (code, elapsed)
        },
        || {
            let t = Instant::now();
            let mut found = Vec::new();
            overlap::check(&checked, &sources, &mut found);
            (found, t.elapsed())
        },
    );
    phases.overlap = overlap_time;
    phases.match_trees = trees_time;
    diags.append(&mut overlap_diags);
    if diags.iter().any(|d| d.is_error()) {
        return Err(CompileError::new(sources, diags));
    }
    let compile_time = start.elapsed();
    Ok(RuleProgram {
        sources,
        warnings: in_source_order(diags),
        code,
        compile_time,
        phase_times: phases,
        types: checked.types,
        terms: checked.terms,
        rules: checked.rules,
        frames: checked.frames,
        rules_of: checked.rules_of,
        externs: checked.externs,
        term_names: checked.term_names,
        type_const_names: checked.type_const_names,
    })
}

/// Writes one line per host-registered term or constant into a `<host>` file, so that
/// findings about them have a location to point at.
fn add_host_file<H>(sources: &mut SourceMap, env: &TermEnv<H>) -> sema::HostSpans {
    let mut text = String::new();
    let line = |text: &mut String, s: String| {
        let lo = text.len();
        text.push_str(&s);
        text.push('\n');
        (lo, lo + s.len())
    };
    let has_type = line(&mut text, "(builtin has_type (Type Inst) Inst)".to_string());
    let mut ranges = (Vec::new(), Vec::new(), Vec::new());
    for op in &env.opcodes {
        let imms: Vec<&str> = op.immediates.iter().map(|i| i.1.as_str()).collect();
        let s = format!(
            "(opcode {} {} (values {}) (immediates {}))",
            op.name,
            op.opcode,
            op.value_args,
            imms.join(" ")
        );
        ranges.0.push(line(&mut text, s));
    }
    for t in &env.host_terms {
        let s = format!("(host-term {} ({}) {})", t.name, t.args.join(" "), t.ret);
        ranges.1.push(line(&mut text, s));
    }
    for c in &env.consts {
        let s = format!("(host-const ${} {} {})", c.name, c.ty, c.value);
        ranges.2.push(line(&mut text, s));
    }
    let file = sources.add("<host>", text);
    let spans = |v: Vec<(usize, usize)>| {
        v.into_iter()
            .map(|(lo, hi)| Span::new(file, lo, hi))
            .collect()
    };
    sema::HostSpans {
        has_type: Span::new(file, has_type.0, has_type.1),
        opcodes: spans(ranges.0),
        host_terms: spans(ranges.1),
        consts: spans(ranges.2),
    }
}
