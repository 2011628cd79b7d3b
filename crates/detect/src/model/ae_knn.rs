//! An autoencoder (dense, or 2-D convolutional for images) scored two ways at once: how badly it reconstructs a
//! row, and how far the row's code lies from the training rows' codes.
//!
//! The encoder f maps a row onto the manifold the training rows span; the
//! decoder g maps it back. An anomaly can be off the manifold (x far from
//! g(f(x)): a large reconstruction error) or on it, in a region no normal
//! row occupies (f(x) far from every f(xᵢ)). Reconstruction error alone
//! misses the second kind, which a wide network reconstructs well. So
//!   r(x) = mean (g(f(x)) − x)²                the reconstruction error
//!   n(x) = distance from f(x) to its k-th nearest training code (or the
//!          mean of the k nearest: the search's aggregate)
//!   score(x) = (1 − w)·(r(x) − μ_r)/σ_r + w·(n(x) − μ_n)/σ_n
//! with μ and σ the two scores' mean and deviation over the training rows,
//! so neither term dominates by its units, and w = ½ (`code_weight`: 0 is
//! the reconstruction error alone, 1 the code distance alone). A training row's own code is
//! left out of its neighbours (it would be at distance 0).
//!
//! The network trains for a budget of optimizer steps, `min_steps` at least
//! and `max_steps` at most: the epoch count alone would give a data set of
//! 130 rows 100 steps and one of 26,000 rows 20,000 (RESULTS.md measures
//! 0, 2,500 and 5,000 as floors, and 2,500 as floor and cap). And it keeps
//! at most [`CODE_REFERENCES`] training codes to search: the training rows'
//! leave-one-out search costs rows × references distances, which grows
//! with the square of the rows where every code is kept.

use super::conv2d_ae::Conv2dAeConfig;
use super::dense_ae::DenseAeConfig;
use super::knn::{Knn, KnnConfig};
use super::reconstruction::{Reconstruction, ReconstructionLoss, SCORE_BATCH};
use super::sequential_ae::{Architecture, SequentialAutoencoder};
use super::{mean_std, Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_nn::{Mode, Param, Parameters, Sequential};
use aedetect_tensor::Tensor;
use serde::{Deserialize, Serialize};

/// The autoencoder whose codes are searched: dense for rows, 2-D
/// convolutional for images. (Untagged in model files: a dense config is
/// the object it always was.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CodedAeConfig {
    Dense(DenseAeConfig),
    Conv2d(Conv2dAeConfig),
}

impl CodedAeConfig {
    fn spec(&self) -> &dyn ModelSpec {
        match self {
            CodedAeConfig::Dense(c) => c,
            CodedAeConfig::Conv2d(c) => c,
        }
    }

    /// Layers of the built chain up to the code (run them to read a row's code).
    pub fn encoder_len(&self) -> usize {
        match self {
            CodedAeConfig::Dense(c) => c.encoder_len(),
            CodedAeConfig::Conv2d(c) => c.encoder_len(),
        }
    }

    /// Values in a code.
    pub fn code_width(&self) -> usize {
        match self {
            CodedAeConfig::Dense(c) => c.hidden.last().copied().unwrap_or(0),
            CodedAeConfig::Conv2d(c) => c.latent,
        }
    }

    pub fn set_reconstruction(&mut self, r: Reconstruction) {
        match self {
            CodedAeConfig::Dense(c) => c.reconstruction = r,
            CodedAeConfig::Conv2d(c) => c.reconstruction = r,
        }
    }
}

impl From<DenseAeConfig> for CodedAeConfig {
    fn from(c: DenseAeConfig) -> Self {
        CodedAeConfig::Dense(c)
    }
}

impl From<Conv2dAeConfig> for CodedAeConfig {
    fn from(c: Conv2dAeConfig) -> Self {
        CodedAeConfig::Conv2d(c)
    }
}

impl From<CodedAeConfig> for ModelConfig {
    fn from(c: CodedAeConfig) -> Self {
        match c {
            CodedAeConfig::Dense(c) => c.into(),
            CodedAeConfig::Conv2d(c) => c.into(),
        }
    }
}

impl Architecture for CodedAeConfig {
    fn build_net(&self, inputs: usize) -> Result<Sequential> {
        match self {
            CodedAeConfig::Dense(c) => c.build_net(inputs),
            CodedAeConfig::Conv2d(c) => c.build_net(inputs),
        }
    }

