//! Matrix products: C = α·op(A)·op(B) + β·C with op ∈ {identity, transpose}.
//!
//! All matrices are dense row-major. A transpose is expressed through strides,
//! so it costs no copy. Three paths, chosen by shape and CPU only:
//! * products whose op(B) is small (k·⌈n/8⌉·8 ≤ 8192, e.g. every layer of the
//!   seed autoencoder, at any batch size) or with at most 32 rows of C (a
//!   convolution's per-image products, one row through a layer): a
//!   register-tiled kernel that reads op(A) in place and op(B) one panel of
//!   32 columns at a time (`kernels/small_gemm.rs`);
//! * larger products whose m×n the micro-kernel's tiles cover with little
//!   padding: the blocked kernel (`kernels/blocked_gemm.rs`: BLIS loop
//!   order, packing, a 12×32 AVX-512 or 6×16 AVX2 micro-kernel);
//! * everything else, or without AVX2/FMA: matrixmultiply's kernels
//!   ([`gemm_matrixmultiply`], also the benches' reference).
//!
//! The instruction set is chosen once per process (`kernels/cpu.rs`:
//! AVX-512F, else AVX2 + FMA; `AEDETECT_ISA` lowers it). Both sets' kernels
//! compute each element as the same chain of FMAs, so they give the same
//! bits.
//!
//! From 2²⁰ multiply-adds up, the work is split over the rayon pool: C into
//! one band of rows per thread (the blocked kernel first packs each block of
//! op(B) with all threads, then runs the bands on it).
//!
//! Each element of C sees the same sequence of operations whatever the thread
//! count, so results are bit-identical for 1, 2 or 64 threads.

use crate::kernels::sgemm::{sgemm_block, Strided};
use crate::kernels::small_gemm::Source;
use crate::kernels::{blocked_gemm, small_gemm};
use rayon::prelude::*;

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// op(X) = X
    N,
    /// op(X) = Xᵀ
    T,
}

/// Below this many multiply-adds a product runs on the calling thread: the
/// cost of waking a second core exceeds the work. Waking it costs more
/// than it seems (a futex round trip, tens of µs on these VMs): an LSTM
/// autoencoder's step products (64 × 128 × 33 ≈ 2¹⁸) trained 1.8× slower on
/// two threads than on one with the split at 2¹⁸ (40 s against 22.5 s,
/// half of it system time), 1.2× slower at 2²⁰, where a product is about
/// 10 µs of work on one core of Zen 4. Zen 5's full-width AVX-512 halves
/// that, so the split moved to 2²²: the LSTM autoencoder's decoder dx
/// (2048 × 128 × 8 = 2²¹, once per batch) was still woken for, and
/// training went 102–117 → 87–95 ms per epoch in one sitting. Since fits
/// and scoring run on the pool with a second thread kept awake
/// (`pool::on_pool`, session 19), a split no longer waits on a futex, and
/// 2²⁰ is back (session 23, Zen 5, alternating builds): 256 × 128 × 32 on
/// two threads 224–235 → 357–368 GFLOP/s (OpenBLAS's two threads: 251–258),
/// `lstm_ae/train_4k` 40–44k → 39–51k windows/s, level.
const PARALLEL_MIN_FMAS: usize = 1 << 20;

/// Rows of C per band are rounded to this multiple (the kernels' row tile).
const BAND_ALIGN: usize = 8;

/// C (m×n) = α·op(A)·op(B) + β·C, where op(A) is m×k and op(B) is k×n.
///
/// `a` holds A row-major as m×k (`Trans::N`) or k×m (`Trans::T`); likewise
/// `b` holds k×n or n×k. With β = 0, C's previous contents are ignored.
///
/// # Panics
/// If a slice is too short for the sizes given.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    if small_gemm::available() && small_gemm::takes(m, k, n) {
        in_row_bands(ta, tb, m, n, k, alpha, a, b, beta, c, small_kernel);
    } else if blocked_gemm::available() && blocked_tiles_fit(m, n) {
        let (am, bm) = operands(ta, tb, m, n, k, a, b, c);
        let threads = thread_count(m, n, k);
        blocked_gemm::blocked_gemm(m, k, n, alpha, am, bm, beta, c, threads);
    } else {
        in_row_bands(ta, tb, m, n, k, alpha, a, b, beta, c, sgemm_block);
    }
}

