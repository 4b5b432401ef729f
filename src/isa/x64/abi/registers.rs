//! The registers each calling convention preserves across calls and clobbers, and the register
//! environment regalloc2 allocates from.
//!
//! | convention | callee-saved (besides rbp and rsp) |
//! |---|---|
//! | `system_v`, `fast`, `cold`, `tail` | rbx r12 r13 r14 r15 |
//! | `windows_fastcall` | rbx rsi rdi r12 r13 r14 r15, xmm6–xmm15 |
//! | `preserve_all` | every GPR and every XMM register |
//! | `winch` | none |
//!
//! rsp and rbp are never allocated: rbp is the frame pointer and is saved by the frame setup, not
//! as a callee-save. With `enable_pinned_reg`, r15 holds the pinned value for the whole program:
//! it is neither allocatable nor callee-saved.
//!
//! No dedicated scratch register is reserved: regalloc2 finds one when it needs to break a move
//! cycle, and the prologue's temporaries ([`STACK_LIMIT_REG`], [`PROBE_LOOP_REG`],
//! [`PROBE_SIZE_REG`]) are caller-saved registers that carry no argument in any convention and
//! are dead once the prologue ends.

use crate::ir::CallConv;
use crate::isa::x64::regs::{
    gpr, xmm, R10, R11, R12, R13, R14, R15, RAX, RBP, RBX, RDI, RDX, RSI, RSP,
};
use crate::settings::Flags;
use regalloc2::{MachineEnv, PReg, PRegSet, RegClass};

/// The register that holds the pinned value when `enable_pinned_reg` is set.
pub const PINNED_REG: PReg = R15;
/// Holds the stack limit while the prologue checks it.
pub const STACK_LIMIT_REG: PReg = R10;
/// Holds the loop bound of an inline probe loop, and the limit plus frame size in the stack
/// check.
pub const PROBE_LOOP_REG: PReg = R11;
/// Carries the frame size to the outline probe function.
pub const PROBE_SIZE_REG: PReg = RAX;

fn all_gprs() -> PRegSet {
    (0..16)
        .map(gpr)
        .filter(|r| *r != RSP && *r != RBP)
        .collect()
}

fn all_xmms() -> PRegSet {
    (0..16).map(xmm).collect()
}

/// The registers a function of convention `cc` must preserve for its caller, apart from rbp
/// (which the frame setup saves) and rsp.
pub fn callee_saved(cc: CallConv, flags: &Flags) -> PRegSet {
    let mut set: PRegSet = match cc {
        CallConv::WindowsFastcall => [RBX, RSI, RDI, R12, R13, R14, R15]
            .into_iter()
            .chain((6..16).map(xmm))
            .collect(),
        CallConv::PreserveAll => all_gprs() | all_xmms(),
        CallConv::Winch => PRegSet::empty(),
        _ => [RBX, R12, R13, R14, R15].into_iter().collect(),
    };
    if flags.enable_pinned_reg {
        set.remove(PINNED_REG);
    }
    set
}

/// The registers a call to a function of convention `callee_cc` may overwrite. A `try_call`
/// (`is_exception_edge`) clobbers everything, whatever the callee's convention: the throw
/// runtime restores only the frame and stack pointers, not the registers the frames it skips
/// had saved.
pub fn call_clobbers(callee_cc: CallConv, flags: &Flags, is_exception_edge: bool) -> PRegSet {
    let preserved = if is_exception_edge {
        PRegSet::empty()
    } else {
        callee_saved(callee_cc, flags)
    };
    let mut clobbers = (all_gprs() | all_xmms()) & preserved.invert();
    if flags.enable_pinned_reg {
        clobbers.remove(PINNED_REG);
    }
    clobbers
}

/// Where a function of convention `cc` finds an exception's payload values on entry to a
/// landing block: rax and rdx under the System V family, none elsewhere.
pub fn exception_payload_regs(cc: CallConv) -> &'static [PReg] {
    match cc {
        CallConv::SystemV | CallConv::Fast | CallConv::Tail | CallConv::PreserveAll => &[RAX, RDX],
        _ => &[],
    }
}

