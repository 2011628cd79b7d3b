//! Seeded random fills: parameter initialisers, noise and dropout masks.

use crate::rng::Rng;
use crate::Tensor;
use rand::Rng as _;
use rand_distr::{Distribution, Normal};

/// PyTorch's default for Linear and Conv weights: Kaiming-uniform with
/// a = √5, i.e. bound = gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3),
/// which simplifies to U(−1/√fan_in, 1/√fan_in). PyTorch draws biases from the
/// same bound, so [`uniform_fan_in`] serves both.
pub fn uniform_fan_in(out: &mut Tensor, fan_in: usize, rng: &mut Rng) {
    let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// Kaiming (He) uniform for ReLU networks: U(−b, b) with b = √(6/fan_in).
pub fn kaiming_uniform_relu(out: &mut Tensor, fan_in: usize, rng: &mut Rng) {
    let bound = (6.0 / fan_in.max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// Xavier (Glorot) uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)).
pub fn xavier_uniform(out: &mut Tensor, fan_in: usize, fan_out: usize, gain: f32, rng: &mut Rng) {
    let bound = gain * (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// U(lo, hi) element-wise.
pub fn uniform(out: &mut Tensor, lo: f32, hi: f32, rng: &mut Rng) {
    for v in out.data_mut() {
        *v = if lo < hi {
            rng.random_range(lo..hi)
        } else {
            lo
        };
    }
}

/// N(mean, std²) element-wise.
pub fn normal(out: &mut Tensor, mean: f32, std: f32, rng: &mut Rng) {
    let d = Normal::new(mean, std.max(0.0)).expect("finite std");
    for v in out.data_mut() {
        *v = d.sample(rng);
    }
}

/// A dropout mask: each value is 0 with probability `p`, else 1/(1 − p)
/// (inverted dropout), drawn in order from `rng`.
pub fn dropout_mask(mask: &mut Tensor, p: f32, rng: &mut Rng) {
    let keep = 1.0 / (1.0 - p);
    for m in mask.data_mut() {
        *m = if rng.random::<f32>() < p { 0.0 } else { keep };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_seeding() {
        let mut a = Tensor::zeros(&[1000]);
        let mut b = Tensor::zeros(&[1000]);
        uniform_fan_in(&mut a, 25, &mut crate::rng::seeded(7));
        uniform_fan_in(&mut b, 25, &mut crate::rng::seeded(7));
        assert_eq!(a, b);
        assert!(a.data().iter().all(|v| v.abs() < 0.2));
        assert!(a.data().iter().any(|v| v.abs() > 0.19));
        normal(&mut a, 1.0, 0.5, &mut crate::rng::seeded(1));
        let mean: f32 = a.data().iter().sum::<f32>() / 1000.0;
        assert!((mean - 1.0).abs() < 0.05);
    }
}
