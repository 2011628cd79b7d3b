//! Element-wise activations. Each caches what its local derivative needs:
//!   ReLU:       y = max(x, 0);           dx = dy · [y > 0]
//!   LeakyReLU:  y = x if x > 0 else αx;  dx = dy · (1 if x > 0 else α)
//!   Sigmoid:    y = 1 / (1 + e^(−x));    dx = dy · y(1 − y)
//!   Tanh:       y = tanh x;              dx = dy · (1 − y²)

use crate::{Layer, Mode, Parameters};
use aedetect_tensor::{ops, Tensor};

/// The chain rule through an element-wise map: dx = dy ⊙ f′, where
/// `local(cache, dy, dx)` computes f′ from what the forward pass cached and
/// multiplies it in, in one pass.
fn chain<'a>(
    dy: &Tensor,
    cache: &Tensor,
    dx: &'a mut Tensor,
    local: impl Fn(&Tensor, &Tensor, &mut Tensor),
) -> &'a Tensor {
    local(cache, dy, dx);
    dx
}

#[derive(Default)]
pub struct Relu {
    y: Tensor,
    dx: Tensor,
}

impl Relu {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for Relu {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        ops::relu(x, &mut self.y);
        &self.y
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        chain(dy, &self.y, &mut self.dx, ops::relu_backward)
    }
    fn describe(&self) -> String {
        "ReLU".into()
    }
}

impl Parameters for Relu {}

pub struct LeakyRelu {
    pub slope: f32,
    x: Tensor,
    y: Tensor,
    dx: Tensor,
}

impl LeakyRelu {
    /// PyTorch's default slope is 0.01.
    pub fn new(slope: f32) -> Self {
        LeakyRelu {
            slope,
            x: Tensor::default(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }
}

impl Layer for LeakyRelu {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        self.x.assign(x);
        ops::leaky_relu(x, &mut self.y, self.slope);
        &self.y
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let s = self.slope;
        chain(dy, &self.x, &mut self.dx, |x, dy, dx| {
            ops::leaky_relu_backward(x, dy, dx, s)
        })
    }
    fn describe(&self) -> String {
        format!("LeakyReLU({})", self.slope)
    }
}

impl Parameters for LeakyRelu {}

#[derive(Default)]
pub struct Sigmoid {
    y: Tensor,
    dx: Tensor,
}

impl Sigmoid {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for Sigmoid {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        ops::sigmoid(x, &mut self.y);
        &self.y
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        chain(dy, &self.y, &mut self.dx, ops::sigmoid_backward)
    }
    fn describe(&self) -> String {
        "Sigmoid".into()
    }
}

impl Parameters for Sigmoid {}

#[derive(Default)]
pub struct Tanh {
    y: Tensor,
    dx: Tensor,
}

impl Tanh {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Layer for Tanh {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        ops::tanh(x, &mut self.y);
        &self.y
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        chain(dy, &self.y, &mut self.dx, ops::tanh_backward)
    }
    fn describe(&self) -> String {
        "Tanh".into()
    }
}

impl Parameters for Tanh {}
