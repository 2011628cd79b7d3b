//! Element-wise activations. Each caches what its local derivative needs:
//!   ReLU:       y = max(x, 0);           dx = dy · [y > 0]
//!   LeakyReLU:  y = x if x > 0 else αx;  dx = dy · (1 if x > 0 else α)
//!   Sigmoid:    y = 1 / (1 + e^(−x));    dx = dy · y(1 − y)
//!   Tanh:       y = tanh x;              dx = dy · (1 − y²)

use crate::{Layer, Mode};
use aedetect_tensor::{ops, Tensor};

/// Runs `f(x, y)` into a resized `y` and returns it.
fn apply<'a>(x: &Tensor, y: &'a mut Tensor, f: impl Fn(&[f32], &mut [f32])) -> &'a Tensor {
    y.resize(x.shape());
    f(x.data(), y.data_mut());
    y
}

/// Copies `dy` into `dx` and applies the local gradient `f(cache, dx)` in place.
fn local_grad<'a>(
    cache: &Tensor,
    dy: &Tensor,
    dx: &'a mut Tensor,
    f: impl Fn(&[f32], &mut [f32]),
) -> &'a Tensor {
    assert_eq!(
        dy.shape(),
        cache.shape(),
        "activation backward: dy shape differs from forward"
    );
    dx.assign(dy);
    f(cache.data(), dx.data_mut());
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
        apply(x, &mut self.y, ops::relu)
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        local_grad(&self.y, dy, &mut self.dx, ops::relu_backward)
    }
    fn describe(&self) -> String {
        "ReLU".into()
    }
}

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
        let s = self.slope;
        apply(x, &mut self.y, |x, y| ops::leaky_relu(x, y, s))
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let s = self.slope;
        local_grad(&self.x, dy, &mut self.dx, |x, d| {
            ops::leaky_relu_backward(x, d, s)
        })
    }
    fn describe(&self) -> String {
        format!("LeakyReLU({})", self.slope)
    }
}

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
        apply(x, &mut self.y, ops::sigmoid)
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        local_grad(&self.y, dy, &mut self.dx, ops::sigmoid_backward)
    }
    fn describe(&self) -> String {
        "Sigmoid".into()
    }
}

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
        apply(x, &mut self.y, ops::tanh)
    }
    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        local_grad(&self.y, dy, &mut self.dx, ops::tanh_backward)
    }
    fn describe(&self) -> String {
        "Tanh".into()
    }
}
