//! Every row of the x64 instruction table, encoded over a spread of registers, addressing modes
//! and immediates, decoded by iced-x86 and compared: mnemonic, lock prefix, length, every
//! operand, the CPU feature, and the printer's text against iced's GAS formatter and objdump.

use std::collections::HashSet;

use iced_x86::{
    CpuidFeature, Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, OpKind, Register,
};
use regalloc2::{Allocation, OperandConstraint, OperandKind, PReg, RegClass};
use rulesel::isa::x64::amode::{Amode, FrameArea, FrameResolver};
use rulesel::isa::x64::encode::{emit, X64Buffer};
use rulesel::isa::x64::inst::{Arg, Inst, Value};
use rulesel::isa::x64::print::{att, AddressNames};
use rulesel::isa::x64::regs::{self, Reg, RBP, RCX, RSP};
use rulesel::isa::x64::rows::{Op, ALL_OPS, TABLE};
use rulesel::isa::x64::table::{Cc, Feature, Form, Kind, Loc, OpSpec, Width};
use rulesel::machinst::buffer::{MachLabel, RelocKind, SymbolId};

/// Frame slots live at rsp + 8·index + offset in these tests.
struct TestFrame;
impl FrameResolver for TestFrame {
    fn frame_address(&self, _area: FrameArea, index: u32, offset: i32) -> (PReg, i32) {
        (RSP, 8 * index as i32 + offset)
    }
}

/// The memory operands every memory-capable row is tried with: no displacement, disp8 and
/// disp32 at their boundaries, rsp/r12 (SIB) and rbp/r13 (forced disp8) as base, index with
/// every scale including rbp/r12/r13 as index, RIP-relative, and a frame slot.
fn memory_forms(constant: MachLabel) -> Vec<Amode> {
    let bases = [
        regs::RAX,
        RSP,
        RBP,
        regs::R12,
        regs::R13,
        regs::R8,
        regs::R15,
        regs::RDI,
    ];
    let indexes = [
        regs::RCX,
        RBP,
        regs::R13,
        regs::R9,
        regs::R12,
        regs::R15,
        regs::RAX,
    ];
    let disps = [0, 1, 127, -128, 128, -129, 0x1234_5678, i32::MIN, i32::MAX];
    let mut forms = Vec::new();
    for (i, &b) in bases.iter().enumerate() {
        for &d in &disps {
            forms.push(Amode::base_disp(b, d));
        }
        let index = indexes[i % indexes.len()];
        forms.push(Amode::base_index(
            b,
            index,
            (i % 4) as u8,
            disps[i % disps.len()],
        ));
    }
    for (i, &x) in indexes.iter().enumerate() {
        forms.push(Amode::base_index(
            bases[(i + 3) % bases.len()],
            x,
            (i % 4) as u8,
            0,
        ));
    }
    forms.push(Amode::rip(constant));
    forms.push(Amode::Rip {
        label: constant,
        disp: 8,
    });
    forms.push(Amode::RipSymbol {
        symbol: SymbolId(9),
        got: false,
        disp: 0,
    });
    forms.push(Amode::RipSymbol {
        symbol: SymbolId(9),
        got: true,
        disp: 0,
    });
    forms.push(Amode::Frame {
        area: FrameArea::SpillSlot,
        index: 2,
        offset: 4,
    });
    forms
}

fn immediates(spec: &OpSpec) -> Vec<i64> {
    let Loc::Imm(bytes) = spec.loc else {
        unreachable!()
    };
    match (bytes, spec.width) {
        (0, _) => (1..=9).collect(),
        (1, _) => vec![0, 1, 127, -128, 255],
        (2, _) => vec![0, 127, 128, -128, -129, 0x7fff, -0x8000, 0xffff],
        (4, Width::W32) => vec![
            0,
            127,
            128,
            -128,
            -129,
            0x7fff_ffff,
            -0x8000_0000,
            0xffff_ffff,
        ],
        (4, _) => vec![0, 127, 128, -128, -129, 0x7fff_ffff, -0x8000_0000],
        _ => vec![
            0,
            -1,
            0x1234_5678_9abc_def0,
            i64::MIN,
            0xfedc_ba98_7654_3210_u64 as i64,
        ],
    }
}

