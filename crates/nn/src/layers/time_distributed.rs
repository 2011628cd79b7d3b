//! A layer applied to every step of a sequence on its own, with the same
//! weights: [N, T, F] is read as N·T rows of F (the same memory), the inner
//! layer maps them, and the result is [N, T, F'].
//!
//!   y_{n,t} = layer(x_{n,t});  dx_{n,t} = layer′ᵀ dy_{n,t};  dW = Σ_{n,t} (per-row dW)

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::Tensor;

pub struct TimeDistributed {
    inner: Box<dyn Layer>,
    /// [N, T] of the last input.
    steps: [usize; 2],
    rows: Tensor,
    y: Tensor,
    dy_rows: Tensor,
    dx: Tensor,
}

impl TimeDistributed {
    pub fn new(inner: Box<dyn Layer>) -> Self {
        TimeDistributed {
            inner,
            steps: [0, 0],
            rows: Tensor::default(),
            y: Tensor::default(),
            dy_rows: Tensor::default(),
            dx: Tensor::default(),
        }
    }
}

impl Layer for TimeDistributed {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let s = x.shape();
        assert!(s.len() == 3, "TimeDistributed expects [N, T, F], got {s:?}");
        self.steps = [s[0], s[1]];
        self.rows.assign(x);
        self.rows.reshape(&[s[0] * s[1], s[2]]);
        let y = self.inner.forward(&self.rows, mode);
        self.y.assign(y);
        let out = self.y.row_len();
        self.y.reshape(&[s[0], s[1], out]);
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let [n, t] = self.steps;
        self.dy_rows.assign(dy);
        self.dy_rows.reshape(&[n * t, dy.len() / (n * t).max(1)]);
        let dx = self.inner.backward(&self.dy_rows);
        self.dx.assign(dx);
        let f = self.dx.row_len();
        self.dx.reshape(&[n, t, f]);
        &self.dx
    }

    fn backward_params(&mut self, dy: &Tensor) {
        let [n, t] = self.steps;
        self.dy_rows.assign(dy);
        self.dy_rows.reshape(&[n * t, dy.len() / (n * t).max(1)]);
        self.inner.backward_params(&self.dy_rows);
    }

    fn describe(&self) -> String {
        format!("TimeDistributed({})", self.inner.describe())
    }
}

impl Parameters for TimeDistributed {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.inner.visit_params(f);
    }
    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.inner.visit_params_mut(f);
    }
}
