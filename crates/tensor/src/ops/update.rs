//! Optimizer steps and weight penalties on parameter tensors.

use super::same_shape;
use crate::kernels::update as k;
pub use crate::kernels::update::{AdamStep, SgdStep};
use crate::Tensor;

/// Makes `state` a zero tensor of `like`'s shape unless it already is one of
/// that shape (optimizer state: allocated on the first step only).
fn state_like(state: &mut Tensor, like: &Tensor) {
    if state.shape() != like.shape() {
        *state = Tensor::zeros(like.shape());
    }
}

/// One Adam step on θ (moments m, v start at zero on first use).
pub fn adam(theta: &mut Tensor, grad: &Tensor, m: &mut Tensor, v: &mut Tensor, c: &AdamStep) {
    same_shape("adam", theta, grad);
    state_like(m, theta);
    state_like(v, theta);
    k::adam(theta.data_mut(), grad.data(), m.data_mut(), v.data_mut(), c);
}

/// One SGD step on θ (the momentum buffer starts at zero on first use).
pub fn sgd(theta: &mut Tensor, grad: &Tensor, buf: &mut Tensor, c: &SgdStep) {
    same_shape("sgd", theta, grad);
    state_like(buf, theta);
    k::sgd(theta.data_mut(), grad.data(), buf.data_mut(), c);
}

/// Adds the L1/L2 penalty's gradient to `grad` and its value to `total`.
pub fn l1_l2_penalty(w: &Tensor, grad: &mut Tensor, l1: f32, l2: f32, total: &mut f64) {
    same_shape("penalty", w, grad);
    k::l1_l2_penalty(w.data(), grad.data_mut(), l1, l2, total);
}
