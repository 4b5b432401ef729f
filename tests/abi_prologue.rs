//! Prologues and epilogues: frame setup, callee-saves, stack probes under each strategy and
//! stack-limit checks, checked as listings and, for the probes, by simulating the sequence.

use regalloc2::PReg;
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest, StackSlotSpec};
use rulesel::isa::x64::abi::prologue::{
    epilogue, listing, plan_probes, prologue, FrameInst, LimitStep, ProbePlan, StackLimit,
};
use rulesel::isa::x64::abi::AbiLayout;
use rulesel::isa::x64::regs::{xmm, R12, R13, RBX, RDI, RSI, RSP};
use rulesel::settings::{Flags, ProbestackStrategy};

const PAGE: u32 = 4096;

fn probing(strategy: ProbestackStrategy, log2: u8) -> Flags {
    Flags {
        enable_probestack: true,
        probestack_strategy: strategy,
        probestack_size_log2: log2,
        ..Flags::default()
    }
}

/// The frame of a function of convention `cc` with `int_params` i64 parameters, one stack slot of
/// `slot_size` bytes and the given registers clobbered.
fn frame(
    cc: CallConv,
    int_params: usize,
    slot_size: u32,
    clobbered: &[PReg],
    leaf: bool,
) -> FrameLayout {
    let mut sig = Signature::new(cc);
    sig.params = vec![AbiParam::new(Type::I64); int_params];
    let abi = AbiLayout::compute(&sig, &Flags::default()).unwrap();
    let slots = [StackSlotSpec {
        size: slot_size,
        align: 8,
    }];
    let req = FrameRequest {
        stack_slots: if slot_size > 0 { &slots } else { &[] },
        spill_slots: 0,
        outgoing_area_size: 0,
        clobbered: clobbered.iter().copied().collect(),
        is_leaf: leaf,
        tail_call_args_size: 0,
    };
    FrameLayout::compute(&abi, &req, &Flags::default()).unwrap()
}

#[test]
fn probe_plans_for_1_4_5_and_64_pages() {
    let inline = probing(ProbestackStrategy::Inline, 12);
    let outline = probing(ProbestackStrategy::Outline, 12);
    for pages in [1, 4, 5, 64] {
        let size = pages * PAGE;
        assert_eq!(plan_probes(size, &outline), ProbePlan::Outline { size });
        assert_eq!(
            plan_probes(size, &Flags::default()),
            ProbePlan::None,
            "probes are off by default"
        );
        let expected = if pages <= 4 {
            ProbePlan::Unrolled {
                offsets: (1..=pages).map(|k| k * PAGE).collect(),
            }
        } else {
            ProbePlan::Loop {
                guard: PAGE,
                steps: pages,
                residual: 0,
            }
        };
        assert_eq!(plan_probes(size, &inline), expected, "{pages} pages");
    }
    // Below one guard region nothing is probed, whatever the strategy.
    assert_eq!(plan_probes(PAGE - 16, &inline), ProbePlan::None);
    assert_eq!(plan_probes(PAGE - 16, &outline), ProbePlan::None);
    // A partial last page is probed at the frame's lowest byte, not a page below it.
    assert_eq!(
        plan_probes(PAGE + 16, &inline),
        ProbePlan::Unrolled {
            offsets: vec![PAGE, PAGE + 16]
        }
    );
    assert_eq!(
        plan_probes(4 * PAGE + 16, &inline),
        ProbePlan::Loop {
            guard: PAGE,
            steps: 4,
            residual: 16
        }
    );
    // probestack_size_log2=6, as in the runtest issue-6640.
    assert_eq!(
        plan_probes(200, &probing(ProbestackStrategy::Inline, 6)),
        ProbePlan::Unrolled {
            offsets: vec![64, 128, 192, 200]
        }
    );
}