    fn reconstruction(&self) -> Reconstruction {
        match self {
            CodedAeConfig::Dense(c) => c.reconstruction,
            CodedAeConfig::Conv2d(c) => c.reconstruction,
        }
    }
}

/// The most training codes a member of the default keeps as its search's
/// references (a seeded subsample beyond): the leave-one-out search over
/// 27,000 codes cost shuttle's fit more than its training; 8,192 scored
/// level on it over ten seeds (RESULTS.md) and change nothing on a set of
/// fewer training rows.
pub const CODE_REFERENCES: usize = 8192;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AeKnnConfig {
    /// The autoencoder; its bottleneck's activations are the codes.
    pub ae: CodedAeConfig,
    /// The neighbour search over the training codes (its `rows` and
    /// `trained_on` are set by fitting).
    pub knn: KnnConfig,
    /// Optimizer steps the autoencoder trains for at least.
    pub min_steps: usize,
    /// Optimizer steps it trains for at most (rounded up to a whole epoch;
    /// 0 = no cap: files written before the cap existed read as 0).
    #[serde(default)]
    pub max_steps: usize,
    /// w in [0, 1]: the code distance's share of the score.
    pub code_weight: f32,
}

impl AeKnnConfig {
    /// The wide dropout autoencoder (d-64-32-64-d) trained for 2,500 steps
    /// whatever the data's size, its code searched among at most
    /// [`CODE_REFERENCES`] training codes for the 5th nearest: the member of
    /// [`ModelConfig::recommended`]. (Until session 23: at least 5,000
    /// steps, no cap, every code kept; over ten seeds of the shared sets and
    /// five held-out ones the budget scores level and fits 2.9× faster,
    /// RESULTS.md.)
    pub fn wide() -> Self {
        AeKnnConfig {
            ae: DenseAeConfig::wide().into(),
            knn: KnnConfig {
                max_rows: CODE_REFERENCES,
                ..KnnConfig::default()
            },
            min_steps: 2500,
            max_steps: 2500,
            code_weight: 0.5,
        }
    }

    /// The reference convolutional autoencoder for `image` with its code
    /// searched, k = 5, trained for the epochs asked (no step floor).
    pub fn images(image: crate::ImageShape) -> Self {
        AeKnnConfig {
            ae: Conv2dAeConfig::reference(image).into(),
            knn: KnnConfig::default(),
            min_steps: 0,
            max_steps: 0,
            code_weight: 0.5,
        }
    }

    fn code_width(&self) -> usize {
        self.ae.code_width()
    }

    /// The training settings the autoencoder gets from `train`.
    fn training(&self, train: &TrainConfig) -> TrainConfig {
        let max_steps = match (train.max_steps, self.max_steps) {
            (0, cap) | (cap, 0) => cap,
            (a, b) => a.min(b),
        };
        TrainConfig {
            min_steps: train.min_steps.max(self.min_steps),
            max_steps,
            ..train.clone()
        }
    }
}

impl ModelSpec for AeKnnConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(AeKnn::new(inputs, self.clone())?))
    }
    /// The network, the codes kept and the four score statistics.
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        self.ae
            .spec()
            .parameter_count(inputs)?
            .checked_add(self.knn.parameter_count(self.code_width())?)?
            .checked_add(4)
    }
    /// The network's activations, a copy of the code, the search's.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        self.ae
            .spec()
            .activations_per_row(inputs)?
            .checked_add(self.code_width())?
            .checked_add(self.knn.activations_per_row(self.code_width())?)
    }
    fn seed(&self) -> u64 {
        self.ae.spec().seed()
    }
    fn set_seed(&mut self, seed: u64) {
        match &mut self.ae {
            CodedAeConfig::Dense(c) => c.seed = seed,
            CodedAeConfig::Conv2d(c) => c.seed = seed,
        }
        self.knn.seed = seed;
    }
    fn progress_steps(&self, _inputs: usize, rows: usize, train: &TrainConfig) -> usize {
        self.training(train).epochs_for(rows)
    }
}

