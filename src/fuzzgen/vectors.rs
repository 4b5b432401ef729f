//! Vector regions: straight-line code over 128-bit vectors, built from the scalars in scope and
//! reduced back to scalars, so that differential campaigns reach the vector lowering while the
//! rest of the generator (signatures, block parameters, the minimiser's constants) stays
//! scalar.
//!
//! ```text
//!  scalars in scope ─splat / scalar_to_vector / insertlane / vconst / i64 pairs / load─▶ vectors
//!  vectors ─random operations of every lowered family (arithmetic, compares, shifts, lanes,
//!           shuffles, widening, narrowing, conversions, float math, and the multi-instruction
//!           shapes rules match whole)─▶ vectors
//!  vectors ─extractlane / vany_true / vall_true / vhigh_bits / i64 pairs─▶ scalars in scope
//!  every vector of the region ─digest─▶ a store into a stack slot
//! ```
//!
//! The digest makes every vector observable: the function's last result folds in every slot's
//! bytes. Float vectors enter it with their NaNs made canonical first (`fcmp uno` selects a
//! fixed NaN by `bitselect`), because the interpreter and the hardware may make different NaN
//! payloads; every other bit, signs of zeros included, is compared.
//!
//! A vector line defines no value the generator tracks: it is kept as an effect, never replaced
//! by the minimiser. What the interpreter cannot run is left out: `avg_round`, the `x86_*`
//! opcodes, `blendv`, the extending `{u,s}load*x*` loads, and bitcasts between i128 and
//! vectors; those are covered by run tests.

use super::generate::{hex_float, interesting_bits, FuncGen, Scope};
use super::program::{BlockId, Line, Ty, Val};

/// A 128-bit vector type: its lane type and count.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct VTy {
    lane: Ty,
    lanes: u32,
}

const I8X16: VTy = VTy {
    lane: Ty::I8,
    lanes: 16,
};
const I16X8: VTy = VTy {
    lane: Ty::I16,
    lanes: 8,
};
const I32X4: VTy = VTy {
    lane: Ty::I32,
    lanes: 4,
};
const I64X2: VTy = VTy {
    lane: Ty::I64,
    lanes: 2,
};
const F32X4: VTy = VTy {
    lane: Ty::F32,
    lanes: 4,
};
const F64X2: VTy = VTy {
    lane: Ty::F64,
    lanes: 2,
};
const ALL: [VTy; 6] = [I8X16, I16X8, I32X4, I64X2, F32X4, F64X2];

impl VTy {
    fn name(self) -> String {
        format!("{}x{}", self.lane.name(), self.lanes)
    }
    fn is_float(self) -> bool {
        self.lane.is_float()
    }
    /// The integer vector of the same shape (`f32x4` → `i32x4`).
    fn as_int(self) -> VTy {
        match self.lane {
            Ty::F32 => I32X4,
            Ty::F64 => I64X2,
            _ => self,
        }
    }
    /// Lanes twice as wide, half as many (`i8x16` → `i16x8`).
    fn wider(self) -> Option<VTy> {
        Some(match self {
            I8X16 => I16X8,
            I16X8 => I32X4,
            I32X4 => I64X2,
            _ => return None,
        })
    }
    /// Lanes half as wide, twice as many.
    fn narrower(self) -> Option<VTy> {
        Some(match self {
            I16X8 => I8X16,
            I32X4 => I16X8,
            I64X2 => I32X4,
            _ => return None,
        })
    }
}

/// The vectors of a region, with their types.
type Vectors = Vec<(Val, VTy)>;

