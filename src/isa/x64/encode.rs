//! The encoder: an allocated [`Inst`] becomes bytes in a [`MachBuffer`], read off its row.
//!
//! ```text
//!  [F0] [66] [F2|F3|66] [REX] [0F [38|3A]] opcode(+cc|+reg) [ModRM [SIB] [disp8|disp32]] [imm]
//!  [F0] [66]            C4 RXB.mmmmm W.vvvv.L.pp | C5 R.vvvv.L.pp   opcode  ModRM …     [imm]
//!                       62 RXBR'00mm W.vvvv.1.pp z.L'L.b.V'.aaa    opcode  ModRM …     [imm]
//! ```
//!
//! The rules the row cannot state, because they depend on the operand values:
//! - REX is emitted when W, R, X or B is set, and also for a byte access to spl/bpl/sil/dil
//!   (without REX those encodings mean ah/ch/dh/bh).
//! - ModRM.rm = 100 means "SIB follows", so rsp and r12 as a base always take a SIB byte; mod =
//!   00 with rm (or SIB base) = 101 means "disp32, no base" (RIP-relative without SIB), so rbp and
//!   r13 as a base take an explicit zero disp8.
//! - The displacement is 8 bits when it fits in an i8, else 32; none when zero (see above).
//! - A row with an imm8 opcode uses it when the immediate fits in an i8.
//! - The two-byte VEX prefix is used when the map is 0F and W, X and B are clear.
//! - A `/is4` register is encoded as an immediate byte holding its number in the high bits.
//! - EVEX (AVX-512) scales a one-byte displacement by the memory operand's size (`disp8*N`):
//!   a displacement that is not a multiple of N, or whose quotient does not fit in an i8,
//!   takes four bytes. Only xmm0–xmm15 are used, so R', V' and the register form's X stay set
//!   (inverted zero), and no masking or broadcast is encoded.
//! - RIP-relative operands are a 32-bit label fixup (or a relocation, for symbols) whose addend
//!   accounts for any immediate after it, since the CPU adds the displacement to the end of
//!   the instruction.

use std::fmt;

use super::amode::{Amode, FrameResolver};
use super::inst::{Inst, Value};
use super::regs::{self, Reg};
use super::rows::Op;
use super::table::{Form, Kind, Loc, Map, ModRm, Prefix, Width};
use crate::machinst::buffer::{BranchEncoding, MachBuffer, RelocKind};

/// x86-64 branch shapes for the [`MachBuffer`], read from the `jmp` and `jcc` rows.
pub struct X64Branches;

/// A machine-code buffer for x86-64.
pub type X64Buffer = MachBuffer<X64Branches>;

/// Intel's recommended no-ops of 1 to 9 bytes (SDM vol. 2B, NOP).
pub const NOPS: [&[u8]; 9] = [
    &[0x90],
    &[0x66, 0x90],
    &[0x0f, 0x1f, 0x00],
    &[0x0f, 0x1f, 0x40, 0x00],
    &[0x0f, 0x1f, 0x44, 0x00, 0x00],
    &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
    &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
    &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

/// The near form's escape bytes and opcode, and the short form's opcode, from the `jmp` and
/// `jcc` rows.
fn branch_opcodes(cond: Option<u8>) -> (&'static [u8], u8, u8) {
    let row = if cond.is_some() { Op::jcc } else { Op::jmp }.row();
    let Form::Branch { short_opcode } = row.enc.form else {
        unreachable!("jmp and jcc rows are branches")
    };
    let cc = cond.unwrap_or(0);
    (
        map_bytes(row.enc.map),
        row.enc.opcode + cc,
        short_opcode + cc,
    )
}

impl BranchEncoding for X64Branches {
    fn short_size(_cond: Option<u8>) -> u32 {
        2
    }
    fn near_size(cond: Option<u8>) -> u32 {
        branch_opcodes(cond).0.len() as u32 + 1 + 4
    }
    fn encode(cond: Option<u8>, near: bool, disp: i32, out: &mut Vec<u8>) {
        let (escape, near_op, short_op) = branch_opcodes(cond);
        if near {
            out.extend_from_slice(escape);
            out.push(near_op);
            out.extend_from_slice(&disp.to_le_bytes());
        } else {
            out.push(short_op);
            out.push(disp as i8 as u8);
        }
    }
    fn invert(cond: u8) -> u8 {
        cond ^ 1
    }
    fn pad(mut len: u32, out: &mut Vec<u8>) {
        while len > 0 {
            let n = len.min(NOPS.len() as u32);
            out.extend_from_slice(NOPS[n as usize - 1]);
            len -= n;
        }
    }
}

fn map_bytes(map: Map) -> &'static [u8] {
    match map {
        Map::Legacy => &[],
        Map::M0F => &[0x0f],
        Map::M0F38 => &[0x0f, 0x38],
        Map::M0F3A => &[0x0f, 0x3a],
    }
}

