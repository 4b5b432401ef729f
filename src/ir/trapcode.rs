//! Trap codes: why a trapping instruction stopped the program.
//!
//! The reserved codes have names (`heap_oob`, `int_divz`, …); embedders pick their own codes,
//! written `user1`…`user255`, which the back end reports without interpreting them.

use std::fmt;

/// A trap code. Reserved codes and user codes share one byte-sized space, as in Cranelift.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TrapCode {
    /// A reserved code with a name.
    Reserved(ReservedTrap),
    /// An embedder's code, `user1`…`user255`.
    User(u8),
}

/// The trap codes the compiler itself produces or that CLIF names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ReservedTrap {
    StackOverflow,
    HeapOutOfBounds,
    HeapMisaligned,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    UnreachableCodeReached,
    Interrupt,
    NullReference,
}

const RESERVED: [(ReservedTrap, &str); 12] = [
    (ReservedTrap::StackOverflow, "stack_overflow"),
    (ReservedTrap::HeapOutOfBounds, "heap_oob"),
    (ReservedTrap::HeapMisaligned, "heap_misaligned"),
    (ReservedTrap::TableOutOfBounds, "table_oob"),
    (ReservedTrap::IndirectCallToNull, "icall_null"),
    (ReservedTrap::BadSignature, "bad_sig"),
    (ReservedTrap::IntegerOverflow, "int_ovf"),
    (ReservedTrap::IntegerDivisionByZero, "int_divz"),
    (ReservedTrap::BadConversionToInteger, "bad_toint"),
    (ReservedTrap::UnreachableCodeReached, "unreachable"),
    (ReservedTrap::Interrupt, "interrupt"),
    (ReservedTrap::NullReference, "null_reference"),
];

impl TrapCode {
    pub const STACK_OVERFLOW: TrapCode = TrapCode::Reserved(ReservedTrap::StackOverflow);
    pub const HEAP_OUT_OF_BOUNDS: TrapCode = TrapCode::Reserved(ReservedTrap::HeapOutOfBounds);
    pub const INTEGER_OVERFLOW: TrapCode = TrapCode::Reserved(ReservedTrap::IntegerOverflow);
    pub const INTEGER_DIVISION_BY_ZERO: TrapCode =
        TrapCode::Reserved(ReservedTrap::IntegerDivisionByZero);
    pub const BAD_CONVERSION_TO_INTEGER: TrapCode =
        TrapCode::Reserved(ReservedTrap::BadConversionToInteger);
    pub const UNREACHABLE: TrapCode = TrapCode::Reserved(ReservedTrap::UnreachableCodeReached);

    /// Parses `heap_oob`, `user7`, … `user0` and codes past 255 are rejected.
    pub fn parse(s: &str) -> Option<TrapCode> {
        if let Some(n) = s.strip_prefix("user") {
            if n.starts_with('+') || n.starts_with('0') {
                return None;
            }
            return n.parse::<u8>().ok().map(TrapCode::User);
        }
        RESERVED
            .iter()
            .find(|(_, name)| *name == s)
            .map(|&(r, _)| TrapCode::Reserved(r))
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapCode::User(n) => write!(f, "user{n}"),
            TrapCode::Reserved(r) => {
                let name = RESERVED.iter().find(|(c, _)| c == r).map_or("?", |e| e.1);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (_, name) in RESERVED {
            assert_eq!(TrapCode::parse(name).unwrap().to_string(), name);
        }
        assert_eq!(TrapCode::parse("user42"), Some(TrapCode::User(42)));
        assert_eq!(TrapCode::User(1).to_string(), "user1");
        for bad in ["user0", "user256", "user", "user01", "oob", "user+1"] {
            assert_eq!(TrapCode::parse(bad), None, "{bad}");
        }
    }
}
