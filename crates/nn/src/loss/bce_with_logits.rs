//! Binary cross-entropy on logits x (p = σ(x)), in the stable form
//!   ℓ = max(x, 0) − x·t + ln(1 + e^(−|x|)),   dℓ/dx = σ(x) − t
//! which never exponentiates a positive number: logits of ±60 (or ±1e4) give a
//! finite loss and gradient. Both passes run in SIMD lanes
//! (`ops::bce_with_logits_rows`, `ops::mean_bce_with_logits_rows`: the same
//! formula, with vector exp and ln).

use super::{Loss, LossBuffers};
use aedetect_tensor::kernels::logistic;
use aedetect_tensor::{ops, Tensor};

#[derive(Default)]
pub struct BceWithLogits {
    buf: LossBuffers,
}

impl BceWithLogits {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Loss for BceWithLogits {
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        let buf = &mut self.buf;
        ops::bce_with_logits_rows(pred, target, &mut buf.grad, &mut buf.per_sample)
    }
    fn backward(&self) -> &Tensor {
        &self.buf.grad
    }
    fn per_sample(&self) -> &Tensor {
        &self.buf.per_sample
    }
    fn element(&self, x: f32, t: f32) -> f32 {
        logistic::scalar::bce_logits(x, t)
    }

    fn row_means(&self, pred: &Tensor, target: &Tensor, out: &mut [f32]) {
        ops::mean_bce_with_logits_rows(pred, target, out);
    }
    fn name(&self) -> &'static str {
        "bce_with_logits"
    }
}
