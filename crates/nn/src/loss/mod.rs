//! Losses with per-sample values and gradients.
//!
//! Every loss is the mean over all elements (PyTorch's `reduction="mean"`);
//! `per_sample` holds the mean over each row's elements, which is the anomaly
//! score of a reconstruction. Each loss states its element function ℓ(p, t)
//! and dℓ/dp once; the tensor crate runs it over the batch:
//! * [`Loss::forward`] — the training pass: mean, per-row means and the
//!   gradient, summed in f64 so a large batch loses no precision;
//! * [`Loss::row_means`] — the scoring pass: per-row means only, no gradient.

mod bce;
mod bce_with_logits;
mod mse;
mod poisson_nll;

pub use bce::Bce;
pub use bce_with_logits::BceWithLogits;
pub use mse::Mse;
pub use poisson_nll::PoissonNll;

use aedetect_tensor::{ops, Tensor};

/// A loss L(pred, target) with its gradient dL/dpred.
pub trait Loss: Send {
    /// Computes the mean loss, the per-sample means and dL/dpred in one pass.
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32;

    /// dL/dpred of the mean loss, for the most recent forward.
    fn backward(&self) -> &Tensor;

    /// Per-sample (row) mean loss of the most recent forward, `[rows]`.
    fn per_sample(&self) -> &Tensor;

    /// The element-wise loss ℓ(p, t) alone.
    fn element(&self, pred: f32, target: f32) -> f32;

    /// Each row's mean ℓ into `out` (one value per row), without a gradient:
    /// the reconstruction error a detector scores with.
    fn row_means(&self, pred: &Tensor, target: &Tensor, out: &mut [f32]) {
        ops::mean_rows(pred, target, out, |p, t| self.element(p, t));
    }

    fn name(&self) -> &'static str;
}

/// Buffers every loss keeps: the gradient and the per-sample means.
#[derive(Default)]
pub(crate) struct LossBuffers {
    pub grad: Tensor,
    pub per_sample: Tensor,
}

impl LossBuffers {
    /// Runs `elem(p, t) -> (ℓ, dℓ/dp)` over every element (see
    /// [`ops::loss_rows`]); returns the mean loss.
    pub fn run(
        &mut self,
        pred: &Tensor,
        target: &Tensor,
        elem: impl Fn(f32, f32) -> (f32, f32),
    ) -> f32 {
        ops::loss_rows(pred, target, &mut self.grad, &mut self.per_sample, elem)
    }
}
