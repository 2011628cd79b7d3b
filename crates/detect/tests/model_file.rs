//! Saved models: round trips score bit-identically; damaged files give clear
//! errors, never panics; nothing is written where it should not be.

use aedetect_detect::eval::seed_data;
use aedetect_detect::model_file::{from_bytes, load, save, to_bytes};
use aedetect_detect::AeKnnConfig;
use aedetect_detect::EnsembleConfig;
use aedetect_detect::IForestConfig;
use aedetect_detect::KnnConfig;
use aedetect_detect::LstmAeConfig;
use aedetect_detect::PcaConfig;
use aedetect_detect::VaeConfig;
use aedetect_detect::{Combine, MemberViews};
use aedetect_detect::{Conv1dAeConfig, Conv2dAeConfig, ImageShape, Reconstruction};
use aedetect_detect::{DenseAeConfig, DetectError, Detector, ModelConfig, ScalerKind, TrainConfig};
use aedetect_tensor::Tensor;
use std::path::PathBuf;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aedetect-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fitted(model: ModelConfig) -> (Detector, Tensor) {
    let data = seed_data(400, 20, 5);
    let cfg = TrainConfig {
        epochs: 5,
        ..TrainConfig::default()
    };
    let mut det =
        Detector::fit(&data.normal, ScalerKind::Standard, model, &cfg, &mut |_| {}).unwrap();
    det.threshold = Some(0.25);
    (det, data.anomalies)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn round_trip_scores_bit_identically() {
    let dir = tmp_dir("roundtrip");
    let configs = [
        ModelConfig::Dense(DenseAeConfig::seed_recipe()),
        ModelConfig::Conv1d(Conv1dAeConfig::sized_to(20)),
        ModelConfig::Conv2d(Conv2dAeConfig {
            channels: vec![3, 4],
            latent: 4,
            reconstruction: Reconstruction::Mse,
            ..Conv2dAeConfig::reference(ImageShape::new(1, 4, 5))
        }),
        ModelConfig::Vae(VaeConfig::sized_to(20)),
        ModelConfig::Pca(PcaConfig::default()),
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Pca(PcaConfig::default())),
            members: 2,
            views: Default::default(),
            combine: Default::default(),
        }),
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(DenseAeConfig::seed_recipe())),
            members: 3,
            views: Default::default(),
            combine: Default::default(),
        }),
        // Member 1 reads normal scores and every member's score counts by
        // its rank: the maps travel in the file.
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(DenseAeConfig::seed_recipe())),
            members: 3,
            views: MemberViews::AlternateNormalScores,
            combine: Combine::NormalScores,
        }),
        ModelConfig::Iforest(IForestConfig {
            trees: 30,
            ..IForestConfig::default()
        }),
        ModelConfig::Knn(KnnConfig {
            max_rows: 150,
            ..KnnConfig::default()
        }),
        ModelConfig::AeKnn(AeKnnConfig {
            min_steps: 0,
            knn: KnnConfig {
                max_rows: 150,
                ..KnnConfig::default()
            },
            ..AeKnnConfig::wide()
        }),
        ModelConfig::Lstm(LstmAeConfig {
            steps: 5,
            hidden: 4,
            latent: 2,
            seed: 0,
        }),
    ];
    for (i, config) in configs.into_iter().enumerate() {
        let (mut det, rows) = fitted(config);
        // The fitted config (PCA records how many components it kept).
        let config = det.model.config();
        let path = dir.join(format!("m{i}.safetensors"));
        save(&det, &path).unwrap();
        let mut back = load(&path).unwrap();
        assert_eq!(back.model.config(), config);
        assert_eq!(back.threshold, Some(0.25));
        assert_eq!(back.scaler, det.scaler);
        assert_eq!(
            bits(&back.score(&rows).unwrap()),
            bits(&det.score(&rows).unwrap())
        );
        assert_eq!(back.flag(&rows).unwrap(), det.flag(&rows).unwrap());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vae_eval_scores_are_deterministic() {
    let (mut det, rows) = fitted(ModelConfig::Vae(VaeConfig::sized_to(20)));
    let a = det.score(&rows).unwrap();
    let b = det.score(&rows).unwrap();
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let (det, _) = fitted(ModelConfig::Dense(DenseAeConfig::seed_recipe()));
    let good = to_bytes(&det).unwrap();
    assert!(from_bytes(&good).is_ok());
    // Every truncation point fails cleanly.
    for cut in (0..good.len()).step_by(97) {
        assert!(
            from_bytes(&good[..cut]).is_err(),
            "truncated at {cut} was accepted"
        );
    }
    // Flipped bytes anywhere either fail cleanly or still load; no panic.
    for pos in (0..good.len()).step_by(53) {
        let mut bad = good.clone();
        bad[pos] ^= 0xA5;
        let _ = from_bytes(&bad);
    }
    assert!(from_bytes(b"not a model").err().unwrap().contains("header"));
}

/// A forest's trees are indices into its own tensors: a damaged file must be
/// refused at load time, or load into a forest that scores without a panic.
#[test]
fn damaged_forest_files_never_panic_when_scored() {
    let (det, rows) = fitted(ModelConfig::Iforest(IForestConfig {
        trees: 6,
        max_samples: 16,
        seed: 3,
    }));
    let good = to_bytes(&det).unwrap();
    let mut refused = 0;
    for pos in 0..good.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut bad = good.clone();
            bad[pos] ^= flip;
            match from_bytes(&bad) {
                Ok(mut back) => {
                    let _ = back.score(&rows);
                }
                Err(_) => refused += 1,
            }
        }
    }
    assert!(refused > 0);
    // A split on a feature the model does not have is named.
    let mut back = from_bytes(&good).unwrap();
    back.model.visit_params_mut(&mut |p| {
        if p.name == "feature" {
            p.value.data_mut()[0] = 99.0;
        }
    });
    let e = from_bytes(&to_bytes(&back).unwrap()).err().unwrap();
    assert!(e.contains("tree 0, node 0"), "{e}");
}

