//! How an autoencoder's output is compared with its input — the training loss
//! and, per row, the anomaly score:
//!   MSE: ℓ(x̂, x) = (x̂ − x)²                      (Gaussian decoder)
//!   BCE: ℓ(z, x) = max(z, 0) − z·x + log(1 + e^(−|z|)), z the output logit
//!        (Bernoulli decoder, for data scaled to [0, 1]: pixels, min-max
//!        scaled features)
//! A row's score is the mean of ℓ over its features.

use aedetect_nn::loss::{BceWithLogits, Mse};
use aedetect_nn::Loss;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reconstruction {
    /// Squared error.
    #[default]
    Mse,
    /// Binary cross-entropy with logits (targets in [0, 1]).
    Bce,
}

/// Both losses, and which one is in use (kept side by side so switching
/// never allocates, and a model's buffers exist from its first step).
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

    /// The loss in use.
    pub fn get(&mut self) -> &mut dyn Loss {
        match self.kind {
            Reconstruction::Mse => &mut self.mse,
            Reconstruction::Bce => &mut self.bce,
        }
    }

    /// The loss in use, for reading its last forward.
    pub fn last(&self) -> &dyn Loss {
        match self.kind {
            Reconstruction::Mse => &self.mse,
            Reconstruction::Bce => &self.bce,
        }
    }
}
