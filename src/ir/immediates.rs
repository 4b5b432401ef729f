//! Immediate operands and literals: `Imm64`, `Offset32`, the `Ieee16/32/64/128` float bit
//! patterns, and the text forms CLIF uses for them.
//!
//! Floats are kept as bit patterns, never as host floats, so NaN payloads and `f16`/`f128` values
//! survive parsing and printing exactly. Text forms are Cranelift's: hex floats `0x1.8p3` (the
//! printer writes every mantissa digit), `0.0`, `-0.0`, `+Inf`, `-Inf`, `+NaN`, `+NaN:0x1`
//! (quiet with payload), `-sNaN:0x1` (signalling); decimal literals such as `-2.0` are accepted
//! when the value is exactly representable.

use std::fmt;

/// Parses an integer literal: decimal or `0x` hex, optional sign, `_` separators allowed.
/// Returns whether it was negative and its magnitude. The magnitude must fit in 128 bits.
pub fn parse_int_literal(text: &str) -> Result<(bool, u128), String> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(hex) => (16, hex),
        None => (10, rest),
    };
    let mut magnitude: u128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c
            .to_digit(radix)
            .ok_or_else(|| format!("invalid digit '{c}' in integer literal '{text}'"))?;
        magnitude = magnitude
            .checked_mul(u128::from(radix))
            .and_then(|m| m.checked_add(u128::from(d)))
            .ok_or_else(|| format!("integer literal '{text}' is too large"))?;
        any = true;
    }
    if !any {
        return Err(format!("integer literal '{text}' has no digits"));
    }
    Ok((negative, magnitude))
}

/// Parses an integer literal for a `bits`-wide integer and returns its bit pattern, zero-extended.
/// Both signed (`-1`) and unsigned (`0xff`) spellings of a `bits`-wide value are accepted.
pub fn parse_int_bits(text: &str, bits: u32) -> Result<u128, String> {
    if bits == 0 || bits > 128 {
        return Err(format!("no integer literal of {bits} bits is supported"));
    }
    let (negative, magnitude) = parse_int_literal(text)?;
    let mask = if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    let fits = if negative {
        magnitude <= (1u128 << (bits - 1))
    } else {
        magnitude <= mask
    };
    if !fits {
        return Err(format!(
            "integer literal '{text}' does not fit in {bits} bits"
        ));
    }
    let value = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    Ok(value & mask)
}

/// A 64-bit immediate, as written in `iconst` and the `*_imm` instructions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Imm64(pub i64);

impl Imm64 {
    pub fn parse(text: &str) -> Result<Imm64, String> {
        let bits = parse_int_bits(text, 64)?;
        Ok(Imm64(bits as u64 as i64))
    }

    /// The value truncated to `bits` and zero-extended (`iconst` keeps its immediate this way).
    pub fn zero_extend_from(self, bits: u32) -> Imm64 {
        if bits >= 64 {
            self
        } else {
            Imm64(((self.0 as u64) & ((1u64 << bits) - 1)) as i64)
        }
    }
}

/// Small values print in decimal, others as hex in groups of four digits (`0xffff_ffff`).
impl fmt::Display for Imm64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (-10_000..10_000).contains(&self.0) {
            write!(f, "{}", self.0)
        } else {
            write_hex_grouped(f, u128::from(self.0 as u64))
        }
    }
}

/// Writes `0x` and the digits of `value`, an `_` between groups of four.
pub fn write_hex_grouped(f: &mut impl fmt::Write, value: u128) -> fmt::Result {
    let digits = format!("{value:x}");
    f.write_str("0x")?;
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 4 == 0 {
            f.write_char('_')?;
        }
        f.write_char(c)?;
    }
    Ok(())
}

/// A signed 32-bit address offset; prints as `+8`, `-8`, or nothing when zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Offset32(pub i32);

