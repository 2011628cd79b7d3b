//! How an autoencoder's output is compared with its input — the training
//! loss and, per row, the anomaly score — in one place:
//!   MSE: ℓ(x̂, x) = (x̂ − x)²                      (Gaussian decoder)
//!   BCE: ℓ(z, x) = max(z, 0) − z·x + log(1 + e^(−|z|)), z the output logit
//!        (Bernoulli decoder, for data scaled to [0, 1]: pixels, min-max
//!        scaled features)
//! A row's error is the mean of ℓ over its features. The element functions
//! are nn's losses ([`Mse`], [`BceWithLogits`]); this module picks one and
//! runs it in two passes:
//! * training ([`ReconstructionLoss::forward`]): mean, per-row means and
//!   gradient, summed in f64;
//! * scoring ([`ReconstructionLoss::row_errors`]): per-row means only, in
//!   SIMD lanes for MSE, through [`for_each_batch`] so memory stays bounded.

use aedetect_nn::loss::{BceWithLogits, Mse};
use aedetect_nn::{Layer, Loss, Mode};
use aedetect_tensor::{ops, Tensor};
use serde::{Deserialize, Serialize};

/// Rows scored per forward pass.
pub const SCORE_BATCH: usize = 1024;

/// Which reconstruction error a model trains on and scores with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reconstruction {
    /// Squared error.
    #[default]
    Mse,
    /// Binary cross-entropy with logits (targets in [0, 1]).
    Bce,
}

impl Reconstruction {
    /// What model files call a score of this kind.
    pub fn score_kind(self) -> &'static str {
        match self {
            Reconstruction::Mse => "mse",
            Reconstruction::Bce => "bce",
        }
    }
}

/// The chosen reconstruction error with its buffers. Both losses are kept
/// side by side so a model's buffers exist from its first step.
#[derive(Default)]
pub struct ReconstructionLoss {
    pub kind: Reconstruction,
    mse: Mse,
    bce: BceWithLogits,
}

impl ReconstructionLoss {
    pub fn new(kind: Reconstruction) -> Self {
        ReconstructionLoss {
            kind,
            ..Self::default()
        }
    }

    fn loss(&self) -> &dyn Loss {
        match self.kind {
            Reconstruction::Mse => &self.mse,
            Reconstruction::Bce => &self.bce,
        }
    }

    /// The training pass: returns the mean error of `pred` against `target`
    /// and keeps its gradient and per-row means.
    pub fn forward(&mut self, pred: &Tensor, target: &Tensor) -> f32 {
        match self.kind {
            Reconstruction::Mse => self.mse.forward(pred, target),
            Reconstruction::Bce => self.bce.forward(pred, target),
        }
    }

    /// dL/dpred of the last [`forward`](Self::forward).
    pub fn gradient(&self) -> &Tensor {
        self.loss().backward()
    }

    /// Per-row mean errors `[rows]` of the last [`forward`](Self::forward).
    pub fn per_row(&self) -> &Tensor {
        self.loss().per_sample()
    }

    /// The scoring pass: each row's mean error into `out`.
    pub fn row_errors(&self, pred: &Tensor, target: &Tensor, out: &mut [f32]) {
        self.loss().row_means(pred, target, out);
    }

    /// Scores the rows of `x` by how badly `net` reconstructs them, in
    /// [`Mode::Infer`] and batches of at most [`SCORE_BATCH`] rows copied into
    /// `batch`; `out` is resized to the row count.
    pub fn score(&self, net: &mut dyn Layer, x: &Tensor, batch: &mut Tensor, out: &mut Vec<f32>) {
        out.resize(x.rows(), 0.0);
        for_each_batch(x, batch, out, |rows, o| {
            let y = net.forward(rows, Mode::Infer);
            self.row_errors(y, rows, o);
        });
    }
}

impl Reconstruction {
    /// A network's reconstruction of the rows of `x`, in blocks of
    /// [`SCORE_BATCH`] rows: `forward(block, dst)` writes the network's
    /// output for a block (run in [`Mode::Infer`]) into `dst`, which is kept
    /// as is for MSE and mapped through σ (to pixel probabilities) for BCE.
    pub fn reconstruct(self, x: &Tensor, mut forward: impl FnMut(&Tensor, &mut [f32])) -> Tensor {
        let mut out = Tensor::zeros(x.shape());
        let mut block = Tensor::default();
        let d = x.row_len();
        for start in (0..x.rows()).step_by(SCORE_BATCH) {
            let end = (start + SCORE_BATCH).min(x.rows());
            block.copy_rows_from(x, start, end);
            forward(&block, &mut out.data_mut()[start * d..end * d]);
        }
        match self {
            Reconstruction::Mse => out,
            Reconstruction::Bce => {
                let mut p = Tensor::default();
                ops::sigmoid(&out, &mut p);
                p
            }
        }
    }
}

/// Calls `f(batch, out_part)` for each run of at most [`SCORE_BATCH`] rows of
/// `x`, copied into `buf`, with the matching part of `out`; an `x` that fits
/// in one batch is passed as it is, with no copy.
pub(crate) fn for_each_batch(
    x: &Tensor,
    buf: &mut Tensor,
    out: &mut [f32],
    mut f: impl FnMut(&Tensor, &mut [f32]),
) {
    if x.rows() <= SCORE_BATCH {
        f(x, out);
        return;
    }
    for (start, o) in (0..x.rows())
        .step_by(SCORE_BATCH)
        .zip(out.chunks_mut(SCORE_BATCH))
    {
        buf.copy_rows_from(x, start, start + o.len());
        f(buf, o);
    }
}
