//! Value types, as CLIF spells them: `i8`…`i128`, `f16`…`f128`, and fixed vectors such as `i32x4`.
//!
//! A [`Type`] is one byte: the low nibble is the lane kind, the high nibble the log2 of the lane
//! count. Scalars have one lane, so a scalar's code is its lane kind; `INVALID` (0) stands for "no
//! type", the controlling type of an instruction that has none.

use std::fmt;

/// A CLIF value type. `Copy`, one byte, compared by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Type(u8);

const LANE_MASK: u8 = 0x0f;
const LOG2_LANES_SHIFT: u8 = 4;

impl Type {
    /// No type: the controlling type of a non-polymorphic instruction.
    pub const INVALID: Type = Type(0);
    pub const I8: Type = Type(1);
    pub const I16: Type = Type(2);
    pub const I32: Type = Type(3);
    pub const I64: Type = Type(4);
    pub const I128: Type = Type(5);
    pub const F16: Type = Type(6);
    pub const F32: Type = Type(7);
    pub const F64: Type = Type(8);
    pub const F128: Type = Type(9);
    pub const I8X16: Type = Type(0x41);
    pub const I16X8: Type = Type(0x32);
    pub const I32X4: Type = Type(0x23);
    pub const I64X2: Type = Type(0x14);
    pub const F32X4: Type = Type(0x27);
    pub const F64X2: Type = Type(0x18);

    /// Every scalar type, in a fixed order (useful for tables indexed by type).
    pub const SCALARS: [Type; 9] = [
        Type::I8,
        Type::I16,
        Type::I32,
        Type::I64,
        Type::I128,
        Type::F16,
        Type::F32,
        Type::F64,
        Type::F128,
    ];

    /// The raw one-byte code, for dense tables.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The type with the given raw code, if the code is a valid type.
    pub fn from_code(code: u8) -> Option<Type> {
        let t = Type(code);
        let lane = code & LANE_MASK;
        let valid = code == 0 || ((1..=9).contains(&lane) && t.bits() <= 512);
        valid.then_some(t)
    }

    /// The type of one lane (the type itself for scalars).
    pub fn lane_type(self) -> Type {
        Type(self.0 & LANE_MASK)
    }

    pub fn log2_lane_count(self) -> u32 {
        u32::from(self.0 >> LOG2_LANES_SHIFT)
    }

    pub fn lane_count(self) -> u32 {
        1 << self.log2_lane_count()
    }

    /// Width of one lane in bits; 0 for `INVALID`.
    pub fn lane_bits(self) -> u32 {
        match self.lane_type() {
            Type::I8 => 8,
            Type::I16 | Type::F16 => 16,
            Type::I32 | Type::F32 => 32,
            Type::I64 | Type::F64 => 64,
            Type::I128 | Type::F128 => 128,
            _ => 0,
        }
    }

    /// Width of the whole type in bits; 0 for `INVALID`.
    pub fn bits(self) -> u32 {
        self.lane_bits() * self.lane_count()
    }

    pub fn bytes(self) -> u32 {
        self.bits() / 8
    }

    pub fn is_invalid(self) -> bool {
        self == Type::INVALID
    }

    pub fn is_vector(self) -> bool {
        self.log2_lane_count() > 0
    }

    /// A scalar integer type (`i8`…`i128`).
    pub fn is_int(self) -> bool {
        matches!(
            self,
            Type::I8 | Type::I16 | Type::I32 | Type::I64 | Type::I128
        )
    }

    /// A scalar float type (`f16`…`f128`).
    pub fn is_float(self) -> bool {
        matches!(self, Type::F16 | Type::F32 | Type::F64 | Type::F128)
    }

    /// Integer lanes, scalar or vector.
    pub fn has_int_lanes(self) -> bool {
        self.lane_type().is_int()
    }

    /// Float lanes, scalar or vector.
    pub fn has_float_lanes(self) -> bool {
        self.lane_type().is_float()
    }

    /// A vector of `lanes` lanes of this scalar type, if such a type exists (at most 512 bits).
    pub fn by(self, lanes: u32) -> Option<Type> {
        if self.is_vector() || self.is_invalid() || !lanes.is_power_of_two() || lanes > 256 {
            return None;
        }
        let log2 = lanes.trailing_zeros() as u8;
        let t = Type(self.0 | (log2 << LOG2_LANES_SHIFT));
        (t.bits() <= 512).then_some(t)
    }

    /// The same shape with lanes replaced by `lane` (e.g. `f32x4` → `i32x4` with `I32`).
    pub fn with_lane_type(self, lane: Type) -> Type {
        Type((self.0 & !LANE_MASK) | lane.lane_type().0)
    }

