//! x86-64 registers: the 16 general-purpose and 16 XMM registers, as regalloc2 physical registers,
//! and [`Reg`], the register an instruction names before and after allocation.
//!
//! A register's regalloc2 hardware encoding is its x86 encoding (rax = 0 … r15 = 15, xmm0 = 0 …
//! xmm15 = 15), so the encoder reads the ModRM/REX bits straight from a `PReg`. XMM16–31 would
//! take encodings 16–31 of the float class, and AVX-512 mask registers the vector class.
//!
//! # Virtual and physical registers in one type
//!
//! ```text
//!   Reg = regalloc2 VReg bits (index << 2 | class)
//!   index 0 .. PINNED_VREGS          a physical register, pinned: index = PReg::index()
//!   index PINNED_VREGS ..            a virtual register the allocator assigns
//! ```
//!
//! Lowering numbers its virtual registers from [`PINNED_VREGS`] up, so an instruction can name
//! `rsp` in the same field where it names a virtual register. Operand collection turns a pinned
//! register into `Operand::fixed_nonallocatable`; applying an allocation replaces every virtual
//! register by the physical one, after which `Reg::to_preg` succeeds everywhere.
//!
//! Before allocation, name a physical register directly only if the allocator never hands it
//! out (rsp, rbp: see [`crate::isa::x64::abi::machine_env`]). To pin a value to an allocatable register, use a
//! virtual register with a fixed constraint instead: the rows' implicit operands do this (rax
//! and rdx of `div`, cl of shifts), and the ABI does it for arguments and return values.

use regalloc2::{PReg, RegClass, VReg};

/// The number of regalloc2 virtual-register indices reserved for physical registers (one past
/// xmm15's `PReg` index); the first virtual register lowering creates is
/// `VReg::new(PINNED_VREGS, class)`. regalloc2 keeps a record for every index below its
/// `num_vregs`, used or not, so the reserve is kept as small as x64's registers allow: with
/// all 256 `PReg` indices reserved, a three-instruction function spent most of its register
/// allocation on empty records.
pub const PINNED_VREGS: usize = xmm(15).index() + 1;

/// A register operand: virtual before register allocation, physical after (see module doc).
/// 32 bits, `Copy`, ordered and hashable like the `VReg` it wraps.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reg(VReg);

impl Reg {
    /// "No register": fills unused operand slots.
    pub const INVALID: Reg = Reg(VReg::invalid());

    /// The virtual register `vreg`; its index must be at least [`PINNED_VREGS`].
    pub fn virt(vreg: VReg) -> Reg {
        debug_assert!(vreg.vreg() >= PINNED_VREGS);
        Reg(vreg)
    }

    /// The physical register `preg`, pinned.
    pub const fn phys(preg: PReg) -> Reg {
        Reg(VReg::new(preg.index(), preg.class()))
    }

    /// The physical register, if this is one.
    pub fn to_preg(self) -> Option<PReg> {
        (self.is_valid() && self.0.vreg() < PINNED_VREGS).then(|| PReg::from_index(self.0.vreg()))
    }

    /// The regalloc2 virtual register (pinned ones included).
    pub fn to_vreg(self) -> VReg {
        self.0
    }

    pub fn class(self) -> RegClass {
        self.0.class()
    }

    pub fn is_valid(self) -> bool {
        self != Reg::INVALID
    }

    /// Is this a virtual register still waiting for an allocation?
    pub fn is_virtual(self) -> bool {
        self.is_valid() && self.0.vreg() >= PINNED_VREGS
    }

    /// The register's name for an access of `size_bytes`, `%`-less: `rax`, `r9d`, `xmm3` for
    /// physical registers, `v300` for a virtual register whatever the size.
    pub fn name(self, size_bytes: u8) -> String {
        match self.to_preg() {
            Some(p) => name(p, size_bytes).to_string(),
            None if self.is_valid() => format!("v{}", self.0.vreg()),
            None => "<invalid>".to_string(),
        }
    }
}

impl std::fmt::Debug for Reg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "%{}", self.name(8))
    }
}

impl From<PReg> for Reg {
    fn from(p: PReg) -> Reg {
        Reg::phys(p)
    }
}

