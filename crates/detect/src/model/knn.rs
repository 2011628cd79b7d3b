//! k-nearest-neighbour distance (not an autoencoder): a row is as anomalous
//! as it is far from the training rows. With d₁ ≤ … ≤ d_k the Euclidean
//! distances from x to its k nearest training rows (after scaling),
//!   largest: score = d_k          (PyOD's `KNN`, Ramaswamy et al. 2000)
//!   mean:    score = (1/k) Σ d_i  (Angiulli & Pizzuti 2002)
//!
//! The model is the training rows themselves, stored in the model file; past
//! `max_rows` a seeded uniform subsample is kept, and the config records how
//! many rows were kept of how many. Distances come from our GEMM in bounded
//! memory ([`super::neighbours`]); one block of rows is spread over the
//! thread pool by the search itself, so the detector gives it no replicas.

use super::neighbours::{NeighbourSearch, ReferenceIndex, TILE};
use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_nn::{Param, Parameters};
use aedetect_tensor::{rng, Tensor};
use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

/// How the k distances make one score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnAggregate {
    /// The distance to the k-th nearest row.
    #[default]
    Largest,
    /// The mean distance to the k nearest rows.
    Mean,
}

impl KnnAggregate {
    /// "largest" or "mean", for descriptions.
    pub fn name(self) -> &'static str {
        match self {
            KnnAggregate::Largest => "largest",
            KnnAggregate::Mean => "mean",
        }
    }

    /// The score of one row from its nearest distances, ascending.
    pub fn of(self, distances: &[f32]) -> f32 {
        match self {
            KnnAggregate::Largest => distances[distances.len() - 1],
            KnnAggregate::Mean => distances.iter().sum::<f32>() / distances.len() as f32,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnnConfig {
    /// Neighbours per row (5: PyOD's and ADBench's default).
    pub k: usize,
    pub aggregate: KnnAggregate,
    /// The most training rows kept as references; more are subsampled.
    pub max_rows: usize,
    /// Seed of the subsample (unused when every row is kept).
    pub seed: u64,
    /// After fitting: the reference rows kept…
    #[serde(default)]
    pub rows: Option<usize>,
    /// …of this many training rows.
    #[serde(default)]
    pub trained_on: Option<usize>,
}

/// [`KnnConfig::max_rows`] by default: 2¹⁶ rows. Scoring one row costs
/// rows × features multiply-adds, 0.1 ms at 65,536 rows of 20 features.
pub const DEFAULT_MAX_ROWS: usize = 1 << 16;

impl Default for KnnConfig {
    fn default() -> Self {
        KnnConfig {
            k: 5,
            aggregate: KnnAggregate::Largest,
            max_rows: DEFAULT_MAX_ROWS,
            seed: 0,
            rows: None,
            trained_on: None,
        }
    }
}

impl KnnConfig {
    /// Reference rows the model holds: as fitted, else the least that can
    /// answer k neighbours.
    fn reference_rows(&self) -> usize {
        self.rows.unwrap_or(self.k).max(1)
    }
}

impl ModelSpec for KnnConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Knn::new(inputs, self.clone())?))
    }
    /// The reference rows.
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        self.reference_rows().checked_mul(inputs)
    }
    /// One row of the distance tile and the k distances.
    fn activations_per_row(&self, _inputs: usize) -> Option<usize> {
        TILE.checked_add(self.k)
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
    /// Fitting stores rows: no epochs, no reports.
    fn progress_steps(&self, _inputs: usize, _rows: usize, _train: &TrainConfig) -> usize {
        0
    }
}

pub struct Knn {
    pub config: KnnConfig,
    pub inputs: usize,
    /// [rows, inputs]: the scaled training rows kept.
    reference: Param,
    /// ‖r‖² of each reference row (and their bf16 form where the search
    /// screens); rebuilt whenever the references may have changed (fitting,
    /// loading: anything through `visit_params_mut`).
    index: ReferenceIndex,
    index_stale: bool,
    search: NeighbourSearch,
    distances: Vec<f32>,
    /// The training rows the last `fit_rows` kept as references, where it
    /// subsampled them (empty: every row, or a loaded model).
    kept: Vec<usize>,
}

