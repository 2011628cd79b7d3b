//! An ensemble of the same model trained with different seeds (the seed
//! tutorial's defence against an unlucky run). Each member's scores are
//! standardised with the mean and standard deviation of its own training
//! scores, then averaged:
//!   score(x) = (1/M) Σ_m (s_m(x) − μ_m) / σ_m
//! so no member dominates because its errors happen to be larger.
//!
//! Members can also differ in how they see the rows
//! ([`MemberViews::AlternateNormalScores`]): every second member reads each
//! feature as its normal score among the training rows (rank → Φ⁻¹,
//! `preprocess/normal_scores.rs`) instead of its standardised value. The two
//! views fail on different data: standardised values keep a feature's
//! geometry (pixels, pen coordinates), normal scores stop a heavy tail from
//! dominating the error (RESULTS.md measures both, and the mix).
//!
//! And their scores can be put on one scale by rank instead of by mean and
//! deviation ([`Combine::NormalScores`]): each member's score becomes its
//! normal score among that member's training scores,
//!   score(x) = (1/M) Σ_m Φ⁻¹(F̂_m(s_m(x)))
//! with F̂_m the member's training scores' empirical CDF, continued past
//! their range at slope 1/σ_m as the standardised score would be. A mean and
//! a deviation put two members on one scale only when their scores have one
//! shape; a member whose training scores have a long tail has a large σ,
//! and its anomalies count for less. Ranks make "beyond 99 % of my training
//! rows" mean the same for every member (RESULTS.md measures both).

use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::preprocess::NormalScores;
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
    /// How the members see the rows (model files without it: all the same).
    #[serde(default)]
    pub views: MemberViews,
    /// How the members' scores are put on one scale (model files without
    /// it: standardised).
    #[serde(default)]
    pub combine: Combine,
}

/// How an ensemble puts its members' scores on one scale before averaging.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// (s − μ) / σ with the member's training scores' mean and deviation.
    #[default]
    Standardised,
    /// The score's normal score among the member's training scores.
    NormalScores,
}

/// What each member of an ensemble reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberViews {
    /// Every member reads the rows as the detector scaled them.
    #[default]
    Same,
    /// The second, fourth, … members read each feature's normal score
    /// among the training rows; the first, third, … the scaled rows.
    AlternateNormalScores,
    /// Every member reads normal scores.
    NormalScores,
}

impl MemberViews {
    /// Whether member `m` (counted from 0) reads normal scores.
    pub fn normal_scores(self, m: usize) -> bool {
        match self {
            MemberViews::Same => false,
            MemberViews::AlternateNormalScores => m % 2 == 1,
            MemberViews::NormalScores => true,
        }
    }

    /// The name `--views` takes and `inspect` shows.
    pub fn name(self) -> &'static str {
        match self {
            MemberViews::Same => "same",
            MemberViews::AlternateNormalScores => "alternate",
            MemberViews::NormalScores => "normal-scores",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [
            MemberViews::Same,
            MemberViews::AlternateNormalScores,
            MemberViews::NormalScores,
        ]
        .into_iter()
        .find(|v| v.name() == name)
    }

    /// Members of `members` that read normal scores (in closed form: a
    /// stored config may claim any count, and sizing it must stay cheap).
    fn normal_score_members(self, members: usize) -> usize {
        match self {
            MemberViews::Same => 0,
            MemberViews::AlternateNormalScores => members / 2,
            MemberViews::NormalScores => members,
        }
    }
}

