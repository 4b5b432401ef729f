//! The x86-64 instruction table: one line per instruction form. See `table.rs` for what the
//! fields mean. A line reads
//!
//! ```text
//!   name: "intel mnemonic" "AT&T mnemonic" att_suffix [operands, Intel order] encoding;
//! ```
//!
//! and produces both a variant of [`Op`] (the row's identity, used by lowering and the ABI
//! layer) and an entry of [`TABLE`] at the same index. Adding an instruction is adding a line;
//! the encoder, printer, operand collection, rule terms and the iced-x86 cross-check follow.
//!
//! Operand constructors (`table.rs`): `r`/`rr` a GPR in ModRM.reg/rm, `rm` GPR-or-memory,
//! `m` memory, `vr` a GPR in VEX.vvvv, `or` a GPR in the opcode, `x`/`xr`/`xm`/`vx` the XMM
//! equivalents, `same`/`xsame` one register in both ModRM fields, `imm(width, bytes)`,
//! `fixed`/`shown` implicit registers, `cc`, `label`, `sym`. Widths `B W L Q X` are 8 to 128
//! bits; accesses `R`, `WO` (write only), `RW`. Encodings start with `enc(map, opcode)` and add
//! prefixes (`.o16()`, `.p(PF3)`, `.lock()`), `.w()`, `.r()` or `.digit(n)`, `.imm8(opcode)`,
//! `.vex(l)`, and `.needs(Feature)` for anything beyond baseline x86-64.
//!
//! Names spell the operands: `add_r64_rm64` (reg ← reg op r/m), `add_m64_r64` (memory
//! destination), `add_r64_imm32`; XMM operands are `x`, `xm32` (XMM or 32-bit memory).

use super::regs::gpr::{RAX, RBX, RCX, RDX};
use super::table::Access::{Read as R, ReadWrite as RW, Write as WO};
use super::table::Feature::*;
use super::table::Map::{Legacy as L1, M0F, M0F38, M0F3A};
use super::table::Prefix::{P66, PF2, PF3};
use super::table::Width::{W128 as X, W16 as W, W32 as L, W64 as Q, W8 as B};
use super::table::*;
use std::sync::OnceLock;

macro_rules! table {
    ($($name:ident: $intel:literal $att:literal $suffix:literal [$($op:expr),*] $enc:expr;)*) => {
        /// The identity of a table row: `TABLE[op as usize]` describes it.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(u16)]
        pub enum Op {
            $($name),*
        }

        /// Every row, in [`Op`] order.
        pub static TABLE: &[Row] = &[
            $(Row {
                name: stringify!($name),
                intel: $intel,
                att: $att,
                att_suffix: $suffix,
                operands: &[$($op),*],
                enc: $enc,
            }),*
        ];

        /// Every [`Op`], in table order.
        pub const ALL_OPS: &[Op] = &[$(Op::$name),*];
    };
}

impl Op {
    /// The row describing this instruction form.
    pub fn row(self) -> &'static Row {
        &TABLE[self as usize]
    }

    /// The row named `name`, if any (the rule language looks terms up by name).
    pub fn by_name(name: &str) -> Option<Op> {
        ALL_OPS.iter().copied().find(|op| op.row().name == name)
    }

    /// For a row whose last input is a register-or-memory source (`add_r64_rm64`), the row
    /// that takes an immediate there instead (`add_r64_imm32`), found once by name.
    pub fn imm_form(self) -> Option<Op> {
        static SIBLINGS: OnceLock<Vec<Option<Op>>> = OnceLock::new();
        let siblings = SIBLINGS.get_or_init(|| {
            ALL_OPS
                .iter()
                .map(|op| {
                    let (stem, rm) = op.row().name.rsplit_once("_rm")?;
                    if stem.contains("_rm") || rm.contains('_') {
                        return None;
                    }
                    let prefix = format!("{stem}_imm");
                    ALL_OPS.iter().copied().find(|o| {
                        o.row()
                            .name
                            .strip_prefix(&prefix)
                            .is_some_and(|bits| bits.parse::<u8>().is_ok())
                    })
                })
                .collect()
        });
        siblings[self as usize]
    }
}

