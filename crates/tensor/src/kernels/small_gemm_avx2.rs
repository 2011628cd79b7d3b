//! The AVX2 + FMA tiles of the small-product kernel (`small_gemm.rs`): 4
//! rows × 2 vectors of 8 columns per register tile, op(B) packed to whole
//! 8-lane vectors.

#![cfg(target_arch = "x86_64")]

use super::small_gemm::{ALines, Operands, Starts};
use std::arch::x86_64::*;

/// Lanes of a ymm vector.
pub(super) const LANES: usize = 8;
/// Rows of C per register tile.
const MR: usize = 4;

/// Writes the `cols` valid lanes of α·acc + β·C at `dst`.
///
/// # Safety
/// The CPU runs AVX2 and FMA; 1 ≤ `cols` ≤ 8 and `dst` holds at least
/// `cols` values (8 when `cols` is 8, 4 when it is at least 4).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn store(acc: __m256, alpha: f32, beta: f32, dst: &mut [f32], cols: usize) {
    let mut v = _mm256_mul_ps(acc, _mm256_set1_ps(alpha));
    if cols == LANES {
        if beta != 0.0 {
            v = _mm256_fmadd_ps(_mm256_loadu_ps(dst.as_ptr()), _mm256_set1_ps(beta), v);
        }
        _mm256_storeu_ps(dst.as_mut_ptr(), v);
    } else {
        // A partial vector: its low four lanes in one 128-bit store when
        // all are valid, the rest one by one (masked stores are slow on
        // AMD cores). Same arithmetic as a full vector: β·C fused in.
        let mut lanes = [0.0f32; LANES];
        _mm256_storeu_ps(lanes.as_mut_ptr(), v);
        let mut start = 0;
        if cols >= 4 {
            let mut low = _mm256_castps256_ps128(v);
            if beta != 0.0 {
                low = _mm_fmadd_ps(_mm_loadu_ps(dst.as_ptr()), _mm_set1_ps(beta), low);
            }
            _mm_storeu_ps(dst.as_mut_ptr(), low);
            start = 4;
        }
        for (d, t) in dst[start..cols].iter_mut().zip(&lanes[start..]) {
            *d = if beta != 0.0 { d.mul_add(beta, *t) } else { *t };
        }
    }
}

/// Packs op(B) with contiguous rows (row p at `b[p·rs ..]`, n values) into
/// `packed` (k rows of np, zero-padded): whole vectors copied as they
/// are, the last partial one through a masked load (which never touches
/// the lanes it leaves out).
///
/// # Safety
/// The CPU runs AVX2 and FMA; `b` holds (k − 1)·rs + n values, `np` is
/// n rounded up to whole vectors, and `packed` holds k·np values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn pack_rows(
    b: &[f32],
    rs: usize,
    k: usize,
    n: usize,
    np: usize,
    packed: &mut [f32],
) {
    const MASKS: [i32; 2 * LANES] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
    let tail = n % LANES;
    let mask = _mm256_loadu_si256(MASKS.as_ptr().add(LANES - tail) as *const __m256i);
    let full = n - tail;
    for p in 0..k {
        let src = b.as_ptr().add(p * rs);
        let dst = packed.as_mut_ptr().add(p * np);
        let mut j = 0;
        while j < full {
            _mm256_storeu_ps(dst.add(j), _mm256_loadu_ps(src.add(j)));
            j += LANES;
        }
        if tail > 0 {
            _mm256_storeu_ps(dst.add(j), _mm256_maskload_ps(src.add(j), mask));
        }
    }
}

/// One tile of R rows × V vectors of C starting at (i, j); R and V are
/// constants so the accumulators live in registers.
///
/// # Safety
/// The CPU runs AVX2 and FMA; rows i..i+R of op(A) and all k of its
/// columns lie inside `o.a`, `o.b` holds, for every p < k, the values
/// rows.at(p) + j .. rows.at(p) + j + V·8, and `c` holds rows i..i+R at
/// stride `ldc` up to column n.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile<S: Starts, A: ALines, const R: usize, const V: usize>(
    o: &Operands<'_, S, A>,
    i: usize,
    j: usize,
    c: &mut [f32],
    ldc: usize,
) {
    let bp = o.b.as_ptr();
    let ap = o.a.data().as_ptr();
    let mut acc = [[_mm256_setzero_ps(); V]; R];
    for p in 0..o.k {
        let row = o.rows.at(p);
        let mut bv = [_mm256_setzero_ps(); V];
        for (v, b) in bv.iter_mut().enumerate() {
            *b = _mm256_loadu_ps(bp.add(row + j + v * LANES));
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = _mm256_set1_ps(*ap.add(o.a.at(i + r, p)));
            for (acc_rv, b) in acc_r.iter_mut().zip(&bv) {
                *acc_rv = _mm256_fmadd_ps(av, *b, *acc_rv);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let row = &mut c[(i + r) * ldc..];
        for (v, acc_rv) in acc_r.iter().enumerate() {
            let col = j + v * LANES;
            if col < o.n {
                store(
                    *acc_rv,
                    o.alpha,
                    o.beta,
                    &mut row[col..],
                    LANES.min(o.n - col),
                );
            }
        }
    }
}

/// All tiles of C: full 4-row blocks, then single remainder rows; column
/// pairs of vectors, then a last single vector. (Wider tiles — 6 rows ×
/// 2 vectors, leftover rows as one tile — measured 10–15 % slower on the
/// seed shapes: with more tile shapes the compiler stops inlining them.)
///
/// # Safety
/// The CPU runs AVX2 and FMA; `o` describes an m×k op(A) inside `o.a`
/// and op(B) packed by [`pack_rows`] (or its scalar twin) into `o.packed`;
/// `c` holds m rows of `o.n` values at stride `ldc`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn kernel<S: Starts, A: ALines>(
    m: usize,
    o: &Operands<'_, S, A>,
    c: &mut [f32],
    ldc: usize,
) {
    let mut j = 0;
    while j < o.n {
        let pair = j + LANES < o.n;
        let mut i = 0;
        while i + MR <= m {
            if pair {
                tile::<S, A, MR, 2>(o, i, j, c, ldc);
            } else {
                tile::<S, A, MR, 1>(o, i, j, c, ldc);
            }
            i += MR;
        }
        while i < m {
            if pair {
                tile::<S, A, 1, 2>(o, i, j, c, ldc);
            } else {
                tile::<S, A, 1, 1>(o, i, j, c, ldc);
            }
            i += 1;
        }
        j += if pair { 2 * LANES } else { LANES };
    }
}
