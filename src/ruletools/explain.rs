//! `rulesel explain`: for each IR instruction of a function, the rule that lowered it and the
//! machine instructions it produced (virtual registers, before allocation); then the final code
//! with offsets, bytes and a disassembly, as `objdump -d` lays it out.
//!
//! The rule comes from the executor's record of the rule whose right-hand side produced each
//! top-level result ([`crate::dsl::Machine::last_fired`]); the helper rules it called (`via`)
//! from the executor's trace hook, which lowering installs only when explaining, so compiling
//! without `explain` pays one untaken branch per firing.

use crate::compile::{explain_function_using, CompiledCode, LoweringStep, RuleChoice};
use crate::dsl::RuleProgram;
use crate::ir::{self, TestFile};
use crate::isa::x64::lower::IsaFlags;
use crate::settings::Flags;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter};
use std::fmt::Write as _;

/// The flags a file's `set` lines give and the features of its first `target x86_64` line (the
/// SSE2 baseline when it has none).
pub fn file_configuration(file: &TestFile) -> Result<(Flags, IsaFlags), String> {
    let targets = crate::targets::file_targets(file).map_err(|e| e.to_string())?;
    Ok(targets.first())
}

/// Explains every function of the CLIF text `text` (or only the one named `only`, with or
/// without its `%`), lowered with `rules`. An error names what failed: parsing, an unknown
/// function, or compiling one.
pub fn explain_text(text: &str, only: Option<&str>, rules: RuleChoice) -> Result<String, String> {
    let file = ir::parse_test_file(text)
        .map_err(|e| format!("{}:{}: {}", e.pos.line, e.pos.col, e.message))?;
    let (flags, isa) = file_configuration(&file)?;
    let wanted = only.map(|n| n.trim_start_matches('%'));
    let mut out = String::new();
    let mut found = false;
    for tf in &file.functions {
        let func = &tf.function;
        let name = func.name.to_string();
        if wanted.is_some_and(|w| name.trim_start_matches('%') != w) {
            continue;
        }
        found = true;
        let (steps, code) =
            explain_function_using(func, &flags, &isa, rules).map_err(|e| e.to_string())?;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&listing(&name, &steps, &code, rules.program()?));
    }
    match (found, only) {
        (false, Some(n)) => Err(format!("no function named {n}")),
        (false, None) => Err("the file has no functions".to_string()),
        _ => Ok(out),
    }
}

/// The explanation of one compiled function: its lowering steps, each with the first line of
/// its rule's source in `prog`, then its code.
pub fn listing<H>(
    name: &str,
    steps: &[LoweringStep],
    code: &CompiledCode,
    prog: &RuleProgram<H>,
) -> String {
    let mut out = format!("function {name}\n\nlowering (before register allocation):\n");
    for step in steps {
        let rule = step.rule.as_deref().unwrap_or("(no rule)");
        let loc = step.srcloc.map(|l| format!("{l}  ")).unwrap_or_default();
        let _ = writeln!(out, "  {loc}{}\n    rule {rule}", step.inst);
        if let Some(text) = step.rule.as_deref().and_then(|r| rule_first_line(prog, r)) {
            let _ = writeln!(out, "      {text}");
        }
        for helper in &step.helpers {
            let _ = writeln!(out, "    via {helper}");
            if let Some(text) = rule_first_line(prog, helper) {
                let _ = writeln!(out, "      {text}");
            }
        }
        for m in &step.code {
            let _ = writeln!(out, "      => {m}");
        }
    }
    let _ = writeln!(out, "\ncode after allocation ({} bytes):", code.bytes.len());
    out.push_str(&disassemble(&code.bytes));
    out
}

/// The first source line of the rule labelled `label` (`path:line[ name]`), trimmed.
fn rule_first_line<H>(prog: &RuleProgram<H>, label: &str) -> Option<String> {
    let place = label.split(' ').next()?;
    let (path, line) = place.rsplit_once(':')?;
    let line: usize = line.parse().ok()?;
    let file = prog
        .sources
        .file_ids()
        .find(|&f| prog.sources.path(f) == path)?;
    let text = prog.sources.text(file).lines().nth(line.checked_sub(1)?)?;
    Some(text.trim().to_string())
}

/// `objdump`-style lines, `offset: bytes  instruction` in AT&T syntax. Bytes that do not decode
/// (constants placed after the code) are shown as `(data)`.
pub fn disassemble(bytes: &[u8]) -> String {
    let mut decoder = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let mut formatter = GasFormatter::new();
    let mut out = String::new();
    let mut text = String::new();
    for inst in &mut decoder {
        let at = inst.ip() as usize;
        let hex: Vec<String> = bytes[at..at + inst.len()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        text.clear();
        if inst.is_invalid() {
            text.push_str("(data)");
        } else {
            formatter.format(&inst, &mut text);
        }
        let _ = writeln!(out, "  {at:6x}:  {:<30} {text}", hex.join(" "));
    }
    out
}
