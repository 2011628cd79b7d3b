//! Optimizers and gradient utilities. Each steps anything that has
//! [`Parameters`] — a layer, a `Sequential`, a whole network of several
//! parts. Optimizer state (momenta) is keyed by the order in which the
//! network visits its parameters, allocated on the first step and reused.

mod adam;
mod clip;
mod penalty;
mod sgd;

pub use adam::Adam;
pub use clip::clip_grad_norm;
pub use penalty::Penalty;
pub use sgd::Sgd;

use crate::Parameters;
use aedetect_tensor::Tensor;

/// Updates a network's parameters from their accumulated gradients.
pub trait Optimizer: Send {
    fn step(&mut self, params: &mut dyn Parameters);

    fn learning_rate(&self) -> f32;

    fn set_learning_rate(&mut self, lr: f32);
}

/// The state tensor of parameter slot `slot`, created (empty; the update
/// sizes it) the first time the slot is seen.
pub(crate) fn state_slot(state: &mut Vec<Tensor>, slot: usize) -> &mut Tensor {
    while state.len() <= slot {
        state.push(Tensor::default());
    }
    &mut state[slot]
}
