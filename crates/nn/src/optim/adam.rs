//! Adam and AdamW, following PyTorch's update exactly:
//!   g ← g + λ·θ                      (Adam's L2 weight decay, if λ > 0)
//!   θ ← θ·(1 − lr·λ)                 (AdamW's decoupled decay instead)
//!   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
//!   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)

use super::{state_slot, Optimizer};
use crate::Parameters;
use aedetect_tensor::{ops, Tensor};

pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// AdamW: decay the weights directly instead of adding λθ to the gradient.
    pub decoupled: bool,
    t: u32,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl Adam {
    /// Adam with PyTorch's defaults: β = (0.9, 0.999), ε = 1e−8, no decay.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Adam with L2 weight decay λ added to the gradient (PyTorch's `Adam(weight_decay=λ)`).
    pub fn with_l2(lr: f32, weight_decay: f32) -> Self {
        Adam {
            weight_decay,
            ..Self::new(lr)
        }
    }

    /// AdamW: decoupled weight decay λ (PyTorch's `AdamW(weight_decay=λ)`).
    pub fn adamw(lr: f32, weight_decay: f32) -> Self {
        Adam {
            weight_decay,
            decoupled: true,
            ..Self::new(lr)
        }
    }

    /// The coefficients of step t (the bias corrections in f64, as PyTorch).
    fn coefficients(&self) -> ops::AdamStep {
        let t = self.t as i32;
        ops::AdamStep {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
            decoupled: self.decoupled,
            step_size: (self.lr as f64 / (1.0 - (self.beta1 as f64).powi(t))) as f32,
            bias_correction2_sqrt: (1.0 - (self.beta2 as f64).powi(t)).sqrt() as f32,
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut dyn Parameters) {
        self.t += 1;
        let c = self.coefficients();
        let (m, v) = (&mut self.m, &mut self.v);
        let mut slot = 0;
        params.visit_params_mut(&mut |p| {
            let (ms, vs) = (state_slot(m, slot), state_slot(v, slot));
            ops::adam(&mut p.value, &p.grad, ms, vs, &c);
            slot += 1;
        });
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}