/// Runs the probe part of a prologue on a model machine: returns the addresses stored to, and
/// checks that rsp ends where it started.
fn simulate_probes(insts: &[FrameInst], rsp_at_entry: u64) -> Vec<u64> {
    let mut rsp = rsp_at_entry;
    let mut r11 = 0u64;
    let mut stores = Vec::new();
    let mut pc = 0;
    let mut equal = false;
    let mut steps = 0;
    while pc < insts.len() {
        steps += 1;
        assert!(steps < 1_000_000, "runaway probe loop");
        match insts[pc] {
            FrameInst::Store { src, base, disp } => {
                assert_eq!((src, base), (RSP, RSP));
                stores.push(rsp.wrapping_add_signed(i64::from(disp)));
            }
            FrameInst::SubImm { dst, imm } if dst == RSP => rsp -= u64::from(imm),
            FrameInst::AddImm { dst, imm } if dst == RSP => rsp += u64::from(imm),
            FrameInst::Lea { base, disp, .. } if base == RSP => {
                r11 = rsp.wrapping_add_signed(i64::from(disp))
            }
            FrameInst::Cmp { lhs, .. } if lhs == RSP => equal = rsp == r11,
            FrameInst::Label(_) => {}
            FrameInst::JumpIfNotEqual(label) if !equal => {
                pc = insts
                    .iter()
                    .position(|i| *i == FrameInst::Label(label))
                    .unwrap();
                continue;
            }
            FrameInst::JumpIfNotEqual(_) => {}
            other => panic!("not a probe instruction: {other}"),
        }
        pc += 1;
    }
    assert_eq!(rsp, rsp_at_entry, "rsp restored after probing");
    stores
}

#[test]
fn inline_probes_touch_every_page_in_order_from_the_top() {
    for log2 in [6u8, 12, 16] {
        let flags = probing(ProbestackStrategy::Inline, log2);
        let guard = u64::from(flags.probestack_size());
        for pages in [1u64, 2, 4, 5, 9, 64] {
            for extra in [0u64, 16, guard / 2] {
                let size = pages * guard + extra;
                // The prologue's probes start right after `push rbp; mov rbp, rsp`.
                let f = frame(CallConv::SystemV, 0, size as u32, &[], true);
                assert_eq!(u64::from(f.size_below_fp()), size.next_multiple_of(16));
                let size = u64::from(f.size_below_fp());
                let insts = prologue(&f, &flags, None);
                assert_eq!(
                    &insts[..2],
                    &[
                        FrameInst::Push(rulesel::isa::x64::regs::RBP),
                        FrameInst::Mov {
                            dst: rulesel::isa::x64::regs::RBP,
                            src: RSP
                        }
                    ]
                );
                let probes: Vec<FrameInst> = insts[2..insts.len() - 1].to_vec();
                // An rsp that is not page-aligned, as in a real call chain.
                let top = 0x7fff_0000_0000u64 + 0x5f0;
                let stores = simulate_probes(&probes, top);
                let bottom = top - size;
                assert!(stores.windows(2).all(|w| w[0] > w[1]), "top down");
                assert!(
                    stores.iter().all(|&a| a >= bottom && a < top),
                    "inside the frame"
                );
                assert!(
                    stores.windows(2).all(|w| w[0] - w[1] <= guard),
                    "no region skipped"
                );
                assert!(
                    top - stores[0] <= guard,
                    "first probe within one region of rsp"
                );
                assert_eq!(
                    *stores.last().unwrap(),
                    bottom,
                    "last probe at the lowest byte"
                );
                let unrolled =
                    matches!(plan_probes(size as u32, &flags), ProbePlan::Unrolled { .. });
                assert_eq!(
                    unrolled,
                    size.div_ceil(guard) <= 4,
                    "{size} bytes, guard {guard}"
                );
            }
        }
    }
}

#[test]
fn outline_probe_calls_the_probe_function_with_the_size_in_eax() {
    let f = frame(CallConv::SystemV, 0, 5 * PAGE, &[RBX], false);
    let text = listing(&prologue(
        &f,
        &probing(ProbestackStrategy::Outline, 12),
        None,
    ));
    assert_eq!(
        text,
        "push rbp\nmov rbp, rsp\nmov eax, 0x5010\ncall __cranelift_probestack\npush rbx\n\
         sub rsp, 0x5008\n"
    );
}

#[test]
fn inline_loop_listing() {
    let f = frame(CallConv::SystemV, 0, 5 * PAGE + 8, &[], true);
    let text = listing(&prologue(
        &f,
        &probing(ProbestackStrategy::Inline, 12),
        None,
    ));
    assert_eq!(
        text,
        "push rbp\nmov rbp, rsp\nlea r11, [rsp - 0x5000]\nL0:\nsub rsp, 0x1000\n\
         mov qword ptr [rsp], rsp\ncmp rsp, r11\njne L0\nmov qword ptr [rsp - 0x10], rsp\n\
         add rsp, 0x5000\nsub rsp, 0x5010\n"
    );
}

