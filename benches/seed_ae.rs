//! The seed autoencoder as a product: training (2400 rows, 50 epochs, batch
//! 64, Adam 0.01), scoring one row, and scoring 100,000 rows.

use aedetect::detect::eval::seed_data;
use aedetect::detect::{DenseAeConfig, Detector, ScalerKind, TrainConfig};
use aedetect::tensor::Tensor;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

fn fit(train: &Tensor) -> Detector {
    Detector::fit(
        train,
        ScalerKind::Standard,
        DenseAeConfig::seed_recipe(),
        &TrainConfig::default(),
        &mut |_| {},
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let train = seed_data(2400, 0, 1).normal;
    let mut g = c.benchmark_group("seed_ae");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(2400 * 50));
    g.bench_function("train_50_epochs", |b| b.iter(|| fit(&train)));

    let mut det = fit(&train);
    let one = Tensor::from_vec(&[1, 20], train.row(0).to_vec());
    let mut out = Vec::new();
    g.sample_size(100).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    g.bench_function("score_one", |b| {
        b.iter(|| det.score_into(&one, &mut out).unwrap())
    });

    let many = seed_data(100_000, 0, 2).normal;
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("score_100k", |b| {
        b.iter(|| det.score_into(&many, &mut out).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
