//! Feature scaling, fitted on training rows only and applied to every row
//! scored later.
//!   standard: x' = (x − mean) / std   (population std; a constant column is
//!             only centred, never divided by zero)
//!   min-max:  x' = (x − min) / (max − min)   (a constant column maps to 0)

use crate::error::{DetectError, Result};
use aedetect_tensor::kernels::rowwise::standardize_rows_into;
use aedetect_tensor::pool::PARALLEL_MIN_VALUES;
use aedetect_tensor::Tensor;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalerKind {
    Standard,
    MinMax,
    /// Leave values as they are.
    Identity,
}

/// x' = (x − offset) · factor, per column.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaler {
    pub kind: ScalerKind,
    pub offset: Vec<f32>,
    pub factor: Vec<f32>,
}

impl Scaler {
    /// Fits the scaler on the rows of `x` ([rows, features]).
    pub fn fit(kind: ScalerKind, x: &Tensor) -> Result<Self> {
        let (n, d) = (x.rows(), x.row_len());
        if n == 0 || d == 0 {
            return Err(DetectError::Empty(
                "cannot fit a scaler on zero rows or columns".into(),
            ));
        }
        check_finite(x)?;
        let mut offset = vec![0.0f32; d];
        let mut factor = vec![1.0f32; d];
        for j in 0..d {
            let col = (0..n).map(|i| x.data()[i * d + j] as f64);
            match kind {
                ScalerKind::Identity => {}
                ScalerKind::Standard => {
                    let mean = col.clone().sum::<f64>() / n as f64;
                    let var = col.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
                    offset[j] = mean as f32;
                    factor[j] = inverse_std(mean, var.sqrt());
                }
                ScalerKind::MinMax => {
                    let (lo, hi) = col.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                        (a.min(v), b.max(v))
                    });
                    offset[j] = lo as f32;
                    factor[j] = if hi > lo {
                        (1.0 / (hi - lo)) as f32
                    } else {
                        1.0
                    };
                }
            }
        }
        Ok(Scaler {
            kind,
            offset,
            factor,
        })
    }

    pub fn features(&self) -> usize {
        self.offset.len()
    }

    /// Writes rows `start..end` of `x`, scaled, into `dst`, in one pass that
    /// also rejects NaN or infinity (naming the row of `x`).
    pub fn transform_rows_into(
        &self,
        x: &Tensor,
        start: usize,
        end: usize,
        dst: &mut Tensor,
    ) -> Result<()> {
        if x.row_len() != self.features() {
            return Err(DetectError::WidthMismatch {
                got: x.row_len(),
                want: self.features(),
            });
        }
        self.transform_slice_into(x.rows_slice(start, end), start, dst)
    }

    /// Writes `src`, whole rows of [`Scaler::features`] values numbered
    /// from `first_row`, scaled into `dst`; NaN or infinity is an error
    /// naming its row and column. The input may be any caller's memory (a
    /// NumPy array, say), so nothing is copied before the scaling pass.
    pub fn transform_slice_into(
        &self,
        src: &[f32],
        first_row: usize,
        dst: &mut Tensor,
    ) -> Result<()> {
        let d = self.features();
        debug_assert_eq!(src.len() % d, 0, "whole rows");
        dst.resize(&[src.len() / d, d]);
        let scale = |(src, dst): (&[f32], &mut [f32])| {
            standardize_rows_into(src, &self.offset, &self.factor, dst)
        };
        // Rows are scaled apart, so a large input splits across threads.
        let finite = if src.len() >= PARALLEL_MIN_VALUES && d > 0 {
            let rows = CHECK_CHUNK.div_ceil(d) * d;
            let parts = src
                .par_chunks(rows)
                .zip(dst.data_mut().par_chunks_mut(rows));
            parts.map(scale).reduce(|| true, |a, b| a & b)
        } else {
            scale((src, dst.data_mut()))
        };
        if !finite {
            return check_finite_rows(src, d, first_row);
        }
        Ok(())
    }

    /// Maps scaled rows back to the data's units, in place:
    /// x = x′ / factor + offset.
    pub fn inverse_in_place(&self, x: &mut Tensor) {
        let d = self.features();
        for row in x.data_mut().chunks_exact_mut(d) {
            for ((v, o), f) in row.iter_mut().zip(&self.offset).zip(&self.factor) {
                *v = *v / f + o;
            }
        }
    }

    /// A scaled copy of `x` (NaN or infinity is an error).
    pub fn transformed(&self, x: &Tensor) -> Result<Tensor> {
        let mut out = Tensor::default();
        self.transform_rows_into(x, 0, x.rows(), &mut out)?;
        Ok(out)
    }
}

