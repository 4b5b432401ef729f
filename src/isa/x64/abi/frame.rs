//! The stack frame of one function: what sits where, and the offsets lowering and emission use
//! to address it.
//!
//! ```text
//!   higher addresses
//!   ┌───────────────────────────────┐ ← caller's rsp before it reserved the arguments
//!   │ incoming stack arguments      │  rbp + 16 + grown + offset  (Windows: the 32-byte
//!   │                               │                      shadow space, then the fifth)
//!   ├ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ┤
//!   │ room for tail-call arguments  │  `grown` bytes: `tail` functions whose tail calls pass
//!   │                               │  more stack arguments than they received
//!   ├───────────────────────────────┤ ← 16-aligned
//!   │ return address                │  rbp + 8  ┐
//!   ├───────────────────────────────┤           │ setup area
//!   │ saved rbp                     │  rbp + 0  ┘ ← rbp
//!   ├───────────────────────────────┤
//!   │ callee-saved GPRs (pushed)    │  rbp - 8, rbp - 16, … in push order
//!   ├───────────────────────────────┤
//!   │ padding to 16 bytes           │
//!   ├───────────────────────────────┤
//!   │ callee-saved XMMs (Windows)   │  16 bytes each, 16-aligned
//!   ├───────────────────────────────┤
//!   │ spill slots                   │  8 bytes per regalloc2 spill slot, 16-aligned start
//!   ├───────────────────────────────┤
//!   │ explicit stack slots          │  each at its own alignment (at most 16)
//!   ├───────────────────────────────┤
//!   │ outgoing area: by-ref copies  │
//!   │   return area                 │  (the largest any call of this function needs)
//!   │   stack arguments             │  rsp + offset
//!   └───────────────────────────────┘ ← rsp, 16-aligned between prologue and epilogue
//!   lower addresses
//! ```
//!
//! The stack pointer does not move between the prologue and the epilogue, so every slot has a
//! fixed offset from rsp; that is what [`FrameLayout::sp_offset`] returns, and how the layout
//! resolves `Amode::Frame` operands as their [`FrameResolver`]. The prologue pushes
//! the callee-saved GPRs and then subtracts [`FrameLayout::sp_adjust`], chosen so that rsp is
//! 16-aligned: every call site then meets the ABI's alignment without further adjustment.
//!
//! A `tail` function whose `return_call`s pass more stack arguments than it received grows its
//! incoming area on entry (the prologue moves the return address down), so that the tail call
//! can put the callee's arguments where the callee expects them and `ret` pops the whole area
//! (see [`super::tail_call`]).
//!
//! A leaf function that needs no stack at all skips the frame (no `push rbp`) unless
//! `preserve_frame_pointers` is set.

use super::args::AbiLayout;
use super::registers::callee_saved;
use super::Unsupported;
use crate::ir::CallConv;
use crate::isa::x64::amode::{FrameArea, FrameResolver};
use crate::isa::x64::regs::RSP;
use crate::settings::Flags;
use regalloc2::{PReg, PRegSet, RegClass};

/// An explicit stack slot as the function declares it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StackSlotSpec {
    pub size: u32,
    /// A power of two, at most 16.
    pub align: u32,
}

/// What the rest of the compiler knows about a function's stack needs once registers are
/// allocated.
#[derive(Clone, Debug)]
pub struct FrameRequest<'a> {
    /// The explicit stack slots, indexed by stack-slot number.
    pub stack_slots: &'a [StackSlotSpec],
    /// regalloc2's `Output::num_spillslots` (each slot 8 bytes; regalloc2 already aligns the
    /// multi-slot spills of XMM values).
    pub spill_slots: u32,
    /// The largest [`AbiLayout::outgoing_area_size`] over the function's calls.
    pub outgoing_area_size: u32,
    /// Every register the body writes, including the clobbers of its calls: the callee-saved
    /// ones among them are saved in the prologue.
    pub clobbered: PRegSet,
    /// The function makes no calls.
    pub is_leaf: bool,
    /// The largest `stack_arg_size` among the callees of the function's `return_call`s (0 when
    /// it makes none). Only `tail` functions make tail calls with stack arguments.
    pub tail_call_args_size: u32,
}