const INT_BINARY: &[&str] = &[
    "iadd", "isub", "imul", "smin", "smax", "umin", "umax", "band", "bor", "bxor",
];
/// Only on bytes and words (x86 has no wider saturating adds). `avg_round` is left out: the
/// interpreter does not implement it.
const SMALL_BINARY: &[&str] = &["sadd_sat", "ssub_sat", "uadd_sat", "usub_sat"];
const INT_UNARY: &[&str] = &["ineg", "iabs", "bnot"];
const SHIFTS: &[&str] = &["ishl", "ushr", "sshr"];
const INT_CC: &[&str] = &[
    "eq", "ne", "slt", "sge", "sgt", "sle", "ult", "uge", "ugt", "ule",
];
const FLOAT_BINARY: &[&str] = &["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign"];
const FLOAT_UNARY: &[&str] = &["fneg", "fabs", "sqrt", "ceil", "floor", "trunc", "nearest"];
const FLOAT_CC: &[&str] = &[
    "eq", "ne", "lt", "le", "gt", "ge", "uno", "ord", "ueq", "one", "ult", "ule", "ugt", "uge",
];

/// Grows a vector region at the end of block `b`: builds vectors from `scope`, operates on
/// them, puts the scalars it reduces some of them to into `scope`, and stores a digest of all
/// of them into a stack slot.
pub fn region(g: &mut FuncGen<'_>, b: BlockId, scope: &mut Scope) {
    // Some of these Cranelift's x64 back end does not compile (`iadd_pairwise` on bytes,
    // i64x2 to f64x2 without AVX-512): in a mixed module the function stays with rulesel.
    g.rulesel_only = true;
    let mut vectors = Vectors::new();
    for _ in 0..1 + g.rng.below(3) {
        let ty = *g.rng.pick(&ALL);
        let v = build(g, b, scope, ty);
        vectors.push((v, ty));
    }
    for _ in 0..2 + g.rng.below(8) {
        operate(g, b, scope, &mut vectors);
    }
    for _ in 0..1 + g.rng.below(3) {
        let &(v, ty) = g.rng.pick(&vectors);
        reduce(g, b, scope, v, ty);
    }
    digest(g, b, &vectors);
}

/// Appends `v = <rhs>` defining a vector: a line the minimiser leaves alone (it replaces only
/// scalar values by constants).
fn vdef(g: &mut FuncGen<'_>, b: BlockId, uses: Vec<Val>, rhs: String) -> Val {
    let v = g.new_val();
    let text = format!("{v} = {rhs}");
    g.line(
        b,
        Line {
            effect: true,
            keep: true,
            ..Line::pure(vec![], uses, text)
        },
    );
    v
}

/// A new vector of type `ty` from the scalars in scope, constants or memory.
fn build(g: &mut FuncGen<'_>, b: BlockId, scope: &mut Scope, ty: VTy) -> Val {
    let name = ty.name();
    match g.rng.below(7) {
        0 => {
            let x = g.operand(b, scope, ty.lane);
            vdef(g, b, vec![x], format!("splat.{name} {x}"))
        }
        1 => {
            let x = g.operand(b, scope, ty.lane);
            vdef(g, b, vec![x], format!("scalar_to_vector.{name} {x}"))
        }
        // Any bits: two i64 lanes reinterpreted (the interpreter cannot bitcast i128 to a
        // vector).
        2 if !ty.is_float() => {
            let (lo, hi) = (g.operand(b, scope, Ty::I64), g.operand(b, scope, Ty::I64));
            let pair = vdef(g, b, vec![lo], format!("splat.i64x2 {lo}"));
            let pair = vdef(g, b, vec![pair, hi], format!("insertlane {pair}, {hi}, 1"));
            if ty == I64X2 {
                pair
            } else {
                vdef(g, b, vec![pair], format!("bitcast.{name} little {pair}"))
            }
        }
        3 => {
            let base = build(g, b, scope, ty);
            let x = g.operand(b, scope, ty.lane);
            let lane = g.rng.below(u64::from(ty.lanes));
            vdef(
                g,
                b,
                vec![base, x],
                format!("insertlane {base}, {x}, {lane}"),
            )
        }
        4 if !g.data_slots.is_empty() => {
            let (addr, off, at) = g.slot_access(b, 16, 1);
            let flags = g.mem_flags(16, at, true);
            let off = FuncGen::offset_text(off);
            vdef(g, b, vec![addr], format!("load.{name}{flags} {addr}{off}"))
        }
        // The constants rules single out: all zeros, all ones.
        5 => {
            let bits = if ty.is_float() {
                "0x0.0"
            } else if g.rng.chance(50) {
                "0"
            } else {
                "-1"
            };
            let lanes = vec![bits; ty.lanes as usize];
            vdef(g, b, vec![], format!("vconst.{name} [{}]", lanes.join(" ")))
        }
        _ => {
            let lanes: Vec<String> = (0..ty.lanes).map(|_| lane_text(g, ty.lane)).collect();
            vdef(g, b, vec![], format!("vconst.{name} [{}]", lanes.join(" ")))
        }
    }
}