/// An instruction that cannot be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EmitError {
    /// Register allocation has not been applied: the instruction still names this register.
    VirtualRegister(Op, Reg),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::VirtualRegister(op, r) => {
                write!(f, "{}: virtual register {r:?} at emission", op.row().name)
            }
        }
    }
}

impl std::error::Error for EmitError {}

fn fits_i8(v: i64) -> bool {
    i8::try_from(v).is_ok()
}

/// The ModRM.rm side of an instruction: a register or a memory operand.
enum RmOperand {
    Reg(u8),
    Mem(Amode),
}

fn enc_of(r: Reg) -> u8 {
    r.to_preg().map_or(0, regs::enc)
}

/// Append `inst` to `buf`. Frame addresses are resolved through `frame`.
pub fn emit(inst: &Inst, buf: &mut X64Buffer, frame: &dyn FrameResolver) -> Result<(), EmitError> {
    if let Some(r) = inst.first_virtual_reg() {
        return Err(EmitError::VirtualRegister(inst.op, r));
    }
    if let Some(code) = inst.trap {
        buf.add_trap(code);
    }
    let row = inst.op.row();
    let enc = row.enc;
    match enc.form {
        Form::Branch { .. } => {
            let cond = row.has_cc().then_some(inst.cc as u8);
            if let Some(target) = inst.target() {
                buf.put_branch(cond, target);
            }
            return Ok(());
        }
        Form::Nop => {
            if let Value::Imm(n) = inst.value(0) {
                buf.put_bytes(NOPS[n as usize - 1]);
            }
            return Ok(());
        }
        Form::Plain => {}
    }

    // Gather the operands by where they go.
    let mut reg_field = match enc.modrm {
        ModRm::Digit(d) => d,
        _ => 0,
    };
    let mut rm = None;
    let mut vvvv = 0u8;
    let mut opcode_reg = None;
    let mut imm: Option<(i64, u8)> = None;
    let mut rel_target = None;
    let mut abs_symbol = None;
    let mut needs_rex_for_byte_reg = false;
    let mut disp8_scale = 1;
    let mut slot = 0;
    for spec in row.operands {
        let value = inst.value_at(spec, slot);
        slot += spec.reg_slots();
        if let Value::Reg(r) = value {
            let e = enc_of(r);
            let byte_reg = spec.width == Width::W8 && !spec.kind.is_xmm();
            if byte_reg && (4..8).contains(&e) && !matches!(spec.loc, Loc::Fixed { .. }) {
                needs_rex_for_byte_reg = true;
            }
        }
        match (spec.loc, value) {
            (Loc::Reg, Value::Reg(r)) => reg_field = enc_of(r),
            (Loc::RegAndRm, Value::Reg(r)) => {
                reg_field = enc_of(r);
                rm = Some(RmOperand::Reg(enc_of(r)));
            }
            (Loc::Rm, Value::Reg(r)) => rm = Some(RmOperand::Reg(enc_of(r))),
            (Loc::Rm, Value::Mem(a)) => {
                rm = Some(RmOperand::Mem(a.resolve(frame)));
                if enc.evex {
                    disp8_scale = i32::from(spec.width.bytes());
                }
            }
            (Loc::Vvvv, Value::Reg(r)) => vvvv = enc_of(r),
            (Loc::Is4, Value::Reg(r)) => imm = Some((i64::from(enc_of(r) << 4), 1)),
            (Loc::OpcodeReg, Value::Reg(r)) => opcode_reg = Some(enc_of(r)),
            (Loc::Imm(bytes), Value::Imm(v)) => imm = Some((v, bytes)),
            (Loc::Opcode, Value::Label(l)) => rel_target = Some(Value::Label(l)),
            (Loc::Opcode, Value::Symbol(s)) => rel_target = Some(Value::Symbol(s)),
            (Loc::Imm(_), Value::Symbol(s)) => abs_symbol = Some(s),
            _ => {}
        }
    }

    let mut opcode = enc.opcode;
    if let (Some(short), Some((v, _))) = (enc.imm8_opcode, imm) {
        // The immediate as the operation sees it: 0xffff_ffff in a 32-bit add is -1.
        let width = row
            .operands
            .iter()
            .find(|o| o.kind == Kind::Imm)
            .map_or(64, |o| o.width.bits());
        let shift = 64 - width;
        if fits_i8((v << shift) >> shift) {
            opcode = short;
            imm = imm.map(|(v, _)| (v, 1));
        }
    }
    if row.has_cc() {
        opcode += inst.cc as u8;
    }
    if let Some(r) = opcode_reg {
        opcode += r & 7;
    }

    // REX / VEX extension bits.
    let rex_r = reg_field >= 8;
    let (rex_x, rex_b) = match (&rm, opcode_reg) {
        (Some(RmOperand::Reg(r)), _) => (false, *r >= 8),
        (Some(RmOperand::Mem(Amode::Base { base, index, .. })), _) => {
            (enc_of(*index) >= 8 && index.is_valid(), enc_of(*base) >= 8)
        }
        (_, Some(r)) => (false, r >= 8),
        _ => (false, false),
    };

    if enc.lock {
        buf.put_u8(0xf0);
    }
    if enc.opsize {
        buf.put_u8(0x66);
    }
    let pp: u8 = match enc.prefix {
        Prefix::None => 0,
        Prefix::P66 => 1,
        Prefix::PF3 => 2,
        Prefix::PF2 => 3,
    };
    let mmmmm = match enc.map {
        Map::Legacy => 0,
        Map::M0F => 1,
        Map::M0F38 => 2,
        Map::M0F3A => 3,
    };
    match enc.vex {
        Some(l) if enc.evex => {
            buf.put_bytes(&[
                0x62,
                (u8::from(!rex_r) << 7)
                    | (u8::from(!rex_x) << 6)
                    | (u8::from(!rex_b) << 5)
                    | 0x10
                    | mmmmm,
                (u8::from(enc.w) << 7) | ((!vvvv & 15) << 3) | 0x04 | pp,
                (u8::from(l) << 5) | 0x08,
            ]);
        }
        None => {
            if pp != 0 {
                buf.put_u8([0, 0x66, 0xf3, 0xf2][usize::from(pp)]);
            }
            let rex = 0x40
                | (u8::from(enc.w) << 3)
                | (u8::from(rex_r) << 2)
                | (u8::from(rex_x) << 1)
                | u8::from(rex_b);
            if rex != 0x40 || needs_rex_for_byte_reg {
                buf.put_u8(rex);
            }
            buf.put_bytes(map_bytes(enc.map));
        }
        Some(l) => {
            let vvvv_l_pp = ((!vvvv & 15) << 3) | (u8::from(l) << 2) | pp;
            if enc.map == Map::M0F && !enc.w && !rex_x && !rex_b {
                buf.put_bytes(&[0xc5, (u8::from(!rex_r) << 7) | vvvv_l_pp]);
            } else {
                buf.put_bytes(&[
                    0xc4,
                    (u8::from(!rex_r) << 7)
                        | (u8::from(!rex_x) << 6)
                        | (u8::from(!rex_b) << 5)
                        | mmmmm,
                    (u8::from(enc.w) << 7) | vvvv_l_pp,
                ]);
            }
        }
    }
    buf.put_u8(opcode);

    let imm_len = imm.map_or(0, |(_, b)| u32::from(b));
    match (enc.modrm, rm) {
        (ModRm::Byte(b), _) => buf.put_u8(b),
        (ModRm::None, _) | (_, None) => {}
        (_, Some(RmOperand::Reg(r))) => buf.put_u8(0xc0 | ((reg_field & 7) << 3) | (r & 7)),
        (_, Some(RmOperand::Mem(a))) => put_mem(buf, reg_field & 7, a, imm_len, disp8_scale),
    }

    match rel_target {
        Some(Value::Label(l)) => buf.put_label_rel32(l, -4),
        Some(Value::Symbol(s)) => {
            buf.add_reloc(RelocKind::CallPlt4, s, -4);
            buf.put_bytes(&[0; 4]);
        }
        _ => {}
    }
    if let Some((v, bytes)) = imm {
        buf.put_bytes(&v.to_le_bytes()[..usize::from(bytes)]);
    }
    if let Some(s) = abs_symbol {
        buf.add_reloc(RelocKind::Abs8, s, 0);
        buf.put_bytes(&[0; 8]);
    }
    if row.intel == "call" {
        buf.add_call_site();
    }
    Ok(())
}

