//! The shape of the instruction table: one [`Row`] per instruction form. The rows themselves are
//! in `rows.rs`; the encoder, the AT&T printer, regalloc2 operand collection and the rule terms
//! are all computed from them.
//!
//! A row lists its operands in Intel order (destination first), each an [`OpSpec`]: what it is
//! ([`Kind`]), how wide, whether it is read and/or written ([`Access`]) and where the encoding
//! puts it ([`Loc`]). Registers the instruction uses implicitly (rax and rdx of `div`, cl of a
//! shift) are operands too, with a fixed location, so register allocation sees them.
//!
//! ```text
//!  add_r64_rm64: "add" "add" true [r(Q, RW), rm(Q)] enc(L1, 0x03).w().r();
//!                 │     │     │     │         │      │           │    └ ModRM.reg holds operand
//!                 │     │     │     │         │      │           └ REX.W
//!                 │     │     │     │         │      └ legacy map, opcode 03
//!                 │     │     │     │         └ GPR or memory in ModRM.rm, read
//!                 │     │     │     └ GPR in ModRM.reg, read and written (two-address)
//!                 │     │     └ objdump sizes a lone memory operand with a suffix (`addq`)
//!                 │     └ AT&T mnemonic
//!                 └ Intel mnemonic (what iced-x86 decodes)
//! ```
//!
//! Adding an instruction is adding a row in `rows.rs`; `tests/x64_encoding.rs` then checks it
//! against iced-x86 over registers, addressing modes and immediates.

use super::regs;
use regalloc2::PReg;

/// Operand width in bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    W8,
    W16,
    W32,
    W64,
    W128,
}

impl Width {
    pub const fn bytes(self) -> u8 {
        match self {
            Width::W8 => 1,
            Width::W16 => 2,
            Width::W32 => 4,
            Width::W64 => 8,
            Width::W128 => 16,
        }
    }

    pub const fn bits(self) -> u32 {
        self.bytes() as u32 * 8
    }
}

/// Whether an operand is read, written or both. A written register is a regalloc2 def; a
/// read-and-written one is a use plus a def that reuses the use's register.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub const fn reads(self) -> bool {
        !matches!(self, Access::Write)
    }
    pub const fn writes(self) -> bool {
        !matches!(self, Access::Read)
    }
}

/// What an operand is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    /// A general-purpose register.
    Gpr,
    /// An XMM register.
    Xmm,
    /// A GPR or a memory operand (read only: destinations are split into register and memory
    /// rows so a written register is always a plain def).
    GprMem,
    /// An XMM register or a memory operand (read only).
    XmmMem,
    /// A memory operand only (stores, `lea`, read-modify-write forms).
    Mem,
    /// An immediate.
    Imm,
    /// A condition code, folded into the opcode (`jcc`, `setcc`, `cmovcc`).
    Cc,
    /// A code label (branch and call targets).
    Label,
    /// An external symbol, reached through a relocation (`call` to a function).
    Symbol,
}

impl Kind {
    /// Can the operand be memory?
    pub const fn is_mem(self) -> bool {
        matches!(self, Kind::GprMem | Kind::XmmMem | Kind::Mem)
    }
    /// The register class of a register operand.
    pub const fn is_xmm(self) -> bool {
        matches!(self, Kind::Xmm | Kind::XmmMem)
    }
}

/// Where the encoding puts an operand.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Loc {
    /// ModRM.reg (+ REX.R / VEX.R).
    Reg,
    /// ModRM.rm, with SIB and displacement for memory (+ REX.B, REX.X).
    Rm,
    /// VEX.vvvv (EVEX.vvvv).
    Vvvv,
    /// The high four bits of an immediate byte (the `/is4` fourth register operand of VEX
    /// blends).
    Is4,
    /// The low three bits of the last opcode byte (+ REX.B): `push r64`, `bswap`, `mov r, imm`.
    OpcodeReg,
    /// An immediate of this many bytes after everything else (0: not encoded at all).
    Imm(u8),
    /// A fixed register (x86 encoding) the instruction uses implicitly; `shown` if the assembly
    /// syntax writes it anyway (the `%cl` of a shift).
    Fixed { enc: u8, shown: bool },
    /// Folded into the opcode (condition codes) or a branch/call displacement.
    Opcode,
    /// One written register in both ModRM.reg and ModRM.rm: the zeroing idioms
    /// (`xor %eax,%eax`), which the CPU knows do not read the register.
    RegAndRm,
}