/// The registers regalloc2 may use in a function of convention `cc`. Caller-saved registers
/// come first (preferred): using them costs no save and restore. Callee-saved ones come second.
pub fn machine_env(cc: CallConv, flags: &Flags) -> MachineEnv {
    let mut allocatable = all_gprs() | all_xmms();
    if flags.enable_pinned_reg {
        allocatable.remove(PINNED_REG);
    }
    let saved = callee_saved(cc, flags);
    let mut preferred = allocatable & saved.invert();
    let mut non_preferred = allocatable & saved;
    // With every register callee-saved (`preserve_all`) there is no cheaper choice; regalloc2
    // still wants its first list filled.
    if preferred.is_empty(RegClass::Int) && preferred.is_empty(RegClass::Float) {
        std::mem::swap(&mut preferred, &mut non_preferred);
    }
    let by_class = |set: PRegSet| [set & all_gprs(), set & all_xmms(), PRegSet::empty()];
    MachineEnv {
        preferred_regs_by_class: by_class(preferred),
        non_preferred_regs_by_class: by_class(non_preferred),
        scratch_by_class: [None, None, None],
        fixed_stack_slots: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::x64::regs::{name, R8, R9, RCX};

    fn names(set: PRegSet) -> String {
        set.into_iter()
            .map(|r| name(r, 8))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn callee_saved_per_convention() {
        let f = Flags::default();
        assert_eq!(
            names(callee_saved(CallConv::SystemV, &f)),
            "rbx r12 r13 r14 r15"
        );
        assert_eq!(
            names(callee_saved(CallConv::Tail, &f)),
            "rbx r12 r13 r14 r15"
        );
        assert_eq!(
            names(callee_saved(CallConv::WindowsFastcall, &f)),
            "rbx rsi rdi r12 r13 r14 r15 xmm6 xmm7 xmm8 xmm9 xmm10 xmm11 xmm12 xmm13 xmm14 xmm15"
        );
        assert_eq!(callee_saved(CallConv::PreserveAll, &f).len(), 14 + 16);
        assert_eq!(names(callee_saved(CallConv::Winch, &f)), "");
        let pinned = Flags {
            enable_pinned_reg: true,
            ..Flags::default()
        };
        assert_eq!(
            names(callee_saved(CallConv::SystemV, &pinned)),
            "rbx r12 r13 r14"
        );
    }

    #[test]
    fn clobbers_are_the_complement() {
        let f = Flags::default();
        let sysv = call_clobbers(CallConv::SystemV, &f, false);
        assert_eq!(
            names(sysv & all_gprs()),
            "rax rcx rdx rsi rdi r8 r9 r10 r11"
        );
        assert!(sysv.contains(xmm(15)));
        let win = call_clobbers(CallConv::WindowsFastcall, &f, false);
        assert_eq!(
            names(win),
            "rax rcx rdx r8 r9 r10 r11 xmm0 xmm1 xmm2 xmm3 xmm4 xmm5"
        );
        assert!(call_clobbers(CallConv::PreserveAll, &f, false) == PRegSet::empty());
        assert_eq!(call_clobbers(CallConv::Tail, &f, true).len(), 30);
        assert!(!call_clobbers(CallConv::Winch, &f, false).contains(RSP));
        for r in [RAX, RCX, RDX, R8, R9, R10, R11] {
            assert!(win.contains(r));
        }
    }

    #[test]
    fn machine_env_prefers_caller_saved_and_never_hands_out_rsp_rbp() {
        let env = machine_env(CallConv::SystemV, &Flags::default());
        assert_eq!(
            names(env.preferred_regs_by_class[0]),
            "rax rcx rdx rsi rdi r8 r9 r10 r11"
        );
        assert_eq!(
            names(env.non_preferred_regs_by_class[0]),
            "rbx r12 r13 r14 r15"
        );
        assert_eq!(env.preferred_regs_by_class[1].len(), 16);
        let pinned = Flags {
            enable_pinned_reg: true,
            ..Flags::default()
        };
        let env = machine_env(CallConv::WindowsFastcall, &pinned);
        let all = env.preferred_regs_by_class[0] | env.non_preferred_regs_by_class[0];
        assert!(!all.contains(RSP) && !all.contains(RBP) && !all.contains(R15));
        assert_eq!(all.len(), 13);
        assert_eq!(env.non_preferred_regs_by_class[1].len(), 10);
        let env = machine_env(CallConv::PreserveAll, &Flags::default());
        assert_eq!(env.preferred_regs_by_class[0].len(), 14);
        assert_eq!(env.preferred_regs_by_class[1].len(), 16);
        assert_eq!(exception_payload_regs(CallConv::SystemV), &[RAX, RDX]);
        assert!(exception_payload_regs(CallConv::WindowsFastcall).is_empty());
        assert!(env.non_preferred_regs_by_class[0].is_empty(RegClass::Int));
    }
}
