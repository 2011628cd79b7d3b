//! `aedetect-detect`: anomaly detection by reconstruction error.
//!
//! The data flow, one folder per step:
//!
//! ```text
//! rows ─▶ preprocess ─▶ model ─▶ scores ─▶ threshold ─▶ flags
//!         (scaler, fitted    (trained on train      (set on calibration
//!          on train normals)  normals: train/)       rows, never on test)
//! ```
//!
//! * [`io`] — data readers (CSV, `.npy`, `.npz`), model files, atomic output;
//! * [`preprocess`] — scaling, missing values, the Isolation Forest pre-filter;
//! * [`model`] — the [`Model`] trait and one file per model kind;
//! * [`train`] — the one training loop, any optimizer;
//! * [`threshold`] — threshold rules, the rolling (drift) threshold, the calibration split;
//! * [`eval`] — metrics, separability, the evaluation protocol, plots, the seed data;
//! * [`series`] — time series: timestamps, trailing windows, calendar features, smoothing, levels;
//! * [`Detector`] — scaler + model + threshold behind fit → score → flag.
#![forbid(unsafe_code)]

mod detector;
mod error;
pub mod eval;
mod image_shape;
pub mod io;
pub mod model;
pub mod preprocess;
pub mod series;
pub mod threshold;
pub mod train;

pub use detector::{Detector, Rows, PARALLEL_MIN_ROWS_PER_THREAD};
pub use error::{DetectError, Result};
pub use image_shape::ImageShape;
pub use io::model_file;
pub use model::{
    AeKnnConfig, Combine, Conv1dAeConfig, Conv2dAeConfig, DenseAeConfig, EnsembleConfig,
    IForestConfig, KnnConfig, LstmAeConfig, MemberViews, Model, ModelConfig, ModelKind,
    ModelOptions, PcaConfig, Reconstruction, VaeConfig, VaeScore,
};
pub use preprocess::{Scaler, ScalerKind};
pub use threshold::ThresholdRule;
pub use train::{EpochReport, TrainConfig, TrainReport};
