//! The library API for whole programs: what a language front end uses to turn functions and
//! data into an ELF object (linked by `cc`) or into code running in this process.
//!
//! ```text
//!   Module::new(flags, isa) / Module::from_clif(text)
//!     define_function(func, linkage)   functions parsed from CLIF or made with ir::FunctionBuilder
//!     define_data(ObjData)             read-only, writable or zero-initialised, aligned, with
//!                                      pointers to other symbols
//!     set_linkage(name, Local)         keep a definition out of the link's global namespace
//!     name_user(ExternalName::User{…}, "puts")   give `u0:3`-style names a symbol name
//!   ──▶ finish_object() → ELF bytes      ──▶ jit() → JitProgram (code and data in this process,
//!                                                 frames registered with the unwinder)
//! ```
//!
//! Names: a function is the symbol of its name (`%main` → `main`); a function or data object
//! that is referred to but not defined (`fn0 = %puts(i64) -> i32`, `gv0 = symbol %stdout`) is
//! an undefined symbol of that name, resolved by the linker (or, in the JIT, in this process).
//! [`directives`] describes how a CLIF file declares data and linkage in its comments.

pub mod directives;
pub mod link;
pub mod runtime;

use crate::compile::{compile_function_using, CompileError, CompiledCode, RuleChoice, SymbolName};
use crate::dsl::Machine;
use crate::ir::function::SourcePos;
use crate::ir::{self, ExternalName};
use crate::isa::x64::abi::prologue::PROBESTACK_SYMBOL;
use crate::isa::x64::unwind::register_jit_functions;
use crate::isa::x64::IsaFlags;
use crate::jit::{DataReloc as JitDataReloc, JitData, JitError, JitFunction, JitModule};
use crate::obj::{libcall_symbol, write_object, DataInit, Linkage, ObjData, ObjError, ObjFunction};
use crate::settings::Flags;
use crate::unwind::{RegisteredFrames, UnwindError};
use directives::{parse_directives, Directive};
use rayon::prelude::*;
use std::collections::HashSet;
use std::fmt;

/// Why a module could not be built, compiled, written or loaded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ModuleError {
    /// Bad CLIF text or directive at `pos` (`offset` is the byte offset in the text).
    Parse {
        pos: SourcePos,
        offset: usize,
        message: String,
    },
    /// A bad definition or name (duplicate, unknown, unnamed).
    Definition(String),
    Compile(CompileError),
    Object(ObjError),
    Jit(JitError),
    Unwind(UnwindError),
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleError::Parse { pos, message, .. } => {
                write!(f, "{}:{}: {message}", pos.line, pos.col)
            }
            ModuleError::Definition(m) => f.write_str(m),
            ModuleError::Compile(e) => e.fmt(f),
            ModuleError::Object(e) => e.fmt(f),
            ModuleError::Jit(e) => e.fmt(f),
            ModuleError::Unwind(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ModuleError {}

/// A program being put together: functions, data objects and their linkage, compiled with one
/// set of flags.
#[derive(Clone, Debug)]
pub struct Module {
    flags: Flags,
    isa: IsaFlags,
    rules: RuleChoice,
    functions: Vec<(ir::Function, Linkage)>,
    data: Vec<ObjData>,
    user_names: Vec<(ExternalName, String)>,
    /// The symbols of the functions and data defined so far (a program defines thousands: a
    /// scan of them per definition was quadratic).
    taken: HashSet<String>,
    /// Threads compiling functions; 1 compiles them one after another on the caller's thread.
    jobs: usize,
}

/// A function of a module after compilation.
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    pub name: String,
    pub linkage: Linkage,
    pub code: CompiledCode,
    /// The symbol each `SymbolId` of `code` refers to, as the object file names it
    /// (libcalls by their C library name).
    pub symbols: Vec<String>,
}

impl Module {
    /// An empty module compiled with `flags` for a machine with `isa`.
    pub fn new(flags: Flags, isa: IsaFlags) -> Module {
        Module {
            flags,
            isa,
            rules: RuleChoice::Embedded,
            functions: Vec::new(),
            data: Vec::new(),
            user_names: Vec::new(),
            taken: HashSet::new(),
            jobs: 1,
        }
    }

