//! The AVX2 + FMA micro-kernel of the blocked sgemm: one MR×NR = 6×16 tile
//! of C held in 12 ymm registers over a packed k-panel.
//!
//! Each step of k loads 2 vectors of B and broadcasts 6 values of A for 12
//! FMAs, so the two FMA pipes (not the load ports) set the pace; 12
//! independent accumulators cover the FMA latency (4 cycles × 2 pipes = 8
//! needed). That is why 6×16 and not 8×8, which needs 9 loads per 8 FMAs.

use super::cpu::Avx2Fma;
use super::microkernel::{check_tile, check_tile_in_place, MicroKernel};

/// Rows of a tile (values of A broadcast per step of k).
const MR: usize = 6;
/// Columns of a tile (two 8-lane vectors of B per step of k).
const NR: usize = 16;

impl MicroKernel for Avx2Fma {
    const MR: usize = MR;
    const NR: usize = NR;
    /// k ≤ 1024 is never split, so C is read and written once and the
    /// threads meet twice per product; a 6×KC A panel (24 KB) stays in L1
    /// while the KC×16 B panel (64 KB) streams from L2. Measured on the
    /// 1024³ product against KC = 256 and 512: 95 vs 91–93 GFLOP/s on one
    /// Zen 4 core.
    const KC: usize = 1024;
    /// MC×KC values (384 KB) stay in the L2.
    const MC: usize = 96;
    /// KC×NC values (16 MB) stay in the L3.
    const NC: usize = 4096;

    fn tile(
        self,
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
        check_tile((MR, NR), kc, a, b, c, ldc, rows, cols);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` proves AVX2 and FMA; the kernel reads kc·MR values
        // of `a` and kc·NR of `b` and touches C only at r·ldc + j for
        // r < rows ≤ MR and j < cols ≤ NR — all inside the lengths
        // `check_tile` asserted.
        unsafe {
            avx2::tile(kc, a.as_ptr(), b.as_ptr(), alpha, beta, c, ldc, rows, cols);
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("Avx2Fma cannot exist off x86_64");
    }

    fn tile_in_place(
        self,
        kc: usize,
        a: &[f32],
        lda: usize,
        b: &[f32],
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    ) {
        check_tile_in_place((MR, NR), kc, a, lda, b, c, ldc, rows, cols);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` proves AVX2 and FMA; the kernel reads a[r·lda + p]
        // for r < rows, p < kc and kc·NR values of `b`, and touches C only
        // at r·ldc + j for r < rows ≤ MR and j < cols ≤ NR — all inside the
        // lengths `check_tile_in_place` asserted.
        unsafe {
            avx2::tile_in_place(
                kc,
                a.as_ptr(),
                lda,
                b.as_ptr(),
                alpha,
                beta,
                c,
                ldc,
                rows,
                cols,
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("Avx2Fma cannot exist off x86_64");
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::super::microkernel::prefetch_c;
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// See [`MicroKernel::tile`](super::MicroKernel::tile).
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; `a` points to kc·MR readable values and `b`
    /// to kc·NR; 1 ≤ rows ≤ MR, 1 ≤ cols ≤ NR and `c` holds at least
    /// (rows − 1)·ldc + cols values. The caller asserts all of it.
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
        prefetch_c(c, ldc, rows, cols);
        let acc = accumulate(kc, b, |p, r| a.add(p * MR + r));
        store(acc, alpha, beta, c, ldc, rows, cols);
    }

    /// See [`MicroKernel::tile_in_place`](super::MicroKernel::tile_in_place).
    ///
    /// # Safety
    /// As [`tile`], except that `a` points to (rows − 1)·lda + kc readable
    /// values: row r < rows, step p at `a + r·lda + p`.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_in_place(
        kc: usize,
        a: *const f32,
        lda: usize,
        b: *const f32,
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    ) {
        prefetch_c(c, ldc, rows, cols);
        // Rows past the edge re-read the last live row: their sums are
        // computed and never stored, and nothing outside A is touched.
        let row: [*const f32; MR] = std::array::from_fn(|r| a.add(r.min(rows - 1) * lda));
        let acc = accumulate(kc, b, |p, r| row[r].add(p));
        store(acc, alpha, beta, c, ldc, rows, cols);
    }

    /// acc[r][h] = Σₚ A(r, p)·b[p·NR + 8h ..], one FMA per step in order of
    /// p, where `a_at(p, r)` points at A(r, p).
    ///
    /// # Safety
    /// AVX2 and FMA; `b` holds kc·NR values and `a_at(p, r)` is readable for
    /// p < kc, r < MR.
    #[inline(always)]
    unsafe fn accumulate(
        kc: usize,
        b: *const f32,
        a_at: impl Fn(usize, usize) -> *const f32,
    ) -> [[__m256; 2]; MR] {
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        let mut bp = b;
        for p in 0..kc {
            let b0 = _mm256_loadu_ps(bp);
            let b1 = _mm256_loadu_ps(bp.add(8));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a_at(p, r));
                acc_r[0] = _mm256_fmadd_ps(av, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(av, b1, acc_r[1]);
            }
            bp = bp.add(NR);
        }
        acc
    }

    /// C[0..rows, 0..cols] = α·acc + β·C (β = 0: C not read).
    ///
    /// # Safety
    /// AVX2 and FMA; `c` holds at least (rows − 1)·ldc + cols values.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn store(
        acc: [[__m256; 2]; MR],
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    ) {
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