impl Offset32 {
    pub fn parse(text: &str) -> Result<Offset32, String> {
        let (negative, magnitude) = parse_int_literal(text)?;
        let value = i128::try_from(magnitude)
            .ok()
            .map(|m| if negative { -m } else { m })
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| format!("offset '{text}' does not fit in 32 bits"))?;
        Ok(Offset32(value))
    }
}

impl fmt::Display for Offset32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            n if n > 0 => write!(f, "+{n}"),
            n => write!(f, "{n}"),
        }
    }
}

/// The shape of an IEEE 754 binary format.
#[derive(Clone, Copy)]
struct FloatFormat {
    exp_bits: u32,
    mant_bits: u32,
}

impl FloatFormat {
    fn bias(self) -> i64 {
        (1i64 << (self.exp_bits - 1)) - 1
    }

    fn max_exp(self) -> u128 {
        (1u128 << self.exp_bits) - 1
    }

    fn total_bits(self) -> u32 {
        1 + self.exp_bits + self.mant_bits
    }
}

const F16: FloatFormat = FloatFormat {
    exp_bits: 5,
    mant_bits: 10,
};
const F32: FloatFormat = FloatFormat {
    exp_bits: 8,
    mant_bits: 23,
};
const F64: FloatFormat = FloatFormat {
    exp_bits: 11,
    mant_bits: 52,
};
const F128: FloatFormat = FloatFormat {
    exp_bits: 15,
    mant_bits: 112,
};

/// Encodes `(-1)^negative * significand * 2^exp2` exactly, or fails if it is not representable.
fn encode_exact(
    fmt: FloatFormat,
    negative: bool,
    significand: u128,
    exp2: i64,
) -> Result<u128, String> {
    let sign = u128::from(negative) << (fmt.total_bits() - 1);
    if significand == 0 {
        return Ok(sign);
    }
    let len = i64::from(128 - significand.leading_zeros());
    let top = exp2 + len - 1;
    let mant_bits = i64::from(fmt.mant_bits);
    if top > fmt.bias() {
        return Err("float literal is too large for its type".into());
    }
    let emin = 1 - fmt.bias();
    // The exponent of the significand's lowest bit after encoding, and the stored exponent.
    let (low_exp, biased) = if top >= emin {
        (top - mant_bits, (top + fmt.bias()) as u128)
    } else {
        (emin - mant_bits, 0)
    };
    let shift = low_exp - exp2;
    let mantissa = if shift > 0 {
        let lost = if shift >= 128 {
            significand
        } else {
            significand & ((1u128 << shift) - 1)
        };
        if lost != 0 {
            return Err("float literal has too many significant bits for its type".into());
        }
        significand >> shift
    } else {
        significand << (-shift)
    };
    let mant_mask = (1u128 << fmt.mant_bits) - 1;
    Ok(sign | (biased << fmt.mant_bits) | (mantissa & mant_mask))
}

