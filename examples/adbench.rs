//! The ADBench comparison: the detectors on the eight tabular sets in
//! `../shared/datasets/adbench`, under the protocol of
//! `../shared/datasets/README.md` (seeds 0, 1, 2), printed as a Markdown table
//! of ROC-AUC / average precision / recall at the calibrated threshold.
//!
//! Run: `cargo run --release --example adbench [-- DIR ...] [--only NAME,NAME] [--seeds N]`
//! (seeds 0 to N − 1; 3 by default)
//! (`benches/peers/heldout_sets.py` writes more sets in the same layout).

mod adbench_common;

use adbench_common::{member_until_session_23, Args};
use aedetect::detect::eval::{evaluate, Evaluation};
use aedetect::detect::io::read_dataset;
use aedetect::detect::model::{IForestConfig, KnnConfig};
use aedetect::detect::PcaConfig;
use aedetect::detect::VaeConfig;
use aedetect::detect::{Combine, EnsembleConfig, MemberViews};
use aedetect::detect::{DenseAeConfig, ModelConfig, TrainConfig};

/// Builds a detector's config for data with this many features.
type MakeModel = fn(usize) -> ModelConfig;

/// A detector of the table: its column name, config and the least number
/// of optimizer steps its networks train for (0: the epochs alone).
struct Column {
    name: &'static str,
    make: MakeModel,
    min_steps: usize,
}

const fn column(name: &'static str, make: MakeModel, min_steps: usize) -> Column {
    Column {
        name,
        make,
        min_steps,
    }
}

fn five(base: ModelConfig) -> ModelConfig {
    five_reading(base, MemberViews::Same)
}

fn five_reading(base: ModelConfig, views: MemberViews) -> ModelConfig {
    ModelConfig::Ensemble(EnsembleConfig {
        base: Box::new(base),
        members: 5,
        views,
        combine: Combine::Standardised,
    })
}

/// The autoencoder scored by reconstruction and code distance, with the
/// code's share `w` and a step floor (the member until session 23: w = ½,
/// 5,000, no cap, every code kept).
fn ae_knn(w: f32, min_steps: usize) -> ModelConfig {
    let mut member = member_until_session_23();
    member.code_weight = w;
    member.min_steps = min_steps;
    five(ModelConfig::AeKnn(member))
}

/// The members until session 23 (w = ½, 5,000 steps) with the views given.
fn ae_knn_reading(views: MemberViews) -> ModelConfig {
    five_reading(ModelConfig::AeKnn(member_until_session_23()), views)
}