/// The layout of one function's frame. Offsets in the fields are from rsp after the prologue.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FrameLayout {
    /// `push rbp; mov rbp, rsp` is emitted (and undone).
    pub setup_frame: bool,
    /// Bytes of this function's own stack arguments.
    pub incoming_args_size: u32,
    /// Bytes of the incoming-argument area once the prologue has grown it to hold the stack
    /// arguments of the function's tail calls: at least `incoming_args_size`. The arguments the
    /// caller passed sit at its top.
    pub tail_args_size: u32,
    /// Bytes `ret` pops (the `tail` convention pops its whole argument area).
    pub callee_pop_size: u32,
    /// Callee-saved GPRs the prologue pushes, in push order.
    pub saved_gprs: Vec<PReg>,
    /// Callee-saved XMM registers the prologue stores, `saved_xmms[i]` at
    /// [`FrameLayout::xmm_save_sp_offset`]`(i)`.
    pub saved_xmms: Vec<PReg>,
    pub outgoing_area_size: u32,
    /// Start of each explicit stack slot.
    pub stack_slot_offsets: Vec<u32>,
    /// Start of the spill slots.
    pub spill_offset: u32,
    /// Start of the XMM save area.
    pub xmm_save_offset: u32,
    /// What the prologue subtracts from rsp after the pushes.
    pub sp_adjust: u32,
    /// The pushes come before the stack-limit check and the probes, whose temporaries are then
    /// among the saved registers: `preserve_all` keeps every register.
    pub saves_first: bool,
}

/// Frames this large would need displacements beyond 32 bits.
const MAX_FRAME: u64 = 1 << 30;

impl FrameLayout {
    /// Lays out the frame of a function with signature layout `abi`.
    pub fn compute(
        abi: &AbiLayout,
        req: &FrameRequest<'_>,
        flags: &Flags,
    ) -> Result<FrameLayout, Unsupported> {
        // The result registers are not restored (they are callee-saved only under preserve_all).
        let saved = req.clobbered & callee_saved(abi.call_conv, flags) & abi.result_regs().invert();
        let saved_gprs: Vec<PReg> = saved
            .into_iter()
            .filter(|r| r.class() == RegClass::Int)
            .collect();
        let saved_xmms: Vec<PReg> = saved
            .into_iter()
            .filter(|r| r.class() == RegClass::Float)
            .collect();

        let too_big = || Unsupported(format!("a stack frame larger than {MAX_FRAME} bytes"));
        let align64 = |n: u64, a: u64| n.div_ceil(a) * a;
        // A return_call stages its stack arguments in the outgoing area before moving them up.
        let outgoing_needed = req.outgoing_area_size.max(req.tail_call_args_size);
        let outgoing = align64(u64::from(outgoing_needed), 16);
        let mut end = outgoing;
        let mut stack_slot_offsets = Vec::with_capacity(req.stack_slots.len());
        for slot in req.stack_slots {
            let align = u64::from(slot.align.max(1));
            if !align.is_power_of_two() || align > 16 {
                return Err(Unsupported(format!(
                    "stack slot alignment {} (at most 16)",
                    slot.align
                )));
            }
            let start = align64(end, align);
            end = start + u64::from(slot.size);
            if end > MAX_FRAME {
                return Err(too_big());
            }
            stack_slot_offsets.push(start as u32);
        }
        let spill_offset = align64(end, 16);
        let xmm_save_offset = align64(spill_offset + 8 * u64::from(req.spill_slots), 16);
        let fixed_end = xmm_save_offset + 16 * saved_xmms.len() as u64;
        let push_bytes = 8 * saved_gprs.len() as u64;
        let sp_adjust = align64(fixed_end + push_bytes, 16) - push_bytes;
        if sp_adjust + push_bytes > MAX_FRAME {
            return Err(too_big());
        }

        let tail_args_size = abi.stack_arg_size.max(req.tail_call_args_size);
        if req.tail_call_args_size > 0 && !abi.callee_pops_args {
            return Err(Unsupported(format!(
                "return_call with stack arguments from a {} function",
                abi.call_conv
            )));
        }
        let setup_frame = flags.preserve_frame_pointers
            || req.tail_call_args_size > 0
            || !req.is_leaf
            || abi.stack_arg_size > abi.shadow_space()
            || !saved.is_empty(RegClass::Int)
            || !saved.is_empty(RegClass::Float)
            || sp_adjust > 0;
        Ok(FrameLayout {
            setup_frame,
            incoming_args_size: abi.stack_arg_size,
            tail_args_size,
            callee_pop_size: if abi.callee_pops_args {
                tail_args_size
            } else {
                0
            },
            saved_gprs,
            saved_xmms,
            outgoing_area_size: outgoing as u32,
            stack_slot_offsets,
            spill_offset: spill_offset as u32,
            xmm_save_offset: xmm_save_offset as u32,
            sp_adjust: sp_adjust as u32,
            saves_first: abi.call_conv == CallConv::PreserveAll,
        })
    }

