//! A register-tiled kernel for small products (the seed autoencoder's
//! 64×20·20×12 and friends), where a general sgemm's packing of both operands
//! costs more than the arithmetic.
//!
//! op(B) (k×n) is copied once into a zero-padded buffer of whole vectors;
//! op(A) is read in place through its strides. Each register tile of C keeps
//! its accumulators over the whole k loop (enough independent FMA chains to
//! hide the FMA latency), then C = α·acc + β·C is written back. The tiles
//! are per instruction set, each in its own file: `small_gemm_avx512.rs`
//! (16-lane zmm, masked edges) and `small_gemm_avx2.rs` (8-lane ymm). Both
//! compute each element as the same chain of FMAs over k, so they give the
//! same bits.

use super::cpu::Simd;
use super::sgemm::{check_operands, Strided};

/// Largest padded op(B) (k × round_up(n, 8)) the kernel takes. Whether a
/// shape fits does not depend on the instruction set, so every machine
/// sends a product down the same path.
pub(crate) const MAX_B_VALUES: usize = 4096;
/// The packed buffer: k × round_up(n, 16) ≤ 2·MAX_B_VALUES when the shape
/// fits (rounding up to 16 lanes at most doubles rounding up to 8).
const PACKED_VALUES: usize = 2 * MAX_B_VALUES;

/// Whether this machine can run the kernel.
pub(crate) fn available() -> bool {
    Simd::detect().is_some()
}

/// Whether a product of this shape fits the kernel.
pub(crate) fn fits(k: usize, n: usize) -> bool {
    k * n.div_ceil(8) * 8 <= MAX_B_VALUES
}

/// C (m×n, leading dimension ldc) = α·op(A)·op(B) + β·C. Returns `false`
/// (doing nothing) when the CPU lacks AVX2/FMA or the shape does not fit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn small_gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> bool {
    match Simd::detect() {
        Some(kernel) => small_gemm_on(kernel, m, k, n, alpha, a, b, beta, c, ldc),
        None => false,
    }
}