pub struct AeKnn {
    pub config: AeKnnConfig,
    ae: SequentialAutoencoder<CodedAeConfig>,
    knn: Knn,
    /// [μ_r, σ_r, μ_n, σ_n] over the training rows.
    stats: Param,
    loss: ReconstructionLoss,
    code: Tensor,
    errors: Vec<f32>,
    distances: Vec<f32>,
    /// The last fit's rows' scores, while nobody has taken them.
    training_scores: Option<Vec<f32>>,
}

impl AeKnn {
    /// An unfitted model whose shapes follow the config (final once fitted;
    /// used when loading a model).
    pub fn new(inputs: usize, config: AeKnnConfig) -> Result<Self> {
        if !(0.0..=1.0).contains(&config.code_weight) {
            return Err(DetectError::Config(format!(
                "code_weight must be in [0, 1], got {}",
                config.code_weight
            )));
        }
        let ae = SequentialAutoencoder::new(inputs, config.ae.clone())?;
        let knn = Knn::new(config.code_width(), config.knn.clone())?;
        Ok(AeKnn {
            loss: ReconstructionLoss::new(config.ae.reconstruction()),
            config,
            ae,
            knn,
            stats: Param::new(
                "score_stats",
                Tensor::from_vec(&[4], vec![0.0, 1.0, 0.0, 1.0]),
            ),
            code: Tensor::default(),
            errors: Vec::new(),
            distances: Vec::new(),
            training_scores: None,
        })
    }

    /// One pass through the network: each row's reconstruction error into
    /// `errors`, its code left in `self.code`.
    fn forward_pass(&mut self, x: &Tensor, errors: &mut [f32]) {
        let encoder = self.config.ae.encoder_len();
        let net = &mut self.ae.net;
        let code = net.forward_range(0..encoder, x, Mode::Infer);
        self.code.resize(code.shape());
        self.code.assign(code);
        let y = net.forward_range(encoder..net.len(), &self.code, Mode::Infer);
        self.loss.row_errors(y, x, errors);
    }

    /// The codes and reconstruction errors of `x`'s rows, in blocks of
    /// [`SCORE_BATCH`] rows.
    fn codes_and_errors(&mut self, x: &Tensor) -> (Tensor, Vec<f32>) {
        let mut codes = Vec::with_capacity(x.rows() * self.config.code_width());
        let mut errors = vec![0.0; x.rows()];
        let mut block = Tensor::default();
        for (start, e) in (0..x.rows())
            .step_by(SCORE_BATCH)
            .zip(errors.chunks_mut(SCORE_BATCH))
        {
            block.copy_rows_from(x, start, start + e.len());
            self.forward_pass(&block, e);
            codes.extend_from_slice(self.code.data());
        }
        let codes = Tensor::from_vec(&[x.rows(), self.config.code_width()], codes);
        (codes, errors)
    }
}

impl Model for AeKnn {
    fn inputs(&self) -> usize {
        self.ae.inputs
    }

    fn config(&self) -> ModelConfig {
        AeKnnConfig {
            knn: self.knn.config.clone(),
            ..self.config.clone()
        }
        .into()
    }

    fn describe(&self) -> String {
        let kept = self.knn.reference().rows();
        let of = match self.knn.config.trained_on {
            Some(n) if n > kept => format!(" (a seeded subsample of {n})"),
            _ => String::new(),
        };
        format!(
            "autoencoder {} scored by reconstruction error + the {} distance of its {}-wide code to the {} nearest of {kept} training codes{of}",
            self.ae.describe(),
            self.knn.config.aggregate.name(),
            self.config.code_width(),
            self.knn.config.k,
        )
    }

