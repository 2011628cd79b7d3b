//! The blocked sgemm for products too large for `small_gemm`: BLIS's loop
//! order around a register-tile micro-kernel (AVX-512 12×32 or AVX2 6×16,
//! chosen at run time), with C's rows split into one band per thread.
//!
//! ```text
//! for jc in steps of NC over n:        op(B) block kc×nc, packed once and shared (L3)
//!   for pc in steps of ≤ KC over k:    pack op(B)[pc, jc]  (panels shared out over threads)
//!     for each band of C rows:         ← one rayon task per thread
//!       for ic in steps of ≤ MC:       pack op(A)[ic, pc]  (per thread, stays in L2),
//!                                      or read it where it lies (row-major A)
//!         for jr in steps of NR:       one B panel, re-read from L2 …
//!           for ir in steps of MR:     … by the micro-kernel for each A panel
//! ```
//!
//! Row-major op(A) is read in place unless its row stride makes a tile's
//! rows share L1 sets ([`reads_a_in_place`]); the kernel then broadcasts
//! from MR row streams instead of one packed panel.
//!
//! k is cut into equal blocks that depend on k alone, and every element of C
//! gets the same operations wherever a band or tile boundary falls, so results
//! are bit-identical for any thread count.

use super::cpu::{Avx2Fma, Avx512, Simd};
use super::microkernel::MicroKernel;
use super::packing::{a_len, b_len, pack_a, pack_b_panels, PackBuffer};
use super::sgemm::{check_operands, Strided};
use rayon::prelude::*;
use std::cell::RefCell;

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
    Simd::detect().is_some()
}

/// The (rows, columns) of the micro-kernel's tile, or `None` where there is
/// no kernel.
pub(crate) fn tile_shape() -> Option<(usize, usize)> {
    Simd::detect().map(|k| match k {
        Simd::Avx512(_) => (Avx512::MR, Avx512::NR),
        Simd::Avx2(_) => (Avx2Fma::MR, Avx2Fma::NR),
    })
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
    match Simd::detect().expect("blocked sgemm needs AVX2 and FMA") {
        Simd::Avx512(cpu) => blocked_gemm_on(cpu, m, k, n, alpha, a, b, beta, c, threads),
        Simd::Avx2(cpu) => blocked_gemm_on(cpu, m, k, n, alpha, a, b, beta, c, threads),
    }
}