/// A routine computing one band of C (all of op(B), some rows of op(A)).
type BandKernel = fn(usize, usize, usize, f32, Strided<'_>, Strided<'_>, f32, &mut [f32], usize);

/// Whether the blocked kernel's 6×16 tiles cover m×n with little enough
/// padding to beat matrixmultiply's 8×8 ones. Both kernels spend time on
/// every padded tile element; per padded element ours is about 10 % faster
/// (e.g. 64×64×64: 84 vs 70 GFLOP/s, both 1.03× padded), so it wins unless
/// its padding is over 1.1× matrixmultiply's (e.g. 32×144×49, per-image conv:
/// 2304 vs 1792 padded elements, measured 48 vs 58 GFLOP/s).
fn blocked_tiles_fit(m: usize, n: usize) -> bool {
    let padded =
        |tile_m: usize, tile_n: usize| m.next_multiple_of(tile_m) * n.next_multiple_of(tile_n);
    blocked_gemm::tile_shape().is_some_and(|(mr, nr)| 10 * padded(mr, nr) <= 11 * padded(8, 8))
}

/// op(B) of [`gemm_gathered`]: k×n values read from one buffer by where
/// each row or column starts, such as a convolution's kernel taps over an
/// image's phase planes (`conv.rs`), so no column matrix is built.
#[derive(Clone, Copy, Debug)]
pub enum Gather<'a> {
    /// op(B)[p, j] = data[starts[p] + j], with k starts.
    Rows {
        data: &'a [f32],
        starts: &'a [usize],
    },
    /// op(B)[p, j] = data[starts[j] + p], with n starts.
    Cols {
        data: &'a [f32],
        starts: &'a [usize],
    },
}

/// C (m×n) = α·op(A)·op(B) + β·C with op(B) gathered (see [`Gather`]), on
/// the calling thread (its callers run one per image, in parallel). Each
/// element is the same chain of FMAs as [`gemm`] gives on the small
/// kernel; without AVX2/FMA, op(B) is copied out and multiplied by
/// matrixmultiply.
///
/// # Panics
/// If A or C is too short, or a start points outside op(B)'s buffer.
#[allow(clippy::too_many_arguments)]
pub fn gemm_gathered(
    ta: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: Gather<'_>,
    beta: f32,
    c: &mut [f32],
) {
    let am = operand_a(ta, m, k, a);
    check_c(m, n, c);
    if small_gemm::small_gemm(m, k, n, alpha, am, Source::Gathered(b), beta, c, n) {
        return;
    }
    GATHERED.with_borrow_mut(|dense| {
        copy_out(b, k, n, dense);
        in_row_bands(ta, Trans::N, m, n, k, alpha, a, dense, beta, c, sgemm_block);
    });
}

/// C (m×n) = α·op(A)·op(B) + β·C with op(A) gathered (see [`Gather`]:
/// `Rows` gives where each of op(A)'s m rows starts, `Cols` each of its k
/// columns), on the calling thread. A convolution's weight gradient reads
/// its taps this way where they lie in an image's phase planes instead of
/// copying them out. Each element is the same chain of FMAs as [`gemm`]
/// gives on the small kernel with op(A) copied out first; without
/// AVX2/FMA, op(A) is copied out and multiplied by matrixmultiply.
///
/// # Panics
/// If B or C is too short, or a start points outside op(A)'s buffer.
#[allow(clippy::too_many_arguments)]
pub fn gemm_gathered_a(
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Gather<'_>,
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    let bm = operand_b(tb, k, n, b);
    check_c(m, n, c);
    let b_source = Source::Strided(bm);
    if small_gemm::small_gemm_gathered_a(m, k, n, alpha, a, b_source, beta, c, n) {
        return;
    }
    GATHERED.with_borrow_mut(|dense| {
        copy_out(a, m, k, dense);
        in_row_bands(Trans::N, tb, m, n, k, alpha, dense, b, beta, c, sgemm_block);
    });
}