impl Knn {
    /// An unfitted model whose shape follows `config.rows` (final once
    /// fitted; used when loading a model).
    pub fn new(inputs: usize, config: KnnConfig) -> Result<Self> {
        if inputs == 0 || config.k == 0 || config.max_rows < config.k {
            return Err(DetectError::Config(format!(
                "kNN needs features, k ≥ 1 and max_rows ≥ k, got {inputs} features, k = {}, max_rows = {}",
                config.k, config.max_rows
            )));
        }
        if config
            .rows
            .is_some_and(|r| r < config.k || r > config.max_rows)
        {
            return Err(DetectError::Config(format!(
                "kNN with k = {} and max_rows = {} cannot hold {} reference rows",
                config.k,
                config.max_rows,
                config.reference_rows()
            )));
        }
        let rows = config.reference_rows();
        Ok(Knn {
            config,
            inputs,
            reference: Param::new("reference", Tensor::zeros(&[rows, inputs])),
            index: ReferenceIndex::default(),
            index_stale: true,
            search: NeighbourSearch::default(),
            distances: Vec::new(),
            kept: Vec::new(),
        })
    }

    /// The reference rows (scaled).
    pub fn reference(&self) -> &Tensor {
        &self.reference.value
    }

    /// Keeps `x`'s rows (or `max_rows` of them, drawn with the config's
    /// seed, in their original order) as the references.
    pub fn fit_rows(&mut self, x: &Tensor) -> Result<()> {
        let (n, d) = (x.rows(), x.row_len());
        if d != self.inputs || n < self.config.k {
            return Err(DetectError::Empty(format!(
                "kNN with k = {} needs at least {} rows of {} features, got {n} of {d}",
                self.config.k, self.config.k, self.inputs
            )));
        }
        self.kept.clear();
        let reference = if n > self.config.max_rows {
            let mut r = rng::seeded(self.config.seed);
            let mut keep = sample(&mut r, n, self.config.max_rows).into_vec();
            keep.sort_unstable();
            let reference = x.select_rows(&keep);
            self.kept = keep;
            reference
        } else {
            x.clone()
        };
        self.config.rows = Some(reference.rows());
        self.config.trained_on = Some(n);
        self.reference = Param::new("reference", reference);
        self.index_stale = true;
        Ok(())
    }

    /// Each reference row's score among the other references, into `out`:
    /// its k + 1 nearest, the first (itself, at 0) dropped. A model that
    /// standardises kNN scores takes its training statistics from these.
    pub fn leave_one_out_scores(&mut self, out: &mut Vec<f32>) -> Result<()> {
        self.leave_one_out_and_own_scores(out, &mut Vec::new())
    }

    /// [`Knn::leave_one_out_scores`] into `left_out`, and from the same
    /// search each reference row's score as [`Model::score_into`] gives it
    /// (itself among its k nearest) into `own`.
    pub fn leave_one_out_and_own_scores(
        &mut self,
        left_out: &mut Vec<f32>,
        own: &mut Vec<f32>,
    ) -> Result<()> {
        self.scores_leaving_out(None, left_out, own)
    }

    /// The scores of the rows `x` that `fit_rows` was just given (all of
    /// them, in order), from one search of k + 1 neighbours: into `own` each
    /// row's score as [`Model::score_into`] gives it, into `left_out` its
    /// score with itself left out of its neighbours. A row kept as a
    /// reference finds itself first, at 0, and drops it; a row the
    /// subsample left out is not among the references, so its k nearest
    /// already leave it out. With every row kept this is
    /// [`Knn::leave_one_out_and_own_scores`]; with a subsample it scores
    /// every training row in one search instead of searching the
    /// references among themselves and then every row again.
    pub fn fitted_rows_scores(
        &mut self,
        x: &Tensor,
        left_out: &mut Vec<f32>,
        own: &mut Vec<f32>,
    ) -> Result<()> {
        if self.kept.is_empty() {
            assert_eq!(
                x.rows(),
                self.reference.value.rows(),
                "the rows fit_rows was given, every one kept"
            );
            return self.scores_leaving_out(None, left_out, own);
        }
        assert_eq!(
            Some(x.rows()),
            self.config.trained_on,
            "the rows fit_rows was given"
        );
        self.scores_leaving_out(Some(x), left_out, own)
    }

