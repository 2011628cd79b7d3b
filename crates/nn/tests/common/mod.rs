//! Shared helpers for the integration tests: reading `../shared/golden` and
//! comparing tensors.
#![allow(dead_code)]

use aedetect_tensor::Tensor;
use serde_json::Value;
use std::path::PathBuf;

/// The shared data folder: `$AEDETECT_SHARED`, or `../shared` beside the
/// repository (this crate sits two folders below its root).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("AEDETECT_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Reads one golden case. Panics (fails the test) if the file is missing:
/// a golden test that silently skips could never fail.
pub fn golden(name: &str) -> Value {
    let path = shared_dir().join("golden").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// A `{"shape": [...], "data": [...]}` object as a tensor.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(&shape, data)
}

pub fn scalar(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

pub fn usize_of(v: &Value) -> usize {
    v.as_u64().expect("integer") as usize
}

/// Asserts `got` matches `want` element-wise within `rtol` relative error, with
/// an absolute floor of `rtol` times the largest magnitude in `want`.
pub fn assert_close(what: &str, got: &[f32], want: &Tensor, rtol: f32) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: length {} vs {}",
        got.len(),
        want.len()
    );
    let scale = want
        .data()
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(1e-6);
    for (i, (g, w)) in got.iter().zip(want.data()).enumerate() {
        let err = (g - w).abs();
        assert!(
            err <= rtol * (w.abs() + scale * 0.1),
            "{what}[{i}]: got {g}, PyTorch {w} (|err| = {err:e}, scale {scale})"
        );
    }
}

pub fn assert_close_scalar(what: &str, got: f64, want: f64, rtol: f64) {
    assert!(
        (got - want).abs() <= rtol * want.abs().max(1e-6),
        "{what}: got {got}, PyTorch {want}"
    );
}
