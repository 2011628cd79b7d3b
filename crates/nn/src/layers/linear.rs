//! Linear (fully connected) layer: y = x·Wᵀ + b.
//!
//! Shapes: x [N, in], W [out, in] (PyTorch's layout), b [out], y [N, out].
//! Backward, for upstream gradient dY [N, out]:
//!   dX = dY · W          [N, in]
//!   dW += dYᵀ · X        [out, in]
//!   db += Σ_rows dY      [out]

use crate::{Layer, Mode, Param};
use aedetect_tensor::{gemm, init, ops, Rng, Tensor, Trans};

pub struct Linear {
    pub weight: Param,
    pub bias: Param,
    x: Tensor,
    y: Tensor,
    dx: Tensor,
}

impl Linear {
    /// A layer initialised as PyTorch does: W and b from U(−1/√in, 1/√in).
    pub fn new(inputs: usize, outputs: usize, rng: &mut Rng) -> Self {
        let mut w = Tensor::zeros(&[outputs, inputs]);
        let mut b = Tensor::zeros(&[outputs]);
        init::uniform_fan_in(w.data_mut(), inputs, rng);
        init::uniform_fan_in(b.data_mut(), inputs, rng);
        Self::from_params(w, b)
    }

    /// A layer with the given weight [out, in] and bias [out].
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn from_params(weight: Tensor, bias: Tensor) -> Self {
        assert_eq!(weight.shape().len(), 2, "Linear weight must be [out, in]");
        assert_eq!(
            bias.shape(),
            &weight.shape()[..1],
            "Linear bias must be [out]"
        );
        Linear {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
            x: Tensor::default(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }

    pub fn inputs(&self) -> usize {
        self.weight.value.shape()[1]
    }

    pub fn outputs(&self) -> usize {
        self.weight.value.shape()[0]
    }
}

impl Layer for Linear {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let (n, i, o) = (x.rows(), self.inputs(), self.outputs());
        assert_eq!(
            x.row_len(),
            i,
            "Linear({i} → {o}) got rows of width {}",
            x.row_len()
        );
        if mode == Mode::Infer {
            // No backward follows: an empty cache makes one fail loudly.
            self.x.resize(&[0, i]);
        } else {
            self.x.assign(x);
        }
        self.y.resize(&[n, o]);
        // y = x·Wᵀ, then + b on every row
        gemm(
            Trans::N,
            Trans::T,
            n,
            o,
            i,
            1.0,
            x.data(),
            self.weight.value.data(),
            0.0,
            self.y.data_mut(),
        );
        ops::add_row_vector(self.y.data_mut(), self.bias.value.data());
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let (n, i, o) = (self.x.rows(), self.inputs(), self.outputs());
        assert_eq!(
            dy.shape(),
            &[n, o],
            "Linear backward: dy shape differs from the forward pass's output (or that pass was Mode::Infer)"
        );
        // dW += dYᵀ·X
        gemm(
            Trans::T,
            Trans::N,
            o,
            i,
            n,
            1.0,
            dy.data(),
            self.x.data(),
            1.0,
            self.weight.grad.data_mut(),
        );
        // db += column sums of dY
        ops::sum_cols_into(dy.data(), n, o, self.bias.grad.data_mut());
        // dX = dY·W
        self.dx.resize(&[n, i]);
        gemm(
            Trans::N,
            Trans::N,
            n,
            i,
            o,
            1.0,
            dy.data(),
            self.weight.value.data(),
            0.0,
            self.dx.data_mut(),
        );
        &self.dx
    }

    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }

    fn describe(&self) -> String {
        format!("Linear({} → {})", self.inputs(), self.outputs())
    }
}
