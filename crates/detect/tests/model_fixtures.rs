//! Model files written by an earlier build (commit 5bb66bc, before `detect`
//! was reorganised) still load and score bit for bit as they did then.
//!
//! `fixtures/` holds one file per model kind, trained on the seed tutorial's
//! data (`seed_data(300, 40, 11)`, 4 epochs; the dense one with dropout 0.1
//! and robust mode, the BCE ones on min-max scaled rows), the 80 rows they
//! were scored on (`rows.f32`: 40 anomalies, then 40 normals, little-endian
//! f32, 20 per row) and the scores that build gave (`<name>.scores.f32`).
//!
//! Where arithmetic was changed on purpose since, the kind is listed in
//! [`CHANGED`] with the change, and its scores must stay within a stated
//! relative tolerance of that build's instead of equal to them bit for bit.
//!
//! Where training draws different random numbers on purpose since (the
//! dense fixture's dropout masks, now 16 bits per value), retraining cannot
//! come near the stored model; such a kind has `<name>.retrained.scores.f32`,
//! the scores of the model retrained at that change, and retraining must
//! give them bit for bit. `AEDETECT_WRITE_RETRAINED=dense cargo test
//! --release --test model_fixtures` writes that file for the kinds named.

/// Kinds whose arithmetic changed on purpose after the fixtures were
/// written, with the largest relative change allowed in a score after
/// loading the stored file and after training again.
const CHANGED: [(&str, f32, f32, &str); 4] = [
    (
        "dense_bce",
        1e-6,
        1e-5,
        "BCE on logits in SIMD lanes (vector exp and ln)",
    ),
    (
        "vae",
        1e-6,
        1e-6,
        "VAE scores through the scoring pass (f32 row sums)",
    ),
    ("vae_elbo", 1e-6, 1e-5, "both of the above"),
    (
        "conv",
        0.0,
        1e-5,
        "the convolution weight gradient summed over images in groups of 8 (images in parallel)",
    ),
];

/// Panics unless `got` equals `want` bit for bit, or, for a kind in
/// [`CHANGED`], within its tolerance (`training` picks which one).
fn assert_scores(kind: &str, got: &[f32], want: &[f32], training: bool) {
    assert_eq!(got.len(), want.len(), "{kind}");
    let changed = CHANGED.iter().find(|c| c.0 == kind);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        match changed {
            None => assert_eq!(g.to_bits(), w.to_bits(), "{kind} row {i}: {g} vs {w}"),
            Some(&(_, loaded, trained, why)) => {
                let tol = if training { trained } else { loaded };
                assert!(
                    (g - w).abs() <= tol * w.abs().max(1e-6),
                    "{kind} row {i}: {g} vs {w}, beyond {tol} ({why})"
                );
            }
        }
    }
}

use aedetect_detect::io::model_file::load;
use aedetect_tensor::Tensor;
use std::path::{Path, PathBuf};

const KINDS: [&str; 8] = [
    "dense",
    "dense_bce",
    "conv",
    "vae",
    "vae_elbo",
    "pca",
    "iforest",
    "ensemble",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn files_from_an_earlier_build_score_bit_identically() {
    let rows = Tensor::from_vec(&[80, 20], read_f32(&fixtures().join("rows.f32")));
    for kind in KINDS {
        let mut det = load(&fixtures().join(format!("{kind}.safetensors")))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let want = read_f32(&fixtures().join(format!("{kind}.scores.f32")));
        let got = det.score(&rows).unwrap();
        assert_scores(kind, &got, &want, false);
        assert_eq!(det.features.len(), 20, "{kind}: feature names");
        assert!(det.threshold.is_some(), "{kind}: threshold");
    }
}

/// Training the stored configs again on the same data with the same settings
/// gives the same models: the training path (initialisation, shuffling,
/// dropout masks, robust mode, Adam) computes what it computed then.
#[test]
fn training_again_reproduces_the_fixtures() {
    use aedetect_detect::eval::seed_data;
    use aedetect_detect::{Detector, TrainConfig};
    let rows = Tensor::from_vec(&[80, 20], read_f32(&fixtures().join("rows.f32")));
    let data = seed_data(300, 40, 11);
    for kind in KINDS {
        let saved = load(&fixtures().join(format!("{kind}.safetensors"))).unwrap();
        let train = TrainConfig {
            epochs: 4,
            robust_drop: if kind == "dense" { 0.05 } else { 0.0 },
            ..TrainConfig::default()
        };
        let mut det = Detector::fit(
            &data.normal,
            saved.scaler.kind,
            saved.model.config(),
            &train,
            &mut |_| {},
        )
        .unwrap();
        let got = det.score(&rows).unwrap();
        let retrained = fixtures().join(format!("{kind}.retrained.scores.f32"));
        let rewrite = std::env::var("AEDETECT_WRITE_RETRAINED").unwrap_or_default();
        if rewrite.split(',').any(|k| k == kind) {
            let bytes: Vec<u8> = got.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(&retrained, bytes).unwrap();
        }
        if retrained.exists() {
            let want = read_f32(&retrained);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{kind} retrained, row {i}: {g} vs {w}"
                );
            }
            assert_eq!(got.len(), want.len());
        } else {
            let want = read_f32(&fixtures().join(format!("{kind}.scores.f32")));
            assert_scores(kind, &got, &want, true);
        }
    }
}

/// Every other test of this file again on the AVX2 kernels, where this
/// machine would use AVX-512: both paths stay covered.
#[test]
fn every_test_here_passes_on_the_avx2_path_too() {
    aedetect_tensor::assert_test_binary_passes_on(
        aedetect_tensor::Isa::Avx2,
        "every_test_here_passes_on_the_avx2_path_too",
    );
}