    /// One search of the k + 1 nearest references for each row of `queries`
    /// (`None`: the references themselves, every one a reference; else the
    /// training rows, the kept ones references): `own` aggregates the first
    /// k, `left_out` drops a reference row's first (itself, at 0).
    fn scores_leaving_out(
        &mut self,
        queries: Option<&Tensor>,
        left_out: &mut Vec<f32>,
        own: &mut Vec<f32>,
    ) -> Result<()> {
        let (rows, k) = (self.reference.value.rows(), self.config.k);
        if rows < k + 1 {
            return Err(DetectError::Empty(format!(
                "leaving each row out of its k = {k} neighbours needs at least {} rows, got {rows}",
                k + 1
            )));
        }
        self.refresh_index();
        let mut distances = std::mem::take(&mut self.distances);
        let reference = &self.reference.value;
        self.search.nearest(
            reference,
            &self.index,
            queries.unwrap_or(reference),
            k + 1,
            &mut distances,
        );
        let aggregate = self.config.aggregate;
        let mut kept = self.kept.iter().peekable();
        left_out.clear();
        own.clear();
        for (i, d) in distances.chunks_exact(k + 1).enumerate() {
            let is_reference = queries.is_none() || kept.next_if_eq(&&i).is_some();
            left_out.push(aggregate.of(if is_reference { &d[1..] } else { &d[..k] }));
            own.push(aggregate.of(&d[..k]));
        }
        self.distances = distances;
        Ok(())
    }

    /// The references' index, rebuilt if they may have changed.
    fn refresh_index(&mut self) {
        if self.index_stale {
            self.index = ReferenceIndex::build(&self.reference.value);
            self.index_stale = false;
        }
    }

    /// Each row's k nearest distances, ascending, into `out` ([rows, k]).
    pub fn distances_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        self.refresh_index();
        self.search
            .nearest(&self.reference.value, &self.index, x, self.config.k, out);
    }
}

impl Model for Knn {
    fn inputs(&self) -> usize {
        self.inputs
    }

    fn config(&self) -> ModelConfig {
        self.config.clone().into()
    }

    fn describe(&self) -> String {
        let kept = self.reference.value.rows();
        let of = match self.config.trained_on {
            Some(n) if n > kept => format!(" (a seeded subsample of {n})"),
            _ => String::new(),
        };
        format!(
            "kNN: {} distance to the {} nearest of {kept} training rows{of}",
            self.config.aggregate.name(),
            self.config.k
        )
    }

    fn score_kind(&self) -> &'static str {
        match self.config.aggregate {
            KnnAggregate::Largest => "knn_largest",
            KnnAggregate::Mean => "knn_mean",
        }
    }

    fn fit(
        &mut self,
        x: &Tensor,
        _cfg: &TrainConfig,
        _progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        self.fit_rows(x)?;
        Ok(TrainReport::default())
    }

    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        let mut distances = std::mem::take(&mut self.distances);
        self.distances_into(x, &mut distances);
        out.clear();
        out.extend(
            distances
                .chunks_exact(self.config.k)
                .map(|d| self.config.aggregate.of(d)),
        );
        self.distances = distances;
    }

    fn scores_in_parallel(&self) -> bool {
        true
    }
}