fn reg_for(spec: &OpSpec, variant: usize, operand: usize) -> Reg {
    if let Some(p) = spec.fixed() {
        return Reg::phys(p);
    }
    let n = (variant + 5 * operand) % 16;
    if spec.kind.is_xmm() {
        Reg::phys(regs::xmm(n as u8))
    } else {
        Reg::phys(regs::gpr(n as u8))
    }
}

/// One instance: the operand choices for a row.
#[derive(Clone, Copy)]
struct Choice {
    variant: usize,
    mem: Option<Amode>,
    imm: i64,
    cc: Cc,
}

fn build(op: Op, c: &Choice, target: MachLabel) -> Inst {
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for (j, spec) in op.row().operands.iter().enumerate() {
        match spec.kind {
            Kind::Gpr | Kind::Xmm => {
                let r = reg_for(spec, c.variant, j);
                if spec.access.reads() {
                    inputs.push(Arg::Reg(r));
                }
                if spec.access.writes() {
                    outputs.push(r);
                }
            }
            Kind::GprMem | Kind::XmmMem => inputs.push(match c.mem {
                Some(a) => Arg::Mem(a),
                None => Arg::Reg(reg_for(spec, c.variant, j)),
            }),
            Kind::Mem => inputs.push(Arg::Mem(c.mem.expect("memory rows get memory"))),
            Kind::Imm => inputs.push(Arg::Imm(c.imm)),
            Kind::Cc => inputs.push(Arg::Cc(c.cc)),
            Kind::Label => inputs.push(Arg::Label(target)),
            Kind::Symbol => inputs.push(Arg::Symbol(SymbolId(7))),
        }
    }
    Inst::new(op, &inputs, &outputs).unwrap_or_else(|e| panic!("building {op:?}: {e}"))
}

/// The regalloc2 view of an allocated instruction: make every register virtual again, collect
/// operands, and check that each operand names the register occurrence in the same order, that
/// fixed constraints name the register the instruction has there, that reuse constraints point at
/// a use holding the same register, and that applying the original registers as allocations
/// gives back the instruction.
fn check_regalloc_view(inst: &Inst) -> Result<(), String> {
    let mut originals = Vec::new();
    let mut virt = *inst;
    virt.map_regs(|r| {
        originals.push(r);
        Reg::virt(regalloc2::VReg::new(
            regs::PINNED_VREGS + originals.len(),
            r.class(),
        ))
    });
    let mut ops = Vec::new();
    virt.collect_operands(&mut ops);
    if ops.len() != originals.len() {
        return Err(format!(
            "{} operands for {} registers",
            ops.len(),
            originals.len()
        ));
    }
    for (k, op) in ops.iter().enumerate() {
        if op.vreg().vreg() != regs::PINNED_VREGS + k + 1 {
            return Err(format!("operand {k} names {:?}", op.vreg()));
        }
        match op.constraint() {
            OperandConstraint::FixedReg(p) if Some(p) != originals[k].to_preg() => {
                return Err(format!("operand {k} fixed to {p:?}"));
            }
            OperandConstraint::Reuse(i)
                if ops[i].kind() != OperandKind::Use || originals[i] != originals[k] =>
            {
                return Err(format!("operand {k} reuses {i}"));
            }
            _ => {}
        }
    }
    let allocs: Vec<Allocation> = originals
        .iter()
        .map(|r| Allocation::reg(r.to_preg().expect("physical")))
        .collect();
    if virt.with_allocs(&allocs) != *inst {
        return Err("allocations do not give the instruction back".into());
    }
    Ok(())
}

fn iced_reg_name(r: Register) -> String {
    let s = format!("{r:?}").to_lowercase();
    // iced calls the low bytes of r8–r15 "r8l"; objdump and Intel say "r8b".
    match s.strip_suffix('l') {
        Some(stem) if stem.starts_with('r') && stem[1..].parse::<u8>().is_ok() => {
            format!("{stem}b")
        }
        _ => s,
    }
}