fn parse_float(text: &str, fmt: FloatFormat) -> Result<u128, String> {
    let bad = |why: &str| format!("invalid float literal '{text}': {why}");
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = u128::from(negative) << (fmt.total_bits() - 1);
    let exp_all_ones = fmt.max_exp() << fmt.mant_bits;
    let quiet_bit = 1u128 << (fmt.mant_bits - 1);
    if body == "Inf" {
        return Ok(sign | exp_all_ones);
    }
    if let Some(nan) = body
        .strip_prefix("NaN")
        .or_else(|| body.strip_prefix("sNaN"))
    {
        let signalling = body.starts_with('s');
        let payload = match nan.strip_prefix(':') {
            None if nan.is_empty() => 0,
            None => return Err(bad("unexpected text after NaN")),
            Some(p) => match parse_int_literal(p) {
                Ok((false, v)) if p.starts_with("0x") => v,
                _ => return Err(bad("NaN payload must be a hex number")),
            },
        };
        if payload >= quiet_bit || (signalling && payload == 0) {
            return Err(bad("NaN payload out of range"));
        }
        let quiet = if signalling { 0 } else { quiet_bit };
        return Ok(sign | exp_all_ones | quiet | payload);
    }
    if let Some(hex) = body.strip_prefix("0x") {
        let (digits, exp) = match hex.split_once('p') {
            Some((d, e)) => {
                let e = e.parse::<i64>().map_err(|_| bad("bad exponent"))?;
                if e.unsigned_abs() > 100_000 {
                    return Err(bad("exponent out of range"));
                }
                (d, e)
            }
            None => (hex, 0),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let mut significand: u128 = 0;
        let mut exp2 = exp;
        let mut any = false;
        for (c, is_frac) in int_part
            .chars()
            .map(|c| (c, false))
            .chain(frac_part.chars().map(|c| (c, true)))
        {
            if c == '_' {
                continue;
            }
            let d = c.to_digit(16).ok_or_else(|| bad("bad hex digit"))?;
            any = true;
            if significand >> 124 != 0 {
                // No room: keep dropping digits, which must be zero to stay exact.
                if d != 0 {
                    return Err(bad("too many significant digits"));
                }
                if !is_frac {
                    exp2 += 4;
                }
                continue;
            }
            significand = (significand << 4) | u128::from(d);
            if is_frac {
                exp2 -= 4;
            }
        }
        if !any {
            return Err(bad("no digits"));
        }
        return encode_exact(fmt, negative, significand, exp2).map_err(|e| bad(&e));
    }
    if body.starts_with(|c: char| c.is_ascii_digit()) && !body.contains("_") {
        // A decimal literal: read it with correct rounding as f32 when that is the target,
        // otherwise as f64, then re-encode exactly.
        if fmt.total_bits() == 32 {
            let v = text.parse::<f32>().map_err(|_| bad("not a number"))?;
            if !v.is_finite() {
                return Err(bad("too large"));
            }
            return Ok(u128::from(v.to_bits()));
        }
        let v = body.parse::<f64>().map_err(|_| bad("not a number"))?;
        if !v.is_finite() {
            return Err(bad("too large"));
        }
        let bits = v.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let mant = u128::from(bits & ((1u64 << 52) - 1));
        let (significand, exp2) = if exp == 0 {
            (mant, -1074)
        } else {
            (mant | (1u128 << 52), exp - 1075)
        };
        return encode_exact(fmt, negative, significand, exp2).map_err(|e| bad(&e));
    }
    Err(bad("expected a hex float, a decimal, Inf or NaN"))
}

fn format_float(f: &mut fmt::Formatter<'_>, bits: u128, fmt: FloatFormat) -> fmt::Result {
    let negative = (bits >> (fmt.total_bits() - 1)) & 1 == 1;
    let exp = (bits >> fmt.mant_bits) & fmt.max_exp();
    let mant = bits & ((1u128 << fmt.mant_bits) - 1);
    let sign = if negative { "-" } else { "" };
    if exp == fmt.max_exp() {
        let signed = if negative { "-" } else { "+" };
        let quiet_bit = 1u128 << (fmt.mant_bits - 1);
        let payload = mant & (quiet_bit - 1);
        return if mant == 0 {
            write!(f, "{signed}Inf")
        } else if mant & quiet_bit != 0 {
            write!(f, "{signed}NaN")?;
            if payload != 0 {
                write!(f, ":0x{payload:x}")?;
            }
            Ok(())
        } else {
            write!(f, "{signed}sNaN:0x{payload:x}")
        };
    }
    let digits = fmt.mant_bits.div_ceil(4) as usize;
    let padded = mant << (digits as u32 * 4 - fmt.mant_bits);
    if exp == 0 {
        if mant == 0 {
            return write!(f, "{sign}0.0");
        }
        return write!(f, "{sign}0x0.{padded:0digits$x}p{}", 1 - fmt.bias());
    }
    let e = exp as i64 - fmt.bias();
    write!(f, "{sign}0x1.{padded:0digits$x}p{e}")
}

macro_rules! ieee {
    ($(#[$attr:meta])* $name:ident($bits:ty), $fmt:expr) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
        pub struct $name(pub $bits);

        impl $name {
            /// Parses a CLIF float literal of this width.
            pub fn parse(text: &str) -> Result<$name, String> {
                // The formats' widths match `$bits`, so the pattern fits.
                parse_float(text, $fmt).map(|b| $name(b as $bits))
            }

            pub fn bits(self) -> $bits {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_float(f, u128::from(self.0), $fmt)
            }
        }
    };
}

ieee!(
    /// An `f16` bit pattern.
    Ieee16(u16),
    F16
);
ieee!(
    /// An `f32` bit pattern.
    Ieee32(u32),
    F32
);
ieee!(
    /// An `f64` bit pattern.
    Ieee64(u64),
    F64
);
ieee!(
    /// An `f128` bit pattern.
    Ieee128(u128),
    F128
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_literals() {
        assert_eq!(parse_int_bits("-1", 8), Ok(0xff));
        assert_eq!(parse_int_bits("0xff", 8), Ok(0xff));
        assert!(parse_int_bits("256", 8).is_err());
        assert!(parse_int_bits("-129", 8).is_err());
        assert_eq!(parse_int_bits("-128", 8), Ok(0x80));
        assert_eq!(
            parse_int_bits("0xFFFFFFFF_FFFFFFFF_00000000_00000000", 128),
            Ok(0xFFFFFFFF_FFFFFFFF_00000000_00000000)
        );
        assert!(parse_int_literal("0x1_0000_0000_0000_0000_0000_0000_0000_0000").is_err());
        assert!(parse_int_literal("12a").is_err());
        assert!(parse_int_bits("-1", 0).is_err() && parse_int_bits("1", 256).is_err());
        assert!(parse_int_literal("-").is_err());
        assert_eq!(Imm64::parse("0xffff_ffff_ffff_ffff"), Ok(Imm64(-1)));
        assert_eq!(Imm64(-1).to_string(), "-1");
        assert_eq!(Imm64(0x1234_5678).to_string(), "0x1234_5678");
        assert_eq!(
            Offset32::parse("-8").map(|o| o.to_string()),
            Ok("-8".into())
        );
    }

    #[test]
    fn floats_round_trip() {
        let cases32 = [
            ("0x1.8p3", "0x1.800000p3"),
            ("-0.0", "-0.0"),
            ("0.0", "0.0"),
            ("+Inf", "+Inf"),
            ("-Inf", "-Inf"),
            ("NaN", "+NaN"),
            ("-NaN:0x1", "-NaN:0x1"),
            ("-sNaN:0x1", "-sNaN:0x1"),
            ("0x2.9", "0x1.480000p1"),
            ("-2.0", "-0x1.000000p1"),
            ("0x0.800000p-126", "0x0.800000p-126"),
        ];
        for (text, printed) in cases32 {
            let v = Ieee32::parse(text).unwrap();
            assert_eq!(v.to_string(), printed, "{text}");
            assert_eq!(Ieee32::parse(printed), Ok(v));
        }
        assert_eq!(Ieee32::parse("0x1.8p3").unwrap().0, 12.0f32.to_bits());
        assert_eq!(Ieee64::parse("0x1.0p0").unwrap().0, 1.0f64.to_bits());
        assert_eq!(Ieee16::parse("0x1.0p0").unwrap().0, 0x3c00);
        let f128 = Ieee128::parse("0x0.000000c0ffee000000000000beefp-16382").unwrap();
        assert_eq!(f128.0, 0x0000_0000_00c0_ffee_0000_0000_0000_beef);
        assert_eq!(Ieee128::parse(&f128.to_string()), Ok(f128));
        for bad in [
            "0x1.0p200",
            "NaN:0x400000",
            "sNaN",
            "0x",
            "1.2.3",
            "0x1.0000001p0",
            "x",
        ] {
            assert!(Ieee32::parse(bad).is_err(), "{bad}");
        }
    }
}
