//! The CLIF run-test harness: compile every function of a file, execute its `; run` commands
//! through the JIT, compare the results.
//!
//! ```text
//!  file ─parse─▶ headers: set… target x86_64 flags… (each target a configuration: the set lines
//!                before it, its features; skipped when the host lacks one, or only compiled
//!                when the options give a compiler for that)
//!         for each runnable configuration:
//!           Compiler::compile every function ─▶ JitModule (calls between them resolved)
//!           for each `; run` line: values ─▶ Trampoline ─▶ results or a trap ─▶ compare
//!  ─▶ FileOutcome: PASS / FAIL (first failure) / SKIP (why), runs passed of runs made
//! ```
//!
//! A file whose `test` lines only compile (`test compile`, as for code the JIT cannot map, such
//! as thread-local accesses) passes when every function compiles for every configuration.
//!
//! A run command calls the function it follows (its signature typed the literals). A fault in
//! JIT code is caught (see [`crate::jit::traps`]) and reported with the trap code recorded at the
//! faulting instruction, so a miscompiled function fails its file and the run goes on.

pub mod compare;

use crate::compile::{compile_function_using, RuleChoice};
use crate::dsl::Machine;
use crate::ir::{self, DataValue, Function, RunCommand, TestFile};
use crate::isa::x64::cpuid::TargetFeatures;
use crate::isa::x64::IsaFlags;
use crate::jit::trampoline::Trampoline;
use crate::jit::traps::{timeout_signal, Watchdog};
use crate::jit::{module_name, symbol_names, JitFunction, JitModule};
use crate::machinst::buffer::{CompiledCode, TrapCode};
use crate::settings::Flags;
use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A function compiled for the harness.
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    pub code: CompiledCode,
    /// What each `SymbolId` of the code's relocations names, as [`module_name`] spells names.
    pub symbols: Vec<String>,
}

/// Turns IR into machine code for one configuration of a file. The lowering pipeline is the
/// compiler of `rulesel run`; tests may substitute another.
pub trait Compiler {
    /// Compiles `func` under `flags` for a CPU with `features`. The error says what failed,
    /// naming the unsupported feature when that is the reason.
    fn compile(
        &self,
        func: &Function,
        flags: &Flags,
        features: TargetFeatures,
    ) -> Result<CompiledFunction, String>;
}

/// rulesel's own pipeline ([`crate::compile::compile_function`]) as the harness's compiler.
pub struct Lowering;

impl Compiler for Lowering {
    fn compile(
        &self,
        func: &Function,
        flags: &Flags,
        features: TargetFeatures,
    ) -> Result<CompiledFunction, String> {
        lower_with(
            func,
            flags,
            features,
            RuleChoice::Embedded,
            &mut Machine::new(),
        )
    }
}

/// rulesel's pipeline with a chosen rule program, running the rules on one [`Machine`] for
/// all files: enable its coverage counters to count the rules fired over a whole run.
pub struct RuleLowering {
    pub rules: RuleChoice,
    pub machine: RefCell<Machine>,
}

impl Compiler for RuleLowering {
    fn compile(
        &self,
        func: &Function,
        flags: &Flags,
        features: TargetFeatures,
    ) -> Result<CompiledFunction, String> {
        lower_with(
            func,
            flags,
            features,
            self.rules,
            &mut self.machine.borrow_mut(),
        )
    }
}

fn lower_with(
    func: &Function,
    flags: &Flags,
    features: TargetFeatures,
    rules: RuleChoice,
    machine: &mut Machine,
) -> Result<CompiledFunction, String> {
    let code = compile_function_using(
        func,
        flags,
        &IsaFlags::from_features(features),
        rules,
        machine,
    )
    .map_err(|e| e.message)?;
    let symbols = symbol_names(&code);
    Ok(CompiledFunction { code, symbols })
}