fn formatter() -> GasFormatter {
    let mut f = GasFormatter::new();
    let o = f.options_mut();
    o.set_first_operand_char_index(7);
    o.set_uppercase_hex(false);
    o.set_hex_prefix("0x");
    o.set_hex_suffix("");
    o.set_branch_leading_zeros(false);
    o.set_space_after_operand_separator(false);
    o.set_gas_show_mnemonic_size_suffix(false);
    o.set_small_hex_numbers_in_decimal(false);
    o.set_show_zero_displacements(true);
    o.set_rip_relative_addresses(true);
    o.set_show_useless_prefixes(false);
    f
}

/// Encode one instance and compare it with iced-x86. Returns the mismatches found.
fn check(
    op: Op,
    c: &Choice,
    fmt: &mut GasFormatter,
    text_mismatches: &mut Vec<String>,
    listing: &mut Vec<(Vec<u8>, String)>,
) -> Vec<String> {
    let row = op.row();
    let mut buf = X64Buffer::new();
    let constant = buf.add_constant(&[0x11; 16], 16);
    let target = buf.new_label();
    // Branch targets: behind (short), or ahead by c.imm bytes of padding (short or near).
    let pad = if kind_of_target(row).is_some() {
        c.imm
    } else {
        0
    };
    let backward = pad < 0;
    if backward {
        buf.bind_label(target);
        buf.put_bytes(&[0x90; 16]);
    }
    let c = Choice {
        mem: c.mem.map(|m| match m {
            Amode::Rip { disp, .. } => Amode::Rip {
                label: constant,
                disp,
            },
            other => other,
        }),
        ..*c
    };
    let inst = build(op, &c, target);
    let regalloc_errs = check_regalloc_view(&inst);
    let start = buf.mark();
    emit(&inst, &mut buf, &TestFrame).expect("physical registers only");
    let end = buf.mark();
    if !backward {
        buf.put_bytes(&vec![0x90; pad.max(1) as usize]);
        buf.bind_label(target);
    }
    buf.put_u8(0xc3);
    let code = buf.finish().expect("labels are bound");
    let (s, e) = (
        code.mark_offsets[start.0 as usize],
        code.mark_offsets[end.0 as usize],
    );
    let bytes = &code.bytes[s as usize..e as usize];
    let hex = bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut errs = Vec::new();
    let mut err = |what: String| errs.push(format!("{} [{}] {}: {}", row.name, hex, inst, what));
    if let Err(what) = regalloc_errs {
        err(what);
    }

    let mut decoder = Decoder::with_ip(
        64,
        &code.bytes[s as usize..],
        u64::from(s),
        DecoderOptions::NONE,
    );
    let d: Instruction = decoder.decode();
    if d.is_invalid() {
        err("iced cannot decode it".into());
        return errs;
    }
    if d.len() != bytes.len() {
        err(format!(
            "length {} but iced decodes {}",
            bytes.len(),
            d.len()
        ));
    }
    let mut want_mnemonic = row.intel.to_string();
    if row.has_cc() {
        want_mnemonic = format!("{}{}", want_mnemonic.trim_end_matches("cc"), inst.cc.name());
    }
    let got_mnemonic = format!("{:?}", d.mnemonic()).to_lowercase();
    if got_mnemonic != want_mnemonic {
        err(format!(
            "mnemonic {want_mnemonic}, iced says {got_mnemonic}"
        ));
    }
    if d.has_lock_prefix() != row.enc.lock {
        err("lock prefix disagrees".into());
    }
    if !feature_matches(row.enc.feature, d.cpuid_features()) {
        err(format!(
            "row needs {:?}, iced says {:?}",
            row.enc.feature,
            d.cpuid_features()
        ));
    }
    if row.enc.form == Form::Nop {
        return errs;
    }
    // A register in both ModRM fields is one operand of ours and two of iced's; iced does not
    // count the implicit xmm0 of the SSE4.1 blends, which the text comparison checks.
    let shown: Vec<usize> = (0..row.operands.len())
        .filter(|&i| row.operands[i].shown())
        .filter(|&i| {
            let spec = row.operands[i];
            !(spec.kind == Kind::Xmm && matches!(spec.loc, Loc::Fixed { .. }))
        })
        .flat_map(|i| {
            let twice = row.operands[i].loc == Loc::RegAndRm;
            std::iter::repeat_n(i, 1 + usize::from(twice))
        })
        .collect();
    if shown.len() != d.op_count() as usize {
        err(format!(
            "{} operands, iced sees {}",
            shown.len(),
            d.op_count()
        ));
        return errs;
    }
    for (k, &i) in shown.iter().enumerate() {
        let spec = row.operands[i];
        let kind = d.op_kind(k as u32);
        match inst.value(i) {
            Value::Reg(r) => {
                let want = r.name(spec.width.bytes());
                if kind != OpKind::Register || iced_reg_name(d.op_register(k as u32)) != want {
                    err(format!(
                        "operand {k}: want %{want}, iced has {kind:?} {:?}",
                        d.op_register(k as u32)
                    ));
                }
            }
            Value::Mem(a) => {
                if kind != OpKind::Memory {
                    err(format!("operand {k}: want memory, iced has {kind:?}"));
                    continue;
                }
                match a.resolve(&TestFrame) {
                    Amode::Rip { label, disp } => {
                        let want = i64::from(code.label_offsets[label.index()]) + i64::from(disp);
                        if d.memory_base() != Register::RIP
                            || d.memory_displacement64() as i64 != want
                        {
                            err(format!(
                                "rip target {want:#x}, iced {:?}+{:#x}",
                                d.memory_base(),
                                d.memory_displacement64()
                            ));
                        }
                    }
                    Amode::Base {
                        base,
                        index,
                        scale,
                        disp,
                    } => {
                        let ok_base = iced_reg_name(d.memory_base()) == base.name(8);
                        let ok_index = if index.is_valid() {
                            iced_reg_name(d.memory_index()) == index.name(8)
                                && d.memory_index_scale() == 1 << scale
                        } else {
                            d.memory_index() == Register::None
                        };
                        let ok_disp = d.memory_displacement64() as i64 == i64::from(disp);
                        if !(ok_base && ok_index && ok_disp) {
                            err(format!(
                                "memory {:?}: iced {:?}+{:?}*{}+{:#x}",
                                a,
                                d.memory_base(),
                                d.memory_index(),
                                d.memory_index_scale(),
                                d.memory_displacement64()
                            ));
                        }
                    }
                    Amode::RipSymbol { got, .. } => {
                        // The field is zero until relocated: the target is the instruction's end.
                        let kind = if got {
                            RelocKind::GotPcRel4
                        } else {
                            RelocKind::PcRel4
                        };
                        let reloc = code.relocs.iter().find(|r| r.symbol == SymbolId(9));
                        let ok_reloc = reloc.is_some_and(|r| {
                            let imm_len = e as i64 - (r.offset as i64 + 4);
                            r.kind == kind && r.addend == -4 - imm_len
                        });
                        if d.memory_base() != Register::RIP
                            || d.memory_displacement64() != u64::from(e)
                            || !ok_reloc
                        {
                            err(format!("rip symbol operand, relocation {reloc:?}"));
                        }
                    }
                    Amode::Frame { .. } => unreachable!(),
                }
            }
            Value::Imm(v) => {
                let bits = spec.width.bits();
                let want = if bits >= 64 {
                    v as u64
                } else {
                    (v as u64) & ((1 << bits) - 1)
                };
                let is_imm = matches!(
                    kind,
                    OpKind::Immediate8
                        | OpKind::Immediate16
                        | OpKind::Immediate32
                        | OpKind::Immediate64
                        | OpKind::Immediate8to16
                        | OpKind::Immediate8to32
                        | OpKind::Immediate8to64
                        | OpKind::Immediate32to64
                );
                let got = d.immediate(k as u32);
                let got = if bits >= 64 {
                    got
                } else {
                    got & ((1 << bits) - 1)
                };
                if !is_imm || got != want {
                    err(format!(
                        "immediate {want:#x}, iced has {kind:?} {:#x}",
                        d.immediate(k as u32)
                    ));
                }
            }
            Value::Label(l) => {
                let want = u64::from(code.label_offsets[l.index()]);
                if d.near_branch_target() != want {
                    err(format!(
                        "target {want:#x}, iced {:#x}",
                        d.near_branch_target()
                    ));
                }
            }
            Value::Symbol(_) if matches!(spec.loc, Loc::Imm(_)) => {
                let reloc = code.relocs.first();
                let ok = reloc.is_some_and(|r| {
                    r.kind == RelocKind::Abs8 && r.offset == e - 8 && r.addend == 0
                });
                if !ok || kind != OpKind::Immediate64 || d.immediate(k as u32) != 0 {
                    err(format!("absolute relocation {reloc:?}"));
                }
            }
            Value::Symbol(_) => {
                let reloc = code.relocs.first();
                let ok = reloc.is_some_and(|r| {
                    r.kind == RelocKind::CallPlt4 && r.offset == e - 4 && r.addend == -4
                });
                if !ok || d.near_branch_target() != u64::from(e) {
                    err(format!("call relocation {reloc:?}"));
                }
            }
            Value::Cc(_) => {}
        }
    }

    // The printer against iced's GAS output (whitespace-normalised; objdump prints branch
    // targets without 0x).
    let ours = att(
        &inst,
        &AddressNames {
            code: &code,
            inst_end: e,
            frame: Some(&TestFrame),
        },
    );
    let mut theirs = String::new();
    fmt.format(&d, &mut theirs);
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut theirs = objdump_scale(&norm(&theirs));
    // iced writes `pushq (%rax)`, `jmpq *(%rax)`; objdump 2.40 writes no suffix there.
    for m in ["push", "pop", "call", "jmp"] {
        if row.intel == m {
            theirs = theirs.replacen(&format!("{m}q "), &format!("{m} "), 1);
        }
    }
    // objdump marks the VEX form of an instruction AVX-512 also has (`{vex} vpdpbusd`); iced
    // does not.
    if norm(ours.trim_start_matches("{vex} ")) != theirs {
        text_mismatches.push(format!("{}: ours `{}` iced `{}`", row.name, ours, theirs));
    }
    // Branch and call targets are absolute addresses, which change when instructions are
    // listed back to back; everything else goes into the objdump listing.
    if kind_of_target(row).is_none() {
        listing.push((bytes.to_vec(), ours));
    }
    errs
}