/// [`blocked_gemm`] on a given micro-kernel.
#[allow(clippy::too_many_arguments)]
pub(crate) fn blocked_gemm_on<K: MicroKernel>(
    cpu: K,
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
    let (mr, nr) = (K::MR, K::NR);
    let kc_max = k.div_ceil(k.div_ceil(K::KC));
    let band = m.div_ceil(threads.max(1)).div_ceil(mr) * mr;
    let a_in_place = reads_a_in_place(&a);
    let mut packed_b = PACKED_B.take();
    for jc in (0..n).step_by(K::NC) {
        let nc = K::NC.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            let block = packed_b.take(b_len(nr, kc, nc));
            // Large blocks are packed by all threads, a share of panels each.
            if threads > 1 && block.len() >= PARALLEL_PACK_MIN {
                let share = nc.div_ceil(nr).div_ceil(threads);
                block
                    .par_chunks_mut(share * kc * nr)
                    .enumerate()
                    .for_each(|(t, panels)| {
                        pack_b_panels(&b, nr, pc, kc, jc, nc, t * share, panels)
                    });
            } else {
                pack_b_panels(&b, nr, pc, kc, jc, nc, 0, block);
            }
            let block = packed_b.packed();
            // β applies once, on the first k-block; later blocks accumulate.
            let beta_here = if pc == 0 { beta } else { 1.0 };
            let run_band = |(i, c_band): (usize, &mut [f32])| {
                let rows = c_band.len() / n;
                let mc_max = rows.div_ceil(rows.div_ceil(K::MC)).div_ceil(mr) * mr;
                let mut packed_a = PACKED_A.take();
                for ic in (0..rows).step_by(mc_max) {
                    let mc = mc_max.min(rows - ic);
                    let row0 = i * band + ic;
                    let a_block = if a_in_place {
                        APanels::InPlace {
                            data: &a.data[row0 * a.rs + pc..],
                            lda: a.rs,
                        }
                    } else {
                        let out = packed_a.take(a_len(mr, mc, kc));
                        pack_a(&a, mr, row0, mc, pc, kc, out);
                        APanels::Packed(packed_a.packed())
                    };
                    macro_kernel(
                        cpu,
                        Block { mc, nc, kc },
                        alpha,
                        a_block,
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

/// Whether the micro-kernel reads op(A) where it lies instead of packing
/// it: when op(A) is row-major (each row contiguous along k) and its rows do
/// not share L1 sets.
///
/// Packing A is a register transpose of every block, m·k values for m·k·n
/// multiply-adds: 20–30 % of the time at n = 128 on Zen 5 (256×784×128 on
/// one core, 152–157 GFLOP/s packed, 201–205 in place; 128×1568×32, 88–94
/// against 196). Read in place, a tile's 12 rows are 12 streams, one cache
/// line each per 16 steps of k. That is free unless the rows' lines fall in
/// the same few L1 sets: at a row stride of a multiple of 4 KB (1024
/// values) every row of a tile maps to one set of the 12-way L1 and they
/// evict each other with B's lines (1024³: 151–154 in place, 183–187
/// packed). Such an A is packed.
fn reads_a_in_place(a: &Strided<'_>) -> bool {
    const SAME_L1_SET_STRIDE: usize = 1024;
    a.cs == 1 && !a.rs.is_multiple_of(SAME_L1_SET_STRIDE)
}

/// One block of op(A) (mc rows × kc steps) as the micro-kernel reads it.
#[derive(Clone, Copy)]
enum APanels<'a> {
    /// Packed into panels of MR rows ([`pack_a`]).
    Packed(&'a [f32]),
    /// Where it lies: row r, step p at `data[r·lda + p]`.
    InPlace { data: &'a [f32], lda: usize },
}

/// Every micro-tile of C for one A block against one packed B block.
#[allow(clippy::too_many_arguments)]
fn macro_kernel<K: MicroKernel>(
    cpu: K,
    Block { mc, nc, kc }: Block,
    alpha: f32,
    a: APanels<'_>,
    pb: &[f32],
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    let (mr, nr) = (K::MR, K::NR);
    for (jr, b_panel) in (0..nc).step_by(nr).zip(pb.chunks_exact(kc * nr)) {
        let cols = nr.min(nc - jr);
        for ir in (0..mc).step_by(mr) {
            let rows = mr.min(mc - ir);
            let c_tile = &mut c[ir * ldc + jr..];
            match a {
                APanels::Packed(pa) => {
                    let a_panel = &pa[ir * kc..(ir + mr) * kc];
                    cpu.tile(kc, a_panel, b_panel, alpha, beta, c_tile, ldc, rows, cols);
                }
                APanels::InPlace { data, lda } => cpu.tile_in_place(
                    kc,
                    &data[ir * lda..],
                    lda,
                    b_panel,
                    alpha,
                    beta,
                    c_tile,
                    ldc,
                    rows,
                    cols,
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::cases::for_each_case;

    /// Runs `check` once per micro-kernel this CPU runs, whatever
    /// `AEDETECT_ISA` says, so both paths stay covered on AVX-512 machines.
    fn for_each_kernel(mut check: impl FnMut(&str, &dyn Fn(Product<'_>, &mut [f32]))) {
        if let Some(cpu) = Avx2Fma::supported() {
            check("avx2", &|p: Product<'_>, c: &mut [f32]| p.run(cpu, c));
        }
        if let Some(cpu) = Avx512::supported() {
            check("avx512", &|p: Product<'_>, c: &mut [f32]| p.run(cpu, c));
        }
    }

    /// One call's arguments, less the kernel and C.
    #[derive(Clone, Copy)]
    struct Product<'a> {
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: Strided<'a>,
        b: Strided<'a>,
        beta: f32,
        threads: usize,
    }

    impl Product<'_> {
        fn run<K: MicroKernel>(self, cpu: K, c: &mut [f32]) {
            let Product {
                m,
                k,
                n,
                alpha,
                a,
                b,
                beta,
                threads,
            } = self;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| blocked_gemm_on(cpu, m, k, n, alpha, a, b, beta, c, threads));
        }
    }

    #[test]
    fn matches_reference_at_every_edge_and_block_boundary() {
        // Partial row and column tiles of both kernels; k split into two
        // blocks (β applied once); n split into two column blocks.
        let shapes = [
            (1, 1, 1),
            (7, 3, 17),
            (40, 30, 32),
            (30, 20, 47),
            (13, 1500, 40),
            (25, 9, 65),
            (12, 5, 4100),
            // Row-major A at a 4 KB row stride: packed, not read in place.
            (14, 1024, 40),
        ];
        for_each_case(21, &shapes, &[(1.0, 0.0), (-0.5, 0.75)], |case| {
            let (a, b) = case.operands();
            let mut first: Option<Vec<f32>> = None;
            for_each_kernel(|name, run| {
                for threads in [1, 2, 3] {
                    let mut c = case.c0.clone();
                    let product = Product {
                        m: case.m,
                        k: case.k,
                        n: case.n,
                        alpha: case.alpha,
                        a,
                        b,
                        beta: case.beta,
                        threads,
                    };
                    run(product, &mut c);
                    case.assert_close(&c, &format!(" {name} on {threads} threads"));
                    // Same bits whatever the thread count, and whichever
                    // kernel: each element is the same chain of FMAs in both.
                    let first = first.get_or_insert_with(|| c.clone());
                    assert!(first == &c, "{name} on {threads} threads: other bits");
                }
            });
        });
    }

    #[test]
    fn a_read_in_place_gives_the_packed_bits() {
        // The same op(A) row-major (read in place) and stored transposed
        // (packed), on every edge: a partial row tile of both kernels, a
        // partial column tile, k in two blocks (the second block starts
        // mid-row).
        for (m, k, n) in [(2, 1, 1), (13, 7, 33), (25, 1500, 17), (40, 30, 70)] {
            use rand::Rng as _;
            let mut rng = crate::rng::seeded(m as u64);
            let mut random = |len: usize| -> Vec<f32> {
                (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
            };
            let (a, b, c0) = (random(m * k), random(k * n), random(m * n));
            let at: Vec<f32> = (0..m * k).map(|i| a[(i % m) * k + i / m]).collect();
            let row_major = Strided {
                data: &a,
                rs: k,
                cs: 1,
            };
            let transposed = Strided {
                data: &at,
                rs: 1,
                cs: m,
            };
            assert!(reads_a_in_place(&row_major) && !reads_a_in_place(&transposed));
            let b = Strided {
                data: &b,
                rs: n,
                cs: 1,
            };
            for_each_kernel(|name, run| {
                for threads in [1, 2] {
                    let product = |a| Product {
                        m,
                        k,
                        n,
                        alpha: 0.5,
                        a,
                        b,
                        beta: -1.25,
                        threads,
                    };
                    let (mut in_place, mut packed) = (c0.clone(), c0.clone());
                    run(product(row_major), &mut in_place);
                    run(product(transposed), &mut packed);
                    assert!(
                        in_place == packed,
                        "{name}, {m}×{k}×{n} on {threads} threads: other bits"
                    );
                }
            });
        }
    }

    #[test]
    fn a_at_a_4kb_row_stride_is_packed() {
        let a = vec![0.0; 2 * 2048];
        for (rs, in_place) in [(1000, true), (1024, false), (2048, false), (1536, true)] {
            let a = Strided {
                data: &a,
                rs,
                cs: 1,
            };
            assert_eq!(reads_a_in_place(&a), in_place, "row stride {rs}");
        }
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