    /// Bytes between rbp and rsp once the prologue is done: the pushes plus [`Self::sp_adjust`].
    /// Stack probes and the stack-limit check cover exactly this much.
    pub fn size_below_fp(&self) -> u32 {
        8 * self.saved_gprs.len() as u32 + self.sp_adjust
    }

    /// Bytes between the incoming arguments and rbp: the return address, and the saved rbp when
    /// the frame is set up.
    pub fn setup_area_size(&self) -> u32 {
        if self.setup_frame {
            16
        } else {
            8
        }
    }

    /// The rsp-relative offset of byte `offset` of slot `index` in `area` (see [`FrameArea`]
    /// for what the index means), valid between the prologue and the epilogue. `index` must
    /// name a stack slot of the [`FrameRequest`] when `area` is `StackSlot`.
    pub fn sp_offset(&self, area: FrameArea, index: u32, offset: i32) -> i32 {
        let start = match area {
            FrameArea::OutgoingArg => 0,
            FrameArea::StackSlot => self.stack_slot_offsets[index as usize],
            FrameArea::SpillSlot => self.spill_offset + 8 * index,
            FrameArea::IncomingArg => {
                self.size_below_fp() + self.setup_area_size() + self.tail_args_size
                    - self.incoming_args_size
            }
        };
        (start as i32).wrapping_add(offset)
    }

    /// The rbp-relative offset of the same place (for code that addresses the frame through
    /// rbp, such as unwind information and debuggers); meaningful only when `setup_frame`.
    pub fn fp_offset(&self, area: FrameArea, index: u32, offset: i32) -> i32 {
        self.sp_offset(area, index, offset) - self.size_below_fp() as i32
    }

    /// Where each saved register (rbp first, when the frame is set up) lives relative to the
    /// canonical frame address (the caller's rsp before its `call`, i.e. rbp + 16 once the frame
    /// is set up), as unwind information describes it.
    pub fn saved_register_cfa_offsets(&self) -> Vec<(PReg, i32)> {
        let mut out = Vec::new();
        if !self.setup_frame {
            return out;
        }
        out.push((crate::isa::x64::regs::RBP, -16));
        for (i, &reg) in self.saved_gprs.iter().enumerate() {
            out.push((reg, -16 - 8 * (i as i32 + 1)));
        }
        let sp_to_cfa = (self.size_below_fp() + 16) as i32;
        for (i, &reg) in self.saved_xmms.iter().enumerate() {
            out.push((reg, self.xmm_save_sp_offset(i) - sp_to_cfa));
        }
        out
    }

    /// The rsp-relative offset of the save slot of `saved_xmms[i]`.
    pub fn xmm_save_sp_offset(&self, i: usize) -> i32 {
        (self.xmm_save_offset + 16 * i as u32) as i32
    }
}

