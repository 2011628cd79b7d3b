//! The step every plain autoencoder (one network reconstructing its input)
//! takes: loss(net(x), x), optional robust row dropping, L1/L2 penalty,
//! optimizer step.

use super::TrainConfig;
use crate::model::{Reconstruction, ReconstructionLoss};
use aedetect_nn::{Layer, Mode, Optimizer};
use aedetect_tensor::Tensor;

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

/// One step of a plain autoencoder `net` on `batch`; returns the batch loss.
pub fn reconstruction_step(
    net: &mut dyn Layer,
    buf: &mut StepBuffers,
    batch: &Tensor,
    opt: &mut dyn Optimizer,
    cfg: &TrainConfig,
) -> f32 {
    let out = net.forward(batch, Mode::Train);
    let l = buf.loss.forward(out, batch);
    net.zero_grad();
    if cfg.robust_drop > 0.0 {
        robust_gradient(&buf.loss, cfg.robust_drop, &mut buf.scratch, &mut buf.grad);
        net.backward_params(&buf.grad);
    } else {
        net.backward_params(buf.loss.gradient());
    }
    cfg.penalty.apply(net);
    opt.step(net);
    l
}

/// Robust mode: the gradient of the loss over the rows whose error is below
/// the batch's (1 − drop) quantile; the dropped rows get zero gradient and
/// the kept ones are rescaled so the loss is their mean.
fn robust_gradient(
    loss: &ReconstructionLoss,
    drop: f32,
    scratch: &mut Vec<f32>,
    grad: &mut Tensor,
) {
    let per = loss.per_row().data();
    let rows = per.len();
    let keep = rows - ((rows as f32 * drop).floor() as usize).min(rows - 1);
    scratch.clear();
    scratch.extend_from_slice(per);
    let cutoff = *scratch.select_nth_unstable_by(keep - 1, f32::total_cmp).1;
    // Per-row weights: 0 for a dropped row, rows/keep for a kept one (ties at
    // the cutoff are kept until `keep` rows are in).
    let boost = rows as f32 / keep as f32;
    let mut kept = 0;
    for (s, e) in scratch.iter_mut().zip(per) {
        let k = *e < cutoff || (*e == cutoff && kept < keep);
        kept += k as usize;
        *s = if k { boost } else { 0.0 };
    }
    grad.assign(loss.gradient());
    aedetect_tensor::ops::scale_rows(grad, scratch);
}
