//! Shared helpers for detect's integration tests.
#![allow(dead_code)]

use aedetect_detect::eval::seed_data;
use aedetect_detect::{Detector, ModelConfig, ScalerKind, TrainConfig};
use std::path::PathBuf;

/// The shared data folder: `$AEDETECT_SHARED`, or `../shared` beside the
/// repository (this crate sits two folders below its root).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("AEDETECT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// A detector (standard scaling, `model`) trained for `epochs` on the first
/// `rows` normal rows of the seed tutorial's data drawn from `seed`.
pub fn seed_detector(
    rows: usize,
    seed: u64,
    epochs: usize,
    model: impl Into<ModelConfig>,
) -> Detector {
    let data = seed_data(rows, 0, seed);
    let cfg = TrainConfig {
        epochs,
        ..TrainConfig::default()
    };
    Detector::fit(&data.normal, ScalerKind::Standard, model, &cfg, &mut |_| {}).unwrap()
}
