//! The detector a user links: scaler + autoencoder + threshold behind one
//! fit → score → flag API.

use crate::error::{DetectError, Result};
use crate::iforest::{drop_most_isolated, IForestConfig};
use crate::model::{Model, ModelConfig};
use crate::scaler::{Scaler, ScalerKind};
use crate::score::Scorer;
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_tensor::Tensor;
use std::collections::BTreeMap;

pub struct Detector {
    pub scaler: Scaler,
    pub model: Model,
    /// Rows scoring strictly above this are flagged; set by the caller from
    /// held-out data (see [`crate::threshold`]).
    pub threshold: Option<f32>,
    pub report: TrainReport,
    /// Names of the feature columns the model was trained on, in order
    /// (empty when unknown); a CSV being scored is matched to them by name.
    pub features: Vec<String>,
    /// Free-form training facts kept in the model file (data file, row
    /// counts, threshold rule, …), shown by `aedetect inspect`.
    pub info: BTreeMap<String, String>,
    scorer: Scorer,
    scaled: Tensor,
}

impl Detector {
    /// Fits the scaler and trains the autoencoder on `normal` rows only.
    pub fn fit(
        normal: &Tensor,
        scaler: ScalerKind,
        model: impl Into<ModelConfig>,
        train: &TrainConfig,
        progress: &mut dyn FnMut(&EpochReport),
    ) -> Result<Self> {
        if normal.rows() == 0 {
            return Err(DetectError::Empty("no normal rows to train on".into()));
        }
        let filtered;
        let normal = if train.prefilter > 0.0 {
            let forest = IForestConfig {
                seed: train.seed,
                ..IForestConfig::default()
            };
            filtered = drop_most_isolated(normal, train.prefilter, forest)?;
            &filtered
        } else {
            normal
        };
        let scaler = Scaler::fit(scaler, normal)?;
        let x = scaler.transformed(normal)?;
        let mut model = Model::build(x.row_len(), &model.into())?;
        let report = model.train(&x, train, progress)?;
        Ok(Self::from_parts(scaler, model, None, report))
    }

    /// A detector from an already trained model (e.g. loaded from a file).
    pub fn from_parts(
        scaler: Scaler,
        model: Model,
        threshold: Option<f32>,
        report: TrainReport,
    ) -> Self {
        Detector {
            scaler,
            model,
            threshold,
            report,
            features: Vec::new(),
            info: BTreeMap::new(),
            scorer: Scorer::new(),
            scaled: Tensor::default(),
        }
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
        self.model.score_into(&self.scaled, &mut self.scorer, out);
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