fn main() {
    let args = Args::from_env("adbench");
    let detectors = [
        column("AE", |d| ModelConfig::Dense(DenseAeConfig::sized_to(d)), 0),
        column("VAE", |d| ModelConfig::Vae(VaeConfig::sized_to(d)), 0),
        column("PCA", |_| ModelConfig::Pca(PcaConfig::default()), 0),
        column(
            "AE×5",
            |d| five(ModelConfig::Dense(DenseAeConfig::sized_to(d))),
            0,
        ),
        column(
            "VAE×5",
            |d| five(ModelConfig::Vae(VaeConfig::sized_to(d))),
            0,
        ),
        // The previous default: wide dropout autoencoders, five seeds.
        column(
            "wide AE×5",
            |_| five(ModelConfig::Dense(DenseAeConfig::wide())),
            0,
        ),
        column(
            "wide AE×5 2.5k",
            |_| five(ModelConfig::Dense(DenseAeConfig::wide())),
            2500,
        ),
        column(
            "wide AE×5 5k",
            |_| five(ModelConfig::Dense(DenseAeConfig::wide())),
            5000,
        ),
        column("code kNN×5 5k", |_| ae_knn(1.0, 5000), 0),
        column("AE+code×5", |_| ae_knn(0.5, 0), 0),
        column("AE+code×5 2.5k", |_| ae_knn(0.5, 2500), 0),
        // The previous default: every member reads the standardised rows.
        column("AE+code×5 5k", |_| ae_knn(0.5, 5000), 0),
        // Every member, or every second one, reads normal scores.
        column(
            "AE+code×5 5k normal scores",
            |_| ae_knn_reading(MemberViews::NormalScores),
            0,
        ),
        column(
            "wide AE×5 5k views alternate",
            |_| {
                five_reading(
                    ModelConfig::Dense(DenseAeConfig::wide()),
                    MemberViews::AlternateNormalScores,
                )
            },
            5000,
        ),
        column(
            "AE+code×5 5k views alternate",
            |_| ae_knn_reading(MemberViews::AlternateNormalScores),
            0,
        ),
        // The default from session 20 to 22: five members of the above,
        // their scores put on one scale by rank.
        column(
            "AE+code×5 5k views alternate, by rank",
            |_| {
                ModelConfig::Ensemble(EnsembleConfig {
                    base: Box::new(ModelConfig::AeKnn(member_until_session_23())),
                    members: 5,
                    views: MemberViews::AlternateNormalScores,
                    combine: Combine::NormalScores,
                })
            },
            0,
        ),
        // The CLI's default (`ModelConfig::recommended`): four members of
        // 2,500 steps each, at most 8,192 codes searched, members 2 and 4
        // reading normal scores, scores put on one scale by rank.
        column(
            "**AE+code×4 2.5k views alternate, by rank**",
            ModelConfig::recommended,
            0,
        ),
        column("kNN", |_| ModelConfig::Knn(KnnConfig::default()), 0),
        column(
            "IForest",
            |_| ModelConfig::Iforest(IForestConfig::default()),
            0,
        ),
    ];
    let detectors: Vec<Column> = detectors
        .into_iter()
        .filter(|c| args.wants(c.name))
        .collect();
    let train = TrainConfig {
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let seeds = &args.seeds;
    let files = &args.files;
    let names: Vec<&str> = detectors.iter().map(|d| d.name).collect();
    println!("| data set | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(names.len()));
    // means[detector][set]
    let mut means: Vec<Vec<Evaluation>> = vec![Vec::new(); detectors.len()];
    for f in files {
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
        for (i, c) in detectors.iter().enumerate() {
            let train = TrainConfig {
                min_steps: c.min_steps,
                ..train.clone()
            };
            let model = (c.make)(data.x.row_len());
            let (_, mean) = evaluate(&data.x, &labels, &model, &train, seeds).unwrap_or_else(|e| {
                eprintln!("adbench: {name}: {e}");
                std::process::exit(1);
            });
            cells.push(format!(
                "{:.3} / {:.3} / {:.3}",
                mean.roc_auc, mean.average_precision, mean.recall
            ));
            means[i].push(mean);
        }
        println!("| {name} | {} |", cells.join(" | "));
    }
    let metrics: [fn(&Evaluation) -> f64; 3] =
        [|e| e.roc_auc, |e| e.average_precision, |e| e.recall];
    let row = |f: &dyn Fn(&Evaluation) -> f64, digits: usize| {
        means
            .iter()
            .map(|m| {
                let mean = m.iter().map(f).sum::<f64>() / m.len().max(1) as f64;
                format!("{mean:.digits$}")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    println!("| **mean ROC-AUC** | {} |", row(&metrics[0], 3));
    println!("| mean AP | {} |", row(&metrics[1], 3));
    println!("| mean recall at p99 | {} |", row(&metrics[2], 3));
    // Rank of each detector on each (set, metric), 1 = best, ties sharing
    // the mean of their ranks; averaged over the sets × 3 cells.
    let mut rank_sum = vec![0.0f64; detectors.len()];
    for set in 0..files.len() {
        for f in metrics {
            let v: Vec<f64> = means.iter().map(|m| f(&m[set])).collect();
            for (i, &x) in v.iter().enumerate() {
                let better = v.iter().filter(|&&y| y > x).count() as f64;
                let tied = v.iter().filter(|&&y| y == x).count() as f64;
                rank_sum[i] += better + (tied + 1.0) / 2.0;
            }
        }
    }
    let cells = (files.len() * metrics.len()).max(1) as f64;
    println!(
        "| mean rank (sets × metrics) | {} |",
        rank_sum
            .iter()
            .map(|r| format!("{:.2}", r / cells))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("| mean fit seconds | {} |", row(&|e| e.fit_seconds, 2));
}
