//! Prologues, epilogues and tail-call sequences run on a small model of an x86-64 machine
//! (registers, word-addressed memory, the few instructions `FrameInst` has), checking the
//! properties the calling conventions require rather than listings: rsp 16-aligned in the body,
//! callee-saved registers and rbp restored, rsp back where the convention says after `ret`,
//! arguments where a tail callee expects them.

use regalloc2::{PReg, PRegSet, RegClass};
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest, StackSlotSpec};
use rulesel::isa::x64::abi::prologue::{epilogue, prologue, FrameInst, LimitStep, StackLimit};
use rulesel::isa::x64::abi::tail_call::return_call_sequence;
use rulesel::isa::x64::abi::{callee_saved, AbiLayout};
use rulesel::isa::x64::amode::FrameArea;
use rulesel::isa::x64::regs::{gpr, xmm, RAX, RBP, RDI, RSP};
use rulesel::settings::{Flags, ProbestackStrategy};
use std::collections::HashMap;

const RETURN_ADDRESS: u64 = 0x4000_1234;

#[derive(Debug, PartialEq)]
enum Stop {
    Returned,
    Trapped,
    FellThrough,
}

#[derive(Default)]
struct Machine {
    gpr: [u64; 16],
    xmm: [u128; 16],
    mem: HashMap<u64, u64>,
    below: bool,
    equal: bool,
    probe_calls: Vec<u64>,
}

impl Machine {
    fn get(&self, r: PReg) -> u64 {
        assert_eq!(r.class(), RegClass::Int);
        self.gpr[r.hw_enc()]
    }
    fn set(&mut self, r: PReg, v: u64) {
        self.gpr[r.hw_enc()] = v;
    }
    fn load(&self, addr: u64) -> u64 {
        assert_eq!(addr % 8, 0, "misaligned word at {addr:#x}");
        *self
            .mem
            .get(&addr)
            .unwrap_or_else(|| panic!("read of unwritten memory at {addr:#x}"))
    }
    fn store(&mut self, addr: u64, v: u64) {
        assert_eq!(addr % 8, 0, "misaligned word at {addr:#x}");
        self.mem.insert(addr, v);
    }
    fn addr(&self, base: PReg, disp: i32) -> u64 {
        self.get(base).wrapping_add_signed(i64::from(disp))
    }
    fn rsp(&self) -> u64 {
        self.get(RSP)
    }

    fn run(&mut self, insts: &[FrameInst]) -> Stop {
        let mut pc = 0;
        let mut steps = 0;
        while pc < insts.len() {
            steps += 1;
            assert!(steps < 1_000_000, "runaway loop");
            match insts[pc] {
                FrameInst::Push(r) => {
                    let v = self.get(r);
                    self.set(RSP, self.rsp() - 8);
                    self.store(self.rsp(), v);
                }
                FrameInst::Pop(r) => {
                    let v = self.load(self.rsp());
                    self.set(RSP, self.rsp() + 8);
                    self.set(r, v);
                }
                FrameInst::Mov { dst, src } => self.set(dst, self.get(src)),
                FrameInst::SubImm { dst, imm } => self.set(dst, self.get(dst) - u64::from(imm)),
                FrameInst::AddImm { dst, imm } => self.set(dst, self.get(dst) + u64::from(imm)),
                FrameInst::Load { dst, base, disp } => {
                    let v = self.load(self.addr(base, disp));
                    self.set(dst, v);
                }
                FrameInst::Store { src, base, disp } => {
                    let (a, v) = (self.addr(base, disp), self.get(src));
                    self.store(a, v);
                }
                FrameInst::Lea { dst, base, disp } => self.set(dst, self.addr(base, disp)),
                FrameInst::StoreXmm { src, disp } => {
                    let a = self.addr(RSP, disp);
                    assert_eq!(a % 16, 0, "xmm save slot 16-aligned");
                    let v = self.xmm[src.hw_enc()];
                    self.store(a, v as u64);
                    self.store(a + 8, (v >> 64) as u64);
                }
                FrameInst::LoadXmm { dst, disp } => {
                    let a = self.addr(RSP, disp);
                    self.xmm[dst.hw_enc()] =
                        u128::from(self.load(a)) | (u128::from(self.load(a + 8)) << 64);
                }
                FrameInst::MovImm { dst, imm } => self.set(dst, u64::from(imm)),
                FrameInst::CallProbestack => {
                    assert_eq!(self.rsp() % 16, 0, "call site aligned");
                    self.probe_calls.push(self.get(RAX));
                }
                FrameInst::Cmp { lhs, rhs } => {
                    self.below = self.get(lhs) < self.get(rhs);
                    self.equal = self.get(lhs) == self.get(rhs);
                }
                FrameInst::TrapIfBelow if self.below => return Stop::Trapped,
                FrameInst::TrapIfBelow | FrameInst::Label(_) => {}
                FrameInst::JumpIfNotEqual(l) if !self.equal => {
                    pc = insts
                        .iter()
                        .position(|i| *i == FrameInst::Label(l))
                        .unwrap();
                    continue;
                }
                FrameInst::JumpIfNotEqual(_) => {}
                FrameInst::Ret { pop } => {
                    let target = self.load(self.rsp());
                    assert_eq!(target, RETURN_ADDRESS, "returns to the caller");
                    self.set(RSP, self.rsp() + 8 + u64::from(pop));
                    return Stop::Returned;
                }
            }
            pc += 1;
        }
        Stop::FellThrough
    }
}

