//! The capacity lesson, measured: on a real ADBench set, autoencoders from a
//! tight bottleneck to an overpowered one (wider than the input), with and
//! without encoder dropout. For each: test ROC-AUC, the mean reconstruction
//! error of normals and anomalies, and the separability verdict. A model with
//! too much capacity learns to reconstruct anything — anomalies included — and
//! its ROC-AUC falls.
//!
//! Run: `cargo run --release --example capacity_sweep [-- FILE.npz]`
//! (default `../shared/datasets/adbench/24_mnist.npz`)

use aedetect::detect::eval::roc_auc;
use aedetect::detect::eval::{baseline_error, separability};
use aedetect::detect::io::read_dataset;
use aedetect::detect::threshold::ThreeWaySplit;
use aedetect::detect::{DenseAeConfig, Detector, ScalerKind, TrainConfig};
use std::path::PathBuf;

fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets/adbench/24_mnist.npz"));
    if let Err(e) = run(&path) {
        eprintln!("capacity_sweep: {e}");
        std::process::exit(1);
    }
}

fn run(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let data = read_dataset(path)?;
    let labels = data.labels.ok_or("the file has no labels (y)")?;
    let d = data.x.row_len();
    let split = ThreeWaySplit::adbench(&labels, 0);
    let train = data.x.select_rows(&split.train);
    let test = data.x.select_rows(&split.test);
    let test_labels: Vec<bool> = split.test.iter().map(|&i| labels[i]).collect();
    let normal_idx: Vec<usize> = split.test.iter().copied().filter(|&i| !labels[i]).collect();
    let test_normals = data.x.select_rows(&normal_idx);
    println!(
        "{}: {} features, {} training normals, {} test rows",
        path.display(),
        d,
        train.rows(),
        test.rows()
    );
    println!("| hidden widths | dropout | ROC-AUC | median error: normal | anomaly | normal / baseline | Cohen's d | verdict |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut widths: Vec<Vec<usize>> = [1usize, 2, 4, 8, 16, 32]
        .iter()
        .filter(|&&b| b < d)
        .map(|&b| vec![(2 * b).max(b + 1).min(d.max(b + 1)), b])
        .collect();
    widths.push(vec![2 * d, 2 * d]); // overpowered: wider than the input
    let cfg = TrainConfig {
        lr: 1e-3,
        ..TrainConfig::default()
    };
    for hidden in widths {
        for dropout in [0.0, 0.2] {
            let ae = DenseAeConfig {
                hidden: hidden.clone(),
                dropout,
                ..DenseAeConfig::seed_recipe()
            };
            let mut det = Detector::fit(&train, ScalerKind::Standard, ae, &cfg, &mut |_| {})?;
            let scores = det.score(&test)?;
            let (normal, anomalous): (Vec<f32>, Vec<f32>) = {
                let n = scores
                    .iter()
                    .zip(&test_labels)
                    .filter(|(_, l)| !**l)
                    .map(|(s, _)| *s)
                    .collect();
                let a = scores
                    .iter()
                    .zip(&test_labels)
                    .filter(|(_, l)| **l)
                    .map(|(s, _)| *s)
                    .collect();
                (n, a)
            };
            let auc = roc_auc(&scores, &test_labels).unwrap_or(f64::NAN);
            // Baseline: the error of always predicting the training mean (0
            // after standard scaling) on the test normals — not 1: columns
            // nearly constant in the training normals vary more in test data.
            let baseline = baseline_error(&det.scaler.transformed(&test_normals)?, &vec![0.0; d]);
            let sep = separability(&normal, &anomalous, baseline).ok_or("too few rows")?;
            println!(
                "| {:?} | {dropout} | {auc:.3} | {:.4} | {:.4} | {:.2} | {:.2} | {:?} |",
                hidden, sep.normal_median, sep.anomaly_median, sep.level, sep.cohens_d, sep.verdict
            );
        }
    }
    Ok(())
}
