//! A register-tiled kernel for products with a small op(B) or few rows of C
//! (the seed autoencoder's 64×20·20×12, a convolution's per-image
//! 32×144·144×49, one row through a Linear layer), where a general sgemm's
//! packing of both operands costs more than the arithmetic.
//!
//! C is computed one panel of [`PANEL`] columns at a time. op(B)'s k ×
//! PANEL slice is read in place where its rows are contiguous and the
//! kernel can mask its loads (AVX-512), else copied into a zero-padded
//! buffer of whole vectors (rows by vector loads, columns by 8×8 register
//! transposes); op(A) is always read in place through its strides. Each
//! register tile of C keeps its accumulators over the whole k loop (enough
//! independent FMA chains to hide the FMA latency), then C = α·acc + β·C is
//! written back. The tiles are per instruction set, each in its own file:
//! `small_gemm_avx512.rs` (16-lane zmm, masked edges) and
//! `small_gemm_avx2.rs` (8-lane ymm). Both compute each element as the same
//! chain of FMAs over k, so they give the same bits, whether op(B) was
//! packed or read in place.

use super::cpu::{Avx2Fma, Simd};
use super::sgemm::{check_operands, Strided};
use super::transpose::transpose8;

/// Largest padded op(B) (k × round_up(n, 8)) that takes the kernel at any
/// row count. Whether a shape takes it does not depend on the instruction
/// set, so every machine sends a product down the same path.
pub(crate) const MAX_B_VALUES: usize = 4096;
/// Rows of C up to which a product of any k and n takes the kernel: with so
/// few rows, packing op(A) as the blocked kernel does is not repaid, and its
/// 12-row tiles pad 16 or 32 rows by an eighth or more.
pub(crate) const NARROW_ROWS: usize = 32;
/// Columns of C (and of op(B)) per panel: two zmm or four ymm vectors, the
/// widest register tile.
const PANEL: usize = 32;

/// Whether this machine can run the kernel.
pub(crate) fn available() -> bool {
    Simd::detect().is_some()
}

/// Whether op(B) is small enough for the kernel at any number of rows.
pub(crate) fn fits(k: usize, n: usize) -> bool {
    k * n.div_ceil(8) * 8 <= MAX_B_VALUES
}

/// Whether a product of this shape takes the kernel: a small op(B), or few
/// rows of C.
pub(crate) fn takes(m: usize, k: usize, n: usize) -> bool {
    fits(k, n) || m <= NARROW_ROWS
}

/// C (m×n, leading dimension ldc) = α·op(A)·op(B) + β·C. Returns `false`
/// (doing nothing) when the CPU lacks AVX2/FMA.
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
        Some(kernel) => {
            small_gemm_on(kernel, m, k, n, alpha, a, b, beta, c, ldc);
            true
        }
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
) {
    check_operands(m, k, n, &a, &b, c, ldc);
    if m == 0 || n == 0 {
        return;
    }
    let (lanes, in_place) = match kernel {
        Simd::Avx512(_) => (16, b.cs == 1),
        Simd::Avx2(_) => (8, false),
    };
    PACKED.with_borrow_mut(|buffer| {
        for j0 in (0..n).step_by(PANEL) {
            let width = PANEL.min(n - j0);
            let (values, ld) = if in_place {
                // Column j0 of op(B) starts at offset j0 (unit column stride).
                (b.data.get(j0..).unwrap_or(&[]), b.rs)
            } else {
                let np = width.div_ceil(lanes) * lanes;
                if buffer.len() < k * np {
                    buffer.resize(k * np, 0.0);
                }
                let packed = &mut buffer[..k * np];
                pack_panel(kernel, &b, j0, width, k, np, packed);
                (&packed[..], np)
            };
            let o = Operands {
                k,
                n: width,
                ld,
                alpha,
                beta,
                a,
                b: values,
            };
            let c = &mut c[j0..];
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the kernel's token proves its instruction set. It reads
            // op(B) row p at b[p·ld + j] only for j < width: a packed panel
            // holds k·ld values (ld = width rounded up to whole vectors,
            // which its loads cover); in place (AVX-512 only) the loads are
            // masked to j < width, so the highest index read is
            // (k − 1)·rs + j0 + width − 1, inside the extent
            // `check_operands` asserted. It reads A within the asserted
            // extent and writes C only at (i, j0 + j) with i < m,
            // j < width, inside the asserted length (c starts at j0).
            unsafe {
                match kernel {
                    Simd::Avx512(_) => super::small_gemm_avx512::kernel(m, &o, c, ldc),
                    Simd::Avx2(_) => super::small_gemm_avx2::kernel(m, &o, c, ldc),
                }
            }
        }
    });
}