/// Disassemble the concatenated `listing` with the system's objdump and compare its text with
/// ours, line by line. `None` when objdump is not installed.
fn objdump_mismatches(listing: &[(Vec<u8>, String)]) -> Option<Vec<String>> {
    let bytes: Vec<u8> = listing
        .iter()
        .flat_map(|(b, _)| b.iter().copied())
        .collect();
    let theirs = objdump(&bytes, "rows")?;
    let mut mismatches = Vec::new();
    if theirs.len() != listing.len() {
        mismatches.push(format!(
            "objdump lists {} instructions, we emitted {}",
            theirs.len(),
            listing.len()
        ));
    }
    for ((_, ours), (_, theirs)) in listing.iter().zip(&theirs) {
        if ours != theirs {
            mismatches.push(format!("ours `{ours}` objdump `{theirs}`"));
        }
    }
    Some(mismatches)
}

/// objdump's disassembly of raw x86-64 `bytes` at address 0: (address, text) per instruction,
/// without objdump's `# address` comments. `None` when objdump is not installed or older than
/// binutils 2.40.
fn objdump(bytes: &[u8], tag: &str) -> Option<Vec<(u32, String)>> {
    // The printer follows binutils 2.40 (older versions write `callq`, `retq`…).
    let version = std::process::Command::new("objdump")
        .arg("--version")
        .output()
        .ok()?;
    let first = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()?
        .to_string();
    let (major, minor) = first.rsplit(' ').next()?.split_once('.')?;
    let minor: u32 = minor.split('.').next()?.parse().ok()?;
    if (major.parse::<u32>().ok()?, minor) < (2, 40) {
        return None;
    }
    let path = std::env::temp_dir().join(format!("rulesel-x64-{tag}-{}.bin", std::process::id()));
    std::fs::write(&path, bytes).ok()?;
    let out = std::process::Command::new("objdump")
        .args(["-D", "-b", "binary", "-m", "i386:x86-64", "-w"])
        .arg(&path)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    // Lines are `  addr:\tbytes\ttext`.
    Some(
        text.lines()
            .filter_map(|l| {
                let mut fields = l.splitn(3, '\t');
                let (addr, _, t) = (fields.next()?, fields.next()?, fields.next()?);
                let addr = u32::from_str_radix(addr.trim().trim_end_matches(':'), 16).ok()?;
                Some((
                    addr,
                    t.split(" #").next().unwrap_or("").trim_end().to_string(),
                ))
            })
            .collect(),
    )
}

