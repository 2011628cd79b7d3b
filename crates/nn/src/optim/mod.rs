//! Optimizers and gradient utilities. Optimizer state (momenta) is keyed by the
//! order in which a model visits its parameters, allocated on the first step
//! and reused after.

mod adam;
mod clip;
mod penalty;
mod sgd;

pub use adam::Adam;
pub use clip::clip_grad_norm;
pub use penalty::Penalty;
pub use sgd::Sgd;

use crate::Layer;

/// Updates a model's parameters from their accumulated gradients.
pub trait Optimizer: Send {
    fn step(&mut self, model: &mut dyn Layer);

    fn learning_rate(&self) -> f32;

    fn set_learning_rate(&mut self, lr: f32);
}

/// Makes sure `state` has one zeroed buffer per parameter slot up to `slot`,
/// each as long as `len`. Allocates only the first time a slot is seen.
pub(crate) fn state_slot(state: &mut Vec<Vec<f32>>, slot: usize, len: usize) -> &mut [f32] {
    while state.len() <= slot {
        state.push(Vec::new());
    }
    let s = &mut state[slot];
    if s.len() != len {
        s.clear();
        s.resize(len, 0.0);
    }
    s
}
