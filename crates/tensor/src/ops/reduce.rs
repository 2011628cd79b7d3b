//! Sums, in a fixed order (deterministic for any thread count).

use crate::kernels::reduce as k;
use crate::Tensor;

/// Σ x
pub fn sum(x: &Tensor) -> f32 {
    k::sum(x.data())
}

/// Σ x²
pub fn sum_squares(x: &Tensor) -> f32 {
    k::sum_squares(x.data())
}

/// `out[j] += Σ_i x[i, j]` — e.g. a bias gradient from dY `[N, out]`.
pub fn add_col_sums(x: &Tensor, out: &mut Tensor) {
    assert_eq!(
        x.row_len(),
        out.len(),
        "add_col_sums: rows of {} values into {}",
        x.row_len(),
        out.len()
    );
    k::sum_cols_into(x.data(), x.rows(), x.row_len(), out.data_mut());
}
