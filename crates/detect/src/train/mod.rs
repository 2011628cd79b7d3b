//! The one training loop: mini-batch steps of any optimizer on any
//! [`Trainable`] network, with per-epoch shuffling, optional early stopping
//! on a validation split, and a progress callback. `step.rs` holds the step
//! every plain autoencoder takes (with the robust mode for contaminated data).
//!
//! Buffers (the batch, the permutation, the robust-mode scratch) are allocated
//! before the first epoch; a step allocates nothing.

mod step;

pub use step::{reconstruction_step, StepBuffers};

use crate::error::{DetectError, Result};
use crate::preprocess::check_finite;
use aedetect_nn::optim::{Adam, Penalty, Sgd};
use aedetect_nn::{Optimizer, Param, Parameters};
use aedetect_tensor::pool::on_pool;
use aedetect_tensor::{rng, Tensor};
use rand::seq::SliceRandom;

/// The optimizer the loop steps with (learning rate from [`TrainConfig::lr`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum OptimizerKind {
    /// Adam with PyTorch's defaults (the seed tutorial's choice).
    #[default]
    Adam,
    /// Stochastic gradient descent with momentum μ (0 = plain SGD).
    Sgd { momentum: f32 },
}

impl OptimizerKind {
    /// A fresh optimizer (no state) with learning rate `lr`.
    pub fn build(self, lr: f32) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Adam => Box::new(Adam::new(lr)),
            OptimizerKind::Sgd { momentum } => Box::new(Sgd::with_momentum(lr, momentum)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f32,
    pub optimizer: OptimizerKind,
    /// Seed for shuffling and the validation split.
    pub seed: u64,
    /// L1/L2 penalties on the weights.
    pub penalty: Penalty,
    /// Fraction of rows held out for early stopping (0 = none).
    pub validation_fraction: f32,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Robust mode: drop this fraction of each batch's highest-error rows from
    /// the loss, so a few anomalies in the training data are not learned.
    pub robust_drop: f32,
    /// Pre-filter: before training, drop this fraction of the training rows
    /// that an Isolation Forest finds most isolated (contaminated data).
    pub prefilter: f32,
    /// Train for at least this many optimizer steps, adding epochs where
    /// `epochs` would give fewer (0 = exactly `epochs`). 50 epochs of
    /// batch 64 are 100 steps on 130 rows but 20,000 on 26,000: a budget in
    /// steps lets small data sets train as far as large ones.
    pub min_steps: usize,
    /// Train for at most this many optimizer steps (rounded up to a whole
    /// epoch, at least one), removing epochs where `epochs` (or
    /// `min_steps`) would give more; 0 = no cap. With `min_steps` equal to
    /// it, every data set trains for the same number of steps: 27,000 rows
    /// then learn no longer than 130 do.
    pub max_steps: usize,
}

impl Default for TrainConfig {
    /// The seed tutorial's recipe: Adam lr = 0.01, 50 epochs, batch 64.
    fn default() -> Self {
        TrainConfig {
            epochs: 50,
            batch_size: 64,
            lr: 0.01,
            optimizer: OptimizerKind::Adam,
            seed: 0,
            penalty: Penalty::default(),
            validation_fraction: 0.0,
            patience: 10,
            robust_drop: 0.0,
            prefilter: 0.0,
            min_steps: 0,
            max_steps: 0,
        }
    }
}

/// What the progress callback receives after each epoch.
#[derive(Clone, Debug)]
pub struct EpochReport {
    pub epoch: usize,
    pub epochs: usize,
    pub train_loss: f32,
    pub val_loss: Option<f32>,
}

#[derive(Clone, Debug, Default)]
pub struct TrainReport {
    pub train_losses: Vec<f32>,
    pub val_losses: Vec<f32>,
    /// Epoch (1-based) whose weights the model ends with.
    pub best_epoch: usize,
    pub stopped_early: bool,
}

impl TrainConfig {
    /// The settings a user gives (the command line's `--epochs`, `--batch`,
    /// `--lr`, `--robust`; the Python detectors' parameters of the same
    /// names), checked, over the defaults; a value that cannot train is a
    /// [`DetectError::Config`] naming it.
    pub fn from_options(
        epochs: usize,
        batch_size: usize,
        lr: f32,
        robust_drop: f32,
        seed: u64,
    ) -> Result<Self> {
        let refuse = |msg: &str| Err(DetectError::Config(msg.into()));
        if epochs == 0 {
            return refuse("epochs must be at least 1");
        }
        if batch_size == 0 {
            return refuse("the batch size must be at least 1");
        }
        if !(lr > 0.0 && lr.is_finite()) {
            return refuse("the learning rate must be a positive number");
        }
        if !(0.0..0.5).contains(&robust_drop) {
            return refuse(
                "robust (the share of each batch left out) must be a fraction in [0, 0.5)",
            );
        }
        Ok(TrainConfig {
            epochs,
            batch_size,
            lr,
            seed,
            robust_drop,
            ..TrainConfig::default()
        })
    }

