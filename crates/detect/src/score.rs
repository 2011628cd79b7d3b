//! Per-sample reconstruction error: score_i = mean_j (x̂_ij − x_ij)², computed
//! in eval mode in fixed-size batches so memory stays bounded and, once the
//! batch buffer exists, scoring allocates nothing.

use aedetect_nn::{Layer, Mode};
use aedetect_tensor::{ops, Tensor};

/// Rows scored per forward pass.
pub const SCORE_BATCH: usize = 1024;

/// Reusable scoring state: the batch buffer.
#[derive(Default)]
pub struct Scorer {
    batch: Tensor,
}

impl Scorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes each row's mean squared reconstruction error into `out`
    /// (resized to the row count).
    pub fn mse(&mut self, net: &mut dyn Layer, x: &Tensor, out: &mut Vec<f32>) {
        out.resize(x.rows(), 0.0);
        let w = x.row_len();
        for_each_batch(x, &mut self.batch, out, |batch, o| {
            let y = net.forward(batch, Mode::Infer);
            ops::squared_distance_rows_into(y.data(), batch.data(), w, o);
            o.iter_mut().for_each(|s| *s /= w as f32);
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