/// Frame addresses resolve to rsp-relative ones: rsp is fixed between prologue and epilogue.
impl FrameResolver for FrameLayout {
    fn frame_address(&self, area: FrameArea, index: u32, offset: i32) -> (PReg, i32) {
        (RSP, self.sp_offset(area, index, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{AbiParam, Signature, Type};
    use crate::isa::x64::amode::Amode;
    use crate::isa::x64::regs::{xmm, R12, RBX, RSI};

    fn abi(cc: CallConv, int_params: usize) -> AbiLayout {
        let mut sig = Signature::new(cc);
        sig.params = vec![AbiParam::new(Type::I64); int_params];
        AbiLayout::compute(&sig, &Flags::default()).unwrap()
    }

    fn request(slots: &[StackSlotSpec], clobbered: &[PReg]) -> FrameRequest<'static> {
        FrameRequest {
            stack_slots: slots.to_vec().leak(),
            spill_slots: 0,
            outgoing_area_size: 0,
            clobbered: clobbered.iter().copied().collect(),
            is_leaf: true,
            tail_call_args_size: 0,
        }
    }

    #[test]
    fn leaf_without_stack_has_no_frame() {
        let f = Flags::default();
        let frame =
            FrameLayout::compute(&abi(CallConv::SystemV, 2), &request(&[], &[]), &f).unwrap();
        assert!(!frame.setup_frame);
        assert_eq!(frame.size_below_fp(), 0);
        let keep = Flags {
            preserve_frame_pointers: true,
            ..Flags::default()
        };
        let frame =
            FrameLayout::compute(&abi(CallConv::SystemV, 2), &request(&[], &[]), &keep).unwrap();
        assert!(frame.setup_frame);
        // Stack arguments are read through the frame, so they force one too.
        let frame =
            FrameLayout::compute(&abi(CallConv::SystemV, 8), &request(&[], &[]), &f).unwrap();
        assert!(frame.setup_frame && frame.incoming_args_size == 16);
    }

    #[test]
    fn slots_spills_and_pushes_keep_rsp_aligned() {
        let slots = [
            StackSlotSpec { size: 4, align: 4 },
            StackSlotSpec {
                size: 16,
                align: 16,
            },
            StackSlotSpec { size: 1, align: 1 },
        ];
        let mut req = request(&slots, &[RBX, R12, crate::isa::x64::regs::RAX]);
        req.spill_slots = 3;
        req.outgoing_area_size = 40;
        req.is_leaf = false;
        let frame =
            FrameLayout::compute(&abi(CallConv::SystemV, 0), &req, &Flags::default()).unwrap();
        assert_eq!(frame.saved_gprs, vec![RBX, R12], "rax is not callee-saved");
        assert_eq!(frame.outgoing_area_size, 48);
        assert_eq!(frame.stack_slot_offsets, vec![48, 64, 80]);
        assert_eq!(frame.spill_offset, 96);
        assert_eq!(frame.xmm_save_offset, 128);
        // Two pushes (16 bytes) keep the alignment, so the adjustment is a multiple of 16.
        assert_eq!(frame.sp_adjust, 128);
        assert_eq!((frame.size_below_fp() + 16) % 16, 0);
        assert_eq!(frame.sp_offset(FrameArea::StackSlot, 1, 8), 72);
        assert_eq!(frame.sp_offset(FrameArea::SpillSlot, 2, 0), 112);
        assert_eq!(frame.sp_offset(FrameArea::IncomingArg, 0, 0), 128 + 16 + 16);
        assert_eq!(frame.sp_offset(FrameArea::OutgoingArg, 0, 8), 8);
        assert_eq!(frame.fp_offset(FrameArea::IncomingArg, 0, 8), 24);
        assert_eq!(frame.fp_offset(FrameArea::SpillSlot, 0, 0), 96 - 144);
        let spill = Amode::Frame {
            area: FrameArea::SpillSlot,
            index: 1,
            offset: 4,
        };
        assert_eq!(spill.resolve(&frame), Amode::base_disp(RSP, 108));
    }

    #[test]
    fn odd_push_count_pads_and_windows_saves_xmms_aligned() {
        let req = request(&[], &[RBX, RSI, R12, xmm(6), xmm(15), xmm(0)]);
        let frame =
            FrameLayout::compute(&abi(CallConv::WindowsFastcall, 0), &req, &Flags::default())
                .unwrap();
        assert_eq!(frame.saved_gprs, vec![RBX, RSI, R12]);
        assert_eq!(frame.saved_xmms, vec![xmm(6), xmm(15)]);
        assert_eq!(frame.xmm_save_offset, 0);
        assert_eq!(frame.xmm_save_sp_offset(1), 16);
        // 3 pushes = 24 bytes; 32 bytes of saves + 8 bytes of padding realign to 16.
        assert_eq!(frame.sp_adjust, 40);
        assert_eq!(frame.size_below_fp() % 16, 0);
        // Windows: the shadow space is part of the incoming area even without stack arguments,
        // but it alone does not force a frame.
        assert_eq!(frame.incoming_args_size, 32);
        let leaf = FrameLayout::compute(
            &abi(CallConv::WindowsFastcall, 4),
            &request(&[], &[]),
            &Flags::default(),
        )
        .unwrap();
        assert!(!leaf.setup_frame);
    }

    #[test]
    fn bad_slots_are_errors_not_panics() {
        let f = Flags::default();
        let sysv = abi(CallConv::SystemV, 0);
        let err = FrameLayout::compute(
            &sysv,
            &request(&[StackSlotSpec { size: 8, align: 32 }], &[]),
            &f,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "not supported yet: stack slot alignment 32 (at most 16)"
        );
        let huge = [StackSlotSpec {
            size: u32::MAX,
            align: 8,
        }; 2];
        let err = FrameLayout::compute(&sysv, &request(&huge, &[]), &f).unwrap_err();
        assert!(err.to_string().contains("stack frame larger than"));
    }
}