    fn score_kind(&self) -> &'static str {
        "ae_knn_standardised"
    }

    /// Trains the network (at least `min_steps` steps), keeps the training
    /// rows' codes as the references, and records both scores' statistics
    /// over the training rows.
    fn fit(
        &mut self,
        x: &Tensor,
        cfg: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        let report = self.ae.fit(x, &self.config.training(cfg), progress)?;
        let (codes, errors) = self.codes_and_errors(x);
        self.knn.fit_rows(&codes)?;
        let (mut left_out, mut own) = (Vec::new(), Vec::new());
        // One search of k + 1 gives both the statistics (each row left out)
        // and the training rows' own scores (each row among its neighbours,
        // as scoring it would find), whether every code is kept or a
        // subsample.
        self.knn
            .fitted_rows_scores(&codes, &mut left_out, &mut own)?;
        let (mr, sr) = mean_std(&errors);
        let (mn, sn) = mean_std(&left_out);
        self.stats = Param::new("score_stats", Tensor::from_vec(&[4], vec![mr, sr, mn, sn]));
        let w = self.config.code_weight;
        self.training_scores = Some(
            errors
                .iter()
                .zip(&own)
                .map(|(r, n)| (1.0 - w) * (r - mr) / sr + w * (n - mn) / sn)
                .collect(),
        );
        Ok(report)
    }

    fn take_training_scores(&mut self) -> Option<Vec<f32>> {
        self.training_scores.take()
    }

    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        let (mut errors, mut distances) = (
            std::mem::take(&mut self.errors),
            std::mem::take(&mut self.distances),
        );
        errors.resize(x.rows(), 0.0);
        self.forward_pass(x, &mut errors);
        self.knn.distances_into(&self.code, &mut distances);
        let (k, aggregate) = (self.knn.config.k, self.knn.config.aggregate);
        let s = self.stats.value.data();
        let w = self.config.code_weight;
        out.clear();
        out.extend(
            errors
                .iter()
                .zip(distances.chunks_exact(k))
                .map(|(r, n)| (1.0 - w) * (r - s[0]) / s[1] + w * (aggregate.of(n) - s[2]) / s[3]),
        );
        (self.errors, self.distances) = (errors, distances);
    }

    fn reconstruct(&mut self, x: &Tensor) -> Option<Tensor> {
        self.ae.reconstruct(x)
    }

    /// The neighbour search spreads each block over the pool; replicas
    /// would each copy every training code.
    fn scores_in_parallel(&self) -> bool {
        true
    }

    fn check(&self) -> std::result::Result<(), String> {
        let s = self.stats.value.data();
        if s[1] > 0.0 && s[3] > 0.0 {
            Ok(())
        } else {
            Err(format!(
                "score statistics must have positive deviations, got {s:?}"
            ))
        }
    }
}

impl Parameters for AeKnn {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.ae.visit_params(f);
        self.knn.visit_params(f);
        f(&self.stats);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.ae.visit_params_mut(f);
        self.knn.visit_params_mut(f);
        f(&mut self.stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::seed_data;

    fn quick(code_weight: f32) -> AeKnnConfig {
        AeKnnConfig {
            ae: DenseAeConfig {
                hidden: vec![8, 4],
                ..DenseAeConfig::wide()
            }
            .into(),
            min_steps: 40,
            code_weight,
            ..AeKnnConfig::wide()
        }
    }

    fn fitted(config: AeKnnConfig) -> (AeKnn, Tensor) {
        let data = seed_data(200, 30, 4);
        let mut m = AeKnn::new(20, config).unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            ..TrainConfig::default()
        };
        m.fit(&data.normal, &cfg, &mut |_| {}).unwrap();
        (m, data.anomalies)
    }

    /// The scores the fit keeps of its rows are the bits scoring those rows
    /// gives, and are taken once.
    #[test]
    fn the_fits_own_scores_are_the_scores_of_its_rows() {
        let data = seed_data(200, 30, 4);
        let (mut m, _) = fitted(quick(0.3));
        let own = m
            .take_training_scores()
            .expect("every training code is kept");
        let mut scored = Vec::new();
        m.score_into(&data.normal, &mut scored);
        assert_eq!(own, scored);
        assert!(m.take_training_scores().is_none());
    }

    /// The score is the weighted sum of the two standardised scores, each
    /// computed here from its own parts: the autoencoder's reconstruction
    /// error, and a fresh kNN fitted on the training rows' codes.
    #[test]
    fn score_is_the_weighted_standardised_sum_of_its_parts() {
        let data = seed_data(200, 30, 4);
        let (mut m, rows) = fitted(quick(0.3));
        let mut got = Vec::new();
        m.score_into(&rows, &mut got);
        let mut errors = Vec::new();
        m.ae.score_into(&rows, &mut errors);
        let mut knn = Knn::new(4, KnnConfig::default()).unwrap();
        knn.fit_rows(&m.codes_and_errors(&data.normal).0).unwrap();
        let mut distances = Vec::new();
        knn.score_into(&m.codes_and_errors(&rows).0, &mut distances);
        let s = m.stats.value.to_vec();
        for i in 0..rows.rows() {
            let want = 0.7 * (errors[i] - s[0]) / s[1] + 0.3 * (distances[i] - s[2]) / s[3];
            assert!(
                (got[i] - want).abs() <= 1e-5 * want.abs().max(1.0),
                "row {i}"
            );
        }
    }