/// A function with branches of both sizes, a removed fall-through jump, a call, RIP-relative
/// constants and a jump-table base, listed by `print::listing` and by objdump.
#[test]
fn listing_matches_objdump() {
    let mut buf = X64Buffer::new();
    let mut listed = Vec::new();
    let (top, near, next, out) = (
        buf.new_label(),
        buf.new_label(),
        buf.new_label(),
        buf.new_label(),
    );
    let konst = buf.add_constant(&2.5f64.to_le_bytes(), 8);
    let table = buf.add_jump_table(&[top, near, out]);
    let (rax, rcx, rdx) = (Reg::phys(regs::RAX), Reg::phys(RCX), Reg::phys(regs::RDX));
    let x0 = Reg::phys(regs::xmm(0));
    let mut put = |buf: &mut X64Buffer, op: Op, inputs: &[Arg], outputs: &[Reg]| {
        let inst = Inst::new(op, inputs, outputs).unwrap();
        let start = buf.mark();
        emit(&inst, buf, &TestFrame).unwrap();
        listed.push((start, inst, buf.mark()));
    };
    buf.bind_label(top);
    put(
        &mut buf,
        Op::movsd_x_m64,
        &[Arg::Mem(Amode::rip(konst))],
        &[x0],
    );
    put(
        &mut buf,
        Op::lea_r64,
        &[Arg::Mem(Amode::rip(table))],
        &[rdx],
    );
    put(
        &mut buf,
        Op::cmp_r64_imm32,
        &[Arg::Reg(rax), Arg::Imm(3)],
        &[],
    );
    put(&mut buf, Op::jcc, &[Arg::Cc(Cc::Ae), Arg::Label(near)], &[]);
    put(&mut buf, Op::jmp, &[Arg::Label(next)], &[]);
    buf.bind_label(next);
    put(&mut buf, Op::call_label, &[Arg::Label(out)], &[]);
    put(&mut buf, Op::jcc, &[Arg::Cc(Cc::L), Arg::Label(top)], &[]);
    for _ in 0..40 {
        put(
            &mut buf,
            Op::add_r64_rm64,
            &[Arg::Reg(rax), Arg::Reg(rcx)],
            &[rax],
        );
    }
    buf.bind_label(near);
    put(&mut buf, Op::jcc, &[Arg::Cc(Cc::Ne), Arg::Label(top)], &[]);
    buf.bind_label(out);
    put(&mut buf, Op::ret, &[], &[]);
    let code = buf.finish().unwrap();
    let ours = rulesel::isa::x64::print::listing(&code, &listed, Some(&TestFrame));
    let Some(theirs) = objdump(&code.bytes[..code.code_len as usize], "listing") else {
        println!("no objdump 2.40 or later: listing not compared");
        return;
    };
    let theirs: String = theirs
        .iter()
        .map(|(a, t)| format!("{a:4x}:\t{t}\n"))
        .collect();
    assert_eq!(ours, theirs);
    // The jump to the next block is gone; the backward jcc over 40 adds is near.
    assert_eq!(ours.lines().count(), listed.len() - 1);
    assert!(ours.contains("jne    0x0"));
}

