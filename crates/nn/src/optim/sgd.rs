//! Stochastic gradient descent with momentum, as PyTorch's `SGD`:
//!   g ← g + λ·θ;   b ← g (first step) or μ·b + g;   θ ← θ − lr·b
//! (Nesterov: θ ← θ − lr·(g + μ·b).)

use super::{state_slot, Optimizer};
use crate::Parameters;
use aedetect_tensor::{ops, Tensor};

pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    started: bool,
    buf: Vec<Tensor>,
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
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut dyn Parameters) {
        let c = ops::SgdStep {
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            nesterov: self.nesterov,
            first: !self.started,
        };
        let buf = &mut self.buf;
        let mut slot = 0;
        params.visit_params_mut(&mut |p| {
            ops::sgd(&mut p.value, &p.grad, state_slot(buf, slot), &c);
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
    use crate::layers::Linear;

    /// A one-weight network with gradient g.
    fn one_weight(theta: f32, g: f32) -> Linear {
        let mut l = Linear::from_params(
            Tensor::from_vec(&[1, 1], vec![theta]),
            Tensor::from_vec(&[1], vec![0.0]),
        );
        l.weight.grad = Tensor::from_vec(&[1, 1], vec![g]);
        l
    }

    #[test]
    fn momentum_matches_pytorch_recurrence() {
        // θ = 1, g = 0.5 each step, lr 0.1, μ 0.9:
        // step 1: b = 0.5,       θ = 1 − 0.05       = 0.95
        // step 2: b = 0.45 + 0.5 = 0.95, θ = 0.95 − 0.095 = 0.855
        let mut opt = Sgd::with_momentum(0.1, 0.9);
        let mut l = one_weight(1.0, 0.5);
        opt.step(&mut l);
        assert!((l.weight.value.to_vec()[0] - 0.95).abs() < 1e-7);
        opt.step(&mut l);
        assert!((l.weight.value.to_vec()[0] - 0.855).abs() < 1e-6);
    }

    #[test]
    fn plain_sgd_with_weight_decay() {
        let mut opt = Sgd {
            weight_decay: 0.1,
            ..Sgd::new(0.5)
        };
        let mut l = one_weight(2.0, 1.0);
        opt.step(&mut l);
        // g = 1 + 0.1·2 = 1.2; θ = 2 − 0.6
        assert!((l.weight.value.to_vec()[0] - 1.4).abs() < 1e-6);
    }
}
