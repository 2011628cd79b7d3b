//! The ADBench comparison: the detectors on the eight tabular sets in
//! `../shared/datasets/adbench`, under the protocol of
//! `../shared/datasets/README.md` (seeds 0, 1, 2), printed as a Markdown table
//! of ROC-AUC / average precision / recall at the calibrated threshold.
//!
//! Run: `cargo run --release --example adbench [-- DIR]`

use aedetect::detect::eval::{evaluate, evaluate_with, Evaluation};
use aedetect::detect::io::read_dataset;
use aedetect::detect::model::{IForestConfig, IsolationForest};
use aedetect::detect::EnsembleConfig;
use aedetect::detect::PcaConfig;
use aedetect::detect::VaeConfig;
use aedetect::detect::{DenseAeConfig, ModelConfig, TrainConfig};
use aedetect::tensor::Tensor;
use std::path::PathBuf;

/// Builds a detector's config for data with this many features.
type MakeModel = fn(usize) -> ModelConfig;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets/adbench"));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "npz"))
            .collect(),
        Err(e) => {
            eprintln!("adbench: {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    files.sort_by_key(|p| {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .split('_')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
    });
    let detectors: [(&str, MakeModel); 6] = [
        ("AE", |d| ModelConfig::Dense(DenseAeConfig::sized_to(d))),
        ("VAE", |d| ModelConfig::Vae(VaeConfig::sized_to(d))),
        ("PCA", |_| ModelConfig::Pca(PcaConfig::default())),
        ("AE×5", |d| {
            ModelConfig::Ensemble(EnsembleConfig {
                base: Box::new(ModelConfig::Dense(DenseAeConfig::sized_to(d))),
                members: 5,
            })
        }),
        ("VAE×5", |d| {
            ModelConfig::Ensemble(EnsembleConfig {
                base: Box::new(ModelConfig::Vae(VaeConfig::sized_to(d))),
                members: 5,
            })
        }),
        // The CLI's default: wide dropout autoencoders, five seeds.
        ("wide AE×5", ModelConfig::recommended),
    ];
    let train = TrainConfig {
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let seeds = [0, 1, 2];
    let names: Vec<&str> = detectors.iter().map(|d| d.0).chain(["IForest"]).collect();
    println!("| data set | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(names.len()));
    let mut means: Vec<Vec<Evaluation>> = vec![Vec::new(); detectors.len() + 1];
    for f in &files {
        let data = match read_dataset(f) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("adbench: {e}");
                std::process::exit(1);
            }
        };
        let labels = data.labels.expect("ADBench files have y");
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let mut cells = Vec::new();
        for (i, (_, make)) in detectors.iter().enumerate() {
            let (_, mean) = evaluate(&data.x, &labels, &make(data.x.row_len()), &train, &seeds)
                .unwrap_or_else(|e| {
                    eprintln!("adbench: {name}: {e}");
                    std::process::exit(1);
                });
            cells.push(format!(
                "{:.3} / {:.3} / {:.3}",
                mean.roc_auc, mean.average_precision, mean.recall
            ));
            means[i].push(mean);
        }
        // Isolation Forest baseline (scikit-learn's defaults), same protocol.
        let runs: Vec<Evaluation> = seeds
            .iter()
            .map(|&seed| {
                evaluate_with(&data.x, &labels, seed, &mut |normals, seed| {
                    let forest = IsolationForest::fit(
                        normals,
                        IForestConfig {
                            seed,
                            ..IForestConfig::default()
                        },
                    )?;
                    Ok(Box::new(move |rows: &Tensor| forest.score(rows)))
                })
            })
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| {
                eprintln!("adbench: {name}: {e}");
                std::process::exit(1);
            });
        let mean = Evaluation::mean(&runs);
        cells.push(format!(
            "{:.3} / {:.3} / {:.3}",
            mean.roc_auc, mean.average_precision, mean.recall
        ));
        means[detectors.len()].push(mean);
        println!("| {name} | {} |", cells.join(" | "));
    }
    let row = |f: fn(&Evaluation) -> f64| {
        means
            .iter()
            .map(|m| {
                format!(
                    "{:.3}",
                    m.iter().map(f).sum::<f64>() / m.len().max(1) as f64
                )
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    println!("| **mean ROC-AUC** | {} |", row(|e| e.roc_auc));
    println!("| mean AP | {} |", row(|e| e.average_precision));
    println!("| mean recall at p99 | {} |", row(|e| e.recall));
}