/// One operand of a row.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct OpSpec {
    pub kind: Kind,
    pub width: Width,
    pub access: Access,
    pub loc: Loc,
}

impl OpSpec {
    /// The fixed physical register, for implicit operands.
    pub fn fixed(&self) -> Option<PReg> {
        match self.loc {
            Loc::Fixed { enc, .. } if self.kind == Kind::Xmm => Some(regs::xmm(enc)),
            Loc::Fixed { enc, .. } => Some(regs::gpr(enc)),
            _ => None,
        }
    }

    /// Does assembly syntax write this operand?
    pub fn shown(&self) -> bool {
        match self.loc {
            Loc::Fixed { shown, .. } => shown,
            Loc::Imm(0) => false,
            _ => self.kind != Kind::Cc,
        }
    }

    /// Is this operand an input of the instruction term (something the caller supplies)?
    pub fn is_input(&self) -> bool {
        self.access.reads() || !matches!(self.kind, Kind::Gpr | Kind::Xmm)
    }

    /// Is this operand an output of the instruction term (a register it defines)?
    pub fn is_output(&self) -> bool {
        self.access.writes() && matches!(self.kind, Kind::Gpr | Kind::Xmm)
    }

    /// How many register slots of an `Inst` this operand takes: a register read or written
    /// takes one, one read and written takes two (the use, then the def).
    pub fn reg_slots(&self) -> usize {
        match self.kind {
            Kind::Gpr | Kind::Xmm => 1 + usize::from(self.access == Access::ReadWrite),
            Kind::GprMem | Kind::XmmMem => 1,
            _ => 0,
        }
    }
}

/// Mandatory prefix (SSE) or, for VEX rows, the `pp` field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Prefix {
    None,
    P66,
    PF3,
    PF2,
}

/// Opcode map: legacy one-byte, or escapes 0F, 0F 38, 0F 3A (VEX `mmmmm` 1, 2, 3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Map {
    Legacy,
    M0F,
    M0F38,
    M0F3A,
}

/// What follows the opcode.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ModRm {
    /// Nothing (or only the operand in the opcode's low bits).
    None,
    /// `/r`: a register operand in ModRM.reg.
    R,
    /// `/digit`: an opcode extension in ModRM.reg.
    Digit(u8),
    /// The whole ModRM byte is fixed (`mfence` = 0F AE F0).
    Byte(u8),
}

/// How the row becomes bytes, beyond prefix + opcode + ModRM + immediate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Form {
    /// Prefixes, REX or VEX, opcode, ModRM/SIB/displacement, immediate.
    Plain,
    /// A branch to a label: the buffer picks `short_opcode rel8` or the row's opcode with rel32.
    Branch { short_opcode: u8 },
    /// Intel's recommended multi-byte no-op of the length given by the immediate (1–9).
    Nop,
}

/// The encoding of a row.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Encoding {
    /// 66 operand-size override (16-bit operations).
    pub opsize: bool,
    /// F0 lock prefix.
    pub lock: bool,
    pub prefix: Prefix,
    /// REX.W (VEX.W for VEX rows).
    pub w: bool,
    pub map: Map,
    pub opcode: u8,
    /// Opcode of the sign-extended imm8 form, used when the immediate fits in an i8.
    pub imm8_opcode: Option<u8>,
    pub modrm: ModRm,
    /// VEX encoded (EVEX when `evex` is set), with this `L` bit.
    pub vex: Option<bool>,
    /// EVEX encoded (AVX-512): the four-byte `62` prefix, no masking, no broadcast, and a
    /// one-byte displacement scaled by the memory operand's size.
    pub evex: bool,
    pub form: Form,
    /// The CPU feature the row needs beyond x86-64's baseline (SSE2, CMOV).
    pub feature: Feature,
}