/// [`small_gemm`] on the given tiles.
#[allow(clippy::too_many_arguments)]
fn small_gemm_on(
    kernel: Simd,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> bool {
    if !fits(k, n) || m == 0 || n == 0 {
        return false;
    }
    check_operands(m, k, n, &a, &b, c, ldc);
    let lanes = match kernel {
        Simd::Avx512(_) => 16,
        Simd::Avx2(_) => 8,
    };
    let np = n.div_ceil(lanes) * lanes;
    debug_assert!(k * np <= PACKED_VALUES);
    PACKED.with_borrow_mut(|packed| {
        packed.resize(PACKED_VALUES, 0.0);
        let packed = &mut packed[..k * np];
        if b.cs == 1 {
            pack_rows(kernel, &b, k, n, np, packed);
        } else {
            pack_columns(&b, k, n, np, packed);
        }
        let o = Operands {
            k,
            n,
            np,
            alpha,
            beta,
            a,
            packed,
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the kernel's token proves its instruction set; it reads
        // `packed` within k·np values (its length), A within the extent
        // asserted above, and writes C only at (i, j) with i < m, j < n,
        // inside the asserted length.
        unsafe {
            match kernel {
                Simd::Avx512(_) => super::small_gemm_avx512::kernel(m, &o, c, ldc),
                Simd::Avx2(_) => super::small_gemm_avx2::kernel(m, &o, c, ldc),
            }
        }
    });
    true
}

/// Copies op(B) (k×n) with contiguous rows into `packed` (k rows of `np`
/// values, zero past n) with the kernel's own vector loads.
fn pack_rows(kernel: Simd, b: &Strided<'_>, k: usize, n: usize, np: usize, packed: &mut [f32]) {
    assert_eq!(b.cs, 1, "pack_rows: op(B) rows must be contiguous");
    assert!(packed.len() == k * np && n <= np);
    let _ = (kernel, b.data, b.rs);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the token proves the instruction set; row p reads
    // b[p·rs .. p·rs + n), inside the extent `check_operands` asserted (the
    // masked loads leave lanes ≥ n untouched), and writes
    // packed[p·np .. (p + 1)·np), inside its asserted length k·np.
    unsafe {
        match kernel {
            Simd::Avx512(_) => super::small_gemm_avx512::pack_rows(b.data, b.rs, k, n, np, packed),
            Simd::Avx2(_) => super::small_gemm_avx2::pack_rows(b.data, b.rs, k, n, np, packed),
        }
    }
}

/// Copies op(B) (k×n) with contiguous columns (Bᵀ stored row-major, e.g. a
/// Linear layer's weight) into `packed` (k rows of `np` ≥ n values,
/// zero-padded; np a multiple of 8). Eight columns are read side by side, so each packed row gets
/// whole 8-value runs instead of one scattered value per column.
fn pack_columns(b: &Strided<'_>, k: usize, n: usize, np: usize, packed: &mut [f32]) {
    const LANES: usize = 8;
    assert_eq!(b.rs, 1, "gemm: op(B) must have unit row or column stride");
    for j0 in (0..np).step_by(LANES) {
        let live = LANES.min(n.saturating_sub(j0));
        if live == LANES {
            let cols: [&[f32]; LANES] =
                std::array::from_fn(|l| &b.data[(j0 + l) * b.cs..(j0 + l) * b.cs + k]);
            for (p, dst) in packed.chunks_exact_mut(np).enumerate() {
                dst[j0..j0 + LANES]
                    .copy_from_slice(&std::array::from_fn::<f32, LANES, _>(|l| cols[l][p]));
            }
        } else {
            for (p, dst) in packed.chunks_exact_mut(np).enumerate() {
                for (l, v) in dst[j0..j0 + LANES].iter_mut().enumerate() {
                    *v = if l < live {
                        b.data[(j0 + l) * b.cs + p]
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

thread_local! {
    /// op(B) packed for the kernel: one buffer per thread, allocated once.
    static PACKED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The operands of one call, shared by every tile.
pub(super) struct Operands<'a> {
    pub k: usize,
    pub n: usize,
    /// op(B)'s columns padded to whole vectors: the packed row stride.
    pub np: usize,
    pub alpha: f32,
    pub beta: f32,
    pub a: Strided<'a>,
    pub packed: &'a [f32],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::cases::for_each_case;
    use crate::kernels::cpu::{Avx2Fma, Avx512};

    #[test]
    fn matches_reference_on_awkward_shapes_with_every_kernel() {
        let kernels: Vec<(&str, Simd)> = [
            Avx2Fma::supported().map(|k| ("avx2", Simd::Avx2(k))),
            Avx512::supported().map(|k| ("avx512", Simd::Avx512(k))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if kernels.is_empty() {
            eprintln!("no AVX2/FMA here: the small kernel is not used, nothing to check");
            return;
        }
        let shapes = [
            (1, 1, 1),
            (64, 20, 12),
            (12, 64, 20),
            (5, 3, 8),
            (7, 9, 16),
            (9, 4, 17),
            (4, 30, 24),
            (3, 2, 40),
            (6, 5, 7),
            (2, 3, 13),
            (13, 7, 33),
            (11, 2, 64),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)];
        for_each_case(9, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let mut first: Option<Vec<f32>> = None;
            for &(name, kernel) in &kernels {
                let mut c = case.c0.clone();
                let used = small_gemm_on(kernel, m, k, n, case.alpha, am, bm, case.beta, &mut c, n);
                assert!(used, "shape {m}x{k}x{n} should take the small kernel");
                case.assert_close(&c, &format!(" {name}"));
                // Every element is the same chain of FMAs in both kernels.
                let first = first.get_or_insert_with(|| c.clone());
                assert!(first == &c, "{m}x{k}x{n} {name}: other bits than avx2");
            }
        });
    }
}