/// A machine as a caller leaves it right after `call`: `stack_args` words of arguments above
/// the return address, rsp ≡ 8 (mod 16), and recognisable values in every register.
fn called(stack_args: &[u64]) -> (Machine, u64) {
    let mut m = Machine::default();
    let caller_sp = 0x7fff_ffe0_0000u64;
    let args_base = caller_sp - 8 * stack_args.len() as u64;
    for (i, &a) in stack_args.iter().enumerate() {
        m.store(args_base + 8 * i as u64, a);
    }
    m.store(args_base - 8, RETURN_ADDRESS);
    for i in 0..16 {
        m.gpr[i] = 0x1111_0000 + i as u64;
        m.xmm[i] = 0x2222_0000_0000_0000_0000_0000 + i as u128;
    }
    m.set(RSP, args_base - 8);
    (m, caller_sp)
}

fn layout(cc: CallConv, int_params: usize) -> AbiLayout {
    let mut sig = Signature::new(cc);
    sig.params = vec![AbiParam::new(Type::I64); int_params];
    AbiLayout::compute(&sig, &Flags::default()).unwrap()
}

/// Frames covering the shapes the layout can take, for every convention that has a frame.
fn frames() -> Vec<(String, AbiLayout, FrameLayout)> {
    let mut out = Vec::new();
    let clobber_sets: [&[PReg]; 3] = [
        &[],
        &[gpr(3), gpr(12), gpr(13), gpr(14), gpr(15), gpr(6), gpr(7)],
        &[gpr(3), xmm(6), xmm(9), xmm(15), xmm(1)],
    ];
    for cc in [
        CallConv::SystemV,
        CallConv::WindowsFastcall,
        CallConv::Tail,
        CallConv::PreserveAll,
    ] {
        for params in [0, 9] {
            for (ci, clobbered) in clobber_sets.iter().enumerate() {
                for (slot, spills, outgoing) in [(0, 0, 0), (24, 3, 40), (8000, 1, 16)] {
                    let abi = layout(cc, params);
                    let slots = [StackSlotSpec {
                        size: slot,
                        align: 8,
                    }];
                    let req = FrameRequest {
                        stack_slots: &slots,
                        spill_slots: spills,
                        outgoing_area_size: outgoing,
                        clobbered: clobbered.iter().copied().collect(),
                        is_leaf: outgoing == 0,
                        tail_call_args_size: 0,
                    };
                    let frame = FrameLayout::compute(&abi, &req, &Flags::default()).unwrap();
                    let name = format!("{cc} params={params} clobbers#{ci} slot={slot}");
                    out.push((name, abi, frame));
                }
            }
        }
    }
    out
}

