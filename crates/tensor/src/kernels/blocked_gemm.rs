//! The blocked sgemm for products too large for `small_gemm`: BLIS's loop
//! order around the 6×16 AVX2 micro-kernel, with C's rows split into one band
//! per thread.
//!
//! ```text
//! for jc in steps of NC over n:        op(B) block kc×nc, packed once and shared (L3)
//!   for pc in steps of ≤ KC over k:    pack op(B)[pc, jc]  (panels shared out over threads)
//!     for each band of C rows:         ← one rayon task per thread
//!       for ic in steps of ≤ MC:       pack op(A)[ic, pc]  (per thread, stays in L2)
//!         for jr in steps of NR:       one B panel, re-read from L2 …
//!           for ir in steps of MR:     … by the micro-kernel for each A panel
//! ```
//!
//! k is cut into equal blocks that depend on k alone, and every element of C
//! gets the same operations wherever a band or tile boundary falls, so results
//! are bit-identical for any thread count.

use super::microkernel::{tile, Avx2Fma};
pub(crate) use super::microkernel::{MR, NR};
use super::packing::{a_len, b_len, pack_a, pack_b_panel, PackBuffer};
use super::sgemm::{check_operands, Strided};
use rayon::prelude::*;
use std::cell::RefCell;

/// Steps of k per block. k ≤ 1024 is never split, so C is read and written
/// once and the threads meet twice per product; a 6×KC A panel (24 KB) stays
/// in L1 while the KC×16 B panel (64 KB) streams from L2. Measured on the
/// 1024³ product against KC = 256 and 512: 95 vs 91–93 GFLOP/s on one core.
const KC: usize = 1024;
/// Rows of op(A) packed at a time: MC×KC values (384 KB) stay in the L2.
const MC: usize = 96;
/// Columns of op(B) packed at a time: KC×NC values (16 MB) stay in the L3.
const NC: usize = 4096;
/// From this many values up, a B block is packed by all threads together.
const PARALLEL_PACK_MIN: usize = 1 << 15;

thread_local! {
    /// Packed blocks, one set per thread, reused from call to call. Taken out
    /// while in use, so a nested call (a rayon task run while this one waits)
    /// gets fresh buffers rather than a borrow panic.
    static PACKED_A: RefCell<PackBuffer> = RefCell::default();
    static PACKED_B: RefCell<PackBuffer> = RefCell::default();
}

/// Whether this CPU can run the blocked kernel.
pub(crate) fn available() -> bool {
    Avx2Fma::detect().is_some()
}

/// C (m×n, row-major, leading dimension n) = α·op(A)·op(B) + β·C on
/// `threads` threads (the caller's rayon pool).
///
/// # Panics
/// If the CPU lacks AVX2/FMA (check [`available`]) or an operand is too short.
#[allow(clippy::too_many_arguments)]
pub(crate) fn blocked_gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    threads: usize,
) {
    let cpu = Avx2Fma::detect().expect("blocked sgemm needs AVX2 and FMA");
    check_operands(m, k, n, &a, &b, c, n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: C = β·C.
        for v in &mut c[..m * n] {
            *v = if beta == 0.0 { 0.0 } else { beta * *v };
        }
        return;
    }
    let kc_max = k.div_ceil(k.div_ceil(KC));
    let band = m.div_ceil(threads.max(1)).div_ceil(MR) * MR;
    let mut packed_b = PACKED_B.take();
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            let block = packed_b.take(b_len(kc, nc));
            let pack = |(q, panel): (usize, &mut [f32])| pack_b_panel(&b, pc, kc, jc, nc, q, panel);
            if threads > 1 && block.len() >= PARALLEL_PACK_MIN {
                block
                    .par_chunks_exact_mut(kc * NR)
                    .enumerate()
                    .for_each(pack);
            } else {
                block.chunks_exact_mut(kc * NR).enumerate().for_each(pack);
            }
            let block = packed_b.packed();
            // β applies once, on the first k-block; later blocks accumulate.
            let beta_here = if pc == 0 { beta } else { 1.0 };
            let run_band = |(i, c_band): (usize, &mut [f32])| {
                let rows = c_band.len() / n;
                let mc_max = rows.div_ceil(rows.div_ceil(MC)).div_ceil(MR) * MR;
                let mut packed_a = PACKED_A.take();
                for ic in (0..rows).step_by(mc_max) {
                    let mc = mc_max.min(rows - ic);
                    pack_a(&a, i * band + ic, mc, pc, kc, packed_a.take(a_len(mc, kc)));
                    macro_kernel(
                        cpu,
                        Block { mc, nc, kc },
                        alpha,
                        packed_a.packed(),
                        block,
                        beta_here,
                        &mut c_band[ic * n + jc..],
                        n,
                    );
                }
                PACKED_A.set(packed_a);
            };
            let c = &mut c[..m * n];
            if threads > 1 {
                c.par_chunks_mut(band * n).enumerate().for_each(run_band);
            } else {
                run_band((0, c));
            }
        }
    }
    PACKED_B.set(packed_b);
}

