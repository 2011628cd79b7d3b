//! Linear (fully connected) layer: y = x·Wᵀ + b.
//!
//! Shapes: x [N, in], W [out, in] (PyTorch's layout), b [out], y [N, out].
//! Backward, for upstream gradient dY [N, out]:
//!   dX = dY · W          [N, in]
//!   dW += dYᵀ · X        [out, in]
//!   db += Σ_rows dY      [out]

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::{init, ops, Rng, Tensor};

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
        init::uniform_fan_in(&mut w, inputs, rng);
        init::uniform_fan_in(&mut b, inputs, rng);
        Self::from_params(w, b)
    }

    /// A layer with the given weight `[out, in]` and bias `[out]`.
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
        // Y = X·Wᵀ + b
        self.y.mat_mut().set_product(x.mat(), self.weight.value.t());
        ops::add_row_vector(&mut self.y, &self.bias.value);
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        self.backward_params(dy);
        let (n, i) = (self.x.rows(), self.inputs());
        // dX = dY·W
        self.dx.resize(&[n, i]);
        self.dx
            .mat_mut()
            .set_product(dy.mat(), self.weight.value.mat());
        &self.dx
    }

    fn backward_params(&mut self, dy: &Tensor) {
        let (n, o) = (self.x.rows(), self.outputs());
        assert_eq!(
            dy.shape(),
            &[n, o],
            "Linear backward: dy shape differs from the forward pass's output (or that pass was Mode::Infer)"
        );
        // dW += dYᵀ·X
        self.weight.grad.mat_mut().add_product(dy.t(), self.x.mat());
        // db += Σ_rows dY
        ops::add_col_sums(dy, &mut self.bias.grad);
    }

    fn describe(&self) -> String {
        format!("Linear({} → {})", self.inputs(), self.outputs())
    }
}

impl Parameters for Linear {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
}
