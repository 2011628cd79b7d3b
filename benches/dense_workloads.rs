//! The large dense workloads, matched by `benches/peers/torch_workloads.py`
//! (PyTorch CPU on the same shapes, data sizes and schedule):
//!
//! * `dense_ae/train_10k`: one epoch over 10,000 rows of 784 features,
//!   batch 256, dense AE 784-256-64-256-784 with ReLU, MSE, Adam 1e-3;
//!   `dense_ae/score_10k`: scoring those rows (the model scores in blocks
//!   of 1,024 rows).
//! * `vae/train_10k`, `vae/score_10k`: VAE 784-256-(μ 16, log σ² 16)-256-784,
//!   BCE on logits + KL, same data and schedule; scoring decodes z = μ.
//!
//! Throughput is rows per second (`Throughput::Elements(10_000)`). The data
//! is uniform in [0, 1) (pixel-like, valid BCE targets), seeded.

use aedetect::detect::model::{DenseAeConfig, ModelSpec, Reconstruction, VaeConfig, VaeScore};
use aedetect::detect::TrainConfig;
use aedetect::tensor::{init, rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const ROWS: usize = 10_000;
const FEATURES: usize = 784;

fn data() -> Tensor {
    let mut x = Tensor::zeros(&[ROWS, FEATURES]);
    init::uniform(&mut x, 0.0, 1.0, &mut rng::seeded(7));
    x
}

/// One epoch, batch 256, Adam at 1e-3, no validation split.
fn one_epoch() -> TrainConfig {
    TrainConfig {
        epochs: 1,
        batch_size: 256,
        lr: 1e-3,
        ..TrainConfig::default()
    }
}

fn bench_model(c: &mut Criterion, group: &str, spec: &dyn ModelSpec, x: &Tensor) {
    let mut model = spec.build(FEATURES).unwrap();
    let cfg = one_epoch();
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    // Each iteration trains one more epoch of the same model: the shapes and
    // the work per epoch do not change.
    g.bench_function("train_10k", |b| {
        b.iter(|| model.fit(x, &cfg, &mut |_| {}).unwrap())
    });
    let mut scores = Vec::new();
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("score_10k", |b| b.iter(|| model.score_into(x, &mut scores)));
    g.finish();
}

fn bench(c: &mut Criterion) {
    let x = data();
    let dense = DenseAeConfig {
        hidden: vec![256, 64],
        dropout: 0.0,
        seed: 0,
        reconstruction: Reconstruction::Mse,
    };
    bench_model(c, "dense_ae", &dense, &x);
    let vae = VaeConfig {
        hidden: vec![256],
        latent: 16,
        beta: 1.0,
        kl_warmup: 0.0,
        reconstruction: Reconstruction::Bce,
        score: VaeScore::Reconstruction,
        seed: 0,
        image: None,
    };
    bench_model(c, "vae", &vae, &x);
}

criterion_group!(benches, bench);
criterion_main!(benches);
