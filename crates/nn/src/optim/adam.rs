//! Adam and AdamW, following PyTorch's update exactly:
//!   g ← g + λ·θ                      (Adam's L2 weight decay, if λ > 0)
//!   θ ← θ·(1 − lr·λ)                 (AdamW's decoupled decay instead)
//!   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
//!   θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)

use super::{state_slot, Optimizer};
use crate::Layer;

pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// AdamW: decay the weights directly instead of adding λθ to the gradient.
    pub decoupled: bool,
    t: u32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
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

    /// Starts a step: advances the time step used by the bias corrections.
    pub fn tick(&mut self) {
        self.t += 1;
    }

    /// Updates one parameter tensor (state slot `slot`) after [`Adam::tick`].
    pub fn update(&mut self, slot: usize, theta: &mut [f32], grad: &[f32]) {
        assert_eq!(
            theta.len(),
            grad.len(),
            "Adam: parameter and gradient lengths differ"
        );
        assert!(self.t > 0, "Adam::update before Adam::tick");
        let t = self.t as i32;
        let step_size = (self.lr as f64 / (1.0 - (self.beta1 as f64).powi(t))) as f32;
        let bc2_sqrt = (1.0 - (self.beta2 as f64).powi(t)).sqrt() as f32;
        let (b1, b2, eps, wd, lr) = (self.beta1, self.beta2, self.eps, self.weight_decay, self.lr);
        let decoupled = self.decoupled;
        state_slot(&mut self.m, slot, theta.len());
        state_slot(&mut self.v, slot, theta.len());
        let (m, v) = (&mut self.m[slot], &mut self.v[slot]);
        for (((p, &g), m), v) in theta
            .iter_mut()
            .zip(grad)
            .zip(m.iter_mut())
            .zip(v.iter_mut())
        {
            let g = if decoupled {
                *p *= 1.0 - lr * wd;
                g
            } else {
                g + wd * *p
            };
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step_size * *m / (v.sqrt() / bc2_sqrt + eps);
        }
    }

    /// One step over parameters reached by `visit` (which calls its argument
    /// on each parameter in a fixed order) — for models made of several parts
    /// that are not one `Layer`, such as the VAE.
    pub fn step_visiting(&mut self, visit: impl FnOnce(&mut dyn FnMut(&mut crate::Param))) {
        self.tick();
        let mut slot = 0;
        visit(&mut |p| {
            self.update(slot, p.value.data_mut(), p.grad.data());
            slot += 1;
        });
    }
}

impl Optimizer for Adam {
    fn step(&mut self, model: &mut dyn Layer) {
        self.step_visiting(|f| model.visit_params_mut(f));
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }
}
