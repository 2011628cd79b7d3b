//! Moving between a sequence and one vector per sample, for sequence
//! autoencoders: keep the last step of an encoder's outputs, and repeat a
//! code over every step a decoder runs.
//!
//! LastStep:     y = x_T   ([N, T, F] → [N, F])
//!               dx_t = dy for t = T, 0 for every earlier step
//! RepeatSteps:  y_t = x for t = 1 … T   ([N, F] → [N, T, F])
//!               dx = Σ_t dy_t

use crate::{Layer, Mode, Parameters};
use aedetect_tensor::Tensor;

/// The last step of a sequence.
#[derive(Default)]
pub struct LastStep {
    in_shape: Vec<usize>,
    y: Tensor,
    dx: Tensor,
}

impl LastStep {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for LastStep {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        let s = x.shape();
        assert!(s.len() == 3, "LastStep expects [N, T, F], got {s:?}");
        let (n, steps, f) = (s[0], s[1], s[2]);
        self.in_shape.clear();
        self.in_shape.extend_from_slice(s);
        self.y.resize(&[n, f]);
        for (i, y) in self.y.data_mut().chunks_exact_mut(f).enumerate() {
            let last = (i * steps + steps - 1) * f;
            y.copy_from_slice(&x.data()[last..last + f]);
        }
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let (n, steps, f) = (self.in_shape[0], self.in_shape[1], self.in_shape[2]);
        assert_eq!(dy.shape(), [n, f], "LastStep backward: dy shape");
        self.dx.resize(&self.in_shape);
        self.dx.fill(0.0);
        for (i, g) in dy.data().chunks_exact(f).enumerate() {
            let last = (i * steps + steps - 1) * f;
            self.dx.data_mut()[last..last + f].copy_from_slice(g);
        }
        &self.dx
    }

    fn describe(&self) -> String {
        "LastStep".into()
    }
}

impl Parameters for LastStep {}

/// One vector per sample, repeated over `steps` steps.
pub struct RepeatSteps {
    steps: usize,
    y: Tensor,
    dx: Tensor,
}

impl RepeatSteps {
    pub fn new(steps: usize) -> Self {
        RepeatSteps {
            steps,
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }
}

impl Layer for RepeatSteps {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        let (n, f, t) = (x.rows(), x.row_len(), self.steps);
        self.y.resize(&[n, t, f]);
        for (i, y) in self.y.data_mut().chunks_exact_mut(t * f).enumerate() {
            for step in y.chunks_exact_mut(f) {
                step.copy_from_slice(x.row(i));
            }
        }
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let s = dy.shape();
        assert!(
            s.len() == 3 && s[1] == self.steps,
            "RepeatSteps backward: dy shape {s:?}"
        );
        let (n, t, f) = (s[0], s[1], s[2]);
        self.dx.resize(&[n, f]);
        for (i, dx) in self.dx.data_mut().chunks_exact_mut(f).enumerate() {
            dx.copy_from_slice(&dy.data()[i * t * f..i * t * f + f]);
            for step in dy.data()[i * t * f..(i + 1) * t * f]
                .chunks_exact(f)
                .skip(1)
            {
                for (d, g) in dx.iter_mut().zip(step) {
                    *d += g;
                }
            }
        }
        &self.dx
    }

    fn describe(&self) -> String {
        format!("RepeatSteps({})", self.steps)
    }
}

impl Parameters for RepeatSteps {}