/// The sizes of one packed A block (mc×kc) and B block (kc×nc).
#[derive(Clone, Copy)]
struct Block {
    mc: usize,
    nc: usize,
    kc: usize,
}

/// Every micro-tile of C for one packed A block against one packed B block.
#[allow(clippy::too_many_arguments)]
fn macro_kernel(
    cpu: Avx2Fma,
    Block { mc, nc, kc }: Block,
    alpha: f32,
    pa: &[f32],
    pb: &[f32],
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    for (jr, b_panel) in (0..nc).step_by(NR).zip(pb.chunks_exact(kc * NR)) {
        let cols = NR.min(nc - jr);
        for (ir, a_panel) in (0..mc).step_by(MR).zip(pa.chunks_exact(kc * MR)) {
            let rows = MR.min(mc - ir);
            tile(
                cpu,
                kc,
                a_panel,
                b_panel,
                alpha,
                beta,
                &mut c[ir * ldc + jr..],
                ldc,
                rows,
                cols,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::cases::for_each_case;

    #[test]
    fn matches_reference_at_every_edge_and_block_boundary() {
        if !available() {
            eprintln!("no AVX2/FMA here: the blocked kernel is not used, nothing to check");
            return;
        }
        // Partial row and column tiles; k split into two blocks (β applied
        // once); n split into two column blocks.
        let shapes = [
            (1, 1, 1),
            (7, 3, 17),
            (40, 30, 32),
            (30, 20, 47),
            (13, 1500, 40),
            (12, 5, 4100),
        ];
        for_each_case(21, &shapes, &[(1.0, 0.0), (-0.5, 0.75)], |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let mut first = None;
            for threads in [1, 2, 3] {
                let mut c = case.c0.clone();
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| {
                    blocked_gemm(m, k, n, case.alpha, am, bm, case.beta, &mut c, threads)
                });
                case.assert_close(&c, &format!(" on {threads} threads"));
                // Same bits whatever the thread count.
                assert_eq!(first.get_or_insert_with(|| c.clone()), &c);
            }
        });
    }

    #[test]
    fn empty_k_scales_c_by_beta() {
        if !available() {
            return;
        }
        let empty = Strided {
            data: &[],
            rs: 0,
            cs: 1,
        };
        let mut c = vec![2.0, f32::NAN];
        blocked_gemm(1, 0, 2, 1.0, empty, empty, 0.0, &mut c, 1);
        assert_eq!(c, [0.0, 0.0]);
        let mut c = vec![2.0, -4.0];
        blocked_gemm(1, 0, 2, 1.0, empty, empty, 0.5, &mut c, 1);
        assert_eq!(c, [1.0, -2.0]);
    }
}
