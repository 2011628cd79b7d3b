//! An ensemble of the same model trained with different seeds (the seed
//! tutorial's defence against an unlucky run). Each member's scores are
//! standardised with the mean and standard deviation of its own training
//! scores, then averaged:
//!   score(x) = (1/M) Σ_m (s_m(x) − μ_m) / σ_m
//! so no member dominates because its errors happen to be larger.

use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_nn::{Param, Parameters};
use aedetect_tensor::{ops, Tensor};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleConfig {
    pub base: Box<ModelConfig>,
    pub members: usize,
}

impl ModelSpec for EnsembleConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Ensemble::new(inputs, self.clone())?))
    }
    /// Every member, plus each member's two score statistics.
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let member = self.base.parameter_count(inputs)?.checked_add(2)?;
        member.checked_mul(self.members)
    }
    /// Members score one after another: one member's, plus its scores.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        self.base.spec().activations_per_row(inputs)?.checked_add(2)
    }
    fn seed(&self) -> u64 {
        self.base.seed()
    }
    fn set_seed(&mut self, seed: u64) {
        *self.base = self.base.with_seed(seed);
    }
    fn progress_steps(&self, inputs: usize, rows: usize, train: &TrainConfig) -> usize {
        self.members * self.base.progress_steps(inputs, rows, train)
    }
}

pub struct Ensemble {
    pub config: EnsembleConfig,
    members: Vec<Box<dyn Model>>,
    /// [members, 2]: each member's training-score mean and standard deviation.
    stats: Param,
    buf: Vec<f32>,
    /// The last fit's rows' scores, while nobody has taken them.
    training_scores: Option<Vec<f32>>,
}

/// Member m's seed: spread out so members never share a seed with each other
/// or with a neighbouring base seed.
fn member_seed(base: u64, m: usize) -> u64 {
    base.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(m as u64 + 1)
}

impl Ensemble {
    pub fn new(inputs: usize, config: EnsembleConfig) -> Result<Self> {
        if config.members == 0 {
            return Err(DetectError::Config(
                "an ensemble needs at least one member".into(),
            ));
        }
        if matches!(*config.base, ModelConfig::Ensemble(_)) {
            return Err(DetectError::Config(
                "an ensemble of ensembles is not supported".into(),
            ));
        }
        let seed = config.base.seed();
        let members = (0..config.members)
            .map(|m| config.base.with_seed(member_seed(seed, m)).build(inputs))
            .collect::<Result<Vec<_>>>()?;
        let mut stats = Tensor::zeros(&[config.members, 2]);
        stats
            .data_mut()
            .chunks_exact_mut(2)
            .for_each(|s| s[1] = 1.0);
        Ok(Ensemble {
            config,
            members,
            stats: Param::new("score_stats", stats),
            buf: Vec::new(),
            training_scores: None,
        })
    }

    pub fn members(&self) -> &[Box<dyn Model>] {
        &self.members
    }

    /// The members' configs after training (PCA records its component count).
    pub fn fitted_config(&self) -> EnsembleConfig {
        // Member 0's config carries what fitting decided; the seed is the base's.
        let base = self.members[0].config().with_seed(self.config.base.seed());
        EnsembleConfig {
            base: Box::new(base),
            members: self.config.members,
        }
    }
}

impl Model for Ensemble {
    fn inputs(&self) -> usize {
        self.members[0].inputs()
    }

    fn config(&self) -> ModelConfig {
        self.fitted_config().into()
    }

    fn describe(&self) -> String {
        format!(
            "ensemble of {} × {}",
            self.members.len(),
            self.members[0].describe()
        )
    }

    fn score_kind(&self) -> &'static str {
        "ensemble_standardised_mean"
    }

    /// Trains every member on `x` (scaled), each with its own seed, and
    /// records its training-score statistics. Members train in parallel,
    /// one per rayon thread: each has its own seed, generator and buffers,
    /// so a member's weights are the same bits whichever thread trains it
    /// and whatever else runs beside it. Progress reports from the members
    /// interleave. Returns the first member's report.
    fn fit(
        &mut self,
        x: &Tensor,
        cfg: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        let progress = Mutex::new(progress);
        let fitted = self
            .members
            .par_iter_mut()
            .enumerate()
            .map(|(m, member)| {
                let member_cfg = TrainConfig {
                    seed: member_seed(cfg.seed, m),
                    ..cfg.clone()
                };
                let report = member.fit(x, &member_cfg, &mut |r| {
                    (progress.lock().unwrap_or_else(|p| p.into_inner()))(r)
                })?;
                let scores = member.take_training_scores().unwrap_or_else(|| {
                    let mut scores = Vec::new();
                    member.score_into(x, &mut scores);
                    scores
                });
                let stats = super::mean_std(&scores);
                Ok((report, stats, scores))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut first = None;
        // The training rows' own scores, as `score_into` sums them.
        let mut training = vec![0.0; x.rows()];
        let inv = 1.0 / self.members.len() as f32;
        for (m, (report, (mean, std), scores)) in fitted.into_iter().enumerate() {
            let s = &mut self.stats.value.data_mut()[2 * m..2 * m + 2];
            s[0] = mean;
            s[1] = std;
            for (o, v) in training.iter_mut().zip(&scores) {
                *o += (v - s[0]) / s[1] * inv;
            }
            first.get_or_insert(report);
        }
        self.training_scores = Some(training);
        Ok(first.unwrap_or_default())
    }

    fn take_training_scores(&mut self) -> Option<Vec<f32>> {
        self.training_scores.take()
    }

    /// Mean standardised score of the members.
    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        out.clear();
        out.resize(x.rows(), 0.0);
        let inv = 1.0 / self.members.len() as f32;
        for (member, s) in self
            .members
            .iter_mut()
            .zip(self.stats.value.data().chunks_exact(2))
        {
            member.score_into(x, &mut self.buf);
            for (o, v) in out.iter_mut().zip(&self.buf) {
                *o += (v - s[0]) / s[1] * inv;
            }
        }
    }

    /// The members' mean reconstruction.
    fn reconstruct(&mut self, x: &Tensor) -> Option<Tensor> {
        let mut sum = self.members[0].reconstruct(x)?;
        for m in &mut self.members[1..] {
            ops::add_assign(&mut sum, &m.reconstruct(x)?);
        }
        ops::scale(&mut sum, 1.0 / self.members.len() as f32);
        Some(sum)
    }

    fn scores_in_parallel(&self) -> bool {
        self.members[0].scores_in_parallel()
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.members.iter().try_for_each(|m| m.check())
    }
}

impl Parameters for Ensemble {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.members.iter().for_each(|m| m.visit_params(f));
        f(&self.stats);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.members.iter_mut().for_each(|m| m.visit_params_mut(f));
        f(&mut self.stats);
    }
}
