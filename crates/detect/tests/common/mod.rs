//! Shared helpers for detect's integration tests.
#![allow(dead_code)]

use aedetect_detect::eval::seed_data;
use aedetect_detect::{Detector, ModelConfig, ScalerKind, TrainConfig};
use std::path::{Path, PathBuf};

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

/// A fresh folder under the system's temporary one, named for the test and
/// this process: removed on drop unless the test panicked (a failing test
/// leaves it, to look at).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("aedetect-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
