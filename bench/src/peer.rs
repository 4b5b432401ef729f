//! Cranelift, the peer: target ISAs built from a CLIF file's `set` and `target` lines, one
//! function compiled for the compile-speed figures, and a JIT module for the code-speed ones.

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, Function, UserExternalName, UserFuncName};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::timing::{self, Pass, Profiler};
use cranelift_codegen::Context;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use std::any::Any;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Cranelift's optimisation level: `none` or `speed`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OptLevel {
    None,
    Speed,
}

impl OptLevel {
    pub fn name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
        }
    }
}

/// An x86-64 ISA with the file's `set` flags (`name`, optional value) and `target` feature
/// words, at `opt`. The verifier is off, as in production use; both compilers are timed so.
pub fn isa(
    opt: OptLevel,
    sets: &[(String, Option<String>)],
    features: &[String],
) -> Result<OwnedTargetIsa, String> {
    let mut b = settings::builder();
    for (name, value) in sets {
        match value {
            Some(v) => b.set(name, v),
            None => b.enable(name),
        }
        .map_err(|e| format!("set {name}: {e}"))?;
    }
    b.set("opt_level", opt.name()).map_err(|e| e.to_string())?;
    b.set("enable_verifier", "false")
        .map_err(|e| e.to_string())?;
    let mut ib = cranelift_codegen::isa::lookup_by_name("x86_64").map_err(|e| e.to_string())?;
    for f in features {
        ib.enable(f).map_err(|e| format!("target {f}: {e}"))?;
    }
    ib.finish(settings::Flags::new(b))
        .map_err(|e| e.to_string())
}

/// Compiles `func` (Cranelift legalises in place, so the caller passes a fresh clone) and
/// returns the code size in bytes.
pub fn compile(ctx: &mut Context, isa: &dyn TargetIsa, func: Function) -> Result<usize, String> {
    ctx.clear();
    ctx.func = func;
    let code = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("{:?}", e.inner))?;
    Ok(code.code_buffer().len())
}

/// Cranelift's listing of each function of a CLIF text (no headers) at opt_level none, for
/// comparing with `rulesel compile -D` function by function: the machine code as its
/// disassembler prints it after register allocation.
pub fn listing(text: &str) -> Result<String, String> {
    let isa = isa(OptLevel::None, &[], &[])?;
    let parsed = cranelift_reader::parse_test(text, Default::default())
        .map_err(|e| format!("cranelift parse: {e}"))?;
    let mut ctx = Context::new();
    ctx.set_disasm(true);
    let mut out = String::new();
    for (f, _) in parsed.functions {
        ctx.clear();
        ctx.set_disasm(true);
        let name = f.name.to_string();
        ctx.func = f;
        let code = ctx
            .compile(&*isa, &mut ControlPlane::default())
            .map_err(|e| format!("cranelift: {:?}", e.inner))?;
        let vcode = code.vcode.as_deref().unwrap_or("");
        let insts = vcode.lines().filter(|l| l.starts_with("  ")).count();
        out += &format!(
            "function {name}: {} bytes, {insts} instructions\n{vcode}\n",
            code.code_buffer().len()
        );
    }
    Ok(out)
}

/// Cranelift's time per phase, as its own pass timer reports it (see [`PassClock`]).
#[derive(Clone, Copy, Default, Debug)]
pub struct PeerPhases {
    pub lower: Duration,
    pub regalloc: Duration,
    pub emit: Duration,
    /// The whole of `Context::compile`.
    pub total: Duration,
}

thread_local! {
    static PEER_PHASES: Cell<PeerPhases> = Cell::default();
}

/// A pass profiler for Cranelift (installed with [`PassClock::install`]) that adds the time
/// of the passes matching rulesel's phases to a thread-local [`PeerPhases`].
pub struct PassClock;

/// Ends a pass when dropped.
struct PassToken {
    pass: Pass,
    start: Instant,
}

impl Drop for PassToken {
    fn drop(&mut self) {
        let d = self.start.elapsed();
        PEER_PHASES.with(|p| {
            let mut t = p.get();
            match self.pass.description() {
                "VCode lowering" => t.lower += d,
                "Register allocation" => t.regalloc += d,
                "VCode emission" | "VCode emission finalization" => t.emit += d,
                "Compilation passes" => t.total += d,
                _ => {}
            }
            p.set(t);
        });
    }
}

impl Profiler for PassClock {
    fn start_pass(&self, pass: Pass) -> Box<dyn Any> {
        Box::new(PassToken {
            pass,
            start: Instant::now(),
        })
    }
}

impl PassClock {
    /// Makes Cranelift report its passes on this thread to this clock.
    pub fn install() {
        timing::set_thread_profiler(Box::new(PassClock));
    }

    /// The phases summed since the last call, and a fresh start.
    pub fn take() -> PeerPhases {
        PEER_PHASES.with(|p| p.take())
    }
}

/// The bytes of a `%name` test-case name.
fn testcase_name(name: &ExternalName) -> Option<String> {
    match name {
        ExternalName::TestCase(t) => Some(String::from_utf8_lossy(t.raw()).into_owned()),
        _ => None,
    }
}

/// Functions compiled by Cranelift into this process's memory.
pub struct PeerJit {
    module: JITModule,
    ids: Vec<(String, FuncId)>,
}

impl PeerJit {
    /// Compiles `funcs` (named `%name`, calling each other by those names) at `opt`.
    pub fn new(funcs: &[Function], opt: OptLevel, features: &[String]) -> Result<PeerJit, String> {
        let isa = isa(opt, &[], features)?;
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let mut ids = Vec::new();
        for f in funcs {
            let UserFuncName::Testcase(t) = &f.name else {
                return Err("a kernel function is not named %name".to_string());
            };
            let name = String::from_utf8_lossy(t.raw()).into_owned();
            let id = module
                .declare_function(&name, Linkage::Export, &f.signature)
                .map_err(|e| e.to_string())?;
            ids.push((name, id));
        }
        let mut ctx = module.make_context();
        for (f, &(_, id)) in funcs.iter().zip(&ids) {
            let mut func = f.clone();
            func.name = UserFuncName::User(UserExternalName::new(0, id.as_u32()));
            // Calls by `%name` become calls of the module's functions.
            let refs: Vec<_> = func.dfg.ext_funcs.keys().collect();
            for r in refs {
                let Some(callee) = testcase_name(&func.dfg.ext_funcs[r].name) else {
                    continue;
                };
                let (_, callee_id) = (ids.iter())
                    .find(|(n, _)| *n == callee)
                    .ok_or_else(|| format!("call of unknown function %{callee}"))?;
                let user = func
                    .declare_imported_user_function(UserExternalName::new(0, callee_id.as_u32()));
                func.dfg.ext_funcs[r].name = ExternalName::User(user);
            }
            ctx.clear();
            ctx.func = func;
            module
                .define_function(id, &mut ctx)
                .map_err(|e| format!("{e:?}"))?;
        }
        module.finalize_definitions().map_err(|e| e.to_string())?;
        Ok(PeerJit { module, ids })
    }

    /// The address of function `name`, valid while `self` lives.
    pub fn address_of(&self, name: &str) -> Option<*const u8> {
        (self.ids.iter())
            .find(|(n, _)| n == name)
            .map(|&(_, id)| self.module.get_finalized_function(id))
    }
}
