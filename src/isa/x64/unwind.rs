//! x86-64 call-frame information for our frames (System V DWARF register numbers).
//!
//! ```text
//!   entry            CFA = rsp + 8, return address at CFA - 8      (the CIE)
//!   push rbp         CFA = rsp + 16, rbp saved at CFA - 16
//!   mov rbp, rsp     CFA = rbp + 16                                 (fixed from here on)
//!   push r12 …       r12 saved at CFA - 24 …
//!   sub rsp, N       (nothing: the CFA hangs off rbp)
//!   movdqu [rsp+d], xmm6 …   xmm6 saved at its slot (Windows frames)
//!
//!   … body …                 CFA = rbp + 16
//!   pop r12 …; pop rbp       CFA = rsp + 8 after `pop rbp`
//!   ret                      CFA = rbp + 16 again after it, for the blocks that follow
//! ```
//!
//! Every step takes effect at the end of its instruction, as the code marks of the prologue and
//! of each epilogue give it, so the description is exact at every instruction.

use crate::isa::x64::abi::prologue::FrameInst;
use crate::isa::x64::abi::FrameLayout;
use crate::isa::x64::regs::{RBP, RSP};
use crate::machinst::buffer::CompiledCode;
use crate::unwind::{FrameEntry, RegisteredFrames, UnwindError, UnwindInfo, UnwindStep};
use gimli::write::{Address, CallFrameInstruction, CommonInformationEntry};
use gimli::{Encoding, Format, Register, X86_64};
use regalloc2::{PReg, RegClass};

/// The DWARF number of a register (System V psABI figure 3.36).
pub fn dwarf_register(reg: PReg) -> Register {
    match reg.class() {
        RegClass::Int => {
            // Hardware order rax rcx rdx rbx rsp rbp rsi rdi, DWARF order rax rdx rcx rbx rsi rdi rbp rsp.
            const BY_HW: [u16; 8] = [0, 2, 1, 3, 7, 6, 4, 5];
            let hw = reg.hw_enc();
            Register(if hw < 8 { BY_HW[hw] } else { hw as u16 })
        }
        _ => Register(X86_64::XMM0.0 + reg.hw_enc() as u16),
    }
}

/// The common entry of every function: at entry the CFA is rsp + 8 and the return address is
/// stored just below it. `pcrel` selects PC-relative 4-byte FDE addresses (objects, position
/// independent) over absolute 8-byte ones (JIT code registered at its address).
pub fn cie(pcrel: bool) -> CommonInformationEntry {
    let encoding = Encoding {
        address_size: 8,
        format: Format::Dwarf32,
        version: 1,
    };
    let mut cie = CommonInformationEntry::new(encoding, 1, -8, X86_64::RA);
    cie.fde_address_encoding = if pcrel {
        gimli::DW_EH_PE_pcrel | gimli::DW_EH_PE_sdata4
    } else {
        gimli::DW_EH_PE_absptr
    };
    cie.add_instruction(CallFrameInstruction::Cfa(X86_64::RSP, 8));
    cie.add_instruction(CallFrameInstruction::Offset(X86_64::RA, -8));
    cie
}

/// Where a function's frame code went: the prologue and its instructions' end offsets (one per
/// instruction, as [`crate::isa::x64::abi::emit::emit_frame_insts`] marks them), the epilogue
/// sequence and the end offsets of every copy of it emitted (`epilogue.len()` per copy, in code
/// order), and the length of the instructions.
#[derive(Clone, Copy, Debug)]
pub struct FrameCode<'a> {
    pub prologue: &'a [FrameInst],
    pub prologue_ends: &'a [u32],
    pub epilogue: &'a [FrameInst],
    pub epilogue_ends: &'a [u32],
    pub code_len: u32,
}

/// The frame description of a function with frame `frame` whose frame code is `code`.
///
/// Epilogues: until `pop rbp` the CFA is still rbp + 16; after it, rsp + 8; after the `ret`,
/// when more code follows (another block), rbp + 16 again.
pub fn describe(code: &FrameCode<'_>, frame: &FrameLayout) -> UnwindInfo {
    let saved = frame.saved_register_cfa_offsets();
    let save_slot = |reg: PReg| saved.iter().find(|(r, _)| *r == reg).map(|&(_, o)| o);
    let mut steps = Vec::new();
    let mut step = |offset: u32, inst| steps.push(UnwindStep { offset, inst });
    let mut frame_pointer_saved = false;
    for (inst, &end) in code.prologue.iter().zip(code.prologue_ends) {
        match *inst {
            FrameInst::Push(reg) if reg == RBP && !frame_pointer_saved => {
                frame_pointer_saved = true;
                step(end, CallFrameInstruction::CfaOffset(16));
                step(end, CallFrameInstruction::Offset(dwarf_register(RBP), -16));
            }
            FrameInst::Mov { dst, src } if dst == RBP && src == RSP => {
                step(end, CallFrameInstruction::CfaRegister(dwarf_register(RBP)));
            }
            FrameInst::Push(reg) | FrameInst::StoreXmm { src: reg, .. } => {
                if let Some(off) = save_slot(reg) {
                    step(end, CallFrameInstruction::Offset(dwarf_register(reg), off));
                }
            }
            _ => {}
        }
    }
    if frame_pointer_saved && !code.epilogue.is_empty() {
        let pop_rbp = code
            .epilogue
            .iter()
            .rposition(|i| *i == FrameInst::Pop(RBP));
        for ends in code.epilogue_ends.chunks_exact(code.epilogue.len()) {
            let (Some(pop_rbp), Some(&ret_end)) = (pop_rbp, ends.last()) else {
                continue;
            };
            step(ends[pop_rbp], CallFrameInstruction::Cfa(X86_64::RSP, 8));
            if ret_end < code.code_len {
                step(ret_end, CallFrameInstruction::Cfa(X86_64::RBP, 16));
            }
        }
    }
    UnwindInfo { steps }
}

