//! Memory flags of loads, stores and atomics: `notrap aligned readonly can_move little region2`.
//!
//! Flags are facts the producer of the IR promises (an access cannot trap, is aligned, reads
//! memory that never changes) or choices (byte order, alias region). As in Cranelift 0.135.8 an
//! access traps with `heap_oob` unless it says otherwise: `notrap` removes the trap, a trap code
//! word (`int_divz`, `user3`) replaces it. They print in Cranelift's order, so text round-trips.

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

/// The flags of one memory access.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MemFlags {
    /// The trap code when the access faults; `None` when it cannot fault (`notrap`).
    pub trap_code: Option<TrapCode>,
    /// The address is aligned to the access size (`aligned`).
    pub aligned: bool,
    /// The memory never changes while the function runs (`readonly`).
    pub readonly: bool,
    /// The access may be moved before a check it depends on (`can_move`).
    pub can_move: bool,
    pub endianness: Endianness,
    /// The alias region (`regionN`, declared in the preamble); accesses to different regions
    /// never alias.
    pub alias_region: Option<u32>,
}

impl Default for MemFlags {
    fn default() -> MemFlags {
        MemFlags {
            trap_code: Some(TrapCode::HEAP_OUT_OF_BOUNDS),
            aligned: false,
            readonly: false,
            can_move: false,
            endianness: Endianness::Native,
            alias_region: None,
        }
    }
}

/// A flag word that names a flag but cannot be applied.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ConflictingFlag(pub &'static str);

impl MemFlags {
    /// The flags of an access that the compiler may assume cannot fault and is aligned.
    pub fn trusted() -> MemFlags {
        MemFlags {
            trap_code: None,
            aligned: true,
            ..MemFlags::default()
        }
    }

    /// Whether the access cannot fault (`notrap`).
    pub fn notrap(&self) -> bool {
        self.trap_code.is_none()
    }

    /// Applies one flag word: `Ok(false)` if `word` is not a memory flag, an error for
    /// `little` with `big` (Cranelift's one conflict). A trap code word (`int_divz`, `user3`)
    /// sets the trap code.
    pub fn set_by_name(&mut self, word: &str) -> Result<bool, ConflictingFlag> {
        match word {
            "notrap" => self.trap_code = None,
            "aligned" => self.aligned = true,
            "readonly" => self.readonly = true,
            "can_move" => self.can_move = true,
            "little" | "big" => {
                let (e, other) = if word == "little" {
                    (Endianness::Little, Endianness::Big)
                } else {
                    (Endianness::Big, Endianness::Little)
                };
                if self.endianness == other {
                    return Err(ConflictingFlag(
                        "cannot set both big and little endian bits",
                    ));
                }
                self.endianness = e;
            }
            _ => match TrapCode::parse(word) {
                Some(code) => self.trap_code = Some(code),
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}

/// Prints the flags each preceded by a space, in Cranelift's order (empty when no flag is set;
/// the default trap code `heap_oob` is not written).
impl fmt::Display for MemFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.trap_code {
            None => f.write_str(" notrap")?,
            Some(TrapCode::HEAP_OUT_OF_BOUNDS) => {}
            Some(code) => write!(f, " {code}")?,
        }
        for (set, word) in [
            (self.aligned, "aligned"),
            (self.readonly, "readonly"),
            (self.can_move, "can_move"),
            (self.endianness == Endianness::Big, "big"),
            (self.endianness == Endianness::Little, "little"),
        ] {
            if set {
                write!(f, " {word}")?;
            }
        }
        if let Some(region) = self.alias_region {
            write!(f, " region{region}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_in_cranelifts_order() {
        let mut flags = MemFlags::default();
        for w in ["little", "readonly", "notrap", "can_move", "aligned"] {
            assert_eq!(flags.set_by_name(w), Ok(true));
        }
        assert_eq!(flags.set_by_name("v0"), Ok(false));
        assert!(flags.set_by_name("big").is_err());
        flags.alias_region = Some(3);
        assert_eq!(
            flags.to_string(),
            " notrap aligned readonly can_move little region3"
        );
        assert_eq!(MemFlags::default().to_string(), "");
        let mut trapping = MemFlags::default();
        assert_eq!(trapping.set_by_name("notrap"), Ok(true));
        assert_eq!(trapping.set_by_name("int_divz"), Ok(true));
        assert_eq!(trapping.to_string(), " int_divz");
        assert!(!trapping.notrap());
    }
}
