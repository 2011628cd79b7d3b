//! aedetect: anomaly detection by learning what "normal" looks like and
//! flagging what an autoencoder cannot reconstruct.
//!
//! This root crate re-exports the workspace:
//! * [`tensor`] — f32 tensors, matrix products, SIMD kernels;
//! * [`nn`] — layers, losses and optimizers with hand-written backward passes;
//! * [`detect`] — scalers, autoencoder detectors, thresholds and metrics.

// The README's examples compile as doc tests, so they cannot go stale.
#[doc = include_str!("../README.md")]
pub mod readme {}

pub use aedetect_detect as detect;
pub use aedetect_nn as nn;
pub use aedetect_tensor as tensor;
