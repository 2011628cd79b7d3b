//! Losses with per-sample values and gradients.
//!
//! Every loss is the mean over all elements (PyTorch's `reduction="mean"`);
//! `per_sample` holds the mean over each row's elements, which is the anomaly
//! score of a reconstruction.

mod bce;
mod bce_with_logits;
mod mse;
mod poisson_nll;

pub use bce::Bce;
pub use bce_with_logits::BceWithLogits;
pub use mse::Mse;
pub use poisson_nll::PoissonNll;

use aedetect_tensor::Tensor;

/// A loss L(pred, target) with its gradient dL/dpred.
pub trait Loss: Send {
    /// Computes the mean loss, the per-sample means and dL/dpred in one pass.
    fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32;

    /// dL/dpred of the mean loss, for the most recent forward.
    fn backward(&self) -> &Tensor;

    /// Per-sample (row) mean loss of the most recent forward.
    fn per_sample(&self) -> &[f32];

    /// The element-wise loss ℓ(p, t) alone, for scoring without gradients.
    fn element(&self, pred: f32, target: f32) -> f32;

    fn name(&self) -> &'static str;
}

/// Buffers every loss keeps: the gradient and the per-sample means.
#[derive(Default)]
pub(crate) struct LossBuffers {
    pub grad: Tensor,
    pub per_sample: Vec<f32>,
}

impl LossBuffers {
    /// Runs `elem(p, t) -> (ℓ, dℓ/dp)` over every element; stores dℓ/dp / count
    /// (the gradient of the mean) and per-row means; returns the overall mean.
    /// Sums are taken in f64 so a large batch loses no precision.
    pub fn run(
        &mut self,
        pred: &Tensor,
        target: &Tensor,
        elem: impl Fn(f32, f32) -> (f32, f32),
    ) -> f32 {
        assert_eq!(
            pred.shape(),
            target.shape(),
            "loss: prediction and target shapes differ"
        );
        self.grad.resize(pred.shape());
        let (rows, width) = (pred.rows(), pred.row_len().max(1));
        let inv_count = 1.0 / (pred.len().max(1) as f32);
        self.per_sample.resize(rows, 0.0);
        let mut total = 0.0f64;
        let chunks = pred
            .data()
            .chunks_exact(width)
            .zip(target.data().chunks_exact(width));
        for ((p_row, t_row), (g_row, ps)) in chunks.zip(
            self.grad
                .data_mut()
                .chunks_exact_mut(width)
                .zip(&mut self.per_sample),
        ) {
            let mut row_sum = 0.0f64;
            for ((p, t), g) in p_row.iter().zip(t_row).zip(g_row.iter_mut()) {
                let (l, d) = elem(*p, *t);
                row_sum += l as f64;
                *g = d * inv_count;
            }
            *ps = (row_sum / width as f64) as f32;
            total += row_sum;
        }
        (total * inv_count as f64) as f32
    }
}
