//! The differential runner: one module's CLIF text executed by rulesel (parse, verify, compile,
//! JIT) and by Cranelift (reader, verifier, interpreter) on the same arguments.
//!
//! Each side gives an [`Outcome`] per call: the results, or the name of the trap. They agree when
//! both trap with the same code, or both return results that are equal value by value: integers
//! by their bits, floats by their bits unless both are NaNs (NaN payloads are not specified by
//! CLIF, and the interpreter's host arithmetic and SSE disagree on them).

use super::config::rulesel_flags;
use super::program::{Config, Module, Ty};
use crate::compile::{compile_function_using, RuleChoice};
use crate::dsl::Machine;
use crate::ir::{self, DataValue};
use crate::isa::x64::IsaFlags;
use crate::jit::trampoline::Trampoline;
use crate::jit::traps::{timeout_signal, Watchdog};
use crate::jit::{module_name, symbol_names, JitFunction, JitModule};
use crate::machinst::buffer::CompiledCode;
use crate::runtest::trap_name;
use cranelift_codegen::data_value::DataValue as ClifValue;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_interpreter::environment::FunctionStore;
use cranelift_interpreter::interpreter::{Interpreter, InterpreterError, InterpreterState};
use cranelift_interpreter::step::{ControlFlow, CraneliftTrap};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// What one call did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// The results' bits.
    Returned(Vec<u128>),
    /// The trap's name (`int_divz`), or a description of a fault without a trap code.
    Trapped(String),
}

impl Outcome {
    /// Do two outcomes of a function returning `types` agree (NaN-aware, see the module doc)?
    pub fn agrees(&self, other: &Outcome, types: &[Ty]) -> bool {
        match (self, other) {
            (Outcome::Trapped(a), Outcome::Trapped(b)) => a == b,
            (Outcome::Returned(a), Outcome::Returned(b)) => {
                a.len() == b.len()
                    && types.len() == a.len()
                    && types
                        .iter()
                        .zip(a.iter().zip(b))
                        .all(|(&t, (&x, &y))| same_value(t, x, y))
            }
            _ => false,
        }
    }

    /// `[1, 2.5]`-style text of the results, typed by `types`, or `trap NAME`.
    pub fn describe(&self, types: &[Ty]) -> String {
        match self {
            Outcome::Trapped(why) => format!("trap {why}"),
            Outcome::Returned(bits) => {
                let vals: Vec<String> = types
                    .iter()
                    .zip(bits)
                    .map(|(&t, &b)| data_value(t, b).to_string())
                    .collect();
                format!("[{}]", vals.join(", "))
            }
        }
    }
}

fn same_value(ty: Ty, x: u128, y: u128) -> bool {
    let is_nan = |bits: u128| match ty {
        Ty::F32 => f32::from_bits(bits as u32).is_nan(),
        Ty::F64 => f64::from_bits(bits as u64).is_nan(),
        _ => false,
    };
    let mask = if ty.bits() >= 128 {
        u128::MAX
    } else {
        (1u128 << ty.bits()) - 1
    };
    x & mask == y & mask || (is_nan(x) && is_nan(y))
}

/// rulesel's run-command value of type `ty` with bits `bits`.
pub fn data_value(ty: Ty, bits: u128) -> DataValue {
    DataValue::from_bits(super::lowered::ir_type(ty), bits).expect("scalar types have data values")
}

fn clif_value(ty: Ty, bits: u128) -> ClifValue {
    match ty {
        Ty::I8 => ClifValue::I8(bits as i8),
        Ty::I16 => ClifValue::I16(bits as i16),
        Ty::I32 => ClifValue::I32(bits as i32),
        Ty::I64 => ClifValue::I64(bits as i64),
        Ty::I128 => ClifValue::I128(bits as i128),
        Ty::F32 => ClifValue::F32(Ieee32::with_bits(bits as u32)),
        Ty::F64 => ClifValue::F64(Ieee64::with_bits(bits as u64)),
    }
}

fn clif_bits(v: &ClifValue) -> Option<u128> {
    Some(match *v {
        ClifValue::I8(x) => u128::from(x as u8),
        ClifValue::I16(x) => u128::from(x as u16),
        ClifValue::I32(x) => u128::from(x as u32),
        ClifValue::I64(x) => u128::from(x as u64),
        ClifValue::I128(x) => x as u128,
        ClifValue::F32(x) => u128::from(x.bits()),
        ClifValue::F64(x) => u128::from(x.bits()),
        _ => return None,
    })
}

/// Something other than two outcomes that disagree, which also counts as a finding.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Failure {
    /// rulesel rejected or failed on the module at `stage` (parse, verify, compile, jit,
    /// trampoline); the generator only writes valid CLIF, so this is a bug on one side.
    Rulesel {
        stage: &'static str,
        message: String,
    },
    /// rulesel declined a construct it does not implement yet (a located, honest rejection,
    /// not a miscompile); the text after `not supported yet: `.
    Unsupported(String),
    /// rulesel panicked.
    Panic(String),
    /// Cranelift's reader or verifier rejected the module, or its interpreter failed: a
    /// generator bug (or one in Cranelift), not a finding against rulesel.
    Oracle(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Rulesel { stage, message } => write!(f, "rulesel {stage}: {message}"),
            Failure::Unsupported(m) => write!(f, "rulesel does not support {m} yet"),
            Failure::Panic(m) => write!(f, "rulesel panicked: {m}"),
            Failure::Oracle(m) => write!(f, "oracle: {m}"),
        }
    }
}

