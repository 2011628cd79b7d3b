//! Gradient clipping by global norm (PyTorch's `clip_grad_norm_`):
//!   n = √(Σ‖g‖²);  if n > max: g ← g · max / (n + 1e−6)

use crate::Layer;
use aedetect_tensor::ops;

/// Scales all gradients so their global L2 norm is at most `max_norm`;
/// returns the norm before clipping.
pub fn clip_grad_norm(model: &mut dyn Layer, max_norm: f32) -> f32 {
    let mut sq = 0.0f64;
    model.visit_params(&mut |p| sq += ops::sum_squares(p.grad.data()) as f64);
    let norm = sq.sqrt() as f32;
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        model.visit_params_mut(&mut |p| ops::scale(p.grad.data_mut(), coef));
    }
    norm
}
