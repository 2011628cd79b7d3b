//! Matrix products: C = α·op(A)·op(B) + β·C with op ∈ {identity, transpose}.
//!
//! All matrices are dense row-major. A transpose is expressed through strides,
//! so it costs no copy. Three paths, chosen by shape and CPU only:
//! * products whose op(B) is small (k·n ≤ 4096, e.g. every layer of the seed
//!   autoencoder, at any batch size): a register-tiled AVX2 + FMA kernel that
//!   packs only op(B) (`kernels/small_gemm.rs`);
//! * everything else, or without AVX2/FMA: matrixmultiply's kernels
//!   ([`gemm_matrixmultiply`], also the benches' reference).
//!
//! From 2¹⁸ multiply-adds up, C is split into one band of rows per rayon thread.
//!
//! Each element of C sees the same sequence of operations whatever the thread
//! count, so results are bit-identical for 1, 2 or 64 threads.

use crate::kernels::sgemm::{sgemm_block, Strided};
use crate::kernels::small_gemm;
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
/// cost of waking a second core (a few µs) exceeds the work.
const PARALLEL_MIN_FMAS: usize = 1 << 18;

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
    in_row_bands(ta, tb, m, n, k, alpha, a, b, beta, c, choose_kernel(k, n));
}

/// A routine computing one band of C (all of op(B), some rows of op(A)).
type BandKernel = fn(usize, usize, usize, f32, Strided<'_>, Strided<'_>, f32, &mut [f32], usize);

/// The fastest kernel for this shape on this CPU. Depends on shape and CPU
/// features only, never on the thread count.
fn choose_kernel(k: usize, n: usize) -> BandKernel {
    if small_gemm::available() && small_gemm::fits(k, n) {
        return |m, k, n, alpha, a, b, beta, c, ldc| {
            let done = small_gemm::small_gemm(m, k, n, alpha, a, b, beta, c, ldc);
            debug_assert!(done, "small kernel refused a shape it fits");
        };
    }
    sgemm_block
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
    assert!(
        a.len() >= m * k,
        "gemm: A has {} values, needs {}",
        a.len(),
        m * k
    );
    assert!(
        b.len() >= k * n,
        "gemm: B has {} values, needs {}",
        b.len(),
        k * n
    );
    assert!(
        c.len() >= m * n,
        "gemm: C has {} values, needs {}",
        c.len(),
        m * n
    );
    if m == 0 || n == 0 {
        return;
    }
    // Strides of op(A) (m×k) and op(B) (k×n).
    let (rsa, csa) = if ta == Trans::N { (k, 1) } else { (1, m) };
    let (rsb, csb) = if tb == Trans::N { (n, 1) } else { (1, k) };
    let bm = Strided {
        data: b,
        rs: rsb,
        cs: csb,
    };
    let c = &mut c[..m * n];
    // Size first: asking rayon for its thread count costs more than a tiny
    // product's arithmetic.
    let threads = if m * n * k < PARALLEL_MIN_FMAS || m < 2 * BAND_ALIGN {
        1
    } else {
        rayon::current_num_threads()
    };
    if threads == 1 {
        kernel(
            m,
            k,
            n,
            alpha,
            Strided {
                data: a,
                rs: rsa,
                cs: csa,
            },
            bm,
            beta,
            c,
            n,
        );
        return;
    }
    let band = m.div_ceil(threads).div_ceil(BAND_ALIGN) * BAND_ALIGN;
    c.par_chunks_mut(band * n)
        .enumerate()
        .for_each(|(i, c_band)| {
            let row0 = i * band;
            let rows = c_band.len() / n;
            // Row `row0` of op(A) starts at offset row0 * rsa in either layout.
            let am = Strided {
                data: &a[row0 * rsa..],
                rs: rsa,
                cs: csa,
            };
            kernel(rows, k, n, alpha, am, bm, beta, c_band, n);
        });
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
    }
}