/// A module compiled and mapped by rulesel, ready to call.
pub struct RuleselModule {
    jit: JitModule,
    trampolines: Vec<Trampoline>,
    entries: Vec<*const u8>,
}

/// How rulesel compiles in a differential run: which rules, on which executor (whose rule
/// counters, when enabled, count over the whole campaign).
pub struct Runner {
    pub rules: RuleChoice,
    pub machine: Machine,
}

impl Default for Runner {
    fn default() -> Runner {
        Runner {
            rules: RuleChoice::Embedded,
            machine: Machine::new(),
        }
    }
}

/// Parses, verifies, compiles and maps `text` (the module's CLIF) with rulesel under `config`
/// (regalloc2's checker on), except the functions `oracle` compiles with Cranelift
/// ([`OracleModule::native`]). Panics are caught and reported as [`Failure::Panic`].
pub fn build_rulesel(
    text: &str,
    config: &Config,
    oracle: &OracleModule,
    runner: &mut Runner,
) -> Result<RuleselModule, Failure> {
    catch_unwind(AssertUnwindSafe(|| {
        build_rulesel_inner(text, config, oracle, runner)
    }))
    .unwrap_or_else(|p| Err(Failure::Panic(panic_message(&p))))
}

fn build_rulesel_inner(
    text: &str,
    config: &Config,
    oracle: &OracleModule,
    runner: &mut Runner,
) -> Result<RuleselModule, Failure> {
    let err = |stage, message: String| Failure::Rulesel { stage, message };
    let file = ir::parse_test_file(text).map_err(|e| {
        err(
            "parse",
            format!("{}:{}: {}", e.pos.line, e.pos.col, e.message),
        )
    })?;
    let flags = rulesel_flags(config).map_err(|e| err("settings", e))?;
    let isa = IsaFlags::from_features(config.features);
    let mut codes: Vec<(String, CompiledCode, Vec<String>)> = Vec::new();
    for (i, tf) in file.functions.iter().enumerate() {
        let func = &tf.function;
        ir::verify_function(func).map_err(|errors| {
            let first = errors.first().map(|e| e.describe()).unwrap_or_default();
            err("verify", first)
        })?;
        let code = match oracle.native.get(i) {
            Some(Some(code)) => code.clone(),
            _ => compile_function_using(func, &flags, &isa, runner.rules, &mut runner.machine)
                .map_err(|e| {
                    const UNSUPPORTED: &str = "not supported yet: ";
                    match e.message.find(UNSUPPORTED) {
                        Some(at) => {
                            Failure::Unsupported(e.message[at + UNSUPPORTED.len()..].to_string())
                        }
                        None => err("compile", e.to_string()),
                    }
                })?,
        };
        let symbols = symbol_names(&code);
        codes.push((module_name(&func.name), code, symbols));
    }
    let functions: Vec<JitFunction<'_>> = codes
        .iter()
        .map(|(name, code, symbols)| JitFunction {
            name,
            code,
            symbols,
        })
        .collect();
    let jit = JitModule::new(&functions).map_err(|e| err("jit", e.to_string()))?;
    let mut trampolines = Vec::new();
    let mut entries = Vec::new();
    for (tf, (name, _, _)) in file.functions.iter().zip(&codes) {
        trampolines.push(
            Trampoline::new(&tf.function.signature, &flags)
                .map_err(|e| err("trampoline", e.to_string()))?,
        );
        entries.push(
            jit.address_of(name)
                .ok_or_else(|| err("jit", format!("{name} not placed")))?,
        );
    }
    Ok(RuleselModule {
        jit,
        trampolines,
        entries,
    })
}

impl RuleselModule {
    /// Calls function `index` (module order) with `args` (bits, typed by its parameters);
    /// `returns` gives its result types.
    pub fn call(&self, index: usize, args: &[u128], returns: &[Ty]) -> Outcome {
        let tramp = &self.trampolines[index];
        let mut values = vec![0u128; tramp.slots().max(args.len())];
        values[..args.len()].copy_from_slice(args);
        let watchdog = Watchdog {
            code: self.jit.code_range(),
            timeout: Duration::from_secs(10),
        };
        // SAFETY: the trampoline was made for this function's signature under the flags it
        // was compiled with, and the arguments are values of its parameter types.
        let result =
            unsafe { tramp.call_watched(self.entries[index], &mut values, Some(&watchdog)) };
        match result {
            Ok(()) => Outcome::Returned(
                returns
                    .iter()
                    .zip(&values)
                    .map(|(&t, &v)| data_value(t, v).bits())
                    .collect(),
            ),
            Err(fault) if fault.signal == timeout_signal() => Outcome::Trapped("timeout".into()),
            Err(fault) => match self.jit.locate(fault.pc).and_then(|at| at.trap) {
                Some(code) => Outcome::Trapped(trap_name(code)),
                None => Outcome::Trapped(format!("fault without trap code: {fault}")),
            },
        }
    }
}

