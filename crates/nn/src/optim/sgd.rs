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
