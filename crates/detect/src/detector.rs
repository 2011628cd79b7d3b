//! The detector a user links: scaler + model + threshold behind one
//! fit → score → flag API.

use crate::error::{DetectError, Result};
use crate::model::{Generative, IForestConfig, Model, ModelConfig, SCORE_BATCH};
use crate::preprocess::{drop_most_isolated, Scaler, ScalerKind};
use crate::series::SeriesSpec;
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_tensor::pool::on_pool;
use aedetect_tensor::Tensor;
use rayon::prelude::*;
use std::collections::BTreeMap;

pub struct Detector {
    pub scaler: Scaler,
    pub model: Box<dyn Model>,
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
    /// For a model of a time series: how rows become the windows it
    /// scores, and the smoothing and level of its scores
    /// ([`crate::series::SeriesScorer`]); its threshold is then on the
    /// smoothed score.
    pub series: Option<SeriesSpec>,
    /// The calling thread's scoring buffers.
    lane: Lane,
    /// Rows scored per block: [`SCORE_BATCH`], fewer for a model whose
    /// activations per row are large ([`ModelConfig::scoring_block`]).
    block: usize,
    /// Rows per thread from which scoring splits over threads.
    parallel_min_rows: usize,
    /// Scoring of large inputs in parallel (boxed: the one-row path never
    /// touches it).
    parallel: Box<ParallelScoring>,
    /// The fit's rows' scores, while nobody has taken them.
    training_scores: Option<Vec<f32>>,
}

/// Per-thread copies of the model for scoring large inputs in parallel,
/// built on first use and refreshed from the detector's model on every call.
#[derive(Default)]
struct ParallelScoring {
    replicas: Vec<Replica>,
    /// All of the model's parameter values, end to end (the refresh's source).
    flat: Vec<f32>,
}

/// One thread's model copy and its buffers.
struct Replica {
    model: Box<dyn Model>,
    lane: Lane,
    /// The first bad row this replica met on the last call, if any.
    error: Option<DetectError>,
}

/// Buffers for scoring a run of rows one block at a time: a block of at most
/// [`SCORE_BATCH`] raw rows is checked and scaled into a buffer that stays
/// in cache, then scored; the input is read from memory once, whatever its size.
#[derive(Default)]
struct Lane {
    block: Tensor,
    scores: Vec<f32>,
}

impl Lane {
    /// Scores rows `first .. first + out.len()` of the raw input `x` into
    /// `out`, `block` rows at a time.
    fn score(
        &mut self,
        scaler: &Scaler,
        model: &mut dyn Model,
        block: usize,
        x: Rows,
        first: usize,
        out: &mut [f32],
    ) -> Result<()> {
        let d = x.width;
        for (i, o) in out.chunks_mut(block).enumerate() {
            let start = first + i * block;
            let rows = &x.data[start * d..(start + o.len()) * d];
            scaler.transform_slice_into(rows, start, &mut self.block)?;
            model.score_into(&self.block, &mut self.scores);
            // Finite input and finite weights can still overflow (a value
            // near f32::MAX scaled, or pushed through the network): such a
            // row has no score, and scoring it NaN would flag it as normal.
            if let Some(i) = self.scores.iter().position(|s| !s.is_finite()) {
                return Err(DetectError::Overflow {
                    row: start + i,
                    score: self.scores[i],
                });
            }
            o.copy_from_slice(&self.scores);
        }
        Ok(())
    }
}

/// Raw rows to score, borrowed: `data` holds whole rows of `width` values,
/// one after the other (a [`Tensor`]'s data, or a caller's buffer such as a
/// C-ordered NumPy array, scored without a copy).
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a> {
    pub data: &'a [f32],
    pub width: usize,
}

impl<'a> Rows<'a> {
    /// `data` as rows of `width` values; `None` when it does not hold
    /// whole rows (or `width` is 0 with data).
    pub fn new(data: &'a [f32], width: usize) -> Option<Self> {
        // n.is_multiple_of(0) holds for n = 0 only.
        data.len()
            .is_multiple_of(width)
            .then_some(Rows { data, width })
    }

    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }
}

impl<'a> From<&'a Tensor> for Rows<'a> {
    fn from(x: &'a Tensor) -> Self {
        Rows {
            data: x.data(),
            width: x.row_len(),
        }
    }
}

/// Inputs with fewer rows than this per thread are scored on the calling
/// thread: below it, starting threads costs more than it saves. A model
/// whose rows are more work starts sooner ([`parallel_min_rows`]).
pub const PARALLEL_MIN_ROWS_PER_THREAD: usize = 4 * SCORE_BATCH;

