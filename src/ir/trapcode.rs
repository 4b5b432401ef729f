//! Trap codes: why a trapping instruction stopped the program.
//!
//! As in Cranelift 0.135.8, a trap code is one non-zero byte: five reserved codes with names
//! (`stk_ovf`, `int_ovf`, `heap_oob`, `int_divz`, `bad_toint`) at the top of the byte, and the
//! embedder's codes `user1`…`user250` below them, which the back end reports without
//! interpreting them.

use std::fmt;

/// A trap code: the byte Cranelift uses for it (user codes 1–250, reserved codes 251–255).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TrapCode(u8);

/// The reserved codes, in byte order from [`TrapCode::FIRST_RESERVED`], with their names.
const RESERVED: [&str; 5] = ["stk_ovf", "int_ovf", "heap_oob", "int_divz", "bad_toint"];

impl TrapCode {
    /// The first byte of the reserved codes; user codes lie below it.
    pub const FIRST_RESERVED: u8 = 251;
    pub const STACK_OVERFLOW: TrapCode = TrapCode(251);
    pub const INTEGER_OVERFLOW: TrapCode = TrapCode(252);
    pub const HEAP_OUT_OF_BOUNDS: TrapCode = TrapCode(253);
    pub const INTEGER_DIVISION_BY_ZERO: TrapCode = TrapCode(254);
    pub const BAD_CONVERSION_TO_INTEGER: TrapCode = TrapCode(255);

    /// User code `n` (`user<n>`), for `n` in 1..=250.
    pub fn user(n: u8) -> Option<TrapCode> {
        (n != 0 && n < Self::FIRST_RESERVED).then_some(TrapCode(n))
    }

    /// The user number of a user code.
    pub fn user_number(self) -> Option<u8> {
        (self.0 < Self::FIRST_RESERVED).then_some(self.0)
    }

    /// The code's byte: user codes are their number, reserved codes 251–255.
    pub fn as_byte(self) -> u8 {
        self.0
    }

    /// The code of a byte [`TrapCode::as_byte`] gave; `None` for 0.
    pub fn from_byte(byte: u8) -> Option<TrapCode> {
        (byte != 0).then_some(TrapCode(byte))
    }

    /// Parses `heap_oob`, `user7`, … as Cranelift's reader does (`user01` is `user1`); `user0`
    /// and codes past 250 are rejected.
    pub fn parse(s: &str) -> Option<TrapCode> {
        if let Some(n) = s.strip_prefix("user") {
            if n.starts_with('+') {
                return None;
            }
            return n.parse::<u8>().ok().and_then(TrapCode::user);
        }
        let i = RESERVED.iter().position(|name| *name == s)?;
        Some(TrapCode(Self::FIRST_RESERVED + i as u8))
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.checked_sub(Self::FIRST_RESERVED) {
            Some(i) => f.write_str(RESERVED[usize::from(i)]),
            None => write!(f, "user{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in RESERVED {
            assert_eq!(TrapCode::parse(name).unwrap().to_string(), name);
        }
        assert_eq!(TrapCode::parse("user42"), TrapCode::user(42));
        assert_eq!(TrapCode::parse("user01"), TrapCode::user(1));
        assert_eq!(TrapCode::user(1).unwrap().to_string(), "user1");
        assert_eq!(TrapCode::HEAP_OUT_OF_BOUNDS.to_string(), "heap_oob");
        for bad in [
            "user0",
            "user251",
            "user256",
            "user",
            "oob",
            "user+1",
            "stack_overflow",
        ] {
            assert_eq!(TrapCode::parse(bad), None, "{bad}");
        }
    }
}
