//! A VAE that draws: trains a dense and a convolutional VAE on 8,000 of
//! MNIST's t10k images, reports each one's loss on the other 2,000 (summed
//! BCE of the μ-decode + KL, in nats per image: lower is a better model of
//! the digits) and its training time, and writes, for each,
//!
//! ```text
//! OUT/samples_<name>.png        64 images decoded from z ~ N(0, I) (seed 0)
//! OUT/interpolation_<name>.png  one row per pair of held-out digits (0→1, 3→8,
//!                               4→9, 5→6, 7→2): the two images framing 10 decodes of
//!                               the straight line between their μ
//! ```
//!
//! The convolutional VAE is what `aedetect train --model vae` builds for
//! images (`VaeConfig::images`); the dense one has the same latent size and
//! one hidden layer of 400 (Kingma and Welling's MNIST network).
//!
//! Run: `cargo run --release --example vae_mnist [-- OUT_DIR [EPOCHS]]`
//! (reads `../shared/datasets/mnist`; default OUT_DIR `vae_mnist`, 20 epochs).

mod common;

use aedetect::detect::eval::image_grid;
use aedetect::detect::io::write_png;
use aedetect::detect::model::VaeImage;
use aedetect::detect::model::{Generative, Model, Parameters, Vae};
use aedetect::detect::train::Trainable;
use aedetect::detect::{TrainConfig, VaeConfig};
use aedetect::tensor::Tensor;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Training images; the rest of t10k are held out.
const TRAIN: usize = 8_000;
/// Decodes between the two framing images of an interpolation row.
const STEPS: usize = 10;
/// Digit pairs interpolated between.
const PAIRS: [(u8, u8); 5] = [(0, 1), (3, 8), (4, 9), (5, 6), (7, 2)];

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "vae_mnist".into()));
    let epochs: usize = args.next().and_then(|e| e.parse().ok()).unwrap_or(20);
    let (images, labels) = common::mnist_t10k(Path::new("../shared/datasets/mnist"));
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("{}: {e}", out.display());
        std::process::exit(1);
    }
    let shape = images.shape;
    let n = images.x.rows();
    let train = images.x.select_rows(&(0..TRAIN).collect::<Vec<_>>());
    let held: Vec<usize> = (TRAIN..n).collect();
    let test = images.x.select_rows(&held);
    // The first held-out image of each digit of each pair.
    let first = |digit: u8| *held.iter().find(|&&i| labels[i] == digit).unwrap();

    // No convolutions: a dense VAE on the pixels, its shape kept for drawing.
    let dense = VaeConfig {
        hidden: vec![400],
        image: Some(VaeImage {
            shape,
            channels: vec![],
            kernel: 3,
        }),
        ..VaeConfig::images(shape)
    };
    let train_cfg = TrainConfig {
        epochs,
        batch_size: 128,
        lr: 1e-3,
        validation_fraction: 0.0,
        ..TrainConfig::default()
    };
    println!(
        "{TRAIN} training and {} held-out t10k images, {epochs} epochs, batch 128, Adam 1e-3, {} threads",
        n - TRAIN,
        rayon::current_num_threads()
    );
    println!(
        "{:<6} {:>10} {:>22} {:>10}",
        "VAE", "parameters", "held-out loss (nats)", "train (s)"
    );
    for (name, config) in [("dense", dense), ("conv", VaeConfig::images(shape))] {
        let mut vae = Vae::new(shape.values().unwrap(), config).expect("a valid VAE");
        let start = Instant::now();
        if let Err(e) = vae.fit(&train, &train_cfg, &mut |_| {}) {
            eprintln!("{name}: {e}");
            std::process::exit(1);
        }
        let seconds = start.elapsed().as_secs_f64();
        let loss = vae.eval_loss(&test);
        println!(
            "{name:<6} {:>10} {loss:>22.1} {seconds:>10.1}",
            vae.num_params()
        );
        let samples = vae.sample(64, 0);
        save(
            &out.join(format!("samples_{name}.png")),
            &image_grid(&[&samples], shape, 8),
        );
        let mut rows = Vec::new();
        for (a, b) in PAIRS {
            let (ia, ib) = (first(a), first(b));
            let ends = images.x.select_rows(&[ia, ib]);
            let path = vae.interpolate(&ends, STEPS);
            rows.extend_from_slice(images.x.row(ia));
            rows.extend_from_slice(path.data());
            rows.extend_from_slice(images.x.row(ib));
        }
        let strip = Tensor::from_vec(&[PAIRS.len() * (STEPS + 2), shape.values().unwrap()], rows);
        save(
            &out.join(format!("interpolation_{name}.png")),
            &image_grid(&[&strip], shape, STEPS + 2),
        );
    }
    println!("grids written to {}", out.display());
}

fn save(path: &Path, picture: &aedetect::detect::io::Rgb8) {
    if let Err(e) = write_png(path, picture) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