/// A lane of a `vconst`: an integer's bits, a float in CLIF's hexadecimal form.
fn lane_text(g: &mut FuncGen<'_>, lane: Ty) -> String {
    let bits = interesting_bits(g.rng, lane);
    match lane {
        Ty::F32 => hex_float(bits, 8, 23),
        Ty::F64 => hex_float(bits, 11, 52),
        _ => format!("{bits:#x}"),
    }
}

/// A vector of type `ty`: one of the region's, or a new one.
fn vector(
    g: &mut FuncGen<'_>,
    b: BlockId,
    scope: &mut Scope,
    vectors: &mut Vectors,
    ty: VTy,
) -> Val {
    let candidates: Vec<Val> = (vectors.iter())
        .filter(|&&(_, t)| t == ty)
        .map(|&(v, _)| v)
        .collect();
    if !candidates.is_empty() && g.rng.chance(80) {
        return *g.rng.pick(&candidates);
    }
    let v = build(g, b, scope, ty);
    vectors.push((v, ty));
    v
}

/// One random operation on the region's vectors; its result joins them.
fn operate(g: &mut FuncGen<'_>, b: BlockId, scope: &mut Scope, vectors: &mut Vectors) {
    let &(x, ty) = g.rng.pick(vectors);
    let result = if g.rng.chance(15) {
        shape(g, b, scope, vectors, x, ty)
    } else if ty.is_float() {
        float_op(g, b, scope, vectors, x, ty)
    } else {
        int_op(g, b, scope, vectors, x, ty)
    };
    if let Some(r) = result {
        vectors.push(r);
    }
}

/// `op x, y` with `y` a vector of `x`'s type.
fn binary(
    g: &mut FuncGen<'_>,
    b: BlockId,
    scope: &mut Scope,
    vectors: &mut Vectors,
    op: &str,
    x: Val,
    ty: VTy,
) -> Val {
    let y = vector(g, b, scope, vectors, ty);
    vdef(g, b, vec![x, y], format!("{op} {x}, {y}"))
}

