//! The instructions that build a [`FrameLayout`] on entry and take it down on return, including
//! stack probes and the stack-limit check.
//!
//! Prologue, in order (each part only when needed):
//!
//! ```text
//!   sub rsp, grown                    `tail` functions only: grow the incoming area for tail
//!   mov r11, [rsp + grown]              calls and move the return address to its bottom
//!   mov [rsp], r11
//!   push rbp                          frame setup
//!   mov rbp, rsp
//!   mov r10, [base + d] …             stack-limit check: materialise the limit,
//!   cmp rsp, r10 ; jb overflow          early check for frames of 32 KiB and more,
//!   lea r11, [r10 + size]               then "new rsp below limit?" without moving rsp
//!   cmp rsp, r11 ; jb overflow
//!   <probes>                          stack probes for frames of one guard region or more
//!   push rbx …                        callee-saved GPRs (under `preserve_all` before the check
//!                                       and the probes, whose temporaries it saves too)
//!   sub rsp, sp_adjust                the rest of the frame
//!   movdqu [rsp + o], xmm6 …          callee-saved XMMs (Windows x64)
//! ```
//!
//! The epilogue undoes it in reverse and returns with `ret` or `ret imm16`.
//!
//! Probes touch every guard region between rbp and the final rsp, from the top down, so that an
//! operating system that grows the stack one guard page at a time sees the pages in order: the
//! outline strategy calls [`PROBESTACK_SYMBOL`] with the size in rax; the inline strategy stores
//! to each region directly when there are at most [`MAX_UNROLLED_PROBES`], and otherwise walks
//! rsp down in a loop (moving rsp itself, since some kernels refuse to grow the stack for
//! accesses far below it) and restores it afterwards. The last probe lands on the frame's lowest
//! byte, never below it.
//!
//! The sequences are [`FrameInst`]s, a handful of plain x64 instructions that emission maps onto
//! the instruction table; their `Display` is Intel syntax, so tests read like a disassembly.

use super::frame::FrameLayout;
use super::registers::{PROBE_LOOP_REG, PROBE_SIZE_REG, STACK_LIMIT_REG};
use super::Unsupported;
use crate::isa::x64::regs::{name, RBP, RSP};
use crate::settings::{Flags, ProbestackStrategy};
use regalloc2::PReg;
use std::fmt;

/// The outline probe function. Contract (that of Cranelift's and Rust's x86-64 probe
/// functions): rax holds the number of bytes about to be allocated below rsp; it touches every
/// 4 KiB page of that range from the top down, leaves rsp as it was, and may clobber r11 and the
/// flags (dead at that point of the prologue) but nothing else.
pub const PROBESTACK_SYMBOL: &str = "__cranelift_probestack";

/// Inline probes beyond this many guard regions become a loop.
pub const MAX_UNROLLED_PROBES: u32 = 4;

/// Frames at least this large check the limit once more before adding the frame size to it, so
/// that a limit near the top of the address space cannot wrap around.
pub const EARLY_STACK_CHECK_SIZE: u32 = 32 * 1024;

/// One instruction of a prologue or epilogue. Registers are 64-bit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameInst {
    Push(PReg),
    Pop(PReg),
    /// `mov dst, src`
    Mov {
        dst: PReg,
        src: PReg,
    },
    /// `sub dst, imm32`
    SubImm {
        dst: PReg,
        imm: u32,
    },
    /// `add dst, imm32`
    AddImm {
        dst: PReg,
        imm: u32,
    },
    /// `mov dst, qword ptr [base + disp]`
    Load {
        dst: PReg,
        base: PReg,
        disp: i32,
    },
    /// `mov qword ptr [base + disp], src`
    Store {
        src: PReg,
        base: PReg,
        disp: i32,
    },
    /// `lea dst, [base + disp]`
    Lea {
        dst: PReg,
        base: PReg,
        disp: i32,
    },
    /// `movdqu xmmword ptr [rsp + disp], src`
    StoreXmm {
        src: PReg,
        disp: i32,
    },
    /// `movdqu dst, xmmword ptr [rsp + disp]`
    LoadXmm {
        dst: PReg,
        disp: i32,
    },
    /// `mov dst32, imm32` (zero-extends into the full register)
    MovImm {
        dst: PReg,
        imm: u32,
    },
    /// `call PROBESTACK_SYMBOL`
    CallProbestack,
    /// `cmp lhs, rhs`
    Cmp {
        lhs: PReg,
        rhs: PReg,
    },
    /// `jb` to a trap with code `stack_overflow`.
    TrapIfBelow,
    /// A branch target within this sequence.
    Label(u32),
    /// `jne` to a label of this sequence.
    JumpIfNotEqual(u32),
    /// `ret`, or `ret imm16` when `pop` is nonzero.
    Ret {
        pop: u16,
    },
}

