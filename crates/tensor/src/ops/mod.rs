//! The tensor-level operations layers, losses and optimizers call: the seam
//! between the numbers and everything above them.
//!
//! Every function takes and returns [`Tensor`]s (or writes per-row results
//! into a caller's `&mut [f32]`, results that leave the engine anyway), checks
//! shapes, sizes its outputs where it says so, and runs a kernel of
//! [`crate::kernels`]. Code above this crate never loops over a tensor's
//! values itself, so a second storage (a device) only has to implement these
//! functions. Matrix products are [`crate::matmul`]'s `Mat` views;
//! convolution's unfold/fold is [`crate::conv`].

mod channels;
mod latent;
mod layout;
mod loss;
mod map;
mod reduce;
mod update;

pub use channels::{add_channels_to_image, add_image_sums, fill_channels, image_channel_sums};
pub use latent::{gaussian_kl, gaussian_kl_rows, reparam_backward, reparam_forward};
pub use layout::{transpose_side_by_side, transpose_side_by_side_into};
pub use loss::{
    bce_with_logits_rows, loss_rows, mean_bce_with_logits_rows, mean_rows, mean_square_rows,
    mean_squared_distance_rows,
};
pub use map::{
    add_assign, add_row_vector, axpy, copy, exp, leaky_relu, leaky_relu_backward, mul_assign, relu,
    relu_backward, scale, scale_rows, sigmoid, sigmoid_backward, tanh, tanh_backward,
};
pub use reduce::{add_col_sums, sum, sum_squares};
pub use update::{adam, l1_l2_penalty, sgd, AdamStep, SgdStep};

use crate::Tensor;

/// Panics unless `a` and `b` have the same shape.
fn same_shape(op: &str, a: &Tensor, b: &Tensor) {
    assert_eq!(
        a.shape(),
        b.shape(),
        "{op}: shapes {:?} and {:?} differ",
        a.shape(),
        b.shape()
    );
}
