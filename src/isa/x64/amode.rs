//! Addressing modes: what a memory operand can name.
//!
//! ```text
//!   Amode::Base   disp(base, index, 1<<scale)    any GPR as base; any GPR but rsp as index
//!   Amode::Rip    label+disp(%rip)               constants, jump tables, code labels
//!   Amode::RipSymbol sym+disp(%rip)              external symbols, through a relocation
//!                                                (the symbol's address, or its GOT entry)
//!   Amode::Frame  slot+offset in a frame area    becomes Base(rsp or rbp) once the frame is laid out
//! ```
//!
//! Frame addresses are resolved when the instruction is encoded: the ABI layer, which owns the
//! frame layout, answers [`FrameResolver::frame_address`]. Until then lowering and register
//! allocation can name a stack slot or a spill slot without knowing where it will be.

use super::regs::Reg;
use crate::machinst::buffer::{MachLabel, SymbolId};
use regalloc2::PReg;

/// The areas of a stack frame an instruction can address before the frame is laid out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FrameArea {
    /// An IR stack slot (`ss0`), by index.
    StackSlot,
    /// A register allocator spill slot, by regalloc2 `SpillSlot` index.
    SpillSlot,
    /// Incoming stack arguments, by byte offset from the first one (index is 0).
    IncomingArg,
    /// The outgoing-argument area of calls, by byte offset (index is 0).
    OutgoingArg,
}

/// Turns frame-relative addresses into physical ones; implemented by the ABI layer.
pub trait FrameResolver {
    /// The base register and displacement of byte `offset` within slot `index` of `area`.
    fn frame_address(&self, area: FrameArea, index: u32, offset: i32) -> (PReg, i32);
}

/// A memory operand. 16 bytes, `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Amode {
    /// `disp(base, index, 1 << scale)`; `index` is [`Reg::INVALID`] when absent. An index of
    /// `rsp` cannot be encoded and is refused by `Inst::new`.
    Base {
        base: Reg,
        index: Reg,
        scale: u8,
        disp: i32,
    },
    /// `label + disp` addressed relative to the next instruction.
    Rip { label: MachLabel, disp: i32 },
    /// `symbol + disp` addressed relative to the next instruction, resolved by the linker or
    /// JIT: a PC-relative relocation, or with `got` the symbol's GOT entry (`GOTPCREL`).
    RipSymbol {
        symbol: SymbolId,
        got: bool,
        disp: i32,
    },
    /// Byte `offset` of slot `index` in a frame area, resolved at encoding time.
    Frame {
        area: FrameArea,
        index: u32,
        offset: i32,
    },
}

impl Amode {
    /// `disp(base)`.
    pub fn base_disp(base: impl Into<Reg>, disp: i32) -> Amode {
        Amode::Base {
            base: base.into(),
            index: Reg::INVALID,
            scale: 0,
            disp,
        }
    }

    /// `disp(base, index, 1 << scale)`; `scale` is 0–3.
    pub fn base_index(base: impl Into<Reg>, index: impl Into<Reg>, scale: u8, disp: i32) -> Amode {
        Amode::Base {
            base: base.into(),
            index: index.into(),
            scale,
            disp,
        }
    }

    /// `label(%rip)`.
    pub fn rip(label: MachLabel) -> Amode {
        Amode::Rip { label, disp: 0 }
    }

    /// The registers the address reads, in collection order (base, then index).
    pub fn regs(&self) -> impl Iterator<Item = Reg> {
        let (a, b) = match *self {
            Amode::Base { base, index, .. } => (base, index),
            _ => (Reg::INVALID, Reg::INVALID),
        };
        [a, b].into_iter().filter(|r| r.is_valid())
    }

    /// Apply `f` to every register the address reads.
    pub fn map_regs(&mut self, mut f: impl FnMut(Reg) -> Reg) {
        if let Amode::Base { base, index, .. } = self {
            *base = f(*base);
            if index.is_valid() {
                *index = f(*index);
            }
        }
    }

    /// The address with a frame reference replaced by its physical form.
    pub fn resolve(self, frame: &dyn FrameResolver) -> Amode {
        match self {
            Amode::Frame {
                area,
                index,
                offset,
            } => {
                let (base, disp) = frame.frame_address(area, index, offset);
                Amode::base_disp(base, disp)
            }
            other => other,
        }
    }

    /// The same address `bytes` further on (the high half of a pair, say).
    pub fn offset(self, bytes: i32) -> Amode {
        match self {
            Amode::Base {
                base,
                index,
                scale,
                disp,
            } => Amode::Base {
                base,
                index,
                scale,
                disp: disp.wrapping_add(bytes),
            },
            Amode::Rip { label, disp } => Amode::Rip {
                label,
                disp: disp.wrapping_add(bytes),
            },
            Amode::RipSymbol { symbol, got, disp } => Amode::RipSymbol {
                symbol,
                got,
                disp: disp.wrapping_add(bytes),
            },
            Amode::Frame {
                area,
                index,
                offset,
            } => Amode::Frame {
                area,
                index,
                offset: offset.wrapping_add(bytes),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::x64::regs::{RBP, RSP};

    struct Fp;
    impl FrameResolver for Fp {
        fn frame_address(&self, area: FrameArea, index: u32, offset: i32) -> (PReg, i32) {
            match area {
                FrameArea::IncomingArg => (RBP, 16 + offset),
                _ => (RSP, 8 * index as i32 + offset),
            }
        }
    }

    #[test]
    fn frame_addresses_resolve_through_the_abi() {
        let slot = Amode::Frame {
            area: FrameArea::SpillSlot,
            index: 3,
            offset: 0,
        };
        assert_eq!(slot.offset(4).resolve(&Fp), Amode::base_disp(RSP, 28));
        let arg = Amode::Frame {
            area: FrameArea::IncomingArg,
            index: 0,
            offset: 8,
        };
        assert_eq!(arg.resolve(&Fp), Amode::base_disp(RBP, 24));
        assert_eq!(slot.regs().count(), 0);
        assert_eq!(Amode::base_index(RSP, RBP, 2, 0).regs().count(), 2);
    }
}
