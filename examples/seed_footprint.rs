//! The seed job's whole footprint in one process, for comparing peak memory
//! with PyTorch, scikit-learn and candle: train the 20-12-6-12-20 autoencoder
//! on 2400 normal rows (50 epochs, batch 64, Adam 0.01), score one row, then
//! score 100,000 rows, and print the times and the process's peak resident
//! set size (Linux's VmHWM; `/usr/bin/time -v` reports the same figure).
//!
//! Run: `cargo run --release --example seed_footprint`

use aedetect::detect::eval::seed_data;
use aedetect::detect::{DenseAeConfig, Detector, ScalerKind, TrainConfig};
use aedetect::tensor::Tensor;
use std::time::Instant;

fn main() {
    if let Err(e) = run() {
        eprintln!("seed_footprint: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let start_rss = peak_rss_kib();
    let train = seed_data(2400, 0, 1).normal;
    let t = Instant::now();
    let mut det = Detector::fit(
        &train,
        ScalerKind::Standard,
        DenseAeConfig::seed_recipe(),
        &TrainConfig::default(), // the seed recipe
        &mut |_| {},
    )?;
    let fit = t.elapsed();
    let after_fit = peak_rss_kib();

    let one = Tensor::from_vec(&[1, 20], train.row(0).to_vec());
    let mut scores = Vec::new();
    det.score_into(&one, &mut scores)?;
    let t = Instant::now();
    for _ in 0..1000 {
        det.score_into(&one, &mut scores)?;
    }
    let per_row = t.elapsed() / 1000;

    let many = seed_data(100_000, 0, 2).normal;
    det.score_into(&many, &mut scores)?;
    let t = Instant::now();
    det.score_into(&many, &mut scores)?;
    let bulk = t.elapsed();
    let mean = scores.iter().map(|s| *s as f64).sum::<f64>() / scores.len() as f64;

    println!(
        "train 2400 rows × 50 epochs: {:.1} ms",
        fit.as_secs_f64() * 1e3
    );
    println!(
        "score one row:               {:.2} µs",
        per_row.as_secs_f64() * 1e6
    );
    println!(
        "score 100,000 rows:          {:.2} ms ({:.1} M rows/s; mean score {mean:.4})",
        bulk.as_secs_f64() * 1e3,
        1e-6 * many.rows() as f64 / bulk.as_secs_f64()
    );
    println!(
        "input of 100,000 × 20 f32:   {:.1} MiB",
        many.len() as f64 * 4.0 / 1048576.0
    );
    match (start_rss, after_fit, peak_rss_kib()) {
        (Some(a), Some(b), Some(c)) => println!(
            "peak RSS: {:.1} MiB at start, {:.1} MiB after training, {:.1} MiB at the end",
            a as f64 / 1024.0,
            b as f64 / 1024.0,
            c as f64 / 1024.0
        ),
        _ => println!("peak RSS: not available on this system (no /proc/self/status)"),
    }
    Ok(())
}

/// The process's peak resident set size in KiB (`VmHWM` in /proc/self/status).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