#[test]
fn prologue_aligns_the_stack_and_epilogue_restores_everything() {
    let probing = Flags {
        enable_probestack: true,
        probestack_strategy: ProbestackStrategy::Inline,
        ..Flags::default()
    };
    for (name, abi, frame) in frames() {
        let args: Vec<u64> = (0..abi.stack_arg_size / 8)
            .map(|i| 0xa000 + u64::from(i))
            .collect();
        let (mut m, caller_sp) = called(&args);
        let before = (m.gpr, m.xmm);
        assert_eq!(m.run(&prologue(&frame, &probing, None)), Stop::FellThrough);
        if frame.setup_frame {
            assert_eq!(m.rsp() % 16, 0, "{name}: rsp aligned in the body");
            assert_eq!(
                m.get(RBP),
                caller_sp - abi.stack_arg_size as u64 - 16,
                "{name}"
            );
            assert_eq!(
                m.rsp(),
                m.get(RBP) - u64::from(frame.size_below_fp()),
                "{name}"
            );
        }
        // Unwind view: every saved register is where the frame says, relative to the CFA.
        if frame.setup_frame {
            let cfa = m.get(RBP) + 16;
            for (reg, off) in frame.saved_register_cfa_offsets() {
                let at = cfa.wrapping_add_signed(i64::from(off));
                let want = match reg.class() {
                    RegClass::Int => before.0[reg.hw_enc()],
                    _ => before.1[reg.hw_enc()] as u64,
                };
                assert_eq!(m.load(at), want, "{name}: {reg:?} at CFA{off:+}");
            }
        }
        // Incoming stack arguments are where the frame says.
        for (i, &a) in args.iter().enumerate() {
            let off = frame.sp_offset(FrameArea::IncomingArg, 0, 8 * i as i32);
            assert_eq!(m.load(m.addr(RSP, off)), a, "{name}: stack argument {i}");
        }
        // The body overwrites every register it may (here: all of them but rsp and rbp).
        let mut clobbered = PRegSet::empty();
        for i in 0..16u8 {
            if i != 4 && i != 5 {
                m.gpr[usize::from(i)] = 0xdead_0000 + u64::from(i);
                clobbered.add(gpr(i));
            }
            m.xmm[usize::from(i)] = 0xdead;
        }
        assert_eq!(m.run(&epilogue(&frame).unwrap()), Stop::Returned, "{name}");
        let pop = if abi.callee_pops_args {
            abi.stack_arg_size
        } else {
            0
        };
        assert_eq!(
            m.rsp(),
            caller_sp - u64::from(abi.stack_arg_size) + u64::from(pop),
            "{name}"
        );
        // Every register the frame saved is back; for this test's frames, saved = callee-saved
        // ∩ the clobbers the frame was computed with.
        for r in callee_saved(abi.call_conv, &Flags::default()) {
            let saved = frame.saved_gprs.contains(&r) || frame.saved_xmms.contains(&r);
            let restored = match r.class() {
                RegClass::Int => m.get(r) == before.0[r.hw_enc()],
                _ => m.xmm[r.hw_enc()] == before.1[r.hw_enc()],
            };
            assert_eq!(saved, restored, "{name}: {r:?}");
        }
        assert_eq!(m.get(RBP), before.0[5], "{name}: rbp restored");
    }
}

#[test]
fn stack_limit_traps_exactly_when_the_new_frame_crosses_it() {
    let abi = layout(CallConv::SystemV, 1);
    for size in [16u32, 4096, 40_000, 1 << 20] {
        let slots = [StackSlotSpec { size, align: 16 }];
        let req = FrameRequest {
            stack_slots: &slots,
            spill_slots: 0,
            outgoing_area_size: 0,
            clobbered: PRegSet::empty(),
            is_leaf: true,
            tail_call_args_size: 0,
        };
        let frame = FrameLayout::compute(&abi, &req, &Flags::default()).unwrap();
        // The limit lives at [[vmctx + 8] + 16]; vmctx is the first argument.
        let limit = StackLimit {
            base: RDI,
            steps: vec![LimitStep::Load(8), LimitStep::Load(16)],
        };
        let code = prologue(&frame, &Flags::default(), Some(&limit));
        for (delta, traps) in [(0i64, false), (1, true), (-8, false), (4096, true)] {
            let (mut m, _) = called(&[]);
            let new_sp = m.rsp() - 8 - u64::from(frame.size_below_fp());
            let vmctx = 0x1000_0000u64;
            m.set(RDI, vmctx);
            m.store(vmctx + 8, vmctx + 0x100);
            m.store(vmctx + 0x110, new_sp.wrapping_add_signed(delta));
            let stop = m.run(&code);
            let expected = if traps {
                Stop::Trapped
            } else {
                Stop::FellThrough
            };
            assert_eq!(stop, expected, "frame {size}, limit new_sp{delta:+}");
        }
    }
}

