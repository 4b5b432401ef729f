//! Functions of a mixed module compiled by Cranelift's own x64 back end, in the shape rulesel's
//! JIT places ([`CompiledCode`]), so that rulesel's code calls Cranelift's and the other way
//! round in one process. Where the two disagree on a calling convention (argument registers,
//! stack layout, return areas, extension of narrow values), the results differ from the
//! interpreter's and the campaign reports it; within rulesel alone such a disagreement would
//! be invisible, since both sides of every call would agree with each other.

use super::program::Config;
use crate::ir::{self as rs_ir};
use crate::isa::x64::lower::ctx::trap_code;
use crate::machinst::buffer::{
    CompiledCode, Reloc as RsReloc, RelocKind, SymbolId, SymbolName, TrapSite,
};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, Function};
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_codegen::FinalizedRelocTarget;

/// Cranelift's x86-64 target with the module's settings and CPU features.
pub fn target_isa(config: &Config) -> Result<OwnedTargetIsa, String> {
    let mut builder = settings::builder();
    for (name, value) in &config.settings {
        builder
            .set(name, value)
            .map_err(|e| format!("Cranelift setting {name}={value}: {e}"))?;
    }
    let flags = settings::Flags::new(builder);
    let mut isa_builder =
        isa::lookup_by_name("x86_64").map_err(|e| format!("Cranelift's x86_64: {e}"))?;
    for f in config.features.iter() {
        isa_builder
            .enable(f.flag_name())
            .map_err(|e| format!("Cranelift flag {}: {e}", f.flag_name()))?;
    }
    isa_builder
        .finish(flags)
        .map_err(|e| format!("Cranelift's x86_64: {e}"))
}

/// Compiles `func` with Cranelift for `isa` into rulesel's form of compiled code: the bytes,
/// the relocations (calls and addresses of module functions and libcalls) and the trap sites.
pub fn compile(func: &Function, isa: &OwnedTargetIsa) -> Result<CompiledCode, String> {
    let mut ctx = Context::for_function(func.clone());
    let compiled = ctx
        .compile(&**isa, &mut ControlPlane::default())
        .map_err(|e| format!("Cranelift cannot compile {}: {:?}", func.name, e.inner))?;
    let bytes = compiled.code_buffer().to_vec();
    let mut symbols: Vec<SymbolName> = Vec::new();
    let mut relocs = Vec::new();
    for r in compiled.buffer.relocs() {
        let kind = match r.kind {
            Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 => RelocKind::CallPlt4,
            Reloc::X86PCRel4 => RelocKind::PcRel4,
            Reloc::X86GOTPCRel4 => RelocKind::GotPcRel4,
            Reloc::Abs8 => RelocKind::Abs8,
            other => return Err(format!("Cranelift relocation {other:?} in {}", func.name)),
        };
        let name = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::TestCase(n)) => SymbolName::External(
                rs_ir::ExternalName::TestCase(String::from_utf8_lossy(n.raw()).into_owned()),
            ),
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(l)) => {
                SymbolName::LibCall(l.to_string())
            }
            other => return Err(format!("Cranelift relocation target {other:?}")),
        };
        let id = match symbols.iter().position(|s| *s == name) {
            Some(i) => i,
            None => {
                symbols.push(name);
                symbols.len() - 1
            }
        };
        relocs.push(RsReloc {
            offset: r.offset,
            kind,
            symbol: SymbolId(id as u32),
            addend: r.addend,
        });
    }
    let traps = compiled
        .buffer
        .traps()
        .iter()
        .map(|t| {
            let code = rs_ir::TrapCode::parse(&t.code.to_string())
                .map_or(crate::machinst::buffer::TrapCode(255), trap_code);
            TrapSite {
                offset: t.offset,
                code,
            }
        })
        .collect();
    Ok(CompiledCode {
        code_len: bytes.len() as u32,
        bytes,
        relocs,
        traps,
        symbols,
        ..CompiledCode::default()
    })
}
