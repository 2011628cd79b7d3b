//! A register-tiled AVX2 + FMA kernel for small products (the seed
//! autoencoder's 64×20·20×12 and friends), where a general sgemm's packing of
//! both operands costs more than the arithmetic.
//!
//! op(B) (k×n) is copied once into a zero-padded, 8-lane-aligned stack buffer;
//! op(A) is read in place through its strides. Each 4-row × 16-column tile of C
//! keeps 8 accumulators in registers over the whole k loop (enough independent
//! FMA chains to hide the FMA latency), then C = α·acc + β·C is written back.

use super::sgemm::{check_operands, Strided};

/// Largest padded op(B) (k × round_up(n, 8)) the kernel takes.
pub(crate) const MAX_B_VALUES: usize = 4096;
/// Rows of C per register tile.
const MR: usize = 4;
const LANES: usize = 8;

/// Whether this machine can run the kernel.
pub(crate) fn available() -> bool {
    super::cpu::avx2_fma()
}

/// Whether a product of this shape fits the kernel.
pub(crate) fn fits(k: usize, n: usize) -> bool {
    k * n.div_ceil(LANES) * LANES <= MAX_B_VALUES
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
    if !available() || !fits(k, n) || m == 0 || n == 0 {
        return false;
    }
    check_operands(m, k, n, &a, &b, c, ldc);
    let np = n.div_ceil(LANES) * LANES;
    PACKED.with_borrow_mut(|packed| {
        packed.resize(MAX_B_VALUES, 0.0);
        if b.cs == 1 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: AVX2 confirmed by `available()`; row p reads b[p·rs ..
            // p·rs + n) (inside the extent asserted above; the masked load
            // leaves lanes ≥ n untouched) and writes packed[p·np .. p·np + np)
            // with k·np ≤ MAX_B_VALUES = packed.len().
            unsafe {
                avx2::pack_rows(b.data, b.rs, k, n, np, packed);
            }
        } else {
            pack_columns(&b, k, n, np, &mut packed[..k * np]);
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
        // SAFETY: `available()` confirmed AVX2 and FMA at run time; the kernel
        // reads `packed` within k·np ≤ MAX_B_VALUES values, A within the extent
        // asserted above, and writes C only at (i, j) with i < m, j < n, inside
        // the asserted length.
        unsafe {
            avx2::kernel(m, &o, c, ldc);
        }
    });
    true
}

/// Copies op(B) (k×n) with contiguous columns (Bᵀ stored row-major, e.g. a
/// Linear layer's weight) into `packed` (k rows of `np` ≥ n values,
/// zero-padded). Eight columns are read side by side, so each packed row gets
/// whole 8-value runs instead of one scattered value per column.
fn pack_columns(b: &Strided<'_>, k: usize, n: usize, np: usize, packed: &mut [f32]) {
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
struct Operands<'a> {
    k: usize,
    n: usize,
    np: usize,
    alpha: f32,
    beta: f32,
    a: Strided<'a>,
    packed: &'a [f32],
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Operands, LANES, MR};
    use std::arch::x86_64::*;

    /// Writes the `cols` valid lanes of α·acc + β·C at `dst`.
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; 1 ≤ `cols` ≤ 8 and `dst` holds at least
    /// `cols` values (8 when `cols` is 8, 4 when it is at least 4).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn store(acc: __m256, alpha: f32, beta: f32, dst: &mut [f32], cols: usize) {
        let mut v = _mm256_mul_ps(acc, _mm256_set1_ps(alpha));
        if cols == LANES {
            if beta != 0.0 {
                v = _mm256_fmadd_ps(_mm256_loadu_ps(dst.as_ptr()), _mm256_set1_ps(beta), v);
            }
            _mm256_storeu_ps(dst.as_mut_ptr(), v);
        } else {
            // A partial vector: its low four lanes in one 128-bit store when
            // all are valid, the rest one by one (masked stores are slow on
            // AMD cores). Same arithmetic as a full vector: β·C fused in.
            let mut lanes = [0.0f32; LANES];
            _mm256_storeu_ps(lanes.as_mut_ptr(), v);
            let mut start = 0;
            if cols >= 4 {
                let mut low = _mm256_castps256_ps128(v);
                if beta != 0.0 {
                    low = _mm_fmadd_ps(_mm_loadu_ps(dst.as_ptr()), _mm_set1_ps(beta), low);
                }
                _mm_storeu_ps(dst.as_mut_ptr(), low);
                start = 4;
            }
            for (d, t) in dst[start..cols].iter_mut().zip(&lanes[start..]) {
                *d = if beta != 0.0 { d.mul_add(beta, *t) } else { *t };
            }
        }
    }

    /// Packs op(B) with contiguous rows (row p at `b[p·rs ..]`, n values) into
    /// `packed` (k rows of np, zero-padded): whole vectors copied as they
    /// are, the last partial one through a masked load (which never touches
    /// the lanes it leaves out).
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; `b` holds (k − 1)·rs + n values, `np` is
    /// n rounded up to whole vectors, and `packed` holds k·np values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn pack_rows(
        b: &[f32],
        rs: usize,
        k: usize,
        n: usize,
        np: usize,
        packed: &mut [f32],
    ) {
        const MASKS: [i32; 2 * LANES] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];
        let tail = n % LANES;
        let mask = _mm256_loadu_si256(MASKS.as_ptr().add(LANES - tail) as *const __m256i);
        let full = n - tail;
        for p in 0..k {
            let src = b.as_ptr().add(p * rs);
            let dst = packed.as_mut_ptr().add(p * np);
            let mut j = 0;
            while j < full {
                _mm256_storeu_ps(dst.add(j), _mm256_loadu_ps(src.add(j)));
                j += LANES;
            }
            if tail > 0 {
                _mm256_storeu_ps(dst.add(j), _mm256_maskload_ps(src.add(j), mask));
            }
        }
    }

    /// One tile of R rows × V vectors of C starting at (i, j); R and V are
    /// constants so the accumulators live in registers.
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; rows i..i+R of op(A) and all k of its
    /// columns lie inside `o.a`, `o.packed` holds k·np values with
    /// j + V·8 ≤ np, and `c` holds rows i..i+R at stride `ldc` up to column n.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile<const R: usize, const V: usize>(
        o: &Operands<'_>,
        i: usize,
        j: usize,
        c: &mut [f32],
        ldc: usize,
    ) {
        let bp = o.packed.as_ptr();
        let ap = o.a.data.as_ptr();
        let mut acc = [[_mm256_setzero_ps(); V]; R];
        for p in 0..o.k {
            let mut bv = [_mm256_setzero_ps(); V];
            for (v, b) in bv.iter_mut().enumerate() {
                *b = _mm256_loadu_ps(bp.add(p * o.np + j + v * LANES));
            }
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*ap.add((i + r) * o.a.rs + p * o.a.cs));
                for (acc_rv, b) in acc_r.iter_mut().zip(&bv) {
                    *acc_rv = _mm256_fmadd_ps(av, *b, *acc_rv);
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            let row = &mut c[(i + r) * ldc..];
            for (v, acc_rv) in acc_r.iter().enumerate() {
                let col = j + v * LANES;
                if col < o.n {
                    store(
                        *acc_rv,
                        o.alpha,
                        o.beta,
                        &mut row[col..],
                        LANES.min(o.n - col),
                    );
                }
            }
        }
    }

    /// All tiles of C: full 4-row blocks, then single remainder rows; column
    /// pairs of vectors, then a last single vector. (Wider tiles — 6 rows ×
    /// 2 vectors, leftover rows as one tile — measured 10–15 % slower on the
    /// seed shapes: with more tile shapes the compiler stops inlining them.)
    ///
    /// # Safety
    /// The CPU runs AVX2 and FMA; `o` describes an m×k op(A) inside `o.a`
    /// and op(B) packed by [`pack_rows`] (or its scalar twin) into `o.packed`;
    /// `c` holds m rows of `o.n` values at stride `ldc`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel(m: usize, o: &Operands<'_>, c: &mut [f32], ldc: usize) {
        let mut j = 0;
        while j < o.np {
            let pair = j + LANES < o.np;
            let mut i = 0;
            while i + MR <= m {
                if pair {
                    tile::<MR, 2>(o, i, j, c, ldc);
                } else {
                    tile::<MR, 1>(o, i, j, c, ldc);
                }
                i += MR;
            }
            while i < m {
                if pair {
                    tile::<1, 2>(o, i, j, c, ldc);
                } else {
                    tile::<1, 1>(o, i, j, c, ldc);
                }
                i += 1;
            }
            j += if pair { 2 * LANES } else { LANES };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::cases::for_each_case;

    #[test]
    fn matches_reference_on_awkward_shapes() {
        if !available() {
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
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)];
        for_each_case(9, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let mut c = case.c0.clone();
            let used = small_gemm(m, k, n, case.alpha, am, bm, case.beta, &mut c, n);
            assert!(used, "shape {m}x{k}x{n} should take the small kernel");
            case.assert_close(&c, "");
        });
    }
}
