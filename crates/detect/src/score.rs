//! Per-sample reconstruction error: score_i = mean_j (x̂_ij − x_ij)², computed
//! in eval mode in fixed-size batches so memory stays bounded and, once the
//! batch buffer exists, scoring allocates nothing.

use aedetect_nn::{Layer, Mode};
use aedetect_tensor::Tensor;

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
        for (start, o) in (0..x.rows())
            .step_by(SCORE_BATCH)
            .zip(out.chunks_mut(SCORE_BATCH))
        {
            let end = (start + SCORE_BATCH).min(x.rows());
            self.batch.copy_rows_from(x, start, end);
            let y = net.forward(&self.batch, Mode::Eval);
            for ((s, yr), xr) in o
                .iter_mut()
                .zip(y.data().chunks_exact(w))
                .zip(self.batch.data().chunks_exact(w))
            {
                let sq: f32 = yr.iter().zip(xr).map(|(a, b)| (a - b) * (a - b)).sum();
                *s = sq / w as f32;
            }
        }
    }
}
