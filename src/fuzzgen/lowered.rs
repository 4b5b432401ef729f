//! What the generator aims at: the (opcode, controlling type) pairs the embedded x64 rules
//! lower ([`crate::ruletools::lowered_pairs`], the complement of what `rulesel check` reports
//! as uncovered), derived from the rules once per process. The generator makes an instruction
//! only when its pair is here, so a rule added for a new pair is fuzzed without touching the
//! generator's tables, and `rulesel fuzz --stats` shows a pair the generator never makes.
//!
//! Some lowered pairs cannot be written as valid CLIF that runs the same under Cranelift's
//! interpreter; [`UNGENERATED`] lists them, each with the reason.

use super::program::Ty;
use crate::ir::{Opcode, Type};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The lowered pairs, as a set.
pub struct Lowered {
    pairs: HashSet<(Opcode, Type)>,
}

impl Lowered {
    /// Is `op` at controlling type `ty` (`None` for an opcode that is not polymorphic)
    /// lowered by the rules?
    pub fn has(&self, op: &str, ty: Option<Ty>) -> bool {
        let Some(opcode) = Opcode::from_name(op) else {
            return false;
        };
        self.pairs
            .contains(&(opcode, ty.map_or(Type::INVALID, ir_type)))
    }

    /// The pairs, sorted by opcode then type.
    pub fn all(&self) -> Vec<(Opcode, Type)> {
        let mut v: Vec<(Opcode, Type)> = self.pairs.iter().copied().collect();
        v.sort_by_key(|&(o, t)| (o.index(), t.code()));
        v
    }
}

/// The pairs the embedded rules lower (all pairs, if the rules do not compile: the generator
/// then makes everything it knows).
pub fn lowered() -> &'static Lowered {
    static LOWERED: OnceLock<Lowered> = OnceLock::new();
    LOWERED.get_or_init(|| {
        let pairs = crate::compile::rule_program()
            .and_then(crate::ruletools::lowered_pairs)
            .map(|list| {
                list.into_iter()
                    .flat_map(|(op, tys)| tys.into_iter().map(move |t| (op, t)))
                    .collect()
            })
            .unwrap_or_else(|_| {
                Opcode::ALL
                    .iter()
                    .flat_map(|&op| {
                        std::iter::once(Type::INVALID)
                            .chain(Ty::ALL.iter().map(|&t| ir_type(t)))
                            .map(move |t| (op, t))
                    })
                    .collect()
            });
        Lowered { pairs }
    })
}

/// rulesel's IR type for a generator type.
pub fn ir_type(ty: Ty) -> Type {
    match ty {
        Ty::I8 => Type::I8,
        Ty::I16 => Type::I16,
        Ty::I32 => Type::I32,
        Ty::I64 => Type::I64,
        Ty::I128 => Type::I128,
        Ty::F32 => Type::F32,
        Ty::F64 => Type::F64,
    }
}

/// Lowered pairs the generator does not make, with why. Each is either not valid CLIF for
/// Cranelift (rulesel's opcode table accepts a wider set of controlling types than Cranelift's
/// for some opcodes, and the rules then "cover" those types too) or cannot be compared.
pub const UNGENERATED: &[(&str, &[Ty], &str)] = &[
    (
        "stack_switch",
        &[Ty::I64],
        "Cranelift's interpreter has no stack_switch (run test: tests/runtests/stack_switch.clif)",
    ),
    (
        "tls_value",
        &[Ty::I64],
        "only in objects (ELF general-dynamic), not in the JIT nor Cranelift's interpreter (tests/program_tls.rs)",
    ),
    (
        "uload8",
        &[Ty::I8, Ty::I128],
        "Cranelift's uload8/sload8 produce i16 to i64",
    ),
    (
        "sload8",
        &[Ty::I8, Ty::I128],
        "Cranelift's uload8/sload8 produce i16 to i64",
    ),
    (
        "uload16",
        &[Ty::I8, Ty::I16, Ty::I128],
        "Cranelift's uload16/sload16 produce i32 or i64",
    ),
    (
        "sload16",
        &[Ty::I8, Ty::I16, Ty::I128],
        "Cranelift's uload16/sload16 produce i32 or i64",
    ),
    (
        "uload32",
        &[Ty::I8, Ty::I16, Ty::I32, Ty::I128],
        "Cranelift's uload32/sload32 produce i64",
    ),
    (
        "sload32",
        &[Ty::I8, Ty::I16, Ty::I32, Ty::I128],
        "Cranelift's uload32/sload32 produce i64",
    ),
    (
        "istore8",
        &[Ty::I8, Ty::I128],
        "Cranelift's istore8 stores from i16 to i64",
    ),
    (
        "istore16",
        &[Ty::I8, Ty::I16, Ty::I128],
        "Cranelift's istore16 stores from i32 or i64",
    ),
    (
        "istore32",
        &[Ty::I8, Ty::I16, Ty::I32, Ty::I128],
        "Cranelift's istore32 stores from i64",
    ),
    (
        "uadd_overflow_trap",
        &[Ty::I8, Ty::I16],
        "Cranelift's uadd_overflow_trap takes i32 or i64",
    ),
    (
        "uextend",
        &[Ty::I8],
        "no integer type is narrower than i8 to extend from",
    ),
    (
        "sextend",
        &[Ty::I8],
        "no integer type is narrower than i8 to extend from",
    ),
];

/// Is the pair in [`UNGENERATED`]?
pub fn ungenerated(op: &str, ty: Option<Ty>) -> bool {
    UNGENERATED
        .iter()
        .any(|(o, tys, _)| *o == op && ty.is_some_and(|t| tys.contains(&t)))
}