/// `size ptr [base ± disp]`; `size` empty for `lea`, which names no memory size.
fn mem(f: &mut fmt::Formatter<'_>, size: &str, base: PReg, disp: i32) -> fmt::Result {
    if !size.is_empty() {
        write!(f, "{size} ptr ")?;
    }
    write!(f, "[{}", name(base, 8))?;
    match disp {
        0 => {}
        d if d < 0 => write!(f, " - {:#x}", d.unsigned_abs())?,
        d => write!(f, " + {d:#x}")?,
    }
    f.write_str("]")
}

impl fmt::Display for FrameInst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = |reg: PReg| name(reg, 8);
        match *self {
            FrameInst::Push(reg) => write!(f, "push {}", r(reg)),
            FrameInst::Pop(reg) => write!(f, "pop {}", r(reg)),
            FrameInst::Mov { dst, src } => write!(f, "mov {}, {}", r(dst), r(src)),
            FrameInst::SubImm { dst, imm } => write!(f, "sub {}, {imm:#x}", r(dst)),
            FrameInst::AddImm { dst, imm } => write!(f, "add {}, {imm:#x}", r(dst)),
            FrameInst::Load { dst, base, disp } => {
                write!(f, "mov {}, ", r(dst))?;
                mem(f, "qword", base, disp)
            }
            FrameInst::Store { src, base, disp } => {
                f.write_str("mov ")?;
                mem(f, "qword", base, disp)?;
                write!(f, ", {}", r(src))
            }
            FrameInst::Lea { dst, base, disp } => {
                write!(f, "lea {}, ", r(dst))?;
                mem(f, "", base, disp)
            }
            FrameInst::StoreXmm { src, disp } => {
                f.write_str("movdqu ")?;
                mem(f, "xmmword", RSP, disp)?;
                write!(f, ", {}", r(src))
            }
            FrameInst::LoadXmm { dst, disp } => {
                write!(f, "movdqu {}, ", r(dst))?;
                mem(f, "xmmword", RSP, disp)
            }
            FrameInst::MovImm { dst, imm } => write!(f, "mov {}, {imm:#x}", name(dst, 4)),
            FrameInst::CallProbestack => write!(f, "call {PROBESTACK_SYMBOL}"),
            FrameInst::Cmp { lhs, rhs } => write!(f, "cmp {}, {}", r(lhs), r(rhs)),
            FrameInst::TrapIfBelow => f.write_str("jb stack_overflow"),
            FrameInst::Label(l) => write!(f, "L{l}:"),
            FrameInst::JumpIfNotEqual(l) => write!(f, "jne L{l}"),
            FrameInst::Ret { pop: 0 } => f.write_str("ret"),
            FrameInst::Ret { pop } => write!(f, "ret {pop:#x}"),
        }
    }
}

/// How the stack limit is found on entry: start from `base` (a register holding an argument,
/// typically the vmctx) and apply `steps` in order. Lowering builds this from the function's
/// `stack_limit` global value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StackLimit {
    pub base: PReg,
    pub steps: Vec<LimitStep>,
}

