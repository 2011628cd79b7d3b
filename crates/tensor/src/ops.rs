//! Element-wise operations and reductions: the safe, device-neutral API that
//! layers call. Implementations live in [`crate::kernels`].

pub use crate::kernels::elementwise::{
    add_assign, axpy, exp, leaky_relu, leaky_relu_backward, mul_assign, relu, relu_backward, scale,
    sigmoid, sigmoid_backward, tanh, tanh_backward,
};
pub use crate::kernels::reduce::{sum, sum_cols_into, sum_rows_into, sum_squares};
pub use crate::kernels::rowwise::{
    add_row_vector, squared_distance_rows_into, standardize_rows_into,
};