impl ModelSpec for EnsembleConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Ensemble::new(inputs, self.clone())?))
    }
    /// Every member, plus each member's two score statistics, plus the
    /// normal-score maps of the members that read them.
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let mut member = self.base.parameter_count(inputs)?.checked_add(2)?;
        if self.combine == Combine::NormalScores {
            member = member.checked_add(NormalScores::parameter_count(1)?)?;
        }
        let maps = NormalScores::parameter_count(inputs)?
            .checked_mul(self.views.normal_score_members(self.members))?;
        member.checked_mul(self.members)?.checked_add(maps)
    }
    /// Members score one after another: one member's, plus its scores and
    /// the row's normal scores.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        self.base
            .spec()
            .activations_per_row(inputs)?
            .checked_add(2)?
            .checked_add(inputs)
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
    /// Member m's normal-score map, where it reads normal scores.
    views: Vec<Option<NormalScores>>,
    /// The rows as the member being scored reads them.
    viewed: Tensor,
    /// With [`Combine::NormalScores`], each member's map of its scores.
    score_maps: Vec<NormalScores>,
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
        let views = (0..config.members)
            .map(|m| {
                config
                    .views
                    .normal_scores(m)
                    .then(|| NormalScores::new(inputs))
            })
            .collect();
        let score_maps = match config.combine {
            Combine::Standardised => Vec::new(),
            Combine::NormalScores => (0..config.members).map(|_| NormalScores::new(1)).collect(),
        };
        let mut stats = Tensor::zeros(&[config.members, 2]);
        stats
            .data_mut()
            .chunks_exact_mut(2)
            .for_each(|s| s[1] = 1.0);
        Ok(Ensemble {
            config,
            members,
            views,
            viewed: Tensor::default(),
            score_maps,
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
            views: self.config.views,
            combine: self.config.combine,
        }
    }
}

/// `x` as a member with `view` reads it: its normal scores, mapped into
/// `buf`, or `x` itself.
fn read_as<'a>(view: Option<&NormalScores>, x: &'a Tensor, buf: &'a mut Tensor) -> &'a Tensor {
    match view {
        Some(map) => {
            map.transform_into(x, buf);
            buf
        }
        None => x,
    }
}

impl Ensemble {
    /// Member `m`'s raw scores onto the common scale, in place.
    fn calibrate(&self, m: usize, scores: &mut [f32]) {
        match self.score_maps.get(m) {
            Some(map) => map.map_in_place(0, scores),
            None => {
                let s = &self.stats.value.data()[2 * m..2 * m + 2];
                for v in scores {
                    *v = (*v - s[0]) / s[1];
                }
            }
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
        let reading = match self.config.views {
            MemberViews::Same => String::new(),
            MemberViews::NormalScores => {
                "; every member reads each feature's normal score among the training rows"
                    .to_string()
            }
            MemberViews::AlternateNormalScores => {
                let which: Vec<String> = (0..self.members.len())
                    .filter(|&m| self.views[m].is_some())
                    .map(|m| (m + 1).to_string())
                    .collect();
                match which.as_slice() {
                    [] => String::new(),
                    [one] => format!(
                        "; member {one} reads each feature's normal score among the training rows, the others its scaled value"
                    ),
                    _ => format!(
                        "; members {} read each feature's normal score among the training rows, the others its scaled value",
                        which.join(", ")
                    ),
                }
            }
        };
        let combined = match self.config.combine {
            Combine::Standardised => "",
            Combine::NormalScores => {
                "; each member's score counted as its normal score among its training scores"
            }
        };
        format!(
            "ensemble of {} × {}{reading}{combined}",
            self.members.len(),
            self.members[0].describe()
        )
    }

    fn score_kind(&self) -> &'static str {
        match self.config.combine {
            Combine::Standardised => "ensemble_standardised_mean",
            Combine::NormalScores => "ensemble_normal_score_mean",
        }
    }

    /// Trains every member on `x` (scaled), each with its own seed, and
    /// records its training-score statistics. Members train in parallel,
    /// one per rayon thread: each has its own seed, generator and buffers,
    /// so a member's weights are the same bits whichever thread trains it
    /// and whatever else runs beside it. Progress reports from the members
    /// interleave. A member that reads normal scores fits its map on `x` and
    /// trains on its own mapped copy of the rows (memory: one more copy of
    /// the training rows per such member while it trains). Returns the first
    /// member's report.
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
            .zip(self.views.par_iter_mut())
            .enumerate()
            .map(|(m, (member, view))| {
                let member_cfg = TrainConfig {
                    seed: member_seed(cfg.seed, m),
                    ..cfg.clone()
                };
                if let Some(map) = view.as_mut() {
                    map.fit(x)?;
                }
                let mut viewed = Tensor::default();
                let x = read_as(view.as_ref(), x, &mut viewed);
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
        for (m, (report, (mean, std), mut scores)) in fitted.into_iter().enumerate() {
            let s = &mut self.stats.value.data_mut()[2 * m..2 * m + 2];
            s[0] = mean;
            s[1] = std;
            if let Some(map) = self.score_maps.get_mut(m) {
                map.fit(&Tensor::from_vec(&[scores.len(), 1], scores.clone()))?;
            }
            self.calibrate(m, &mut scores);
            for (o, v) in training.iter_mut().zip(&scores) {
                *o += v * inv;
            }
            first.get_or_insert(report);
        }
        self.training_scores = Some(training);
        Ok(first.unwrap_or_default())
    }

    fn take_training_scores(&mut self) -> Option<Vec<f32>> {
        self.training_scores.take()
    }

    /// Mean of the members' scores, each on the common scale.
    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        out.clear();
        out.resize(x.rows(), 0.0);
        let inv = 1.0 / self.members.len() as f32;
        let mut buf = std::mem::take(&mut self.buf);
        for m in 0..self.members.len() {
            let x = read_as(self.views[m].as_ref(), x, &mut self.viewed);
            self.members[m].score_into(x, &mut buf);
            self.calibrate(m, &mut buf);
            for (o, v) in out.iter_mut().zip(&buf) {
                *o += v * inv;
            }
        }
        self.buf = buf;
    }

