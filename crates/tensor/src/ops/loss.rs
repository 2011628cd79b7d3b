//! Losses and reconstruction errors: a scalar function of (prediction,
//! target) taken over two same-shaped tensors, row by row.

use super::same_shape;
use crate::kernels::{logistic, pointwise as k, rowwise};
use crate::Tensor;

/// Runs `elem(p, t) = (ℓ, dℓ/dp)` over every element: `grad` (resized)
/// gets the gradient of the mean loss, `per_row` (resized to `[rows]`) each
/// row's mean ℓ; returns the mean ℓ. Sums in f64.
pub fn loss_rows(
    pred: &Tensor,
    target: &Tensor,
    grad: &mut Tensor,
    per_row: &mut Tensor,
    elem: impl Fn(f32, f32) -> (f32, f32),
) -> f32 {
    same_shape("loss", pred, target);
    grad.resize(pred.shape());
    per_row.resize(&[pred.rows()]);
    k::loss_rows(
        pred.data(),
        target.data(),
        pred.row_len(),
        grad.data_mut(),
        per_row.data_mut(),
        elem,
    )
}

/// `out[i] = mean_j elem(p[i, j], t[i, j])`, summed in f32 in order.
pub fn mean_rows(pred: &Tensor, target: &Tensor, out: &mut [f32], elem: impl Fn(f32, f32) -> f32) {
    same_shape("row means", pred, target);
    assert_eq!(out.len(), pred.rows(), "row means: output length");
    k::mean_rows(pred.data(), target.data(), pred.row_len(), out, elem);
}

/// `out[i] = mean_j (a[i, j] − b[i, j])²`, in 8 SIMD lanes.
pub fn mean_squared_distance_rows(a: &Tensor, b: &Tensor, out: &mut [f32]) {
    same_shape("squared distance", a, b);
    assert_eq!(out.len(), a.rows(), "squared distance: output length");
    let w = a.row_len();
    rowwise::squared_distance_rows_into(a.data(), b.data(), w, out);
    out.iter_mut().for_each(|s| *s /= w as f32);
}

/// `out[i] = mean_j x[i, j]²`, summed in f32 in order.
pub fn mean_square_rows(x: &Tensor, out: &mut [f32]) {
    assert_eq!(out.len(), x.rows(), "mean squares: output length");
    k::mean_square_rows(x.data(), x.row_len(), out);
}

/// Binary cross-entropy on logits, the training pass (formula in
/// [`crate::kernels::logistic`]): `grad` (resized) gets the gradient of the
/// mean, `per_row` (resized to `[rows]`) each row's mean ℓ; returns the
/// mean ℓ. Sums in f64.
pub fn bce_with_logits_rows(
    pred: &Tensor,
    target: &Tensor,
    grad: &mut Tensor,
    per_row: &mut Tensor,
) -> f32 {
    same_shape("loss", pred, target);
    grad.resize(pred.shape());
    per_row.resize(&[pred.rows()]);
    logistic::bce_logits_rows(
        pred.data(),
        target.data(),
        pred.row_len(),
        grad.data_mut(),
        per_row.data_mut(),
    )
}

/// `out[i] = mean_j ℓ(p[i, j], t[i, j])` of binary cross-entropy on logits,
/// summed in f32 in order (scoring: no gradient).
pub fn mean_bce_with_logits_rows(pred: &Tensor, target: &Tensor, out: &mut [f32]) {
    same_shape("row means", pred, target);
    assert_eq!(out.len(), pred.rows(), "row means: output length");
    logistic::bce_logits_row_means(pred.data(), target.data(), pred.row_len(), out);
}