fn int_op(
    g: &mut FuncGen<'_>,
    b: BlockId,
    scope: &mut Scope,
    vectors: &mut Vectors,
    x: Val,
    ty: VTy,
) -> Option<(Val, VTy)> {
    let small = matches!(ty, I8X16 | I16X8);
    Some(match g.rng.below(15) {
        0..=2 => {
            let op = *g.rng.pick(INT_BINARY);
            // x86 has no byte multiply; the rules do not lower one (nor does Cranelift).
            let op = if op == "imul" && ty == I8X16 {
                "iadd"
            } else {
                op
            };
            (binary(g, b, scope, vectors, op, x, ty), ty)
        }
        3 if small => {
            let op = *g.rng.pick(SMALL_BINARY);
            (binary(g, b, scope, vectors, op, x, ty), ty)
        }
        4 => {
            let op = *g.rng.pick(INT_UNARY);
            (vdef(g, b, vec![x], format!("{op} {x}")), ty)
        }
        5 => {
            let op = *g.rng.pick(SHIFTS);
            let amount_ty = *g.rng.pick(&[Ty::I8, Ty::I32, Ty::I64]);
            let amount = g.operand(b, scope, amount_ty);
            (
                vdef(g, b, vec![x, amount], format!("{op} {x}, {amount}")),
                ty,
            )
        }
        6 => {
            let cc = *g.rng.pick(INT_CC);
            (
                binary(g, b, scope, vectors, &format!("icmp {cc}"), x, ty),
                ty,
            )
        }
        7 => {
            let (y, z) = (
                vector(g, b, scope, vectors, ty),
                vector(g, b, scope, vectors, ty),
            );
            if g.rng.chance(50) {
                (
                    vdef(g, b, vec![x, y, z], format!("bitselect {x}, {y}, {z}")),
                    ty,
                )
            } else {
                let c = g.operand(b, scope, Ty::I8);
                (
                    vdef(g, b, vec![c, y, z], format!("select {c}, {y}, {z}")),
                    ty,
                )
            }
        }
        8 => {
            let wide = ty.wider()?;
            let op = *g
                .rng
                .pick(&["swiden_low", "swiden_high", "uwiden_low", "uwiden_high"]);
            (vdef(g, b, vec![x], format!("{op} {x}")), wide)
        }
        // Quadwords narrow only in the wasm shapes (see `shape`).
        9 if ty != I64X2 => {
            let narrow = ty.narrower()?;
            let op = *g.rng.pick(&["snarrow", "unarrow", "uunarrow"]);
            (binary(g, b, scope, vectors, op, x, ty), narrow)
        }
        10 if ty != I64X2 => (binary(g, b, scope, vectors, "iadd_pairwise", x, ty), ty),
        11 => {
            let lane = g.rng.below(u64::from(ty.lanes));
            let s = g.operand(b, scope, ty.lane);
            (
                vdef(g, b, vec![x, s], format!("insertlane {x}, {s}, {lane}")),
                ty,
            )
        }
        12 => {
            let y = vector(g, b, scope, vectors, ty);
            if g.rng.chance(50) {
                let mask = shuffle_mask(g, ty);
                let text = format!("shuffle {x}, {y}, [{mask}]");
                // A shuffle's operands and result are bytes: reinterpret others around it.
                if ty == I8X16 {
                    (vdef(g, b, vec![x, y], text), ty)
                } else {
                    let xb = vdef(g, b, vec![x], format!("bitcast.i8x16 little {x}"));
                    let yb = vdef(g, b, vec![y], format!("bitcast.i8x16 little {y}"));
                    let text = format!("shuffle {xb}, {yb}, [{mask}]");
                    let r = vdef(g, b, vec![xb, yb], text);
                    let name = ty.name();
                    (
                        vdef(g, b, vec![r], format!("bitcast.{name} little {r}")),
                        ty,
                    )
                }
            } else if ty == I8X16 {
                (binary(g, b, scope, vectors, "swizzle", x, ty), ty)
            } else {
                let op = *g.rng.pick(&["vany_true", "vall_true"]);
                let c = vdef(g, b, vec![x], format!("{op} {x}"));
                (
                    vdef(g, b, vec![c, x, y], format!("select {c}, {x}, {y}")),
                    ty,
                )
            }
        }
        13 => {
            // Reinterpreted as another integer shape (the bits stay; lanes change).
            let to = *g.rng.pick(&[I8X16, I16X8, I32X4, I64X2]);
            if to == ty {
                return None;
            }
            let name = to.name();
            (
                vdef(g, b, vec![x], format!("bitcast.{name} little {x}")),
                to,
            )
        }
        _ => match ty {
            I8X16 => (vdef(g, b, vec![x], format!("popcnt {x}")), ty),
            I16X8 => (binary(g, b, scope, vectors, "sqmul_round_sat", x, ty), ty),
            I32X4 => {
                let op = *g.rng.pick(&["fcvt_from_sint", "fcvt_from_uint"]);
                (vdef(g, b, vec![x], format!("{op}.f32x4 {x}")), F32X4)
            }
            _ => {
                let op = *g.rng.pick(&["fcvt_from_sint", "fcvt_from_uint"]);
                (vdef(g, b, vec![x], format!("{op}.f64x2 {x}")), F64X2)
            }
        },
    })
}

