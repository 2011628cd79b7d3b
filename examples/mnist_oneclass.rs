//! One-class MNIST: for each digit, train on 60 % of that digit's t10k
//! images (seeded) and test on its other 40 % against every image of the
//! other digits (`../shared/datasets/README.md`). Prints the ROC-AUC per
//! digit and the mean over seeds 0 and 1 for each detector (RESULTS.md has
//! the table), and writes a PNG grid of the default detector's worst-scored
//! test images above their reconstructions (`mnist_worst.png`). `--only
//! NAME` runs one column: kNN takes seconds, an ensemble of five networks
//! minutes.
//!
//! Run: `cargo run --release --example mnist_oneclass [-- DIR] [--only NAME] [--seeds N]`

mod common;

use aedetect::detect::eval::{image_grid, roc_auc};
use aedetect::detect::io::write_png;
use aedetect::detect::model::KnnConfig;
use aedetect::detect::{
    AeKnnConfig, Conv2dAeConfig, Detector, EnsembleConfig, ImageShape, ModelConfig, Reconstruction,
    ScalerKind, TrainConfig,
};
use aedetect::tensor::{rng, Tensor};
use rand::seq::SliceRandom;
use std::path::PathBuf;
use std::time::Instant;

/// The column whose worst-scored images are drawn: the default.
const PICTURED: &str = "mse+code×5";

/// A detector of the table: its name, its config for the image shape, and
/// its training recipe.
struct Column {
    name: &'static str,
    make: fn(ImageShape) -> ModelConfig,
    train: fn() -> TrainConfig,
}

/// The PyTorch recipe: Adam 1e-3, batch 64, 30 epochs.
fn recipe() -> TrainConfig {
    TrainConfig {
        epochs: 30,
        batch_size: 64,
        lr: 1e-3,
        ..TrainConfig::default()
    }
}

fn five(base: ModelConfig) -> ModelConfig {
    ModelConfig::Ensemble(EnsembleConfig {
        base: Box::new(base),
        members: 5,
        views: Default::default(),
        combine: Default::default(),
    })
}

/// The reference network trained and scored with squared error.
fn mse(s: ImageShape) -> Conv2dAeConfig {
    Conv2dAeConfig {
        reconstruction: Reconstruction::Mse,
        ..Conv2dAeConfig::reference(s)
    }
}

/// The MSE network scored by reconstruction error and its code's kNN
/// distance, the code's share `w`.
fn code(s: ImageShape, w: f32) -> AeKnnConfig {
    AeKnnConfig {
        ae: mse(s).into(),
        code_weight: w,
        ..AeKnnConfig::images(s)
    }
}

fn columns() -> Vec<Column> {
    vec![
        Column {
            name: "reference",
            make: |s| Conv2dAeConfig::reference(s).into(),
            train: recipe,
        },
        Column {
            name: "latent8",
            make: |s| {
                Conv2dAeConfig {
                    latent: 8,
                    ..Conv2dAeConfig::reference(s)
                }
                .into()
            },
            train: recipe,
        },
        Column {
            name: "latent16",
            make: |s| {
                Conv2dAeConfig {
                    latent: 16,
                    ..Conv2dAeConfig::reference(s)
                }
                .into()
            },
            train: recipe,
        },
        Column {
            name: "mse",
            make: |s| {
                Conv2dAeConfig {
                    reconstruction: Reconstruction::Mse,
                    ..Conv2dAeConfig::reference(s)
                }
                .into()
            },
            train: recipe,
        },
        Column {
            name: "dropout",
            make: |s| {
                Conv2dAeConfig {
                    dropout: 0.2,
                    ..Conv2dAeConfig::reference(s)
                }
                .into()
            },
            train: recipe,
        },
        Column {
            name: "mse+code",
            make: |s| code(s, 0.5).into(),
            train: recipe,
        },
        Column {
            name: "mse+code×5",
            make: |s| five(code(s, 0.5).into()),
            train: recipe,
        },
        Column {
            name: "code×5",
            make: |s| five(code(s, 1.0).into()),
            train: recipe,
        },
        Column {
            name: "kNN",
            make: |_| KnnConfig::default().into(),
            train: recipe,
        },
    ]
}

struct Args {
    dir: PathBuf,
    only: Option<String>,
    seeds: u64,
}