/// C (m×n) = α·op(A)·op(B) + β·C with both operands gathered (see
/// [`Gather`]), on the calling thread: an LSTM's dW_hh += da_tᵀ·h_{t−1} over
/// rows kept in two groups' buffers, read in row order. Each element is
/// the same chain of FMAs as [`gemm`] gives on the small kernel with both
/// copied out first; without AVX2/FMA, both are copied out and multiplied
/// by matrixmultiply.
///
/// # Panics
/// If C is too short, or a start points outside its operand's buffer.
#[allow(clippy::too_many_arguments)]
pub fn gemm_gathered_ab(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Gather<'_>,
    b: Gather<'_>,
    beta: f32,
    c: &mut [f32],
) {
    check_c(m, n, c);
    if small_gemm::small_gemm_gathered_a(m, k, n, alpha, a, Source::Gathered(b), beta, c, n) {
        return;
    }
    GATHERED.with_borrow_mut(|dense_a| {
        GATHERED_B.with_borrow_mut(|dense_b| {
            copy_out(a, m, k, dense_a);
            copy_out(b, k, n, dense_b);
            in_row_bands(
                Trans::N,
                Trans::N,
                m,
                n,
                k,
                alpha,
                dense_a,
                dense_b,
                beta,
                c,
                sgemm_block,
            );
        })
    });
}

/// A gathered rows × cols operand copied out into `dense`, row-major: the
/// fallback of [`gemm_gathered`] and [`gemm_gathered_a`] where no SIMD
/// kernel runs.
fn copy_out(g: Gather<'_>, rows: usize, cols: usize, dense: &mut Vec<f32>) {
    dense.clear();
    match g {
        Gather::Rows { data, starts } => {
            assert_eq!(starts.len(), rows, "gemm: one start per row");
            for &s in starts {
                dense.extend_from_slice(&data[s..s + cols]);
            }
        }
        Gather::Cols { data, starts } => {
            assert_eq!(starts.len(), cols, "gemm: one start per column");
            dense.extend((0..rows * cols).map(|i| data[starts[i % cols] + i / cols]));
        }
    }
}

thread_local! {
    /// op(B) of [`gemm_gathered`] (or op(A) of [`gemm_gathered_a`] and
    /// [`gemm_gathered_ab`]) copied out where no SIMD kernel runs, kept so
    /// a training step on that path allocates nothing once it has run.
    static GATHERED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    /// op(B) of [`gemm_gathered_ab`] copied out beside its op(A).
    static GATHERED_B: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The small-product kernel as a [`BandKernel`]; `gemm` checked that it fits.
#[allow(clippy::too_many_arguments)]
fn small_kernel(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    let done = small_gemm::small_gemm(m, k, n, alpha, a, Source::Strided(b), beta, c, ldc);
    debug_assert!(done, "small kernel refused a shape it fits");
}

/// The same product on matrixmultiply's kernels, split into row bands of C
/// over rayon threads: the fallback where AVX2/FMA is missing, and the
/// reference the benches compare against.
#[allow(clippy::too_many_arguments)]
pub fn gemm_matrixmultiply(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    in_row_bands(ta, tb, m, n, k, alpha, a, b, beta, c, sgemm_block);
}

/// Checks the operands, expresses op(A) and op(B) as strides, and runs
/// `kernel` on the whole product — or, from [`PARALLEL_MIN_FMAS`] up, on one
/// contiguous band of C's rows per rayon thread.
#[allow(clippy::too_many_arguments)]
fn in_row_bands(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
    kernel: BandKernel,
) {
    if m == 0 || n == 0 {
        return;
    }
    let (am, bm) = operands(ta, tb, m, n, k, a, b, c);
    let c = &mut c[..m * n];
    let threads = thread_count(m, n, k);
    if threads == 1 {
        kernel(m, k, n, alpha, am, bm, beta, c, n);
        return;
    }
    let band = m.div_ceil(threads).div_ceil(BAND_ALIGN) * BAND_ALIGN;
    c.par_chunks_mut(band * n)
        .enumerate()
        .for_each(|(i, c_band)| {
            let row0 = i * band;
            let rows = c_band.len() / n;
            // Row `row0` of op(A) starts at offset row0·rs in either layout.
            let band_a = Strided {
                data: &am.data[row0 * am.rs..],
                ..am
            };
            kernel(rows, k, n, alpha, band_a, bm, beta, c_band, n);
        });
}

/// Checks the operands' lengths and expresses op(A) (m×k) and op(B) (k×n)
/// as strides.
#[allow(clippy::too_many_arguments)]
pub(crate) fn operands<'a>(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    a: &'a [f32],
    b: &'a [f32],
    c: &[f32],
) -> (Strided<'a>, Strided<'a>) {
    let am = operand_a(ta, m, k, a);
    let bm = operand_b(tb, k, n, b);
    check_c(m, n, c);
    (am, bm)
}

