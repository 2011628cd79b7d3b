//! Binary cross-entropy on logits x (p = σ(x)), in the stable form
//!   ℓ = max(x, 0) − x·t + ln(1 + e^(−|x|)),   dℓ/dx = σ(x) − t
//! which never exponentiates a positive number: logits of ±60 (or ±1e4) give a
//! finite loss and gradient.

use super::{Loss, LossBuffers};
use aedetect_tensor::Tensor;

#[derive(Default)]
pub struct BceWithLogits {
    buf: LossBuffers,
}

impl BceWithLogits {
    pub fn new() -> Self {
        Self::default()
    }
}

fn bce_logits(x: f32, t: f32) -> f32 {
    x.max(0.0) - x * t + (-x.abs()).exp().ln_1p()
}

/// σ(x) without overflow: e^(−|x|) is at most 1.
fn sigmoid(x: f32) -> f32 {
    let e = (-x.abs()).exp();
    if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

impl Loss for BceWithLogits {
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        self.buf
            .run(pred, target, |x, t| (bce_logits(x, t), sigmoid(x) - t))
    }
    fn backward(&self) -> &Tensor {
        &self.buf.grad
    }
    fn per_sample(&self) -> &Tensor {
        &self.buf.per_sample
    }
    fn element(&self, x: f32, t: f32) -> f32 {
        bce_logits(x, t)
    }
    fn name(&self) -> &'static str {
        "bce_with_logits"
    }
}