impl Parameters for Knn {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.reference);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.index_stale = true;
        f(&mut self.reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_tensor::{init, rng};

    fn random(rows: usize, d: usize, seed: u64) -> Tensor {
        let mut x = Tensor::zeros(&[rows, d]);
        init::uniform(&mut x, -1.0, 1.0, &mut rng::seeded(seed));
        x
    }

    /// On a line of points 0, 1, …, 9 the score of 4.5 is the distance to
    /// its 3rd nearest, 1.5 (largest), or the mean of 0.5, 0.5, 1.5 (mean).
    #[test]
    fn scores_are_the_kth_and_the_mean_distance() {
        let x = Tensor::from_vec(&[10, 1], (0..10).map(|v| v as f32).collect());
        let q = Tensor::from_vec(&[2, 1], vec![4.5, 20.0]);
        let mut scores = Vec::new();
        for (aggregate, want) in [
            (KnnAggregate::Largest, [1.5, 13.0]),
            (KnnAggregate::Mean, [2.5 / 3.0, 12.0]),
        ] {
            let mut m = Knn::new(
                1,
                KnnConfig {
                    k: 3,
                    aggregate,
                    ..KnnConfig::default()
                },
            )
            .unwrap();
            m.fit_rows(&x).unwrap();
            m.score_into(&q, &mut scores);
            assert_eq!(scores, want, "{aggregate:?}");
        }
    }

    /// Past max_rows the references are a seeded subsample, recorded in the
    /// config; the same seed keeps the same rows.
    #[test]
    fn large_training_sets_are_subsampled_and_say_so() {
        let x = random(1000, 4, 1);
        let config = KnnConfig {
            max_rows: 100,
            seed: 7,
            ..KnnConfig::default()
        };
        let fit = || {
            let mut m = Knn::new(4, config.clone()).unwrap();
            m.fit_rows(&x).unwrap();
            m
        };
        let (a, b) = (fit(), fit());
        assert_eq!(a.reference().data(), b.reference().data());
        assert_eq!(a.reference().rows(), 100);
        assert_eq!(
            (a.config.rows, a.config.trained_on),
            (Some(100), Some(1000))
        );
        assert!(a
            .describe()
            .contains("100 training rows (a seeded subsample of 1000)"));
        // Every kept row is a training row.
        let first = a.reference().row(0);
        assert!((0..1000).any(|i| x.row(i) == first));
    }

    /// With a subsample, one search scores every training row: its own
    /// score is what scoring it gives, bit for bit; a row left out of the
    /// references keeps it as its left-out score, and a kept row's
    /// left-out score is its k nearest among the other references
    /// (computed here by scoring it against them). With every row kept the
    /// same call is the leave-one-out search of the references.
    #[test]
    fn one_search_scores_every_training_row() {
        let x = random(400, 3, 2);
        let config = KnnConfig {
            max_rows: 60,
            seed: 3,
            ..KnnConfig::default()
        };
        let mut m = Knn::new(3, config).unwrap();
        m.fit_rows(&x).unwrap();
        let (mut left_out, mut own) = (Vec::new(), Vec::new());
        m.fitted_rows_scores(&x, &mut left_out, &mut own).unwrap();
        let mut scored = Vec::new();
        m.score_into(&x, &mut scored);
        assert_eq!(own, scored);
        let kept = m.kept.clone();
        assert_eq!(kept.len(), 60);
        for i in 0..400 {
            if kept.contains(&i) {
                let others: Vec<usize> = kept.iter().copied().filter(|&j| j != i).collect();
                let mut alone = Knn::new(3, KnnConfig::default()).unwrap();
                alone.fit_rows(&x.select_rows(&others)).unwrap();
                let mut want = Vec::new();
                alone.score_into(&x.select_rows(&[i]), &mut want);
                assert!(
                    (left_out[i] - want[0]).abs() <= 1e-6 * want[0].max(1.0),
                    "{i}"
                );
                assert!(left_out[i] >= own[i]);
            } else {
                assert_eq!(left_out[i], own[i], "{i}");
            }
        }
        let mut every = Knn::new(3, KnnConfig::default()).unwrap();
        every.fit_rows(&x).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        every.fitted_rows_scores(&x, &mut a, &mut b).unwrap();
        let (mut want_a, mut want_b) = (Vec::new(), Vec::new());
        every
            .leave_one_out_and_own_scores(&mut want_a, &mut want_b)
            .unwrap();
        assert_eq!((a, b), (want_a, want_b));
    }

    /// Loading new references (through `visit_params_mut`) is seen by the
    /// next score: the cached index follows the values.
    #[test]
    fn new_reference_values_are_used_after_loading() {
        let x = random(50, 3, 2);
        let mut m = Knn::new(3, KnnConfig::default()).unwrap();
        m.fit_rows(&x).unwrap();
        let mut before = Vec::new();
        m.score_into(&x, &mut before);
        m.visit_params_mut(&mut |p| p.value.data_mut().iter_mut().for_each(|v| *v *= 2.0));
        let mut after = Vec::new();
        m.score_into(&x, &mut after);
        let mut fresh = Knn::new(3, KnnConfig::default()).unwrap();
        let doubled = Tensor::from_vec(&[50, 3], x.data().iter().map(|v| v * 2.0).collect());
        fresh.fit_rows(&doubled).unwrap();
        let mut want = Vec::new();
        fresh.score_into(&x, &mut want);
        assert_ne!(before, after);
        assert_eq!(after, want);
    }

    #[test]
    fn bad_configs_and_too_few_rows_are_refused() {
        for config in [
            KnnConfig {
                k: 0,
                ..KnnConfig::default()
            },
            KnnConfig {
                max_rows: 3,
                ..KnnConfig::default()
            },
            KnnConfig {
                rows: Some(2),
                ..KnnConfig::default()
            },
        ] {
            assert!(Knn::new(3, config).is_err());
        }
        assert!(Knn::new(0, KnnConfig::default()).is_err());
        let mut m = Knn::new(3, KnnConfig::default()).unwrap();
        let e = m.fit_rows(&random(4, 3, 0)).unwrap_err().to_string();
        assert!(e.contains("at least 5 rows"), "{e}");
        m.fit_rows(&random(5, 3, 0)).unwrap();
        let e = m
            .leave_one_out_scores(&mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 6 rows"), "{e}");
    }
}
