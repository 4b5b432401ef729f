//! The compile entry point: one verified-or-not IR function in, machine code out.
//!
//! ```text
//!   compile_function(func, flags, isa)
//!     verify ─▶ lower (rules) ─▶ regalloc2 (ion | fastalloc, checker) ─▶ frame + emit ─▶ CompiledCode
//! ```
//!
//! Calls to other functions and libcalls appear in [`CompiledCode::relocs`]; each relocation's
//! `SymbolId` indexes [`CompiledCode::symbols`], which names the callee. Every failure is a
//! [`CompileError`] naming the function — never a panic. [`compile_function_timed`] runs the
//! same pipeline and reports each phase's time.

use crate::dsl::{Machine, RuleProgram};
use crate::ir::{self, EntityRef};
use crate::isa::x64::abi::machine_env;
use crate::isa::x64::lower::{self, ctx::LowerCtx, emit::emit_function, IsaFlags};
use crate::machinst::timing::{Phase, PhaseClock};
use crate::machinst::vcode::AllocOptions;
use crate::settings::{Flags, RegallocAlgorithm};
use std::fmt;

pub use crate::machinst::buffer::{CompiledCode, SymbolName};
pub use crate::machinst::timing::PhaseTimes;

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
    with_thread_machine(|machine| compile_function_with(func, flags, isa, machine))
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
    compile_function_using(func, flags, isa, RuleChoice::Embedded, machine)
}

/// Which x64 rule program lowers: the one built into the binary, or another set compiled at
/// run time (`--rules DIR`, see [`crate::ruletools::load_rules`]), kept for the whole process.
#[derive(Clone, Copy, Default)]
pub enum RuleChoice {
    #[default]
    Embedded,
    Loaded(&'static RuleProgram<LowerCtx>),
}

impl RuleChoice {
    /// The program chosen; an error only when the embedded rules do not compile.
    pub fn program(self) -> Result<&'static RuleProgram<LowerCtx>, String> {
        match self {
            RuleChoice::Embedded => lower::rule_program(),
            RuleChoice::Loaded(prog) => Ok(prog),
        }
    }
}

impl fmt::Debug for RuleChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleChoice::Embedded => f.write_str("Embedded"),
            RuleChoice::Loaded(prog) => write!(f, "Loaded({} rules)", prog.rule_count()),
        }
    }
}

/// [`compile_function_with`] lowering with the rule program `rules` chooses.
pub fn compile_function_using(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    rules: RuleChoice,
    machine: &mut Machine,
) -> Result<CompiledCode, CompileError> {
    compile(func, flags, isa, rules, machine, false, &mut ()).map(|(code, _)| code)
}

/// [`compile_function`], adding the time of each phase to `times` (for benchmarks: reading
/// the clock around every rule execution costs a little).
pub fn compile_function_timed(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    times: &mut PhaseTimes,
) -> Result<CompiledCode, CompileError> {
    with_thread_machine(|machine| {
        compile(
            func,
            flags,
            isa,
            RuleChoice::Embedded,
            machine,
            false,
            times,
        )
        .map(|(code, _)| code)
    })
}

/// What lowering did with one IR instruction: its CLIF text (`v3 = iadd v1, v2`), the rule that lowered it (`path:line
/// name`) and the instructions that rule produced, before register allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoweringStep {
    pub inst: String,
    /// The producer's source location of the instruction (`@4fa34`), if it has one.
    pub srcloc: Option<ir::SourceLoc>,
    pub rule: Option<String>,
    /// Labels of the helper-term rules that fired for it, innermost first.
    pub helpers: Vec<String>,
    pub code: Vec<String>,
}

/// Compiles `func` and also returns a [`LoweringStep`] per IR instruction that produced code,
/// in program order (`rulesel explain`).
pub fn explain_function(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
) -> Result<(Vec<LoweringStep>, CompiledCode), CompileError> {
    explain_function_using(func, flags, isa, RuleChoice::Embedded)
}

/// [`explain_function`] lowering with the rule program `rules` chooses.
pub fn explain_function_using(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    rules: RuleChoice,
) -> Result<(Vec<LoweringStep>, CompiledCode), CompileError> {
    compile(func, flags, isa, rules, &mut Machine::new(), true, &mut ())
        .map(|(code, steps)| (steps, code))
}

