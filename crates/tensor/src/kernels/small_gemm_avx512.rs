//! The AVX-512F tiles of the small-product kernel (`small_gemm.rs`): 8 rows
//! (then 4, then 1) × 2 vectors of 16 columns per register tile: 16
//! accumulators of the 32 zmm registers, so each pair of op(B) vectors
//! loaded feeds 16 FMAs, not 8 (256×128×32 on one core: 216–219 → 227–242
//! GFLOP/s, Zen 5, session 18). op(B) is read through masked
//! loads (so a panel with contiguous rows needs no copy), the last partial
//! vector of each row written through a mask.
//!
//! Against the AVX2 tiles the same columns take half the loads and FMAs
//! (one zmm for two ymm), and a ragged right edge costs one masked store
//! instead of a 128-bit store plus scalar ones.

#![cfg(target_arch = "x86_64")]

use super::small_gemm::{ALines, Operands, Starts};
use std::arch::x86_64::*;

/// Lanes of a zmm vector.
const LANES: usize = 16;
/// Rows of C per register tile: twice this where m allows, then this.
const MR: usize = 4;

/// The mask of the first `live` lanes (all 16 from live ≥ 16 up).
#[inline]
pub(super) fn first_lanes(live: usize) -> __mmask16 {
    if live >= LANES {
        !0
    } else {
        (1u16 << live) - 1
    }
}

/// One tile of R rows × V vectors of C starting at (i, j); R and V are
/// constants so the accumulators live in registers. op(B)'s loads are
/// masked to the panel's columns, so the panel may be read in place; with
/// `FULL` (the caller's promise that all V vectors lie below the panel's
/// width) they are plain loads, a few percent quicker.
///
/// # Safety
/// The CPU runs AVX-512F; rows i..i+R of op(A) and all k of its columns lie
/// inside `o.a`; `o.b` holds, for every p < k, the values
/// rows.at(p) + j .. rows.at(p) + min(j + V·16, n) (the lanes the masks
/// keep); and `c`
/// holds rows i..i+R at stride `ldc` up to column n.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn tile<S: Starts, A: ALines, const R: usize, const V: usize, const FULL: bool>(
    o: &Operands<'_, S, A>,
    i: usize,
    j: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let bp = o.b.as_ptr();
    let ap = o.a.data().as_ptr();
    let masks: [__mmask16; V] =
        std::array::from_fn(|v| first_lanes(o.n.saturating_sub(j + v * LANES)));
    let mut acc = [[_mm512_setzero_ps(); V]; R];
    for p in 0..o.k {
        let row = o.rows.at(p);
        let mut bv = [_mm512_setzero_ps(); V];
        for (v, b) in bv.iter_mut().enumerate() {
            let at = bp.add(row + j + v * LANES);
            *b = if FULL {
                _mm512_loadu_ps(at)
            } else {
                _mm512_maskz_loadu_ps(masks[v], at)
            };
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = _mm512_set1_ps(*ap.add(o.a.at(i + r, p)));
            for (acc_rv, b) in acc_r.iter_mut().zip(&bv) {
                *acc_rv = _mm512_fmadd_ps(av, *b, *acc_rv);
            }
        }
    }
    let va = _mm512_set1_ps(o.alpha);
    let vb = _mm512_set1_ps(o.beta);
    for (r, acc_r) in acc.iter().enumerate() {
        let row = c.as_mut_ptr().add((i + r) * ldc);
        for (v, acc_rv) in acc_r.iter().enumerate() {
            let col = j + v * LANES;
            // Same arithmetic as the AVX2 tiles: α·acc, then β·C fused in.
            let mut out = _mm512_mul_ps(*acc_rv, va);
            if o.beta != 0.0 {
                out = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(masks[v], row.add(col)), vb, out);
            }
            _mm512_mask_storeu_ps(row.add(col), masks[v], out);
        }
    }
}

/// All tiles of C: full 4-row blocks, then single remainder rows; column
/// pairs of vectors, then a last single vector.
///
/// # Safety
/// The CPU runs AVX-512F; `o` describes an m×k op(A) inside `o.a` and a
/// k × `o.n` panel of op(B) whose row p holds `o.b[rows.at(p) ..][..n]`
/// (packed or in place); `c` holds m rows of `o.n` values at stride `ldc`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn kernel<S: Starts, A: ALines>(
    m: usize,
    o: &Operands<'_, S, A>,
    c: &mut [f32],
    ldc: usize,
) {
    if m == 1 {
        one_row(o, c);
        return;
    }
    let mut j = 0;
    while j < o.n {
        let pair = j + LANES < o.n;
        // Two whole vectors need no masks on their loads.
        let whole = j + 2 * LANES <= o.n;
        let mut i = 0;
        while i + 2 * MR <= m {
            match (pair, whole) {
                (true, true) => tile::<S, A, { 2 * MR }, 2, true>(o, i, j, c, ldc),
                (true, false) => tile::<S, A, { 2 * MR }, 2, false>(o, i, j, c, ldc),
                _ => tile::<S, A, { 2 * MR }, 1, false>(o, i, j, c, ldc),
            }
            i += 2 * MR;
        }
        while i + MR <= m {
            match (pair, whole) {
                (true, true) => tile::<S, A, MR, 2, true>(o, i, j, c, ldc),
                (true, false) => tile::<S, A, MR, 2, false>(o, i, j, c, ldc),
                _ => tile::<S, A, MR, 1, false>(o, i, j, c, ldc),
            }
            i += MR;
        }
        while i < m {
            match (pair, whole) {
                (true, true) => tile::<S, A, 1, 2, true>(o, i, j, c, ldc),
                (true, false) => tile::<S, A, 1, 2, false>(o, i, j, c, ldc),
                _ => tile::<S, A, 1, 1, false>(o, i, j, c, ldc),
            }
            i += 1;
        }
        j += if pair { 2 * LANES } else { LANES };
    }
}

/// A single row of C, as wide as the panel (which is all of C when op(B)
/// is read in place): up to eight vectors of columns per tile, eight
/// independent FMA chains to cover the FMA's latency, where a 2-vector
/// tile would leave the core waiting on two chains.
///
/// # Safety
/// As [`kernel`] with m = 1.
#[target_feature(enable = "avx512f")]
unsafe fn one_row<S: Starts, A: ALines>(o: &Operands<'_, S, A>, c: &mut [f32]) {
    let mut j = 0;
    while j < o.n {
        let v = match (o.n - j).div_ceil(LANES) {
            // Eight whole vectors need no masks on their loads.
            8.. if j + 8 * LANES <= o.n => {
                tile::<S, A, 1, 8, true>(o, 0, j, c, 0);
                8
            }
            8.. => {
                tile::<S, A, 1, 8, false>(o, 0, j, c, 0);
                8
            }
            4..=7 => {
                tile::<S, A, 1, 4, false>(o, 0, j, c, 0);
                4
            }
            2 | 3 => {
                tile::<S, A, 1, 2, false>(o, 0, j, c, 0);
                2
            }
            _ => {
                tile::<S, A, 1, 1, false>(o, 0, j, c, 0);
                1
            }
        };
        j += v * LANES;
    }
}