/// The work per thread, in activations, from which splitting pays: a few
/// milliseconds on one core.
const PARALLEL_MIN_ACTIVATIONS: usize = 1 << 22;

/// Rows per thread from which `config`'s model scores in parallel: enough
/// rows for [`PARALLEL_MIN_ACTIVATIONS`], at most
/// [`PARALLEL_MIN_ROWS_PER_THREAD`]. An LSTM autoencoder's window (some
/// 25,000 activations) starts at 164 rows; a small dense network keeps
/// the cap.
fn parallel_min_rows(config: &ModelConfig, inputs: usize) -> usize {
    let per_row = config
        .activations_per_row(inputs)
        .unwrap_or(usize::MAX)
        .max(1);
    (PARALLEL_MIN_ACTIVATIONS / per_row).clamp(1, PARALLEL_MIN_ROWS_PER_THREAD)
}

/// A fingerprint of a model's parameter layout (names and shapes, in order).
fn layout_of(model: &dyn Model) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    model.visit_params(&mut |p| {
        p.name.hash(&mut h);
        p.value.shape().hash(&mut h);
    });
    h.finish()
}

impl Detector {
    /// Fits the scaler and trains the model on `normal` rows only.
    pub fn fit(
        normal: &Tensor,
        scaler: ScalerKind,
        model: impl Into<ModelConfig>,
        train: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<Self> {
        if normal.rows() == 0 {
            return Err(DetectError::Empty("no normal rows to train on".into()));
        }
        // Every parallel pass of the fit starts on a pool thread, not with
        // a hand-off from the caller's (`pool::on_pool`).
        let model = model.into();
        on_pool(|| Self::fit_on_pool(normal, scaler, model, train, progress))
    }

    /// [`Detector::fit`]'s work, on a thread of the pool.
    fn fit_on_pool(
        normal: &Tensor,
        scaler: ScalerKind,
        model: ModelConfig,
        train: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<Self> {
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
        let mut model = model.build(x.row_len())?;
        let report = model.fit(&x, train, progress)?;
        // Rows the prefilter dropped have no training score.
        let training_scores = (train.prefilter <= 0.0)
            .then(|| model.take_training_scores())
            .flatten()
            .filter(|s| s.iter().all(|v| v.is_finite()));
        let mut detector = Self::from_parts(scaler, model, None, report);
        detector.training_scores = training_scores;
        Ok(detector)
    }

    /// The scores of the rows [`Detector::fit`] was given, the same bits
    /// [`Detector::score_into`] gives them, where fitting computed them
    /// anyway (the default's members do, from their neighbour search);
    /// `None` otherwise. Taken: `None` after the first call.
    pub fn take_training_scores(&mut self) -> Option<Vec<f32>> {
        self.training_scores.take()
    }

    /// A detector from an already trained model (e.g. loaded from a file).
    pub fn from_parts(
        scaler: Scaler,
        model: Box<dyn Model>,
        threshold: Option<f32>,
        report: TrainReport,
    ) -> Self {
        let config = model.config();
        let block = config.scoring_block(model.inputs());
        let parallel_min_rows = parallel_min_rows(&config, model.inputs());
        Detector {
            scaler,
            model,
            threshold,
            report,
            features: Vec::new(),
            info: BTreeMap::new(),
            series: None,
            lane: Lane::default(),
            block,
            parallel_min_rows,
            parallel: Box::default(),
            training_scores: None,
        }
    }

    /// What the model makes of raw rows, in the data's units (pixel
    /// values for images): scaled, reconstructed, scaled back. `None` for
    /// a model that does not reconstruct its input (kNN, the forest).
    pub fn reconstruct(&mut self, x: &Tensor) -> Result<Option<Tensor>> {
        let scaled = self.scaler.transformed(x)?;
        let Some(mut r) = self.model.reconstruct(&scaled) else {
            return Ok(None);
        };
        self.scaler.inverse_in_place(&mut r);
        Ok(Some(r))
    }

    /// `n` rows decoded from the model's prior z ~ N(0, I), in the data's
    /// units; the same seed draws the same rows. An error for a model
    /// without a latent space to draw from (anything but a VAE).
    pub fn sample(&mut self, n: usize, seed: u64) -> Result<Tensor> {
        let mut x = self.generative()?.sample(n, seed);
        self.scaler.inverse_in_place(&mut x);
        Ok(x)
    }

    /// `steps` rows decoded from the straight line between the latent
    /// means of the raw rows `from` and `to`, ends included, in the data's
    /// units (see [`Generative::interpolate`]).
    pub fn interpolate(&mut self, from: &[f32], to: &[f32], steps: usize) -> Result<Tensor> {
        let d = self.scaler.features();
        if from.len() != d || to.len() != d {
            let got = if from.len() != d {
                from.len()
            } else {
                to.len()
            };
            return Err(DetectError::WidthMismatch { got, want: d });
        }
        let ends = Tensor::from_vec(&[2, d], [from, to].concat());
        let scaled = self.scaler.transformed(&ends)?;
        let mut x = self.generative()?.interpolate(&scaled, steps);
        self.scaler.inverse_in_place(&mut x);
        Ok(x)
    }

    fn generative(&mut self) -> Result<&mut dyn Generative> {
        self.model.generative().ok_or_else(|| {
            DetectError::Config(
                "this model has no latent space to draw from: sampling and interpolation need a VAE (--model vae)".into(),
            )
        })
    }

    /// Anomaly scores of raw rows: scaled, then scored by the model (its
    /// reconstruction error for an autoencoder, see [`Model::score_kind`]).
    pub fn score(&mut self, x: &Tensor) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(x.rows());
        self.score_into(x, &mut out)?;
        Ok(out)
    }

    /// As [`Detector::score`], into a caller's buffer (no allocation once
    /// sized). Inputs of at least [`PARALLEL_MIN_ROWS_PER_THREAD`] rows per
    /// thread (fewer for a model whose rows are more work) are split into one contiguous part per rayon thread, each scored
    /// by its own copy of the model; every row's score is the same bits
    /// either way (a row's arithmetic never depends on its neighbours).
    pub fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) -> Result<()> {
        self.score_rows_into(x.into(), out)
    }