/// The rule program the x64 back end runs (compiled once per process), for coverage reports.
pub fn rule_program() -> Result<&'static RuleProgram<lower::ctx::LowerCtx>, String> {
    lower::rule_program()
}

thread_local! {
    /// regalloc2's working memory, reused by every function this thread compiles.
    static REGALLOC_CTX: std::cell::Cell<regalloc2::Ctx> = std::cell::Cell::default();
    /// The rule executor of the calls that bring none: its slot stack and arena grow to their
    /// working size once per thread, not once per function.
    static MACHINE: std::cell::Cell<Machine> = std::cell::Cell::default();
}

/// Runs `f` on this thread's rule executor.
fn with_thread_machine<R>(f: impl FnOnce(&mut Machine) -> R) -> R {
    with_thread_local(&MACHINE, f)
}

/// Runs `f` on the value kept in the thread-local `cell`, then keeps it there for the next
/// call (after an error too; a panic in `f` drops it, and the next call starts afresh).
fn with_thread_local<T: Default, R>(
    cell: &'static std::thread::LocalKey<std::cell::Cell<T>>,
    f: impl FnOnce(&mut T) -> R,
) -> R {
    let mut value = cell.with(|c| c.take());
    let result = f(&mut value);
    cell.with(|c| c.set(value));
    result
}

fn compile(
    func: &ir::Function,
    flags: &Flags,
    isa: &IsaFlags,
    rules: RuleChoice,
    machine: &mut Machine,
    trace: bool,
    clock: &mut impl PhaseClock,
) -> Result<(CompiledCode, Vec<LoweringStep>), CompileError> {
    let err = |message: String| CompileError {
        function: func.name.to_string(),
        message,
    };
    if flags.enable_verifier {
        if let Err(errors) = clock.time(Phase::Verify, |_| ir::verify_function(func)) {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            return Err(err(format!("verifier: {first}")));
        }
    }
    let prog = rules
        .program()
        .map_err(|e| err(format!("x64 rules: {e}")))?;
    // regalloc2 asserts on malformed input; a lowering bug must still surface as an error
    // naming the function, not take the caller down.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lowered = clock.time(Phase::Lower, |clock| {
            lower::lower_function(prog, func, flags, isa, machine, trace, clock)
        })?;
        let env = machine_env(func.signature.call_conv, flags);
        let options = AllocOptions {
            fastalloc: flags.regalloc_algorithm == RegallocAlgorithm::SinglePass,
            checker: flags.regalloc_checker,
            verbose_log: flags.regalloc_verbose_logs,
        };
        let code = with_thread_local(&REGALLOC_CTX, |regalloc_ctx| {
            let out = clock
                .time(Phase::Regalloc, |_| {
                    lowered.vcode.allocate(&env, options, regalloc_ctx)
                })
                .map_err(|e| e.0)?;
            clock.time(Phase::Emit, |_| emit_function(&lowered, out))
        })?;
        if !trace {
            return Ok((code, Vec::new()));
        }
        // Lowering goes from the last block to the first, each backwards: put it in order.
        let mut position = vec![usize::MAX; func.dfg.num_insts()];
        for (n, i) in func.layout.insts().enumerate() {
            position[i.index()] = n;
        }
        let mut trace = lowered.trace;
        trace.sort_by_key(|s| position[s.inst.index()]);
        let steps = trace
            .iter()
            .map(|s| LoweringStep {
                inst: {
                    let mut text = String::new();
                    // Writing into a String cannot fail.
                    let _ = ir::write::write_inst(&mut text, func, s.inst);
                    text
                },
                srcloc: func.srclocs[s.inst],
                rule: s.rule.map(|r| prog.rule_label(r)),
                helpers: s.helpers.iter().map(|&r| prog.rule_label(r)).collect(),
                code: s.code.iter().map(|m| m.describe()).collect(),
            })
            .collect();
        Ok((code, steps))
    }));
    match run {
        Ok(result) => result.map_err(err),
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(err(format!(
                "internal error: the back end panicked on this function ({why})"
            )))
        }
    }
}