/// Hardware encodings of the general-purpose registers.
pub mod gpr {
    pub const RAX: u8 = 0;
    pub const RCX: u8 = 1;
    pub const RDX: u8 = 2;
    pub const RBX: u8 = 3;
    pub const RSP: u8 = 4;
    pub const RBP: u8 = 5;
    pub const RSI: u8 = 6;
    pub const RDI: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const R10: u8 = 10;
    pub const R11: u8 = 11;
    pub const R12: u8 = 12;
    pub const R13: u8 = 13;
    pub const R14: u8 = 14;
    pub const R15: u8 = 15;
}

/// The general-purpose register with x86 encoding `enc` (0–15).
pub const fn gpr(enc: u8) -> PReg {
    PReg::new(enc as usize, RegClass::Int)
}

/// The XMM register with x86 encoding `enc` (0–15).
pub const fn xmm(enc: u8) -> PReg {
    PReg::new(enc as usize, RegClass::Float)
}

pub const RAX: PReg = gpr(gpr::RAX);
pub const RCX: PReg = gpr(gpr::RCX);
pub const RDX: PReg = gpr(gpr::RDX);
pub const RBX: PReg = gpr(gpr::RBX);
pub const RSP: PReg = gpr(gpr::RSP);
pub const RBP: PReg = gpr(gpr::RBP);
pub const RSI: PReg = gpr(gpr::RSI);
pub const RDI: PReg = gpr(gpr::RDI);
pub const R8: PReg = gpr(gpr::R8);
pub const R9: PReg = gpr(gpr::R9);
pub const R10: PReg = gpr(gpr::R10);
pub const R11: PReg = gpr(gpr::R11);
pub const R12: PReg = gpr(gpr::R12);
pub const R13: PReg = gpr(gpr::R13);
pub const R14: PReg = gpr(gpr::R14);
pub const R15: PReg = gpr(gpr::R15);

/// The x86 encoding (0–15) of a register; the low three bits go in ModRM/SIB, the fourth in REX.
pub fn enc(reg: PReg) -> u8 {
    reg.hw_enc() as u8
}

const GPR_NAMES_64: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];
const GPR_NAMES_32: [&str; 16] = [
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d",
    "r13d", "r14d", "r15d",
];
const GPR_NAMES_16: [&str; 16] = [
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w",
    "r14w", "r15w",
];
const GPR_NAMES_8: [&str; 16] = [
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b",
    "r13b", "r14b", "r15b",
];
const XMM_NAMES: [&str; 16] = [
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
];

/// The sixteen registers of a class in encoding order.
pub fn all(class: RegClass) -> impl Iterator<Item = PReg> {
    (0..16u8).map(move |e| PReg::new(usize::from(e), class))
}

/// The register's name (without `%`) when accessed with the given operand size in bytes; XMM
/// registers have one name whatever the size.
pub fn name(reg: PReg, size_bytes: u8) -> &'static str {
    let i = usize::from(enc(reg));
    match reg.class() {
        RegClass::Int => match size_bytes {
            1 => GPR_NAMES_8[i],
            2 => GPR_NAMES_16[i],
            4 => GPR_NAMES_32[i],
            _ => GPR_NAMES_64[i],
        },
        _ => XMM_NAMES[i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_encodings() {
        assert_eq!(name(R12, 8), "r12");
        assert_eq!(name(RSI, 1), "sil");
        assert_eq!(name(xmm(9), 4), "xmm9");
        assert_eq!(enc(R15), 15);
        assert_eq!(RCX.class(), RegClass::Int);
    }

    #[test]
    fn pinned_and_virtual() {
        let p = Reg::phys(R13);
        assert_eq!(p.to_preg(), Some(R13));
        assert!(!p.is_virtual());
        let v = Reg::virt(VReg::new(PINNED_VREGS + 3, RegClass::Float));
        assert!(v.is_virtual());
        assert_eq!(v.to_preg(), None);
        assert_eq!(v.class(), RegClass::Float);
        assert_eq!(Reg::INVALID.to_preg(), None);
        assert_eq!(Reg::phys(xmm(3)).name(4), "xmm3");
    }
}
