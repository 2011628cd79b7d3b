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
    let r = parts.first().map_or(0, |p| p.rows());
    for p in parts {
        assert!(
            p.shape().len() == 2 && p.rows() == r,
            "transpose: parts {:?} are not matrices of {r} rows",
            p.shape()
        );
    }
    let cols: usize = parts.iter().map(|p| p.row_len()).sum();
    dst.resize(&[cols, r]);
    let mut out = dst.data_mut();
    for p in parts {
        let (here, rest) = out.split_at_mut(p.row_len() * r);
        k::transpose(p.data(), r, p.row_len(), here);
        out = rest;
    }
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
    }
}
