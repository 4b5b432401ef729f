//! Tools for rule authors: load another rule set (`--rules DIR`), check it against the real x64
//! environment with exhaustiveness (`rulesel check`), count rule firings over run tests
//! (`rulesel coverage`, [`coverage`]) and show which rule lowered each instruction
//! (`rulesel explain`, [`explain`]); compile a test file function by function
//! (`rulesel compile` without `-o`, [`compile_report`]).
//!
//! ```text
//!   rules dir ─load_rules─▶ RuleProgram<LowerCtx> ─┬─ uncovered_pairs: (opcode, type) no rule matches
//!                                                  ├─ coverage: counters over run-test files ─▶ text, HTML
//!                                                  └─ explain: trace per IR instruction ─▶ listing
//!   .rules files ─fmt─▶ the same files in the one documented layout (`--check`: names them)
//! ```

pub mod compile_report;
pub mod coverage;
pub mod explain;
pub mod format_files;
pub mod lcov;
pub mod lsp;
pub mod mutate;
pub mod progress;
pub mod uncovered;
pub mod why_not;

use crate::dsl::{self, CompileError, RuleProgram, SourceMap};
use crate::ir::{self, Opcode, Type};
use crate::isa::x64::abi::AbiLayout;
use crate::isa::x64::lower::{self, ctx::LowerCtx, IsaFlags};
use crate::machinst::blockorder::BlockOrder;
use crate::settings::Flags;
use std::fmt;
use std::path::Path;

/// Why a rule directory could not be loaded: it could not be read, or its rules do not compile.
pub enum LoadError {
    Read(String),
    Compile(CompileError),
}

impl LoadError {
    /// The error as the command line shows it, in `style`.
    pub fn render(&self, style: dsl::Style) -> String {
        match self {
            LoadError::Read(m) => format!("error: {m}\n"),
            LoadError::Compile(e) => e.render_styled(style),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(dsl::Style::Plain))
    }
}

impl fmt::Debug for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The sources of a rule directory: every `*.rules` file under `dir`, after the embedded
/// prelude unless the directory has its own `prelude.rules` (so both a copy of `rules/x64` and
/// a copy of the whole `rules` directory load).
pub fn rule_sources(dir: &Path) -> Result<SourceMap, String> {
    let loaded = dsl::load_rules_dir(dir)?;
    let ids: Vec<dsl::FileId> = loaded.file_ids().collect();
    let has_prelude = ids
        .iter()
        .any(|&f| Path::new(loaded.path(f)).file_name() == Some("prelude.rules".as_ref()));
    if has_prelude {
        return Ok(loaded);
    }
    let mut map = dsl::embedded_sources();
    for f in ids {
        map.add(loaded.path(f).to_string(), loaded.text(f).to_string());
    }
    Ok(map)
}

/// Compiles the rules of `dir` (see [`rule_sources`]) with the x64 lowering environment.
pub fn load_rules(dir: &Path) -> Result<RuleProgram<LowerCtx>, LoadError> {
    let sources = rule_sources(dir).map_err(LoadError::Read)?;
    dsl::compile(sources, lower::terms::lower_env()).map_err(LoadError::Compile)
}

/// The embedded x64 rules, compiled afresh (not the process-wide copy), so that a check reports
/// their warnings and compile time.
pub fn compile_embedded() -> Result<RuleProgram<LowerCtx>, LoadError> {
    dsl::compile(dsl::embedded_x64_sources(), lower::terms::lower_env()).map_err(LoadError::Compile)
}

/// The types exhaustiveness is asked about: the scalar types the x64 back end lowers.
pub const SCALAR_TYPES: [Type; 7] = [
    Type::I8,
    Type::I16,
    Type::I32,
    Type::I64,
    Type::I128,
    Type::F32,
    Type::F64,
];

/// An opcode and the controlling types no rule can lower it at (`INVALID` for an opcode that
/// is not polymorphic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uncovered {
    pub opcode: Opcode,
    pub types: Vec<Type>,
}