    /// The statistics are the training rows': reconstruction errors of the
    /// training rows, and code distances leaving each row's own code out
    /// (with it, every distance would shrink to the (k−1)-th neighbour's).
    #[test]
    fn statistics_come_from_the_training_rows_leaving_themselves_out() {
        let data = seed_data(200, 30, 4);
        let (mut m, _) = fitted(quick(0.5));
        let mut errors = Vec::new();
        m.ae.score_into(&data.normal, &mut errors);
        let (mr, sr) = mean_std(&errors);
        let codes = m.codes_and_errors(&data.normal).0;
        let mut six = Knn::new(
            4,
            KnnConfig {
                k: 6,
                ..KnnConfig::default()
            },
        )
        .unwrap();
        six.fit_rows(&codes).unwrap();
        let mut d = Vec::new();
        six.distances_into(&codes, &mut d);
        let column = |i: usize| d.chunks_exact(6).map(|r| r[i]).collect::<Vec<f32>>();
        let (mn, sn) = mean_std(&column(5));
        assert_eq!(m.stats.value.to_vec(), vec![mr, sr, mn, sn]);
        let (with_self, _) = mean_std(&column(4));
        assert!(with_self < mn);
    }

    /// The network trains for min_steps steps at least: 200 rows in
    /// batches of 64 are 4 steps an epoch, so 40 steps take 10 epochs.
    #[test]
    fn the_network_trains_for_its_step_budget() {
        let data = seed_data(200, 30, 4);
        let mut m = AeKnn::new(20, quick(0.5)).unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            ..TrainConfig::default()
        };
        let mut epochs = Vec::new();
        m.fit(&data.normal, &cfg, &mut |r| epochs.push(r.epochs))
            .unwrap();
        assert_eq!(epochs, vec![10; 10]);
        assert_eq!(quick(0.5).progress_steps(20, 200, &cfg), 10);
    }

    /// The cap removes epochs: 50 asked, 12 steps at most are 3 epochs of
    /// 4 steps; and a cap in the training settings below the model's wins.
    #[test]
    fn the_network_stops_at_its_step_cap() {
        let data = seed_data(200, 30, 4);
        let capped = AeKnnConfig {
            min_steps: 0,
            max_steps: 12,
            ..quick(0.5)
        };
        let mut m = AeKnn::new(20, capped.clone()).unwrap();
        let cfg = TrainConfig::default();
        let mut epochs = Vec::new();
        m.fit(&data.normal, &cfg, &mut |r| epochs.push(r.epochs))
            .unwrap();
        assert_eq!(epochs, vec![3; 3]);
        let tighter = TrainConfig {
            max_steps: 8,
            ..TrainConfig::default()
        };
        assert_eq!(capped.progress_steps(20, 200, &tighter), 2);
    }

    /// More training rows than the references kept: the search holds a
    /// subsample of `max_rows` codes, and fitting still gives every training
    /// row's score, the one scoring gives it (against the subsample).
    #[test]
    fn codes_past_the_cap_are_subsampled() {
        let data = seed_data(200, 30, 4);
        let config = AeKnnConfig {
            knn: KnnConfig {
                max_rows: 64,
                ..KnnConfig::default()
            },
            ..quick(0.5)
        };
        let mut m = AeKnn::new(20, config).unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            ..TrainConfig::default()
        };
        m.fit(&data.normal, &cfg, &mut |_| {}).unwrap();
        assert_eq!(m.knn.reference().rows(), 64);
        assert!(m
            .describe()
            .contains("5 nearest of 64 training codes (a seeded subsample of 200)"));
        let training = m.take_training_scores().expect("fitting scores every row");
        let mut scores = Vec::new();
        m.score_into(&data.normal, &mut scores);
        assert_eq!(training, scores);
        assert!(scores.iter().all(|s| s.is_finite()));
    }

    #[test]
    fn bad_weights_are_refused() {
        for w in [-0.1, 1.5, f32::NAN] {
            assert!(AeKnn::new(20, quick(w)).is_err(), "{w}");
        }
    }
}
