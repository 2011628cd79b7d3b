//! 1-D convolution over sequences, for time series: the 2-D convolution with
//! height 1 (same math, see conv2d.rs).
//!
//! Shapes: x [N, C, L], W [out, C, k], b [out], y [N, out, L'],
//! L' = (L + 2p − k)/s + 1.

use super::Conv2d;
use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::{Rng, Tensor};

pub struct Conv1d {
    inner: Conv2d,
}

impl Conv1d {
    /// Initialised as PyTorch does (U(−1/√fan_in, 1/√fan_in), fan_in = C·k).
    pub fn new(
        inputs: usize,
        outputs: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut Rng,
    ) -> Self {
        let conv =
            Conv2d::with_kernel(inputs, outputs, (1, kernel), (1, stride), (0, padding), rng);
        Self::wrap(conv)
    }

    /// A convolution with the given weight `[out, C, k]` and bias `[out]`.
    pub fn from_params(weight: Tensor, bias: Tensor, stride: usize, padding: usize) -> Self {
        let s = weight.shape().to_vec();
        assert_eq!(s.len(), 3, "Conv1d weight must be [out, in, k]");
        let mut w = weight;
        w.reshape(&[s[0], s[1], 1, s[2]]);
        Self::wrap(Conv2d::from_params(w, bias, (1, stride), (0, padding)))
    }

    /// Presents the inner 4-D weight as [out, in, k], PyTorch's Conv1d layout.
    fn wrap(mut inner: Conv2d) -> Self {
        let s = inner.weight.value.shape().to_vec();
        inner.weight.value.reshape(&[s[0], s[1], s[3]]);
        inner.weight.grad.reshape(&[s[0], s[1], s[3]]);
        Conv1d { inner }
    }

    pub fn weight(&self) -> &Param {
        &self.inner.weight
    }

    pub fn bias(&self) -> &Param {
        &self.inner.bias
    }
}

impl Layer for Conv1d {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let s = x.shape();
        assert_eq!(s.len(), 3, "Conv1d expects [N, C, L], got {s:?}");
        let y = self.inner.forward_images(x, 1, s[2], mode);
        let ys = y.shape().to_vec();
        y.reshape(&[ys[0], ys[1], ys[3]]);
        y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let dx = self.inner.backward_images(dy, true);
        let s = dx.shape().to_vec();
        dx.reshape(&[s[0], s[1], s[3]]);
        dx
    }

    fn backward_params(&mut self, dy: &Tensor) {
        self.inner.backward_images(dy, false);
    }

    fn describe(&self) -> String {
        self.inner.describe().replacen("Conv2d", "Conv1d", 1)
    }
}

impl Parameters for Conv1d {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.inner.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.inner.visit_params_mut(f);
    }
}
