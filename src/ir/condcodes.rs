//! Condition codes of `icmp` (`IntCC`) and `fcmp` (`FloatCC`), by their CLIF names.

use std::fmt;

macro_rules! cond_codes {
    ($(#[$attr:meta])* $name:ident { $($(#[$vattr:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum $name { $($(#[$vattr])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|c| c.name() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

cond_codes! {
    /// An integer comparison. `s`/`u` say whether operands are read as signed or unsigned.
    IntCC {
        Equal = "eq",
        NotEqual = "ne",
        SignedLessThan = "slt",
        SignedGreaterThanOrEqual = "sge",
        SignedGreaterThan = "sgt",
        SignedLessThanOrEqual = "sle",
        UnsignedLessThan = "ult",
        UnsignedGreaterThanOrEqual = "uge",
        UnsignedGreaterThan = "ugt",
        UnsignedLessThanOrEqual = "ule",
    }
}

cond_codes! {
    /// A float comparison. Names with a `u` prefix are also true when the operands are unordered
    /// (one is NaN); `ord`/`uno` test orderedness alone.
    FloatCC {
        Ordered = "ord",
        Unordered = "uno",
        Equal = "eq",
        NotEqual = "ne",
        OrderedNotEqual = "one",
        UnorderedOrEqual = "ueq",
        LessThan = "lt",
        LessThanOrEqual = "le",
        GreaterThan = "gt",
        GreaterThanOrEqual = "ge",
        UnorderedOrLessThan = "ult",
        UnorderedOrLessThanOrEqual = "ule",
        UnorderedOrGreaterThan = "ugt",
        UnorderedOrGreaterThanOrEqual = "uge",
    }
}

impl IntCC {
    /// The condition that holds exactly when `self` does not.
    pub fn inverse(self) -> IntCC {
        use IntCC::*;
        match self {
            Equal => NotEqual,
            NotEqual => Equal,
            SignedLessThan => SignedGreaterThanOrEqual,
            SignedGreaterThanOrEqual => SignedLessThan,
            SignedGreaterThan => SignedLessThanOrEqual,
            SignedLessThanOrEqual => SignedGreaterThan,
            UnsignedLessThan => UnsignedGreaterThanOrEqual,
            UnsignedGreaterThanOrEqual => UnsignedLessThan,
            UnsignedGreaterThan => UnsignedLessThanOrEqual,
            UnsignedLessThanOrEqual => UnsignedGreaterThan,
        }
    }

    /// The condition with the operands swapped (`a < b` ⇔ `b > a`).
    pub fn swap_args(self) -> IntCC {
        use IntCC::*;
        match self {
            SignedLessThan => SignedGreaterThan,
            SignedGreaterThan => SignedLessThan,
            SignedGreaterThanOrEqual => SignedLessThanOrEqual,
            SignedLessThanOrEqual => SignedGreaterThanOrEqual,
            UnsignedLessThan => UnsignedGreaterThan,
            UnsignedGreaterThan => UnsignedLessThan,
            UnsignedGreaterThanOrEqual => UnsignedLessThanOrEqual,
            UnsignedLessThanOrEqual => UnsignedGreaterThanOrEqual,
            c => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &c in IntCC::ALL {
            assert_eq!(IntCC::parse(c.name()), Some(c));
            assert_eq!(c.inverse().inverse(), c);
            assert_eq!(c.swap_args().swap_args(), c);
        }
        for &c in FloatCC::ALL {
            assert_eq!(FloatCC::parse(c.name()), Some(c));
        }
        assert_eq!(IntCC::parse("lt"), None);
        assert_eq!(FloatCC::parse("slt"), None);
    }
}