#[test]
fn return_call_leaves_the_callee_arguments_above_the_return_address() {
    let flags = Flags::default();
    // f(26 × i64) and f(2 × i64) tail-calling g with 0, 2 and 20 stack arguments, as in the
    // runtests' mutual_loop and tail_caller_stack_args.
    for own_params in [2usize, 8, 26] {
        for callee_params in [2usize, 8, 26] {
            let abi = layout(CallConv::Tail, own_params);
            let callee = layout(CallConv::Tail, callee_params);
            let slots = [StackSlotSpec { size: 24, align: 8 }];
            let req = FrameRequest {
                stack_slots: &slots,
                spill_slots: 2,
                outgoing_area_size: 0,
                clobbered: [gpr(3), gpr(12)].into_iter().collect(),
                is_leaf: false,
                tail_call_args_size: callee.stack_arg_size,
            };
            let frame = FrameLayout::compute(&abi, &req, &flags).unwrap();
            let name = format!("{own_params} → {callee_params}");
            let args: Vec<u64> = (0..abi.stack_arg_size / 8)
                .map(|i| 0xa000 + u64::from(i))
                .collect();
            let (mut m, caller_sp) = called(&args);
            let before = m.gpr;
            m.run(&prologue(&frame, &flags, None));
            assert_eq!(m.rsp() % 16, 0, "{name}");
            for (i, &a) in args.iter().enumerate() {
                let off = frame.sp_offset(FrameArea::IncomingArg, 0, 8 * i as i32);
                assert_eq!(m.load(m.addr(RSP, off)), a, "{name}: incoming {i}");
            }
            // Lowering stages the callee's stack arguments at the bottom of the frame.
            let new_args: Vec<u64> = (0..callee.stack_arg_size / 8)
                .map(|i| 0xb000 + u64::from(i))
                .collect();
            for (i, &a) in new_args.iter().enumerate() {
                let at = m.addr(
                    RSP,
                    frame.sp_offset(FrameArea::OutgoingArg, 0, 8 * i as i32),
                );
                m.store(at, a);
            }
            m.set(gpr(3), 0xbad);
            m.set(gpr(12), 0xbad);
            m.set(RDI, 0x5eed);
            assert_eq!(
                m.run(&return_call_sequence(&frame, callee.stack_arg_size).unwrap()),
                Stop::FellThrough
            );
            // As if `call g` had just happened from our caller with g's arguments.
            assert_eq!(m.load(m.rsp()), RETURN_ADDRESS, "{name}");
            assert_eq!(
                m.rsp(),
                caller_sp - u64::from(callee.stack_arg_size) - 8,
                "{name}"
            );
            for (i, &a) in new_args.iter().enumerate() {
                assert_eq!(m.load(m.rsp() + 8 + 8 * i as u64), a, "{name}: arg {i}");
            }
            assert_eq!(m.get(RDI), 0x5eed, "argument registers untouched");
            assert_eq!(
                (m.get(gpr(3)), m.get(gpr(12)), m.get(RBP)),
                (before[3], before[12], before[5])
            );
            // …and g's epilogue returns to our caller with the stack as it expects.
            let g_frame = FrameLayout::compute(
                &callee,
                &FrameRequest {
                    stack_slots: &[],
                    spill_slots: 0,
                    outgoing_area_size: 0,
                    clobbered: PRegSet::empty(),
                    is_leaf: true,
                    tail_call_args_size: 0,
                },
                &flags,
            )
            .unwrap();
            m.run(&prologue(&g_frame, &flags, None));
            assert_eq!(m.run(&epilogue(&g_frame).unwrap()), Stop::Returned);
            assert_eq!(
                m.rsp(),
                caller_sp,
                "{name}: caller's rsp after the callee pops"
            );
        }
    }
}