table! {
    // Integer arithmetic and logic: reg ← reg op r/m, mem op= reg, and immediate forms (imm8 chosen when it fits).
    add_r8_rm8: "add" "add" true [r(B, RW), rm(B)] enc(L1, 0x02).r();
    add_m8_r8: "add" "add" true [m(B, RW), r(B, R)] enc(L1, 0x00).r();
    add_r8_imm8: "add" "add" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(0);
    add_m8_imm8: "add" "add" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(0);
    add_r16_rm16: "add" "add" true [r(W, RW), rm(W)] enc(L1, 0x03).o16().r();
    add_m16_r16: "add" "add" true [m(W, RW), r(W, R)] enc(L1, 0x01).o16().r();
    add_r16_imm16: "add" "add" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(0).imm8(0x83);
    add_m16_imm16: "add" "add" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(0).imm8(0x83);
    add_r32_rm32: "add" "add" true [r(L, RW), rm(L)] enc(L1, 0x03).r();
    add_m32_r32: "add" "add" true [m(L, RW), r(L, R)] enc(L1, 0x01).r();
    add_r32_imm32: "add" "add" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(0).imm8(0x83);
    add_m32_imm32: "add" "add" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(0).imm8(0x83);
    add_r64_rm64: "add" "add" true [r(Q, RW), rm(Q)] enc(L1, 0x03).w().r();
    add_m64_r64: "add" "add" true [m(Q, RW), r(Q, R)] enc(L1, 0x01).w().r();
    add_r64_imm32: "add" "add" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(0).imm8(0x83);
    add_m64_imm32: "add" "add" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(0).imm8(0x83);
    or_r8_rm8: "or" "or" true [r(B, RW), rm(B)] enc(L1, 0x0a).r();
    or_m8_r8: "or" "or" true [m(B, RW), r(B, R)] enc(L1, 0x08).r();
    or_r8_imm8: "or" "or" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(1);
    or_m8_imm8: "or" "or" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(1);
    or_r16_rm16: "or" "or" true [r(W, RW), rm(W)] enc(L1, 0x0b).o16().r();
    or_m16_r16: "or" "or" true [m(W, RW), r(W, R)] enc(L1, 0x09).o16().r();
    or_r16_imm16: "or" "or" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(1).imm8(0x83);
    or_m16_imm16: "or" "or" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(1).imm8(0x83);
    or_r32_rm32: "or" "or" true [r(L, RW), rm(L)] enc(L1, 0x0b).r();
    or_m32_r32: "or" "or" true [m(L, RW), r(L, R)] enc(L1, 0x09).r();
    or_r32_imm32: "or" "or" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(1).imm8(0x83);
    or_m32_imm32: "or" "or" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(1).imm8(0x83);
    or_r64_rm64: "or" "or" true [r(Q, RW), rm(Q)] enc(L1, 0x0b).w().r();
    or_m64_r64: "or" "or" true [m(Q, RW), r(Q, R)] enc(L1, 0x09).w().r();
    or_r64_imm32: "or" "or" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(1).imm8(0x83);
    or_m64_imm32: "or" "or" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(1).imm8(0x83);
    adc_r8_rm8: "adc" "adc" true [r(B, RW), rm(B)] enc(L1, 0x12).r();
    adc_m8_r8: "adc" "adc" true [m(B, RW), r(B, R)] enc(L1, 0x10).r();
    adc_r8_imm8: "adc" "adc" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(2);
    adc_m8_imm8: "adc" "adc" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(2);
    adc_r16_rm16: "adc" "adc" true [r(W, RW), rm(W)] enc(L1, 0x13).o16().r();
    adc_m16_r16: "adc" "adc" true [m(W, RW), r(W, R)] enc(L1, 0x11).o16().r();
    adc_r16_imm16: "adc" "adc" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(2).imm8(0x83);
    adc_m16_imm16: "adc" "adc" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(2).imm8(0x83);
    adc_r32_rm32: "adc" "adc" true [r(L, RW), rm(L)] enc(L1, 0x13).r();
    adc_m32_r32: "adc" "adc" true [m(L, RW), r(L, R)] enc(L1, 0x11).r();
    adc_r32_imm32: "adc" "adc" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(2).imm8(0x83);
    adc_m32_imm32: "adc" "adc" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(2).imm8(0x83);
    adc_r64_rm64: "adc" "adc" true [r(Q, RW), rm(Q)] enc(L1, 0x13).w().r();
    adc_m64_r64: "adc" "adc" true [m(Q, RW), r(Q, R)] enc(L1, 0x11).w().r();
    adc_r64_imm32: "adc" "adc" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(2).imm8(0x83);
    adc_m64_imm32: "adc" "adc" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(2).imm8(0x83);
    sbb_r8_rm8: "sbb" "sbb" true [r(B, RW), rm(B)] enc(L1, 0x1a).r();
    sbb_m8_r8: "sbb" "sbb" true [m(B, RW), r(B, R)] enc(L1, 0x18).r();
    sbb_r8_imm8: "sbb" "sbb" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(3);
    sbb_m8_imm8: "sbb" "sbb" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(3);
    sbb_r16_rm16: "sbb" "sbb" true [r(W, RW), rm(W)] enc(L1, 0x1b).o16().r();
    sbb_m16_r16: "sbb" "sbb" true [m(W, RW), r(W, R)] enc(L1, 0x19).o16().r();
    sbb_r16_imm16: "sbb" "sbb" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(3).imm8(0x83);
    sbb_m16_imm16: "sbb" "sbb" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(3).imm8(0x83);
    sbb_r32_rm32: "sbb" "sbb" true [r(L, RW), rm(L)] enc(L1, 0x1b).r();
    sbb_m32_r32: "sbb" "sbb" true [m(L, RW), r(L, R)] enc(L1, 0x19).r();
    sbb_r32_imm32: "sbb" "sbb" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(3).imm8(0x83);
    sbb_m32_imm32: "sbb" "sbb" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(3).imm8(0x83);
    sbb_r64_rm64: "sbb" "sbb" true [r(Q, RW), rm(Q)] enc(L1, 0x1b).w().r();
    sbb_m64_r64: "sbb" "sbb" true [m(Q, RW), r(Q, R)] enc(L1, 0x19).w().r();
    sbb_r64_imm32: "sbb" "sbb" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(3).imm8(0x83);
    sbb_m64_imm32: "sbb" "sbb" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(3).imm8(0x83);
    and_r8_rm8: "and" "and" true [r(B, RW), rm(B)] enc(L1, 0x22).r();
    and_m8_r8: "and" "and" true [m(B, RW), r(B, R)] enc(L1, 0x20).r();
    and_r8_imm8: "and" "and" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(4);
    and_m8_imm8: "and" "and" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(4);
    and_r16_rm16: "and" "and" true [r(W, RW), rm(W)] enc(L1, 0x23).o16().r();
    and_m16_r16: "and" "and" true [m(W, RW), r(W, R)] enc(L1, 0x21).o16().r();
    and_r16_imm16: "and" "and" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(4).imm8(0x83);
    and_m16_imm16: "and" "and" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(4).imm8(0x83);
    and_r32_rm32: "and" "and" true [r(L, RW), rm(L)] enc(L1, 0x23).r();
    and_m32_r32: "and" "and" true [m(L, RW), r(L, R)] enc(L1, 0x21).r();
    and_r32_imm32: "and" "and" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(4).imm8(0x83);
    and_m32_imm32: "and" "and" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(4).imm8(0x83);
    and_r64_rm64: "and" "and" true [r(Q, RW), rm(Q)] enc(L1, 0x23).w().r();
    and_m64_r64: "and" "and" true [m(Q, RW), r(Q, R)] enc(L1, 0x21).w().r();
    and_r64_imm32: "and" "and" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(4).imm8(0x83);
    and_m64_imm32: "and" "and" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(4).imm8(0x83);
    sub_r8_rm8: "sub" "sub" true [r(B, RW), rm(B)] enc(L1, 0x2a).r();
    sub_m8_r8: "sub" "sub" true [m(B, RW), r(B, R)] enc(L1, 0x28).r();
    sub_r8_imm8: "sub" "sub" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(5);
    sub_m8_imm8: "sub" "sub" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(5);
    sub_r16_rm16: "sub" "sub" true [r(W, RW), rm(W)] enc(L1, 0x2b).o16().r();
    sub_m16_r16: "sub" "sub" true [m(W, RW), r(W, R)] enc(L1, 0x29).o16().r();
    sub_r16_imm16: "sub" "sub" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(5).imm8(0x83);
    sub_m16_imm16: "sub" "sub" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(5).imm8(0x83);
    sub_r32_rm32: "sub" "sub" true [r(L, RW), rm(L)] enc(L1, 0x2b).r();
    sub_m32_r32: "sub" "sub" true [m(L, RW), r(L, R)] enc(L1, 0x29).r();
    sub_r32_imm32: "sub" "sub" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(5).imm8(0x83);
    sub_m32_imm32: "sub" "sub" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(5).imm8(0x83);
    sub_r64_rm64: "sub" "sub" true [r(Q, RW), rm(Q)] enc(L1, 0x2b).w().r();
    sub_m64_r64: "sub" "sub" true [m(Q, RW), r(Q, R)] enc(L1, 0x29).w().r();
    sub_r64_imm32: "sub" "sub" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(5).imm8(0x83);
    sub_m64_imm32: "sub" "sub" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(5).imm8(0x83);
    xor_r8_rm8: "xor" "xor" true [r(B, RW), rm(B)] enc(L1, 0x32).r();
    xor_m8_r8: "xor" "xor" true [m(B, RW), r(B, R)] enc(L1, 0x30).r();
    xor_r8_imm8: "xor" "xor" true [rr(B, RW), imm(B, 1)] enc(L1, 0x80).digit(6);
    xor_m8_imm8: "xor" "xor" true [m(B, RW), imm(B, 1)] enc(L1, 0x80).digit(6);
    xor_r16_rm16: "xor" "xor" true [r(W, RW), rm(W)] enc(L1, 0x33).o16().r();
    xor_m16_r16: "xor" "xor" true [m(W, RW), r(W, R)] enc(L1, 0x31).o16().r();
    xor_r16_imm16: "xor" "xor" true [rr(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(6).imm8(0x83);
    xor_m16_imm16: "xor" "xor" true [m(W, RW), imm(W, 2)] enc(L1, 0x81).o16().digit(6).imm8(0x83);
    xor_r32_rm32: "xor" "xor" true [r(L, RW), rm(L)] enc(L1, 0x33).r();
    xor_m32_r32: "xor" "xor" true [m(L, RW), r(L, R)] enc(L1, 0x31).r();
    xor_r32_imm32: "xor" "xor" true [rr(L, RW), imm(L, 4)] enc(L1, 0x81).digit(6).imm8(0x83);
    xor_m32_imm32: "xor" "xor" true [m(L, RW), imm(L, 4)] enc(L1, 0x81).digit(6).imm8(0x83);
    xor_r64_rm64: "xor" "xor" true [r(Q, RW), rm(Q)] enc(L1, 0x33).w().r();
    xor_m64_r64: "xor" "xor" true [m(Q, RW), r(Q, R)] enc(L1, 0x31).w().r();
    xor_r64_imm32: "xor" "xor" true [rr(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(6).imm8(0x83);
    xor_m64_imm32: "xor" "xor" true [m(Q, RW), imm(Q, 4)] enc(L1, 0x81).w().digit(6).imm8(0x83);
    cmp_r8_rm8: "cmp" "cmp" true [r(B, R), rm(B)] enc(L1, 0x3a).r();
    cmp_m8_r8: "cmp" "cmp" true [m(B, R), r(B, R)] enc(L1, 0x38).r();
    cmp_r8_imm8: "cmp" "cmp" true [rr(B, R), imm(B, 1)] enc(L1, 0x80).digit(7);
    cmp_m8_imm8: "cmp" "cmp" true [m(B, R), imm(B, 1)] enc(L1, 0x80).digit(7);
    cmp_r16_rm16: "cmp" "cmp" true [r(W, R), rm(W)] enc(L1, 0x3b).o16().r();
    cmp_m16_r16: "cmp" "cmp" true [m(W, R), r(W, R)] enc(L1, 0x39).o16().r();
    cmp_r16_imm16: "cmp" "cmp" true [rr(W, R), imm(W, 2)] enc(L1, 0x81).o16().digit(7).imm8(0x83);
    cmp_m16_imm16: "cmp" "cmp" true [m(W, R), imm(W, 2)] enc(L1, 0x81).o16().digit(7).imm8(0x83);
    cmp_r32_rm32: "cmp" "cmp" true [r(L, R), rm(L)] enc(L1, 0x3b).r();
    cmp_m32_r32: "cmp" "cmp" true [m(L, R), r(L, R)] enc(L1, 0x39).r();
    cmp_r32_imm32: "cmp" "cmp" true [rr(L, R), imm(L, 4)] enc(L1, 0x81).digit(7).imm8(0x83);
    cmp_m32_imm32: "cmp" "cmp" true [m(L, R), imm(L, 4)] enc(L1, 0x81).digit(7).imm8(0x83);
    cmp_r64_rm64: "cmp" "cmp" true [r(Q, R), rm(Q)] enc(L1, 0x3b).w().r();
    cmp_m64_r64: "cmp" "cmp" true [m(Q, R), r(Q, R)] enc(L1, 0x39).w().r();
    cmp_r64_imm32: "cmp" "cmp" true [rr(Q, R), imm(Q, 4)] enc(L1, 0x81).w().digit(7).imm8(0x83);
    cmp_m64_imm32: "cmp" "cmp" true [m(Q, R), imm(Q, 4)] enc(L1, 0x81).w().digit(7).imm8(0x83);
    test_rm8_r8: "test" "test" true [rm(B), r(B, R)] enc(L1, 0x84).r();
    test_rm8_imm8: "test" "test" true [rm(B), imm(B, 1)] enc(L1, 0xf6).digit(0);
    test_rm16_r16: "test" "test" true [rm(W), r(W, R)] enc(L1, 0x85).o16().r();
    test_rm16_imm16: "test" "test" true [rm(W), imm(W, 2)] enc(L1, 0xf7).o16().digit(0);
    test_rm32_r32: "test" "test" true [rm(L), r(L, R)] enc(L1, 0x85).r();
    test_rm32_imm32: "test" "test" true [rm(L), imm(L, 4)] enc(L1, 0xf7).digit(0);
    test_rm64_r64: "test" "test" true [rm(Q), r(Q, R)] enc(L1, 0x85).w().r();
    test_rm64_imm32: "test" "test" true [rm(Q), imm(Q, 4)] enc(L1, 0xf7).w().digit(0);
    // Moves. Writing an 8- or 16-bit register keeps the rest of it, so those destinations are read too.
    mov_r8_rm8: "mov" "mov" true [r(B, RW), rm(B)] enc(L1, 0x8a).r();
    mov_m8_r8: "mov" "mov" true [m(B, WO), r(B, R)] enc(L1, 0x88).r();
    mov_m8_imm8: "mov" "mov" true [m(B, WO), imm(B, 1)] enc(L1, 0xc6).digit(0);
    mov_r8_imm8: "mov" "mov" true [or(B, RW), imm(B, 1)] enc(L1, 0xb0);
    mov_r16_rm16: "mov" "mov" true [r(W, RW), rm(W)] enc(L1, 0x8b).o16().r();
    mov_m16_r16: "mov" "mov" true [m(W, WO), r(W, R)] enc(L1, 0x89).o16().r();
    mov_m16_imm16: "mov" "mov" true [m(W, WO), imm(W, 2)] enc(L1, 0xc7).o16().digit(0);
    mov_r16_imm16: "mov" "mov" true [or(W, RW), imm(W, 2)] enc(L1, 0xb8).o16();
    mov_r32_rm32: "mov" "mov" true [r(L, WO), rm(L)] enc(L1, 0x8b).r();
    mov_m32_r32: "mov" "mov" true [m(L, WO), r(L, R)] enc(L1, 0x89).r();
    mov_m32_imm32: "mov" "mov" true [m(L, WO), imm(L, 4)] enc(L1, 0xc7).digit(0);
    mov_r32_imm32: "mov" "mov" true [or(L, WO), imm(L, 4)] enc(L1, 0xb8);
    mov_r64_rm64: "mov" "mov" true [r(Q, WO), rm(Q)] enc(L1, 0x8b).w().r();
    mov_m64_r64: "mov" "mov" true [m(Q, WO), r(Q, R)] enc(L1, 0x89).w().r();
    mov_m64_imm32: "mov" "mov" true [m(Q, WO), imm(Q, 4)] enc(L1, 0xc7).w().digit(0);
    mov_r64_imm32: "mov" "mov" true [rr(Q, WO), imm(Q, 4)] enc(L1, 0xc7).w().digit(0);
    movabs_r64_imm64: "mov" "movabs" true [or(Q, WO), imm(Q, 8)] enc(L1, 0xb8).w();
    movabs_r64_sym: "mov" "movabs" true [or(Q, WO), sym_abs()] enc(L1, 0xb8).w();
    movzx_r32_rm8: "movzx" "movzbl" false [r(L, WO), rm(B)] enc(M0F, 0xb6).r();
    movzx_r64_rm8: "movzx" "movzbq" false [r(Q, WO), rm(B)] enc(M0F, 0xb6).w().r();
    movzx_r32_rm16: "movzx" "movzwl" false [r(L, WO), rm(W)] enc(M0F, 0xb7).r();
    movzx_r64_rm16: "movzx" "movzwq" false [r(Q, WO), rm(W)] enc(M0F, 0xb7).w().r();
    movsx_r32_rm8: "movsx" "movsbl" false [r(L, WO), rm(B)] enc(M0F, 0xbe).r();
    movsx_r64_rm8: "movsx" "movsbq" false [r(Q, WO), rm(B)] enc(M0F, 0xbe).w().r();
    movsx_r32_rm16: "movsx" "movswl" false [r(L, WO), rm(W)] enc(M0F, 0xbf).r();
    movsx_r64_rm16: "movsx" "movswq" false [r(Q, WO), rm(W)] enc(M0F, 0xbf).w().r();
    movsxd_r64_rm32: "movsxd" "movslq" false [r(Q, WO), rm(L)] enc(L1, 0x63).w().r();
    lea_r32: "lea" "lea" false [r(L, WO), m(L, R)] enc(L1, 0x8d).r();
    lea_r64: "lea" "lea" false [r(Q, WO), m(Q, R)] enc(L1, 0x8d).w().r();
    // One-operand arithmetic: neg, not; multiply and divide on rdx:rax (ax for bytes: al·r/m8 → ax, ax ÷ r/m8 → al, remainder ah); sign extension within rax and into rdx.
    not_r8: "not" "not" true [rr(B, RW)] enc(L1, 0xf6).digit(2);
    not_m8: "not" "not" true [m(B, RW)] enc(L1, 0xf6).digit(2);
    not_r16: "not" "not" true [rr(W, RW)] enc(L1, 0xf7).o16().digit(2);
    not_m16: "not" "not" true [m(W, RW)] enc(L1, 0xf7).o16().digit(2);
    not_r32: "not" "not" true [rr(L, RW)] enc(L1, 0xf7).digit(2);
    not_m32: "not" "not" true [m(L, RW)] enc(L1, 0xf7).digit(2);
    not_r64: "not" "not" true [rr(Q, RW)] enc(L1, 0xf7).w().digit(2);
    not_m64: "not" "not" true [m(Q, RW)] enc(L1, 0xf7).w().digit(2);
    neg_r8: "neg" "neg" true [rr(B, RW)] enc(L1, 0xf6).digit(3);
    neg_m8: "neg" "neg" true [m(B, RW)] enc(L1, 0xf6).digit(3);
    neg_r16: "neg" "neg" true [rr(W, RW)] enc(L1, 0xf7).o16().digit(3);
    neg_m16: "neg" "neg" true [m(W, RW)] enc(L1, 0xf7).o16().digit(3);
    neg_r32: "neg" "neg" true [rr(L, RW)] enc(L1, 0xf7).digit(3);
    neg_m32: "neg" "neg" true [m(L, RW)] enc(L1, 0xf7).digit(3);
    neg_r64: "neg" "neg" true [rr(Q, RW)] enc(L1, 0xf7).w().digit(3);
    neg_m64: "neg" "neg" true [m(Q, RW)] enc(L1, 0xf7).w().digit(3);
    imul_r16_rm16: "imul" "imul" true [r(W, RW), rm(W)] enc(M0F, 0xaf).o16().r();
    imul_r16_rm16_imm16: "imul" "imul" true [r(W, WO), rm(W), imm(W, 2)] enc(L1, 0x69).o16().r().imm8(0x6b);
    imul_r32_rm32: "imul" "imul" true [r(L, RW), rm(L)] enc(M0F, 0xaf).r();
    imul_r32_rm32_imm32: "imul" "imul" true [r(L, WO), rm(L), imm(L, 4)] enc(L1, 0x69).r().imm8(0x6b);
    imul_r64_rm64: "imul" "imul" true [r(Q, RW), rm(Q)] enc(M0F, 0xaf).w().r();
    imul_r64_rm64_imm32: "imul" "imul" true [r(Q, WO), rm(Q), imm(Q, 4)] enc(L1, 0x69).w().r().imm8(0x6b);
    mul_rm16: "mul" "mul" true [rm(W), fixed(RAX, W, RW), fixed(RDX, W, WO)] enc(L1, 0xf7).o16().digit(4);
    mul_rm32: "mul" "mul" true [rm(L), fixed(RAX, L, RW), fixed(RDX, L, WO)] enc(L1, 0xf7).digit(4);
    mul_rm64: "mul" "mul" true [rm(Q), fixed(RAX, Q, RW), fixed(RDX, Q, WO)] enc(L1, 0xf7).w().digit(4);
    imul_rm16: "imul" "imul" true [rm(W), fixed(RAX, W, RW), fixed(RDX, W, WO)] enc(L1, 0xf7).o16().digit(5);
    imul_rm32: "imul" "imul" true [rm(L), fixed(RAX, L, RW), fixed(RDX, L, WO)] enc(L1, 0xf7).digit(5);
    imul_rm64: "imul" "imul" true [rm(Q), fixed(RAX, Q, RW), fixed(RDX, Q, WO)] enc(L1, 0xf7).w().digit(5);
    div_rm16: "div" "div" true [rm(W), fixed(RAX, W, RW), fixed(RDX, W, RW)] enc(L1, 0xf7).o16().digit(6);
    div_rm32: "div" "div" true [rm(L), fixed(RAX, L, RW), fixed(RDX, L, RW)] enc(L1, 0xf7).digit(6);
    div_rm64: "div" "div" true [rm(Q), fixed(RAX, Q, RW), fixed(RDX, Q, RW)] enc(L1, 0xf7).w().digit(6);
    idiv_rm16: "idiv" "idiv" true [rm(W), fixed(RAX, W, RW), fixed(RDX, W, RW)] enc(L1, 0xf7).o16().digit(7);
    idiv_rm32: "idiv" "idiv" true [rm(L), fixed(RAX, L, RW), fixed(RDX, L, RW)] enc(L1, 0xf7).digit(7);
    idiv_rm64: "idiv" "idiv" true [rm(Q), fixed(RAX, Q, RW), fixed(RDX, Q, RW)] enc(L1, 0xf7).w().digit(7);
    mul_rm8: "mul" "mul" true [rm(B), fixed(RAX, W, RW)] enc(L1, 0xf6).digit(4);
    imul_rm8: "imul" "imul" true [rm(B), fixed(RAX, W, RW)] enc(L1, 0xf6).digit(5);
    div_rm8: "div" "div" true [rm(B), fixed(RAX, W, RW)] enc(L1, 0xf6).digit(6);
    idiv_rm8: "idiv" "idiv" true [rm(B), fixed(RAX, W, RW)] enc(L1, 0xf6).digit(7);
    cbw: "cbw" "cbtw" false [fixed(RAX, W, RW)] enc(L1, 0x98).o16();
    cwde: "cwde" "cwtl" false [fixed(RAX, L, RW)] enc(L1, 0x98);
    cdqe: "cdqe" "cltq" false [fixed(RAX, Q, RW)] enc(L1, 0x98).w();
    cwd: "cwd" "cwtd" false [fixed(RAX, W, R), fixed(RDX, W, RW)] enc(L1, 0x99).o16();
    cdq: "cdq" "cltd" false [fixed(RAX, L, R), fixed(RDX, L, WO)] enc(L1, 0x99);
    cqo: "cqo" "cqto" false [fixed(RAX, Q, R), fixed(RDX, Q, WO)] enc(L1, 0x99).w();
    // Shifts and rotates, by an immediate or by %cl.
    rol_r8_imm8: "rol" "rol" true [rr(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(0);
    rol_m8_imm8: "rol" "rol" true [m(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(0);
    rol_r8_cl: "rol" "rol" true [rr(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(0);
    rol_m8_cl: "rol" "rol" true [m(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(0);
    rol_r16_imm8: "rol" "rol" true [rr(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(0);
    rol_m16_imm8: "rol" "rol" true [m(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(0);
    rol_r16_cl: "rol" "rol" true [rr(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(0);
    rol_m16_cl: "rol" "rol" true [m(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(0);
    rol_r32_imm8: "rol" "rol" true [rr(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(0);
    rol_m32_imm8: "rol" "rol" true [m(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(0);
    rol_r32_cl: "rol" "rol" true [rr(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(0);
    rol_m32_cl: "rol" "rol" true [m(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(0);
    rol_r64_imm8: "rol" "rol" true [rr(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(0);
    rol_m64_imm8: "rol" "rol" true [m(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(0);
    rol_r64_cl: "rol" "rol" true [rr(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(0);
    rol_m64_cl: "rol" "rol" true [m(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(0);
    ror_r8_imm8: "ror" "ror" true [rr(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(1);
    ror_m8_imm8: "ror" "ror" true [m(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(1);
    ror_r8_cl: "ror" "ror" true [rr(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(1);
    ror_m8_cl: "ror" "ror" true [m(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(1);
    ror_r16_imm8: "ror" "ror" true [rr(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(1);
    ror_m16_imm8: "ror" "ror" true [m(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(1);
    ror_r16_cl: "ror" "ror" true [rr(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(1);
    ror_m16_cl: "ror" "ror" true [m(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(1);
    ror_r32_imm8: "ror" "ror" true [rr(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(1);
    ror_m32_imm8: "ror" "ror" true [m(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(1);
    ror_r32_cl: "ror" "ror" true [rr(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(1);
    ror_m32_cl: "ror" "ror" true [m(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(1);
    ror_r64_imm8: "ror" "ror" true [rr(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(1);
    ror_m64_imm8: "ror" "ror" true [m(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(1);
    ror_r64_cl: "ror" "ror" true [rr(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(1);
    ror_m64_cl: "ror" "ror" true [m(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(1);
    shl_r8_imm8: "shl" "shl" true [rr(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(4);
    shl_m8_imm8: "shl" "shl" true [m(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(4);
    shl_r8_cl: "shl" "shl" true [rr(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(4);
    shl_m8_cl: "shl" "shl" true [m(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(4);
    shl_r16_imm8: "shl" "shl" true [rr(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(4);
    shl_m16_imm8: "shl" "shl" true [m(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(4);
    shl_r16_cl: "shl" "shl" true [rr(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(4);
    shl_m16_cl: "shl" "shl" true [m(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(4);
    shl_r32_imm8: "shl" "shl" true [rr(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(4);
    shl_m32_imm8: "shl" "shl" true [m(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(4);
    shl_r32_cl: "shl" "shl" true [rr(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(4);
    shl_m32_cl: "shl" "shl" true [m(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(4);
    shl_r64_imm8: "shl" "shl" true [rr(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(4);
    shl_m64_imm8: "shl" "shl" true [m(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(4);
    shl_r64_cl: "shl" "shl" true [rr(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(4);
    shl_m64_cl: "shl" "shl" true [m(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(4);
    shr_r8_imm8: "shr" "shr" true [rr(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(5);
    shr_m8_imm8: "shr" "shr" true [m(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(5);
    shr_r8_cl: "shr" "shr" true [rr(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(5);
    shr_m8_cl: "shr" "shr" true [m(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(5);
    shr_r16_imm8: "shr" "shr" true [rr(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(5);
    shr_m16_imm8: "shr" "shr" true [m(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(5);
    shr_r16_cl: "shr" "shr" true [rr(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(5);
    shr_m16_cl: "shr" "shr" true [m(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(5);
    shr_r32_imm8: "shr" "shr" true [rr(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(5);
    shr_m32_imm8: "shr" "shr" true [m(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(5);
    shr_r32_cl: "shr" "shr" true [rr(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(5);
    shr_m32_cl: "shr" "shr" true [m(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(5);
    shr_r64_imm8: "shr" "shr" true [rr(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(5);
    shr_m64_imm8: "shr" "shr" true [m(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(5);
    shr_r64_cl: "shr" "shr" true [rr(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(5);
    shr_m64_cl: "shr" "shr" true [m(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(5);
    sar_r8_imm8: "sar" "sar" true [rr(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(7);
    sar_m8_imm8: "sar" "sar" true [m(B, RW), imm(B, 1)] enc(L1, 0xc0).digit(7);
    sar_r8_cl: "sar" "sar" true [rr(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(7);
    sar_m8_cl: "sar" "sar" true [m(B, RW), shown(RCX, B, R)] enc(L1, 0xd2).digit(7);
    sar_r16_imm8: "sar" "sar" true [rr(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(7);
    sar_m16_imm8: "sar" "sar" true [m(W, RW), imm(B, 1)] enc(L1, 0xc1).o16().digit(7);
    sar_r16_cl: "sar" "sar" true [rr(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(7);
    sar_m16_cl: "sar" "sar" true [m(W, RW), shown(RCX, B, R)] enc(L1, 0xd3).o16().digit(7);
    sar_r32_imm8: "sar" "sar" true [rr(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(7);
    sar_m32_imm8: "sar" "sar" true [m(L, RW), imm(B, 1)] enc(L1, 0xc1).digit(7);
    sar_r32_cl: "sar" "sar" true [rr(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(7);
    sar_m32_cl: "sar" "sar" true [m(L, RW), shown(RCX, B, R)] enc(L1, 0xd3).digit(7);
    sar_r64_imm8: "sar" "sar" true [rr(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(7);
    sar_m64_imm8: "sar" "sar" true [m(Q, RW), imm(B, 1)] enc(L1, 0xc1).w().digit(7);
    sar_r64_cl: "sar" "sar" true [rr(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(7);
    sar_m64_cl: "sar" "sar" true [m(Q, RW), shown(RCX, B, R)] enc(L1, 0xd3).w().digit(7);
    // Bit scans and counts, byte swap, bit test.
    bsf_r16_rm16: "bsf" "bsf" true [r(W, WO), rm(W)] enc(M0F, 0xbc).o16().r();
    bsf_r32_rm32: "bsf" "bsf" true [r(L, WO), rm(L)] enc(M0F, 0xbc).r();
    bsf_r64_rm64: "bsf" "bsf" true [r(Q, WO), rm(Q)] enc(M0F, 0xbc).w().r();
    bsr_r16_rm16: "bsr" "bsr" true [r(W, WO), rm(W)] enc(M0F, 0xbd).o16().r();
    bsr_r32_rm32: "bsr" "bsr" true [r(L, WO), rm(L)] enc(M0F, 0xbd).r();
    bsr_r64_rm64: "bsr" "bsr" true [r(Q, WO), rm(Q)] enc(M0F, 0xbd).w().r();
    tzcnt_r16_rm16: "tzcnt" "tzcnt" true [r(W, WO), rm(W)] enc(M0F, 0xbc).p(PF3).o16().r().needs(Bmi1);
    tzcnt_r32_rm32: "tzcnt" "tzcnt" true [r(L, WO), rm(L)] enc(M0F, 0xbc).p(PF3).r().needs(Bmi1);
    tzcnt_r64_rm64: "tzcnt" "tzcnt" true [r(Q, WO), rm(Q)] enc(M0F, 0xbc).p(PF3).w().r().needs(Bmi1);
    lzcnt_r16_rm16: "lzcnt" "lzcnt" true [r(W, WO), rm(W)] enc(M0F, 0xbd).p(PF3).o16().r().needs(Lzcnt);
    lzcnt_r32_rm32: "lzcnt" "lzcnt" true [r(L, WO), rm(L)] enc(M0F, 0xbd).p(PF3).r().needs(Lzcnt);
    lzcnt_r64_rm64: "lzcnt" "lzcnt" true [r(Q, WO), rm(Q)] enc(M0F, 0xbd).p(PF3).w().r().needs(Lzcnt);
    popcnt_r16_rm16: "popcnt" "popcnt" true [r(W, WO), rm(W)] enc(M0F, 0xb8).p(PF3).o16().r().needs(Popcnt);
    popcnt_r32_rm32: "popcnt" "popcnt" true [r(L, WO), rm(L)] enc(M0F, 0xb8).p(PF3).r().needs(Popcnt);
    popcnt_r64_rm64: "popcnt" "popcnt" true [r(Q, WO), rm(Q)] enc(M0F, 0xb8).p(PF3).w().r().needs(Popcnt);
    bswap_r32: "bswap" "bswap" false [or(L, RW)] enc(M0F, 0xc8);
    bswap_r64: "bswap" "bswap" false [or(Q, RW)] enc(M0F, 0xc8).w();
    bt_rm16_r16: "bt" "bt" true [rm(W), r(W, R)] enc(M0F, 0xa3).o16().r();
    bt_rm16_imm8: "bt" "bt" true [rm(W), imm(B, 1)] enc(M0F, 0xba).o16().digit(4);
    bt_rm32_r32: "bt" "bt" true [rm(L), r(L, R)] enc(M0F, 0xa3).r();
    bt_rm32_imm8: "bt" "bt" true [rm(L), imm(B, 1)] enc(M0F, 0xba).digit(4);
    bt_rm64_r64: "bt" "bt" true [rm(Q), r(Q, R)] enc(M0F, 0xa3).w().r();
    bt_rm64_imm8: "bt" "bt" true [rm(Q), imm(B, 1)] enc(M0F, 0xba).w().digit(4);
    // Conditions: the condition code is added to the opcode.
    setcc_r8: "setcc" "set" false [cc(), rr(B, RW)] enc(M0F, 0x90).digit(0);
    setcc_m8: "setcc" "set" false [cc(), m(B, WO)] enc(M0F, 0x90).digit(0);
    cmovcc_r16_rm16: "cmovcc" "cmov" false [cc(), r(W, RW), rm(W)] enc(M0F, 0x40).o16().r();
    cmovcc_r32_rm32: "cmovcc" "cmov" false [cc(), r(L, RW), rm(L)] enc(M0F, 0x40).r();
    cmovcc_r64_rm64: "cmovcc" "cmov" false [cc(), r(Q, RW), rm(Q)] enc(M0F, 0x40).w().r();
    // Control flow. Branches to labels are sized by the MachBuffer (rel8 or rel32).
    jmp: "jmp" "jmp" false [label()] enc(L1, 0xe9).branch(0xeb);
    jcc: "jcc" "j" false [cc(), label()] enc(M0F, 0x80).branch(0x70);
    jmp_rm64: "jmp" "jmp" false [rm(Q)] enc(L1, 0xff).digit(4);
    call_label: "call" "call" false [label()] enc(L1, 0xe8);
    call_sym: "call" "call" false [sym()] enc(L1, 0xe8);
    call_rm64: "call" "call" false [rm(Q)] enc(L1, 0xff).digit(2);
    ret: "ret" "ret" false [] enc(L1, 0xc3);
    ret_imm16: "ret" "ret" false [imm(W, 2)] enc(L1, 0xc2);
    push_r64: "push" "push" false [or(Q, R)] enc(L1, 0x50);
    push_m64: "push" "push" false [m(Q, R)] enc(L1, 0xff).digit(6);
    push_imm32: "push" "push" false [imm(Q, 4)] enc(L1, 0x68).imm8(0x6a);
    pop_r64: "pop" "pop" false [or(Q, WO)] enc(L1, 0x58);
    pop_m64: "pop" "pop" false [m(Q, WO)] enc(L1, 0x8f).digit(0);
    // Exchange and atomics.
    xchg_r8_r8: "xchg" "xchg" true [rr(B, RW), r(B, RW)] enc(L1, 0x86).r();
    xchg_m8_r8: "xchg" "xchg" true [m(B, RW), r(B, RW)] enc(L1, 0x86).r();
    lock_xadd_m8_r8: "xadd" "xadd" true [m(B, RW), r(B, RW)] enc(M0F, 0xc0).lock().r();
    lock_cmpxchg_m8_r8: "cmpxchg" "cmpxchg" true [m(B, RW), r(B, R), fixed(RAX, B, RW)] enc(M0F, 0xb0).lock().r();
    xchg_r16_r16: "xchg" "xchg" true [rr(W, RW), r(W, RW)] enc(L1, 0x87).o16().r();
    xchg_m16_r16: "xchg" "xchg" true [m(W, RW), r(W, RW)] enc(L1, 0x87).o16().r();
    lock_xadd_m16_r16: "xadd" "xadd" true [m(W, RW), r(W, RW)] enc(M0F, 0xc1).o16().lock().r();
    lock_cmpxchg_m16_r16: "cmpxchg" "cmpxchg" true [m(W, RW), r(W, R), fixed(RAX, W, RW)] enc(M0F, 0xb1).o16().lock().r();
    xchg_r32_r32: "xchg" "xchg" true [rr(L, RW), r(L, RW)] enc(L1, 0x87).r();
    xchg_m32_r32: "xchg" "xchg" true [m(L, RW), r(L, RW)] enc(L1, 0x87).r();
    lock_xadd_m32_r32: "xadd" "xadd" true [m(L, RW), r(L, RW)] enc(M0F, 0xc1).lock().r();
    lock_cmpxchg_m32_r32: "cmpxchg" "cmpxchg" true [m(L, RW), r(L, R), fixed(RAX, L, RW)] enc(M0F, 0xb1).lock().r();
    xchg_r64_r64: "xchg" "xchg" true [rr(Q, RW), r(Q, RW)] enc(L1, 0x87).w().r();
    xchg_m64_r64: "xchg" "xchg" true [m(Q, RW), r(Q, RW)] enc(L1, 0x87).w().r();
    lock_xadd_m64_r64: "xadd" "xadd" true [m(Q, RW), r(Q, RW)] enc(M0F, 0xc1).w().lock().r();
    lock_cmpxchg_m64_r64: "cmpxchg" "cmpxchg" true [m(Q, RW), r(Q, R), fixed(RAX, Q, RW)] enc(M0F, 0xb1).w().lock().r();
    lock_cmpxchg16b_m128: "cmpxchg16b" "cmpxchg16b" false [m(X, RW), fixed(RDX, Q, RW), fixed(RAX, Q, RW), fixed(RCX, Q, R), fixed(RBX, Q, R)] enc(M0F, 0xc7).w().lock().digit(1).needs(Cmpxchg16b);
    mfence: "mfence" "mfence" false [] enc(M0F, 0xae).modrm_byte(0xf0);
    ud2: "ud2" "ud2" false [] enc(M0F, 0x0b);
    int3: "int3" "int3" false [] enc(L1, 0xcc);
    nop_n: "nop" "nop" false [imm(B, 0)] enc(M0F, 0x1f).nop();
    // Zeroing idioms: the register is written, never read (no false dependency).
    xor_r32_zero: "xor" "xor" false [same(L)] enc(L1, 0x33).r();
    xorps_x_zero: "xorps" "xorps" false [xsame()] enc(M0F, 0x57).r();
    pxor_x_zero: "pxor" "pxor" false [xsame()] enc(M0F, 0xef).p(P66).r();
    // SSE moves. Register-to-register movss/movsd keep the destination's upper lanes.
    movss_x_m32: "movss" "movss" false [x(WO), m(L, R)] enc(M0F, 0x10).p(PF3).r();
    movss_m32_x: "movss" "movss" false [m(L, WO), x(R)] enc(M0F, 0x11).p(PF3).r();
    movss_x_x: "movss" "movss" false [x(RW), xr(R)] enc(M0F, 0x10).p(PF3).r();
    movsd_x_m64: "movsd" "movsd" false [x(WO), m(Q, R)] enc(M0F, 0x10).p(PF2).r();
    movsd_m64_x: "movsd" "movsd" false [m(Q, WO), x(R)] enc(M0F, 0x11).p(PF2).r();
    movsd_x_x: "movsd" "movsd" false [x(RW), xr(R)] enc(M0F, 0x10).p(PF2).r();
    movd_x_rm32: "movd" "movd" false [x(WO), rm(L)] enc(M0F, 0x6e).p(P66).r();
    movd_r32_x: "movd" "movd" false [rr(L, WO), x(R)] enc(M0F, 0x7e).p(P66).r();
    movd_m32_x: "movd" "movd" false [m(L, WO), x(R)] enc(M0F, 0x7e).p(P66).r();
    movq_x_rm64: "movq" "movq" false [x(WO), rm(Q)] enc(M0F, 0x6e).p(P66).w().r();
    movq_r64_x: "movq" "movq" false [rr(Q, WO), x(R)] enc(M0F, 0x7e).p(P66).w().r();
    movq_x_xm64: "movq" "movq" false [x(WO), xm(Q)] enc(M0F, 0x7e).p(PF3).r();
    movq_m64_x: "movq" "movq" false [m(Q, WO), x(R)] enc(M0F, 0xd6).p(P66).r();
    movaps_x_xm128: "movaps" "movaps" false [x(WO), xm(X)] enc(M0F, 0x28).r();
    movaps_m128_x: "movaps" "movaps" false [m(X, WO), x(R)] enc(M0F, 0x29).r();
    movups_x_xm128: "movups" "movups" false [x(WO), xm(X)] enc(M0F, 0x10).r();
    movups_m128_x: "movups" "movups" false [m(X, WO), x(R)] enc(M0F, 0x11).r();
    movapd_x_xm128: "movapd" "movapd" false [x(WO), xm(X)] enc(M0F, 0x28).p(P66).r();
    movapd_m128_x: "movapd" "movapd" false [m(X, WO), x(R)] enc(M0F, 0x29).p(P66).r();
    movupd_x_xm128: "movupd" "movupd" false [x(WO), xm(X)] enc(M0F, 0x10).p(P66).r();
    movupd_m128_x: "movupd" "movupd" false [m(X, WO), x(R)] enc(M0F, 0x11).p(P66).r();
    movdqa_x_xm128: "movdqa" "movdqa" false [x(WO), xm(X)] enc(M0F, 0x6f).p(P66).r();
    movdqa_m128_x: "movdqa" "movdqa" false [m(X, WO), x(R)] enc(M0F, 0x7f).p(P66).r();
    movdqu_x_xm128: "movdqu" "movdqu" false [x(WO), xm(X)] enc(M0F, 0x6f).p(PF3).r();
    movdqu_m128_x: "movdqu" "movdqu" false [m(X, WO), x(R)] enc(M0F, 0x7f).p(PF3).r();
    // SSE scalar arithmetic (two-address: the destination is also the first source).
    addss_x_xm32: "addss" "addss" false [x(RW), xm(L)] enc(M0F, 0x58).p(PF3).r();
    addsd_x_xm64: "addsd" "addsd" false [x(RW), xm(Q)] enc(M0F, 0x58).p(PF2).r();
    mulss_x_xm32: "mulss" "mulss" false [x(RW), xm(L)] enc(M0F, 0x59).p(PF3).r();
    mulsd_x_xm64: "mulsd" "mulsd" false [x(RW), xm(Q)] enc(M0F, 0x59).p(PF2).r();
    subss_x_xm32: "subss" "subss" false [x(RW), xm(L)] enc(M0F, 0x5c).p(PF3).r();
    subsd_x_xm64: "subsd" "subsd" false [x(RW), xm(Q)] enc(M0F, 0x5c).p(PF2).r();
    minss_x_xm32: "minss" "minss" false [x(RW), xm(L)] enc(M0F, 0x5d).p(PF3).r();
    minsd_x_xm64: "minsd" "minsd" false [x(RW), xm(Q)] enc(M0F, 0x5d).p(PF2).r();
    divss_x_xm32: "divss" "divss" false [x(RW), xm(L)] enc(M0F, 0x5e).p(PF3).r();
    divsd_x_xm64: "divsd" "divsd" false [x(RW), xm(Q)] enc(M0F, 0x5e).p(PF2).r();
    maxss_x_xm32: "maxss" "maxss" false [x(RW), xm(L)] enc(M0F, 0x5f).p(PF3).r();
    maxsd_x_xm64: "maxsd" "maxsd" false [x(RW), xm(Q)] enc(M0F, 0x5f).p(PF2).r();
    sqrtss_x_xm32: "sqrtss" "sqrtss" false [x(RW), xm(L)] enc(M0F, 0x51).p(PF3).r();
    sqrtsd_x_xm64: "sqrtsd" "sqrtsd" false [x(RW), xm(Q)] enc(M0F, 0x51).p(PF2).r();
    ucomiss_x_xm32: "ucomiss" "ucomiss" false [x(R), xm(L)] enc(M0F, 0x2e).r();
    ucomisd_x_xm64: "ucomisd" "ucomisd" false [x(R), xm(Q)] enc(M0F, 0x2e).p(P66).r();
    // Conversions. cvtsi2s* and cvts*2s* write only the low lane, so they read the destination.
    cvtsi2ss_x_rm32: "cvtsi2ss" "cvtsi2ss" true [x(RW), rm(L)] enc(M0F, 0x2a).p(PF3).r();
    cvtsi2ss_x_rm64: "cvtsi2ss" "cvtsi2ss" true [x(RW), rm(Q)] enc(M0F, 0x2a).p(PF3).w().r();
    cvtsi2sd_x_rm32: "cvtsi2sd" "cvtsi2sd" true [x(RW), rm(L)] enc(M0F, 0x2a).p(PF2).r();
    cvtsi2sd_x_rm64: "cvtsi2sd" "cvtsi2sd" true [x(RW), rm(Q)] enc(M0F, 0x2a).p(PF2).w().r();
    cvttss2si_r32_xm32: "cvttss2si" "cvttss2si" false [r(L, WO), xm(L)] enc(M0F, 0x2c).p(PF3).r();
    cvttss2si_r64_xm32: "cvttss2si" "cvttss2si" false [r(Q, WO), xm(L)] enc(M0F, 0x2c).p(PF3).w().r();
    cvttsd2si_r32_xm64: "cvttsd2si" "cvttsd2si" false [r(L, WO), xm(Q)] enc(M0F, 0x2c).p(PF2).r();
    cvttsd2si_r64_xm64: "cvttsd2si" "cvttsd2si" false [r(Q, WO), xm(Q)] enc(M0F, 0x2c).p(PF2).w().r();
    cvtss2sd_x_xm32: "cvtss2sd" "cvtss2sd" false [x(RW), xm(L)] enc(M0F, 0x5a).p(PF3).r();
    cvtsd2ss_x_xm64: "cvtsd2ss" "cvtsd2ss" false [x(RW), xm(Q)] enc(M0F, 0x5a).p(PF2).r();
    // Packed logic and shifts (sign-bit masks for fabs/fneg/fcopysign without a constant: all ones, then shift), sign-bit extraction.
    andps_x_xm128: "andps" "andps" false [x(RW), xm(X)] enc(M0F, 0x54).r();
    andpd_x_xm128: "andpd" "andpd" false [x(RW), xm(X)] enc(M0F, 0x54).p(P66).r();
    andnps_x_xm128: "andnps" "andnps" false [x(RW), xm(X)] enc(M0F, 0x55).r();
    andnpd_x_xm128: "andnpd" "andnpd" false [x(RW), xm(X)] enc(M0F, 0x55).p(P66).r();
    orps_x_xm128: "orps" "orps" false [x(RW), xm(X)] enc(M0F, 0x56).r();
    orpd_x_xm128: "orpd" "orpd" false [x(RW), xm(X)] enc(M0F, 0x56).p(P66).r();
    xorps_x_xm128: "xorps" "xorps" false [x(RW), xm(X)] enc(M0F, 0x57).r();
    xorpd_x_xm128: "xorpd" "xorpd" false [x(RW), xm(X)] enc(M0F, 0x57).p(P66).r();
    pand_x_xm128: "pand" "pand" false [x(RW), xm(X)] enc(M0F, 0xdb).p(P66).r();
    pandn_x_xm128: "pandn" "pandn" false [x(RW), xm(X)] enc(M0F, 0xdf).p(P66).r();
    por_x_xm128: "por" "por" false [x(RW), xm(X)] enc(M0F, 0xeb).p(P66).r();
    pxor_x_xm128: "pxor" "pxor" false [x(RW), xm(X)] enc(M0F, 0xef).p(P66).r();
    pcmpeqd_x_ones: "pcmpeqd" "pcmpeqd" false [xsame()] enc(M0F, 0x76).p(P66).r();
    psrlq_x_imm8: "psrlq" "psrlq" false [xr(RW), imm(B, 1)] enc(M0F, 0x73).p(P66).digit(2);
    psllq_x_imm8: "psllq" "psllq" false [xr(RW), imm(B, 1)] enc(M0F, 0x73).p(P66).digit(6);
    psrld_x_imm8: "psrld" "psrld" false [xr(RW), imm(B, 1)] enc(M0F, 0x72).p(P66).digit(2);
    pslld_x_imm8: "pslld" "pslld" false [xr(RW), imm(B, 1)] enc(M0F, 0x72).p(P66).digit(6);
    movmskps_r32_x: "movmskps" "movmskps" false [r(L, WO), xr(R)] enc(M0F, 0x50).r();
    movmskpd_r32_x: "movmskpd" "movmskpd" false [r(L, WO), xr(R)] enc(M0F, 0x50).p(P66).r();
    roundss_x_xm32_imm8: "roundss" "roundss" false [x(RW), xm(L), imm(B, 1)] enc(M0F3A, 0x0a).p(P66).r().needs(Sse41);
    roundsd_x_xm64_imm8: "roundsd" "roundsd" false [x(RW), xm(Q), imm(B, 1)] enc(M0F3A, 0x0b).p(P66).r().needs(Sse41);
    // Packed integer moves between halves and lanes (SSE2 unless marked).
    punpcklqdq_x_xm128: "punpcklqdq" "punpcklqdq" false [x(RW), xm(X)] enc(M0F, 0x6c).p(P66).r();
    pshufd_x_xm128_imm8: "pshufd" "pshufd" false [x(WO), xm(X), imm(B, 1)] enc(M0F, 0x70).p(P66).r();
    pextrq_r64_x_imm8: "pextrq" "pextrq" false [rr(Q, WO), x(R), imm(B, 1)] enc(M0F3A, 0x16).p(P66).w().r().needs(Sse41);
    // Packed binary operations, two-address SSE (SSE2 unless marked): reg ← reg op xmm/m128.
    paddb_x_xm128: "paddb" "paddb" false [x(RW), xm(X)] enc(M0F, 0xfc).p(P66).r();
    paddw_x_xm128: "paddw" "paddw" false [x(RW), xm(X)] enc(M0F, 0xfd).p(P66).r();
    paddd_x_xm128: "paddd" "paddd" false [x(RW), xm(X)] enc(M0F, 0xfe).p(P66).r();
    paddq_x_xm128: "paddq" "paddq" false [x(RW), xm(X)] enc(M0F, 0xd4).p(P66).r();
    psubb_x_xm128: "psubb" "psubb" false [x(RW), xm(X)] enc(M0F, 0xf8).p(P66).r();
    psubw_x_xm128: "psubw" "psubw" false [x(RW), xm(X)] enc(M0F, 0xf9).p(P66).r();
    psubd_x_xm128: "psubd" "psubd" false [x(RW), xm(X)] enc(M0F, 0xfa).p(P66).r();
    psubq_x_xm128: "psubq" "psubq" false [x(RW), xm(X)] enc(M0F, 0xfb).p(P66).r();
    paddsb_x_xm128: "paddsb" "paddsb" false [x(RW), xm(X)] enc(M0F, 0xec).p(P66).r();
    paddsw_x_xm128: "paddsw" "paddsw" false [x(RW), xm(X)] enc(M0F, 0xed).p(P66).r();
    paddusb_x_xm128: "paddusb" "paddusb" false [x(RW), xm(X)] enc(M0F, 0xdc).p(P66).r();
    paddusw_x_xm128: "paddusw" "paddusw" false [x(RW), xm(X)] enc(M0F, 0xdd).p(P66).r();
    psubsb_x_xm128: "psubsb" "psubsb" false [x(RW), xm(X)] enc(M0F, 0xe8).p(P66).r();
    psubsw_x_xm128: "psubsw" "psubsw" false [x(RW), xm(X)] enc(M0F, 0xe9).p(P66).r();
    psubusb_x_xm128: "psubusb" "psubusb" false [x(RW), xm(X)] enc(M0F, 0xd8).p(P66).r();
    psubusw_x_xm128: "psubusw" "psubusw" false [x(RW), xm(X)] enc(M0F, 0xd9).p(P66).r();
    pavgb_x_xm128: "pavgb" "pavgb" false [x(RW), xm(X)] enc(M0F, 0xe0).p(P66).r();
    pavgw_x_xm128: "pavgw" "pavgw" false [x(RW), xm(X)] enc(M0F, 0xe3).p(P66).r();
    pmullw_x_xm128: "pmullw" "pmullw" false [x(RW), xm(X)] enc(M0F, 0xd5).p(P66).r();
    pmulhw_x_xm128: "pmulhw" "pmulhw" false [x(RW), xm(X)] enc(M0F, 0xe5).p(P66).r();
    pmuludq_x_xm128: "pmuludq" "pmuludq" false [x(RW), xm(X)] enc(M0F, 0xf4).p(P66).r();
    pmaddwd_x_xm128: "pmaddwd" "pmaddwd" false [x(RW), xm(X)] enc(M0F, 0xf5).p(P66).r();
    pminsw_x_xm128: "pminsw" "pminsw" false [x(RW), xm(X)] enc(M0F, 0xea).p(P66).r();
    pmaxsw_x_xm128: "pmaxsw" "pmaxsw" false [x(RW), xm(X)] enc(M0F, 0xee).p(P66).r();
    pminub_x_xm128: "pminub" "pminub" false [x(RW), xm(X)] enc(M0F, 0xda).p(P66).r();
    pmaxub_x_xm128: "pmaxub" "pmaxub" false [x(RW), xm(X)] enc(M0F, 0xde).p(P66).r();
    pcmpeqb_x_xm128: "pcmpeqb" "pcmpeqb" false [x(RW), xm(X)] enc(M0F, 0x74).p(P66).r();
    pcmpeqw_x_xm128: "pcmpeqw" "pcmpeqw" false [x(RW), xm(X)] enc(M0F, 0x75).p(P66).r();
    pcmpeqd_x_xm128: "pcmpeqd" "pcmpeqd" false [x(RW), xm(X)] enc(M0F, 0x76).p(P66).r();
    pcmpgtb_x_xm128: "pcmpgtb" "pcmpgtb" false [x(RW), xm(X)] enc(M0F, 0x64).p(P66).r();
    pcmpgtw_x_xm128: "pcmpgtw" "pcmpgtw" false [x(RW), xm(X)] enc(M0F, 0x65).p(P66).r();
    pcmpgtd_x_xm128: "pcmpgtd" "pcmpgtd" false [x(RW), xm(X)] enc(M0F, 0x66).p(P66).r();
    packsswb_x_xm128: "packsswb" "packsswb" false [x(RW), xm(X)] enc(M0F, 0x63).p(P66).r();
    packssdw_x_xm128: "packssdw" "packssdw" false [x(RW), xm(X)] enc(M0F, 0x6b).p(P66).r();
    packuswb_x_xm128: "packuswb" "packuswb" false [x(RW), xm(X)] enc(M0F, 0x67).p(P66).r();
    punpcklbw_x_xm128: "punpcklbw" "punpcklbw" false [x(RW), xm(X)] enc(M0F, 0x60).p(P66).r();
    punpcklwd_x_xm128: "punpcklwd" "punpcklwd" false [x(RW), xm(X)] enc(M0F, 0x61).p(P66).r();
    punpckldq_x_xm128: "punpckldq" "punpckldq" false [x(RW), xm(X)] enc(M0F, 0x62).p(P66).r();
    punpckhbw_x_xm128: "punpckhbw" "punpckhbw" false [x(RW), xm(X)] enc(M0F, 0x68).p(P66).r();
    punpckhwd_x_xm128: "punpckhwd" "punpckhwd" false [x(RW), xm(X)] enc(M0F, 0x69).p(P66).r();
    punpckhdq_x_xm128: "punpckhdq" "punpckhdq" false [x(RW), xm(X)] enc(M0F, 0x6a).p(P66).r();
    punpckhqdq_x_xm128: "punpckhqdq" "punpckhqdq" false [x(RW), xm(X)] enc(M0F, 0x6d).p(P66).r();
    psllw_x_xm128: "psllw" "psllw" false [x(RW), xm(X)] enc(M0F, 0xf1).p(P66).r();
    pslld_x_xm128: "pslld" "pslld" false [x(RW), xm(X)] enc(M0F, 0xf2).p(P66).r();
    psllq_x_xm128: "psllq" "psllq" false [x(RW), xm(X)] enc(M0F, 0xf3).p(P66).r();
    psrlw_x_xm128: "psrlw" "psrlw" false [x(RW), xm(X)] enc(M0F, 0xd1).p(P66).r();
    psrld_x_xm128: "psrld" "psrld" false [x(RW), xm(X)] enc(M0F, 0xd2).p(P66).r();
    psrlq_x_xm128: "psrlq" "psrlq" false [x(RW), xm(X)] enc(M0F, 0xd3).p(P66).r();
    psraw_x_xm128: "psraw" "psraw" false [x(RW), xm(X)] enc(M0F, 0xe1).p(P66).r();
    psrad_x_xm128: "psrad" "psrad" false [x(RW), xm(X)] enc(M0F, 0xe2).p(P66).r();
    addps_x_xm128: "addps" "addps" false [x(RW), xm(X)] enc(M0F, 0x58).r();
    addpd_x_xm128: "addpd" "addpd" false [x(RW), xm(X)] enc(M0F, 0x58).p(P66).r();
    subps_x_xm128: "subps" "subps" false [x(RW), xm(X)] enc(M0F, 0x5c).r();
    subpd_x_xm128: "subpd" "subpd" false [x(RW), xm(X)] enc(M0F, 0x5c).p(P66).r();
    mulps_x_xm128: "mulps" "mulps" false [x(RW), xm(X)] enc(M0F, 0x59).r();
    mulpd_x_xm128: "mulpd" "mulpd" false [x(RW), xm(X)] enc(M0F, 0x59).p(P66).r();
    divps_x_xm128: "divps" "divps" false [x(RW), xm(X)] enc(M0F, 0x5e).r();
    divpd_x_xm128: "divpd" "divpd" false [x(RW), xm(X)] enc(M0F, 0x5e).p(P66).r();
    minps_x_xm128: "minps" "minps" false [x(RW), xm(X)] enc(M0F, 0x5d).r();
    minpd_x_xm128: "minpd" "minpd" false [x(RW), xm(X)] enc(M0F, 0x5d).p(P66).r();
    maxps_x_xm128: "maxps" "maxps" false [x(RW), xm(X)] enc(M0F, 0x5f).r();
    maxpd_x_xm128: "maxpd" "maxpd" false [x(RW), xm(X)] enc(M0F, 0x5f).p(P66).r();
    unpcklps_x_xm128: "unpcklps" "unpcklps" false [x(RW), xm(X)] enc(M0F, 0x14).r();
    unpcklpd_x_xm128: "unpcklpd" "unpcklpd" false [x(RW), xm(X)] enc(M0F, 0x14).p(P66).r();
    pshufb_x_xm128: "pshufb" "pshufb" false [x(RW), xm(X)] enc(M0F38, 0x00).p(P66).r().needs(Ssse3);
    phaddw_x_xm128: "phaddw" "phaddw" false [x(RW), xm(X)] enc(M0F38, 0x01).p(P66).r().needs(Ssse3);
    phaddd_x_xm128: "phaddd" "phaddd" false [x(RW), xm(X)] enc(M0F38, 0x02).p(P66).r().needs(Ssse3);
    pmaddubsw_x_xm128: "pmaddubsw" "pmaddubsw" false [x(RW), xm(X)] enc(M0F38, 0x04).p(P66).r().needs(Ssse3);
    pmulhrsw_x_xm128: "pmulhrsw" "pmulhrsw" false [x(RW), xm(X)] enc(M0F38, 0x0b).p(P66).r().needs(Ssse3);
    pmulld_x_xm128: "pmulld" "pmulld" false [x(RW), xm(X)] enc(M0F38, 0x40).p(P66).r().needs(Sse41);
    pminsb_x_xm128: "pminsb" "pminsb" false [x(RW), xm(X)] enc(M0F38, 0x38).p(P66).r().needs(Sse41);
    pminsd_x_xm128: "pminsd" "pminsd" false [x(RW), xm(X)] enc(M0F38, 0x39).p(P66).r().needs(Sse41);
    pminuw_x_xm128: "pminuw" "pminuw" false [x(RW), xm(X)] enc(M0F38, 0x3a).p(P66).r().needs(Sse41);
    pminud_x_xm128: "pminud" "pminud" false [x(RW), xm(X)] enc(M0F38, 0x3b).p(P66).r().needs(Sse41);
    pmaxsb_x_xm128: "pmaxsb" "pmaxsb" false [x(RW), xm(X)] enc(M0F38, 0x3c).p(P66).r().needs(Sse41);
    pmaxsd_x_xm128: "pmaxsd" "pmaxsd" false [x(RW), xm(X)] enc(M0F38, 0x3d).p(P66).r().needs(Sse41);
    pmaxuw_x_xm128: "pmaxuw" "pmaxuw" false [x(RW), xm(X)] enc(M0F38, 0x3e).p(P66).r().needs(Sse41);
    pmaxud_x_xm128: "pmaxud" "pmaxud" false [x(RW), xm(X)] enc(M0F38, 0x3f).p(P66).r().needs(Sse41);
    pcmpeqq_x_xm128: "pcmpeqq" "pcmpeqq" false [x(RW), xm(X)] enc(M0F38, 0x29).p(P66).r().needs(Sse41);
    packusdw_x_xm128: "packusdw" "packusdw" false [x(RW), xm(X)] enc(M0F38, 0x2b).p(P66).r().needs(Sse41);
    pcmpgtq_x_xm128: "pcmpgtq" "pcmpgtq" false [x(RW), xm(X)] enc(M0F38, 0x37).p(P66).r().needs(Sse42);
    // The same, three-operand VEX (AVX): reg ← reg op xmm/m128.
    vpaddb_x_x_xm128: "vpaddb" "vpaddb" false [x(WO), vx(), xm(X)] enc(M0F, 0xfc).p(P66).vex(false).r().needs(Avx);
    vpaddw_x_x_xm128: "vpaddw" "vpaddw" false [x(WO), vx(), xm(X)] enc(M0F, 0xfd).p(P66).vex(false).r().needs(Avx);
    vpaddd_x_x_xm128: "vpaddd" "vpaddd" false [x(WO), vx(), xm(X)] enc(M0F, 0xfe).p(P66).vex(false).r().needs(Avx);
    vpaddq_x_x_xm128: "vpaddq" "vpaddq" false [x(WO), vx(), xm(X)] enc(M0F, 0xd4).p(P66).vex(false).r().needs(Avx);
    vpsubb_x_x_xm128: "vpsubb" "vpsubb" false [x(WO), vx(), xm(X)] enc(M0F, 0xf8).p(P66).vex(false).r().needs(Avx);
    vpsubw_x_x_xm128: "vpsubw" "vpsubw" false [x(WO), vx(), xm(X)] enc(M0F, 0xf9).p(P66).vex(false).r().needs(Avx);
    vpsubd_x_x_xm128: "vpsubd" "vpsubd" false [x(WO), vx(), xm(X)] enc(M0F, 0xfa).p(P66).vex(false).r().needs(Avx);
    vpsubq_x_x_xm128: "vpsubq" "vpsubq" false [x(WO), vx(), xm(X)] enc(M0F, 0xfb).p(P66).vex(false).r().needs(Avx);
    vpaddsb_x_x_xm128: "vpaddsb" "vpaddsb" false [x(WO), vx(), xm(X)] enc(M0F, 0xec).p(P66).vex(false).r().needs(Avx);
    vpaddsw_x_x_xm128: "vpaddsw" "vpaddsw" false [x(WO), vx(), xm(X)] enc(M0F, 0xed).p(P66).vex(false).r().needs(Avx);
    vpaddusb_x_x_xm128: "vpaddusb" "vpaddusb" false [x(WO), vx(), xm(X)] enc(M0F, 0xdc).p(P66).vex(false).r().needs(Avx);
    vpaddusw_x_x_xm128: "vpaddusw" "vpaddusw" false [x(WO), vx(), xm(X)] enc(M0F, 0xdd).p(P66).vex(false).r().needs(Avx);
    vpsubsb_x_x_xm128: "vpsubsb" "vpsubsb" false [x(WO), vx(), xm(X)] enc(M0F, 0xe8).p(P66).vex(false).r().needs(Avx);
    vpsubsw_x_x_xm128: "vpsubsw" "vpsubsw" false [x(WO), vx(), xm(X)] enc(M0F, 0xe9).p(P66).vex(false).r().needs(Avx);
    vpsubusb_x_x_xm128: "vpsubusb" "vpsubusb" false [x(WO), vx(), xm(X)] enc(M0F, 0xd8).p(P66).vex(false).r().needs(Avx);
    vpsubusw_x_x_xm128: "vpsubusw" "vpsubusw" false [x(WO), vx(), xm(X)] enc(M0F, 0xd9).p(P66).vex(false).r().needs(Avx);
    vpavgb_x_x_xm128: "vpavgb" "vpavgb" false [x(WO), vx(), xm(X)] enc(M0F, 0xe0).p(P66).vex(false).r().needs(Avx);
    vpavgw_x_x_xm128: "vpavgw" "vpavgw" false [x(WO), vx(), xm(X)] enc(M0F, 0xe3).p(P66).vex(false).r().needs(Avx);
    vpmullw_x_x_xm128: "vpmullw" "vpmullw" false [x(WO), vx(), xm(X)] enc(M0F, 0xd5).p(P66).vex(false).r().needs(Avx);
    vpmulhw_x_x_xm128: "vpmulhw" "vpmulhw" false [x(WO), vx(), xm(X)] enc(M0F, 0xe5).p(P66).vex(false).r().needs(Avx);
    vpmuludq_x_x_xm128: "vpmuludq" "vpmuludq" false [x(WO), vx(), xm(X)] enc(M0F, 0xf4).p(P66).vex(false).r().needs(Avx);
    vpmaddwd_x_x_xm128: "vpmaddwd" "vpmaddwd" false [x(WO), vx(), xm(X)] enc(M0F, 0xf5).p(P66).vex(false).r().needs(Avx);
    vpminsw_x_x_xm128: "vpminsw" "vpminsw" false [x(WO), vx(), xm(X)] enc(M0F, 0xea).p(P66).vex(false).r().needs(Avx);
    vpmaxsw_x_x_xm128: "vpmaxsw" "vpmaxsw" false [x(WO), vx(), xm(X)] enc(M0F, 0xee).p(P66).vex(false).r().needs(Avx);
    vpminub_x_x_xm128: "vpminub" "vpminub" false [x(WO), vx(), xm(X)] enc(M0F, 0xda).p(P66).vex(false).r().needs(Avx);
    vpmaxub_x_x_xm128: "vpmaxub" "vpmaxub" false [x(WO), vx(), xm(X)] enc(M0F, 0xde).p(P66).vex(false).r().needs(Avx);
    vpcmpeqb_x_x_xm128: "vpcmpeqb" "vpcmpeqb" false [x(WO), vx(), xm(X)] enc(M0F, 0x74).p(P66).vex(false).r().needs(Avx);
    vpcmpeqw_x_x_xm128: "vpcmpeqw" "vpcmpeqw" false [x(WO), vx(), xm(X)] enc(M0F, 0x75).p(P66).vex(false).r().needs(Avx);
    vpcmpeqd_x_x_xm128: "vpcmpeqd" "vpcmpeqd" false [x(WO), vx(), xm(X)] enc(M0F, 0x76).p(P66).vex(false).r().needs(Avx);
    vpcmpgtb_x_x_xm128: "vpcmpgtb" "vpcmpgtb" false [x(WO), vx(), xm(X)] enc(M0F, 0x64).p(P66).vex(false).r().needs(Avx);
    vpcmpgtw_x_x_xm128: "vpcmpgtw" "vpcmpgtw" false [x(WO), vx(), xm(X)] enc(M0F, 0x65).p(P66).vex(false).r().needs(Avx);
    vpcmpgtd_x_x_xm128: "vpcmpgtd" "vpcmpgtd" false [x(WO), vx(), xm(X)] enc(M0F, 0x66).p(P66).vex(false).r().needs(Avx);
    vpacksswb_x_x_xm128: "vpacksswb" "vpacksswb" false [x(WO), vx(), xm(X)] enc(M0F, 0x63).p(P66).vex(false).r().needs(Avx);
    vpackssdw_x_x_xm128: "vpackssdw" "vpackssdw" false [x(WO), vx(), xm(X)] enc(M0F, 0x6b).p(P66).vex(false).r().needs(Avx);
    vpackuswb_x_x_xm128: "vpackuswb" "vpackuswb" false [x(WO), vx(), xm(X)] enc(M0F, 0x67).p(P66).vex(false).r().needs(Avx);
    vpunpcklbw_x_x_xm128: "vpunpcklbw" "vpunpcklbw" false [x(WO), vx(), xm(X)] enc(M0F, 0x60).p(P66).vex(false).r().needs(Avx);
    vpunpcklwd_x_x_xm128: "vpunpcklwd" "vpunpcklwd" false [x(WO), vx(), xm(X)] enc(M0F, 0x61).p(P66).vex(false).r().needs(Avx);
    vpunpckldq_x_x_xm128: "vpunpckldq" "vpunpckldq" false [x(WO), vx(), xm(X)] enc(M0F, 0x62).p(P66).vex(false).r().needs(Avx);
    vpunpcklqdq_x_x_xm128: "vpunpcklqdq" "vpunpcklqdq" false [x(WO), vx(), xm(X)] enc(M0F, 0x6c).p(P66).vex(false).r().needs(Avx);
    vpunpckhbw_x_x_xm128: "vpunpckhbw" "vpunpckhbw" false [x(WO), vx(), xm(X)] enc(M0F, 0x68).p(P66).vex(false).r().needs(Avx);
    vpunpckhwd_x_x_xm128: "vpunpckhwd" "vpunpckhwd" false [x(WO), vx(), xm(X)] enc(M0F, 0x69).p(P66).vex(false).r().needs(Avx);
    vpunpckhdq_x_x_xm128: "vpunpckhdq" "vpunpckhdq" false [x(WO), vx(), xm(X)] enc(M0F, 0x6a).p(P66).vex(false).r().needs(Avx);
    vpunpckhqdq_x_x_xm128: "vpunpckhqdq" "vpunpckhqdq" false [x(WO), vx(), xm(X)] enc(M0F, 0x6d).p(P66).vex(false).r().needs(Avx);
    vpand_x_x_xm128: "vpand" "vpand" false [x(WO), vx(), xm(X)] enc(M0F, 0xdb).p(P66).vex(false).r().needs(Avx);
    vpandn_x_x_xm128: "vpandn" "vpandn" false [x(WO), vx(), xm(X)] enc(M0F, 0xdf).p(P66).vex(false).r().needs(Avx);
    vpor_x_x_xm128: "vpor" "vpor" false [x(WO), vx(), xm(X)] enc(M0F, 0xeb).p(P66).vex(false).r().needs(Avx);
    vpxor_x_x_xm128: "vpxor" "vpxor" false [x(WO), vx(), xm(X)] enc(M0F, 0xef).p(P66).vex(false).r().needs(Avx);
    vpsllw_x_x_xm128: "vpsllw" "vpsllw" false [x(WO), vx(), xm(X)] enc(M0F, 0xf1).p(P66).vex(false).r().needs(Avx);
    vpslld_x_x_xm128: "vpslld" "vpslld" false [x(WO), vx(), xm(X)] enc(M0F, 0xf2).p(P66).vex(false).r().needs(Avx);
    vpsllq_x_x_xm128: "vpsllq" "vpsllq" false [x(WO), vx(), xm(X)] enc(M0F, 0xf3).p(P66).vex(false).r().needs(Avx);
    vpsrlw_x_x_xm128: "vpsrlw" "vpsrlw" false [x(WO), vx(), xm(X)] enc(M0F, 0xd1).p(P66).vex(false).r().needs(Avx);
    vpsrld_x_x_xm128: "vpsrld" "vpsrld" false [x(WO), vx(), xm(X)] enc(M0F, 0xd2).p(P66).vex(false).r().needs(Avx);
    vpsrlq_x_x_xm128: "vpsrlq" "vpsrlq" false [x(WO), vx(), xm(X)] enc(M0F, 0xd3).p(P66).vex(false).r().needs(Avx);
    vpsraw_x_x_xm128: "vpsraw" "vpsraw" false [x(WO), vx(), xm(X)] enc(M0F, 0xe1).p(P66).vex(false).r().needs(Avx);
    vpsrad_x_x_xm128: "vpsrad" "vpsrad" false [x(WO), vx(), xm(X)] enc(M0F, 0xe2).p(P66).vex(false).r().needs(Avx);
    vaddps_x_x_xm128: "vaddps" "vaddps" false [x(WO), vx(), xm(X)] enc(M0F, 0x58).vex(false).r().needs(Avx);
    vaddpd_x_x_xm128: "vaddpd" "vaddpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x58).p(P66).vex(false).r().needs(Avx);
    vsubps_x_x_xm128: "vsubps" "vsubps" false [x(WO), vx(), xm(X)] enc(M0F, 0x5c).vex(false).r().needs(Avx);
    vsubpd_x_x_xm128: "vsubpd" "vsubpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x5c).p(P66).vex(false).r().needs(Avx);
    vmulps_x_x_xm128: "vmulps" "vmulps" false [x(WO), vx(), xm(X)] enc(M0F, 0x59).vex(false).r().needs(Avx);
    vmulpd_x_x_xm128: "vmulpd" "vmulpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x59).p(P66).vex(false).r().needs(Avx);
    vdivps_x_x_xm128: "vdivps" "vdivps" false [x(WO), vx(), xm(X)] enc(M0F, 0x5e).vex(false).r().needs(Avx);
    vdivpd_x_x_xm128: "vdivpd" "vdivpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x5e).p(P66).vex(false).r().needs(Avx);
    vminps_x_x_xm128: "vminps" "vminps" false [x(WO), vx(), xm(X)] enc(M0F, 0x5d).vex(false).r().needs(Avx);
    vminpd_x_x_xm128: "vminpd" "vminpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x5d).p(P66).vex(false).r().needs(Avx);
    vmaxps_x_x_xm128: "vmaxps" "vmaxps" false [x(WO), vx(), xm(X)] enc(M0F, 0x5f).vex(false).r().needs(Avx);
    vmaxpd_x_x_xm128: "vmaxpd" "vmaxpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x5f).p(P66).vex(false).r().needs(Avx);
    vandpd_x_x_xm128: "vandpd" "vandpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x54).p(P66).vex(false).r().needs(Avx);
    vandnps_x_x_xm128: "vandnps" "vandnps" false [x(WO), vx(), xm(X)] enc(M0F, 0x55).vex(false).r().needs(Avx);
    vandnpd_x_x_xm128: "vandnpd" "vandnpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x55).p(P66).vex(false).r().needs(Avx);
    vorps_x_x_xm128: "vorps" "vorps" false [x(WO), vx(), xm(X)] enc(M0F, 0x56).vex(false).r().needs(Avx);
    vorpd_x_x_xm128: "vorpd" "vorpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x56).p(P66).vex(false).r().needs(Avx);
    vxorpd_x_x_xm128: "vxorpd" "vxorpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x57).p(P66).vex(false).r().needs(Avx);
    vunpcklps_x_x_xm128: "vunpcklps" "vunpcklps" false [x(WO), vx(), xm(X)] enc(M0F, 0x14).vex(false).r().needs(Avx);
    vunpcklpd_x_x_xm128: "vunpcklpd" "vunpcklpd" false [x(WO), vx(), xm(X)] enc(M0F, 0x14).p(P66).vex(false).r().needs(Avx);
    vpshufb_x_x_xm128: "vpshufb" "vpshufb" false [x(WO), vx(), xm(X)] enc(M0F38, 0x00).p(P66).vex(false).r().needs(Avx);
    vphaddw_x_x_xm128: "vphaddw" "vphaddw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x01).p(P66).vex(false).r().needs(Avx);
    vphaddd_x_x_xm128: "vphaddd" "vphaddd" false [x(WO), vx(), xm(X)] enc(M0F38, 0x02).p(P66).vex(false).r().needs(Avx);
    vpmaddubsw_x_x_xm128: "vpmaddubsw" "vpmaddubsw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x04).p(P66).vex(false).r().needs(Avx);
    vpmulhrsw_x_x_xm128: "vpmulhrsw" "vpmulhrsw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x0b).p(P66).vex(false).r().needs(Avx);
    vpmulld_x_x_xm128: "vpmulld" "vpmulld" false [x(WO), vx(), xm(X)] enc(M0F38, 0x40).p(P66).vex(false).r().needs(Avx);
    vpminsb_x_x_xm128: "vpminsb" "vpminsb" false [x(WO), vx(), xm(X)] enc(M0F38, 0x38).p(P66).vex(false).r().needs(Avx);
    vpminsd_x_x_xm128: "vpminsd" "vpminsd" false [x(WO), vx(), xm(X)] enc(M0F38, 0x39).p(P66).vex(false).r().needs(Avx);
    vpminuw_x_x_xm128: "vpminuw" "vpminuw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3a).p(P66).vex(false).r().needs(Avx);
    vpminud_x_x_xm128: "vpminud" "vpminud" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3b).p(P66).vex(false).r().needs(Avx);
    vpmaxsb_x_x_xm128: "vpmaxsb" "vpmaxsb" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3c).p(P66).vex(false).r().needs(Avx);
    vpmaxsd_x_x_xm128: "vpmaxsd" "vpmaxsd" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3d).p(P66).vex(false).r().needs(Avx);
    vpmaxuw_x_x_xm128: "vpmaxuw" "vpmaxuw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3e).p(P66).vex(false).r().needs(Avx);
    vpmaxud_x_x_xm128: "vpmaxud" "vpmaxud" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3f).p(P66).vex(false).r().needs(Avx);
    vpcmpeqq_x_x_xm128: "vpcmpeqq" "vpcmpeqq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x29).p(P66).vex(false).r().needs(Avx);
    vpackusdw_x_x_xm128: "vpackusdw" "vpackusdw" false [x(WO), vx(), xm(X)] enc(M0F38, 0x2b).p(P66).vex(false).r().needs(Avx);
    vpcmpgtq_x_x_xm128: "vpcmpgtq" "vpcmpgtq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x37).p(P66).vex(false).r().needs(Avx);
    // Packed unary operations and conversions: reg ← op xmm/mem (the pmov extensions and the conversions to f64 read 64 bits).
    sqrtps_x_xm128: "sqrtps" "sqrtps" false [x(WO), xm(X)] enc(M0F, 0x51).r();
    sqrtpd_x_xm128: "sqrtpd" "sqrtpd" false [x(WO), xm(X)] enc(M0F, 0x51).p(P66).r();
    cvtdq2ps_x_xm128: "cvtdq2ps" "cvtdq2ps" false [x(WO), xm(X)] enc(M0F, 0x5b).r();
    cvttps2dq_x_xm128: "cvttps2dq" "cvttps2dq" false [x(WO), xm(X)] enc(M0F, 0x5b).p(PF3).r();
    cvtdq2pd_x_xm64: "cvtdq2pd" "cvtdq2pd" false [x(WO), xm(Q)] enc(M0F, 0xe6).p(PF3).r();
    cvttpd2dq_x_xm128: "cvttpd2dq" "cvttpd2dq" false [x(WO), xm(X)] enc(M0F, 0xe6).p(P66).r();
    cvtps2pd_x_xm64: "cvtps2pd" "cvtps2pd" false [x(WO), xm(Q)] enc(M0F, 0x5a).r();
    cvtpd2ps_x_xm128: "cvtpd2ps" "cvtpd2ps" false [x(WO), xm(X)] enc(M0F, 0x5a).p(P66).r();
    movddup_x_xm64: "movddup" "movddup" false [x(WO), xm(Q)] enc(M0F, 0x12).p(PF2).r().needs(Sse3);
    pabsb_x_xm128: "pabsb" "pabsb" false [x(WO), xm(X)] enc(M0F38, 0x1c).p(P66).r().needs(Ssse3);
    pabsw_x_xm128: "pabsw" "pabsw" false [x(WO), xm(X)] enc(M0F38, 0x1d).p(P66).r().needs(Ssse3);
    pabsd_x_xm128: "pabsd" "pabsd" false [x(WO), xm(X)] enc(M0F38, 0x1e).p(P66).r().needs(Ssse3);
    pmovsxbw_x_xm64: "pmovsxbw" "pmovsxbw" false [x(WO), xm(Q)] enc(M0F38, 0x20).p(P66).r().needs(Sse41);
    pmovsxwd_x_xm64: "pmovsxwd" "pmovsxwd" false [x(WO), xm(Q)] enc(M0F38, 0x23).p(P66).r().needs(Sse41);
    pmovsxdq_x_xm64: "pmovsxdq" "pmovsxdq" false [x(WO), xm(Q)] enc(M0F38, 0x25).p(P66).r().needs(Sse41);
    pmovzxbw_x_xm64: "pmovzxbw" "pmovzxbw" false [x(WO), xm(Q)] enc(M0F38, 0x30).p(P66).r().needs(Sse41);
    pmovzxwd_x_xm64: "pmovzxwd" "pmovzxwd" false [x(WO), xm(Q)] enc(M0F38, 0x33).p(P66).r().needs(Sse41);
    pmovzxdq_x_xm64: "pmovzxdq" "pmovzxdq" false [x(WO), xm(Q)] enc(M0F38, 0x35).p(P66).r().needs(Sse41);
    // Packed operations with an immediate: shuffles, compares (predicate 0–7), rounding (SSE4.1), alignment (SSSE3), blends (SSE4.1).
    shufps_x_xm128_imm8: "shufps" "shufps" false [x(RW), xm(X), imm(B, 1)] enc(M0F, 0xc6).r();
    cmpps_x_xm128_imm8: "cmpps" "cmpps" false [x(RW), xm(X), imm(B, 1)] enc(M0F, 0xc2).r();
    cmppd_x_xm128_imm8: "cmppd" "cmppd" false [x(RW), xm(X), imm(B, 1)] enc(M0F, 0xc2).p(P66).r();
    palignr_x_xm128_imm8: "palignr" "palignr" false [x(RW), xm(X), imm(B, 1)] enc(M0F3A, 0x0f).p(P66).r().needs(Ssse3);
    pblendw_x_xm128_imm8: "pblendw" "pblendw" false [x(RW), xm(X), imm(B, 1)] enc(M0F3A, 0x0e).p(P66).r().needs(Sse41);
    pshuflw_x_xm128_imm8: "pshuflw" "pshuflw" false [x(WO), xm(X), imm(B, 1)] enc(M0F, 0x70).p(PF2).r();
    pshufhw_x_xm128_imm8: "pshufhw" "pshufhw" false [x(WO), xm(X), imm(B, 1)] enc(M0F, 0x70).p(PF3).r();
    roundps_x_xm128_imm8: "roundps" "roundps" false [x(WO), xm(X), imm(B, 1)] enc(M0F3A, 0x08).p(P66).r().needs(Sse41);
    roundpd_x_xm128_imm8: "roundpd" "roundpd" false [x(WO), xm(X), imm(B, 1)] enc(M0F3A, 0x09).p(P66).r().needs(Sse41);
    // The same, VEX.
    vshufps_x_x_xm128_imm8: "vshufps" "vshufps" false [x(WO), vx(), xm(X), imm(B, 1)] enc(M0F, 0xc6).vex(false).r().needs(Avx);
    vcmpps_x_x_xm128_imm8: "vcmpps" "vcmpps" false [x(WO), vx(), xm(X), imm(B, 1)] enc(M0F, 0xc2).vex(false).r().needs(Avx);
    vcmppd_x_x_xm128_imm8: "vcmppd" "vcmppd" false [x(WO), vx(), xm(X), imm(B, 1)] enc(M0F, 0xc2).p(P66).vex(false).r().needs(Avx);
    vpalignr_x_x_xm128_imm8: "vpalignr" "vpalignr" false [x(WO), vx(), xm(X), imm(B, 1)] enc(M0F3A, 0x0f).p(P66).vex(false).r().needs(Avx);
    vpblendw_x_x_xm128_imm8: "vpblendw" "vpblendw" false [x(WO), vx(), xm(X), imm(B, 1)] enc(M0F3A, 0x0e).p(P66).vex(false).r().needs(Avx);
    // Shifts of every lane by an immediate (the register operand in ModRM.rm).
    psllw_x_imm8: "psllw" "psllw" false [xr(RW), imm(B, 1)] enc(M0F, 0x71).p(P66).digit(6);
    psrlw_x_imm8: "psrlw" "psrlw" false [xr(RW), imm(B, 1)] enc(M0F, 0x71).p(P66).digit(2);
    psraw_x_imm8: "psraw" "psraw" false [xr(RW), imm(B, 1)] enc(M0F, 0x71).p(P66).digit(4);
    psrad_x_imm8: "psrad" "psrad" false [xr(RW), imm(B, 1)] enc(M0F, 0x72).p(P66).digit(4);
    // The same, VEX: the destination is VEX.vvvv.
    vpsllw_x_x_imm8: "vpsllw" "vpsllw" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x71).p(P66).vex(false).digit(6).needs(Avx);
    vpsrlw_x_x_imm8: "vpsrlw" "vpsrlw" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x71).p(P66).vex(false).digit(2).needs(Avx);
    vpsraw_x_x_imm8: "vpsraw" "vpsraw" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x71).p(P66).vex(false).digit(4).needs(Avx);
    vpsrad_x_x_imm8: "vpsrad" "vpsrad" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x72).p(P66).vex(false).digit(4).needs(Avx);
    vpslld_x_x_imm8: "vpslld" "vpslld" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x72).p(P66).vex(false).digit(6).needs(Avx);
    vpsrld_x_x_imm8: "vpsrld" "vpsrld" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x72).p(P66).vex(false).digit(2).needs(Avx);
    vpsllq_x_x_imm8: "vpsllq" "vpsllq" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x73).p(P66).vex(false).digit(6).needs(Avx);
    vpsrlq_x_x_imm8: "vpsrlq" "vpsrlq" false [vx_def(), xr(R), imm(B, 1)] enc(M0F, 0x73).p(P66).vex(false).digit(2).needs(Avx);
    // Lane inserts and extracts (pinsrw/pextrw SSE2, the rest SSE4.1); insertps picks a lane of the source.
    pinsrw_x_r32_imm8: "pinsrw" "pinsrw" false [x(RW), rr(L, R), imm(B, 1)] enc(M0F, 0xc4).p(P66).r();
    pinsrb_x_r32_imm8: "pinsrb" "pinsrb" false [x(RW), rr(L, R), imm(B, 1)] enc(M0F3A, 0x20).p(P66).r().needs(Sse41);
    pinsrd_x_rm32_imm8: "pinsrd" "pinsrd" false [x(RW), rm(L), imm(B, 1)] enc(M0F3A, 0x22).p(P66).r().needs(Sse41);
    pinsrq_x_rm64_imm8: "pinsrq" "pinsrq" false [x(RW), rm(Q), imm(B, 1)] enc(M0F3A, 0x22).p(P66).w().r().needs(Sse41);
    insertps_x_xm32_imm8: "insertps" "insertps" false [x(RW), xm(L), imm(B, 1)] enc(M0F3A, 0x21).p(P66).r().needs(Sse41);
    pextrw_r32_x_imm8: "pextrw" "pextrw" false [r(L, WO), xr(R), imm(B, 1)] enc(M0F, 0xc5).p(P66).r();
    pextrb_r32_x_imm8: "pextrb" "pextrb" false [rr(L, WO), x(R), imm(B, 1)] enc(M0F3A, 0x14).p(P66).r().needs(Sse41);
    pextrd_r32_x_imm8: "pextrd" "pextrd" false [rr(L, WO), x(R), imm(B, 1)] enc(M0F3A, 0x16).p(P66).r().needs(Sse41);
    // The same, VEX.
    vpinsrw_x_x_r32_imm8: "vpinsrw" "vpinsrw" false [x(WO), vx(), rr(L, R), imm(B, 1)] enc(M0F, 0xc4).p(P66).vex(false).r().needs(Avx);
    vpinsrb_x_x_r32_imm8: "vpinsrb" "vpinsrb" false [x(WO), vx(), rr(L, R), imm(B, 1)] enc(M0F3A, 0x20).p(P66).vex(false).r().needs(Avx);
    vpinsrd_x_x_rm32_imm8: "vpinsrd" "vpinsrd" false [x(WO), vx(), rm(L), imm(B, 1)] enc(M0F3A, 0x22).p(P66).vex(false).r().needs(Avx);
    vpinsrq_x_x_rm64_imm8: "vpinsrq" "vpinsrq" false [x(WO), vx(), rm(Q), imm(B, 1)] enc(M0F3A, 0x22).p(P66).w().vex(false).r().needs(Avx);
    vinsertps_x_x_xm32_imm8: "vinsertps" "vinsertps" false [x(WO), vx(), xm(L), imm(B, 1)] enc(M0F3A, 0x21).p(P66).vex(false).r().needs(Avx);
    // Register-only move of a low half up, the byte sign mask, and ptest (ZF when a & b is zero).
    movlhps_x_x: "movlhps" "movlhps" false [x(RW), xr(R)] enc(M0F, 0x16).r();
    pmovmskb_r32_x: "pmovmskb" "pmovmskb" false [r(L, WO), xr(R)] enc(M0F, 0xd7).p(P66).r();
    ptest_x_xm128: "ptest" "ptest" false [x(R), xm(X)] enc(M0F38, 0x17).p(P66).r().needs(Sse41);
    // Variable blends by the sign bit of each lane of the mask: xmm0 (SSE4.1) or a fourth register (VEX).
    pblendvb_x_xm128_xmm0: "pblendvb" "pblendvb" false [x(RW), xm(X), xmm0_mask()] enc(M0F38, 0x10).p(P66).r().needs(Sse41);
    blendvps_x_xm128_xmm0: "blendvps" "blendvps" false [x(RW), xm(X), xmm0_mask()] enc(M0F38, 0x14).p(P66).r().needs(Sse41);
    blendvpd_x_xm128_xmm0: "blendvpd" "blendvpd" false [x(RW), xm(X), xmm0_mask()] enc(M0F38, 0x15).p(P66).r().needs(Sse41);
    vpblendvb_x_x_xm128_x: "vpblendvb" "vpblendvb" false [x(WO), vx(), xm(X), is4()] enc(M0F3A, 0x4c).p(P66).vex(false).r().needs(Avx);
    vblendvps_x_x_xm128_x: "vblendvps" "vblendvps" false [x(WO), vx(), xm(X), is4()] enc(M0F3A, 0x4a).p(P66).vex(false).r().needs(Avx);
    vblendvpd_x_x_xm128_x: "vblendvpd" "vblendvpd" false [x(WO), vx(), xm(X), is4()] enc(M0F3A, 0x4b).p(P66).vex(false).r().needs(Avx);
    // AVX2 broadcasts of the low lane to every lane.
    vpbroadcastb_x_xm8: "vpbroadcastb" "vpbroadcastb" false [x(WO), xm(B)] enc(M0F38, 0x78).p(P66).vex(false).r().needs(Avx2);
    vpbroadcastw_x_xm16: "vpbroadcastw" "vpbroadcastw" false [x(WO), xm(W)] enc(M0F38, 0x79).p(P66).vex(false).r().needs(Avx2);
    vpbroadcastd_x_xm32: "vpbroadcastd" "vpbroadcastd" false [x(WO), xm(L)] enc(M0F38, 0x58).p(P66).vex(false).r().needs(Avx2);
    vpbroadcastq_x_xm64: "vpbroadcastq" "vpbroadcastq" false [x(WO), xm(Q)] enc(M0F38, 0x59).p(P66).vex(false).r().needs(Avx2);
    // FMA3 packed: dst = ±(a·b) ± c (213 order).
    vfmadd213ps_x_x_xm128: "vfmadd213ps" "vfmadd213ps" false [x(RW), vx(), xm(X)] enc(M0F38, 0xa8).p(P66).vex(false).r().needs(Fma);
    vfmadd213pd_x_x_xm128: "vfmadd213pd" "vfmadd213pd" false [x(RW), vx(), xm(X)] enc(M0F38, 0xa8).p(P66).w().vex(false).r().needs(Fma);
    vfmsub213ps_x_x_xm128: "vfmsub213ps" "vfmsub213ps" false [x(RW), vx(), xm(X)] enc(M0F38, 0xaa).p(P66).vex(false).r().needs(Fma);
    vfmsub213pd_x_x_xm128: "vfmsub213pd" "vfmsub213pd" false [x(RW), vx(), xm(X)] enc(M0F38, 0xaa).p(P66).w().vex(false).r().needs(Fma);
    vfnmadd213ps_x_x_xm128: "vfnmadd213ps" "vfnmadd213ps" false [x(RW), vx(), xm(X)] enc(M0F38, 0xac).p(P66).vex(false).r().needs(Fma);
    vfnmadd213pd_x_x_xm128: "vfnmadd213pd" "vfnmadd213pd" false [x(RW), vx(), xm(X)] enc(M0F38, 0xac).p(P66).w().vex(false).r().needs(Fma);
    vfnmsub213ps_x_x_xm128: "vfnmsub213ps" "vfnmsub213ps" false [x(RW), vx(), xm(X)] enc(M0F38, 0xae).p(P66).vex(false).r().needs(Fma);
    vfnmsub213pd_x_x_xm128: "vfnmsub213pd" "vfnmsub213pd" false [x(RW), vx(), xm(X)] enc(M0F38, 0xae).p(P66).w().vex(false).r().needs(Fma);
    // AVX-512 (EVEX, 128-bit) for what SSE and AVX lack: 64-bit lane multiply, arithmetic shift, abs, min/max and conversions; byte popcount, byte permute, dot product.
    vpmullq_x_x_xm128: "vpmullq" "vpmullq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x40).p(P66).w().evex().r().needs(Avx512VlDq);
    vpsraq_x_x_xm128: "vpsraq" "vpsraq" false [x(WO), vx(), xm(X)] enc(M0F, 0xe2).p(P66).w().evex().r().needs(Avx512Vl);
    vpsraq_x_xm128_imm8: "vpsraq" "vpsraq" false [vx_def(), xm(X), imm(B, 1)] enc(M0F, 0x72).p(P66).w().evex().digit(4).needs(Avx512Vl);
    vpabsq_x_xm128: "vpabsq" "vpabsq" false [x(WO), xm(X)] enc(M0F38, 0x1f).p(P66).w().evex().r().needs(Avx512Vl);
    vpminsq_x_x_xm128: "vpminsq" "vpminsq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x39).p(P66).w().evex().r().needs(Avx512Vl);
    vpmaxsq_x_x_xm128: "vpmaxsq" "vpmaxsq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3d).p(P66).w().evex().r().needs(Avx512Vl);
    vpminuq_x_x_xm128: "vpminuq" "vpminuq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3b).p(P66).w().evex().r().needs(Avx512Vl);
    vpmaxuq_x_x_xm128: "vpmaxuq" "vpmaxuq" false [x(WO), vx(), xm(X)] enc(M0F38, 0x3f).p(P66).w().evex().r().needs(Avx512Vl);
    vcvtudq2ps_x_xm128: "vcvtudq2ps" "vcvtudq2ps" false [x(WO), xm(X)] enc(M0F, 0x7a).p(PF2).evex().r().needs(Avx512Vl);
    vcvtuqq2pd_x_xm128: "vcvtuqq2pd" "vcvtuqq2pd" false [x(WO), xm(X)] enc(M0F, 0x7a).p(PF3).w().evex().r().needs(Avx512VlDq);
    vcvtqq2pd_x_xm128: "vcvtqq2pd" "vcvtqq2pd" false [x(WO), xm(X)] enc(M0F, 0xe6).p(PF3).w().evex().r().needs(Avx512VlDq);
    vpopcntb_x_xm128: "vpopcntb" "vpopcntb" false [x(WO), xm(X)] enc(M0F38, 0x54).p(P66).evex().r().needs(Avx512VlBitalg);
    vpermi2b_x_x_xm128: "vpermi2b" "vpermi2b" false [x(RW), vx(), xm(X)] enc(M0F38, 0x75).p(P66).evex().r().needs(Avx512VlVbmi);
    vpdpbusd_x_x_xm128_evex: "vpdpbusd" "vpdpbusd" false [x(RW), vx(), xm(X)] enc(M0F38, 0x50).p(P66).evex().r().needs(Avx512VlVnni);
    vpdpbusd_x_x_xm128: "vpdpbusd" "{vex} vpdpbusd" false [x(RW), vx(), xm(X)] enc(M0F38, 0x50).p(P66).vex(false).r().needs(AvxVnni);

    // AVX three-operand scalar arithmetic and packed logic (VEX; the two-byte VEX form when it can).
    vaddss_x_x_xm32: "vaddss" "vaddss" false [x(WO), vx(), xm(L)] enc(M0F, 0x58).p(PF3).vex(false).r().needs(Avx);
    vaddsd_x_x_xm64: "vaddsd" "vaddsd" false [x(WO), vx(), xm(Q)] enc(M0F, 0x58).p(PF2).vex(false).r().needs(Avx);
    vmulss_x_x_xm32: "vmulss" "vmulss" false [x(WO), vx(), xm(L)] enc(M0F, 0x59).p(PF3).vex(false).r().needs(Avx);
    vmulsd_x_x_xm64: "vmulsd" "vmulsd" false [x(WO), vx(), xm(Q)] enc(M0F, 0x59).p(PF2).vex(false).r().needs(Avx);
    vsubss_x_x_xm32: "vsubss" "vsubss" false [x(WO), vx(), xm(L)] enc(M0F, 0x5c).p(PF3).vex(false).r().needs(Avx);
    vsubsd_x_x_xm64: "vsubsd" "vsubsd" false [x(WO), vx(), xm(Q)] enc(M0F, 0x5c).p(PF2).vex(false).r().needs(Avx);
    vdivss_x_x_xm32: "vdivss" "vdivss" false [x(WO), vx(), xm(L)] enc(M0F, 0x5e).p(PF3).vex(false).r().needs(Avx);
    vdivsd_x_x_xm64: "vdivsd" "vdivsd" false [x(WO), vx(), xm(Q)] enc(M0F, 0x5e).p(PF2).vex(false).r().needs(Avx);
    vandps_x_x_xm128: "vandps" "vandps" false [x(WO), vx(), xm(X)] enc(M0F, 0x54).vex(false).r().needs(Avx);
    vxorps_x_x_xm128: "vxorps" "vxorps" false [x(WO), vx(), xm(X)] enc(M0F, 0x57).vex(false).r().needs(Avx);
    // BMI1/BMI2 (VEX-encoded general-purpose instructions).
    andn_r32_r32_rm32: "andn" "andn" false [r(L, WO), vr(L, R), rm(L)] enc(M0F38, 0xf2).vex(false).r().needs(Bmi1);
    blsr_r32_rm32: "blsr" "blsr" true [vr(L, WO), rm(L)] enc(M0F38, 0xf3).vex(false).digit(1).needs(Bmi1);
    blsmsk_r32_rm32: "blsmsk" "blsmsk" true [vr(L, WO), rm(L)] enc(M0F38, 0xf3).vex(false).digit(2).needs(Bmi1);
    blsi_r32_rm32: "blsi" "blsi" true [vr(L, WO), rm(L)] enc(M0F38, 0xf3).vex(false).digit(3).needs(Bmi1);
    bzhi_r32_rm32_r32: "bzhi" "bzhi" false [r(L, WO), rm(L), vr(L, R)] enc(M0F38, 0xf5).vex(false).r().needs(Bmi2);
    shlx_r32_rm32_r32: "shlx" "shlx" false [r(L, WO), rm(L), vr(L, R)] enc(M0F38, 0xf7).p(P66).vex(false).r().needs(Bmi2);
    sarx_r32_rm32_r32: "sarx" "sarx" false [r(L, WO), rm(L), vr(L, R)] enc(M0F38, 0xf7).p(PF3).vex(false).r().needs(Bmi2);
    shrx_r32_rm32_r32: "shrx" "shrx" false [r(L, WO), rm(L), vr(L, R)] enc(M0F38, 0xf7).p(PF2).vex(false).r().needs(Bmi2);
    rorx_r32_rm32_imm8: "rorx" "rorx" false [r(L, WO), rm(L), imm(B, 1)] enc(M0F3A, 0xf0).p(PF2).vex(false).r().needs(Bmi2);
    mulx_r32_r32_rm32: "mulx" "mulx" false [r(L, WO), vr(L, WO), rm(L), fixed(RDX, L, R)] enc(M0F38, 0xf6).p(PF2).vex(false).r().needs(Bmi2);
    andn_r64_r64_rm64: "andn" "andn" false [r(Q, WO), vr(Q, R), rm(Q)] enc(M0F38, 0xf2).vex(false).w().r().needs(Bmi1);
    blsr_r64_rm64: "blsr" "blsr" true [vr(Q, WO), rm(Q)] enc(M0F38, 0xf3).vex(false).w().digit(1).needs(Bmi1);
    blsmsk_r64_rm64: "blsmsk" "blsmsk" true [vr(Q, WO), rm(Q)] enc(M0F38, 0xf3).vex(false).w().digit(2).needs(Bmi1);
    blsi_r64_rm64: "blsi" "blsi" true [vr(Q, WO), rm(Q)] enc(M0F38, 0xf3).vex(false).w().digit(3).needs(Bmi1);
    bzhi_r64_rm64_r64: "bzhi" "bzhi" false [r(Q, WO), rm(Q), vr(Q, R)] enc(M0F38, 0xf5).vex(false).w().r().needs(Bmi2);
    shlx_r64_rm64_r64: "shlx" "shlx" false [r(Q, WO), rm(Q), vr(Q, R)] enc(M0F38, 0xf7).p(P66).vex(false).w().r().needs(Bmi2);
    sarx_r64_rm64_r64: "sarx" "sarx" false [r(Q, WO), rm(Q), vr(Q, R)] enc(M0F38, 0xf7).p(PF3).vex(false).w().r().needs(Bmi2);
    shrx_r64_rm64_r64: "shrx" "shrx" false [r(Q, WO), rm(Q), vr(Q, R)] enc(M0F38, 0xf7).p(PF2).vex(false).w().r().needs(Bmi2);
    rorx_r64_rm64_imm8: "rorx" "rorx" false [r(Q, WO), rm(Q), imm(B, 1)] enc(M0F3A, 0xf0).p(PF2).vex(false).w().r().needs(Bmi2);
    mulx_r64_r64_rm64: "mulx" "mulx" false [r(Q, WO), vr(Q, WO), rm(Q), fixed(RDX, Q, R)] enc(M0F38, 0xf6).p(PF2).vex(false).w().r().needs(Bmi2);
    // FMA3 scalar: dst = ±(a·b) ± c with the operand order in the name (132, 213, 231).
    vfmadd132ss_x_x_xm32: "vfmadd132ss" "vfmadd132ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0x99).p(P66).vex(false).r().needs(Fma);
    vfmadd132sd_x_x_xm64: "vfmadd132sd" "vfmadd132sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0x99).p(P66).vex(false).w().r().needs(Fma);
    vfmadd213ss_x_x_xm32: "vfmadd213ss" "vfmadd213ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xa9).p(P66).vex(false).r().needs(Fma);
    vfmadd213sd_x_x_xm64: "vfmadd213sd" "vfmadd213sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xa9).p(P66).vex(false).w().r().needs(Fma);
    vfmadd231ss_x_x_xm32: "vfmadd231ss" "vfmadd231ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xb9).p(P66).vex(false).r().needs(Fma);
    vfmadd231sd_x_x_xm64: "vfmadd231sd" "vfmadd231sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xb9).p(P66).vex(false).w().r().needs(Fma);
    vfmsub132ss_x_x_xm32: "vfmsub132ss" "vfmsub132ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0x9b).p(P66).vex(false).r().needs(Fma);
    vfmsub132sd_x_x_xm64: "vfmsub132sd" "vfmsub132sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0x9b).p(P66).vex(false).w().r().needs(Fma);
    vfmsub213ss_x_x_xm32: "vfmsub213ss" "vfmsub213ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xab).p(P66).vex(false).r().needs(Fma);
    vfmsub213sd_x_x_xm64: "vfmsub213sd" "vfmsub213sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xab).p(P66).vex(false).w().r().needs(Fma);
    vfmsub231ss_x_x_xm32: "vfmsub231ss" "vfmsub231ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xbb).p(P66).vex(false).r().needs(Fma);
    vfmsub231sd_x_x_xm64: "vfmsub231sd" "vfmsub231sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xbb).p(P66).vex(false).w().r().needs(Fma);
    vfnmadd132ss_x_x_xm32: "vfnmadd132ss" "vfnmadd132ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0x9d).p(P66).vex(false).r().needs(Fma);
    vfnmadd132sd_x_x_xm64: "vfnmadd132sd" "vfnmadd132sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0x9d).p(P66).vex(false).w().r().needs(Fma);
    vfnmadd213ss_x_x_xm32: "vfnmadd213ss" "vfnmadd213ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xad).p(P66).vex(false).r().needs(Fma);
    vfnmadd213sd_x_x_xm64: "vfnmadd213sd" "vfnmadd213sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xad).p(P66).vex(false).w().r().needs(Fma);
    vfnmadd231ss_x_x_xm32: "vfnmadd231ss" "vfnmadd231ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xbd).p(P66).vex(false).r().needs(Fma);
    vfnmadd231sd_x_x_xm64: "vfnmadd231sd" "vfnmadd231sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xbd).p(P66).vex(false).w().r().needs(Fma);
    vfnmsub132ss_x_x_xm32: "vfnmsub132ss" "vfnmsub132ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0x9f).p(P66).vex(false).r().needs(Fma);
    vfnmsub132sd_x_x_xm64: "vfnmsub132sd" "vfnmsub132sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0x9f).p(P66).vex(false).w().r().needs(Fma);
    vfnmsub213ss_x_x_xm32: "vfnmsub213ss" "vfnmsub213ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xaf).p(P66).vex(false).r().needs(Fma);
    vfnmsub213sd_x_x_xm64: "vfnmsub213sd" "vfnmsub213sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xaf).p(P66).vex(false).w().r().needs(Fma);
    vfnmsub231ss_x_x_xm32: "vfnmsub231ss" "vfnmsub231ss" false [x(RW), vx(), xm(L)] enc(M0F38, 0xbf).p(P66).vex(false).r().needs(Fma);
    vfnmsub231sd_x_x_xm64: "vfnmsub231sd" "vfnmsub231sd" false [x(RW), vx(), xm(Q)] enc(M0F38, 0xbf).p(P66).vex(false).w().r().needs(Fma);

}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use TermType as T;

    #[test]
    fn names_are_unique_and_found() {
        let names: HashSet<&str> = TABLE.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), TABLE.len());
        assert_eq!(ALL_OPS.len(), TABLE.len());
        assert_eq!(Op::by_name("lea_r64"), Some(Op::lea_r64));
        assert_eq!(Op::by_name("lea_r65"), None);
    }

    #[test]
    fn term_signatures_follow_operands() {
        let sig = |op: Op| op.row().term_signature();
        assert_eq!(
            sig(Op::add_r64_rm64),
            (vec![T::Gpr, T::GprMem], vec![T::Gpr])
        );
        assert_eq!(
            sig(Op::idiv_rm64),
            (vec![T::GprMem, T::Gpr, T::Gpr], vec![T::Gpr, T::Gpr])
        );
        assert_eq!(sig(Op::jcc), (vec![T::Cc, T::Label], vec![]));
        assert_eq!(sig(Op::mov_m64_imm32), (vec![T::Amode, T::Imm32], vec![]));
        assert_eq!(
            sig(Op::vfmadd231sd_x_x_xm64),
            (vec![T::Xmm, T::Xmm, T::XmmMem], vec![T::Xmm])
        );
        assert_eq!(sig(Op::mov_r64_imm32), (vec![T::Imm32], vec![T::Gpr]));
        assert_eq!(sig(Op::shl_r64_imm8), (vec![T::Gpr, T::Imm8], vec![T::Gpr]));
        assert_eq!(sig(Op::movabs_r64_imm64), (vec![T::Imm64], vec![T::Gpr]));
    }

    #[test]
    fn term_declarations() {
        assert_eq!(
            Op::add_r64_rm64.row().term_decl(),
            "(decl add_r64_rm64 (Gpr GprMem) Gpr)"
        );
        assert_eq!(
            Op::div_rm32.row().term_decl(),
            "(decl div_rm32 (GprMem Gpr Gpr) (Gpr Gpr))"
        );
        assert_eq!(
            Op::mov_m64_r64.row().term_decl(),
            "(decl mov_m64_r64 (Amode Gpr) Unit)"
        );
        assert_eq!(
            Op::setcc_r8.row().term_decl(),
            "(decl setcc_r8 (Cc Gpr) Gpr)"
        );
    }

    #[test]
    fn immediate_siblings() {
        assert_eq!(Op::add_r64_rm64.imm_form(), Some(Op::add_r64_imm32));
        assert_eq!(Op::cmp_r8_rm8.imm_form(), Some(Op::cmp_r8_imm8));
        assert_eq!(Op::sub_r16_rm16.imm_form(), Some(Op::sub_r16_imm16));
        assert_eq!(Op::mov_r32_rm32.imm_form(), Some(Op::mov_r32_imm32));
        assert_eq!(Op::mov_r64_rm64.imm_form(), Some(Op::mov_r64_imm32));
        assert_eq!(Op::imul_r64_rm64.imm_form(), None);
        assert_eq!(Op::addsd_x_xm64.imm_form(), None);
        assert_eq!(Op::add_m64_r64.imm_form(), None);
    }

    #[test]
    fn every_row_fits_an_inst() {
        for row in TABLE {
            let slots: usize = row.operands.iter().map(OpSpec::reg_slots).sum();
            assert!(
                slots <= crate::isa::x64::inst::MAX_REG_SLOTS,
                "{}",
                row.name
            );
            let mems = row.operands.iter().filter(|o| o.kind.is_mem()).count();
            assert!(mems <= 1, "{} has two memory operands", row.name);
            let imms = row.operands.iter().filter(|o| o.kind == Kind::Imm).count();
            assert!(imms <= 1, "{} has two immediates", row.name);
        }
    }
}