/// Registers the frames of compiled functions placed in this process at the given start
/// addresses with the system unwinder (for the JIT): unwinding through them works until the
/// result is dropped, which must happen before their memory is unmapped.
pub fn register_jit_functions(
    functions: &[(usize, &CompiledCode)],
) -> Result<RegisteredFrames, UnwindError> {
    let entries: Vec<FrameEntry<'_>> = (functions.iter())
        .map(|&(start, code)| FrameEntry {
            start: Address::Constant(start as u64),
            len: code.code_len,
            info: &code.unwind,
        })
        .collect();
    RegisteredFrames::register(cie(false), &entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::x64::regs::{gpr, xmm};

    /// A function keeping values across calls saves callee-saved registers: every step must
    /// sit right after the instruction it describes.
    #[test]
    fn steps_follow_the_compiled_prologue() {
        let text = "
function %f(i64, i64, i64) -> i64 {
    fn0 = %g(i64) -> i64
block0(v0: i64, v1: i64, v2: i64):
    v3 = call fn0(v0)
    v4 = call fn0(v1)
    v5 = iadd v3, v4
    v6 = iadd v5, v2
    v7 = iadd v6, v0
    return v7
}";
        let file = crate::ir::parse_test_file(text).unwrap();
        let code = crate::compile::compile_function(
            &file.functions[0].function,
            &Default::default(),
            &Default::default(),
        )
        .unwrap();
        let steps = &code.unwind.steps;
        let bytes = &code.bytes;
        // push rbp (0x55) then mov rbp, rsp (48 8b ec / 48 89 e5).
        assert_eq!(bytes[0], 0x55);
        assert_eq!(steps[0].offset, 1);
        assert_eq!(steps[0].inst, CallFrameInstruction::CfaOffset(16));
        assert_eq!(
            steps[1].inst,
            CallFrameInstruction::Offset(X86_64::RBP, -16)
        );
        assert_eq!(steps[2].offset, 4);
        assert_eq!(
            steps[2].inst,
            CallFrameInstruction::CfaRegister(X86_64::RBP)
        );
        let (saves, epilogue): (Vec<_>, Vec<_>) =
            (steps[3..].iter()).partition(|s| matches!(s.inst, CallFrameInstruction::Offset(..)));
        assert!(
            !saves.is_empty(),
            "values live across calls need callee-saved registers"
        );
        // One epilogue, at the end: after its `pop rbp` (0x5d) the CFA is rsp + 8; nothing
        // follows its `ret`, so the rule is not restored.
        assert_eq!(epilogue.len(), 1, "{epilogue:?}");
        assert_eq!(epilogue[0].inst, CallFrameInstruction::Cfa(X86_64::RSP, 8));
        let after_pop = epilogue[0].offset as usize;
        assert_eq!(bytes[after_pop - 1], 0x5d);
        assert_eq!(bytes[after_pop], 0xc3);
        assert_eq!(after_pop as u32 + 1, code.code_len);
        let mut cfa_offset = -16;
        let mut at = 4;
        for s in saves {
            cfa_offset -= 8;
            let CallFrameInstruction::Offset(reg, off) = s.inst else {
                panic!("unexpected step {s:?}");
            };
            assert_eq!(off, cfa_offset);
            // push r64: [REX.B] 50+r, ending at the step's offset.
            let (len, hw) = if bytes[at as usize] == 0x41 {
                (2, 8 + (bytes[at as usize + 1] - 0x50))
            } else {
                (1, bytes[at as usize] - 0x50)
            };
            at += len;
            assert_eq!(s.offset, at);
            assert_eq!(reg, dwarf_register(gpr(hw)));
        }
    }

    #[test]
    fn dwarf_numbers_follow_the_psabi() {
        assert_eq!(dwarf_register(gpr(0)), X86_64::RAX);
        assert_eq!(dwarf_register(gpr(1)), X86_64::RCX);
        assert_eq!(dwarf_register(gpr(2)), X86_64::RDX);
        assert_eq!(dwarf_register(gpr(3)), X86_64::RBX);
        assert_eq!(dwarf_register(RSP), X86_64::RSP);
        assert_eq!(dwarf_register(RBP), X86_64::RBP);
        assert_eq!(dwarf_register(gpr(6)), X86_64::RSI);
        assert_eq!(dwarf_register(gpr(7)), X86_64::RDI);
        assert_eq!(dwarf_register(gpr(12)), X86_64::R12);
        assert_eq!(dwarf_register(xmm(6)), X86_64::XMM6);
    }
}