/// Does the row's feature agree with iced's CPUID features for the decoded instruction? Beyond
/// the baseline, iced must list exactly the row's features (AVX-512 rows on xmm registers list
/// AVX512VL beside their family).
fn feature_matches(feature: Feature, iced: &[CpuidFeature]) -> bool {
    use CpuidFeature as C;
    let baseline = [
        C::INTEL8086,
        C::INTEL186,
        C::INTEL286,
        C::INTEL386,
        C::INTEL486,
        C::X64,
        C::SSE,
        C::SSE2,
        C::CMOV,
        C::MULTIBYTENOP,
    ];
    let wanted: &[C] = match feature {
        Feature::Base => &[],
        Feature::Sse3 => &[C::SSE3],
        Feature::Ssse3 => &[C::SSSE3],
        Feature::Sse41 => &[C::SSE4_1],
        Feature::Sse42 => &[C::SSE4_2],
        Feature::Popcnt => &[C::POPCNT],
        Feature::Lzcnt => &[C::LZCNT],
        Feature::Bmi1 => &[C::BMI1],
        Feature::Bmi2 => &[C::BMI2],
        Feature::Fma => &[C::FMA],
        Feature::Avx => &[C::AVX],
        Feature::Avx2 => &[C::AVX2],
        Feature::Cmpxchg16b => &[C::CMPXCHG16B],
        Feature::Avx512Vl => &[C::AVX512VL, C::AVX512F],
        Feature::Avx512VlDq => &[C::AVX512VL, C::AVX512DQ],
        Feature::Avx512VlVbmi => &[C::AVX512VL, C::AVX512_VBMI],
        Feature::Avx512VlBitalg => &[C::AVX512VL, C::AVX512_BITALG],
        Feature::Avx512VlVnni => &[C::AVX512VL, C::AVX512_VNNI],
        Feature::AvxVnni => &[C::AVX_VNNI],
    };
    let extra: HashSet<C> = iced
        .iter()
        .copied()
        .filter(|f| !baseline.contains(f))
        .collect();
    extra == wanted.iter().copied().collect()
}

