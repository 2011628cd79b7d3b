//! Element-wise maps: activations, their local gradients, and the
//! arithmetic of updates.

use super::same_shape;
use crate::kernels::{elementwise as k, rowwise};
use crate::pool::{for_each_span, for_each_span_of};
use crate::Tensor;

/// Resizes `y` to `x`'s shape and runs `f(x, y)` (in spans on every thread
/// for a large batch: each value depends only on its own).
fn into(x: &Tensor, y: &mut Tensor, f: impl Fn(&[f32], &mut [f32]) + Sync) {
    y.resize(x.shape());
    let x = x.data();
    for_each_span(y.data_mut(), |at, y| f(&x[at..at + y.len()], y));
}

/// `dx = f(cache, dy)`: a local gradient from the forward pass's `cache`
/// and the upstream gradient `dy` of the same shape (dx resized to it).
fn local(
    op: &str,
    cache: &Tensor,
    dy: &Tensor,
    dx: &mut Tensor,
    f: impl Fn(&[f32], &[f32], &mut [f32]) + Sync,
) {
    same_shape(op, cache, dy);
    dx.resize(dy.shape());
    let (cache, dy) = (cache.data(), dy.data());
    for_each_span(dx.data_mut(), |at, dx| {
        let span = at..at + dx.len();
        f(&cache[span.clone()], &dy[span], dx)
    });
}

/// y = x (y resized to x's shape): [`Tensor::assign`] on every thread for
/// a large batch, for a layer whose output is its input's values (a
/// reshape between a convolution and a Linear layer copies a whole batch
/// of feature maps, both ways, on every step).
pub fn copy(x: &Tensor, y: &mut Tensor) {
    into(x, y, |x, y| y.copy_from_slice(x));
}

/// y = max(x, 0) (y resized to x's shape)
pub fn relu(x: &Tensor, y: &mut Tensor) {
    into(x, y, k::relu);
}

/// dx = dy ⊙ [y > 0], ReLU's local gradient from its output y
pub fn relu_backward(y: &Tensor, dy: &Tensor, dx: &mut Tensor) {
    local("relu backward", y, dy, dx, k::relu_backward);
}

/// y = x if x > 0 else slope·x
pub fn leaky_relu(x: &Tensor, y: &mut Tensor, slope: f32) {
    into(x, y, |x, y| k::leaky_relu(x, y, slope));
}

/// dx = dy ⊙ (1 if x > 0 else slope)
pub fn leaky_relu_backward(x: &Tensor, dy: &Tensor, dx: &mut Tensor, slope: f32) {
    local("leaky relu backward", x, dy, dx, |x, dy, dx| {
        k::leaky_relu_backward(x, dy, dx, slope)
    });
}

/// y = 1 / (1 + e^(−x))
pub fn sigmoid(x: &Tensor, y: &mut Tensor) {
    into(x, y, k::sigmoid);
}

/// dx = dy ⊙ y(1 − y), from the sigmoid's output y
pub fn sigmoid_backward(y: &Tensor, dy: &Tensor, dx: &mut Tensor) {
    local("sigmoid backward", y, dy, dx, k::sigmoid_backward);
}

/// y = tanh x
pub fn tanh(x: &Tensor, y: &mut Tensor) {
    into(x, y, k::tanh);
}

/// dx = dy ⊙ (1 − y²), from tanh's output y
pub fn tanh_backward(y: &Tensor, dy: &Tensor, dx: &mut Tensor) {
    local("tanh backward", y, dy, dx, k::tanh_backward);
}

/// y = eˣ
pub fn exp(x: &Tensor, y: &mut Tensor) {
    into(x, y, k::exp);
}

/// y += x
pub fn add_assign(y: &mut Tensor, x: &Tensor) {
    same_shape("add", x, y);
    k::add_assign(y.data_mut(), x.data());
}

/// y ⊙= x
pub fn mul_assign(y: &mut Tensor, x: &Tensor) {
    same_shape("mul", x, y);
    k::mul_assign(y.data_mut(), x.data());
}

/// y += a·x
pub fn axpy(a: f32, x: &Tensor, y: &mut Tensor) {
    same_shape("axpy", x, y);
    k::axpy(a, x.data(), y.data_mut());
}

/// y ·= a
pub fn scale(y: &mut Tensor, a: f32) {
    k::scale(y.data_mut(), a);
}

/// `y[i, :] += b` for every row i of y (`[N, b.len()]`)
pub fn add_row_vector(y: &mut Tensor, b: &Tensor) {
    assert_eq!(
        y.row_len(),
        b.len(),
        "add_row_vector: rows of {} values, a vector of {}",
        y.row_len(),
        b.len()
    );
    let width = b.len();
    for_each_span_of(y.data_mut(), width, |_, rows| {
        rowwise::add_row_vector(rows, b.data())
    });
}

/// `y[i, :] ·= w[i]` for every row i (per-row weights of a gradient).
pub fn scale_rows(y: &mut Tensor, w: &[f32]) {
    assert_eq!(
        y.rows(),
        w.len(),
        "scale_rows: {} rows, {} weights",
        y.rows(),
        w.len()
    );
    let width = y.row_len();
    if width == 0 {
        return;
    }
    for (row, s) in y.data_mut().chunks_exact_mut(width).zip(w) {
        k::scale(row, *s);
    }
}