impl fmt::Display for Uncovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.opcode.name())?;
        for (i, t) in self.types.iter().filter(|t| !t.is_invalid()).enumerate() {
            f.write_str(if i == 0 { ": " } else { " " })?;
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

/// The (opcode, scalar type) pairs of the scalar opcodes that no rule of `lower` (or, for
/// branches, `lower_branch`) may match, grouped by opcode in table order. Opcodes with a
/// vector operand or result are not asked about. See [`crate::dsl::exhaustive`] for what "may match" means.
pub fn uncovered_pairs(prog: &RuleProgram<LowerCtx>) -> Result<Vec<Uncovered>, String> {
    Ok(scalar_pairs(prog)?
        .into_iter()
        .filter(|p| !p.missing.is_empty())
        .map(|p| Uncovered {
            opcode: p.opcode,
            types: p.missing,
        })
        .collect())
}

/// The (opcode, scalar type) pairs some rule of `lower` or `lower_branch` may match: what the
/// rules lower, the complement of [`uncovered_pairs`]. Opcodes that are not polymorphic have
/// the one type `INVALID`. The differential generator must make every one of them.
pub fn lowered_pairs(prog: &RuleProgram<LowerCtx>) -> Result<Vec<(Opcode, Vec<Type>)>, String> {
    Ok(scalar_pairs(prog)?
        .into_iter()
        .filter(|p| !p.covered.is_empty())
        .map(|p| (p.opcode, p.covered))
        .collect())
}

/// One scalar opcode's controlling types, split by whether some rule may match them.
struct OpcodePairs {
    opcode: Opcode,
    covered: Vec<Type>,
    missing: Vec<Type>,
}

fn scalar_pairs(prog: &RuleProgram<LowerCtx>) -> Result<Vec<OpcodePairs>, String> {
    let mut host = probe_host()?;
    let term = |name: &str| {
        prog.term(name)
            .ok_or_else(|| format!("the rules declare no `{name}` term"))
    };
    let (lower_term, branch_term) = (term("lower")?, term("lower_branch")?);
    let mut out = Vec::new();
    for &op in Opcode::ALL {
        let info = op.info();
        use ir::opcodes::{CtrlType, TypeRule};
        let vector = |r: &TypeRule| match r {
            TypeRule::Fixed(t) => t.is_vector(),
            TypeRule::AnyVector => true,
            _ => false,
        };
        if info.args.iter().chain(info.results).any(vector) {
            continue;
        }
        let types: Vec<Type> = match info.ctrl {
            CtrlType::NotPolymorphic => vec![Type::INVALID],
            _ => SCALAR_TYPES
                .into_iter()
                .filter(|&t| info.ctrl_types.contains(t))
                .collect(),
        };
        let Some(op_term) = prog.term(op.name()) else {
            continue;
        };
        if types.is_empty() {
            continue;
        }
        let pairs: Vec<(dsl::TermId, u64)> = types
            .iter()
            .map(|t| (op_term, u64::from(t.code())))
            .collect();
        let t = if op.is_branch() {
            branch_term
        } else {
            lower_term
        };
        let unmatched = prog.unmatched_pairs(&mut host, t, &pairs);
        let (missing, covered): (Vec<Type>, Vec<Type>) = types
            .into_iter()
            .partition(|ty| unmatched.iter().any(|&(_, w)| w == u64::from(ty.code())));
        out.push(OpcodePairs {
            opcode: op,
            covered,
            missing,
        });
    }
    Ok(out)
}

/// A lowering context over an empty function: extractors on a controlling type look only at
/// the type, so any function will do as their host.
fn probe_host() -> Result<LowerCtx, String> {
    let file = ir::parse_test_file("function %probe() {\nblock0:\n    return\n}\n")
        .map_err(|e| e.message)?;
    let func = file.functions[0].function.clone();
    let flags = Flags::default();
    let abi = AbiLayout::compute(&func.signature, &flags).map_err(|e| e.to_string())?;
    let order = BlockOrder::new(&func);
    Ok(LowerCtx::new(func, flags, IsaFlags::default(), abi, order))
}