/// Copies columns j0..j0 + width of op(B) (k rows) into `packed` (k rows of
/// `np` values, zero past `width`).
fn pack_panel(
    kernel: Simd,
    b: &Strided<'_>,
    j0: usize,
    width: usize,
    k: usize,
    np: usize,
    packed: &mut [f32],
) {
    assert!(packed.len() == k * np && width <= np);
    if b.cs == 1 {
        let panel = Strided {
            data: b.data.get(j0..).unwrap_or(&[]),
            ..*b
        };
        pack_rows(kernel, &panel, k, width, np, packed);
    } else {
        pack_columns(kernel, b, j0, width, k, np, packed);
    }
}

/// Copies op(B) (k×n) with contiguous rows into `packed` (k rows of `np`
/// values, zero past n) with the kernel's own vector loads.
fn pack_rows(kernel: Simd, b: &Strided<'_>, k: usize, n: usize, np: usize, packed: &mut [f32]) {
    assert_eq!(b.cs, 1, "pack_rows: op(B) rows must be contiguous");
    assert!(packed.len() == k * np && n <= np);
    assert!(b.data.len() >= b.extent(k, n), "pack_rows: op(B) too small");
    let _ = (avx2(kernel), b.data, b.rs);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the token proves AVX2 and FMA; row p reads b[p·rs .. p·rs + n),
    // inside the extent asserted above (the masked loads leave lanes ≥ n
    // untouched), and writes packed[p·np .. (p + 1)·np), inside its
    // asserted length k·np.
    unsafe {
        super::small_gemm_avx2::pack_rows(b.data, b.rs, k, n, np, packed)
    }
}

/// Copies columns j0..j0 + width of op(B), stored with contiguous columns
/// (Bᵀ row-major, e.g. a Linear layer's weight: column j is
/// b[j·cs .. j·cs + k]), into `packed` (k rows of `np` ≥ width values,
/// zero-padded). Whole 8×8 blocks go through a register transpose; the
/// ragged edges of k and width are copied one value at a time.
fn pack_columns(
    kernel: Simd,
    b: &Strided<'_>,
    j0: usize,
    width: usize,
    k: usize,
    np: usize,
    packed: &mut [f32],
) {
    const BLOCK: usize = 8;
    assert_eq!(b.rs, 1, "gemm: op(B) must have unit row or column stride");
    let cpu = avx2(kernel);
    let (full_k, full_w) = (k / BLOCK * BLOCK, width / BLOCK * BLOCK);
    for jj in (0..full_w).step_by(BLOCK) {
        let col = (j0 + jj) * b.cs;
        for p in (0..full_k).step_by(BLOCK) {
            transpose8(
                cpu,
                &b.data[col + p..],
                b.cs,
                &mut packed[p * np + jj..],
                np,
            );
        }
    }
    for (p, row) in packed.chunks_exact_mut(np).enumerate() {
        // Columns of the ragged right edge for every p, and every column
        // for the ragged tail of k.
        let first = if p < full_k { full_w } else { 0 };
        for (jj, v) in row.iter_mut().enumerate().skip(first) {
            *v = if jj < width {
                b.data[(j0 + jj) * b.cs + p]
            } else {
                0.0
            };
        }
    }
}

/// The AVX2 + FMA proof every kernel's token carries (packing uses AVX2's
/// loads and transposes under either set).
fn avx2(kernel: Simd) -> Avx2Fma {
    match kernel {
        Simd::Avx512(cpu) => cpu.avx2(),
        Simd::Avx2(cpu) => cpu,
    }
}

thread_local! {
    /// A panel of op(B) packed for the kernel: one buffer per thread, grown
    /// to the largest k × panel it has packed, then reused.
    static PACKED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The operands of one panel, shared by every tile.
pub(super) struct Operands<'a> {
    pub k: usize,
    /// Columns of the panel (≤ [`PANEL`]).
    pub n: usize,
    /// Row stride of `b`: a packed panel's padded width, or op(B)'s own row
    /// stride when read in place.
    pub ld: usize,
    pub alpha: f32,
    pub beta: f32,
    pub a: Strided<'a>,
    /// op(B)'s panel: row p at `b[p·ld ..]`.
    pub b: &'a [f32],
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
            // Few rows, op(B) beyond MAX_B_VALUES: several panels, ragged
            // 8×8 transpose blocks in k and n.
            (1, 1568, 32),
            (1, 32, 1568),
            (3, 300, 70),
            (32, 144, 49),
            (32, 49, 144),
            (17, 9, 200),
            (2, 19, 33),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)];
        for_each_case(9, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let mut first: Option<Vec<f32>> = None;
            for &(name, kernel) in &kernels {
                let mut c = case.c0.clone();
                assert!(
                    takes(m, k, n),
                    "shape {m}x{k}x{n} should take the small kernel"
                );
                small_gemm_on(kernel, m, k, n, case.alpha, am, bm, case.beta, &mut c, n);
                case.assert_close(&c, &format!(" {name}"));
                // Every element is the same chain of FMAs in both kernels.
                let first = first.get_or_insert_with(|| c.clone());
                assert!(first == &c, "{m}x{k}x{n} {name}: other bits than avx2");
            }
        });
    }
}
