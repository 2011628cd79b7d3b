//! Block transposes in AVX2 registers, for packing: a matrix whose rows run
//! along k (op(A) stored row-major, op(B) = Wᵀ of a Linear layer) is
//! interleaved into panels eight values of k at a time, eight lanes (or,
//! for the rest of a 12- or 6-row panel, four) per block, with 8 (or 4)
//! loads, 24 (or 12) shuffles and 8 stores instead of a move per value.

use super::cpu::Avx2Fma;

/// dst = srcᵀ for a row-major `rows × cols` src (dst `cols × rows`): whole
/// 8×8 blocks through the register transpose where AVX2 runs, the ragged
/// edges (and everything elsewhere) one value at a time.
///
/// # Panics
/// If `src` or `dst` does not hold rows·cols values.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert!(
        src.len() == rows * cols && dst.len() == rows * cols,
        "transpose: {} and {} values for a {rows}×{cols} matrix",
        src.len(),
        dst.len()
    );
    const B: usize = 8;
    let (full_r, full_c) = match Avx2Fma::detect() {
        #[cfg(target_arch = "x86_64")]
        Some(_) => {
            let (full_r, full_c) = (rows / B * B, cols / B * B);
            let (from, to) = (src.as_ptr(), dst.as_mut_ptr());
            for i in (0..full_r).step_by(B) {
                for j in (0..full_c).step_by(B) {
                    let block = std::array::from_fn(|l| (i + l) * cols + j);
                    // SAFETY: the token proves AVX2. Rows i..i+8 < rows and
                    // columns j..j+8 < cols, so each read of 8 values lies
                    // inside src's rows·cols, and the 8 writes of 8 values
                    // at dst[(j + s)·rows + i ..] inside dst's cols·rows.
                    unsafe {
                        avx2::transpose8(block.map(|at| from.add(at)), to.add(j * rows + i), rows);
                    }
                }
            }
            (full_r, full_c)
        }
        _ => (0, 0),
    };
    for (i, row) in src.chunks_exact(cols.max(1)).enumerate().take(rows) {
        let first = if i < full_r { full_c } else { 0 };
        for (j, &v) in row.iter().enumerate().skip(first) {
            dst[j * rows + i] = v;
        }
    }
}

