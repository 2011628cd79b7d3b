//! The detector a user links: scaler + autoencoder + threshold behind one
//! fit → score → flag API.

use crate::autoencoder::{AeConfig, DenseAutoencoder};
use crate::error::{DetectError, Result};
use crate::scaler::{Scaler, ScalerKind};
use crate::score::Scorer;
use crate::train::{train_autoencoder, EpochReport, TrainConfig, TrainReport};
use aedetect_tensor::Tensor;

pub struct Detector {
    pub scaler: Scaler,
    pub model: DenseAutoencoder,
    /// Rows scoring strictly above this are flagged; set by the caller from
    /// held-out data (see [`crate::threshold`]).
    pub threshold: Option<f32>,
    pub report: TrainReport,
    scorer: Scorer,
    scaled: Tensor,
}

impl Detector {
    /// Fits the scaler and trains the autoencoder on `normal` rows only.
    pub fn fit(
        normal: &Tensor,
        scaler: ScalerKind,
        ae: AeConfig,
        train: &TrainConfig,
        progress: &mut dyn FnMut(&EpochReport),
    ) -> Result<Self> {
        if normal.rows() == 0 {
            return Err(DetectError::Empty("no normal rows to train on".into()));
        }
        let scaler = Scaler::fit(scaler, normal)?;
        let x = scaler.transformed(normal)?;
        let mut model = DenseAutoencoder::new(x.row_len(), ae)?;
        let report = train_autoencoder(&mut model.net, &x, train, progress)?;
        Ok(Detector {
            scaler,
            model,
            threshold: None,
            report,
            scorer: Scorer::new(),
            scaled: Tensor::default(),
        })
    }

    /// Anomaly scores (per-row mean squared reconstruction error) of raw rows.
    pub fn score(&mut self, x: &Tensor) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(x.rows());
        self.score_into(x, &mut out)?;
        Ok(out)
    }

    /// As [`Detector::score`], into a caller's buffer (no allocation once sized).
    pub fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) -> Result<()> {
        if x.row_len() != self.scaler.features() {
            return Err(DetectError::WidthMismatch {
                got: x.row_len(),
                want: self.scaler.features(),
            });
        }
        crate::scaler::check_finite(x)?;
        self.scaled.assign(x);
        self.scaler.transform(&mut self.scaled)?;
        self.scorer.mse(&mut self.model.net, &self.scaled, out);
        Ok(())
    }

    /// 0/1 flags: score > threshold.
    pub fn flag(&mut self, x: &Tensor) -> Result<Vec<bool>> {
        let t = self
            .threshold
            .ok_or_else(|| DetectError::Config("no threshold set".into()))?;
        Ok(self.score(x)?.into_iter().map(|s| s > t).collect())
    }
}