/// Checks A's length and expresses op(A) (m×k) as strides.
fn operand_a(ta: Trans, m: usize, k: usize, a: &[f32]) -> Strided<'_> {
    assert!(
        a.len() >= m * k,
        "gemm: A has {} values, needs {}",
        a.len(),
        m * k
    );
    let (rs, cs) = if ta == Trans::N { (k, 1) } else { (1, m) };
    Strided { data: a, rs, cs }
}

/// Checks B's length and expresses op(B) (k×n) as strides.
fn operand_b(tb: Trans, k: usize, n: usize, b: &[f32]) -> Strided<'_> {
    assert!(
        b.len() >= k * n,
        "gemm: B has {} values, needs {}",
        b.len(),
        k * n
    );
    let (rs, cs) = if tb == Trans::N { (n, 1) } else { (1, k) };
    Strided { data: b, rs, cs }
}

/// Checks that C holds m×n values.
fn check_c(m: usize, n: usize, c: &[f32]) {
    assert!(
        c.len() >= m * n,
        "gemm: C has {} values, needs {}",
        c.len(),
        m * n
    );
}

/// Threads for a product: one below [`PARALLEL_MIN_FMAS`] (checked first:
/// asking rayon for its thread count costs more than a tiny product's
/// arithmetic), else the current rayon pool's.
fn thread_count(m: usize, n: usize, k: usize) -> usize {
    if m * n * k < PARALLEL_MIN_FMAS || m < 2 * BAND_ALIGN {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Reference product in f64 accumulation, for tests and benches.
#[allow(clippy::too_many_arguments)]
pub fn gemm_reference(
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    b: &[f32],
    beta: f32,
    c: &mut [f32],
) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f64;
            for p in 0..k {
                let av = match ta {
                    Trans::N => a[i * k + p],
                    Trans::T => a[p * m + i],
                };
                let bv = match tb {
                    Trans::N => b[p * n + j],
                    Trans::T => b[j * k + p],
                };
                acc += av as f64 * bv as f64;
            }
            let old = if beta == 0.0 {
                0.0
            } else {
                beta * c[i * n + j]
            };
            c[i * n + j] = alpha * acc as f32 + old;
        }
    }
}

/// Random products for checking a kernel against [`gemm_reference`], in
/// every transpose combination: the kernels' tests share them.
#[cfg(test)]
pub(crate) mod cases {
    use super::{gemm_reference, operands, Trans};
    use crate::kernels::sgemm::Strided;
    use rand::Rng as _;

    /// One product: operands, the starting C, and the reference result.
    pub(crate) struct Case {
        pub ta: Trans,
        pub tb: Trans,
        pub m: usize,
        pub k: usize,
        pub n: usize,
        pub alpha: f32,
        pub beta: f32,
        pub a: Vec<f32>,
        pub b: Vec<f32>,
        pub c0: Vec<f32>,
        pub want: Vec<f32>,
    }

    impl Case {
        /// op(A) and op(B) as strided operands.
        pub(crate) fn operands(&self) -> (Strided<'_>, Strided<'_>) {
            let Case {
                ta, tb, m, k, n, ..
            } = *self;
            operands(ta, tb, m, n, k, &self.a, &self.b, &self.c0)
        }