/// How to run files.
pub struct Options<'a> {
    pub compiler: &'a dyn Compiler,
    /// A run command still executing compiled code after this long fails as timed out.
    pub timeout: Option<Duration>,
    /// Run regalloc2's checker on every allocation, whatever the files' `set` lines say.
    pub regalloc_checker: bool,
    /// Compile (never run) with this compiler the configurations whose features the host
    /// lacks, so that their rules are exercised too; a compile error fails the file. `None`:
    /// such configurations are only skipped.
    pub compile_only: Option<&'a dyn Compiler>,
}

/// The verdict on a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

/// What running one file gave.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FileOutcome {
    pub path: PathBuf,
    pub status: Status,
    /// Run commands that passed, over all configurations run.
    pub runs_passed: usize,
    pub runs_total: usize,
    /// Why the file failed (the first failure) or was skipped.
    pub message: Option<String>,
}

/// `PASS path (k/n runs)`, `FAIL path (k/n runs)` then the first failure indented, or
/// `SKIP path (reason)`.
impl fmt::Display for FileOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let (k, n) = (self.runs_passed, self.runs_total);
        match self.status {
            Status::Pass => write!(f, "PASS {path} ({k}/{n} runs)"),
            Status::Fail => {
                write!(f, "FAIL {path} ({k}/{n} runs)")?;
                if let Some(m) = &self.message {
                    for line in m.lines() {
                        write!(f, "\n    {line}")?;
                    }
                }
                Ok(())
            }
            Status::Skip => write!(
                f,
                "SKIP {path} ({})",
                self.message.as_deref().unwrap_or("skipped")
            ),
        }
    }
}

/// The outcomes of a run over many files.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub outcomes: Vec<FileOutcome>,
}

impl Summary {
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// `N passed, M failed, K skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::Skip)
        )
    }
}

