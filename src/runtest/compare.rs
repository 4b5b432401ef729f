//! Comparing the values a run command expects with those a call returned, as Cranelift's
//! `DataValue` equality does: every value by its bits at the type's width, vectors lane by lane.
//! For floats that makes a NaN equal to a NaN with the same sign and payload (unlike IEEE `==`),
//! and `-0.0` differ from `+0.0`. Run tests that compute a NaN whose payload is not specified
//! test it with `fcmp uno` instead; those that write `fabs(-NaN) == +NaN` mean the bits.

use crate::ir::{DataValue, Expectation, Type};

/// Do `expected` and `actual` (both of type `ty`) count as the same value?
pub fn values_equal(ty: Type, expected: DataValue, actual: DataValue) -> bool {
    let bits = ty.bits();
    let mask = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    expected.bits() & mask == actual.bits() & mask
}

/// Does a call that returned `actual` (of types `types`) meet `expectation`?
pub fn meets(expectation: &Expectation, types: &[Type], actual: &[DataValue]) -> bool {
    let all_equal = |expected: &[DataValue]| {
        expected.len() == actual.len()
            && types
                .iter()
                .zip(expected.iter().zip(actual))
                .all(|(&ty, (&e, &a))| values_equal(ty, e, a))
    };
    match expectation {
        Expectation::True => actual.len() == 1 && actual[0].bits() != 0,
        Expectation::Equal(expected) => all_equal(expected),
        Expectation::NotEqual(expected) => !all_equal(expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Ieee32, Ieee64};

    #[test]
    fn floats_compare_by_bits() {
        let f = |x: f32| DataValue::F32(Ieee32(x.to_bits()));
        assert!(values_equal(Type::F32, f(1.5), f(1.5)));
        assert!(!values_equal(Type::F32, f(0.0), f(-0.0)));
        let quiet = DataValue::F32(Ieee32(0x7fc0_0000));
        assert!(values_equal(Type::F32, quiet, quiet));
        assert!(!values_equal(
            Type::F32,
            quiet,
            DataValue::F32(Ieee32(0xffc0_0000))
        ));
        assert!(!values_equal(
            Type::F32,
            quiet,
            DataValue::F32(Ieee32(0x7fc0_0001))
        ));
        let d = DataValue::F64(Ieee64(f64::NAN.to_bits()));
        assert!(values_equal(Type::F64, d, d));
    }

    #[test]
    fn narrow_values_compare_at_their_width() {
        assert!(values_equal(Type::I8, DataValue::I8(-1), DataValue::I8(-1)));
        let lanes = DataValue::V128((1u128 | (2u128 << 32)).to_le_bytes());
        let other = DataValue::V128((1u128 | (3u128 << 32)).to_le_bytes());
        assert!(values_equal(Type::I32X4, lanes, lanes));
        assert!(!values_equal(Type::I32X4, lanes, other));
    }

    #[test]
    fn expectations() {
        let one = [DataValue::I8(1)];
        assert!(meets(&Expectation::True, &[Type::I8], &one));
        assert!(!meets(&Expectation::True, &[Type::I8], &[DataValue::I8(0)]));
        assert!(meets(
            &Expectation::NotEqual(vec![DataValue::I8(2)]),
            &[Type::I8],
            &one
        ));
        assert!(!meets(
            &Expectation::Equal(vec![DataValue::I8(2)]),
            &[Type::I8],
            &one
        ));
    }
}