/// One step from a base register towards the stack limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LimitStep {
    /// Load the 64-bit word at `current + offset` (a `load` global value).
    Load(i32),
    /// Add a constant (an `iadd_imm` global value).
    Add(i32),
}

/// Which probes a frame needs.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ProbePlan {
    /// Probing is off, or the frame is smaller than one guard region.
    None,
    /// Call the probe function for `size` bytes.
    Outline { size: u32 },
    /// Store at `rsp - offset` for each offset, top down (rsp equals rbp at that point).
    Unrolled { offsets: Vec<u32> },
    /// Step rsp down by `guard` bytes `steps` times, storing at each step, then probe the
    /// `residual` bytes below (when nonzero) and restore rsp.
    Loop {
        guard: u32,
        steps: u32,
        residual: u32,
    },
}

/// The probes a frame of `size` bytes below rbp needs under `flags`.
pub fn plan_probes(size: u32, flags: &Flags) -> ProbePlan {
    let guard = flags.probestack_size();
    if !flags.enable_probestack || size < guard {
        return ProbePlan::None;
    }
    let (steps, residual) = (size / guard, size % guard);
    match flags.probestack_strategy {
        ProbestackStrategy::Outline => ProbePlan::Outline { size },
        ProbestackStrategy::Inline if steps + u32::from(residual > 0) <= MAX_UNROLLED_PROBES => {
            let mut offsets: Vec<u32> = (1..=steps).map(|k| k * guard).collect();
            if residual > 0 {
                offsets.push(size);
            }
            ProbePlan::Unrolled { offsets }
        }
        ProbestackStrategy::Inline => ProbePlan::Loop {
            guard,
            steps,
            residual,
        },
    }
}

fn emit_probes(plan: &ProbePlan, out: &mut Vec<FrameInst>) {
    match *plan {
        ProbePlan::None => {}
        ProbePlan::Outline { size } => {
            out.push(FrameInst::MovImm {
                dst: PROBE_SIZE_REG,
                imm: size,
            });
            out.push(FrameInst::CallProbestack);
        }
        ProbePlan::Unrolled { ref offsets } => {
            // The value stored does not matter; rsp is at hand.
            out.extend(offsets.iter().map(|&offset| FrameInst::Store {
                src: RSP,
                base: RSP,
                disp: -(offset as i32),
            }));
        }
        ProbePlan::Loop {
            guard,
            steps,
            residual,
        } => {
            let walked = guard * steps;
            let top = 0;
            out.extend([
                FrameInst::Lea {
                    dst: PROBE_LOOP_REG,
                    base: RSP,
                    disp: -(walked as i32),
                },
                FrameInst::Label(top),
                FrameInst::SubImm {
                    dst: RSP,
                    imm: guard,
                },
                FrameInst::Store {
                    src: RSP,
                    base: RSP,
                    disp: 0,
                },
                FrameInst::Cmp {
                    lhs: RSP,
                    rhs: PROBE_LOOP_REG,
                },
                FrameInst::JumpIfNotEqual(top),
            ]);
            if residual > 0 {
                out.push(FrameInst::Store {
                    src: RSP,
                    base: RSP,
                    disp: -(residual as i32),
                });
            }
            out.push(FrameInst::AddImm {
                dst: RSP,
                imm: walked,
            });
        }
    }
}

fn emit_stack_check(limit: &StackLimit, size: u32, out: &mut Vec<FrameInst>) {
    let mut current = limit.base;
    for step in &limit.steps {
        out.push(match *step {
            LimitStep::Load(disp) => FrameInst::Load {
                dst: STACK_LIMIT_REG,
                base: current,
                disp,
            },
            LimitStep::Add(disp) => FrameInst::Lea {
                dst: STACK_LIMIT_REG,
                base: current,
                disp,
            },
        });
        current = STACK_LIMIT_REG;
    }
    let check = |reg: PReg, out: &mut Vec<FrameInst>| {
        out.push(FrameInst::Cmp { lhs: RSP, rhs: reg });
        out.push(FrameInst::TrapIfBelow);
    };
    if size == 0 {
        check(current, out);
        return;
    }
    if size >= EARLY_STACK_CHECK_SIZE {
        check(current, out);
    }
    out.push(FrameInst::Lea {
        dst: PROBE_LOOP_REG,
        base: current,
        disp: size as i32,
    });
    check(PROBE_LOOP_REG, out);
}

