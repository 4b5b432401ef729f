//! Frame sequences encoded through the x64 instruction table and decoded by iced-x86: the bytes
//! must disassemble to exactly the listing the ABI layer planned.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use regalloc2::PReg;
use rulesel::ir::{AbiParam, CallConv, Signature, Type};
use rulesel::isa::x64::abi::emit::emit_frame_insts;
use rulesel::isa::x64::abi::frame::{FrameLayout, FrameRequest, StackSlotSpec};
use rulesel::isa::x64::abi::prologue::{epilogue, prologue, FrameInst, LimitStep, StackLimit};
use rulesel::isa::x64::abi::tail_call::return_call_sequence;
use rulesel::isa::x64::abi::AbiLayout;
use rulesel::isa::x64::encode::X64Buffer;
use rulesel::isa::x64::regs::{gpr, xmm, R12, R13, R15, RBX, RDI, RSI};
use rulesel::machinst::buffer::{CompiledCode, RelocKind, SymbolId, TrapCode};
use rulesel::settings::{Flags, ProbestackStrategy};

const PROBESTACK: SymbolId = SymbolId(7);

fn frame(
    cc: CallConv,
    params: usize,
    slot: u32,
    clobbered: &[PReg],
    tail_args: u32,
) -> FrameLayout {
    let mut sig = Signature::new(cc);
    sig.params = vec![AbiParam::new(Type::I64); params];
    let abi = AbiLayout::compute(&sig, &Flags::default()).unwrap();
    let slots = [StackSlotSpec {
        size: slot,
        align: 16,
    }];
    let req = FrameRequest {
        stack_slots: &slots,
        spill_slots: 0,
        outgoing_area_size: 0,
        clobbered: clobbered.iter().copied().collect(),
        is_leaf: false,
        tail_call_args_size: tail_args,
    };
    FrameLayout::compute(&abi, &req, &Flags::default()).unwrap()
}

