//! Blocked sgemm around the 6×16 AVX2 micro-kernel, in the BLIS loop order:
//!
//! ```text
//! for jc in steps of NC over n:          B block fits the shared L3
//!   for pc in steps of KC over k:        pack op(B)[pc, jc]  (once, shared; panels in parallel)
//!     for ic in steps of MC over m:      ← rayon: bands of C rows, one per task
//!       pack op(A)[ic, pc]               (per thread, fits L2)
//!       for jr in steps of NR:           B micro-panel stays in L1
//!         for ir in steps of MR:         micro-kernel on a 6×16 tile of C
//! ```
//!
//! Every C element accumulates its k-blocks in the same order whatever the
//! number of threads, so results are bit-identical across thread counts.

use super::avx2_6x16::{self, MR, NR};
use super::packing::{pack_a, pack_b};
use super::sgemm::Strided;
use rayon::prelude::*;
use std::cell::RefCell;

const KC: usize = 256;
const MC: usize = 72;
const NC: usize = 4080;

thread_local! {
    static PACK_A: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PACK_B: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Whether the blocked path can run here (AVX2 + FMA, checked once).
pub(crate) fn available() -> bool {
    super::small_gemm::available()
}

/// C (m×n, row-major, leading dimension n) = α·op(A)·op(B) + β·C, split into
/// MC-row bands over rayon's threads when `parallel`.
///
/// # Panics
/// If called where [`available`] is false, or operands are too small.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    parallel: bool,
) {
    assert!(available(), "blocked sgemm needs AVX2 and FMA");
    assert!(m > 0 && n > 0 && k > 0, "blocked sgemm: empty product");
    assert!(
        a.data.len() > (m - 1) * a.rs + (k - 1) * a.cs,
        "gemm: A too small"
    );
    assert!(
        b.data.len() > (k - 1) * b.rs + (n - 1) * b.cs,
        "gemm: B too small"
    );
    assert!(c.len() >= m * n, "gemm: C too small");
    PACK_B.with_borrow_mut(|packed_b| {
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                pack_b::<NR>(b, pc, kc, jc, nc, packed_b, parallel);
                // β applies once, on the first k-block; later blocks accumulate.
                let beta_here = if pc == 0 { beta } else { 1.0 };
                let band = |(i, c_band): (usize, &mut [f32])| {
                    PACK_A.with_borrow_mut(|packed_a| {
                        let ic = i * MC;
                        let mc = c_band.len() / n;
                        pack_a::<MR>(a, ic, mc, pc, kc, packed_a);
                        macro_kernel(
                            mc,
                            nc,
                            kc,
                            alpha,
                            packed_a,
                            packed_b,
                            beta_here,
                            &mut c_band[jc..],
                            n,
                        );
                    })
                };
                if parallel {
                    c[..m * n].par_chunks_mut(MC * n).enumerate().for_each(band);
                } else {
                    c[..m * n].chunks_mut(MC * n).enumerate().for_each(band);
                }
            }
        }
    });
}

/// All micro-tiles of one packed A block (mc×kc) against one packed B block (kc×nc).
#[allow(clippy::too_many_arguments)]
fn macro_kernel(
    mc: usize,
    nc: usize,
    kc: usize,
    alpha: f32,
    pa: &[f32],
    pb: &[f32],
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    assert!(pa.len() >= mc.div_ceil(MR) * kc * MR && pb.len() >= nc.div_ceil(NR) * kc * NR);
    assert!(
        c.len() >= (mc - 1) * ldc + nc,
        "macro kernel: C band too small"
    );
    for jr in (0..nc).step_by(NR) {
        let cols = NR.min(nc - jr);
        let b_panel = &pb[(jr / NR) * kc * NR..];
        for ir in (0..mc).step_by(MR) {
            let rows = MR.min(mc - ir);
            let a_panel = &pa[(ir / MR) * kc * MR..];
            // SAFETY: `available()` was asserted (AVX2 + FMA); the panels hold
            // kc·MR and kc·NR values (asserted above from the packed sizes);
            // the tile's rows·cols values at stride ldc lie inside `c`
            // because ir + rows ≤ mc and jr + cols ≤ nc (asserted extent).
            unsafe {
                avx2_6x16::kernel(
                    kc,
                    a_panel.as_ptr(),
                    b_panel.as_ptr(),
                    c.as_mut_ptr().add(ir * ldc + jr),
                    ldc,
                    rows,
                    cols,
                    alpha,
                    beta,
                );
            }
        }
    }
}
