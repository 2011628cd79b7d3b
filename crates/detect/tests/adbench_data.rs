//! The eight ADBench files load with the right shapes and label counts, and
//! the evaluation protocol runs end to end on one of them.

mod common;
use aedetect_detect::eval::evaluate;
use aedetect_detect::io::read_dataset;
use aedetect_detect::{DenseAeConfig, DetectError, ModelConfig, TrainConfig};

const SETS: &[(&str, usize, usize, usize)] = &[
    ("6_cardio", 1831, 21, 176),
    ("23_mammography", 11183, 6, 260),
    ("24_mnist", 7603, 100, 700),
    ("28_pendigits", 6870, 16, 156),
    ("31_satimage-2", 5803, 36, 71),
    ("32_shuttle", 49097, 9, 3511),
    ("38_thyroid", 3772, 6, 93),
    ("42_WBC", 223, 9, 10),
];

#[test]
fn all_eight_sets_load() {
    for &(name, rows, cols, anomalies) in SETS {
        let path = common::shared_dir().join(format!("datasets/adbench/{name}.npz"));
        let d = read_dataset(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.x.shape(), &[rows, cols], "{name}");
        let labels = d.labels.expect("y present");
        assert_eq!(labels.iter().filter(|l| **l).count(), anomalies, "{name}");
    }
}

#[test]
fn protocol_runs_on_wbc() {
    let d = read_dataset(&common::shared_dir().join("datasets/adbench/42_WBC.npz")).unwrap();
    let labels = d.labels.unwrap();
    let cfg = TrainConfig {
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let (runs, mean) = evaluate(
        &d.x,
        &labels,
        &ModelConfig::Dense(DenseAeConfig::sized_to(9)),
        &cfg,
        &[0, 1, 2],
    )
    .unwrap();
    assert_eq!(runs.len(), 3);
    assert!(mean.roc_auc > 0.9, "WBC ROC-AUC {}", mean.roc_auc);
    assert!((0.0..=1.0).contains(&mean.recall) && (0.0..=1.0).contains(&mean.precision));
}

#[test]
fn a_missing_or_foreign_file_is_an_error() {
    let e = read_dataset(std::path::Path::new("no/such/file.npz")).unwrap_err();
    assert!(e.to_string().contains("no/such/file.npz"), "{e}");
    let golden = common::shared_dir().join("golden/linear.json");
    let e = read_dataset(&golden).unwrap_err();
    assert!(matches!(e, DetectError::Format { .. }), "{e}");
}
