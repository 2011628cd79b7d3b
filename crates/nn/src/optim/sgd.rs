//! Stochastic gradient descent with momentum, as PyTorch's `SGD`:
//!   g ← g + λ·θ;   b ← g (first step) or μ·b + g;   θ ← θ − lr·b
//! (Nesterov: θ ← θ − lr·(g + μ·b).)

use super::{state_slot, Optimizer};
use crate::Layer;

pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    started: bool,
    buf: Vec<Vec<f32>>,
}

impl Sgd {
    pub fn new(lr: f32) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            started: false,
            buf: Vec::new(),
        }
    }

    pub fn with_momentum(lr: f32, momentum: f32) -> Self {
        Sgd {
            momentum,
            ..Self::new(lr)
        }
    }

    /// Updates one parameter tensor (state slot `slot`).
    pub fn update(&mut self, slot: usize, theta: &mut [f32], grad: &[f32]) {
        let (lr, mu, wd, first) = (self.lr, self.momentum, self.weight_decay, !self.started);
        let b = state_slot(&mut self.buf, slot, theta.len());
        for ((p, &g), b) in theta.iter_mut().zip(grad).zip(b.iter_mut()) {
            let g = g + wd * *p;
            if mu == 0.0 {
                *p -= lr * g;
                continue;
            }
            *b = if first { g } else { mu * *b + g };
            *p -= lr * if self.nesterov { g + mu * *b } else { *b };
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, model: &mut dyn Layer) {
        let mut slot = 0;
        model.visit_params_mut(&mut |p| {
            self.update(slot, p.value.data_mut(), p.grad.data());
            slot += 1;
        });
        self.started = true;
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_matches_pytorch_recurrence() {
        // θ = 1, g = 0.5 each step, lr 0.1, μ 0.9:
        // step 1: b = 0.5,       θ = 1 − 0.05       = 0.95
        // step 2: b = 0.45 + 0.5 = 0.95, θ = 0.95 − 0.095 = 0.855
        let mut opt = Sgd::with_momentum(0.1, 0.9);
        let mut theta = [1.0f32];
        opt.update(0, &mut theta, &[0.5]);
        opt.started = true;
        assert!((theta[0] - 0.95).abs() < 1e-7);
        opt.update(0, &mut theta, &[0.5]);
        assert!((theta[0] - 0.855).abs() < 1e-6);
    }

    #[test]
    fn plain_sgd_with_weight_decay() {
        let mut opt = Sgd {
            weight_decay: 0.1,
            ..Sgd::new(0.5)
        };
        let mut theta = [2.0f32];
        opt.update(0, &mut theta, &[1.0]);
        // g = 1 + 0.1·2 = 1.2; θ = 2 − 0.6
        assert!((theta[0] - 1.4).abs() < 1e-6);
    }
}
