//! The AVX2 + FMA sgemm micro-kernel: a 6×16 tile of C held in 12 ymm
//! registers. Each step of k loads 2 vectors of B and broadcasts 6 values of
//! A for 12 FMAs, so the FMA units (not the load ports) set the pace — the
//! reason for 6×16 rather than 8×8 (which needs 9 loads per 8 FMAs).

use std::arch::x86_64::*;

pub(crate) const MR: usize = 6;
pub(crate) const NR: usize = 16;

/// C[0..rows, 0..cols] = α·(Apanel · Bpanel) + β·C, where Apanel is kc steps
/// of MR values and Bpanel kc steps of NR values (packing.rs order), and C has
/// row stride `ldc`. β = 0 never reads C.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` must hold kc·MR values, `b` kc·NR
/// values, and `c` must be valid for `rows` rows of `cols` values at stride `ldc`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn kernel(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    rows: usize,
    cols: usize,
    alpha: f32,
    beta: f32,
) {
    // Start fetching the C tile now; it is needed only after the k loop.
    for r in 0..rows {
        _mm_prefetch::<_MM_HINT_T0>(c.add(r * ldc) as *const i8);
        _mm_prefetch::<_MM_HINT_T0>(c.add(r * ldc + NR - 1) as *const i8);
    }
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let (mut ap, mut bp) = (a, b);
    for _ in 0..kc {
        let b0 = _mm256_loadu_ps(bp);
        let b1 = _mm256_loadu_ps(bp.add(8));
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = _mm256_broadcast_ss(&*ap.add(r));
            acc_r[0] = _mm256_fmadd_ps(av, b0, acc_r[0]);
            acc_r[1] = _mm256_fmadd_ps(av, b1, acc_r[1]);
        }
        ap = ap.add(MR);
        bp = bp.add(NR);
    }
    let va = _mm256_set1_ps(alpha);
    let vb = _mm256_set1_ps(beta);
    if rows == MR && cols == NR {
        for (r, acc_r) in acc.iter().enumerate() {
            let row = c.add(r * ldc);
            for (h, v) in acc_r.iter().enumerate() {
                let mut out = _mm256_mul_ps(*v, va);
                if beta != 0.0 {
                    out = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(8 * h)), vb, out);
                }
                _mm256_storeu_ps(row.add(8 * h), out);
            }
        }
    } else {
        // Edge tile: spill to a stack tile and copy the live part.
        let mut tile = [0.0f32; MR * NR];
        for (r, acc_r) in acc.iter().enumerate() {
            _mm256_storeu_ps(tile.as_mut_ptr().add(r * NR), acc_r[0]);
            _mm256_storeu_ps(tile.as_mut_ptr().add(r * NR + 8), acc_r[1]);
        }
        for r in 0..rows {
            let row = c.add(r * ldc);
            for j in 0..cols {
                let v = alpha * tile[r * NR + j];
                *row.add(j) = if beta != 0.0 {
                    v + beta * *row.add(j)
                } else {
                    v
                };
            }
        }
    }
}