/// CPU features instructions may need; lowering only uses a row whose feature the target has.
/// The AVX-512 rows here all work on 128-bit registers, so each needs AVX512VL beside its own
/// family (`Avx512VlDq`: VL and DQ).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Feature {
    /// Every x86-64 processor (includes SSE2 and CMOV).
    Base,
    Sse3,
    Ssse3,
    Sse41,
    Sse42,
    Popcnt,
    Lzcnt,
    Bmi1,
    Bmi2,
    Fma,
    Avx,
    Avx2,
    Cmpxchg16b,
    Avx512Vl,
    Avx512VlDq,
    Avx512VlVbmi,
    Avx512VlBitalg,
    Avx512VlVnni,
    AvxVnni,
}

/// One instruction form. See the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Unique name, also the rule term's name: `add_r64_rm64`.
    pub name: &'static str,
    /// Intel mnemonic; `cc` at the end stands for the condition (`jcc` → `je`).
    pub intel: &'static str,
    /// AT&T mnemonic as objdump prints it, before any size suffix.
    pub att: &'static str,
    /// objdump appends a size suffix (b/w/l/q) when the row's memory operand is not sized by a
    /// general-purpose register operand.
    pub att_suffix: bool,
    pub operands: &'static [OpSpec],
    pub enc: Encoding,
}

/// The type of a term parameter or result, as the rule language sees it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TermType {
    Gpr,
    Xmm,
    GprMem,
    XmmMem,
    Amode,
    /// Immediates by encoded size. One narrower than its operation is sign-extended, so it
    /// takes a signed value of its size; one as wide as its operation takes any bit pattern of
    /// that width (`Inst::new` checks).
    Imm8,
    Imm16,
    Imm32,
    Imm64,
    Cc,
    Label,
    Symbol,
}

impl Row {
    /// The inputs of the row's term, in order: what `Inst::new` takes as `inputs`.
    pub fn inputs(&self) -> impl Iterator<Item = &OpSpec> {
        self.operands.iter().filter(|o| o.is_input())
    }

    /// The outputs of the row's term, in order: what `Inst::new` takes as `outputs`.
    pub fn outputs(&self) -> impl Iterator<Item = &OpSpec> {
        self.operands.iter().filter(|o| o.is_output())
    }

    /// The term signature the rule language declares for this row:
    /// `(decl name (inputs…) outputs)`.
    pub fn term_signature(&self) -> (Vec<TermType>, Vec<TermType>) {
        let ty = |o: &OpSpec| match o.kind {
            Kind::Gpr => TermType::Gpr,
            Kind::Xmm => TermType::Xmm,
            Kind::GprMem => TermType::GprMem,
            Kind::XmmMem => TermType::XmmMem,
            Kind::Mem => TermType::Amode,
            Kind::Imm => match o.loc {
                Loc::Imm(2) => TermType::Imm16,
                Loc::Imm(4) => TermType::Imm32,
                Loc::Imm(8) => TermType::Imm64,
                _ => TermType::Imm8,
            },
            Kind::Cc => TermType::Cc,
            Kind::Label => TermType::Label,
            Kind::Symbol => TermType::Symbol,
        };
        (
            self.inputs().map(ty).collect(),
            self.outputs().map(ty).collect(),
        )
    }

    /// The term declaration in the rule language's syntax, e.g.
    /// `(decl add_r64_rm64 (Gpr GprMem) Gpr)`; a row with no outputs returns `Unit`, one with
    /// several a list of them (`(Gpr Gpr)` for `div`).
    pub fn term_decl(&self) -> String {
        let (inputs, outputs) = self.term_signature();
        let names = |ts: &[TermType]| ts.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>();
        let result = match outputs.len() {
            0 => "Unit".to_string(),
            1 => format!("{:?}", outputs[0]),
            _ => format!("({})", names(&outputs).join(" ")),
        };
        format!(
            "(decl {} ({}) {})",
            self.name,
            names(&inputs).join(" "),
            result
        )
    }