/// objdump writes the scale whenever there is an index (`(%rax,%rcx,1)`); iced omits a scale
/// of 1, and its always-show-scale option also adds one where there is no index.
fn objdump_scale(text: &str) -> String {
    let (Some(open), Some(close)) = (text.find('('), text.find(')')) else {
        return text.to_string();
    };
    if text[open..close].matches(',').count() == 1 {
        format!("{},1{}", &text[..close], &text[close..])
    } else {
        text.to_string()
    }
}

fn kind_of_target(row: &rulesel::isa::x64::table::Row) -> Option<()> {
    row.operands
        .iter()
        .any(|o| matches!(o.kind, Kind::Label | Kind::Symbol))
        .then_some(())
}

/// All instances of a row.
fn choices(op: Op) -> Vec<Choice> {
    let row = op.row();
    let imm_spec = row.operands.iter().find(|o| o.kind == Kind::Imm);
    let imms = imm_spec.map_or(vec![0], immediates);
    let has_label = row.operands.iter().any(|o| o.kind == Kind::Label);
    // For branches, the immediate is the padding to the target: backward, 0, 127 and 128 bytes
    // ahead (short at most 127 bytes away, so 128 forces the near form), far.
    let imms = if has_label {
        vec![-1, 0, 120, 126, 127, 128, 129, 1000]
    } else {
        imms
    };
    let ccs: &[Cc] = if row.has_cc() { &Cc::ALL } else { &[Cc::O] };
    let rm_kind = row
        .operands
        .iter()
        .find(|o| o.kind.is_mem())
        .map(|o| o.kind);
    let mems: Vec<Option<Amode>> = match rm_kind {
        None => vec![None],
        Some(k) => {
            let mut v: Vec<Option<Amode>> =
                memory_forms(MachLabel(0)).into_iter().map(Some).collect();
            if k != Kind::Mem {
                v.push(None);
            }
            v
        }
    };
    let mut out = Vec::new();
    for (mi, mem) in mems.iter().enumerate() {
        let variants = if mem.is_none() {
            0..16
        } else {
            mi % 16..mi % 16 + 1
        };
        for variant in variants {
            for &imm in &imms {
                for &cc in ccs {
                    out.push(Choice {
                        variant,
                        mem: *mem,
                        imm,
                        cc,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn every_row_matches_iced() {
    let mut fmt = formatter();
    let mut failures = Vec::new();
    let mut text_mismatches = Vec::new();
    let mut listing = Vec::new();
    let mut exercised = HashSet::new();
    let mut encodings = 0usize;
    for &op in ALL_OPS {
        for c in choices(op) {
            failures.extend(check(op, &c, &mut fmt, &mut text_mismatches, &mut listing));
            exercised.insert(op);
            encodings += 1;
        }
    }
    println!(
        "x64 table: {} rows, {} encodings checked against iced-x86, {} printer mismatches",
        TABLE.len(),
        encodings,
        text_mismatches.len()
    );
    let mut seen_rows = HashSet::new();
    for f in &failures {
        if seen_rows.insert(f.split(' ').next().unwrap_or("").to_string()) {
            println!("ENCODING {f}");
        }
    }
    let mut seen = HashSet::new();
    for t in &text_mismatches {
        let key = t.split(':').next().unwrap_or("").to_string();
        if seen.insert(key) {
            println!("TEXT {t}");
        }
    }
    match objdump_mismatches(&listing) {
        None => println!("no objdump 2.40 or later: listing not compared"),
        Some(m) => {
            println!(
                "objdump: {} instructions listed, {} lines differ",
                listing.len(),
                m.len()
            );
            for line in m.iter().take(40) {
                println!("OBJDUMP {line}");
            }
            text_mismatches.extend(m);
        }
    }
    assert_eq!(exercised.len(), TABLE.len(), "every row exercised");
    assert!(
        failures.is_empty(),
        "{} encoding mismatches",
        failures.len()
    );
    assert!(
        text_mismatches.is_empty(),
        "{} printer mismatches",
        text_mismatches.len()
    );
}

#[test]
fn bad_operands_are_refused() {
    let v = |n| Reg::virt(regalloc2::VReg::new(regs::PINNED_VREGS + n, RegClass::Int));
    let x = Reg::virt(regalloc2::VReg::new(
        regs::PINNED_VREGS + 9,
        RegClass::Float,
    ));
    assert!(Inst::new(Op::add_r64_rm64, &[Arg::Reg(v(0)), Arg::Reg(x)], &[v(1)]).is_err());
    assert!(Inst::new(
        Op::add_r64_imm32,
        &[Arg::Reg(v(0)), Arg::Imm(1 << 40)],
        &[v(1)]
    )
    .is_err());
    assert!(Inst::new(
        Op::add_r32_imm32,
        &[Arg::Reg(v(0)), Arg::Imm(0xffff_ffff)],
        &[v(1)]
    )
    .is_ok());
    let rsp_index = Amode::base_index(regs::RAX, RSP, 0, 0);
    assert!(Inst::new(Op::lea_r64, &[Arg::Mem(rsp_index)], &[v(2)]).is_err());
    assert!(Inst::new(
        Op::shl_r64_cl,
        &[Arg::Reg(v(0)), Arg::Reg(Reg::phys(regs::RDX))],
        &[v(1)]
    )
    .is_err());
    assert!(Inst::new(
        Op::shl_r64_cl,
        &[Arg::Reg(v(0)), Arg::Reg(Reg::phys(RCX))],
        &[v(1)]
    )
    .is_ok());
    assert!(Inst::new(Op::ret, &[Arg::Imm(0)], &[]).is_err());
}
