//! `rulesel explain --why-not INST FILE.clif`: for one IR instruction, the candidate rules in
//! the order the match tree tries them and, for each that does not fire, the first pattern
//! step or guard that fails, with its location ([`crate::dsl::why_not`]).
//!
//! The instruction is explained where lowering meets it (lowering runs bottom-up, so its users
//! are lowered and have sunk what they fold): the lowering driver evaluates the candidates just
//! before it runs the rules on it ([`lower::why_not`]).

use crate::compile::RuleChoice;
use crate::dsl::why_not::Outcome;
use crate::dsl::RuleProgram;
use crate::ir::entity::EntityRef;
use crate::ir::{self, Inst};
use crate::isa::x64::lower::{self, ctx::LowerCtx, WhyNotFinding};
use crate::ruletools::explain::file_configuration;
use std::fmt::Write as _;

/// Which instruction to explain: `instN` or `N` (the instruction number, as the verifier and
/// `rulesel explain` name it), or `line:N` (the instruction written on line N of the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstRef {
    Number(u32),
    Line(u32),
}

impl InstRef {
    pub fn parse(s: &str) -> Result<InstRef, String> {
        let bad = || format!("`{s}` is not an instruction: write inst5, 5 or line:12");
        if let Some(line) = s.strip_prefix("line:") {
            return line.parse().map(InstRef::Line).map_err(|_| bad());
        }
        s.trim_start_matches("inst")
            .parse()
            .map(InstRef::Number)
            .map_err(|_| bad())
    }
}

/// The why-not explanation of instruction `which` of the CLIF text `text`, in the function
/// named `only` (default: the first function that has the instruction), lowered with `rules`.
pub fn why_not_text(
    text: &str,
    only: Option<&str>,
    which: InstRef,
    rules: RuleChoice,
) -> Result<String, String> {
    let file = ir::parse_test_file(text)
        .map_err(|e| format!("{}:{}: {}", e.pos.line, e.pos.col, e.message))?;
    let (flags, isa) = file_configuration(&file)?;
    let wanted = only.map(|n| n.trim_start_matches('%'));
    let found = file.functions.iter().find_map(|tf| {
        let func = &tf.function;
        if wanted.is_some_and(|w| func.name.to_string().trim_start_matches('%') != w) {
            return None;
        }
        let inst = func.layout.insts().find(|&i| match which {
            InstRef::Number(n) => i.index() == n as usize,
            InstRef::Line(l) => func.source_locs.insts[i].is_some_and(|p| p.line == l),
        })?;
        Some((func, inst))
    });
    let Some((func, inst)) = found else {
        let what = match which {
            InstRef::Number(n) => format!("no instruction inst{n}"),
            InstRef::Line(l) => format!("no instruction on line {l}"),
        };
        return Err(match only {
            Some(f) => format!("{what} in function {f}"),
            None => what,
        });
    };
    let prog = rules.program()?;
    let (finding, lowering) = lower::why_not(prog, func, &flags, &isa, inst);
    Ok(render(prog, func, inst, finding, lowering))
}

fn render(
    prog: &RuleProgram<LowerCtx>,
    func: &ir::Function,
    inst: Inst,
    finding: Option<WhyNotFinding>,
    lowering: Result<(), String>,
) -> String {
    let mut text = String::new();
    let _ = ir::write::write_inst(&mut text, func, inst);
    let mut out = format!(
        "function {}, inst{}: {}",
        func.name,
        inst.index(),
        text.trim()
    );
    if let Some(pos) = func.source_locs.insts[inst] {
        let _ = write!(out, " (line {})", pos.line);
    }
    out.push('\n');
    match finding {
        None => {
            let _ = writeln!(
                out,
                "lowering stopped before it reached this instruction (lowering runs from the last instruction up)"
            );
        }
        Some(WhyNotFinding::Dead) => {
            let _ = writeln!(
                out,
                "not lowered: its results are unused and it has no side effect"
            );
        }
        Some(WhyNotFinding::Sunk) => {
            let _ = writeln!(
                out,
                "not lowered on its own: a user's rule folded it into its own instruction (a memory operand)"
            );
        }
        Some(WhyNotFinding::Tried { term, attempts }) => {
            let _ = writeln!(
                out,
                "term `{}`: {} candidate rule{}, in the order the match tree tries them",
                prog.term_name(term),
                attempts.len(),
                if attempts.len() == 1 { "" } else { "s" }
            );
            for (n, a) in attempts.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:>3}. {} (priority {})\n       {}",
                    n + 1,
                    prog.rule_label(a.rule),
                    prog.rule_priority(a.rule),
                    shortened(&source_text(prog, prog.rule_pattern_span(a.rule)), 90)
                );
                let _ = match &a.outcome {
                    Outcome::Fires => writeln!(out, "       fires"),
                    Outcome::NotReached => writeln!(out, "       not tried: an earlier rule fires"),
                    Outcome::Error(e) => writeln!(out, "       error: {e}"),
                    Outcome::Failed { span, reason } => {
                        let at = source_text(prog, *span);
                        writeln!(
                            out,
                            "       fails at {} `{at}`: {reason}",
                            prog.sources.location(*span)
                        )
                    }
                };
            }
            if !attempts.iter().any(|a| a.outcome == Outcome::Fires) {
                let _ = writeln!(out, "no rule fires");
            }
        }
    }
    if let Err(e) = lowering {
        let _ = writeln!(out, "lowering: {e}");
    }
    out
}

/// The text of `span` on one line (runs of whitespace as one space).
fn source_text(prog: &RuleProgram<LowerCtx>, span: crate::dsl::Span) -> String {
    let text = &prog.sources.text(span.file)[span.lo as usize..span.hi as usize];
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `max` characters, with `…` where it was cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruction_references() {
        assert_eq!(InstRef::parse("inst5"), Ok(InstRef::Number(5)));
        assert_eq!(InstRef::parse("5"), Ok(InstRef::Number(5)));
        assert_eq!(InstRef::parse("line:12"), Ok(InstRef::Line(12)));
        assert!(InstRef::parse("v3").is_err());
    }
}
