//! `stack_switch` under `stack_switch_model=basic`, as Cranelift's x64 back end does it: a
//! context is three words (rsp at 0, rbp at 8, the pc to resume at at 16); the payload travels
//! in rdi both ways; every register is clobbered, so the values live across a switch wait in the
//! frame, and the prologue saves every callee-saved register.

use super::ctx::LowerCtx;
use super::minst::MInst;
use crate::ir::CallConv;
use crate::isa::x64::abi::call_clobbers;
use crate::isa::x64::regs::Reg;
use crate::settings::StackSwitchModel;
use regalloc2::RegClass;

/// Saves the current context at `store`, switches to the one at `load` with `payload`; the
/// register of the payload received when something switches back.
pub fn stack_switch(ctx: &mut LowerCtx, store: Reg, load: Reg, payload: Reg) -> Reg {
    let out = ctx.alloc_reg(RegClass::Int);
    match ctx.flags.stack_switch_model {
        StackSwitchModel::Basic => {}
        StackSwitchModel::None => {
            ctx.fail("stack_switch needs a model: set stack_switch_model=basic");
            return out;
        }
        StackSwitchModel::UpdateWindowsTib => {
            ctx.fail("not supported yet: stack_switch_model=update_windows_tib");
            return out;
        }
    }
    let clobbers = call_clobbers(CallConv::Tail, &ctx.flags, true);
    ctx.emit(MInst::StackSwitch {
        store,
        load,
        payload_in: payload,
        payload_out: out,
        clobbers,
    });
    out
}
