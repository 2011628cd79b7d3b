//! Values moved to another layout.

use crate::kernels::transpose as k;
use crate::Tensor;

/// dst = [A₁, A₂, …]ᵀ: the transpose of matrices with the same row count
/// placed side by side, i.e. A₁ᵀ stacked on A₂ᵀ on … (dst resized to
/// [Σ cᵢ, r]). An LSTM's [W_ih, W_hh]ᵀ, read by rows in each step.
///
/// # Panics
/// If a part is not two-dimensional or their row counts differ.
pub fn transpose_side_by_side(parts: &[&Tensor], dst: &mut Tensor) {
    let (cols, r) = side_by_side_shape(parts);
    dst.resize(&[cols, r]);
    transpose_side_by_side_into(parts, dst.data_mut());
}

/// [`transpose_side_by_side`] into a slice of exactly Σ cᵢ · r values, for
/// a destination that is not a tensor (an LSTM keeps its [W_ih, W_hh]ᵀ
/// from a 64-byte boundary inside a larger buffer).
///
/// # Panics
/// As [`transpose_side_by_side`], or if `dst` is not Σ cᵢ · r long.
pub fn transpose_side_by_side_into(parts: &[&Tensor], dst: &mut [f32]) {
    let (cols, r) = side_by_side_shape(parts);
    assert_eq!(
        dst.len(),
        cols * r,
        "transpose: {} values for a [{cols}, {r}] result",
        dst.len()
    );
    let mut out = dst;
    for p in parts {
        let (here, rest) = out.split_at_mut(p.row_len() * r);
        k::transpose(p.data(), r, p.row_len(), here);
        out = rest;
    }
}

/// The shape [Σ cᵢ, r] of the parts' stacked transposes.
fn side_by_side_shape(parts: &[&Tensor]) -> (usize, usize) {
    let r = parts.first().map_or(0, |p| p.rows());
    for p in parts {
        assert!(
            p.shape().len() == 2 && p.rows() == r,
            "transpose: parts {:?} are not matrices of {r} rows",
            p.shape()
        );
    }
    (parts.iter().map(|p| p.row_len()).sum(), r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_parts_transpose_into_stacked_rows() {
        let a = Tensor::from_vec(&[3, 2], (0..6).map(|v| v as f32).collect());
        let b = Tensor::from_vec(&[3, 9], (10..37).map(|v| v as f32).collect());
        let mut dst = Tensor::default();
        transpose_side_by_side(&[&a, &b], &mut dst);
        assert_eq!(dst.shape(), [11, 3]);
        for i in 0..3 {
            for j in 0..2 {
                assert_eq!(dst.row(j)[i], a.row(i)[j]);
            }
            for j in 0..9 {
                assert_eq!(dst.row(2 + j)[i], b.row(i)[j]);
            }
        }
        let mut single = Tensor::default();
        transpose_side_by_side(&[&b], &mut single);
        assert_eq!(single.shape(), [9, 3]);
        assert_eq!(single.data(), &dst.data()[6..]);
        // Into a slice: the same values.
        let mut into = vec![f32::NAN; 33];
        transpose_side_by_side_into(&[&a, &b], &mut into);
        assert_eq!(into, dst.data());
    }

    #[test]
    #[should_panic(expected = "transpose: 32 values for a [11, 3] result")]
    fn a_slice_of_another_length_is_refused() {
        let (a, b) = (Tensor::zeros(&[3, 2]), Tensor::zeros(&[3, 9]));
        transpose_side_by_side_into(&[&a, &b], &mut [0.0; 32]);
    }
}