    /// A module holding every function of a CLIF file and the data and linkage its
    /// [`directives`] declare. `set` lines become the flags, the first `target x86_64 …` line
    /// the ISA features (baseline x86-64 without one); other targets are ignored.
    pub fn from_clif(text: &str) -> Result<Module, ModuleError> {
        let (file, targets) = crate::targets::parse_clif(text).map_err(|e| ModuleError::Parse {
            pos: e.pos,
            offset: e.offset,
            message: e.message,
        })?;
        if targets.x86_64.is_empty() && !targets.skipped.is_empty() {
            return Err(ModuleError::Parse {
                pos: SourcePos { line: 1, col: 1 },
                offset: 0,
                message: format!(
                    "only x86_64 is supported; this file targets {}",
                    targets.skipped.join(", ")
                ),
            });
        }
        let (flags, isa) = targets.first();
        let mut module = Module::new(flags, isa);
        for tf in file.functions {
            module.define_function(tf.function, Linkage::Global)?;
        }
        let directives = parse_directives(text).map_err(|e| ModuleError::Parse {
            pos: e.pos,
            offset: e.offset,
            message: e.message,
        })?;
        for (pos, d) in directives {
            let located = |e: ModuleError| match e {
                ModuleError::Definition(message) => ModuleError::Parse {
                    pos,
                    offset: line_offset(text, pos.line),
                    message,
                },
                e => e,
            };
            match d {
                Directive::Local(name) => module.set_linkage(&name, Linkage::Local),
                Directive::Data(data) => module.define_data(data),
            }
            .map_err(located)?;
        }
        Ok(module)
    }

    /// Adds a function, the symbol of its name. Its name must be `%name` or a user name given
    /// a symbol with [`Module::name_user`].
    pub fn define_function(
        &mut self,
        func: ir::Function,
        linkage: Linkage,
    ) -> Result<(), ModuleError> {
        let name = self.symbol_of(&func.name);
        self.check_free(&name)?;
        self.taken.insert(name);
        self.functions.push((func, linkage));
        Ok(())
    }

    /// Adds a data object.
    pub fn define_data(&mut self, data: ObjData) -> Result<(), ModuleError> {
        self.check_free(&data.name)?;
        if !data.align.is_power_of_two() {
            return Err(ModuleError::Definition(format!(
                "data `{}`: alignment {} is not a power of two",
                data.name, data.align
            )));
        }
        self.taken.insert(data.name.clone());
        self.data.push(data);
        Ok(())
    }

    /// Sets the linkage of the function or data object `name` (defined before this call).
    pub fn set_linkage(&mut self, name: &str, linkage: Linkage) -> Result<(), ModuleError> {
        for i in 0..self.functions.len() {
            if self.symbol_of(&self.functions[i].0.name) == name {
                self.functions[i].1 = linkage;
                return Ok(());
            }
        }
        match self.data.iter_mut().find(|d| d.name == name) {
            Some(d) => {
                d.linkage = linkage;
                Ok(())
            }
            None => Err(ModuleError::Definition(format!(
                "`{name}` is not a function or data object of the module"
            ))),
        }
    }

    /// Gives the user name `name` (`u0:3`) the symbol `symbol`, for functions and global values
    /// a front end numbers rather than names. A user name not given one is the symbol
    /// [`user_symbol`] makes (`u0:3` is `u0_3`).
    pub fn name_user(&mut self, name: ExternalName, symbol: &str) {
        // A function defined under this name changes symbol.
        if self.functions.iter().any(|(f, _)| f.name == name) {
            self.taken.remove(&self.symbol_of(&name));
            self.taken.insert(symbol.to_string());
        }
        self.user_names.retain(|(n, _)| *n != name);
        self.user_names.push((name, symbol.to_string()));
    }