/// Values per task of the finiteness check and of a large input's scaling.
const CHECK_CHUNK: usize = 1 << 12;

/// 1/σ of a column of mean `mean` and deviation `std`; a constant column
/// (σ within rounding of 0 next to its mean) gets 1: centred, never divided
/// by zero. The standard scaler's factor, and the normal scores' slope past
/// the training range.
pub(crate) fn inverse_std(mean: f64, std: f64) -> f32 {
    if std > 1e-12 * mean.abs().max(1.0) {
        (1.0 / std) as f32
    } else {
        1.0
    }
}

/// Rejects NaN or infinite values, naming the first one's row and column.
pub fn check_finite(x: &Tensor) -> Result<()> {
    check_finite_rows(x.data(), x.row_len(), 0)
}

/// As [`check_finite`] for rows of width `d` numbered from `first_row`.
fn check_finite_rows(values: &[f32], d: usize, first_row: usize) -> Result<()> {
    let d = d.max(1);
    // Whole chunks tested without an early exit (a loop the compiler
    // vectorizes), on every thread for a large input; then the first bad
    // chunk searched value by value.
    let bad = |chunk: &[f32]| !chunk.iter().fold(true, |ok, v| ok & v.is_finite());
    let first_bad = if values.len() >= PARALLEL_MIN_VALUES {
        values.par_chunks(CHECK_CHUNK).position_first(bad)
    } else {
        values.chunks(CHECK_CHUNK).position(bad)
    };
    let at = first_bad.and_then(|c| {
        let start = c * CHECK_CHUNK;
        values[start..]
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| start + i)
    });
    match at {
        Some(i) => Err(DetectError::NotFinite {
            row: first_row + i / d,
            col: i % d,
            value: values[i],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large input (checked and scaled on every thread) names its first
    /// bad value, not just any, and scales like a small one.
    #[test]
    fn large_inputs_name_the_first_bad_value() {
        let (rows, d) = (300, 301);
        assert!(rows * d >= PARALLEL_MIN_VALUES);
        let mut x = Tensor::from_vec(
            &[rows, d],
            (0..rows * d).map(|i| (i % 97) as f32 * 0.25).collect(),
        );
        let s = Scaler::fit(ScalerKind::Standard, &x).unwrap();
        let whole = s.transformed(&x).unwrap();
        for r in [0, 7, rows - 1] {
            let mut one = Tensor::default();
            s.transform_rows_into(&x, r, r + 1, &mut one).unwrap();
            assert_eq!(one.data(), &whole.data()[r * d..(r + 1) * d]);
        }
        x.data_mut()[260 * d + 3] = f32::INFINITY;
        x.data_mut()[250 * d + 7] = f32::NAN;
        for err in [
            check_finite(&x).unwrap_err(),
            s.transformed(&x).unwrap_err(),
        ] {
            assert!(
                matches!(
                    err,
                    DetectError::NotFinite {
                        row: 250,
                        col: 7,
                        ..
                    }
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn standard_scaling_with_a_constant_column() {
        let x = Tensor::from_vec(&[4, 2], vec![1., 5., 2., 5., 3., 5., 4., 5.]);
        let s = Scaler::fit(ScalerKind::Standard, &x).unwrap();
        let y = s.transformed(&x).unwrap();
        assert!(y.data().iter().all(|v| v.is_finite()));
        let col0: Vec<f32> = y.data().iter().step_by(2).copied().collect();
        assert!((col0.iter().sum::<f32>()).abs() < 1e-6);
        assert!((col0.iter().map(|v| v * v).sum::<f32>() / 4.0 - 1.0).abs() < 1e-5);
        assert!(y.data().iter().skip(1).step_by(2).all(|v| *v == 0.0));
    }

    #[test]
    fn min_max_and_errors() {
        let x = Tensor::from_vec(&[3, 1], vec![2., 4., 6.]);
        let s = Scaler::fit(ScalerKind::MinMax, &x).unwrap();
        assert_eq!(s.transformed(&x).unwrap().data(), &[0.0, 0.5, 1.0]);
        let bad = Tensor::from_vec(&[2, 2], vec![1., 2., f32::NAN, 3.]);
        let e = Scaler::fit(ScalerKind::Standard, &bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1, column 0"), "{e}");
        let wide = Tensor::zeros(&[1, 3]);
        assert!(matches!(
            s.transformed(&wide),
            Err(DetectError::WidthMismatch { got: 3, want: 1 })
        ));
    }
}
