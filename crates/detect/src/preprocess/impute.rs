//! Filling missing values (NaN, ±∞, empty CSV cells) — opt-in only: by
//! default a missing value is an error naming its row and column.
//!
//! Mean imputation: each column's missing cells take the mean of that
//! column's finite training values. The means are kept with the model (as
//! the standard scaler's offset), so rows scored later are filled with the
//! training means, never with statistics of the data being scored.

use crate::error::{DetectError, Result};
use aedetect_tensor::Tensor;

/// Column means of the finite values of `x`; a column with none is an error.
pub fn finite_column_means(x: &Tensor, names: &[String]) -> Result<Vec<f32>> {
    let w = x.row_len();
    let mut sum = vec![0.0f64; w];
    let mut count = vec![0usize; w];
    for row in x.data().chunks_exact(w.max(1)) {
        for (j, &v) in row.iter().enumerate() {
            if v.is_finite() {
                sum[j] += v as f64;
                count[j] += 1;
            }
        }
    }
    (0..w)
        .map(|j| {
            if count[j] == 0 {
                let name = names.get(j).map_or(j.to_string(), Clone::clone);
                Err(DetectError::Config(format!(
                    "column `{name}` has no finite value to impute from"
                )))
            } else {
                Ok((sum[j] / count[j] as f64) as f32)
            }
        })
        .collect()
}

/// Replaces every non-finite value of column j by `fill[j]`; returns how many
/// values were filled.
pub fn fill_missing(x: &mut Tensor, fill: &[f32]) -> usize {
    let w = fill.len();
    let mut filled = 0;
    for row in x.data_mut().chunks_exact_mut(w.max(1)) {
        for (v, &f) in row.iter_mut().zip(fill) {
            if !v.is_finite() {
                *v = f;
                filled += 1;
            }
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_skip_missing_and_fill_them() {
        let mut x = Tensor::from_vec(&[3, 2], vec![1.0, f32::NAN, 3.0, 4.0, f32::INFINITY, 8.0]);
        let names = vec!["a".to_string(), "b".to_string()];
        let m = finite_column_means(&x, &names).unwrap();
        assert_eq!(m, [2.0, 6.0]);
        assert_eq!(fill_missing(&mut x, &m), 2);
        assert_eq!(x.data(), &[1.0, 6.0, 3.0, 4.0, 2.0, 8.0]);
        let all_nan = Tensor::from_vec(&[1, 2], vec![1.0, f32::NAN]);
        let e = finite_column_means(&all_nan, &names)
            .unwrap_err()
            .to_string();
        assert!(e.contains("column `b`"), "{e}");
    }
}