/// A shuffle mask for lanes of `ty`, as bytes: sometimes fully random, mostly of the kinds
/// single instructions do (a lane permutation of one input, interleaving the low or high
/// halves, a byte rotation across both, a blend keeping each lane's place).
fn shuffle_mask(g: &mut FuncGen<'_>, ty: VTy) -> String {
    let lane_bytes = 16 / ty.lanes as u64;
    let lanes = u64::from(ty.lanes);
    // The mask in lanes (0..lanes from x, lanes..2*lanes from y), expanded to bytes at the end.
    let in_lanes: Vec<u64> = match g.rng.below(6) {
        0 => {
            return (0..16)
                .map(|_| g.rng.below(32).to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
        1 => {
            let from = if g.rng.chance(50) { 0 } else { lanes };
            (0..lanes).map(|_| from + g.rng.below(lanes)).collect()
        }
        2 => {
            let half = if g.rng.chance(50) { 0 } else { lanes / 2 };
            (0..lanes)
                .map(|i| half + i / 2 + if i % 2 == 1 { lanes } else { 0 })
                .collect()
        }
        3 => {
            let n = g.rng.below(2 * lanes);
            (0..lanes).map(|i| (n + i) % (2 * lanes)).collect()
        }
        4 => (0..lanes)
            .map(|i| if g.rng.chance(50) { i } else { i + lanes })
            .collect(),
        _ => {
            // Two lanes of each input per half, as shufps takes them.
            (0..lanes)
                .map(|i| {
                    let from = if i < lanes / 2 { 0 } else { lanes };
                    from + g.rng.below(lanes)
                })
                .collect()
        }
    };
    let bytes: Vec<String> = (in_lanes.iter())
        .flat_map(|&l| (0..lane_bytes).map(move |k| (l * lane_bytes + k).to_string()))
        .collect();
    bytes.join(" ")
}

fn float_op(
    g: &mut FuncGen<'_>,
    b: BlockId,
    scope: &mut Scope,
    vectors: &mut Vectors,
    x: Val,
    ty: VTy,
) -> Option<(Val, VTy)> {
    Some(match g.rng.below(8) {
        0 | 1 => {
            let op = *g.rng.pick(FLOAT_BINARY);
            if op != "fcopysign" {
                return Some((binary(g, b, scope, vectors, op, x, ty), ty));
            }
            // The sign of a NaN is not specified: copy signs only from canonical NaNs.
            let y = vector(g, b, scope, vectors, ty);
            let y = canonical_nans(g, b, y, ty);
            (vdef(g, b, vec![x, y], format!("fcopysign {x}, {y}")), ty)
        }
        2 => {
            let op = *g.rng.pick(FLOAT_UNARY);
            (vdef(g, b, vec![x], format!("{op} {x}")), ty)
        }
        3 => {
            let (y, z) = (
                vector(g, b, scope, vectors, ty),
                vector(g, b, scope, vectors, ty),
            );
            (vdef(g, b, vec![x, y, z], format!("fma {x}, {y}, {z}")), ty)
        }
        4 => {
            // A compare's mask is an integer vector; selecting floats by it needs the mask in
            // the floats' type (bits of all ones or zeros, never a NaN's).
            let cc = *g.rng.pick(FLOAT_CC);
            let mask = binary(g, b, scope, vectors, &format!("fcmp {cc}"), x, ty);
            if g.rng.chance(50) {
                return Some((mask, ty.as_int()));
            }
            let name = ty.name();
            let cast = vdef(g, b, vec![mask], format!("bitcast.{name} {mask}"));
            let (y, z) = (
                vector(g, b, scope, vectors, ty),
                vector(g, b, scope, vectors, ty),
            );
            (
                vdef(
                    g,
                    b,
                    vec![cast, y, z],
                    format!("bitselect {cast}, {y}, {z}"),
                ),
                ty,
            )
        }
        5 => {
            let c = g.operand(b, scope, Ty::I8);
            let y = vector(g, b, scope, vectors, ty);
            (
                vdef(g, b, vec![c, x, y], format!("select {c}, {x}, {y}")),
                ty,
            )
        }
        6 => {
            let lane = g.rng.below(u64::from(ty.lanes));
            let s = g.operand(b, scope, ty.lane);
            (
                vdef(g, b, vec![x, s], format!("insertlane {x}, {s}, {lane}")),
                ty,
            )
        }
        _ => match ty {
            F32X4 => match g.rng.below(3) {
                0 => (vdef(g, b, vec![x], format!("fvpromote_low {x}")), F64X2),
                1 => (
                    vdef(g, b, vec![x], format!("fcvt_to_sint_sat.i32x4 {x}")),
                    I32X4,
                ),
                _ => (
                    vdef(g, b, vec![x], format!("fcvt_to_uint_sat.i32x4 {x}")),
                    I32X4,
                ),
            },
            _ => (vdef(g, b, vec![x], format!("fvdemote {x}")), F32X4),
        },
    })
}

/// The multi-instruction shapes that rules match whole (wasm's SIMD operations as Cranelift's
/// front end writes them), built around `x` where its type fits.
fn shape(
    g: &mut FuncGen<'_>,
    b: BlockId,
    scope: &mut Scope,
    vectors: &mut Vectors,
    x: Val,
    ty: VTy,
) -> Option<(Val, VTy)> {
    Some(match (ty, g.rng.below(4)) {
        // Extended pairwise addition: iadd_pairwise of a vector's two widened halves.
        (I8X16 | I16X8, 0 | 1) => {
            let wide = ty.wider()?;
            let (lo, hi) = if g.rng.chance(50) {
                ("swiden_low", "swiden_high")
            } else {
                ("uwiden_low", "uwiden_high")
            };
            let l = vdef(g, b, vec![x], format!("{lo} {x}"));
            let h = vdef(g, b, vec![x], format!("{hi} {x}"));
            (
                vdef(g, b, vec![l, h], format!("iadd_pairwise {l}, {h}")),
                wide,
            )
        }
        // Conversion of the low two lanes to doubles.
        (I32X4, _) => {
            let (widen, convert) = if g.rng.chance(50) {
                ("swiden_low", "fcvt_from_sint")
            } else {
                ("uwiden_low", "fcvt_from_uint")
            };
            let w = vdef(g, b, vec![x], format!("{widen} {x}"));
            (vdef(g, b, vec![w], format!("{convert}.f64x2 {w}")), F64X2)
        }
        // Saturating conversion of two doubles into the low lanes, zeros above.
        (F64X2, 0 | 1) => {
            let (convert, narrow) = if g.rng.chance(50) {
                ("fcvt_to_sint_sat", "snarrow")
            } else {
                ("fcvt_to_uint_sat", "uunarrow")
            };
            let c = vdef(g, b, vec![x], format!("{convert}.i64x2 {x}"));
            let zero = vdef(g, b, vec![], "vconst.i64x2 [0 0]".to_string());
            (
                vdef(g, b, vec![c, zero], format!("{narrow} {c}, {zero}")),
                I32X4,
            )
        }
        // A compare selecting between its own operands (minps/maxps-like).
        (F32X4 | F64X2, _) => {
            let y = vector(g, b, scope, vectors, ty);
            let cc = *g.rng.pick(&["lt", "gt", "le", "ge"]);
            let mask = vdef(g, b, vec![x, y], format!("fcmp {cc} {x}, {y}"));
            let name = ty.name();
            let cast = vdef(g, b, vec![mask], format!("bitcast.{name} {mask}"));
            let (p, q) = if g.rng.chance(50) { (x, y) } else { (y, x) };
            (
                vdef(
                    g,
                    b,
                    vec![cast, p, q],
                    format!("bitselect {cast}, {p}, {q}"),
                ),
                ty,
            )
        }
        // An integer compare selecting between vectors.
        _ => {
            let (y, p, q) = (
                vector(g, b, scope, vectors, ty),
                vector(g, b, scope, vectors, ty),
                vector(g, b, scope, vectors, ty),
            );
            let cc = *g.rng.pick(INT_CC);
            let mask = vdef(g, b, vec![x, y], format!("icmp {cc} {x}, {y}"));
            (
                vdef(
                    g,
                    b,
                    vec![mask, p, q],
                    format!("bitselect {mask}, {p}, {q}"),
                ),
                ty,
            )
        }
    })
}

/// Reduces vector `v` to scalars in scope.
fn reduce(g: &mut FuncGen<'_>, b: BlockId, scope: &mut Scope, v: Val, ty: VTy) {
    let pick = if ty.is_float() { 0 } else { g.rng.below(5) };
    match pick {
        0 | 1 => {
            let lane = g.rng.below(u64::from(ty.lanes));
            g.def(
                b,
                scope,
                ty.lane,
                vec![v],
                format!("extractlane {v}, {lane}"),
            );
        }
        2 => {
            let op = *g.rng.pick(&["vany_true", "vall_true"]);
            g.def(b, scope, Ty::I8, vec![v], format!("{op} {v}"));
        }
        3 => {
            let out = *g.rng.pick(&[Ty::I32, Ty::I64]);
            g.def(b, scope, out, vec![v], format!("vhigh_bits.{out} {v}"));
        }
        _ => {
            let pair = as_i64x2(g, b, v, ty);
            for lane in 0..2 {
                g.def(
                    b,
                    scope,
                    Ty::I64,
                    vec![pair],
                    format!("extractlane {pair}, {lane}"),
                );
            }
        }
    }
}

/// Integer vector `v` reinterpreted as i64x2 (the interpreter cannot bitcast vectors to i128).
fn as_i64x2(g: &mut FuncGen<'_>, b: BlockId, v: Val, ty: VTy) -> Val {
    if ty == I64X2 {
        v
    } else {
        vdef(g, b, vec![v], format!("bitcast.i64x2 little {v}"))
    }
}

/// Stores the xor of every vector of the region (float vectors with canonical NaNs) into a
/// stack slot, which the function's last result reads back.
fn digest(g: &mut FuncGen<'_>, b: BlockId, vectors: &Vectors) {
    let mut acc = None;
    for &(v, ty) in vectors {
        let bits = if ty.is_float() {
            let canonical = canonical_nans(g, b, v, ty);
            as_i64x2(g, b, canonical, ty)
        } else {
            as_i64x2(g, b, v, ty)
        };
        acc = Some(match acc {
            None => bits,
            Some(a) => vdef(g, b, vec![a, bits], format!("bxor {a}, {bits}")),
        });
    }
    let Some(acc) = acc else { return };
    g.ensure_data_slot();
    let (addr, off, at) = g.slot_access(b, 16, 1);
    let flags = g.mem_flags(16, at, false);
    let off = FuncGen::offset_text(off);
    g.line(
        b,
        Line {
            effect: true,
            keep: true,
            ..Line::pure(
                vec![],
                vec![acc, addr],
                format!("store{flags} {acc}, {addr}{off}"),
            )
        },
    );
}

/// Float vector `v` with every NaN lane replaced by the positive quiet NaN: the interpreter and
/// the hardware agree on NaN-ness, not on a NaN's sign or payload.
fn canonical_nans(g: &mut FuncGen<'_>, b: BlockId, v: Val, ty: VTy) -> Val {
    let name = ty.name();
    let nan = if ty == F32X4 {
        "0x7fc00000"
    } else {
        "0x7ff8000000000000"
    };
    let nans = vec![nan; ty.lanes as usize].join(" ");
    let int = ty.as_int().name();
    let is_nan = vdef(g, b, vec![v], format!("fcmp uno {v}, {v}"));
    let is_nan = vdef(g, b, vec![is_nan], format!("bitcast.{name} {is_nan}"));
    let nans = vdef(g, b, vec![], format!("vconst.{int} [{nans}]"));
    let nans = vdef(g, b, vec![nans], format!("bitcast.{name} {nans}"));
    vdef(
        g,
        b,
        vec![is_nan, nans, v],
        format!("bitselect {is_nan}, {nans}, {v}"),
    )
}