    /// Does the row have a condition-code operand?
    pub fn has_cc(&self) -> bool {
        self.operands.iter().any(|o| o.kind == Kind::Cc)
    }
}

/// x86 condition codes, numbered as the `cc` nibble of `jcc`/`setcc`/`cmovcc`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum Cc {
    O = 0,
    No = 1,
    B = 2,
    Ae = 3,
    E = 4,
    Ne = 5,
    Be = 6,
    A = 7,
    S = 8,
    Ns = 9,
    P = 10,
    Np = 11,
    L = 12,
    Ge = 13,
    Le = 14,
    G = 15,
}

impl Cc {
    pub const ALL: [Cc; 16] = [
        Cc::O,
        Cc::No,
        Cc::B,
        Cc::Ae,
        Cc::E,
        Cc::Ne,
        Cc::Be,
        Cc::A,
        Cc::S,
        Cc::Ns,
        Cc::P,
        Cc::Np,
        Cc::L,
        Cc::Ge,
        Cc::Le,
        Cc::G,
    ];

    /// The condition with encoding `nibble & 15`.
    pub fn from_bits(nibble: u8) -> Cc {
        Cc::ALL[usize::from(nibble & 15)]
    }

    /// The opposite condition (x86 flips the low bit).
    pub fn invert(self) -> Cc {
        Cc::from_bits(self as u8 ^ 1)
    }

    /// The mnemonic suffix, as objdump prints it: `e`, `ne`, `b`, `ae`…
    pub fn name(self) -> &'static str {
        [
            "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
        ][self as usize]
    }
}

// Constructors the rows are written with (const, so the table is a static).

/// GPR in ModRM.reg.
pub const fn r(width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::Reg,
    }
}
/// GPR in ModRM.rm (register-only form of an r/m operand).
pub const fn rr(width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::Rm,
    }
}
/// GPR or memory in ModRM.rm, read.
pub const fn rm(width: Width) -> OpSpec {
    OpSpec {
        kind: Kind::GprMem,
        width,
        access: Access::Read,
        loc: Loc::Rm,
    }
}
/// Memory in ModRM.rm.
pub const fn m(width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Mem,
        width,
        access,
        loc: Loc::Rm,
    }
}
/// GPR in VEX.vvvv.
pub const fn vr(width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::Vvvv,
    }
}
/// GPR in the opcode's low bits.
pub const fn or(width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::OpcodeReg,
    }
}
/// XMM in ModRM.reg.
pub const fn x(access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access,
        loc: Loc::Reg,
    }
}
/// XMM in ModRM.rm (register-only).
pub const fn xr(access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access,
        loc: Loc::Rm,
    }
}
/// XMM or memory of `width` in ModRM.rm, read.
pub const fn xm(width: Width) -> OpSpec {
    OpSpec {
        kind: Kind::XmmMem,
        width,
        access: Access::Read,
        loc: Loc::Rm,
    }
}
/// A GPR written with itself as the other operand (zeroing idiom).
pub const fn same(width: Width) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access: Access::Write,
        loc: Loc::RegAndRm,
    }
}
/// An XMM register written with itself as the other operand (zeroing idiom).
pub const fn xsame() -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access: Access::Write,
        loc: Loc::RegAndRm,
    }
}
/// XMM in VEX.vvvv, read.
pub const fn vx() -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access: Access::Read,
        loc: Loc::Vvvv,
    }
}
/// XMM in VEX.vvvv, written (the destination of the VEX shifts by an immediate).
pub const fn vx_def() -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access: Access::Write,
        loc: Loc::Vvvv,
    }
}
/// XMM in the high bits of the immediate byte, read.
pub const fn is4() -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access: Access::Read,
        loc: Loc::Is4,
    }
}
/// xmm0 as the implicit mask of the SSE4.1 blends, which assembly syntax writes.
pub const fn xmm0_mask() -> OpSpec {
    OpSpec {
        kind: Kind::Xmm,
        width: Width::W128,
        access: Access::Read,
        loc: Loc::Fixed {
            enc: 0,
            shown: true,
        },
    }
}
/// An immediate of `bytes` bytes applied at `width` (sign-extended when `bytes` is smaller).
pub const fn imm(width: Width, bytes: u8) -> OpSpec {
    OpSpec {
        kind: Kind::Imm,
        width,
        access: Access::Read,
        loc: Loc::Imm(bytes),
    }
}
/// An implicit GPR.
pub const fn fixed(enc: u8, width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::Fixed { enc, shown: false },
    }
}
/// An implicit GPR that assembly syntax writes (`%cl`).
pub const fn shown(enc: u8, width: Width, access: Access) -> OpSpec {
    OpSpec {
        kind: Kind::Gpr,
        width,
        access,
        loc: Loc::Fixed { enc, shown: true },
    }
}
/// A condition code.
pub const fn cc() -> OpSpec {
    OpSpec {
        kind: Kind::Cc,
        width: Width::W8,
        access: Access::Read,
        loc: Loc::Opcode,
    }
}
/// A code label (branch or call target).
pub const fn label() -> OpSpec {
    OpSpec {
        kind: Kind::Label,
        width: Width::W64,
        access: Access::Read,
        loc: Loc::Opcode,
    }
}
/// An external symbol (call target).
pub const fn sym() -> OpSpec {
    OpSpec {
        kind: Kind::Symbol,
        width: Width::W64,
        access: Access::Read,
        loc: Loc::Opcode,
    }
}
/// An external symbol's absolute address as a 64-bit immediate (`movabs`).
pub const fn sym_abs() -> OpSpec {
    OpSpec {
        kind: Kind::Symbol,
        width: Width::W64,
        access: Access::Read,
        loc: Loc::Imm(8),
    }
}