/// The module as Cranelift reads it, verified, with the machine code of the functions
/// Cranelift compiles itself in a mixed module.
pub struct OracleModule {
    functions: Vec<cranelift_codegen::ir::Function>,
    /// Per function: Cranelift's code, for the functions it compiles.
    pub native: Vec<Option<CompiledCode>>,
}

/// Reads and verifies `text` (the module's [`Module::to_oracle_clif`]) with Cranelift;
/// compiles the functions named in `native` with Cranelift's x64 back end under `config`.
pub fn build_oracle(text: &str, config: &Config, native: &[&str]) -> Result<OracleModule, Failure> {
    let functions = cranelift_reader::parse_functions(text)
        .map_err(|e| Failure::Oracle(format!("reader: {e}")))?;
    // Verified against the target (the frame-pointer instructions need one).
    let isa = super::cranelift::target_isa(config).map_err(Failure::Oracle)?;
    for f in &functions {
        cranelift_codegen::verifier::verify_function(f, &*isa)
            .map_err(|e| Failure::Oracle(format!("verifier: {e}")))?;
    }
    let mut compiled = Vec::with_capacity(functions.len());
    for f in &functions {
        let name = f.name.to_string();
        let wanted = native.iter().any(|n| name.strip_prefix('%') == Some(*n));
        compiled.push(match wanted {
            true => Some(
                catch_unwind(AssertUnwindSafe(|| super::cranelift::compile(f, &isa)))
                    .map_err(|p| {
                        Failure::Oracle(format!("Cranelift panicked: {}", panic_message(&p)))
                    })?
                    .map_err(Failure::Oracle)?,
            ),
            false => None,
        });
    }
    Ok(OracleModule {
        functions,
        native: compiled,
    })
}

impl OracleModule {
    /// Interprets function `index` on `args`; an interpreter failure (or panic) is a
    /// [`Failure::Oracle`].
    pub fn call(&self, index: usize, args: &[u128], params: &[Ty]) -> Result<Outcome, Failure> {
        let mut store = FunctionStore::default();
        for f in &self.functions {
            store.add(f.name.to_string(), f);
        }
        let name = self.functions[index].name.to_string();
        let args: Vec<ClifValue> = params
            .iter()
            .zip(args)
            .map(|(&t, &b)| clif_value(t, b))
            .collect();
        let state = InterpreterState::default().with_function_store(store);
        let mut interp = Interpreter::new(state).with_fuel(Some(1_000_000));
        let run = catch_unwind(AssertUnwindSafe(|| interp.call_by_name(&name, &args)))
            .map_err(|p| Failure::Oracle(format!("interpreter panicked: {}", panic_message(&p))))?;
        match run {
            Ok(ControlFlow::Return(vals)) => vals
                .iter()
                .map(clif_bits)
                .collect::<Option<Vec<u128>>>()
                .map(Outcome::Returned)
                .ok_or_else(|| Failure::Oracle("interpreter returned a non-scalar".into())),
            Ok(ControlFlow::Trap(CraneliftTrap::User(code))) => {
                Ok(Outcome::Trapped(code.to_string()))
            }
            Ok(other) => Err(Failure::Oracle(format!("interpreter ended with {other:?}"))),
            Err(InterpreterError::FuelExhausted) => Err(Failure::Oracle("fuel exhausted".into())),
            Err(e) => Err(Failure::Oracle(format!("interpreter: {e:?}"))),
        }
    }
}

/// Two outcomes of one call that disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub func: usize,
    pub args: Vec<u128>,
    pub ours: Outcome,
    pub theirs: Outcome,
}

/// What checking a module found.
#[derive(Clone, Debug)]
pub enum Finding {
    Mismatch(Mismatch),
    Failure(Failure),
}

/// Runs every function of `module` on each argument list of `calls[func]` on both sides and
/// returns the first disagreement.
pub fn check_module(
    module: &Module,
    calls: &[Vec<Vec<u128>>],
    runner: &mut Runner,
) -> Result<usize, Finding> {
    let text = module.to_clif();
    let oracle = build_oracle(
        &module.to_oracle_clif(),
        &module.config,
        &module.cranelift_compiled(),
    )
    .map_err(Finding::Failure)?;
    let ours = build_rulesel(&text, &module.config, &oracle, runner).map_err(Finding::Failure)?;
    let mut runs = 0;
    for (index, (func, arg_lists)) in module.funcs.iter().zip(calls).enumerate() {
        let params = func.params();
        let returns = func.returns();
        for args in arg_lists {
            let theirs = oracle
                .call(index, args, &params)
                .map_err(Finding::Failure)?;
            let got = ours.call(index, args, &returns);
            runs += 1;
            if !got.agrees(&theirs, &returns) {
                return Err(Finding::Mismatch(Mismatch {
                    func: index,
                    args: args.clone(),
                    ours: got,
                    theirs,
                }));
            }
        }
    }
    Ok(runs)
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".into()
    }
}