/// The `.clif` files of `paths`: files as given, directories searched recursively, sorted.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    files.extend(collect_files(&[entry])?);
                } else if entry.extension().is_some_and(|e| e == "clif") {
                    files.push(entry);
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Runs every file of `paths` (see [`collect_files`]), calling `report` after each one.
pub fn run_paths(
    paths: &[PathBuf],
    options: &Options<'_>,
    mut report: impl FnMut(&FileOutcome),
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    for file in collect_files(paths)? {
        let outcome = run_file(&file, options);
        report(&outcome);
        summary.outcomes.push(outcome);
    }
    Ok(summary)
}

/// What `rulesel run` prints: each file's outcome as it finishes, then the summary line.
/// `Ok(true)` when no file failed.
pub fn report(
    paths: &[PathBuf],
    options: &Options<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<bool> {
    let mut written = Ok(());
    let summary = run_paths(paths, options, |outcome| {
        if written.is_ok() {
            written = writeln!(out, "{outcome}");
        }
    })?;
    written?;
    writeln!(out, "{}", summary.line())?;
    Ok(summary.count(Status::Fail) == 0)
}

/// The name of a trap code, as CLIF writes it.
pub fn trap_name(code: TrapCode) -> String {
    code.to_string()
}

/// One configuration of a file: the settings and CPU features of one `target x86_64` line.
struct Configuration {
    flags: Flags,
    features: TargetFeatures,
    /// The target line as written, for messages.
    target: String,
}

/// The configurations of a file: those the host can run, and those it cannot with why (the
/// features it lacks).
struct Configurations {
    runnable: Vec<Configuration>,
    unrunnable: Vec<(Configuration, String)>,
}

fn configurations(file: &TestFile) -> Result<Configurations, String> {
    let targets = crate::targets::file_targets(file).map_err(|e| e.to_string())?;
    let mut configs = Configurations {
        runnable: Vec::new(),
        unrunnable: Vec::new(),
    };
    for target in targets.x86_64 {
        let missing = target.features.missing_on_host();
        let config = Configuration {
            flags: target.flags,
            features: target.features,
            target: target.line,
        };
        if missing.is_empty() {
            configs.runnable.push(config);
        } else {
            let names: Vec<&str> = missing.iter().map(|f| f.flag_name()).collect();
            let why = format!("host lacks {}", names.join(", "));
            configs.unrunnable.push((config, why));
        }
    }
    Ok(configs)
}

/// Does the file run code: a `test run` or `test interpret` line, or no `test` line at all?
fn runs_code(file: &TestFile) -> bool {
    let mut commands = file.headers.iter().filter_map(|h| match &h.kind {
        ir::HeaderKind::Test { command, .. } => Some(command.as_str()),
        _ => None,
    });
    let first = commands.next();
    first.is_none()
        || first
            .into_iter()
            .chain(commands)
            .any(|c| c == "run" || c == "interpret")
}

/// Runs one file. Never panics on bad input: unreadable, unparsable and uncompilable files fail
/// with the reason.
pub fn run_file(path: &Path, options: &Options<'_>) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: path.to_path_buf(),
        status: Status::Fail,
        runs_passed: 0,
        runs_total: 0,
        message: None,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            outcome.message = Some(format!("cannot read file: {e}"));
            return outcome;
        }
    };
    let file = match ir::parse_test_file(&text) {
        Ok(file) => file,
        Err(e) => {
            outcome.message = Some(format!("{}:{}: {}", e.pos.line, e.pos.col, e.message));
            return outcome;
        }
    };
    let Configurations {
        runnable: mut configs,
        mut unrunnable,
    } = match configurations(&file) {
        Ok(configs) => configs,
        Err(why) => {
            outcome.message = Some(why);
            return outcome;
        }
    };
    for config in configs
        .iter_mut()
        .chain(unrunnable.iter_mut().map(|(c, _)| c))
    {
        config.flags.regalloc_checker |= options.regalloc_checker;
    }
    if !runs_code(&file) {
        let all = configs.iter().chain(unrunnable.iter().map(|(c, _)| c));
        for config in all {
            for tf in &file.functions {
                let func = &tf.function;
                if let Err(e) = options
                    .compiler
                    .compile(func, &config.flags, config.features)
                {
                    outcome.message = Some(format!(
                        "target {}: function {}: {e}",
                        config.target, func.name
                    ));
                    return outcome;
                }
            }
        }
        outcome.status = Status::Pass;
        return outcome;
    }
    if let Some(compiler) = options.compile_only {
        for (config, why) in &unrunnable {
            for tf in &file.functions {
                let func = &tf.function;
                if let Err(e) = compiler.compile(func, &config.flags, config.features) {
                    outcome.message = Some(format!(
                        "target {} (compiled only: {why}): function {}: {e}",
                        config.target, func.name
                    ));
                    return outcome;
                }
            }
        }
    }
    if configs.is_empty() {
        outcome.status = Status::Skip;
        let why = unrunnable.into_iter().next().map(|(_, why)| why);
        outcome.message = Some(why.unwrap_or_else(|| "no x86_64 target".into()));
        return outcome;
    }
    let mut first_failure = None;
    for config in &configs {
        let runs: usize = file.functions.iter().map(|f| f.run_commands.len()).sum();
        match run_configuration(&file, config, options) {
            Ok(results) => {
                outcome.runs_total += results.len();
                outcome.runs_passed += results.iter().filter(|r| r.is_ok()).count();
                if first_failure.is_none() {
                    first_failure = results.into_iter().find_map(Result::err).map(|why| {
                        // Name the configuration when the file has several.
                        if configs.len() > 1 {
                            format!("target {}: {why}", config.target)
                        } else {
                            why
                        }
                    });
                }
            }
            Err(why) => {
                outcome.runs_total += runs;
                if first_failure.is_none() {
                    first_failure = Some(format!("target {}: {why}", config.target));
                }
            }
        }
    }
    match first_failure {
        None => outcome.status = Status::Pass,
        Some(why) => outcome.message = Some(why),
    }
    outcome
}