    /// The members' mean reconstruction (a member that reads normal scores
    /// has its reconstruction mapped back to the scaled values).
    fn reconstruct(&mut self, x: &Tensor) -> Option<Tensor> {
        let mut sum: Option<Tensor> = None;
        for (member, view) in self.members.iter_mut().zip(&self.views) {
            let mut r = member.reconstruct(read_as(view.as_ref(), x, &mut self.viewed))?;
            if let Some(map) = view {
                map.inverse_in_place(&mut r);
            }
            match &mut sum {
                Some(s) => ops::add_assign(s, &r),
                None => sum = Some(r),
            }
        }
        let mut sum = sum?;
        ops::scale(&mut sum, 1.0 / self.members.len() as f32);
        Some(sum)
    }

    fn scores_in_parallel(&self) -> bool {
        self.members[0].scores_in_parallel()
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.members.iter().try_for_each(|m| m.check())?;
        self.views
            .iter()
            .flatten()
            .chain(&self.score_maps)
            .try_for_each(|v| v.check())
    }
}

impl Parameters for Ensemble {
    /// Each member's parameters, then (model files of ensembles that read
    /// normal scores) the maps in member order, then the statistics.
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.members.iter().for_each(|m| m.visit_params(f));
        for map in self.views.iter().flatten().chain(&self.score_maps) {
            map.params().into_iter().for_each(&mut *f);
        }
        f(&self.stats);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.members.iter_mut().for_each(|m| m.visit_params_mut(f));
        for map in self.views.iter_mut().flatten().chain(&mut self.score_maps) {
            map.params_mut().into_iter().for_each(&mut *f);
        }
        f(&mut self.stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::seed_data;
    use crate::model::DenseAeConfig;

    fn quick(views: MemberViews) -> EnsembleConfig {
        EnsembleConfig {
            base: Box::new(DenseAeConfig::seed_recipe().into()),
            members: 3,
            views,
            combine: Combine::Standardised,
        }
    }

    /// Three seed-recipe members with alternate views, combined as asked,
    /// fitted on the seed data's normal rows (returned with it).
    fn fitted(combine: Combine) -> (Ensemble, crate::eval::SeedData) {
        let data = seed_data(300, 30, 4);
        let cfg = TrainConfig {
            epochs: 3,
            ..TrainConfig::default()
        };
        let config = EnsembleConfig {
            combine,
            ..quick(MemberViews::AlternateNormalScores)
        };
        let mut e = Ensemble::new(20, config).unwrap();
        e.fit(&data.normal, &cfg, &mut |_| {}).unwrap();
        (e, data)
    }

    /// With alternate views, member 1 is trained on and scores the rows'
    /// normal scores; members 0 and 2 the rows themselves. The ensemble's
    /// score is the standardised mean of exactly those.
    #[test]
    fn alternate_members_read_normal_scores() {
        let (mut e, data) = fitted(Combine::Standardised);
        assert_eq!(
            e.views.iter().map(Option::is_some).collect::<Vec<_>>(),
            vec![false, true, false]
        );
        let mut map = NormalScores::new(20);
        map.fit(&data.normal).unwrap();
        let mut viewed = Tensor::default();
        map.transform_into(&data.anomalies, &mut viewed);
        let mut want = vec![0.0f32; data.anomalies.rows()];
        let stats = e.stats.value.to_vec();
        for m in 0..3 {
            let mut s = Vec::new();
            let rows = if m == 1 { &viewed } else { &data.anomalies };
            e.members[m].score_into(rows, &mut s);
            for (w, v) in want.iter_mut().zip(&s) {
                *w += (v - stats[2 * m]) / stats[2 * m + 1] * (1.0 / 3.0);
            }
        }
        let mut got = Vec::new();
        e.score_into(&data.anomalies, &mut got);
        assert_eq!(got, want);
        // The member that reads normal scores was trained on them: its
        // scores of the raw rows differ from those of their normal scores.
        let (mut raw, mut mapped) = (Vec::new(), Vec::new());
        e.members[1].score_into(&data.anomalies, &mut raw);
        e.members[1].score_into(&viewed, &mut mapped);
        assert_ne!(raw, mapped);
        assert!(e
            .describe()
            .contains("member 2 reads each feature's normal score"));
        // Its reconstruction is mapped back to the rows' values.
        let r = e.reconstruct(&data.normal).unwrap();
        assert_eq!(r.shape(), data.normal.shape());
    }

    /// Combined by rank, a member's score counts as its normal score among
    /// its own training scores: each member's part is its map of its raw
    /// score, and the training rows' scores are those `score_into` gives.
    #[test]
    fn ranked_members_count_by_their_training_scores_ranks() {
        let (mut e, data) = fitted(Combine::NormalScores);
        let own = e.take_training_scores().unwrap();
        let mut again = Vec::new();
        e.score_into(&data.normal, &mut again);
        assert_eq!(own, again);
        let (mut viewed, mut viewed_normal) = (Tensor::default(), Tensor::default());
        let mut want = vec![0.0f32; data.anomalies.rows()];
        for m in 0..3 {
            let view = e.views[m].as_ref();
            let mut raw = Vec::new();
            e.members[m].score_into(read_as(view, &data.anomalies, &mut viewed), &mut raw);
            // The map of the member's training scores, fitted afresh.
            let mut train = Vec::new();
            let rows = read_as(view, &data.normal, &mut viewed_normal);
            e.members[m].score_into(rows, &mut train);
            let mut map = NormalScores::new(1);
            map.fit(&Tensor::from_vec(&[train.len(), 1], train))
                .unwrap();
            map.map_in_place(0, &mut raw);
            for (w, v) in want.iter_mut().zip(&raw) {
                *w += v * (1.0 / 3.0);
            }
        }
        let mut got = Vec::new();
        e.score_into(&data.anomalies, &mut got);
        assert_eq!(got, want);
        assert!(e
            .describe()
            .contains("normal score among its training scores"));
        // Anomalies rank above the training rows on average.
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        assert!(mean(&got) > mean(&own));
    }

    /// The count of members reading normal scores agrees with the rule,
    /// without a loop over a stored (and possibly huge) member count.
    #[test]
    fn normal_score_members_match_the_rule() {
        for views in [
            MemberViews::Same,
            MemberViews::AlternateNormalScores,
            MemberViews::NormalScores,
        ] {
            for members in 0..9 {
                let by_rule = (0..members).filter(|&m| views.normal_scores(m)).count();
                assert_eq!(views.normal_score_members(members), by_rule, "{views:?}");
            }
        }
        let huge = quick(MemberViews::AlternateNormalScores);
        let huge = EnsembleConfig {
            members: usize::MAX / 4,
            ..huge
        };
        assert!(huge.parameter_count(20).is_none());
    }

    /// A config without `views` (every model file before them) reads as
    /// members that all see the same rows.
    #[test]
    fn configs_without_views_read_as_same() {
        let c = quick(MemberViews::AlternateNormalScores);
        let text = serde_json::to_string(&c).unwrap();
        assert!(
            text.contains("\"views\":\"alternate_normal_scores\""),
            "{text}"
        );
        let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
        old.as_object_mut().unwrap().remove("views");
        old.as_object_mut().unwrap().remove("combine");
        let back: EnsembleConfig = serde_json::from_value(old).unwrap();
        assert_eq!(back.views, MemberViews::Same);
        assert_eq!(back.combine, Combine::Standardised);
        assert_eq!(back.base, c.base);
    }
}
