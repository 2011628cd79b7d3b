//! The AVX2 + FMA sgemm micro-kernel of the blocked product: one MR×NR = 6×16
//! tile of C held in 12 ymm registers over a packed k-panel.
//!
//! Each step of k loads 2 vectors of B and broadcasts 6 values of A for 12
//! FMAs, so the two FMA pipes (not the load ports) set the pace; 12
//! independent accumulators cover the FMA latency (4 cycles × 2 pipes = 8
//! needed). That is why 6×16 and not 8×8, which needs 9 loads per 8 FMAs.

/// Rows of a tile (values of A broadcast per step of k).
pub(crate) const MR: usize = 6;
/// Columns of a tile (two 8-lane vectors of B per step of k).
pub(crate) const NR: usize = 16;

/// Proof that this CPU has AVX2 and FMA: only [`Avx2Fma::detect`] makes one.
#[derive(Clone, Copy)]
pub(crate) struct Avx2Fma(());

impl Avx2Fma {
    pub(crate) fn detect() -> Option<Self> {
        super::cpu::avx2_fma().then_some(Avx2Fma(()))
    }
}

/// C[0..rows, 0..cols] = α·Σₚ a[p]ᵀ·b[p] + β·C over kc steps, where step p of
/// the packed panels is `a[p·MR..(p+1)·MR]` (one value per tile row) and
/// `b[p·NR..(p+1)·NR]` (one per tile column); C has row stride `ldc`. β = 0
/// never reads C.
///
/// Every valid element gets the same operations in a full tile and in an edge
/// tile (α·acc, then one fused β·C + that), so where a tile boundary falls
/// never changes a result's bits.
///
/// # Panics
/// If the panels are shorter than kc steps, the tile is empty or larger than
/// MR×NR, or C is too short for it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tile(
    cpu: Avx2Fma,
    kc: usize,
    a: &[f32],
    b: &[f32],
    alpha: f32,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    assert!(
        a.len() >= kc * MR && b.len() >= kc * NR,
        "micro-kernel: short panel"
    );
    assert!((1..=MR).contains(&rows) && (1..=NR).contains(&cols));
    assert!(
        c.len() >= (rows - 1) * ldc + cols,
        "micro-kernel: C too small"
    );
    let _ = cpu;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `cpu` proves AVX2 and FMA; the kernel reads kc·MR values of `a`
    // and kc·NR of `b` and touches C only at r·ldc + j for r < rows ≤ MR and
    // j < cols ≤ NR — all inside the lengths asserted above.
    unsafe {
        avx2::tile(kc, a.as_ptr(), b.as_ptr(), alpha, beta, c, ldc, rows, cols);
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("Avx2Fma cannot exist off x86_64");
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// See [`super::tile`].
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; `a` points to kc·MR readable values and `b`
    /// to kc·NR; 1 ≤ rows ≤ MR, 1 ≤ cols ≤ NR and `c` holds at least
    /// (rows − 1)·ldc + cols values. [`super::tile`] asserts all of it.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile(
        kc: usize,
        a: *const f32,
        b: *const f32,
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    ) {
        // The C tile is needed only after the k loop: start fetching it now.
        for r in 0..rows {
            let row = c.as_ptr().add(r * ldc);
            _mm_prefetch::<_MM_HINT_T0>(row as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(row.add(cols - 1) as *const i8);
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
        if cols == NR {
            for (r, acc_r) in acc.iter().take(rows).enumerate() {
                let row = c.as_mut_ptr().add(r * ldc);
                for (h, v) in acc_r.iter().enumerate() {
                    let mut out = _mm256_mul_ps(*v, va);
                    if beta != 0.0 {
                        out = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(8 * h)), vb, out);
                    }
                    _mm256_storeu_ps(row.add(8 * h), out);
                }
            }
        } else {
            // A tile cut by C's right edge: α·acc through the same vector
            // multiply, then the live part written with the same fused
            // β·C + α·acc.
            let mut tile = [0.0f32; MR * NR];
            for (r, acc_r) in acc.iter().enumerate() {
                for (h, v) in acc_r.iter().enumerate() {
                    let out = _mm256_mul_ps(*v, va);
                    _mm256_storeu_ps(tile.as_mut_ptr().add(r * NR + 8 * h), out);
                }
            }
            for (r, t_row) in tile.chunks_exact(NR).take(rows).enumerate() {
                let row = &mut c[r * ldc..r * ldc + cols];
                for (dst, t) in row.iter_mut().zip(t_row) {
                    *dst = if beta != 0.0 {
                        dst.mul_add(beta, *t)
                    } else {
                        *t
                    };
                }
            }
        }
    }
}
