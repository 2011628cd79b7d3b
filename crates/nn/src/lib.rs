//! `aedetect-nn`: layers, losses and optimizers with hand-written backward passes.
//!
//! Each layer lives in one file under [`layers`], its `forward` followed by its
//! `backward`, with the gradient formulas in a comment above. Layers own their
//! caches and gradient buffers, sized on the first batch and reused after, so a
//! training step allocates nothing once it has run once.
//!
//! Layers, losses and optimizers hand [`Tensor`]s to `aedetect_tensor`'s
//! operations (products of matrix views, `ops`, `conv`, `init`) and never
//! loop over values themselves: the tensor crate is the seam to the device.
//!
//! Conventions: the first axis of every tensor is the batch; images are NCHW,
//! sequences NCL; parameter layouts follow PyTorch (Linear `[out, in]`, Conv2d
//! `[out, in, kh, kw]`, ConvTranspose2d `[in, out, kh, kw]`, Conv1d `[out, in, k]`),
//! so weights move between the two without transposes.
#![forbid(unsafe_code)]

pub mod gradcheck;
mod layer;
pub mod layers;
pub mod loss;
pub mod optim;
pub mod reparam;

pub use aedetect_tensor::Tensor;
pub use layer::{Layer, Mode, Param, Parameters};
pub use layers::Sequential;
pub use loss::Loss;
pub use optim::Optimizer;