/// ModRM (with `reg` in bits 5:3), SIB and displacement for a memory operand; a one-byte
/// displacement counts units of `disp8_scale` bytes (1, except for EVEX).
fn put_mem(buf: &mut X64Buffer, reg: u8, a: Amode, imm_len: u32, disp8_scale: i32) {
    match a {
        Amode::Rip { label, disp } => {
            buf.put_u8((reg << 3) | 0b101);
            buf.put_label_rel32(label, disp.wrapping_sub(4 + imm_len as i32));
        }
        Amode::RipSymbol { symbol, got, disp } => {
            buf.put_u8((reg << 3) | 0b101);
            let kind = if got {
                RelocKind::GotPcRel4
            } else {
                RelocKind::PcRel4
            };
            buf.add_reloc(kind, symbol, i64::from(disp) - 4 - i64::from(imm_len));
            buf.put_bytes(&[0; 4]);
        }
        Amode::Base {
            base,
            index,
            scale,
            disp,
        } => {
            let b = enc_of(base) & 7;
            // rbp/r13 as base cannot use mod 00 (that means disp32 without base).
            let short = (disp % disp8_scale == 0).then(|| disp / disp8_scale);
            let (mode, disp_bytes, disp) = match short {
                _ if disp == 0 && b != 0b101 => (0b00, 0, 0),
                Some(d) if fits_i8(i64::from(d)) => (0b01, 1, d),
                _ => (0b10, 4, disp),
            };
            if index.is_valid() || b == 0b100 {
                let i = if index.is_valid() {
                    enc_of(index) & 7
                } else {
                    0b100
                };
                buf.put_u8((mode << 6) | (reg << 3) | 0b100);
                buf.put_u8((scale << 6) | (i << 3) | b);
            } else {
                buf.put_u8((mode << 6) | (reg << 3) | b);
            }
            buf.put_bytes(&disp.to_le_bytes()[..disp_bytes]);
        }
        Amode::Frame { .. } => unreachable!("frame addresses are resolved before encoding"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::x64::amode::FrameArea;
    use crate::isa::x64::inst::Arg;
    use crate::isa::x64::print::att;
    use crate::isa::x64::print::SymbolicNames;
    use crate::isa::x64::regs::{xmm, R13, R8, RAX, RDI, RSI, RSP};
    use regalloc2::PReg;

    struct NoFrame;
    impl FrameResolver for NoFrame {
        fn frame_address(&self, _: FrameArea, _: u32, offset: i32) -> (PReg, i32) {
            (RSP, offset)
        }
    }

    fn bytes(op: Op, inputs: &[Arg], outputs: &[PReg]) -> (Vec<u8>, String) {
        let outputs: Vec<Reg> = outputs.iter().map(|&p| p.into()).collect();
        let inst = Inst::new(op, inputs, &outputs).unwrap();
        let mut buf = X64Buffer::new();
        emit(&inst, &mut buf, &NoFrame).unwrap();
        (buf.finish().unwrap().bytes, att(&inst, &SymbolicNames))
    }

    fn r(p: PReg) -> Arg {
        Arg::Reg(p.into())
    }

    fn check((got, text): (Vec<u8>, String), want: &[u8], want_text: &str) {
        assert_eq!((got.as_slice(), text.as_str()), (want, want_text));
    }

    #[test]
    fn encodings_from_the_manual() {
        let mem = |b: PReg, d| Arg::Mem(Amode::base_disp(b, d));
        check(
            bytes(Op::add_r64_rm64, &[r(RDI), r(RSI)], &[RDI]),
            &[0x48, 0x03, 0xfe],
            "add    %rsi,%rdi",
        );
        check(
            bytes(Op::mov_r64_rm64, &[mem(RSP, 8)], &[RAX]),
            &[0x48, 0x8b, 0x44, 0x24, 0x08],
            "mov    0x8(%rsp),%rax",
        );
        check(
            bytes(Op::mov_r32_rm32, &[mem(R13, 0)], &[RAX]),
            &[0x41, 0x8b, 0x45, 0x00],
            "mov    0x0(%r13),%eax",
        );
        check(
            bytes(Op::movabs_r64_imm64, &[Arg::Imm(0x12_3456_7890)], &[RAX]),
            &[0x48, 0xb8, 0x90, 0x78, 0x56, 0x34, 0x12, 0, 0, 0],
            "movabs $0x1234567890,%rax",
        );
        check(
            bytes(Op::add_r32_imm32, &[r(RAX), Arg::Imm(0xffff_ffff)], &[RAX]),
            &[0x83, 0xc0, 0xff],
            "add    $0xffffffff,%eax",
        );
        check(
            bytes(Op::mov_m8_r8, &[mem(RAX, 0), r(RSI)], &[]),
            &[0x40, 0x88, 0x30],
            "mov    %sil,(%rax)",
        );
        check(
            bytes(
                Op::vfmadd231sd_x_x_xm64,
                &[r(xmm(0)), r(xmm(1)), r(xmm(2))],
                &[xmm(0)],
            ),
            &[0xc4, 0xe2, 0xf1, 0xb9, 0xc2],
            "vfmadd231sd %xmm2,%xmm1,%xmm0",
        );
        check(
            bytes(Op::vaddss_x_x_xm32, &[r(xmm(1)), r(xmm(2))], &[xmm(0)]),
            &[0xc5, 0xf2, 0x58, 0xc2],
            "vaddss %xmm2,%xmm1,%xmm0",
        );
        check(
            bytes(Op::vaddss_x_x_xm32, &[r(xmm(1)), mem(R8, 0)], &[xmm(0)]),
            &[0xc4, 0xc1, 0x72, 0x58, 0x00],
            "vaddss (%r8),%xmm1,%xmm0",
        );
        check(
            bytes(Op::xor_r32_zero, &[], &[RAX]),
            &[0x33, 0xc0],
            "xor    %eax,%eax",
        );
    }
}