fn encode(seq: &[FrameInst], frame: &FrameLayout) -> CompiledCode {
    let mut buf = X64Buffer::new();
    let marks = emit_frame_insts(seq, &mut buf, PROBESTACK, frame).unwrap();
    let code = buf.finish().unwrap();
    // One mark per instruction, at its end: increasing, the last at the end of the code.
    assert_eq!(marks.len(), seq.len());
    let ends: Vec<u32> = marks
        .iter()
        .map(|m| code.mark_offsets[m.0 as usize])
        .collect();
    assert!(ends.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(ends.last().copied().unwrap_or(0), code.code_len);
    code
}

/// iced's Intel syntax, adjusted to the listing's conventions: `0x` hex everywhere, spaces
/// around memory operators, no operand-size keywords (the listing writes them, iced only where
/// needed; both are dropped before comparing).
fn disassemble(bytes: &[u8]) -> Vec<String> {
    let mut f = IntelFormatter::new();
    let o = f.options_mut();
    o.set_uppercase_hex(false);
    o.set_hex_prefix("0x");
    o.set_hex_suffix("");
    o.set_small_hex_numbers_in_decimal(false);
    o.set_space_after_operand_separator(true);
    o.set_space_between_memory_add_operators(true);
    o.set_branch_leading_zeros(false);
    let mut decoder = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while decoder.can_decode() {
        let inst = decoder.decode();
        assert!(!inst.is_invalid(), "undecodable bytes in {bytes:02x?}");
        let mut text = String::new();
        f.format(&inst, &mut text);
        out.push(normalise(&text));
    }
    out
}

fn normalise(s: &str) -> String {
    s.replace("qword ptr ", "").replace("xmmword ptr ", "")
}

/// Encodes `seq` and checks it disassembles to its own listing, one instruction per
/// `FrameInst` (sequences without labels or traps).
fn assert_round_trip(seq: &[FrameInst], frame: &FrameLayout) -> CompiledCode {
    let code = encode(seq, frame);
    let want: Vec<String> = seq
        .iter()
        .map(|i| match i {
            // The relocation is not applied: iced sees a call to the next instruction.
            FrameInst::CallProbestack => "call".to_string(),
            other => normalise(&other.to_string()),
        })
        .collect();
    let mut got = disassemble(&code.bytes);
    for (g, w) in got.iter_mut().zip(&want) {
        if w == "call" && g.starts_with("call ") {
            *g = "call".to_string();
        }
    }
    assert_eq!(got, want);
    code
}

#[test]
fn system_v_prologue_and_epilogue_encode_as_planned() {
    let f = frame(CallConv::SystemV, 0, 40, &[RBX, R12, R13, R15], 0);
    let code = assert_round_trip(&prologue(&f, &Flags::default(), None), &f);
    assert_eq!(
        &code.bytes[..4],
        &[0x55, 0x48, 0x8b, 0xec],
        "push rbp; mov rbp, rsp"
    );
    assert_round_trip(&epilogue(&f).unwrap(), &f);
}

#[test]
fn windows_xmm_saves_encode_as_planned() {
    let clobbers: Vec<PReg> = [RSI, RDI, RBX]
        .into_iter()
        .chain((0..16).map(xmm))
        .collect();
    let f = frame(CallConv::WindowsFastcall, 6, 100, &clobbers, 0);
    assert_eq!(f.saved_xmms.len(), 10);
    assert_round_trip(&prologue(&f, &Flags::default(), None), &f);
    assert_round_trip(&epilogue(&f).unwrap(), &f);
}

#[test]
fn tail_frames_encode_growth_ret_imm16_and_return_call() {
    let f = frame(CallConv::Tail, 8, 0, &[RBX], 160);
    let pro = prologue(&f, &Flags::default(), None);
    assert_eq!(pro[0].to_string(), "sub rsp, 0x90");
    assert_round_trip(&pro, &f);
    let epi = epilogue(&f).unwrap();
    assert_eq!(epi.last().unwrap().to_string(), "ret 0xa0");
    assert_round_trip(&epi, &f);
    assert_round_trip(&return_call_sequence(&f, 48).unwrap(), &f);
}

#[test]
fn probes_encode_as_planned() {
    let inline = Flags {
        enable_probestack: true,
        probestack_strategy: ProbestackStrategy::Inline,
        ..Flags::default()
    };
    let outline = Flags {
        probestack_strategy: ProbestackStrategy::Outline,
        ..inline.clone()
    };
    let f = frame(CallConv::SystemV, 0, 3 * 4096 + 512, &[gpr(12)], 0);
    assert_round_trip(&prologue(&f, &inline, None), &f);
    let code = assert_round_trip(&prologue(&f, &outline, None), &f);
    assert_eq!(code.relocs.len(), 1);
    let reloc = code.relocs[0];
    assert_eq!(
        (reloc.kind, reloc.symbol, reloc.addend),
        (RelocKind::CallPlt4, PROBESTACK, -4)
    );
    assert_eq!(code.bytes[reloc.offset as usize - 1], 0xe8, "call rel32");

    // The loop: the backward jne must land on the `sub rsp, 0x1000`.
    let big = frame(CallConv::SystemV, 0, 64 * 4096, &[], 0);
    let code = encode(&prologue(&big, &inline, None), &big);
    let text = disassemble(&code.bytes);
    let decoded: Vec<iced_x86::Instruction> =
        Decoder::with_ip(64, &code.bytes, 0, DecoderOptions::NONE)
            .iter()
            .collect();
    let jne = decoded
        .iter()
        .find(|i| i.mnemonic() == iced_x86::Mnemonic::Jne)
        .unwrap();
    let at_target = decoded
        .iter()
        .find(|i| i.ip() == jne.near_branch_target())
        .expect("jne lands on an instruction boundary");
    assert_eq!(at_target.mnemonic(), iced_x86::Mnemonic::Sub);
    assert!(
        text.contains(&"lea r11, [rsp - 0x40000]".to_string()),
        "{text:?}"
    );
}

#[test]
fn stack_check_traps_through_a_recorded_ud2() {
    let f = frame(CallConv::SystemV, 1, 64, &[], 0);
    let limit = StackLimit {
        base: RDI,
        steps: vec![LimitStep::Load(8)],
    };
    let code = encode(&prologue(&f, &Flags::default(), Some(&limit)), &f);
    let text = disassemble(&code.bytes);
    let jae = text.iter().position(|t| t.starts_with("jae ")).unwrap();
    assert_eq!(text[jae - 1], "cmp rsp, r11");
    assert_eq!(text[jae + 1], "ud2");
    assert_eq!(text[jae + 2], "sub rsp, 0x40", "jae skips the ud2");
    assert_eq!(code.traps.len(), 1);
    assert_eq!(code.traps[0].code, TrapCode::STACK_OVERFLOW);
    assert_eq!(
        code.bytes[code.traps[0].offset as usize..][..2],
        [0x0f, 0x0b]
    );
}