    /// As [`Detector::score_into`], for rows in borrowed memory.
    pub fn score_rows_into(&mut self, x: Rows, out: &mut Vec<f32>) -> Result<()> {
        if x.width != self.scaler.features() {
            return Err(DetectError::WidthMismatch {
                got: x.width,
                want: self.scaler.features(),
            });
        }
        out.resize(x.rows(), 0.0);
        // Rows first: asking rayon for its thread count is not free on the
        // one-row path, which must stay around a microsecond.
        let threads = if x.rows() < 2 * self.parallel_min_rows || self.model.scores_in_parallel() {
            1
        } else {
            rayon::current_num_threads()
        };
        if threads < 2 {
            let big = x.rows() >= 2 * self.parallel_min_rows && self.model.scores_in_parallel();
            let (lane, scaler, model, block) = (
                &mut self.lane,
                &self.scaler,
                self.model.as_mut(),
                self.block,
            );
            if big {
                // The model's own passes split the rows: start them on the pool.
                return on_pool(|| lane.score(scaler, model, block, x, 0, out));
            }
            return lane.score(scaler, model, block, x, 0, out);
        }
        self.score_parallel(threads, x, out)
    }

    /// The large-input path of [`Detector::score_into`]. Kept out of line so
    /// the one-row path stays small.
    #[inline(never)]
    fn score_parallel(&mut self, threads: usize, x: Rows, out: &mut [f32]) -> Result<()> {
        let parts = threads.min(x.rows() / self.parallel_min_rows);
        self.refresh_replicas(parts)?;
        let chunk = x.rows().div_ceil(parts);
        let (scaler, block) = (&self.scaler, self.block);
        self.parallel.replicas[..parts]
            .par_iter_mut()
            .zip(out.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(i, (r, o))| {
                r.error = r
                    .lane
                    .score(scaler, r.model.as_mut(), block, x, i * chunk, o)
                    .err();
            });
        // The parts are in row order, so this is the input's first bad row.
        match self.parallel.replicas[..parts]
            .iter_mut()
            .find_map(|r| r.error.take())
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Makes at least `n` replicas of the model with its current parameter
    /// values. Building allocates (once); refreshing only copies values.
    fn refresh_replicas(&mut self, n: usize) -> Result<()> {
        let layout = layout_of(self.model.as_ref());
        if self
            .parallel
            .replicas
            .first()
            .is_some_and(|r| layout_of(r.model.as_ref()) != layout)
        {
            self.parallel.replicas.clear();
        }
        if self.parallel.replicas.len() < n {
            let config = self.model.config();
            for _ in self.parallel.replicas.len()..n {
                self.parallel.replicas.push(Replica {
                    model: config.build(self.model.inputs())?,
                    lane: Lane::default(),
                    error: None,
                });
            }
        }
        let flat = &mut self.parallel.flat;
        flat.clear();
        self.model
            .visit_params(&mut |p| flat.extend_from_slice(p.value.data()));
        for r in &mut self.parallel.replicas[..n] {
            let mut at = 0;
            r.model.visit_params_mut(&mut |p| {
                let len = p.value.len();
                p.value.data_mut().copy_from_slice(&flat[at..at + len]);
                at += len;
            });
        }
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
