//! The training loop: mini-batch Adam on the reconstruction loss, with
//! per-epoch shuffling, optional early stopping on a validation split, an
//! optional robust mode for contaminated data, and a progress callback.
//!
//! Buffers (the batch, the permutation, the robust-mode scratch) are allocated
//! before the first epoch; a step allocates nothing.

use crate::error::{DetectError, Result};
use crate::scaler::check_finite;
use aedetect_nn::loss::Mse;
use aedetect_nn::optim::{Adam, Penalty};
use aedetect_nn::{Layer, Loss, Mode, Optimizer, Param};
use aedetect_tensor::{rng, Tensor};
use rand::seq::SliceRandom;

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f32,
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
}

impl Default for TrainConfig {
    /// The seed tutorial's recipe: Adam lr = 0.01, 50 epochs, batch 64.
    fn default() -> Self {
        TrainConfig {
            epochs: 50,
            batch_size: 64,
            lr: 0.01,
            seed: 0,
            penalty: Penalty::default(),
            validation_fraction: 0.0,
            patience: 10,
            robust_drop: 0.0,
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
        Ok(())
    }
}

/// Trains `net` to reconstruct the rows of `x` (already scaled).
pub fn train_autoencoder(
    net: &mut dyn Layer,
    x: &Tensor,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainReport> {
    cfg.validate()?;
    check_finite(x)?;
    let n = x.rows();
    if n == 0 {
        return Err(DetectError::Empty("no training rows".into()));
    }
    let mut rng = rng::seeded(cfg.seed);
    let mut order: Vec<usize> = (0..n).collect();
    let n_val = if cfg.validation_fraction > 0.0 {
        ((n as f32) * cfg.validation_fraction).round() as usize
    } else {
        0
    };
    if n_val > 0 {
        order.shuffle(&mut rng);
    }
    if n - n_val == 0 {
        return Err(DetectError::Empty(
            "no training rows left after the validation split".into(),
        ));
    }
    let (train_idx, val_idx) = order.split_at_mut(n - n_val);
    let val = gather(x, val_idx);

    let mut opt = Adam::new(cfg.lr);
    let mut loss = Mse::new();
    let mut batch = Tensor::zeros(&[cfg.batch_size.min(train_idx.len()), x.row_len()]);
    let mut scratch = Vec::with_capacity(cfg.batch_size);
    let mut report = TrainReport::default();
    let mut best: Option<(f32, Vec<Param>)> = None;
    let mut since_best = 0;

    for epoch in 1..=cfg.epochs {
        train_idx.shuffle(&mut rng);
        let mut total = 0.0f64;
        for chunk in train_idx.chunks(cfg.batch_size) {
            gather_into(x, chunk, &mut batch);
            let out = net.forward(&batch, Mode::Train);
            let l = loss.forward(out, &batch);
            total += l as f64 * chunk.len() as f64;
            net.zero_grad();
            if cfg.robust_drop > 0.0 {
                let grad = robust_gradient(&loss, cfg.robust_drop, &mut scratch, &mut batch);
                net.backward(grad);
            } else {
                net.backward(loss.backward());
            }
            cfg.penalty.apply(net);
            opt.step(net);
        }
        let train_loss = (total / train_idx.len() as f64) as f32;
        report.train_losses.push(train_loss);
        let val_loss = (n_val > 0).then(|| evaluate(net, &val, &mut loss));
        progress(&EpochReport {
            epoch,
            epochs: cfg.epochs,
            train_loss,
            val_loss,
        });
        report.best_epoch = epoch;
        let Some(v) = val_loss else { continue };
        report.val_losses.push(v);
        if best.as_ref().is_none_or(|(b, _)| v < *b) {
            best = Some((v, snapshot(net)));
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
        restore(net, &params);
        let vl = &report.val_losses;
        report.best_epoch = 1
            + (0..vl.len())
                .min_by(|a, b| vl[*a].total_cmp(&vl[*b]))
                .unwrap_or(0);
    }
    Ok(report)
}

/// Robust mode: the gradient of the loss over the rows whose error is below
/// the batch's (1 − drop) quantile; the dropped rows get zero gradient and
/// the kept ones are rescaled so the loss is their mean. Reuses `batch` as
/// the gradient buffer (its values are no longer needed this step).
fn robust_gradient<'a>(
    loss: &Mse,
    drop: f32,
    scratch: &mut Vec<f32>,
    batch: &'a mut Tensor,
) -> &'a Tensor {
    let per = loss.per_sample();
    let rows = per.len();
    let keep = rows - ((rows as f32 * drop).floor() as usize).min(rows - 1);
    scratch.clear();
    scratch.extend_from_slice(per);
    let cutoff = *scratch.select_nth_unstable_by(keep - 1, f32::total_cmp).1;
    batch.assign(loss.backward());
    let w = batch.row_len();
    let boost = rows as f32 / keep as f32;
    let mut kept = 0;
    for (row, e) in batch.data_mut().chunks_exact_mut(w).zip(per) {
        // Ties at the cutoff are kept until `keep` rows are in.
        let k = *e < cutoff || (*e == cutoff && kept < keep);
        kept += k as usize;
        let s = if k { boost } else { 0.0 };
        row.iter_mut().for_each(|g| *g *= s);
    }
    batch
}

/// Mean reconstruction loss in eval mode, in batches.
fn evaluate(net: &mut dyn Layer, x: &Tensor, loss: &mut Mse) -> f32 {
    let out = net.forward(x, Mode::Eval);
    loss.forward(out, x)
}

fn gather(x: &Tensor, idx: &[usize]) -> Tensor {
    let mut t = Tensor::default();
    gather_into(x, idx, &mut t);
    t
}

/// Copies rows `idx` of `x` into `out`, resizing it (no allocation once it has
/// held a batch this large).
pub(crate) fn gather_into(x: &Tensor, idx: &[usize], out: &mut Tensor) {
    let w = x.row_len();
    out.resize(&[idx.len(), w]);
    for (dst, &i) in out.data_mut().chunks_exact_mut(w).zip(idx) {
        dst.copy_from_slice(x.row(i));
    }
}

fn snapshot(net: &dyn Layer) -> Vec<Param> {
    let mut v = Vec::new();
    net.visit_params(&mut |p| v.push(p.clone()));
    v
}

fn restore(net: &mut dyn Layer, params: &[Param]) {
    let mut i = 0;
    net.visit_params_mut(&mut |p| {
        p.value.assign(&params[i].value);
        i += 1;
    });
}
