//! One row of C from an op(B) stored by columns (a Linear layer's Wᵀ when
//! one row is scored, or one LSTM step runs live), without packing op(B).
//!
//! With a single row of C nothing repays a packed copy of op(B): each of
//! its values is used once. So eight columns are loaded side by side,
//! eight values of k at a time, turned into eight rows of eight lanes by a
//! register transpose, and fed straight into the FMA chains. Every element
//! of C is the same chain the tiles of `small_gemm_avx2.rs` and
//! `small_gemm_avx512.rs` compute (acc = a_p·b_pj + acc for p = 0, 1, …,
//! then α·acc, then β·C fused in), so a row scored alone has the bits it
//! has inside a batch. 8-lane ymm on both instruction sets: the work is
//! the transposes' shuffles, which zmm would not make cheaper.

#![cfg(target_arch = "x86_64")]

use super::small_gemm::{ALines, Operands, Starts};
use super::small_gemm_avx2::{store, LANES};
use super::transpose::avx2::transposed;
use std::arch::x86_64::*;

/// Vectors of columns whose chains run side by side: four independent
/// chains cover the FMA's latency, and 32 columns span a Linear layer's
/// usual widths.
const GROUP: usize = 2;

/// C[0, j] = α·Σ_p op(A)[0, p]·op(B)[p, j] + β·C[0, j] for j < `o.n`,
/// op(B)'s column j read from `o.b[o.rows.at(j) ..][..k]`.
///
/// # Safety
/// The CPU runs AVX2 and FMA; row 0 of op(A) (k values at stride
/// `o.a.cs`) lies inside `o.a`; for every j < n, `o.b` holds
/// `o.rows.at(j) .. o.rows.at(j) + k`; `c` holds n values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn one_row<S: Starts, A: ALines>(o: &Operands<'_, S, A>, c: &mut [f32]) {
    let mut j = 0;
    while j < o.n {
        let vectors = (o.n - j).div_ceil(LANES);
        match vectors {
            1 => group::<S, A, 1>(o, j, c),
            _ => group::<S, A, GROUP>(o, j, c),
        }
        j += LANES * vectors.min(GROUP);
    }
}

/// Columns j .. j + V·8 (those below n) of the row.
///
/// # Safety
/// As [`one_row`], and j < n.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn group<S: Starts, A: ALines, const V: usize>(
    o: &Operands<'_, S, A>,
    j: usize,
    c: &mut [f32],
) {
    let (bp, ap) = (o.b.as_ptr(), o.a.data().as_ptr());
    // Lanes past the last column read that column again; their lanes of
    // C are never stored.
    let columns: [[*const f32; LANES]; V] = std::array::from_fn(|v| {
        std::array::from_fn(|l| bp.add(o.rows.at((j + v * LANES + l).min(o.n - 1))))
    });
    let mut acc = [_mm256_setzero_ps(); V];
    let mut p0 = 0;
    while p0 + LANES <= o.k {
        for (cols, acc) in columns.iter().zip(acc.iter_mut()) {
            let rows = transposed(cols.map(|col| _mm256_loadu_ps(col.add(p0))));
            for (s, row) in rows.iter().enumerate() {
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(*ap.add(o.a.at(0, p0 + s))), *row, *acc);
            }
        }
        p0 += LANES;
    }
    let tail = o.k - p0;
    if tail > 0 {
        // The last k % 8 values of each column through a masked load,
        // which reads nothing past them.
        const MASKS: [i32; 2 * LANES] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
        let mask = _mm256_loadu_si256(MASKS.as_ptr().add(LANES - tail) as *const __m256i);
        for (cols, acc) in columns.iter().zip(acc.iter_mut()) {
            let rows = transposed(cols.map(|col| _mm256_maskload_ps(col.add(p0), mask)));
            for (s, row) in rows.iter().enumerate().take(tail) {
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(*ap.add(o.a.at(0, p0 + s))), *row, *acc);
            }
        }
    }
    for (v, acc) in acc.iter().enumerate() {
        let col = j + v * LANES;
        if col < o.n {
            store(*acc, o.alpha, o.beta, &mut c[col..], LANES.min(o.n - col));
        }
    }
}
