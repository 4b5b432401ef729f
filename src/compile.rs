//! The compile entry point: one verified-or-not IR function in, machine code out.
//!
//! ```text
//!   compile_function(func, flags, isa)
//!     verify ─▶ lower (rules) ─▶ regalloc2 (ion | fastalloc, checker) ─▶ frame + emit ─▶ CompiledCode
//! ```
//!
//! Calls to other functions and libcalls appear in [`CompiledCode::relocs`]; each relocation's
//! `SymbolId` indexes [`CompiledCode::symbols`], which names the callee. Every failure is a
//! [`CompileError`] naming the function — never a panic.

use crate::dsl::{Machine, RuleProgram};
use crate::ir::{self, EntityRef};
use crate::isa::x64::abi::machine_env;
use crate::isa::x64::lower::{self, emit::emit_function, IsaFlags};
use crate::settings::{Flags, RegallocAlgorithm};
use std::fmt;

pub use crate::machinst::buffer::{CompiledCode, SymbolName};

/// Why a function could not be compiled: `function` is its name as written (`%f`), `message`
/// says what (`not supported yet: fcvt_to_sint on f32`, a verifier error, …).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CompileError {
    pub function: String,
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "function {}: {}", self.function, self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles `func` for x86-64 with `flags` (the CLIF `set` lines) and `isa` (the `target` line's
/// features). Register allocation uses `flags.regalloc_algorithm` (`single_pass` selects
/// regalloc2's fastalloc) and runs regalloc2's checker when `flags.regalloc_checker` is set.
pub fn compile_function(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
) -> Result<CompiledCode, CompileError> {
    compile_function_with(func, flags, isa, &mut Machine::new())
}

/// [`compile_function`] running the rules on `machine`: enable its coverage counters
/// (`machine.enable_coverage(rule_program()?.rule_count())`) to count rule firings over many
/// functions, as `rulesel coverage` does.
pub fn compile_function_with(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    machine: &mut Machine,
) -> Result<CompiledCode, CompileError> {
    compile(func, flags, isa, machine, false).map(|(code, _)| code)
}

/// What lowering did with one IR instruction: its text, the rule that lowered it (`path:line
/// name`) and the instructions that rule produced, before register allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoweringStep {
    pub inst: String,
    pub rule: Option<String>,
    pub code: Vec<String>,
}

/// Compiles `func` and also returns a [`LoweringStep`] per IR instruction that produced code,
/// in program order (`rulesel explain`).
pub fn explain_function(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
) -> Result<(Vec<LoweringStep>, CompiledCode), CompileError> {
    compile(func, flags, isa, &mut Machine::new(), true).map(|(code, steps)| (steps, code))
}

/// The rule program the x64 back end runs (compiled once per process), for coverage reports.
pub fn rule_program() -> Result<&'static RuleProgram<lower::ctx::LowerCtx>, String> {
    lower::rule_program()
}

fn compile(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    machine: &mut Machine,
    trace: bool,
) -> Result<(CompiledCode, Vec<LoweringStep>), CompileError> {
    let err = |message: String| CompileError {
        function: func.name.to_string(),
        message,
    };
    if flags.enable_verifier {
        if let Err(errors) = ir::verify_function(func) {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            return Err(err(format!("verifier: {first}")));
        }
    }
    let prog = lower::rule_program().map_err(|e| err(format!("x64 rules: {e}")))?;
    // regalloc2 asserts on malformed input; a lowering bug must still surface as an error
    // naming the function, not take the caller down.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lowered = lower::lower_function(prog, func, flags, isa, machine, trace)?;
        let env = machine_env(func.signature.call_conv, flags);
        let fastalloc = flags.regalloc_algorithm == RegallocAlgorithm::SinglePass;
        let out = lowered
            .vcode
            .allocate(&env, fastalloc, flags.regalloc_checker)
            .map_err(|e| e.0)?;
        let code = emit_function(&lowered, &out)?;
        // Lowering goes from the last block to the first, each backwards: put it in order.
        let mut position = vec![usize::MAX; func.dfg.num_insts()];
        for (n, i) in func.layout.insts().enumerate() {
            position[i.index()] = n;
        }
        let mut trace = lowered.trace.clone();
        trace.sort_by_key(|s| position[s.inst.index()]);
        let steps = trace
            .iter()
            .map(|s| LoweringStep {
                inst: func.describe_inst(s.inst),
                rule: s.rule.map(|r| prog.rule_label(r)),
                code: s.code.iter().map(|m| m.describe()).collect(),
            })
            .collect();
        Ok((code, steps))
    }));
    match run {
        Ok(result) => result.map_err(err),
        Err(_) => Err(err(
            "internal error: the back end panicked on this function".to_string(),
        )),
    }
}