    /// The integer type with the given bit width, if there is one.
    pub fn int_with_bits(bits: u32) -> Option<Type> {
        match bits {
            8 => Some(Type::I8),
            16 => Some(Type::I16),
            32 => Some(Type::I32),
            64 => Some(Type::I64),
            128 => Some(Type::I128),
            _ => None,
        }
    }

    /// The float type with the given bit width, if there is one.
    pub fn float_with_bits(bits: u32) -> Option<Type> {
        match bits {
            16 => Some(Type::F16),
            32 => Some(Type::F32),
            64 => Some(Type::F64),
            128 => Some(Type::F128),
            _ => None,
        }
    }

    /// The integer type of the same lane width and count (`f32x4` → `i32x4`, `f64` → `i64`).
    pub fn as_int(self) -> Type {
        let lane = Type::int_with_bits(self.lane_bits()).unwrap_or(Type::INVALID);
        self.with_lane_type(lane)
    }

    /// Lanes twice as wide, same lane count (`i32` → `i64`); `None` past 128 bits.
    pub fn double_width(self) -> Option<Type> {
        let lane = if self.has_int_lanes() {
            Type::int_with_bits(self.lane_bits() * 2)
        } else {
            Type::float_with_bits(self.lane_bits() * 2)
        }?;
        let t = self.with_lane_type(lane);
        (t.bits() <= 512).then_some(t)
    }

    /// Lanes half as wide, same lane count (`i64` → `i32`); `None` below 8 bits.
    pub fn half_width(self) -> Option<Type> {
        let lane = if self.has_int_lanes() {
            Type::int_with_bits(self.lane_bits() / 2)
        } else {
            Type::float_with_bits(self.lane_bits() / 2)
        }?;
        Some(self.with_lane_type(lane))
    }

    /// Parses a CLIF type name (`i32`, `f64`, `i8x16`).
    pub fn parse(s: &str) -> Option<Type> {
        let (lane, lanes) = match s.split_once('x') {
            Some((lane, lanes)) => (lane, lanes.parse::<u32>().ok()?),
            None => (s, 1),
        };
        let lane = match lane {
            "i8" => Type::I8,
            "i16" => Type::I16,
            "i32" => Type::I32,
            "i64" => Type::I64,
            "i128" => Type::I128,
            "f16" => Type::F16,
            "f32" => Type::F32,
            "f64" => Type::F64,
            "f128" => Type::F128,
            _ => return None,
        };
        if lanes == 1 && !s.contains('x') {
            Some(lane)
        } else if lanes >= 2 {
            lane.by(lanes)
        } else {
            None
        }
    }

    fn lane_name(self) -> &'static str {
        match self.lane_type() {
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::I128 => "i128",
            Type::F16 => "f16",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::F128 => "f128",
            _ => "INVALID",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_vector() {
            write!(f, "{}x{}", self.lane_name(), self.lane_count())
        } else {
            f.write_str(self.lane_name())
        }
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "i8", "i16", "i32", "i64", "i128", "f16", "f32", "f64", "f128",
        ] {
            assert_eq!(Type::parse(name).unwrap().to_string(), name);
        }
        for name in [
            "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2", "i8x8", "i32x2",
        ] {
            assert_eq!(Type::parse(name).unwrap().to_string(), name);
        }
        for bad in [
            "i7", "x4", "i32x", "i32x3", "i32x1", "f64x16", "i32x4x2", "",
        ] {
            assert_eq!(Type::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn shapes() {
        let v = Type::parse("i32x4").unwrap();
        assert_eq!((v.bits(), v.lane_count(), v.lane_bits()), (128, 4, 32));
        assert_eq!(v.lane_type(), Type::I32);
        assert_eq!(Type::parse("f32x4").unwrap().as_int(), v);
        assert_eq!(Type::I32X4, v);
        for (t, name) in [
            (Type::I8X16, "i8x16"),
            (Type::I16X8, "i16x8"),
            (Type::I64X2, "i64x2"),
            (Type::F32X4, "f32x4"),
            (Type::F64X2, "f64x2"),
        ] {
            assert_eq!(t.to_string(), name);
        }
        assert_eq!(Type::I32.double_width(), Some(Type::I64));
        assert_eq!(Type::I8.half_width(), None);
        assert!(Type::I128.is_int() && !Type::F64.is_int() && Type::F64.is_float());
        for code in 0..=255u8 {
            if let Some(t) = Type::from_code(code) {
                assert_eq!(t.code(), code);
            }
        }
    }
}