        /// Panics unless `c` is within 1e-5·(1 + k) of the reference everywhere.
        pub(crate) fn assert_close(&self, c: &[f32], context: &str) {
            let Case {
                ta, tb, m, k, n, ..
            } = *self;
            for (x, y) in c.iter().zip(&self.want) {
                assert!(
                    (x - y).abs() < 1e-5 * (1.0 + k as f32),
                    "{m}x{k}x{n} {ta:?}{tb:?}{context}: {x} vs {y}"
                );
            }
        }
    }

    /// Calls `check` on a random product for every shape (m, k, n), all four
    /// transpose combinations and every (α, β).
    pub(crate) fn for_each_case(
        seed: u64,
        shapes: &[(usize, usize, usize)],
        scalars: &[(f32, f32)],
        mut check: impl FnMut(&Case),
    ) {
        let mut rng = crate::rng::seeded(seed);
        for &(m, k, n) in shapes {
            for (ta, tb) in [
                (Trans::N, Trans::N),
                (Trans::N, Trans::T),
                (Trans::T, Trans::N),
                (Trans::T, Trans::T),
            ] {
                for &(alpha, beta) in scalars {
                    let mut random = |len: usize| -> Vec<f32> {
                        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
                    };
                    let (a, b, c0) = (random(m * k), random(k * n), random(m * n));
                    let mut want = c0.clone();
                    gemm_reference(ta, tb, m, n, k, alpha, &a, &b, beta, &mut want);
                    check(&Case {
                        ta,
                        tb,
                        m,
                        k,
                        n,
                        alpha,
                        beta,
                        a,
                        b,
                        c0,
                        want,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    fn random(len: usize, seed: u64) -> Vec<f32> {
        let mut rng = crate::rng::seeded(seed);
        (0..len).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn check(ta: Trans, tb: Trans, m: usize, n: usize, k: usize, alpha: f32, beta: f32) {
        let a = random(m * k, 1);
        let b = random(k * n, 2);
        let c0 = random(m * n, 3);
        let mut c = c0.clone();
        let mut r = c0;
        gemm(ta, tb, m, n, k, alpha, &a, &b, beta, &mut c);
        gemm_reference(ta, tb, m, n, k, alpha, &a, &b, beta, &mut r);
        for (x, y) in c.iter().zip(&r) {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + y.abs()) * (k as f32).sqrt(),
                "{x} vs {y}"
            );
        }
    }

    /// `gemm_gathered_a` gives `gemm`'s bits on op(A) copied out where the
    /// small kernel runs, and matrixmultiply's values without it; starts
    /// out of order and with gaps, both transposes of B.
    #[test]
    fn gathered_a_is_the_product_of_a_copied_out() {
        let (m, n, k) = (9, 16, 50);
        let data = random(m * (k + 7) + 11, 4);
        let starts: Vec<usize> = (0..m).map(|r| 11 + ((r * 5) % m) * (k + 7)).collect();
        let mut a = Vec::new();
        for &s in &starts {
            a.extend_from_slice(&data[s..s + k]);
        }
        let b = random(k * n, 5);
        let c0 = random(m * n, 6);
        for tb in [Trans::N, Trans::T] {
            let (mut got, mut want) = (c0.clone(), c0.clone());
            let gathered = Gather::Rows {
                data: &data,
                starts: &starts,
            };
            gemm_gathered_a(tb, m, n, k, 0.5, gathered, &b, 1.0, &mut got);
            gemm(Trans::N, tb, m, n, k, 0.5, &a, &b, 1.0, &mut want);
            if crate::isa() == crate::Isa::Generic {
                for (x, y) in got.iter().zip(&want) {
                    assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
                }
            } else {
                assert_eq!(got, want, "{tb:?}");
            }
        }
    }

    /// `gemm_gathered_ab` gives the bits of `gemm` on both operands
    /// copied out: op(A) = Dᵀ from D's rows (`Cols`), op(B) from rows
    /// (`Rows`), the rows split between two buffers' worth of one slice,
    /// as an LSTM's dW_hh += da_tᵀ·h_{t−1} reads its two groups of rows.
    #[test]
    fn gathered_both_is_the_product_of_both_copied_out() {
        let (m, n, k) = (128, 32, 64);
        let (da_all, h_all) = (random(2 * k * m + 40, 7), random(2 * k * n + 40, 8));
        // Row p of D and of B: the first 24 rows in one place, the rest
        // in another, each at its own stride.
        let at = |p: usize, width: usize| {
            if p < 24 {
                3 + p * width
            } else {
                40 + k * width + (p - 24) * width
            }
        };
        let (a_starts, b_starts): (Vec<usize>, Vec<usize>) =
            (0..k).map(|p| (at(p, m), at(p, n))).unzip();
        let mut d = Vec::new();
        let mut b = Vec::new();
        for p in 0..k {
            d.extend_from_slice(&da_all[a_starts[p]..a_starts[p] + m]);
            b.extend_from_slice(&h_all[b_starts[p]..b_starts[p] + n]);
        }
        let c0 = random(m * n, 9);
        let (mut got, mut want) = (c0.clone(), c0.clone());
        let a = Gather::Cols {
            data: &da_all,
            starts: &a_starts,
        };
        let bg = Gather::Rows {
            data: &h_all,
            starts: &b_starts,
        };
        gemm_gathered_ab(m, n, k, 1.0, a, bg, 1.0, &mut got);
        gemm(Trans::T, Trans::N, m, n, k, 1.0, &d, &b, 1.0, &mut want);
        if crate::isa() == crate::Isa::Generic {
            for (x, y) in got.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
            }
        } else {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn all_transposes_small_and_large() {
        for &(m, n, k) in &[
            (1, 1, 1),
            (3, 5, 7),
            (64, 12, 20),
            (130, 70, 90),
            (200, 160, 129),
        ] {
            for ta in [Trans::N, Trans::T] {
                for tb in [Trans::N, Trans::T] {
                    check(ta, tb, m, n, k, 1.0, 0.0);
                    check(ta, tb, m, n, k, 0.5, 1.0);
                }
            }
        }
    }

    #[test]
    fn matrixmultiply_reference_path_agrees() {
        let (m, n, k) = (70, 50, 300);
        let a = random(m * k, 6);
        let b = random(k * n, 7);
        let mut c = vec![0.0; m * n];
        let mut r = vec![0.0; m * n];
        gemm(Trans::T, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut c);
        gemm_matrixmultiply(Trans::T, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut r);
        for (x, y) in c.iter().zip(&r) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn beta_zero_ignores_nan_in_c() {
        let (m, n, k) = (40, 33, 300);
        let mut c = vec![f32::NAN; m * n];
        gemm(
            Trans::N,
            Trans::N,
            m,
            n,
            k,
            1.0,
            &random(m * k, 8),
            &random(k * n, 9),
            0.0,
            &mut c,
        );
        assert!(c.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn products_inside_parallel_tasks_match_sequential_ones() {
        // Each task's product is itself split over the pool, so a thread
        // waiting inside one gemm may run another task's gemm.
        let (m, n, k) = (130, 70, 300);
        let a = random(m * k, 10);
        let b = random(k * n, 11);
        let mut want = vec![0.0; m * n];
        gemm(Trans::N, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut want);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let outs: Vec<Vec<f32>> = pool.install(|| {
            (0..8)
                .into_par_iter()
                .map(|_| {
                    let mut c = vec![0.0; m * n];
                    gemm(Trans::N, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut c);
                    c
                })
                .collect()
        });
        for c in outs {
            assert_eq!(c, want);
        }
    }

    #[test]
    fn bit_identical_across_thread_counts() {
        let (m, n, k) = (300, 200, 150);
        let a = random(m * k, 4);
        let b = random(k * n, 5);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = vec![0.0; m * n];
            pool.install(|| gemm(Trans::N, Trans::T, m, n, k, 1.0, &a, &b, 0.0, &mut c));
            c
        };
        assert_eq!(run(1), run(3));
        // The blocked kernel: row bands that end in a partial 6-row tile, two
        // k-blocks.
        let (m, n, k) = (301, 48, 1100);
        let a = random(m * k, 12);
        let b = random(k * n, 13);
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut c = random(m * n, 14);
            pool.install(|| gemm(Trans::T, Trans::N, m, n, k, 0.5, &a, &b, 1.0, &mut c));
            c
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(4));
    }
}