/// A legacy-encoded row with opcode `opcode` in `map`.
pub const fn enc(map: Map, opcode: u8) -> Encoding {
    Encoding {
        opsize: false,
        lock: false,
        prefix: Prefix::None,
        w: false,
        map,
        opcode,
        imm8_opcode: None,
        modrm: ModRm::None,
        vex: None,
        evex: false,
        form: Form::Plain,
        feature: Feature::Base,
    }
}

impl Encoding {
    pub const fn o16(mut self) -> Self {
        self.opsize = true;
        self
    }
    pub const fn lock(mut self) -> Self {
        self.lock = true;
        self
    }
    pub const fn p(mut self, prefix: Prefix) -> Self {
        self.prefix = prefix;
        self
    }
    pub const fn w(mut self) -> Self {
        self.w = true;
        self
    }
    /// REX.W when `width` is 64 bits, 66 when it is 16.
    pub const fn sized(self, width: Width) -> Self {
        match width {
            Width::W16 => self.o16(),
            Width::W64 => self.w(),
            _ => self,
        }
    }
    pub const fn r(mut self) -> Self {
        self.modrm = ModRm::R;
        self
    }
    pub const fn digit(mut self, d: u8) -> Self {
        self.modrm = ModRm::Digit(d);
        self
    }
    pub const fn modrm_byte(mut self, b: u8) -> Self {
        self.modrm = ModRm::Byte(b);
        self
    }
    pub const fn imm8(mut self, opcode: u8) -> Self {
        self.imm8_opcode = Some(opcode);
        self
    }
    pub const fn vex(mut self, l: bool) -> Self {
        self.vex = Some(l);
        self
    }
    /// EVEX with a 128-bit vector length.
    pub const fn evex(mut self) -> Self {
        self.vex = Some(false);
        self.evex = true;
        self
    }
    pub const fn branch(mut self, short_opcode: u8) -> Self {
        self.form = Form::Branch { short_opcode };
        self
    }
    pub const fn nop(mut self) -> Self {
        self.form = Form::Nop;
        self
    }
    pub const fn needs(mut self, feature: Feature) -> Self {
        self.feature = feature;
        self
    }
}