fn args() -> Args {
    let mut a = Args {
        dir: PathBuf::from("../shared/datasets/mnist"),
        only: None,
        seeds: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--only" => a.only = it.next(),
            "--seeds" => a.seeds = it.next().and_then(|s| s.parse().ok()).unwrap_or(2),
            dir => a.dir = PathBuf::from(dir),
        }
    }
    a
}

/// Train and test rows for `digit` under `seed`: 60 % of the digit's images
/// to train; the other 40 % (normal) and every other digit (anomalies) to test.
fn split(labels: &[u8], digit: u8, seed: u64) -> (Vec<usize>, Vec<usize>, Vec<bool>) {
    let mut own: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == digit).collect();
    own.shuffle(&mut rng::seeded(seed));
    let cut = own.len() * 6 / 10;
    let train = own[..cut].to_vec();
    let mut test = own[cut..].to_vec();
    let mut is_anomaly = vec![false; test.len()];
    for (i, &l) in labels.iter().enumerate() {
        if l != digit {
            test.push(i);
            is_anomaly.push(true);
        }
    }
    (train, test, is_anomaly)
}

fn main() {
    let a = args();
    let (images, labels) = common::mnist_t10k(&a.dir);
    let shape = images.shape;
    let cols: Vec<Column> = columns()
        .into_iter()
        .filter(|c| a.only.as_deref().is_none_or(|o| o == c.name))
        .collect();
    println!(
        "One-class MNIST, {} images of {shape}, seeds 0..{}, {} thread(s)\n",
        images.x.rows(),
        a.seeds,
        rayon::current_num_threads()
    );
    print!("| digit |");
    for c in &cols {
        print!(" {} |", c.name);
    }
    print!("\n|---|");
    for _ in &cols {
        print!("---|");
    }
    println!();
    let mut sums = vec![0.0f64; cols.len()];
    let mut seconds = vec![0.0f64; cols.len()];
    let mut worst: Option<(f32, Tensor, Tensor)> = None;
    for digit in 0..10u8 {
        print!("| {digit} |");
        for (ci, c) in cols.iter().enumerate() {
            let mut auc = 0.0;
            for seed in 0..a.seeds {
                let (train_idx, test_idx, is_anomaly) = split(&labels, digit, seed);
                let train_x = images.x.select_rows(&train_idx);
                let test_x = images.x.select_rows(&test_idx);
                let model = (c.make)(shape).with_seed(seed);
                let cfg = TrainConfig {
                    seed,
                    ..(c.train)()
                };
                let start = Instant::now();
                let mut det =
                    Detector::fit(&train_x, ScalerKind::Identity, model, &cfg, &mut |_| {})
                        .expect("training");
                let scores = det.score(&test_x).expect("scoring");
                seconds[ci] += start.elapsed().as_secs_f64();
                auc += roc_auc(&scores, &is_anomaly).expect("both classes in the test split");
                if c.name == PICTURED && seed == 0 {
                    keep_worst(&mut worst, &mut det, &test_x, &scores);
                }
            }
            let auc = auc / a.seeds as f64;
            sums[ci] += auc;
            print!(" {auc:.3} |");
        }
        println!();
    }
    print!("| **mean** |");
    for s in &sums {
        print!(" **{:.3}** |", s / 10.0);
    }
    print!("\n| seconds |");
    for s in &seconds {
        print!(" {s:.0} |");
    }
    println!();
    if let Some((_, originals, reconstructions)) = worst {
        let grid = image_grid(&[&originals, &reconstructions], shape, 8);
        let path = PathBuf::from("mnist_worst.png");
        match write_png(&path, &grid) {
            Ok(()) => println!(
                "\nwrote {} (worst-scored test images, reconstruction below each)",
                path.display()
            ),
            Err(e) => eprintln!("{e}"),
        }
    }
}

/// Keeps the 8 highest-scoring test images of one run and the model's
/// reconstructions of them (when the model reconstructs).
fn keep_worst(
    worst: &mut Option<(f32, Tensor, Tensor)>,
    det: &mut Detector,
    test: &Tensor,
    scores: &[f32],
) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order.truncate(8);
    let originals = test.select_rows(&order);
    let Ok(Some(recon)) = det.reconstruct(&originals) else {
        return;
    };
    let top = scores[order[0]];
    if worst.as_ref().is_none_or(|w| top > w.0) {
        *worst = Some((top, originals, recon));
    }
}
