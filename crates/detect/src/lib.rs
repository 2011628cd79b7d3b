//! `aedetect-detect`: anomaly detection by reconstruction error.
//!
//! The data flow, one module per step:
//!
//! ```text
//! rows ─▶ scaler ─▶ autoencoder ─▶ score (per-row error) ─▶ threshold ─▶ flags
//!           fit on train normals      trained on train normals   set on calibration data
//! ```
//!
//! [`metrics`] and [`separability`] measure the result honestly on held-out
//! data; [`synthetic`] makes the seed tutorial's data; [`plot`] draws the
//! error histogram.

pub mod autoencoder;
pub mod conv_ae;
pub mod data;
pub mod detector;
pub mod eigen;
pub mod ensemble;
pub mod error;
pub mod evaluate;
pub mod iforest;
pub mod io;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod pca;
pub mod plot;
pub mod reconstruction;
pub mod scaler;
pub mod score;
pub mod separability;
pub mod split;
pub mod synthetic;
pub mod threshold;
pub mod train;
pub mod vae;

pub use autoencoder::{AeConfig, DenseAutoencoder};
pub use detector::Detector;
pub use error::DetectError;
pub use model::{Model, ModelConfig};
pub use scaler::{Scaler, ScalerKind};
pub use train::{TrainConfig, TrainReport};
