//! The training loop: mini-batch Adam on the reconstruction loss, with
//! per-epoch shuffling, optional early stopping on a validation split, an
//! optional robust mode for contaminated data, and a progress callback.
//!
//! Buffers (the batch, the permutation, the robust-mode scratch) are allocated
//! before the first epoch; a step allocates nothing.

use crate::error::{DetectError, Result};
use crate::reconstruction::{Reconstruction, ReconstructionLoss};
use crate::scaler::check_finite;
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
    /// Pre-filter: before training, drop this fraction of the training rows
    /// that an Isolation Forest finds most isolated (contaminated data).
    pub prefilter: f32,
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
            prefilter: 0.0,
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

/// A model the training loop can drive: one optimisation step on a batch,
/// a loss on held-out rows, and its parameters (for keeping the best epoch).
pub trait Trainable {
    /// Forward, backward and `opt.step` on one batch; returns its loss.
    /// `progress` ∈ [0, 1] is the fraction of training done (KL warm-up).
    fn train_step(
        &mut self,
        batch: &Tensor,
        opt: &mut Adam,
        cfg: &TrainConfig,
        progress: f32,
    ) -> f32;

    /// The training objective on `x` in eval mode, without updating anything.
    fn eval_loss(&mut self, x: &Tensor) -> f32;

    fn visit_params(&self, f: &mut dyn FnMut(&Param));

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param));
}

/// Buffers of a reconstruction step: the loss and the robust-mode scratch.
/// `Default` trains with MSE.
#[derive(Default)]
pub struct StepBuffers {
    pub loss: ReconstructionLoss,
    scratch: Vec<f32>,
    grad: Tensor,
}

impl StepBuffers {
    pub fn new(reconstruction: Reconstruction) -> Self {
        StepBuffers {
            loss: ReconstructionLoss::new(reconstruction),
            ..Self::default()
        }
    }
}

/// One step of a plain autoencoder `net` on `batch`: loss(net(x), x), optional
/// robust row dropping, L1/L2 penalty, optimizer step.
pub fn reconstruction_step(
    net: &mut dyn Layer,
    buf: &mut StepBuffers,
    batch: &Tensor,
    opt: &mut Adam,
    cfg: &TrainConfig,
) -> f32 {
    let out = net.forward(batch, Mode::Train);
    let l = buf.loss.get().forward(out, batch);
    net.zero_grad();
    if cfg.robust_drop > 0.0 {
        robust_gradient(
            buf.loss.last(),
            cfg.robust_drop,
            &mut buf.scratch,
            &mut buf.grad,
        );
        net.backward(&buf.grad);
    } else {
        net.backward(buf.loss.last().backward());
    }
    cfg.penalty.apply(net);
    opt.step(net);
    l
}

/// Trains `model` on the rows of `x` (already scaled).
pub fn train(
    model: &mut dyn Trainable,
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
    let val = x.select_rows(val_idx);

    let mut opt = Adam::new(cfg.lr);
    let mut batch = Tensor::zeros(&[cfg.batch_size.min(train_idx.len()), x.row_len()]);
    let mut report = TrainReport::default();
    let mut best: Option<(f32, Vec<Param>)> = None;
    let mut since_best = 0;

    for epoch in 1..=cfg.epochs {
        train_idx.shuffle(&mut rng);
        let mut total = 0.0f64;
        let done = (epoch - 1) as f32 / cfg.epochs as f32;
        for chunk in train_idx.chunks(cfg.batch_size) {
            batch.select_rows_from(x, chunk);
            total += model.train_step(&batch, &mut opt, cfg, done) as f64 * chunk.len() as f64;
        }
        let train_loss = (total / train_idx.len() as f64) as f32;
        report.train_losses.push(train_loss);
        let val_loss = (n_val > 0).then(|| model.eval_loss(&val));
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

/// Trains a plain autoencoder network (any `Layer`) to reconstruct `x`,
/// with squared error or, for [0, 1] data, BCE on its output logits.
pub fn train_autoencoder(
    net: &mut dyn Layer,
    x: &Tensor,
    cfg: &TrainConfig,
    reconstruction: Reconstruction,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainReport> {
    struct Plain<'a> {
        net: &'a mut dyn Layer,
        buf: StepBuffers,
    }
    impl Trainable for Plain<'_> {
        fn train_step(&mut self, batch: &Tensor, opt: &mut Adam, cfg: &TrainConfig, _: f32) -> f32 {
            reconstruction_step(self.net, &mut self.buf, batch, opt, cfg)
        }
        fn eval_loss(&mut self, x: &Tensor) -> f32 {
            let out = self.net.forward(x, Mode::Infer);
            self.buf.loss.get().forward(out, x)
        }
        fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
            self.net.visit_params(f);
        }
        fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
            self.net.visit_params_mut(f);
        }
    }
    train(
        &mut Plain {
            net,
            buf: StepBuffers::new(reconstruction),
        },
        x,
        cfg,
        progress,
    )
}

/// Robust mode: the gradient of the loss over the rows whose error is below
/// the batch's (1 − drop) quantile; the dropped rows get zero gradient and
/// the kept ones are rescaled so the loss is their mean.
fn robust_gradient(loss: &dyn Loss, drop: f32, scratch: &mut Vec<f32>, grad: &mut Tensor) {
    let per = loss.per_sample();
    let rows = per.len();
    let keep = rows - ((rows as f32 * drop).floor() as usize).min(rows - 1);
    scratch.clear();
    scratch.extend_from_slice(per);
    let cutoff = *scratch.select_nth_unstable_by(keep - 1, f32::total_cmp).1;
    grad.assign(loss.backward());
    let w = grad.row_len();
    let boost = rows as f32 / keep as f32;
    let mut kept = 0;
    for (row, e) in grad.data_mut().chunks_exact_mut(w).zip(per) {
        // Ties at the cutoff are kept until `keep` rows are in.
        let k = *e < cutoff || (*e == cutoff && kept < keep);
        kept += k as usize;
        let s = if k { boost } else { 0.0 };
        row.iter_mut().for_each(|g| *g *= s);
    }
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
