//! Binary cross-entropy on probabilities p ∈ [0, 1]:
//!   ℓ = −(t·ln p + (1 − t)·ln(1 − p)),   dℓ/dp = (p − t) / (p(1 − p))
//! As in PyTorch, each log is clamped to ≥ −100 and the denominator to ≥ 1e−12,
//! so p = 0 or 1 gives a finite loss and gradient.

use super::{Loss, LossBuffers};
use aedetect_tensor::Tensor;

const LOG_FLOOR: f32 = -100.0;
const DENOM_FLOOR: f32 = 1e-12;

#[derive(Default)]
pub struct Bce {
    buf: LossBuffers,
}

impl Bce {
    pub fn new() -> Self {
        Self::default()
    }
}

fn bce(p: f32, t: f32) -> f32 {
    -(t * p.ln().max(LOG_FLOOR) + (1.0 - t) * (1.0 - p).ln().max(LOG_FLOOR))
}

impl Loss for Bce {
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        self.buf.run(pred, target, |p, t| {
            (bce(p, t), (p - t) / (p * (1.0 - p)).max(DENOM_FLOOR))
        })
    }
    fn backward(&self) -> &Tensor {
        &self.buf.grad
    }
    fn per_sample(&self) -> &Tensor {
        &self.buf.per_sample
    }
    fn element(&self, p: f32, t: f32) -> f32 {
        bce(p, t)
    }
    fn name(&self) -> &'static str {
        "bce"
    }
}
