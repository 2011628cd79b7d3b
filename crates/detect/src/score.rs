//! Per-sample reconstruction error, computed in `Mode::Infer` in fixed-size
//! batches so memory stays bounded and, once the batch buffer exists,
//! scoring allocates nothing:
//!   MSE: score_i = mean_j (x̂_ij − x_ij)²
//!   BCE: score_i = mean_j ℓ(z_ij, x_ij), z the output logits (see
//!        [`crate::reconstruction`])

use crate::reconstruction::Reconstruction;
use aedetect_nn::loss::BceWithLogits;
use aedetect_nn::{Layer, Loss, Mode};
use aedetect_tensor::{ops, Tensor};

/// Rows scored per forward pass.
pub const SCORE_BATCH: usize = 1024;

/// Reusable scoring state: the batch buffer.
#[derive(Default)]
pub struct Scorer {
    batch: Tensor,
    bce: BceWithLogits,
}

impl Scorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes each row's mean reconstruction error into `out` (resized to
    /// the row count).
    pub fn score(
        &mut self,
        net: &mut dyn Layer,
        x: &Tensor,
        kind: Reconstruction,
        out: &mut Vec<f32>,
    ) {
        out.resize(x.rows(), 0.0);
        let w = x.row_len();
        let bce = &self.bce;
        for_each_batch(x, &mut self.batch, out, |batch, o| {
            let y = net.forward(batch, Mode::Infer);
            match kind {
                Reconstruction::Mse => {
                    ops::squared_distance_rows_into(y.data(), batch.data(), w, o);
                    o.iter_mut().for_each(|s| *s /= w as f32);
                }
                Reconstruction::Bce => {
                    let rows = y.data().chunks_exact(w).zip(batch.data().chunks_exact(w));
                    for (s, (zr, xr)) in o.iter_mut().zip(rows) {
                        let sum: f32 = zr.iter().zip(xr).map(|(z, t)| bce.element(*z, *t)).sum();
                        *s = sum / w as f32;
                    }
                }
            }
        });
    }
}

/// Calls `f(batch, out_part)` for each run of at most [`SCORE_BATCH`] rows of
/// `x`, copied into `buf`, with the matching part of `out`; an `x` that fits
/// in one batch is passed as it is, with no copy.
pub fn for_each_batch(
    x: &Tensor,
    buf: &mut Tensor,
    out: &mut [f32],
    mut f: impl FnMut(&Tensor, &mut [f32]),
) {
    if x.rows() <= SCORE_BATCH {
        f(x, out);
        return;
    }
    for (start, o) in (0..x.rows())
        .step_by(SCORE_BATCH)
        .zip(out.chunks_mut(SCORE_BATCH))
    {
        buf.copy_rows_from(x, start, start + o.len());
        f(buf, o);
    }
}
