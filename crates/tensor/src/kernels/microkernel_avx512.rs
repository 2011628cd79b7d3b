//! The AVX-512F micro-kernel of the blocked sgemm: one MR×NR = 12×32 tile of
//! C held in 24 zmm registers over a packed k-panel.
//!
//! Each step of k loads 2 vectors of B and broadcasts 12 values of A (folded
//! into the FMAs as memory operands) for 24 FMAs. With 32 registers the tile
//! is four times the AVX2 one's 6×16, so each value loaded from the packed
//! panels feeds twice as many FMAs: 24 FMAs per 14 loads against 12 per 8,
//! and half the B panel traffic from L2 per flop. 24 independent chains cover
//! the FMA latency with room to spare (4 cycles × 2 pipes = 8 on Zen 5).
//! Edge tiles are written through masked loads and stores, which cost the
//! same as plain ones on AVX-512 (unlike AVX2's `vmaskmov`).

use super::cpu::Avx512;
use super::microkernel::{check_tile, check_tile_in_place, MicroKernel};

/// Rows of a tile (values of A broadcast per step of k).
const MR: usize = 12;
/// Columns of a tile (two 16-lane vectors of B per step of k).
const NR: usize = 32;

impl MicroKernel for Avx512 {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 1024;
    const MC: usize = 96;
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
        // SAFETY: `self` proves AVX-512F; the kernel reads kc·MR values of
        // `a` and kc·NR of `b` and touches C only at r·ldc + j for
        // r < rows ≤ MR and j < cols ≤ NR (masked lanes are neither read nor
        // written) — all inside the lengths `check_tile` asserted.
        unsafe {
            avx512::tile(kc, a.as_ptr(), b.as_ptr(), alpha, beta, c, ldc, rows, cols);
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("Avx512 cannot exist off x86_64");
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
        // SAFETY: `self` proves AVX-512F; the kernel reads a[r·lda + p] for
        // r < rows, p < kc and kc·NR values of `b`, and touches C only at
        // r·ldc + j for r < rows ≤ MR and j < cols ≤ NR — all inside the
        // lengths `check_tile_in_place` asserted.
        unsafe {
            avx512::tile_in_place(
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
        unreachable!("Avx512 cannot exist off x86_64");
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::super::microkernel::prefetch_c;
    use super::{MR, NR};
    use std::arch::x86_64::*;

    const LANES: usize = 16;
    const VECTORS: usize = NR / LANES;

    /// See [`MicroKernel::tile`](super::MicroKernel::tile).
    ///
    /// # Safety
    /// The CPU runs AVX-512F; `a` points to kc·MR readable values and `b` to
    /// kc·NR; 1 ≤ rows ≤ MR, 1 ≤ cols ≤ NR and `c` holds at least
    /// (rows − 1)·ldc + cols values. The caller asserts all of it.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f")]
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
    #[target_feature(enable = "avx512f")]
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

    /// acc[r][v] = Σₚ A(r, p)·b[p·NR + 16v ..], one FMA per step in order of
    /// p, where `a_at(p, r)` points at A(r, p).
    ///
    /// # Safety
    /// AVX-512F; `b` holds kc·NR values and `a_at(p, r)` is readable for
    /// p < kc, r < MR.
    #[inline(always)]
    unsafe fn accumulate(
        kc: usize,
        b: *const f32,
        a_at: impl Fn(usize, usize) -> *const f32,
    ) -> [[__m512; VECTORS]; MR] {
        let mut acc = [[_mm512_setzero_ps(); VECTORS]; MR];
        let mut bp = b;
        for p in 0..kc {
            let mut bv = [_mm512_setzero_ps(); VECTORS];
            for (v, b) in bv.iter_mut().enumerate() {
                *b = _mm512_loadu_ps(bp.add(v * LANES));
            }
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*a_at(p, r));
                for (acc_rv, b) in acc_r.iter_mut().zip(&bv) {
                    *acc_rv = _mm512_fmadd_ps(av, *b, *acc_rv);
                }
            }
            bp = bp.add(NR);
        }
        acc
    }

    /// C[0..rows, 0..cols] = α·acc + β·C (β = 0: C not read).
    ///
    /// # Safety
    /// AVX-512F; `c` holds at least (rows − 1)·ldc + cols values.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn store(
        acc: [[__m512; VECTORS]; MR],
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    ) {
        let va = _mm512_set1_ps(alpha);
        let vb = _mm512_set1_ps(beta);
        for (r, acc_r) in acc.iter().take(rows).enumerate() {
            let row = c.as_mut_ptr().add(r * ldc);
            for (v, acc_rv) in acc_r.iter().enumerate() {
                let col = v * LANES;
                if col >= cols {
                    break;
                }
                let live = (cols - col).min(LANES);
                let mask: __mmask16 = if live == LANES { !0 } else { (1 << live) - 1 };
                let mut out = _mm512_mul_ps(*acc_rv, va);
                if beta != 0.0 {
                    let old = _mm512_maskz_loadu_ps(mask, row.add(col));
                    out = _mm512_fmadd_ps(old, vb, out);
                }
                _mm512_mask_storeu_ps(row.add(col), mask, out);
            }
        }
    }
}
