//! Gradient clipping by global norm (PyTorch's `clip_grad_norm_`):
//!   n = √(Σ‖g‖²);  if n > max: g ← g · max / (n + 1e−6)

use crate::Parameters;
use aedetect_tensor::ops;

/// Scales all gradients so their global L2 norm is at most `max_norm`;
/// returns the norm before clipping.
pub fn clip_grad_norm(params: &mut dyn Parameters, max_norm: f32) -> f32 {
    let mut sq = 0.0f64;
    params.visit_params(&mut |p| sq += ops::sum_squares(&p.grad) as f64);
    let norm = sq.sqrt() as f32;
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        params.visit_params_mut(&mut |p| ops::scale(&mut p.grad, coef));
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Linear;
    use aedetect_tensor::Tensor;

    #[test]
    fn scales_to_max_norm() {
        let mut l = Linear::from_params(Tensor::zeros(&[1, 2]), Tensor::zeros(&[1]));
        l.weight.grad = Tensor::from_vec(&[1, 2], vec![3.0, 0.0]);
        l.bias.grad = Tensor::from_vec(&[1], vec![4.0]);
        let n = clip_grad_norm(&mut l, 1.0);
        assert!((n - 5.0).abs() < 1e-6);
        assert!((l.weight.grad.to_vec()[0] - 0.6).abs() < 1e-5);
        assert!((l.bias.grad.to_vec()[0] - 0.8).abs() < 1e-5);
        // Under the limit: untouched.
        assert!((clip_grad_norm(&mut l, 10.0) - 1.0).abs() < 1e-5);
        assert!((l.bias.grad.to_vec()[0] - 0.8).abs() < 1e-5);
    }
}
