//! `rulesel compile FILE` without `-o`: every function compiled on its own, for each x86-64
//! target of the file, as Cranelift's `clif-util compile` does with a test file.
//!
//! ```text
//!   target x86_64 has_avx            one block per `target x86_64` line (or one, untitled,
//!     %add: 9 bytes                  when the file names no target)
//!     u0:3: error: not supported yet: …
//!   skipped target aarch64: only x86_64 is supported
//!   2 functions compiled, 1 failed
//! ```
//!
//! Functions are not put together into a module: names may repeat and `u0:N` names need no
//! symbol. With `disasm`, each function's size line is followed by its code, then its
//! relocations, trap sites, user stack maps and exception tables, as `clif-util compile -D`
//! shows them.

use crate::compile::{compile_function_using, CompiledCode, RuleChoice, SymbolName};
use crate::dsl::Machine;
use crate::ir::ParseError;
use crate::isa::x64::IsaFlags;
use crate::settings::Flags;
use crate::targets::parse_clif;
use std::fmt::Write as _;

/// What compiling a file function by function printed, and how many functions failed.
#[derive(Clone, Debug, Default)]
pub struct CompileReport {
    pub text: String,
    pub compiled: usize,
    pub failed: usize,
}

/// Compiles every function of the CLIF text `text` for each of its x86-64 targets with `rules`;
/// `disasm` adds each function's code. A file that does not parse, or whose `set`/`target`
/// lines are wrong, is an error; a function that does not compile is a line of the report.
pub fn compile_each(
    text: &str,
    disasm: bool,
    rules: RuleChoice,
) -> Result<CompileReport, ParseError> {
    let (file, targets) = parse_clif(text)?;
    let mut configs: Vec<(Option<String>, Flags, IsaFlags)> = (targets.x86_64.iter())
        .map(|t| (Some(t.line.clone()), t.flags.clone(), t.isa()))
        .collect();
    if configs.is_empty() && targets.skipped.is_empty() {
        configs.push((None, targets.flags.clone(), IsaFlags::default()));
    }
    let mut report = CompileReport::default();
    let mut machine = Machine::new();
    for (line, flags, isa) in &configs {
        let indent = if line.is_some() { "  " } else { "" };
        if let Some(line) = line {
            let _ = writeln!(report.text, "target {line}");
        }
        for tf in &file.functions {
            let func = &tf.function;
            match compile_function_using(func, flags, isa, rules, &mut machine) {
                Ok(code) => {
                    report.compiled += 1;
                    let _ = writeln!(
                        report.text,
                        "{indent}{}: {} bytes",
                        func.name,
                        code.bytes.len()
                    );
                    if disasm {
                        report
                            .text
                            .push_str(&disassembly(&func.name.to_string(), &code));
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    let _ = writeln!(report.text, "{indent}{}: error: {}", func.name, e.message);
                }
            }
        }
    }
    for line in &targets.skipped {
        let _ = writeln!(
            report.text,
            "skipped target {line}: only x86_64 is supported"
        );
    }
    let _ = writeln!(
        report.text,
        "{} function{} compiled, {} failed",
        report.compiled,
        if report.compiled == 1 { "" } else { "s" },
        report.failed
    );
    Ok(report)
}

/// The code of one function as `clif-util compile -D` lays it out: a title, the instructions
/// (constants after them as `(data)`), then relocations, trap sites and the exception table
/// of each `try_call` (return address, stack pointer at the handlers, handlers by tag).
fn disassembly(name: &str, code: &CompiledCode) -> String {
    let mut out = format!("\nDisassembly of {} bytes <{name}>:\n", code.bytes.len());
    out.push_str(&super::explain::disassemble(&code.bytes));
    for r in &code.relocs {
        let target = match code.symbols.get(r.symbol.0 as usize) {
            Some(SymbolName::External(name)) => name.to_string(),
            Some(SymbolName::LibCall(name)) => name.clone(),
            None => format!("symbol{}", r.symbol.0),
        };
        let _ = writeln!(
            out,
            "  reloc {:#x}: {:?} {target}{:+}",
            r.offset, r.kind, r.addend
        );
    }
    for t in &code.traps {
        let _ = writeln!(out, "  trap {:#x}: {}", t.offset, t.code);
    }
    for map in &code.user_stack_maps {
        let entries: Vec<String> = (map.entries.iter())
            .map(|(ty, at)| format!("{ty} @ sp+{at}"))
            .collect();
        let _ = writeln!(
            out,
            "  stack map {:#x}: [{}]",
            map.ret_offset,
            entries.join(", ")
        );
    }
    for site in &code.exception_sites {
        let handlers: Vec<String> = (site.handlers.iter())
            .map(|h| match h.tag {
                Some(tag) => format!("tag{tag}: {:#x}", h.offset),
                None => format!("default: {:#x}", h.offset),
            })
            .collect();
        let contexts: Vec<String> = site.contexts.iter().map(|c| format!("fp{c:+}")).collect();
        let _ = writeln!(
            out,
            "  exception site {:#x}: sp = fp-{}, [{}]{}",
            site.ret_offset,
            site.sp_below_fp,
            handlers.join(", "),
            if contexts.is_empty() {
                String::new()
            } else {
                format!(", contexts [{}]", contexts.join(", "))
            }
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_TARGETS: &str = "test compile precise-output
target x86_64
target aarch64
target x86_64 has_avx

function u0:1(i64, i64) -> i64 {
block0(v0: i64, v1: i64):
    v2 = iadd v0, v1
    return v2
}

function u0:1(f32) -> f32 {
block0(v0: f32):
    v1 = fadd v0, v0
    return v1
}

function %bad(i64) -> i64 {
block0(v0: i64):
    v1 = stack_switch v0, v0, v0
    return v1
}
";

    #[test]
    fn each_function_for_each_x86_target() {
        let report = compile_each(TWO_TARGETS, false, RuleChoice::Embedded).unwrap();
        let lines: Vec<&str> = report.text.lines().collect();
        assert_eq!(lines[0], "target x86_64");
        assert!(lines[1].starts_with("  u0:1: ") && lines[1].ends_with(" bytes"));
        assert!(lines[2].starts_with("  u0:1: "));
        assert!(lines[3].starts_with("  %bad: error: "), "{}", lines[3]);
        assert_eq!(lines[4], "target x86_64 has_avx");
        assert_eq!(lines[8], "skipped target aarch64: only x86_64 is supported");
        assert_eq!(lines[9], "4 functions compiled, 2 failed");
        assert_eq!((report.compiled, report.failed), (4, 2));
    }

    #[test]
    fn disassembly_lists_code_and_relocations() {
        let text = "function %f(i64) -> i64 {
    fn0 = %g(i64) -> i64
block0(v0: i64):
    v1 = call fn0(v0)
    return v1
}
";
        let report = compile_each(text, true, RuleChoice::Embedded).unwrap();
        assert!(report.text.contains("Disassembly of "), "{}", report.text);
        assert!(report.text.contains(" <%f>:"));
        assert!(report.text.contains("call"));
        assert!(report.text.contains("reloc "));
        assert!(report.text.contains(" %g"));
        assert!(report.text.ends_with("1 function compiled, 0 failed\n"));
    }
}
