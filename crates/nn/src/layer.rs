//! The interfaces every layer and network shares: [`Parameters`] (what an
//! optimizer steps) and [`Layer`] (a forward/backward pair).

use aedetect_tensor::Tensor;

/// How a forward pass is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Stochastic layers (dropout, the VAE's sampling) on; caches kept for
    /// backward.
    Train,
    /// Deterministic; caches kept, so backward may follow (gradient checks,
    /// input saliency).
    Eval,
    /// Deterministic and forward only (scoring): layers skip what only
    /// backward needs, e.g. Linear's copy of its input. Backward after an
    /// `Infer` pass is an error.
    Infer,
}

/// A learnable tensor and the gradient accumulated for it.
#[derive(Clone, Debug)]
pub struct Param {
    /// Short name inside its layer: "weight" or "bias".
    pub name: &'static str,
    pub value: Tensor,
    pub grad: Tensor,
}

impl Param {
    /// A parameter with the given values and a zero gradient of the same shape.
    pub fn new(name: &'static str, value: Tensor) -> Self {
        let grad = Tensor::zeros(value.shape());
        Param { name, value, grad }
    }
}

/// Anything with learnable parameters: a layer, a chain of layers, a whole
/// network of several parts. Optimizers, penalties, gradient clipping and
/// model files reach parameters only through this trait.
pub trait Parameters {
    /// Calls `f` on each parameter, in a fixed order (optimizers key their
    /// state by it, model files name tensors by it).
    fn visit_params(&self, _f: &mut dyn FnMut(&Param)) {}

    /// Mutable twin of [`Parameters::visit_params`], same order.
    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param)) {}

    fn zero_grad(&mut self) {
        self.visit_params_mut(&mut |p| p.grad.fill(0.0));
    }

    /// Total number of learnable values.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit_params(&mut |p| n += p.value.len());
        n
    }
}

/// A differentiable map from a batch to a batch.
///
/// `forward` caches what `backward` needs and returns a view of the layer's own
/// output buffer; `backward` takes dL/dy for the most recent forward, adds the
/// parameter gradients into each [`Param::grad`] and returns dL/dx, again a view
/// of the layer's buffer. Gradients accumulate until [`Parameters::zero_grad`].
pub trait Layer: Parameters + Send {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor;

    fn backward(&mut self, dy: &Tensor) -> &Tensor;

    /// [`backward`](Self::backward) where nothing needs dL/dx (the first
    /// layer of a network, whose input is data): accumulates the same
    /// parameter gradients and skips the input gradient where that saves
    /// work (a Linear layer's dX = dY·W is a third of its backward's
    /// multiply-adds).
    fn backward_params(&mut self, dy: &Tensor) {
        self.backward(dy);
    }

    /// A one-line description, e.g. `Linear(20 → 12)`.
    fn describe(&self) -> String;
}
