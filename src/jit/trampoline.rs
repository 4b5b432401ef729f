//! Calling a JIT function of any signature from Rust: a generated adapter of the fixed shape
//!
//! ```text
//!   extern "C" fn(callee: *const u8, values: *mut u128, recovery: *mut usize) -> u64
//! ```
//!
//! `values[i]` holds parameter `i` on entry (its bits, low bits first; an `i128`'s halves are
//! the slot's two 8-byte words) and result `i` on return, in the same encoding; the array has
//! [`Trampoline::slots`] entries. The adapter takes every location from the ABI layer
//! ([`AbiLayout`], [`arg_passes`], [`ret_passes`]), so it speaks every convention the layer
//! does. Its frame:
//!
//! ```text
//!   rbp+8      return address                   rbx = values, r12 = callee during the call setup
//!   rbp        saved rbp  ── also written to *recovery, for the trap handler
//!   rbp-8…-40  saved rbx r12 r13 r14 r15        (the callee may be a convention that keeps none)
//!   rbp-48     values (reloaded after the call)
//!   rsp        outgoing area: stack arguments | return area | by-reference copies   16-aligned
//! ```
//!
//! It returns 0. The code at [`Trampoline::landing`] is where the trap handler resumes a faulting
//! call (with rbp restored from `*recovery`): it unwinds this frame and returns 1, which
//! [`Trampoline::call`] reports as a [`Fault`].

use super::traps::{self, Fault, Watchdog};
use super::{JitError, JitFunction, JitModule};
use crate::ir::{Signature, Type};
use crate::isa::x64::abi::moves::{arg_passes, caller_amode, ret_passes, ArgPass, Extend, Place};
use crate::isa::x64::abi::{AbiLayout, Unsupported};
use crate::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use crate::isa::x64::encode::{emit, X64Buffer};
use crate::isa::x64::inst::{Arg, Inst};
use crate::isa::x64::regs::{xmm, Reg, R10, R12, R13, R14, R15, RAX, RBP, RBX, RDI, RDX, RSI, RSP};
use crate::isa::x64::rows::Op;
use crate::machinst::buffer::CompiledCode;
use crate::settings::Flags;
use regalloc2::{PReg, RegClass};
use std::fmt;

/// Why no trampoline could be made for a signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TrampolineError {
    /// The ABI layer cannot lay the signature out, or it needs something the adapter lacks.
    Unsupported(Unsupported),
    /// Encoding or mapping failed (a bug, reported instead of a panic).
    Internal(String),
}

impl fmt::Display for TrampolineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrampolineError::Unsupported(u) => write!(f, "{u}"),
            TrampolineError::Internal(what) => write!(f, "trampoline: {what}"),
        }
    }
}

impl std::error::Error for TrampolineError {}

impl From<Unsupported> for TrampolineError {
    fn from(u: Unsupported) -> Self {
        TrampolineError::Unsupported(u)
    }
}

/// Bytes pushed below the saved rbp: rbx, r12–r15.
const SAVED_BELOW_RBP: i32 = 40;
/// `values`, kept across the call.
const VALUES_SLOT: i32 = -48;
/// Scratch registers no convention passes arguments in (r10 returns a `tail` result, so
/// results in registers are stored before TEMP is used to copy those on the stack).
const TEMP: PReg = R10;
const TEMP_XMM: PReg = xmm(15);

type Entry = unsafe extern "C" fn(*const u8, *mut u128, *mut usize) -> u64;

/// An adapter for one signature, mapped executable.
#[derive(Debug)]
pub struct Trampoline {
    module: JitModule,
    entry: Entry,
    landing: usize,
    slots: usize,
}

/// Resolves the outgoing area relative to rbp, which (unlike rsp) does not move when a `tail`
/// callee pops its stack arguments.
struct Outgoing {
    rsp_below_rbp: i32,
}

impl FrameResolver for Outgoing {
    fn frame_address(&self, _area: FrameArea, _index: u32, offset: i32) -> (PReg, i32) {
        (RBP, offset - self.rsp_below_rbp)
    }
}

struct Asm {
    buf: X64Buffer,
    frame: Outgoing,
}

impl Asm {
    fn inst(&mut self, op: Op, inputs: &[Arg], outputs: &[PReg]) -> Result<(), TrampolineError> {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        let inst = Inst::new(op, inputs, &outputs)
            .map_err(|e| TrampolineError::Internal(e.to_string()))?;
        emit(&inst, &mut self.buf, &self.frame)
            .map_err(|e| TrampolineError::Internal(e.to_string()))
    }