    /// The epochs training runs on `rows` rows (before the validation
    /// split): `epochs`, or more where that is needed for `min_steps`,
    /// or fewer where `max_steps` caps them (the cap wins over the floor).
    pub fn epochs_for(&self, rows: usize) -> usize {
        let n_train = rows - self.validation_rows(rows);
        let steps_per_epoch = n_train.div_ceil(self.batch_size.max(1)).max(1);
        let epochs = self.epochs.max(self.min_steps.div_ceil(steps_per_epoch));
        match self.max_steps {
            0 => epochs,
            cap => epochs.min(cap.div_ceil(steps_per_epoch).max(1)),
        }
    }

    /// Rows of `rows` held out for early stopping.
    fn validation_rows(&self, rows: usize) -> usize {
        if self.validation_fraction > 0.0 {
            ((rows as f32) * self.validation_fraction).round() as usize
        } else {
            0
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(DetectError::Config(m));
        if self.epochs == 0 || self.batch_size == 0 {
            return bad(format!(
                "epochs ({}) and batch size ({}) must be positive",
                self.epochs, self.batch_size
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(format!("learning rate must be positive, got {}", self.lr));
        }
        if !(0.0..0.9).contains(&self.validation_fraction) {
            return bad(format!(
                "validation fraction must be in [0, 0.9), got {}",
                self.validation_fraction
            ));
        }
        if !(0.0..0.5).contains(&self.robust_drop) {
            return bad(format!(
                "robust drop fraction must be in [0, 0.5), got {}",
                self.robust_drop
            ));
        }
        if let OptimizerKind::Sgd { momentum } = self.optimizer {
            if !(0.0..1.0).contains(&momentum) {
                return bad(format!("SGD momentum must be in [0, 1), got {momentum}"));
            }
        }
        Ok(())
    }
}

/// A network the training loop can drive: one optimisation step on a
/// batch, and its objective on held-out rows. Its [`Parameters`] are what
/// the optimizer steps and what early stopping snapshots.
pub trait Trainable: Parameters + Send {
    /// Forward, backward and `opt.step` on one batch; returns its loss.
    /// `progress` ∈ [0, 1] is the fraction of training done (KL warm-up).
    fn train_step(
        &mut self,
        batch: &Tensor,
        opt: &mut dyn Optimizer,
        cfg: &TrainConfig,
        progress: f32,
    ) -> f32;

    /// The training objective on `x` in inference mode, updating nothing.
    fn eval_loss(&mut self, x: &Tensor) -> f32;
}

/// Trains `model` on the rows of `x` (already scaled).
pub fn train(
    model: &mut dyn Trainable,
    x: &Tensor,
    cfg: &TrainConfig,
    progress: &mut (dyn FnMut(&EpochReport) + Send),
) -> Result<TrainReport> {
    // The steps' parallel passes start on a pool thread (`pool::on_pool`).
    on_pool(|| train_on_pool(model, x, cfg, progress))
}

/// [`train`]'s loop, on a thread of the pool.
fn train_on_pool(
    model: &mut dyn Trainable,
    x: &Tensor,
    cfg: &TrainConfig,
    progress: &mut (dyn FnMut(&EpochReport) + Send),
) -> Result<TrainReport> {
    cfg.validate()?;
    check_finite(x)?;
    let n = x.rows();
    if n == 0 {
        return Err(DetectError::Empty("no training rows".into()));
    }
    let mut rng = rng::seeded(cfg.seed);
    let mut order: Vec<usize> = (0..n).collect();
    let n_val = cfg.validation_rows(n);
    let epochs = cfg.epochs_for(n);
    if n_val > 0 {
        order.shuffle(&mut rng);
    }
    if n - n_val == 0 {
        return Err(DetectError::Empty(
            "no training rows left after the validation split".into(),
        ));
    }
    let (train_idx, val_idx) = order.split_at_mut(n - n_val);
    let val = x.select_rows(val_idx);

    let mut opt = cfg.optimizer.build(cfg.lr);
    let mut batch = Tensor::zeros(&[cfg.batch_size.min(train_idx.len()), x.row_len()]);
    let mut report = TrainReport::default();
    let mut best: Option<(f32, Vec<Param>)> = None;
    let mut since_best = 0;

    for epoch in 1..=epochs {
        train_idx.shuffle(&mut rng);
        let mut total = 0.0f64;
        let done = (epoch - 1) as f32 / epochs as f32;
        for chunk in train_idx.chunks(cfg.batch_size) {
            batch.select_rows_from(x, chunk);
            total += model.train_step(&batch, opt.as_mut(), cfg, done) as f64 * chunk.len() as f64;
        }
        let train_loss = (total / train_idx.len() as f64) as f32;
        if !train_loss.is_finite() {
            return Err(DetectError::Diverged {
                epoch,
                loss: train_loss,
            });
        }
        report.train_losses.push(train_loss);
        let val_loss = (n_val > 0).then(|| model.eval_loss(&val));
        progress(&EpochReport {
            epoch,
            epochs,
            train_loss,
            val_loss,
        });
        report.best_epoch = epoch;
        let Some(v) = val_loss else { continue };
        report.val_losses.push(v);
        if best.as_ref().is_none_or(|(b, _)| v < *b) {
            best = Some((v, snapshot(model)));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                report.stopped_early = true;
                break;
            }
        }
    }
    if let Some((_, params)) = best {
        restore(model, &params);
        let vl = &report.val_losses;
        report.best_epoch = 1
            + (0..vl.len())
                .min_by(|a, b| vl[*a].total_cmp(&vl[*b]))
                .unwrap_or(0);
    }
    Ok(report)
}

fn snapshot(model: &dyn Trainable) -> Vec<Param> {
    let mut v = Vec::new();
    model.visit_params(&mut |p| v.push(p.clone()));
    v
}

fn restore(model: &mut dyn Trainable, params: &[Param]) {
    let mut i = 0;
    model.visit_params_mut(&mut |p| {
        p.value.assign(&params[i].value);
        i += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// min_steps adds epochs where the epoch count gives fewer steps, and
    /// counts steps on the rows left after the validation split.
    #[test]
    fn epochs_cover_the_step_budget() {
        let cfg = TrainConfig {
            min_steps: 5000,
            ..TrainConfig::default()
        };
        // 130 rows: 3 batches of 64 an epoch, 1,667 epochs for 5,000 steps.
        assert_eq!(cfg.epochs_for(130), 1667);
        // 26,000 rows: 407 batches an epoch; 50 epochs are already enough.
        assert_eq!(cfg.epochs_for(26_000), 50);
        assert_eq!(TrainConfig::default().epochs_for(130), 50);
        let held_out = TrainConfig {
            validation_fraction: 0.5,
            ..cfg
        };
        // 65 training rows: 2 batches an epoch.
        assert_eq!(held_out.epochs_for(130), 2500);
    }

    /// max_steps removes epochs where they would give more steps, rounds
    /// up to whole epochs, keeps at least one, and wins over min_steps.
    #[test]
    fn epochs_stop_at_the_step_cap() {
        let budget = TrainConfig {
            min_steps: 2500,
            max_steps: 2500,
            ..TrainConfig::default()
        };
        // 130 rows: 3 batches an epoch; 834 epochs are 2,502 steps.
        assert_eq!(budget.epochs_for(130), 834);
        // 27,000 rows: 422 batches an epoch; 6 epochs, not 50.
        assert_eq!(budget.epochs_for(27_000), 6);
        // A million rows: one epoch, though it is 15,625 steps.
        assert_eq!(budget.epochs_for(1_000_000), 1);
        let cap_below_floor = TrainConfig {
            min_steps: 5000,
            max_steps: 300,
            ..TrainConfig::default()
        };
        assert_eq!(cap_below_floor.epochs_for(130), 100);
        // A cap above what the epochs give changes nothing.
        let loose = TrainConfig {
            max_steps: 1_000_000,
            ..TrainConfig::default()
        };
        assert_eq!(loose.epochs_for(27_000), 50);
    }
}
