//! Memory flags of loads, stores and atomics: `notrap aligned readonly little big heap …`.
//!
//! Flags are facts the producer of the IR promises (an access cannot trap, is aligned, reads
//! memory that never changes) or choices (byte order, alias region). They are kept as written,
//! in canonical order, so printing is stable.

use super::trapcode::TrapCode;
use std::fmt;

/// The byte order of a memory access. `Native` (no flag) is little-endian on x86-64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Endianness {
    #[default]
    Native,
    Little,
    Big,
}

/// The alias region an access belongs to; accesses to different regions never alias.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum AliasRegion {
    #[default]
    None,
    Heap,
    Table,
    Vmctx,
}

/// The flags of one memory access.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct MemFlags {
    /// The access cannot trap (`notrap`); otherwise it may trap with `trap_code`.
    pub notrap: bool,
    /// The address is aligned to the access size (`aligned`).
    pub aligned: bool,
    /// The memory never changes while the function runs (`readonly`).
    pub readonly: bool,
    /// The access may be moved before a check it depends on (`can_move`).
    pub can_move: bool,
    /// Spectre mitigation: the access is guarded by a speculation barrier (`checked`).
    pub checked: bool,
    pub endianness: Endianness,
    pub alias_region: AliasRegion,
    /// The trap code when the access faults, if not the default `heap_oob`.
    pub trap_code: Option<TrapCode>,
}

impl MemFlags {
    /// The flags of an access that the compiler may assume cannot fault and is aligned.
    pub fn trusted() -> MemFlags {
        MemFlags {
            notrap: true,
            aligned: true,
            ..MemFlags::default()
        }
    }

    /// Applies one flag word; returns false if `word` is not a memory flag. A trap code word
    /// (`int_divz`, `user3`) sets the trap code, as CLIF allows.
    pub fn set_by_name(&mut self, word: &str) -> bool {
        match word {
            "notrap" => self.notrap = true,
            "aligned" => self.aligned = true,
            "readonly" => self.readonly = true,
            "can_move" => self.can_move = true,
            "checked" => self.checked = true,
            "little" => self.endianness = Endianness::Little,
            "big" => self.endianness = Endianness::Big,
            "heap" => self.alias_region = AliasRegion::Heap,
            "table" => self.alias_region = AliasRegion::Table,
            "vmctx" => self.alias_region = AliasRegion::Vmctx,
            _ => match TrapCode::parse(word) {
                Some(code) => self.trap_code = Some(code),
                None => return false,
            },
        }
        true
    }
}

/// Prints the flags each preceded by a space, in canonical order (empty when no flag is set).
impl fmt::Display for MemFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = [
            (self.notrap, "notrap"),
            (self.aligned, "aligned"),
            (self.readonly, "readonly"),
            (self.can_move, "can_move"),
            (self.checked, "checked"),
            (self.endianness == Endianness::Little, "little"),
            (self.endianness == Endianness::Big, "big"),
            (self.alias_region == AliasRegion::Heap, "heap"),
            (self.alias_region == AliasRegion::Table, "table"),
            (self.alias_region == AliasRegion::Vmctx, "vmctx"),
        ];
        for (set, word) in words {
            if set {
                write!(f, " {word}")?;
            }
        }
        if let Some(code) = self.trap_code {
            write!(f, " {code}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_in_canonical_order() {
        let mut flags = MemFlags::default();
        for w in ["little", "readonly", "notrap", "heap", "int_divz"] {
            assert!(flags.set_by_name(w));
        }
        assert!(!flags.set_by_name("v0"));
        assert_eq!(flags.to_string(), " notrap readonly little heap int_divz");
        assert_eq!(MemFlags::default().to_string(), "");
    }
}