    /// Loads a value part of type `ty` from `src` into `dst`, widened as `extend` says.
    fn load(&mut self, ty: Type, extend: Option<Extend>, src: Amode, dst: PReg) -> R {
        let op = if dst.class() == RegClass::Float {
            xmm_move(ty).0
        } else {
            match (ty.bits(), extend) {
                (8, Some(Extend { signed: true, .. })) => Op::movsx_r64_rm8,
                (8, Some(_)) => Op::movzx_r64_rm8,
                (16, Some(Extend { signed: true, .. })) => Op::movsx_r64_rm16,
                (16, Some(_)) => Op::movzx_r64_rm16,
                (32, Some(Extend { signed: true, .. })) => Op::movsxd_r64_rm32,
                (32, Some(_)) => Op::mov_r32_rm32,
                _ => Op::mov_r64_rm64,
            }
        };
        self.inst(op, &[Arg::Mem(src)], &[dst])
    }

    /// Stores all of `src` that a value of type `ty` can occupy to `dst`.
    fn store(&mut self, ty: Type, src: PReg, dst: Amode) -> R {
        let op = if src.class() == RegClass::Float {
            xmm_move(ty).1
        } else {
            Op::mov_m64_r64
        };
        self.inst(op, &[Arg::Mem(dst), Arg::Reg(src.into())], &[])
    }

    /// Copies a part of type `ty` between two memory locations through a scratch register.
    fn copy(&mut self, ty: Type, extend: Option<Extend>, src: Amode, dst: Amode) -> R {
        let temp = if ty.bits() > 64 || ty.is_vector() {
            TEMP_XMM
        } else {
            TEMP
        };
        let ty = if temp == TEMP && !ty.is_int() {
            Type::I64
        } else {
            ty
        };
        self.load(ty, extend, src, temp)?;
        self.store(ty, temp, dst)
    }

    fn lea(&mut self, src: Amode, dst: PReg) -> R {
        self.inst(Op::lea_r64, &[Arg::Mem(src)], &[dst])
    }
}

/// The result of emitting instructions.
type R = Result<(), TrampolineError>;

/// The XMM load and store for a value of type `ty`.
fn xmm_move(ty: Type) -> (Op, Op) {
    match ty.bits() {
        0..=32 => (Op::movss_x_m32, Op::movss_m32_x),
        33..=64 => (Op::movsd_x_m64, Op::movsd_m64_x),
        _ => (Op::movdqu_x_xm128, Op::movdqu_m128_x),
    }
}

/// Slot `value`, word `part` of the values array.
fn value_slot(value: usize, part: u8) -> Amode {
    Amode::base_disp(RBX, 16 * value as i32 + 8 * i32::from(part))
}

/// The trampoline's code for `layout`, and the offset of its trap landing.
fn assemble(layout: &AbiLayout) -> Result<(CompiledCode, u32), TrampolineError> {
    let area = layout.outgoing_area_size();
    // rsp sits 8 mod 16 after the six pushes; the values slot takes the extra 8 bytes so that rsp
    // is 16-aligned at the call.
    let frame_size = area + 8;
    let mut a = Asm {
        buf: X64Buffer::new(),
        frame: Outgoing {
            rsp_below_rbp: SAVED_BELOW_RBP + frame_size as i32,
        },
    };
    let r = |p: PReg| Arg::Reg(p.into());
    a.inst(Op::push_r64, &[r(RBP)], &[])?;
    a.inst(Op::mov_r64_rm64, &[r(RSP)], &[RBP])?;
    for reg in [RBX, R12, R13, R14, R15] {
        a.inst(Op::push_r64, &[r(reg)], &[])?;
    }
    a.inst(
        Op::sub_r64_imm32,
        &[r(RSP), Arg::Imm(i64::from(frame_size))],
        &[RSP],
    )?;
    a.inst(
        Op::mov_m64_r64,
        &[Arg::Mem(Amode::base_disp(RDX, 0)), r(RBP)],
        &[],
    )?;
    a.inst(
        Op::mov_m64_r64,
        &[Arg::Mem(Amode::base_disp(RBP, VALUES_SLOT)), r(RSI)],
        &[],
    )?;
    a.inst(Op::mov_r64_rm64, &[r(RSI)], &[RBX])?;
    a.inst(Op::mov_r64_rm64, &[r(RDI)], &[R12])?;

    let outgoing = |place| caller_amode(layout, place).expect("a stack place has an address");
    for pass in arg_passes(layout) {
        match pass {
            ArgPass::Part(p) => {
                let src = value_slot(p.value, p.part);
                match p.place {
                    Place::Reg(reg) => a.load(p.ty, p.extend, src, reg)?,
                    place => a.copy(p.ty, p.extend, src, outgoing(place))?,
                }
            }
            ArgPass::ByRef {
                value,
                ty,
                pointer,
                copy,
            } => {
                let copy_at = outgoing(Place::ArgStack(copy));
                a.copy(ty, None, value_slot(value, 0), copy_at)?;
                pass_address(&mut a, copy_at, pointer, layout)?;
            }
            ArgPass::RetAreaPointer { place, ret_area } => {
                pass_address(&mut a, outgoing(Place::ArgStack(ret_area)), place, layout)?;
            }
            ArgPass::Struct { .. } => {
                return Err(
                    Unsupported("calling a function with sarg struct arguments".into()).into(),
                )
            }
        }
    }
    a.inst(Op::call_rm64, &[r(R12)], &[])?;
    a.inst(
        Op::mov_r64_rm64,
        &[Arg::Mem(Amode::base_disp(RBP, VALUES_SLOT))],
        &[RBX],
    )?;
    // Results in registers first: a result on the stack is copied through TEMP, which may
    // itself hold a result (the tail convention returns in r10).
    let (in_regs, on_stack): (Vec<_>, Vec<_>) = ret_passes(layout)
        .into_iter()
        .partition(|p| matches!(p.place, Place::Reg(_)));
    for p in in_regs.into_iter().chain(on_stack) {
        let dst = value_slot(p.value, p.part);
        match p.place {
            Place::Reg(reg) => a.store(p.ty, reg, dst)?,
            place => a.copy(p.ty, None, outgoing(place), dst)?,
        }
    }
    a.inst(Op::xor_r32_zero, &[], &[RAX])?;
    epilogue(&mut a)?;
    let landing = a.buf.mark();
    a.inst(Op::mov_r32_imm32, &[Arg::Imm(1)], &[RAX])?;
    epilogue(&mut a)?;
    let code = a
        .buf
        .finish()
        .map_err(|e| TrampolineError::Internal(e.to_string()))?;
    let landing = code.mark_offsets[landing.0 as usize];
    Ok((code, landing))
}