/// A kNN file is its training rows: a NaN among them (refused for any
/// model's tensors), or a config whose
/// row count disagrees with the stored table, is refused when loading;
/// any other damage loads into a model that scores without a panic.
#[test]
fn damaged_knn_files_are_refused_or_score_safely() {
    let (det, rows) = fitted(ModelConfig::Knn(KnnConfig {
        max_rows: 60,
        ..KnnConfig::default()
    }));
    let good = to_bytes(&det).unwrap();
    for pos in (0..good.len()).step_by(7) {
        let mut bad = good.clone();
        bad[pos] ^= 0x80;
        if let Ok(mut back) = from_bytes(&bad) {
            let _ = back.score(&rows);
        }
    }
    let mut back = from_bytes(&good).unwrap();
    back.model
        .visit_params_mut(&mut |p| p.value.data_mut()[45] = f32::NAN);
    let e = from_bytes(&to_bytes(&back).unwrap()).err().unwrap();
    assert!(e.contains("model.000.reference"), "{e}");
    // The config in the metadata says 60 rows; make it say 61.
    let key = br#"\"rows\":60"#;
    let at = good.windows(key.len()).position(|w| w == key).unwrap();
    let mut bad = good.clone();
    bad[at + key.len() - 1] = b'1';
    assert!(from_bytes(&bad).is_err());
}

#[test]
fn errors_name_the_file_and_reason() {
    let dir = tmp_dir("errors");
    let missing = dir.join("missing.safetensors");
    let e = load(&missing).err().unwrap().to_string();
    assert!(e.contains("missing.safetensors"), "{e}");

    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, [0u8; 3]).unwrap();
    let e = load(&junk).err().unwrap();
    assert!(matches!(e, DetectError::ModelFile { .. }), "{e}");
    assert!(e.to_string().contains("junk.safetensors"), "{e}");

    let (det, _) = fitted(ModelConfig::Dense(DenseAeConfig::seed_recipe()));
    let nowhere = dir.join("no/such/dir/m.safetensors");
    assert!(save(&det, &nowhere).is_err());
    assert!(!nowhere.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn width_mismatch_is_reported() {
    let (mut det, _) = fitted(ModelConfig::Dense(DenseAeConfig::seed_recipe()));
    let e = det.score(&Tensor::zeros(&[2, 7])).unwrap_err();
    assert!(
        matches!(e, DetectError::WidthMismatch { got: 7, want: 20 }),
        "{e}"
    );
    let mut nan = Tensor::zeros(&[3, 20]);
    nan.data_mut()[2 * 20 + 4] = f32::NAN;
    assert!(det
        .score(&nan)
        .unwrap_err()
        .to_string()
        .contains("row 2, column 4"));
}

#[test]
fn pca_finds_the_five_latent_factors() {
    let data = seed_data(2000, 200, 9);
    let mut det = Detector::fit(
        &data.normal,
        ScalerKind::Standard,
        PcaConfig::default(),
        &TrainConfig::default(),
        &mut |_| {},
    )
    .unwrap();
    let ModelConfig::Pca(fitted) = det.model.config() else {
        panic!("not PCA")
    };
    let k = fitted
        .components
        .expect("components recorded after fitting");
    assert!(
        (1..=5).contains(&k),
        "90% of the variance of 5-factor data took {k} components"
    );
    let normal = det.score(&data.normal).unwrap();
    let anomalous = det.score(&data.anomalies).unwrap();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    // With k ≤ 5 components some normal variance stays in the residual, so the
    // margin is an order of magnitude rather than the full noise ratio.
    assert!(
        mean(&anomalous) > 10.0 * mean(&normal),
        "{} vs {}",
        mean(&anomalous),
        mean(&normal)
    );
}
