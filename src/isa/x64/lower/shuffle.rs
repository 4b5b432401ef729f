//! Shuffle masks as x86 operands: the externs the shuffle rules use to recognise a mask that
//! one instruction with an immediate performs, and to build the byte tables of `pshufb` and
//! `vpermi2b` for the rest.
//!
//! A `shuffle a, b, mask` result byte `i` is byte `mask[i]` of the 32-byte concatenation
//! `a:b` (`a` first); the verifier keeps every index below 32. The rule language sees a mask as
//! a `ShuffleMask` word naming the instruction; everything here reads the 16 bytes from it.
//!
//! ```text
//!   mask (bytes)                         →  instruction
//!   4-byte groups of a (or b) alone       →  pshufd imm          (`shuffle_pshufd_a/_b`)
//!   lanes 0,1 of a and 2,3 of b (or rev.) →  shufps imm          (`shuffle_shufps`/`_rev`)
//!   low/high 16-bit lanes of a (or b)     →  pshuflw/pshufhw imm (`shuffle_pshuflw_a` …)
//!   n, n+1, …, n+15                       →  palignr b, a, n     (`shuffle_palignr`)
//!   16-bit lane j from a or b at j        →  pblendw a, b, imm   (`shuffle_pblendw`)
//!   anything                              →  vpermi2b (the mask is its index table), or
//!                                             one pshufb table per source
//! ```

use super::ctx::LowerCtx;
use super::terms::AmodeRef;
use crate::dsl::TermEnv;
use crate::ir::{self, InstructionData as D};
use crate::isa::x64::amode::Amode;

/// The mask of the shuffle instruction `inst` (an instruction index, as the `ShuffleMask` word
/// holds it). A word that names no shuffle (which the rules' types exclude) reads as the
/// identity.
fn mask(ctx: &LowerCtx, inst: u32) -> [u8; 16] {
    match ctx.func.dfg.inst(ir::Inst::from_u32(inst)) {
        D::Shuffle { mask, .. } => *mask,
        _ => std::array::from_fn(|i| i as u8),
    }
}

/// The source lane of each `bytes`-wide lane of the result, if every lane is a whole lane of
/// the concatenation (its bytes in order, starting at a multiple of `bytes`).
fn lanes(mask: &[u8; 16], bytes: usize) -> Option<Vec<u8>> {
    mask.chunks(bytes)
        .map(|lane| {
            let first = lane[0];
            let whole = usize::from(first) % bytes == 0
                && first < 32
                && lane
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| usize::from(b) == usize::from(first) + k);
            whole.then(|| first / bytes as u8)
        })
        .collect()
}

/// The 2-bit selectors of `lanes` (each taken modulo 4) packed into an immediate, lane 0
/// lowest.
fn selectors(lanes: &[u8]) -> i64 {
    (lanes.iter().enumerate()).fold(0, |imm, (k, &l)| imm | (i64::from(l & 3) << (2 * k)))
}

/// The immediate of `pshufd` performing the mask on the source whose 32-bit lanes are
/// `first..first + 4` of the concatenation (0: `a`, 4: `b`).
fn pshufd(mask: &[u8; 16], first: u8) -> Option<i64> {
    let lanes = lanes(mask, 4)?;
    (lanes.iter().all(|l| (first..first + 4).contains(l))).then(|| selectors(&lanes))
}

/// The immediate of `shufps x, y` when lanes 0 and 1 come from `x` and 2 and 3 from `y`, which
/// start at 32-bit lanes `x_first` and `y_first` of the concatenation.
fn shufps(mask: &[u8; 16], x_first: u8, y_first: u8) -> Option<i64> {
    let lanes = lanes(mask, 4)?;
    let from = |l: u8, first: u8| (first..first + 4).contains(&l);
    (from(lanes[0], x_first)
        && from(lanes[1], x_first)
        && from(lanes[2], y_first)
        && from(lanes[3], y_first))
    .then(|| selectors(&lanes))
}

/// The immediate of `pshuflw` (`high` false) or `pshufhw` performing the mask on the source
/// whose 16-bit lanes are `first..first + 8` of the concatenation: the shuffled half's lanes
/// come from that half of the source, the other half's lanes stay in place.
fn pshufw(mask: &[u8; 16], first: u8, high: bool) -> Option<i64> {
    let lanes = lanes(mask, 2)?;
    let (moved, kept) = if high { (4..8, 0..4) } else { (0..4, 4..8) };
    let half = if high { first + 4 } else { first };
    let ok = kept.clone().all(|j| lanes[j] == first + j as u8)
        && moved.clone().all(|j| (half..half + 4).contains(&lanes[j]));
    ok.then(|| selectors(&lanes[moved]))
}

/// A 16-byte pool constant, as a memory operand.
fn constant(ctx: &mut LowerCtx, bytes: [u8; 16]) -> AmodeRef {
    let label = ctx.constant(&bytes, 16);
    AmodeRef(ctx.amode_word(Amode::rip(label), None))
}

/// The `pshufb` table taking from one source the result bytes whose mask index `sel` keeps
/// (`Some(byte of that source)`); the other bytes are zeroed (high bit set), for the other
/// source to fill.
fn pshufb_table(mask: &[u8; 16], sel: impl Fn(u8) -> Option<u8>) -> [u8; 16] {
    mask.map(|m| sel(m).unwrap_or(0x80))
}