/// Puts the address of `at` where `place` says (a register or a stack slot).
fn pass_address(a: &mut Asm, at: Amode, place: Place, layout: &AbiLayout) -> R {
    match place {
        Place::Reg(reg) => a.lea(at, reg),
        stack => {
            a.lea(at, TEMP)?;
            let dst = caller_amode(layout, stack).expect("a stack place has an address");
            a.store(Type::I64, TEMP, dst)
        }
    }
}

fn epilogue(a: &mut Asm) -> R {
    a.inst(
        Op::lea_r64,
        &[Arg::Mem(Amode::base_disp(RBP, -SAVED_BELOW_RBP))],
        &[RSP],
    )?;
    for reg in [R15, R14, R13, R12, RBX, RBP] {
        a.inst(Op::pop_r64, &[], &[reg])?;
    }
    a.inst(Op::ret, &[], &[])
}

impl Trampoline {
    /// An adapter for calling functions with signature `sig` (laid out under `flags`).
    pub fn new(sig: &Signature, flags: &Flags) -> Result<Trampoline, TrampolineError> {
        let layout = AbiLayout::compute(sig, flags)?;
        let (code, landing) = assemble(&layout)?;
        let module = JitModule::new(&[JitFunction {
            name: "trampoline",
            code: &code,
            symbols: &[],
        }])
        .map_err(|e: JitError| TrampolineError::Internal(e.to_string()))?;
        let start = module
            .address_of("trampoline")
            .ok_or_else(|| TrampolineError::Internal("trampoline not placed".into()))?;
        // SAFETY: the code at `start` was generated above with exactly the `Entry` shape.
        let entry = unsafe { std::mem::transmute::<*const u8, Entry>(start) };
        Ok(Trampoline {
            entry,
            landing: start as usize + landing as usize,
            slots: sig.params.len().max(sig.returns.len()),
            module,
        })
    }

    /// How many 16-byte slots the values array of [`Trampoline::call`] needs.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Where the trap handler resumes a faulting call.
    pub fn landing(&self) -> usize {
        self.landing
    }

    /// Calls `callee` with the parameters in `values` and leaves the results there. A signal
    /// raised by the callee (SIGILL, SIGSEGV, SIGBUS, SIGFPE) ends the call with a [`Fault`].
    ///
    /// # Safety
    /// `callee` must be the entry of a function with the signature this trampoline was made for
    /// (as it is laid out under the same flags), and it must be safe to call with these values.
    pub unsafe fn call(&self, callee: *const u8, values: &mut [u128]) -> Result<(), Fault> {
        // SAFETY: forwarded from the caller.
        unsafe { self.call_watched(callee, values, None) }
    }

    /// As [`Trampoline::call`], and a call still running in the watched code after the
    /// watchdog's timeout ends with a [`Fault`] of signal [`traps::timeout_signal`].
    ///
    /// # Safety
    /// As for [`Trampoline::call`].
    pub unsafe fn call_watched(
        &self,
        callee: *const u8,
        values: &mut [u128],
        watchdog: Option<&Watchdog>,
    ) -> Result<(), Fault> {
        assert!(
            values.len() >= self.slots,
            "the values array needs {} slots",
            self.slots
        );
        let entry = self.entry;
        let values = values.as_mut_ptr();
        traps::guarded(self.landing, watchdog, |recovery| {
            // SAFETY: the caller guarantees callee and values; the trampoline follows `Entry`.
            unsafe { entry(callee, values, recovery) }
        })
    }

    /// The module holding the adapter's code.
    pub fn module(&self) -> &JitModule {
        &self.module
    }
}
