//! Poisson negative log-likelihood for counts, with the prediction a log-rate x
//! (PyTorch's `PoissonNLLLoss(log_input=True, full=False)`):
//!   ℓ = e^x − t·x,   dℓ/dx = e^x − t

use super::{Loss, LossBuffers};
use aedetect_tensor::Tensor;

#[derive(Default)]
pub struct PoissonNll {
    buf: LossBuffers,
}

impl PoissonNll {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Loss for PoissonNll {
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        self.buf.run(pred, target, |x, t| {
            let e = x.exp();
            (e - t * x, e - t)
        })
    }
    fn backward(&self) -> &Tensor {
        &self.buf.grad
    }
    fn per_sample(&self) -> &Tensor {
        &self.buf.per_sample
    }
    fn element(&self, x: f32, t: f32) -> f32 {
        x.exp() - t * x
    }
    fn name(&self) -> &'static str {
        "poisson_nll"
    }
}