    fn symbol_of(&self, name: &ExternalName) -> String {
        match name {
            ExternalName::TestCase(n) => n.clone(),
            ExternalName::User { namespace, index } => self
                .user_names
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| user_symbol(*namespace, *index), |(_, s)| s.clone()),
        }
    }

    fn check_free(&self, name: &str) -> Result<(), ModuleError> {
        if self.taken.contains(name) {
            return Err(ModuleError::Definition(format!(
                "`{name}` is defined twice"
            )));
        }
        Ok(())
    }

    /// Lowers the functions with the rule program `rules` chooses (the embedded rules unless
    /// set).
    pub fn set_rules(&mut self, rules: RuleChoice) {
        self.rules = rules;
    }

    /// Compiles every function with `flags`. `libcall` names the symbol of a runtime routine.
    /// Compiles the functions on `jobs` threads (at least 1). Functions are compiled
    /// independently and collected in definition order, so the output does not depend on it.
    pub fn set_jobs(&mut self, jobs: usize) {
        self.jobs = jobs.max(1);
    }

    /// Compiles every function with `flags`, on `self.jobs` threads. `libcall` names the
    /// symbol of a runtime routine. The first failing function in definition order is the
    /// error.
    fn compile_with(
        &self,
        flags: &Flags,
        libcall: impl Fn(&str) -> Option<String> + Sync,
    ) -> Result<Vec<CompiledFunction>, ModuleError> {
        if self.jobs == 1 {
            let mut machine = Machine::new();
            return (self.functions.iter())
                .map(|(func, linkage)| {
                    self.compile_one(func, *linkage, flags, &libcall, &mut machine)
                })
                .collect();
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.jobs)
            .build()
            .map_err(|e| ModuleError::Definition(format!("cannot start threads: {e}")))?;
        // Every result is kept so that the error reported is the first in order, as with 1 job.
        let results: Vec<_> = pool.install(|| {
            (self.functions.par_iter())
                .map_init(Machine::new, |machine, (func, linkage)| {
                    self.compile_one(func, *linkage, flags, &libcall, machine)
                })
                .collect()
        });
        results.into_iter().collect()
    }

    fn compile_one(
        &self,
        func: &ir::Function,
        linkage: Linkage,
        flags: &Flags,
        libcall: &impl Fn(&str) -> Option<String>,
        machine: &mut Machine,
    ) -> Result<CompiledFunction, ModuleError> {
        let name = self.symbol_of(&func.name);
        let code = compile_function_using(func, flags, &self.isa, self.rules, machine)
            .map_err(ModuleError::Compile)?;
        let symbols = (code.symbols.iter())
            .map(|s| match s {
                SymbolName::External(n) => Ok(self.symbol_of(n)),
                SymbolName::LibCall(l) => libcall(l).ok_or_else(|| {
                    ModuleError::Definition(format!(
                        "function {name}: runtime routine `{l}` has no C library equivalent"
                    ))
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledFunction {
            name,
            linkage,
            code,
            symbols,
        })
    }

    /// Compiles every function for an object file (libcalls named as in the C library), plus
    /// the [`runtime`] routines they call that the C library lacks, as local functions. Code
    /// for objects is position-independent (`is_pic`), as PIE executables and shared libraries
    /// need, whatever the flags say.
    pub fn compile(&self) -> Result<Vec<CompiledFunction>, ModuleError> {
        let pic = Flags {
            is_pic: true,
            ..self.flags.clone()
        };
        let mut compiled = self.compile_with(&pic, |l| match l {
            PROBESTACK_SYMBOL => Some(l.to_string()),
            _ => libcall_symbol(l).map(str::to_string),
        })?;
        let probes = (compiled.iter()).any(|c| c.symbols.iter().any(|s| s == PROBESTACK_SYMBOL));
        if probes {
            compiled.push(CompiledFunction {
                name: PROBESTACK_SYMBOL.to_string(),
                linkage: Linkage::Local,
                code: runtime::probestack().map_err(ModuleError::Definition)?,
                symbols: Vec::new(),
            });
        }
        Ok(compiled)
    }

    /// The ELF relocatable object of the whole module.
    pub fn finish_object(&self) -> Result<Vec<u8>, ModuleError> {
        let compiled = self.compile()?;
        let functions: Vec<ObjFunction<'_>> = (compiled.iter())
            .map(|c| ObjFunction {
                name: &c.name,
                linkage: c.linkage,
                code: &c.code,
                symbols: &c.symbols,
            })
            .collect();
        write_object(&functions, &self.data).map_err(ModuleError::Object)
    }

    /// Compiles the module into this process's memory, data objects next to the code, and
    /// registers its frames with the system unwinder.
    pub fn jit(&self) -> Result<JitProgram, ModuleError> {
        // The JIT resolves runtime routines by their libcall names itself.
        let compiled = self.compile_with(&self.flags, |l| Some(l.to_string()))?;
        let functions: Vec<JitFunction<'_>> = (compiled.iter())
            .map(|c| JitFunction {
                name: &c.name,
                code: &c.code,
                symbols: &c.symbols,
            })
            .collect();
        let mut contents = Vec::with_capacity(self.data.len());
        for d in &self.data {
            let bytes = match &d.init {
                DataInit::Bytes(b) => b.clone(),
                DataInit::Zeros(n) => vec![0; *n as usize],
            };
            let relocs: Vec<JitDataReloc> = (d.relocs.iter())
                .map(|r| JitDataReloc {
                    offset: r.offset as u32,
                    symbol: r.symbol.clone(),
                    addend: r.addend,
                })
                .collect();
            let align = u32::try_from(d.align).map_err(|_| {
                ModuleError::Definition(format!("data `{}`: alignment too large", d.name))
            })?;
            contents.push((bytes, relocs, align));
        }
        let data: Vec<JitData<'_>> = (self.data.iter())
            .zip(&contents)
            .map(|(d, (bytes, relocs, align))| JitData {
                name: &d.name,
                bytes,
                align: *align,
                writable: d.writable,
                relocs,
            })
            .collect();
        let code = JitModule::with_data(&functions, &data).map_err(ModuleError::Jit)?;
        let mut placed = Vec::with_capacity(compiled.len());
        for c in &compiled {
            let Some(start) = code.address_of(&c.name) else {
                return Err(ModuleError::Definition(format!(
                    "function {} is missing from the JIT module",
                    c.name
                )));
            };
            placed.push((start as usize, &c.code));
        }
        let frames = register_jit_functions(&placed).map_err(ModuleError::Unwind)?;
        Ok(JitProgram { frames, code })
    }
}

/// The byte offset of the start of 1-based line `line` in `text`.
fn line_offset(text: &str, line: u32) -> usize {
    text.split('\n')
        .take(line.saturating_sub(1) as usize)
        .map(|l| l.len() + 1)
        .sum()
}

/// A module's code in this process, callable and unwindable until dropped.
#[derive(Debug)]
pub struct JitProgram {
    // Declared first so that it is dropped (deregistered) before the code is unmapped.
    frames: RegisteredFrames,
    code: JitModule,
}

impl JitProgram {
    /// The address of function `name`; transmute it to the `extern "C"` function type of its
    /// signature (System V) to call it.
    pub fn address_of(&self, name: &str) -> Option<*const u8> {
        self.code.address_of(name)
    }

    /// The code in memory.
    pub fn code(&self) -> &JitModule {
        &self.code
    }

    /// The `.eh_frame` registered for the code.
    pub fn eh_frame(&self) -> &[u8] {
        self.frames.bytes()
    }
}

/// The symbol of user name `u<namespace>:<index>` when the module was given none: `u0:919` is
/// `u0_919`, a name C and the linker accept.
pub fn user_symbol(namespace: u32, index: u32) -> String {
    format!("u{namespace}_{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str =
        "function %main() -> i32 {\nblock0:\n    v0 = iconst.i32 0\n    return v0\n}\n";

    #[test]
    fn headers_become_flags_and_directives_apply() {
        let text = format!("set opt_level=speed\ntarget x86_64 has_sse41\n{MAIN};! local %main\n;! data %d = \"x\"\n");
        let m = Module::from_clif(&text).unwrap();
        assert!(m.isa.sse41);
        assert_eq!(m.functions[0].1, Linkage::Local);
        assert_eq!(m.data[0].name, "d");
    }

    #[test]
    fn bad_modules_are_located_errors() {
        let err = |text: &str| match Module::from_clif(text) {
            Err(ModuleError::Parse { pos, message, .. }) => (pos.line, message),
            other => panic!("{other:?}"),
        };
        let (line, message) = err(&format!("{MAIN};! local %nothing\n"));
        assert_eq!(line, 6);
        assert!(message.contains("`nothing` is not a function or data object"));
        let (line, message) = err(&format!("{MAIN};! data %main = \"x\"\n"));
        assert_eq!(line, 6);
        assert!(message.contains("defined twice"));
        let (_, message) = err("target riscv64\n");
        assert!(message.contains("only x86_64"));
        let (line, _) = err("function %f() {\nblock0:\n    bogus\n}\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn user_names_have_a_default_symbol() {
        let user = |index| ExternalName::User {
            namespace: 0,
            index,
        };
        let func =
            |index| ir::Function::new(user(index), ir::Signature::new(ir::CallConv::SystemV));
        let mut m = Module::new(Flags::default(), IsaFlags::default());
        m.define_function(func(3), Linkage::Global).unwrap();
        assert!(m.set_linkage("u0_3", Linkage::Local).is_ok());
        m.name_user(user(7), "seven");
        m.define_function(func(7), Linkage::Global).unwrap();
        assert!(m.set_linkage("seven", Linkage::Local).is_ok());
        assert!(matches!(
            m.define_function(func(3), Linkage::Global),
            Err(ModuleError::Definition(_))
        ));
    }

    /// Functions that differ, so that an out-of-order result would change the object.
    fn many_functions(n: usize) -> String {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "function %f{i}(i64) -> i64 {{\nblock0(v0: i64):\n    v1 = iadd_imm v0, {i}\n    v2 = imul v1, v0\n    return v2\n}}\n\n"
            ));
        }
        text
    }

    #[test]
    fn parallel_compile_gives_the_same_object() {
        let text = many_functions(40);
        let serial = Module::from_clif(&text).unwrap().finish_object().unwrap();
        for jobs in [2, 3, 8] {
            let mut module = Module::from_clif(&text).unwrap();
            module.set_jobs(jobs);
            assert_eq!(module.finish_object().unwrap(), serial, "{jobs} jobs");
        }
    }

    #[test]
    fn parallel_compile_reports_the_first_failure_in_order() {
        let mut text = many_functions(10);
        for bad in ["%bad1", "%bad2"] {
            text.push_str(&format!(
                "function {bad}() -> i64 {{\nblock0:\n    v0 = iconst.i64 1\n    return v0, v0\n}}\n\n"
            ));
        }
        let mut module = Module::from_clif(&text).unwrap();
        module.set_jobs(4);
        match module.finish_object() {
            Err(ModuleError::Compile(e)) => assert_eq!(e.function, "%bad1"),
            other => panic!("expected %bad1 to fail, got {other:?}"),
        }
    }
}
