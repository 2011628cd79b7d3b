//! Mean squared error: ℓ = (p − t)²,  dℓ/dp = 2(p − t).

use super::{Loss, LossBuffers};
use aedetect_tensor::Tensor;

#[derive(Default)]
pub struct Mse {
    buf: LossBuffers,
}

impl Mse {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Loss for Mse {
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        self.buf.run(pred, target, |p, t| {
            let d = p - t;
            (d * d, 2.0 * d)
        })
    }
    fn backward(&self) -> &Tensor {
        &self.buf.grad
    }
    fn per_sample(&self) -> &[f32] {
        &self.buf.per_sample
    }
    fn element(&self, p: f32, t: f32) -> f32 {
        (p - t) * (p - t)
    }
    fn name(&self) -> &'static str {
        "mse"
    }
}