/// Registers the shuffle externs of `rules/x64/vector_lanes.rules`.
pub fn register(env: &mut TermEnv<LowerCtx>) {
    env.extractor("shuffle_bytes", |ctx: &mut LowerCtx, m: u32| {
        let bytes = mask(ctx, m);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().expect("8 bytes"));
        Some((word(&bytes[..8]), word(&bytes[8..])))
    })
    .extractor("shuffle_pshufd_a", |ctx: &mut LowerCtx, m: u32| {
        pshufd(&mask(ctx, m), 0).map(|k| (k,))
    })
    .extractor("shuffle_pshufd_b", |ctx: &mut LowerCtx, m: u32| {
        pshufd(&mask(ctx, m), 4).map(|k| (k,))
    })
    .extractor("shuffle_shufps", |ctx: &mut LowerCtx, m: u32| {
        shufps(&mask(ctx, m), 0, 4).map(|k| (k,))
    })
    .extractor("shuffle_shufps_rev", |ctx: &mut LowerCtx, m: u32| {
        shufps(&mask(ctx, m), 4, 0).map(|k| (k,))
    })
    .extractor("shuffle_pshuflw_a", |ctx: &mut LowerCtx, m: u32| {
        pshufw(&mask(ctx, m), 0, false).map(|k| (k,))
    })
    .extractor("shuffle_pshuflw_b", |ctx: &mut LowerCtx, m: u32| {
        pshufw(&mask(ctx, m), 8, false).map(|k| (k,))
    })
    .extractor("shuffle_pshufhw_a", |ctx: &mut LowerCtx, m: u32| {
        pshufw(&mask(ctx, m), 0, true).map(|k| (k,))
    })
    .extractor("shuffle_pshufhw_b", |ctx: &mut LowerCtx, m: u32| {
        pshufw(&mask(ctx, m), 8, true).map(|k| (k,))
    })
    .extractor("shuffle_palignr", |ctx: &mut LowerCtx, m: u32| {
        let bytes = mask(ctx, m);
        let n = bytes[0];
        let consecutive = (1..16).contains(&n)
            && (bytes.iter().enumerate()).all(|(i, &b)| usize::from(b) == usize::from(n) + i);
        consecutive.then_some((i64::from(n),))
    })
    .extractor("shuffle_pblendw", |ctx: &mut LowerCtx, m: u32| {
        let lanes = lanes(&mask(ctx, m), 2)?;
        let mut imm: i64 = 0;
        for (j, &l) in lanes.iter().enumerate() {
            match usize::from(l) {
                l if l == j => {}
                l if l == j + 8 => imm |= 1 << j,
                _ => return None,
            }
        }
        Some((imm,))
    })
    .constructor("shuffle_table_a", |ctx: &mut LowerCtx, m: u32| {
        let table = pshufb_table(&mask(ctx, m), |b| (b < 16).then_some(b));
        constant(ctx, table)
    })
    .constructor("shuffle_table_b", |ctx: &mut LowerCtx, m: u32| {
        let table = pshufb_table(&mask(ctx, m), |b| (16..32).contains(&b).then(|| b - 16));
        constant(ctx, table)
    })
    .constructor("shuffle_table_same", |ctx: &mut LowerCtx, m: u32| {
        let table = pshufb_table(&mask(ctx, m), |b| Some(b & 15));
        constant(ctx, table)
    })
    .constructor("shuffle_vpermi2b_indices", |ctx: &mut LowerCtx, m: u32| {
        let table = mask(ctx, m);
        constant(ctx, table)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(lanes32: [u8; 4]) -> [u8; 16] {
        let mut m = [0; 16];
        for (j, l) in lanes32.iter().enumerate() {
            for k in 0..4 {
                m[4 * j + k] = 4 * l + k as u8;
            }
        }
        m
    }

    #[test]
    fn lane_permutations_become_immediates() {
        assert_eq!(pshufd(&bytes([3, 2, 1, 0]), 0), Some(0b00_01_10_11));
        assert_eq!(pshufd(&bytes([7, 4, 5, 6]), 4), Some(0b10_01_00_11));
        assert_eq!(pshufd(&bytes([3, 4, 1, 0]), 0), None);
        assert_eq!(shufps(&bytes([1, 0, 7, 4]), 0, 4), Some(0b00_11_00_01));
        assert_eq!(shufps(&bytes([5, 4, 2, 0]), 4, 0), Some(0b00_10_00_01));
        assert_eq!(shufps(&bytes([1, 5, 7, 4]), 0, 4), None);
        let mut split = bytes([0, 1, 2, 3]);
        split[1] = 2;
        assert_eq!(pshufd(&split, 0), None);
    }

    #[test]
    fn word_shuffles_keep_the_other_half() {
        // Low words reversed, high words in place.
        let m = [6, 7, 4, 5, 2, 3, 0, 1, 8, 9, 10, 11, 12, 13, 14, 15];
        assert_eq!(pshufw(&m, 0, false), Some(0b00_01_10_11));
        assert_eq!(pshufw(&m, 0, true), None);
        let mut hi = [0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 12, 13, 10, 11, 8, 9];
        assert_eq!(pshufw(&hi, 0, true), Some(0b00_01_10_11));
        for b in &mut hi {
            *b += 16;
        }
        assert_eq!(pshufw(&hi, 8, true), Some(0b00_01_10_11));
    }
}
