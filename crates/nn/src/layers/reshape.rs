//! Reshape (and Flatten): the same values under a new per-sample shape.
//!   y = reshape(x);  dx = reshape⁻¹(dy)

use crate::{Layer, Mode, Parameters};
use aedetect_tensor::{ops, Tensor};

pub struct Reshape {
    /// Per-sample output shape (without the batch axis).
    sample_shape: Vec<usize>,
    in_shape: Vec<usize>,
    out_shape: Vec<usize>,
    y: Tensor,
    dx: Tensor,
}

impl Reshape {
    /// Reshapes each sample to `sample_shape`, e.g. `[1, 28, 28]` for images.
    pub fn new(sample_shape: &[usize]) -> Self {
        Reshape {
            sample_shape: sample_shape.to_vec(),
            in_shape: Vec::new(),
            out_shape: Vec::new(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }

    /// Flatten: each sample to one row.
    pub fn flatten() -> Self {
        Self::new(&[])
    }
}

impl Layer for Reshape {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        let per_sample = x.row_len();
        self.out_shape.clear();
        self.out_shape.push(x.rows());
        if self.sample_shape.is_empty() {
            self.out_shape.push(per_sample);
        } else {
            let want: usize = self.sample_shape.iter().product();
            assert_eq!(
                want, per_sample,
                "Reshape to {:?}: samples have {per_sample} values",
                self.sample_shape
            );
            self.out_shape.extend_from_slice(&self.sample_shape);
        }
        self.in_shape.clear();
        self.in_shape.extend_from_slice(x.shape());
        ops::copy(x, &mut self.y);
        self.y.reshape(&self.out_shape);
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        ops::copy(dy, &mut self.dx);
        self.dx.reshape(&self.in_shape);
        &self.dx
    }

    fn describe(&self) -> String {
        if self.sample_shape.is_empty() {
            "Flatten".into()
        } else {
            format!("Reshape{:?}", self.sample_shape)
        }
    }
}

impl Parameters for Reshape {}
