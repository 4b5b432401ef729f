//! The Rust side of `rules/prelude.rules`: bindings of its externs and the IR type constants.
//! Every host starts from [`standard_env`] and adds its own terms.

use super::env::TermEnv;
use super::exec::Host;
use crate::ir::Type;

/// The prelude's extern bindings and the constants `$I8` … `$F128`, the 128-bit vector types
/// `$I8X16` … `$F64X2` and `$INVALID`.
pub fn standard_env<H: 'static>() -> TermEnv<H> {
    let mut env = TermEnv::new();
    env.constructor("u64_add", |_: &mut H, a: u64, b: u64| a.wrapping_add(b))
        .constructor("u64_sub", |_: &mut H, a: u64, b: u64| a.wrapping_sub(b))
        .constructor("u64_mul", |_: &mut H, a: u64, b: u64| a.wrapping_mul(b))
        .constructor("u64_and", |_: &mut H, a: u64, b: u64| a & b)
        .constructor("u64_or", |_: &mut H, a: u64, b: u64| a | b)
        .constructor("u64_xor", |_: &mut H, a: u64, b: u64| a ^ b)
        .constructor("u64_not", |_: &mut H, a: u64| !a)
        .constructor("u64_shl", |_: &mut H, a: u64, b: u64| a << (b & 63))
        .constructor("u64_ushr", |_: &mut H, a: u64, b: u64| a >> (b & 63))
        .constructor("u64_eq", |_: &mut H, a: u64, b: u64| a == b)
        .constructor("u64_lt", |_: &mut H, a: u64, b: u64| a < b)
        .constructor("u64_le", |_: &mut H, a: u64, b: u64| a <= b)
        .constructor("i64_lt", |_: &mut H, a: i64, b: i64| a < b)
        .constructor("bool_not", |_: &mut H, a: bool| !a)
        .partial_constructor("u64_fail", |_: &mut H| None::<u64>)
        .constructor("u64_is_power_of_two", |_: &mut H, a: u64| {
            a.is_power_of_two()
        })
        .partial_constructor("u64_log2", |_: &mut H, a: u64| {
            a.is_power_of_two().then(|| a.trailing_zeros() as u8)
        })
        .constructor("i64_as_u64", |_: &mut H, a: i64| a as u64)
        .constructor("u64_as_i64", |_: &mut H, a: u64| a as i64)
        .constructor("u32_as_u64", |_: &mut H, a: u32| u64::from(a))
        .constructor("u8_as_i64", |_: &mut H, a: u8| i64::from(a))
        .partial_constructor("i64_to_i32", |_: &mut H, a: i64| i32::try_from(a).ok())
        .partial_constructor("u64_to_u32", |_: &mut H, a: u64| u32::try_from(a).ok())
        .constructor("ty_bits", |_: &mut H, t: Type| t.bits())
        .constructor("ty_bytes", |_: &mut H, t: Type| t.bytes())
        .constructor("ty_is_int", |_: &mut H, t: Type| t.is_int())
        .constructor("ty_is_float", |_: &mut H, t: Type| t.is_float())
        .constructor("ty_is_vector", |_: &mut H, t: Type| t.is_vector())
        .extractor("fits_in_32", |_: &mut H, t: Type| {
            (!t.is_invalid() && t.bits() <= 32).then_some((t,))
        })
        .extractor("fits_in_64", |_: &mut H, t: Type| {
            (!t.is_invalid() && t.bits() <= 64).then_some((t,))
        })
        .extractor("ty_int", |_: &mut H, t: Type| t.is_int().then_some((t,)))
        .extractor("ty_float", |_: &mut H, t: Type| {
            t.is_float().then_some((t,))
        })
        .extractor("ty_vec", |_: &mut H, t: Type| t.is_vector().then_some((t,)))
        .extractor("ty_vec128", |_: &mut H, t: Type| {
            (t.is_vector() && t.bits() == 128).then_some((t,))
        })
        .extractor("ty_vec_narrow", |_: &mut H, t: Type| {
            (t.is_vector() && t.bits() < 128).then_some((t,))
        })
        .constructor("ty_lane_type", |_: &mut H, t: Type| t.lane_type())
        .constructor("ty_lane_bits", |_: &mut H, t: Type| t.lane_bits())
        .constructor("ty_lane_count", |_: &mut H, t: Type| t.lane_count())
        .extractor("lanes32", |_: &mut H, t: Type| {
            (t.is_vector() && t.lane_bits() == 32).then_some((t,))
        })
        .extractor("lanes64", |_: &mut H, t: Type| {
            (t.is_vector() && t.lane_bits() == 64).then_some((t,))
        })
        .constructor("ty_as_int", |_: &mut H, t: Type| t.as_int());
    for (name, t) in [
        ("INVALID", Type::INVALID),
        ("I8", Type::I8),
        ("I16", Type::I16),
        ("I32", Type::I32),
        ("I64", Type::I64),
        ("I128", Type::I128),
        ("F16", Type::F16),
        ("F32", Type::F32),
        ("F64", Type::F64),
        ("F128", Type::F128),
        ("I8X16", Type::I8X16),
        ("I16X8", Type::I16X8),
        ("I32X4", Type::I32X4),
        ("I64X2", Type::I64X2),
        ("F32X4", Type::F32X4),
        ("F64X2", Type::F64X2),
    ] {
        env.constant(name, "Type", u64::from(t.code()));
    }
    env
}

/// A host with no IR, for compiling and checking rules that are not run (`rulesel check`).
/// It has no instructions: every opcode query answers "none".
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHost;

impl Host for NoHost {
    fn inst_opcode(&self, _inst: u64) -> u32 {
        u32::MAX
    }
    fn inst_value(&self, _inst: u64, _index: u32) -> u64 {
        0
    }
    fn inst_immediate(&self, _inst: u64, _index: u32) -> u64 {
        0
    }
    fn inst_ctrl_type(&self, _inst: u64) -> u64 {
        0
    }
    fn value_def(&self, _value: u64) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsl::{compile, embedded_sources, Machine};

    #[test]
    fn embedded_prelude_compiles_and_runs() {
        let prog = compile(embedded_sources(), standard_env::<NoHost>()).expect("prelude compiles");
        assert!(prog.warnings.is_empty(), "{:?}", prog.warnings);
        let mut m = Machine::new();
        let zero = prog.term("u64_is_zero").unwrap();
        assert_eq!(m.run(&prog, &mut NoHost, zero, &[0]), Ok(Some(1)));
        assert_eq!(m.run(&prog, &mut NoHost, zero, &[7]), Ok(Some(0)));
        let nz = prog.term("u64_nonzero").unwrap();
        assert_eq!(m.run(&prog, &mut NoHost, nz, &[0]), Ok(None));
        assert_eq!(m.run(&prog, &mut NoHost, nz, &[9]), Ok(Some(9)));
    }
}