/// out[s·out_stride + l] = rows[l][s] for l < L, s < 8: L runs of eight
/// values, wherever each lies, become eight runs of L. L = 8 makes eight
/// columns; L = 4 covers the lanes of a 12- or 6-row A panel that the 8×8
/// blocks leave over.
///
/// # Panics
/// If L is not 4 or 8, a row has fewer than 8 values or `out` fewer than
/// 7·out_stride + L.
pub(crate) fn transpose_runs<const L: usize>(
    cpu: Avx2Fma,
    rows: [&[f32]; L],
    out: &mut [f32],
    out_stride: usize,
) {
    assert!(L == 4 || L == 8, "transpose: runs of 4 or 8 lanes only");
    assert!(
        rows.iter().all(|r| r.len() >= 8),
        "transpose: a row is too short"
    );
    assert!(
        out.len() >= 7 * out_stride + L,
        "transpose: output too short"
    );
    let _ = cpu;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `cpu` proves AVX2; the kernel reads 8 values from each of the
    // L rows and writes L at each of out[s·out_stride] for s < 8, inside the
    // lengths asserted above.
    unsafe {
        let (from, to) = (rows.map(|r| r.as_ptr()), out.as_mut_ptr());
        if L == 8 {
            avx2::transpose8(std::array::from_fn(|l| from[l]), to, out_stride);
        } else {
            avx2::transpose4x8(std::array::from_fn(|l| from[l]), to, out_stride);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("Avx2Fma cannot exist off x86_64");
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use std::arch::x86_64::*;

    /// See [`super::transpose_runs`] (L = 8).
    ///
    /// # Safety
    /// The CPU runs AVX2; each row points to 8 readable values and `out`
    /// to 7·out_stride + 8 writable ones.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn transpose8(rows: [*const f32; 8], out: *mut f32, out_stride: usize) {
        let r: [__m256; 8] = std::array::from_fn(|l| _mm256_loadu_ps(rows[l]));
        for (s, column) in transposed(r).into_iter().enumerate() {
            _mm256_storeu_ps(out.add(s * out_stride), column);
        }
    }

    /// See [`super::transpose_runs`] (L = 4).
    ///
    /// # Safety
    /// The CPU runs AVX2; each row points to 8 readable values and `out`
    /// to 7·out_stride + 4 writable ones.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn transpose4x8(rows: [*const f32; 4], out: *mut f32, out_stride: usize) {
        let r: [__m256; 4] = std::array::from_fn(|l| _mm256_loadu_ps(rows[l]));
        // Rows 0, 1 and 2, 3 interleaved, then quads: u[j] holds column j
        // of the four rows in its low half and column j + 4 in its high.
        let (t0, t1) = (
            _mm256_unpacklo_ps(r[0], r[1]),
            _mm256_unpackhi_ps(r[0], r[1]),
        );
        let (t2, t3) = (
            _mm256_unpacklo_ps(r[2], r[3]),
            _mm256_unpackhi_ps(r[2], r[3]),
        );
        let u = [
            _mm256_shuffle_ps::<0x44>(t0, t2),
            _mm256_shuffle_ps::<0xEE>(t0, t2),
            _mm256_shuffle_ps::<0x44>(t1, t3),
            _mm256_shuffle_ps::<0xEE>(t1, t3),
        ];
        for (j, column) in u.into_iter().enumerate() {
            _mm_storeu_ps(out.add(j * out_stride), _mm256_castps256_ps128(column));
            _mm_storeu_ps(
                out.add((j + 4) * out_stride),
                _mm256_extractf128_ps::<1>(column),
            );
        }
    }

    /// The 8×8 transpose in registers: lane l of output s is lane s of
    /// input l. Register-only, so it is safe wherever AVX2 runs.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(in crate::kernels) fn transposed(r: [__m256; 8]) -> [__m256; 8] {
        // Pairs of rows interleaved: t[2i] holds (r[2i], r[2i+1]) columns
        // 0, 1 and 4, 5; t[2i+1] columns 2, 3 and 6, 7.
        let t: [__m256; 8] = std::array::from_fn(|i| {
            let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
            if i % 2 == 0 {
                _mm256_unpacklo_ps(a, b)
            } else {
                _mm256_unpackhi_ps(a, b)
            }
        });
        // Quads: u[4h + j] holds column j (and j + 4) of rows 4h..4h+4.
        let u: [__m256; 8] = std::array::from_fn(|i| {
            let (h, j) = (i / 4, i % 4);
            let (lo, hi) = (t[4 * h + j / 2], t[4 * h + 2 + j / 2]);
            if j % 2 == 0 {
                _mm256_shuffle_ps::<0x44>(lo, hi)
            } else {
                _mm256_shuffle_ps::<0xEE>(lo, hi)
            }
        });
        // Column s of all 8 rows: low halves for s < 4, high halves above.
        std::array::from_fn(|s| {
            let (a, b) = (u[s % 4], u[4 + s % 4]);
            if s < 4 {
                _mm256_permute2f128_ps::<0x20>(a, b)
            } else {
                _mm256_permute2f128_ps::<0x31>(a, b)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_transpose_swaps_every_index_at_ragged_shapes() {
        for (rows, cols) in [(0, 3), (1, 1), (8, 8), (128, 32), (9, 17), (3, 40), (33, 7)] {
            let src: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
            let mut dst = vec![f32::NAN; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        dst[j * rows + i],
                        src[i * cols + j],
                        "{rows}×{cols} at {i}, {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn matches_an_index_swap_at_any_strides() {
        let Some(cpu) = Avx2Fma::supported() else {
            eprintln!("no AVX2 here: the transpose is not used, nothing to check");
            return;
        };
        for (src_stride, out_stride) in [(8, 8), (11, 12), (784, 32), (9, 16)] {
            let src: Vec<f32> = (0..7 * src_stride + 8).map(|v| v as f32).collect();
            let mut out = vec![f32::NAN; 7 * out_stride + 8];
            let rows = std::array::from_fn(|l| &src[l * src_stride..l * src_stride + 8]);
            transpose_runs::<8>(cpu, rows, &mut out, out_stride);
            for l in 0..8 {
                for s in 0..8 {
                    assert_eq!(
                        out[s * out_stride + l],
                        src[l * src_stride + s],
                        "l {l} s {s}"
                    );
                }
            }
            // Four rows into eight runs of four; the lanes past them untouched.
            let mut out = vec![f32::NAN; 7 * out_stride + 4];
            let rows = std::array::from_fn(|l| &src[l * src_stride..l * src_stride + 8]);
            transpose_runs::<4>(cpu, rows, &mut out, out_stride);
            for s in 0..8 {
                for l in 0..out_stride.min(out.len() - s * out_stride) {
                    let want = if l < 4 {
                        src[l * src_stride + s]
                    } else {
                        f32::NAN
                    };
                    assert_eq!(
                        out[s * out_stride + l].to_bits(),
                        want.to_bits(),
                        "4×8: l {l} s {s}"
                    );
                }
            }
        }
    }
}
