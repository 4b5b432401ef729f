//! MachBuffer: branch sizing at the rel8 boundary, chains of branches whose sizes depend on each
//! other, fall-through removal and branch inversion, threading through empty blocks, the
//! constant pool, jump tables and record offsets. Results are decoded with iced-x86.

use iced_x86::{Decoder, DecoderOptions, Mnemonic, OpKind};
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst};
use rulesel::isa::x64::regs::{Reg, RAX, RSP};
use rulesel::isa::x64::rows::Op;
use rulesel::isa::x64::table::Cc;
use rulesel::machinst::buffer::{
    BufferError, CompiledCode, MachLabel, RelocKind, SymbolId, TrapCode,
};

const JE: Option<u8> = Some(Cc::E as u8);

/// One decoded instruction: offset, length, mnemonic, branch target.
#[derive(Debug, PartialEq)]
struct Decoded {
    at: u32,
    len: u32,
    mnemonic: Mnemonic,
    target: Option<u32>,
}

fn decode(code: &CompiledCode) -> Vec<Decoded> {
    let text = &code.bytes[..code.code_len as usize];
    let mut decoder = Decoder::with_ip(64, text, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while decoder.can_decode() {
        let i = decoder.decode();
        assert!(!i.is_invalid(), "undecodable code at {:#x}", i.ip());
        let target = (i.op_count() > 0 && i.op0_kind() == OpKind::NearBranch64)
            .then_some(i.near_branch_target() as u32);
        out.push(Decoded {
            at: i.ip() as u32,
            len: i.len() as u32,
            mnemonic: i.mnemonic(),
            target,
        });
    }
    out
}

fn branches(code: &CompiledCode) -> Vec<Decoded> {
    decode(code)
        .into_iter()
        .filter(|d| d.mnemonic != Mnemonic::Nop)
        .collect()
}

fn nops(buf: &mut X64Buffer, n: usize) {
    buf.put_bytes(&vec![0x90; n]);
}

#[test]
fn forward_branch_is_short_up_to_127_bytes() {
    for (gap, want_len) in [(127, 2), (128, 5)] {
        let mut buf = X64Buffer::new();
        let l = buf.new_label();
        buf.put_branch(None, l);
        nops(&mut buf, gap);
        buf.bind_label(l);
        buf.put_u8(0xc3);
        let code = buf.finish().unwrap();
        let b = &branches(&code)[0];
        assert_eq!(
            (b.len, b.target),
            (want_len, Some(want_len + gap as u32)),
            "gap {gap}"
        );
    }
    for (gap, want_len) in [(127, 2), (128, 6)] {
        let mut buf = X64Buffer::new();
        let l = buf.new_label();
        buf.put_branch(JE, l);
        nops(&mut buf, gap);
        buf.bind_label(l);
        buf.put_u8(0xc3);
        let code = buf.finish().unwrap();
        let b = &branches(&code)[0];
        assert_eq!(b.mnemonic, Mnemonic::Je);
        assert_eq!(
            (b.len, b.target),
            (want_len, Some(want_len + gap as u32)),
            "jcc gap {gap}"
        );
    }
}

#[test]
fn backward_branch_is_short_down_to_minus_128() {
    // disp = -(gap + 2): -128 fits, -129 does not.
    for (gap, want_len) in [(126, 2), (127, 5)] {
        let mut buf = X64Buffer::new();
        let l = buf.new_label();
        buf.bind_label(l);
        nops(&mut buf, gap);
        buf.put_branch(None, l);
        let code = buf.finish().unwrap();
        let b = &branches(&code)[0];
        assert_eq!(
            (b.at, b.len, b.target),
            (gap as u32, want_len, Some(0)),
            "gap {gap}"
        );
    }
}

#[test]
fn growing_one_branch_grows_the_one_that_jumps_over_it() {
    // A: je L1 (over 123 nops and B); B: jmp L2 (over 200 nops). If B were short, A would
    // span 123 + 2 = 125 bytes and be short; B must be near (5 bytes), so A spans 128: near.
    let mut buf = X64Buffer::new();
    let (l1, l2) = (buf.new_label(), buf.new_label());
    buf.put_branch(JE, l1);
    nops(&mut buf, 123);
    buf.put_branch(None, l2);
    buf.bind_label(l1);
    nops(&mut buf, 200);
    buf.bind_label(l2);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let b = branches(&code);
    assert_eq!((b[0].len, b[1].len), (6, 5));
    assert_eq!(b[0].target, Some(6 + 123 + 5));
    assert_eq!(b[1].target, Some(6 + 123 + 5 + 200));

    // A chain: branch i jumps over 61 nops, branch i+1 and 61 more nops: 124 bytes while
    // i+1 is short, 128 once it is near. The last one spans 200 bytes, so growth ripples back
    // through the chain until branch 0, whose first gap is 60 bytes: it spans exactly 127 and
    // stays short. Every target must still be exact.
    let mut buf = X64Buffer::new();
    let labels: Vec<MachLabel> = (0..6).map(|_| buf.new_label()).collect();
    for (i, &l) in labels.iter().enumerate() {
        buf.put_branch(JE, l);
        nops(
            &mut buf,
            match i {
                0 => 60,
                5 => 200,
                _ => 61,
            },
        );
        if i > 0 {
            buf.bind_label(labels[i - 1]);
        }
    }
    buf.bind_label(labels[5]);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let b: Vec<Decoded> = branches(&code)
        .into_iter()
        .filter(|d| d.mnemonic == Mnemonic::Je)
        .collect();
    assert_eq!(b.len(), 6);
    for (i, d) in b.iter().enumerate() {
        let want = code.label_offsets[labels[i].index()];
        assert_eq!(d.target, Some(want), "branch {i}");
        let short_fits = i64::from(want) - i64::from(d.at + 2) <= 127;
        assert_eq!(
            d.len == 2,
            short_fits,
            "branch {i} should be as short as possible"
        );
    }
    let lens: Vec<u32> = b.iter().map(|d| d.len).collect();
    assert_eq!(lens, [2, 6, 6, 6, 6, 6]);
}

#[test]
fn jumps_to_the_fall_through_are_removed_and_jcc_over_jmp_inverted() {
    let mut buf = X64Buffer::new();
    let (next, a, b) = (buf.new_label(), buf.new_label(), buf.new_label());
    buf.put_branch(None, next);
    buf.bind_label(next);
    // je a; jmp b; a: … becomes jne b; a: …
    buf.put_branch(JE, a);
    buf.put_branch(None, b);
    buf.bind_label(a);
    buf.put_u8(0x90);
    buf.bind_label(b);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let d = decode(&code);
    assert_eq!(d[0].mnemonic, Mnemonic::Jne);
    assert_eq!(d[0].target, Some(code.label_offsets[b.index()]));
    assert_eq!(code.code_len, 2 + 1 + 1);
    assert_eq!(code.label_offsets[next.index()], 0);
}

#[test]
fn branches_to_empty_blocks_are_threaded() {
    // jmp e1 … e1: jmp e2 … e2: jmp end … end: ret — the first jump goes straight to end.
    let mut buf = X64Buffer::new();
    let (e1, e2, end) = (buf.new_label(), buf.new_label(), buf.new_label());
    buf.put_branch(JE, e1);
    buf.put_u8(0xcc);
    buf.bind_label(e1);
    buf.put_branch(None, e2);
    buf.put_u8(0xcc);
    buf.bind_label(e2);
    buf.put_branch(None, end);
    nops(&mut buf, 10);
    buf.bind_label(end);
    buf.put_u8(0xc3);
    // A self-loop is an empty block too, but has nowhere to thread to.
    let spin = buf.new_label();
    buf.bind_label(spin);
    buf.put_branch(None, spin);
    let code = buf.finish().unwrap();
    let b = branches(&code);
    let end_at = code.label_offsets[end.index()];
    assert_eq!(b[0].mnemonic, Mnemonic::Je);
    assert_eq!(b[0].target, Some(end_at));
    assert!(b
        .iter()
        .filter(|d| d.target.is_some())
        .take(3)
        .all(|d| d.target == Some(end_at)));
    let last = b.last().unwrap();
    assert_eq!((last.mnemonic, last.target), (Mnemonic::Jmp, Some(last.at)));
}

#[test]
fn jumps_left_dead_by_threading_are_removed() {
    // b0: je e; jmp f;  e: jmp x;  f: int3;  x: ret — after threading `je` goes to x and
    // nothing refers to e, so e's jump (after b0's unconditional jmp) is dead and removed;
    // then `jmp f` falls through to f and goes too.
    let mut buf = X64Buffer::new();
    let (e, f, x) = (buf.new_label(), buf.new_label(), buf.new_label());
    buf.put_branch(JE, e);
    buf.put_branch(None, f);
    buf.bind_label(e);
    buf.put_branch(None, x);
    buf.bind_label(f);
    buf.put_u8(0xcc);
    buf.bind_label(x);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let d = decode(&code);
    let m: Vec<Mnemonic> = d.iter().map(|d| d.mnemonic).collect();
    assert_eq!(m, [Mnemonic::Je, Mnemonic::Int3, Mnemonic::Ret]);
    assert_eq!(d[0].target, Some(code.label_offsets[x.index()]));
    assert_eq!(code.label_offsets[f.index()], 2);
}

struct NoFrame;
impl FrameResolver for NoFrame {
    fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (regalloc2::PReg, i32) {
        (RSP, offset)
    }
}

#[test]
fn constants_are_aligned_deduplicated_and_rip_relative() {
    let mut buf = X64Buffer::new();
    let c8 = buf.add_constant(&1.5f64.to_le_bytes(), 8);
    let c16 = buf.add_constant(&[7; 16], 16);
    let c8_again = buf.add_constant(&1.5f64.to_le_bytes(), 8);
    let c4 = buf.add_constant(&[1, 2, 3, 4], 4);
    assert_eq!(c8, c8_again);
    let rax = Reg::phys(RAX);
    for c in [c8, c16, c4] {
        let load = Inst::new(Op::mov_r64_rm64, &[Arg::Mem(Amode::rip(c))], &[rax]).unwrap();
        emit(&load, &mut buf, &NoFrame).unwrap();
    }
    // An immediate after the displacement: the fixup must account for it.
    let cmp = Inst::new(
        Op::cmp_m32_imm32,
        &[Arg::Mem(Amode::rip(c4)), Arg::Imm(1000)],
        &[],
    )
    .unwrap();
    emit(&cmp, &mut buf, &NoFrame).unwrap();
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let (o8, o16, o4) = (
        code.label_offsets[c8.index()],
        code.label_offsets[c16.index()],
        code.label_offsets[c4.index()],
    );
    assert!(o8 >= code.code_len && o8 % 8 == 0 && o16 % 16 == 0 && o4 % 4 == 0);
    assert_eq!(&code.bytes[o16 as usize..o16 as usize + 16], &[7; 16]);
    assert_eq!(
        &code.bytes[o8 as usize..o8 as usize + 8],
        &1.5f64.to_le_bytes()
    );
    let mut decoder = Decoder::with_ip(
        64,
        &code.bytes[..code.code_len as usize],
        0,
        DecoderOptions::NONE,
    );
    let targets: Vec<u64> = (0..4)
        .map(|_| decoder.decode().memory_displacement64())
        .collect();
    assert_eq!(targets, [o8, o16, o4, o4].map(u64::from));
}

#[test]
fn jump_table_entries_are_relative_to_the_table() {
    let mut buf = X64Buffer::new();
    let blocks: Vec<MachLabel> = (0..3).map(|_| buf.new_label()).collect();
    let table = buf.add_jump_table(&[blocks[2], blocks[0], blocks[1], blocks[0]]);
    buf.put_u8(0x90);
    for &b in &blocks {
        buf.bind_label(b);
        nops(&mut buf, 3);
    }
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    let t = code.label_offsets[table.index()] as usize;
    assert_eq!(t % 4, 0);
    assert!(t as u32 >= code.code_len);
    let entries: Vec<i32> = (0..4)
        .map(|i| i32::from_le_bytes(code.bytes[t + 4 * i..t + 4 * i + 4].try_into().unwrap()))
        .collect();
    let want: Vec<i32> = [2, 0, 1, 0]
        .iter()
        .map(|&b| code.label_offsets[blocks[b].index()] as i32 - t as i32)
        .collect();
    assert_eq!(entries, want);
}

#[test]
fn records_move_with_branch_relaxation() {
    let mut buf = X64Buffer::new();
    let far = buf.new_label();
    buf.put_branch(None, far);
    let mark = buf.mark();
    buf.add_trap(TrapCode::INTEGER_DIVISION_BY_ZERO);
    let ud2 = Inst::new(Op::ud2, &[], &[])
        .unwrap()
        .with_trap(TrapCode::STACK_OVERFLOW);
    emit(&ud2, &mut buf, &NoFrame).unwrap();
    let call = Inst::new(Op::call_sym, &[Arg::Symbol(SymbolId(3))], &[]).unwrap();
    emit(&call, &mut buf, &NoFrame).unwrap();
    nops(&mut buf, 300);
    buf.bind_label(far);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    // The jmp became near (5 bytes), so everything after it starts at 5.
    assert_eq!(code.mark_offsets[mark.0 as usize], 5);
    assert_eq!(code.traps[0].offset, 5);
    assert_eq!(code.traps[1].offset, 5);
    assert_eq!(code.traps[1].code, TrapCode::STACK_OVERFLOW);
    assert_eq!(code.relocs[0].offset, 5 + 2 + 1);
    assert_eq!(code.relocs[0].kind, RelocKind::CallPlt4);
    assert_eq!(code.relocs[0].symbol, SymbolId(3));
    assert_eq!(code.call_sites[0].ret_offset, 5 + 2 + 5);
}

#[test]
fn alignment_pads_with_nops() {
    let mut buf = X64Buffer::new();
    buf.put_u8(0xc3);
    buf.align_to(16);
    let l = buf.new_label();
    buf.bind_label(l);
    buf.put_u8(0xc3);
    let code = buf.finish().unwrap();
    assert_eq!(code.label_offsets[l.index()], 16);
    let d = decode(&code);
    assert!(d[1..d.len() - 1]
        .iter()
        .all(|x| x.mnemonic == Mnemonic::Nop));
    assert_eq!(d.iter().map(|x| x.len).sum::<u32>(), 17);
}

#[test]
fn bad_labels_are_errors() {
    let mut buf = X64Buffer::new();
    let l = buf.new_label();
    buf.put_branch(None, l);
    buf.put_u8(0xc3);
    assert_eq!(buf.finish().unwrap_err(), BufferError::UnboundLabel(l));
    let mut buf = X64Buffer::new();
    let l = buf.new_label();
    buf.bind_label(l);
    buf.put_u8(0xc3);
    buf.bind_label(l);
    assert_eq!(buf.finish().unwrap_err(), BufferError::ReboundLabel(l));
}

/// A block of a random program: an optional marker (`mov $id,%eax`), padding, a terminator.
#[derive(Clone, Copy, Debug)]
enum Terminator {
    FallThrough,
    Jmp(usize),
    JeThenJmp(usize, usize),
    JeThenFall(usize),
    Ret,
}

struct Block {
    marker: bool,
    padding: usize,
    end: Terminator,
}

/// xorshift64*: deterministic test randomness without a dependency.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

fn random_program(rng: &mut Rng) -> Vec<Block> {
    let n = 2 + rng.below(14) as usize;
    (0..n)
        .map(|i| {
            let t = |rng: &mut Rng| rng.below(n as u64) as usize;
            let end = match rng.below(6) {
                _ if i == n - 1 && rng.below(2) == 0 => Terminator::Ret,
                _ if i == n - 1 => Terminator::Jmp(t(rng)),
                0 => Terminator::FallThrough,
                1 | 2 => Terminator::Jmp(t(rng)),
                3 => Terminator::JeThenJmp(t(rng), t(rng)),
                4 => Terminator::JeThenFall(t(rng)),
                _ => Terminator::Ret,
            };
            // Empty blocks (no marker, no padding) are what threading works on.
            let empty = rng.below(3) == 0;
            let padding = match rng.below(4) {
                _ if empty => 0,
                0 => 0,
                1 => rng.below(8) as usize,
                2 => 100 + rng.below(60) as usize,
                _ => rng.below(300) as usize,
            };
            Block {
                marker: !empty,
                padding,
                end,
            }
        })
        .collect()
}

/// The markers the program passes, with `je` taken when `zf`: at most 64 of them, or fewer
/// if it returns or runs 5000 steps without a marker.
fn trace_source(blocks: &[Block], zf: bool) -> Vec<u32> {
    let (mut b, mut out, mut steps) = (0, Vec::new(), 0);
    while out.len() < 64 && steps < 5000 {
        steps += 1;
        if blocks[b].marker {
            out.push(b as u32);
        }
        b = match blocks[b].end {
            Terminator::FallThrough => b + 1,
            Terminator::Jmp(t) => t,
            Terminator::JeThenJmp(t, f) => {
                if zf {
                    t
                } else {
                    f
                }
            }
            Terminator::JeThenFall(t) => {
                if zf {
                    t
                } else {
                    b + 1
                }
            }
            Terminator::Ret => break,
        };
    }
    out
}

/// The same, by decoding and following the finished bytes.
fn trace_code(code: &CompiledCode, zf: bool) -> Vec<u32> {
    let text = &code.bytes[..code.code_len as usize];
    let (mut pc, mut out, mut steps) = (0u64, Vec::new(), 0);
    // Count branches, not instructions: each source step runs at most two.
    while out.len() < 64 && steps < 2 * 5000 {
        let mut d = Decoder::with_ip(64, &text[pc as usize..], pc, DecoderOptions::NONE);
        let i = d.decode();
        if i.op_count() > 0 && i.op0_kind() == OpKind::NearBranch64 {
            steps += 1;
        }
        pc = match i.mnemonic() {
            Mnemonic::Mov => {
                out.push(i.immediate32());
                i.next_ip()
            }
            Mnemonic::Nop => i.next_ip(),
            Mnemonic::Xchg if i.len() == 2 => i.next_ip(),
            Mnemonic::Jmp => i.near_branch_target(),
            Mnemonic::Je if zf => i.near_branch_target(),
            Mnemonic::Jne if !zf => i.near_branch_target(),
            Mnemonic::Je | Mnemonic::Jne => i.next_ip(),
            Mnemonic::Ret => break,
            other => panic!("unexpected {other:?} at {pc:#x}"),
        };
    }
    out
}

#[test]
fn random_programs_keep_their_control_flow() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut branches, mut short) = (0, 0);
    for program in 0..2000 {
        let blocks = random_program(&mut rng);
        // A quarter of the programs align some block starts, as loop heads would be.
        let aligned = rng.below(4) == 0;
        let mut buf = X64Buffer::new();
        let labels: Vec<MachLabel> = blocks.iter().map(|_| buf.new_label()).collect();
        for (i, b) in blocks.iter().enumerate() {
            if aligned && i % 3 == 1 {
                buf.align_to(16);
            }
            buf.bind_label(labels[i]);
            if b.marker {
                buf.put_u8(0xb8);
                buf.put_bytes(&(i as u32).to_le_bytes());
            }
            nops(&mut buf, b.padding);
            match b.end {
                Terminator::FallThrough => {}
                Terminator::Jmp(t) => buf.put_branch(None, labels[t]),
                Terminator::JeThenJmp(t, f) => {
                    buf.put_branch(JE, labels[t]);
                    buf.put_branch(None, labels[f]);
                }
                Terminator::JeThenFall(t) => buf.put_branch(JE, labels[t]),
                Terminator::Ret => buf.put_u8(0xc3),
            }
        }
        let code = buf.finish().unwrap();
        for zf in [false, true] {
            assert_eq!(
                trace_code(&code, zf),
                trace_source(&blocks, zf),
                "program {program}, zf {zf}"
            );
        }
        // Without alignment requests distances only grew while relaxing: a near branch must
        // not have fitted in 8 bits.
        for d in decode(&code).into_iter().filter(|_| !aligned) {
            if let Some(target) = d.target {
                branches += 1;
                let fits = (-128..=127).contains(&(i64::from(target) - i64::from(d.at + 2)));
                if d.len == 2 {
                    short += 1;
                }
                assert!(
                    d.len == 2 || !fits,
                    "program {program}: near branch at {:#x} fits rel8",
                    d.at
                );
            }
        }
    }
    println!("{branches} branches checked, {short} short");
    assert!(short > 0 && short < branches);
}
