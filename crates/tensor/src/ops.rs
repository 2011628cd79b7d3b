//! Element-wise operations and reductions: the safe, device-neutral API that
//! layers call. Implementations live in [`crate::kernels`].

pub use crate::kernels::elementwise::{
    add_assign, axpy, exp, leaky_relu, leaky_relu_backward, mul_assign, relu, relu_backward, scale,
    sigmoid, sigmoid_backward, tanh, tanh_backward,
};
pub use crate::kernels::reduce::{sum, sum_cols_into, sum_rows_into, sum_squares};

/// y[i, :] += bias for every row of an `rows × bias.len()` matrix.
pub fn add_row_vector(y: &mut [f32], bias: &[f32]) {
    for row in y.chunks_exact_mut(bias.len()) {
        add_assign(row, bias);
    }
}
