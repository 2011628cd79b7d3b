//! A chain of layers: forward runs them in order, backward in reverse, each
//! layer's output buffer feeding the next with no copies in between.

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::Tensor;
use std::ops::Range;

#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Layer>>,
}

impl Sequential {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a layer (builder style).
    pub fn with(mut self, layer: impl Layer + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    pub fn push(&mut self, layer: Box<dyn Layer>) {
        self.layers.push(layer);
    }

    pub fn layers(&self) -> &[Box<dyn Layer>] {
        &self.layers
    }

    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer>] {
        &mut self.layers
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Runs only the layers in `range` (e.g. an autoencoder's encoder, to
    /// read its code, then its decoder on that code).
    ///
    /// # Panics
    /// If the range is empty or past the last layer.
    pub fn forward_range(&mut self, range: Range<usize>, x: &Tensor, mode: Mode) -> &Tensor {
        let (first, rest) = self.layers[range]
            .split_first_mut()
            .expect("forward_range over no layers");
        let mut y = first.forward(x, mode);
        for layer in rest {
            y = layer.forward(y, mode);
        }
        y
    }
}

impl Layer for Sequential {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        assert!(!self.layers.is_empty(), "Sequential has no layers");
        self.forward_range(0..self.layers.len(), x, mode)
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let (last, rest) = self
            .layers
            .split_last_mut()
            .expect("Sequential has no layers");
        let mut d = last.backward(dy);
        for layer in rest.iter_mut().rev() {
            d = layer.backward(d);
        }
        d
    }

    /// The backward down to the first layer with parameters, which skips
    /// dL/dx: the layers before it (a reshape, say) have nothing to learn,
    /// and the input's gradient is not wanted.
    fn backward_params(&mut self, dy: &Tensor) {
        assert!(!self.layers.is_empty(), "Sequential has no layers");
        let Some(first) = self.layers.iter().position(|l| l.num_params() > 0) else {
            return;
        };
        let (first, rest) = self.layers[first..]
            .split_first_mut()
            .expect("the first layer with parameters");
        let mut d = dy;
        for layer in rest.iter_mut().rev() {
            d = layer.backward(d);
        }
        first.backward_params(d);
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = self.layers.iter().map(|l| l.describe()).collect();
        parts.join(" → ")
    }
}

impl Parameters for Sequential {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        for l in &self.layers {
            l.visit_params(f);
        }
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        for l in &mut self.layers {
            l.visit_params_mut(f);
        }
    }
}