/// Compiles and maps the file's functions for `config`, then runs every command. The outer
/// error is a failure before any command could run; each command gives its own result.
fn run_configuration(
    file: &TestFile,
    config: &Configuration,
    options: &Options<'_>,
) -> Result<Vec<Result<(), String>>, String> {
    let mut compiled = Vec::with_capacity(file.functions.len());
    let mut names = Vec::with_capacity(file.functions.len());
    for tf in &file.functions {
        let func = &tf.function;
        let code = options
            .compiler
            .compile(func, &config.flags, config.features)
            .map_err(|e| format!("function {}: {e}", func.name))?;
        compiled.push(code);
        names.push(module_name(&func.name));
    }
    let jit_functions: Vec<JitFunction<'_>> = compiled
        .iter()
        .zip(&names)
        .map(|(c, name)| JitFunction {
            name,
            code: &c.code,
            symbols: &c.symbols,
        })
        .collect();
    let module = JitModule::new(&jit_functions).map_err(|e| e.to_string())?;
    let watchdog = options.timeout.map(|timeout| Watchdog {
        code: module.code_range(),
        timeout,
    });
    let mut results = Vec::new();
    for (tf, name) in file.functions.iter().zip(&names) {
        if tf.run_commands.is_empty() {
            continue;
        }
        let func = &tf.function;
        let trampoline = Trampoline::new(&func.signature, &config.flags)
            .map_err(|e| format!("calling {}: {e}", func.name))?;
        let entry = module
            .address_of(name)
            .ok_or_else(|| format!("function {} was not placed", func.name))?;
        for command in &tf.run_commands {
            let call = Call {
                module: &module,
                trampoline: &trampoline,
                entry,
                watchdog: watchdog.as_ref(),
            };
            results.push(run_command(command, func, &call));
        }
    }
    Ok(results)
}

/// How to call one function of a mapped module.
struct Call<'a> {
    module: &'a JitModule,
    trampoline: &'a Trampoline,
    entry: *const u8,
    watchdog: Option<&'a Watchdog>,
}

/// Executes one run command; the error describes the failure with expected and actual values.
fn run_command(command: &RunCommand, func: &Function, call: &Call<'_>) -> Result<(), String> {
    let Call {
        module,
        trampoline,
        entry,
        watchdog,
    } = *call;
    let where_ = format!("line {}: {command}", command.pos.line);
    let mut values = vec![0u128; trampoline.slots()];
    for (slot, arg) in values.iter_mut().zip(&command.args) {
        *slot = arg.bits();
    }
    // SAFETY: `entry` is the function whose signature the trampoline was made for, compiled
    // under the same flags; its arguments are the command's values of the parameter types.
    let outcome = unsafe { trampoline.call_watched(entry, &mut values, watchdog) };
    if let Err(fault) = outcome {
        let place = match module.locate(fault.pc) {
            Some(at) => {
                let what = match at.trap {
                    _ if fault.signal == timeout_signal() => "timed out".to_string(),
                    Some(code) => format!("trap {}", trap_name(code)),
                    None => "fault with no trap site".to_string(),
                };
                format!("{what} at %{}+{:#x} ({})", at.function, at.offset, fault)
            }
            None => format!("fault outside the compiled code ({fault})"),
        };
        return Err(format!("{where_}\n  trapped: {place}"));
    }
    let types: Vec<ir::Type> = func
        .signature
        .returns
        .iter()
        .map(|r| r.value_type)
        .collect();
    let actual: Vec<DataValue> = types
        .iter()
        .zip(&values)
        .map(|(&ty, &bits)| {
            DataValue::from_bits(ty, bits).ok_or_else(|| format!("{where_}: results of type {ty}"))
        })
        .collect::<Result<_, _>>()?;
    if compare::meets(&command.expectation, &types, &actual) {
        return Ok(());
    }
    let shown: Vec<String> = actual.iter().map(DataValue::to_string).collect();
    let actual_text = if shown.len() == 1 {
        shown[0].clone()
    } else {
        format!("[{}]", shown.join(", "))
    };
    Err(format!("{where_}\n  actual: {actual_text}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::TrapCode as IrTrapCode;
    use crate::isa::x64::lower::ctx::trap_code;

    #[test]
    fn trap_names_match_the_ir_names_of_the_lowered_codes() {
        for name in [
            "stk_ovf",
            "heap_oob",
            "int_ovf",
            "int_divz",
            "bad_toint",
            "user1",
            "user250",
        ] {
            let code = trap_code(IrTrapCode::parse(name).unwrap());
            assert_eq!(trap_name(code), name);
        }
    }
}