#[test]
fn system_v_prologue_and_epilogue() {
    let f = frame(CallConv::SystemV, 0, 40, &[RBX, R12, R13, RDI], false);
    assert_eq!(
        listing(&prologue(&f, &Flags::default(), None)),
        "push rbp\nmov rbp, rsp\npush rbx\npush r12\npush r13\nsub rsp, 0x38\n"
    );
    assert_eq!(
        listing(&epilogue(&f).unwrap()),
        "add rsp, 0x38\npop r13\npop r12\npop rbx\npop rbp\nret\n"
    );
}

#[test]
fn windows_saves_xmm6_to_15_and_rsi_rdi() {
    let f = frame(
        CallConv::WindowsFastcall,
        0,
        0,
        &[RSI, RDI, xmm(6), xmm(7), xmm(3)],
        true,
    );
    assert_eq!(
        listing(&prologue(&f, &Flags::default(), None)),
        "push rbp\nmov rbp, rsp\npush rsi\npush rdi\nsub rsp, 0x20\n\
         movdqu xmmword ptr [rsp], xmm6\nmovdqu xmmword ptr [rsp + 0x10], xmm7\n"
    );
    assert_eq!(
        listing(&epilogue(&f).unwrap()),
        "movdqu xmm6, xmmword ptr [rsp]\nmovdqu xmm7, xmmword ptr [rsp + 0x10]\n\
         add rsp, 0x20\npop rdi\npop rsi\npop rbp\nret\n"
    );
}

#[test]
fn tail_convention_pops_its_stack_arguments() {
    let f = frame(CallConv::Tail, 8, 0, &[], true);
    assert_eq!(f.callee_pop_size, 16);
    assert_eq!(
        listing(&prologue(&f, &Flags::default(), None)),
        "push rbp\nmov rbp, rsp\n"
    );
    assert_eq!(listing(&epilogue(&f).unwrap()), "pop rbp\nret 0x10\n");
}

#[test]
fn leaf_without_frame_is_just_ret() {
    let f = frame(CallConv::SystemV, 3, 0, &[RSI], true);
    assert!(prologue(&f, &Flags::default(), None).is_empty());
    assert_eq!(listing(&epilogue(&f).unwrap()), "ret\n");
}

#[test]
fn stack_limit_checks() {
    let limit = StackLimit {
        base: RDI,
        steps: vec![
            LimitStep::Load(8),
            LimitStep::Load(0x10),
            LimitStep::Add(-32),
        ],
    };
    let small = frame(CallConv::SystemV, 1, 64, &[], true);
    assert_eq!(
        listing(&prologue(&small, &Flags::default(), Some(&limit))),
        "push rbp\nmov rbp, rsp\nmov r10, qword ptr [rdi + 0x8]\nmov r10, qword ptr [r10 + 0x10]\n\
         lea r10, [r10 - 0x20]\nlea r11, [r10 + 0x40]\ncmp rsp, r11\n\
         jb stack_overflow\nsub rsp, 0x40\n"
    );
    // A frame of 32 KiB or more checks the bare limit first.
    let large = frame(CallConv::SystemV, 1, 64 * 1024, &[], true);
    let flags = probing(ProbestackStrategy::Outline, 12);
    assert_eq!(
        listing(&prologue(
            &large,
            &flags,
            Some(&StackLimit {
                base: RDI,
                steps: vec![]
            })
        )),
        "push rbp\nmov rbp, rsp\ncmp rsp, rdi\njb stack_overflow\nlea r11, [rdi + 0x10000]\n\
         cmp rsp, r11\njb stack_overflow\nmov eax, 0x10000\ncall __cranelift_probestack\n\
         sub rsp, 0x10000\n"
    );
    // No frame: compare rsp with the limit itself.
    let none = frame(CallConv::SystemV, 1, 0, &[], true);
    let limit = StackLimit {
        base: RDI,
        steps: vec![LimitStep::Load(0)],
    };
    assert_eq!(
        listing(&prologue(&none, &Flags::default(), Some(&limit))),
        "mov r10, qword ptr [rdi]\ncmp rsp, r10\njb stack_overflow\n"
    );
}
