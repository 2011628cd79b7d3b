//! Mean squared error: ℓ = (p − t)²,  dℓ/dp = 2(p − t).

use super::{Loss, LossBuffers};
use aedetect_tensor::{ops, Tensor};

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
    fn per_sample(&self) -> &Tensor {
        &self.buf.per_sample
    }
    fn element(&self, p: f32, t: f32) -> f32 {
        (p - t) * (p - t)
    }
    /// Σ (p − t)² / width per row, in SIMD lanes (the scoring hot path).
    fn row_means(&self, pred: &Tensor, target: &Tensor, out: &mut [f32]) {
        ops::mean_squared_distance_rows(pred, target, out);
    }
    fn name(&self) -> &'static str {
        "mse"
    }
}
