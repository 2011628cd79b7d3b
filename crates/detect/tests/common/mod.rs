//! Shared helpers for detect's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder: `$AEDETECT_SHARED`, or `../shared` beside the
/// repository (this crate sits two folders below its root).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("AEDETECT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}