/// The prologue of a function with frame `frame`; `stack_limit` when the function declares one.
pub fn prologue(
    frame: &FrameLayout,
    flags: &Flags,
    stack_limit: Option<&StackLimit>,
) -> Vec<FrameInst> {
    let mut out = Vec::new();
    let grown = frame.tail_args_size - frame.incoming_args_size;
    if grown > 0 {
        // Make room below the caller's arguments and move the return address to its new top.
        out.extend([
            FrameInst::SubImm {
                dst: RSP,
                imm: grown,
            },
            FrameInst::Load {
                dst: PROBE_LOOP_REG,
                base: RSP,
                disp: grown as i32,
            },
            FrameInst::Store {
                src: PROBE_LOOP_REG,
                base: RSP,
                disp: 0,
            },
        ]);
    }
    if frame.setup_frame {
        out.push(FrameInst::Push(RBP));
        out.push(FrameInst::Mov { dst: RBP, src: RSP });
    }
    let pushes = frame.saved_gprs.iter().map(|&reg| FrameInst::Push(reg));
    // Pushed first, the registers leave the rest of the frame to check and probe.
    let size = if frame.saves_first {
        out.extend(pushes.clone());
        frame.sp_adjust
    } else {
        frame.size_below_fp()
    };
    if let Some(limit) = stack_limit {
        emit_stack_check(limit, size, &mut out);
    }
    emit_probes(&plan_probes(size, flags), &mut out);
    if !frame.saves_first {
        out.extend(pushes);
    }
    if frame.sp_adjust > 0 {
        out.push(FrameInst::SubImm {
            dst: RSP,
            imm: frame.sp_adjust,
        });
    }
    for (i, &reg) in frame.saved_xmms.iter().enumerate() {
        out.push(FrameInst::StoreXmm {
            src: reg,
            disp: frame.xmm_save_sp_offset(i),
        });
    }
    out
}

/// The epilogue: restores what [`prologue`] saved and returns, popping the stack arguments when
/// the convention says the callee does.
pub fn epilogue(frame: &FrameLayout) -> Result<Vec<FrameInst>, Unsupported> {
    let pop = u16::try_from(frame.callee_pop_size).map_err(|_| {
        Unsupported(format!(
            "popping {} bytes of stack arguments (ret imm16 pops at most 65535)",
            frame.callee_pop_size
        ))
    })?;
    let mut out = Vec::new();
    emit_frame_teardown(frame, &mut out);
    out.push(FrameInst::Ret { pop });
    Ok(out)
}

/// Restores the callee-saved registers and rbp and frees the frame: afterwards rsp points at the
/// return address. Shared by the epilogue and tail calls.
pub(super) fn emit_frame_teardown(frame: &FrameLayout, out: &mut Vec<FrameInst>) {
    for (i, &reg) in frame.saved_xmms.iter().enumerate() {
        out.push(FrameInst::LoadXmm {
            dst: reg,
            disp: frame.xmm_save_sp_offset(i),
        });
    }
    if frame.sp_adjust > 0 {
        out.push(FrameInst::AddImm {
            dst: RSP,
            imm: frame.sp_adjust,
        });
    }
    out.extend(
        frame
            .saved_gprs
            .iter()
            .rev()
            .map(|&reg| FrameInst::Pop(reg)),
    );
    if frame.setup_frame {
        out.push(FrameInst::Pop(RBP));
    }
}

/// One instruction per line, for tests and `--trace` output.
pub fn listing(insts: &[FrameInst]) -> String {
    insts.iter().map(|i| format!("{i}\n")).collect()
}
