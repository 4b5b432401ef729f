//! `tls_value`: the address of a thread-local variable. Under `tls_model=elf_gd` (ELF's
//! general-dynamic model, which works in executables and shared libraries alike) it is a call
//! to `__tls_get_addr` with the address of the variable's GOT descriptor, as a fixed byte
//! sequence the linker may relax into the initial-exec or local-exec model.

use super::ctx::LowerCtx;
use super::minst::MInst;
use crate::ir;
use crate::isa::x64::abi::call_clobbers;
use crate::isa::x64::regs::Reg;
use crate::machinst::buffer::SymbolName;
use crate::settings::TlsModel;
use regalloc2::RegClass;

/// The address of the thread-local symbol of global value `gv` in a fresh register.
pub fn tls_address(ctx: &mut LowerCtx, gv: ir::GlobalValue) -> Reg {
    let dst = ctx.alloc_reg(RegClass::Int);
    match ctx.flags.tls_model {
        TlsModel::ElfGd => {}
        TlsModel::None => {
            ctx.fail("tls_value needs a thread-local storage model: set tls_model=elf_gd");
            return dst;
        }
        other => {
            ctx.fail(format!(
                "not supported yet: tls_model {other:?} (ELF objects use elf_gd)"
            ));
            return dst;
        }
    }
    let name = match ctx.func.global_values.get(gv) {
        Some(ir::GlobalValueData::Symbol {
            name,
            offset,
            tls: true,
            ..
        }) if offset.0 == 0 => name.clone(),
        Some(ir::GlobalValueData::Symbol { tls: true, .. }) => {
            ctx.fail(format!(
                "not supported yet: tls_value of {gv}, a thread-local symbol with an offset"
            ));
            return dst;
        }
        _ => {
            ctx.fail(format!(
                "tls_value of {gv}, which is not a `symbol tls` global value"
            ));
            return dst;
        }
    };
    let symbol = ctx.symbol(SymbolName::External(name));
    let get_addr = ctx.symbol(SymbolName::LibCall("__tls_get_addr".to_string()));
    ctx.is_leaf = false;
    let clobbers = call_clobbers(ir::CallConv::SystemV, &ctx.flags, false);
    ctx.emit(MInst::ElfTlsGetAddr {
        symbol,
        get_addr,
        dst,
        clobbers,
    });
    dst
}
