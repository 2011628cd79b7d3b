//! The seed tutorial, reproduced: train a 20-12-6-12-20 autoencoder on normal
//! synthetic sensor data only, set the threshold at the 95th percentile of the
//! training errors, and measure on held-out normals and anomalies.
//!
//! Run: `cargo run --release --example seed_demo [-- --svg PATH] [--model PATH] [--seed N]`

use aedetect::detect::eval::seed_data;
use aedetect::detect::eval::{average_precision, roc_auc, Confusion};
use aedetect::detect::eval::{baseline_error, separability};
use aedetect::detect::{
    io, model_file, threshold, DenseAeConfig, Detector, ScalerKind, TrainConfig,
};
use aedetect::tensor::rng;
use rand::seq::SliceRandom;
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    svg: PathBuf,
    model: PathBuf,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        svg: PathBuf::from("seed_demo_errors.svg"),
        model: PathBuf::from("seed_demo.safetensors"),
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--svg" => args.svg = PathBuf::from(value()?),
            "--model" => args.model = PathBuf::from(value()?),
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "-h" | "--help" => {
                println!("usage: seed_demo [--svg PATH] [--model PATH] [--seed N]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("seed_demo: {e}");
        std::process::exit(2);
    });
    if let Err(e) = run(&args) {
        eprintln!("seed_demo: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    // 3000 normal rows (5 latent factors → 20 sensors + noise), 200 anomalies.
    let data = seed_data(3000, 200, args.seed);
    let mut order: Vec<usize> = (0..data.normal.rows()).collect();
    order.shuffle(&mut rng::seeded(args.seed));
    let (train_idx, test_idx) = order.split_at(2400); // 80/20
    let train = data.normal.select_rows(train_idx);
    let test_normal = data.normal.select_rows(test_idx);
    println!(
        "data: {} training normals, {} test normals, {} anomalies, 20 sensors",
        train.rows(),
        test_normal.rows(),
        data.anomalies.rows()
    );

    let cfg = TrainConfig {
        seed: args.seed,
        ..TrainConfig::default()
    };
    let ae = DenseAeConfig {
        seed: args.seed,
        ..DenseAeConfig::seed_recipe()
    };
    let start = Instant::now();
    let mut det = Detector::fit(&train, ScalerKind::Standard, ae, &cfg, &mut |r| {
        if r.epoch == 1 || r.epoch % 10 == 0 {
            println!(
                "  epoch {:>2}/{}  loss {:.4}",
                r.epoch, r.epochs, r.train_loss
            );
        }
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "model: {}  ({} parameters), trained in {:.3} s",
        det.model.describe(),
        det.model.num_params(),
        secs
    );

    let train_scores = det.score(&train)?;
    let t = threshold::percentile(&train_scores, 95.0).ok_or("no training scores")?;
    det.threshold = Some(t);
    let normal_scores = det.score(&test_normal)?;
    let anomaly_scores = det.score(&data.anomalies)?;

    let scores: Vec<f32> = normal_scores
        .iter()
        .chain(&anomaly_scores)
        .copied()
        .collect();
    let labels: Vec<bool> = (0..scores.len())
        .map(|i| i >= normal_scores.len())
        .collect();
    let mean = |v: &[f32]| v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64;
    let c = Confusion::at(&scores, &labels, t);
    println!();
    println!("threshold (95th percentile of training errors): {t:.4}");
    println!(
        "mean error: normal {:.4}   anomalous {:.4}",
        mean(&normal_scores),
        mean(&anomaly_scores)
    );
    println!(
        "ROC-AUC {:.4}   average precision {:.4}",
        roc_auc(&scores, &labels).unwrap_or(f64::NAN),
        average_precision(&scores, &labels).unwrap_or(f64::NAN)
    );
    println!(
        "precision {:.3}   recall {:.3}   F1 {:.3}   (TP {} FP {} TN {} FN {})",
        c.precision(),
        c.recall(),
        c.f1(),
        c.tp,
        c.fp,
        c.tn,
        c.fn_
    );
    // Baseline: predicting the training mean (0 after standard scaling).
    let baseline = baseline_error(&det.scaler.transformed(&test_normal)?, &[0.0; 20]);
    if let Some(s) = separability(&normal_scores, &anomaly_scores, baseline) {
        println!(
            "Welch t = {:.2}, p = {:.3e}, Cohen's d = {:.2}",
            s.t, s.p_value, s.cohens_d
        );
        println!(
            "separation P(anomaly > normal) = {:.3}, median normal error = {:.2} × baseline",
            s.separation, s.level
        );
        println!("verdict: {}", s.verdict);
    }
    let svg = aedetect::detect::eval::histogram_svg(
        "Seed autoencoder: reconstruction error on test data",
        &normal_scores,
        &anomaly_scores,
        Some(t),
    );
    io::write_atomic(&args.svg, svg.as_bytes())?;
    println!("histogram: {}", args.svg.display());
    model_file::save(&det, &args.model)?;
    let mut reloaded = model_file::load(&args.model)?;
    let same = reloaded.score(&data.anomalies)? == anomaly_scores;
    println!(
        "model: {} (reloaded, scores identical: {same})",
        args.model.display()
    );
    Ok(())
}
