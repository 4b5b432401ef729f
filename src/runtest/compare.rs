//! Comparing the values a run command expects with those a call returned, as Cranelift's run
//! tests do: integers by their bits at the type's width, floats by bits except that any two NaNs
//! are equal, vectors lane by lane with the lane type's rule.

use crate::ir::{DataValue, Expectation, Type};

/// Do `expected` and `actual` (both of type `ty`) count as the same value?
pub fn values_equal(ty: Type, expected: DataValue, actual: DataValue) -> bool {
    let (lane, lanes) = if ty.is_vector() {
        (ty.lane_type(), ty.lane_count())
    } else {
        (ty, 1)
    };
    let bits = lane.bits();
    let mask = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    (0..lanes).all(|i| {
        let e = (expected.bits() >> (i * bits)) & mask;
        let a = (actual.bits() >> (i * bits)) & mask;
        e == a || (lane.is_float() && is_nan(lane, e) && is_nan(lane, a))
    })
}

/// Is `bits` a NaN of float type `ty`?
fn is_nan(ty: Type, bits: u128) -> bool {
    let (exponent_bits, mantissa_bits) = match ty {
        Type::F16 => (5, 10),
        Type::F32 => (8, 23),
        Type::F64 => (11, 52),
        Type::F128 => (15, 112),
        _ => return false,
    };
    let exponent = (bits >> mantissa_bits) & ((1 << exponent_bits) - 1);
    let mantissa = bits & ((1 << mantissa_bits) - 1);
    exponent == (1 << exponent_bits) - 1 && mantissa != 0
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
    fn floats_compare_by_bits_but_nans_match() {
        let f = |x: f32| DataValue::F32(Ieee32(x.to_bits()));
        assert!(values_equal(Type::F32, f(1.5), f(1.5)));
        assert!(!values_equal(Type::F32, f(0.0), f(-0.0)));
        let quiet = DataValue::F32(Ieee32(0x7fc0_0000));
        let negative_payload = DataValue::F32(Ieee32(0xffc0_0001));
        assert!(values_equal(Type::F32, quiet, negative_payload));
        assert!(!values_equal(Type::F32, quiet, f(f32::INFINITY)));
        let d = DataValue::F64(Ieee64(f64::NAN.to_bits()));
        assert!(values_equal(
            Type::F64,
            d,
            DataValue::F64(Ieee64(0x7ff0_0000_0000_0001))
        ));
    }

    #[test]
    fn vectors_compare_lane_by_lane() {
        let nan_lanes = DataValue::V128((0x7fc0_0000u128 | (0x7fc0_0001u128 << 32)).to_le_bytes());
        let other_nans = DataValue::V128((0xffc0_0000u128 | (0x7f80_0001u128 << 32)).to_le_bytes());
        assert!(values_equal(Type::F32X4, nan_lanes, other_nans));
        assert!(!values_equal(Type::I32X4, nan_lanes, other_nans));
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
