//! The 2-D convolutional autoencoder on 28×28 images (the reference
//! network: Conv2d 1→16→32 stride 2, Linear 1568→32→1568, ConvTranspose2d
//! 32→16→1): one epoch of training over 5,000 images at batch 128 (BCE on
//! logits, Adam 1e-3), scoring the 5,000, and scoring one image.
//! `benches/peers/conv_ae_torch.py` measures PyTorch on the same work.

use aedetect::detect::{Conv2dAeConfig, Detector, ImageShape, ScalerKind, TrainConfig};
use aedetect::tensor::{init, rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const N: usize = 5_000;

fn one_epoch(x: &Tensor) -> Detector {
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 128,
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let model = Conv2dAeConfig::reference(ImageShape::new(1, 28, 28));
    Detector::fit(x, ScalerKind::Identity, model, &cfg, &mut |_| {}).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut x = Tensor::zeros(&[N, 784]);
    init::uniform(&mut x, 0.0, 1.0, &mut rng::seeded(7));
    let mut g = c.benchmark_group("conv_ae");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("train_5k", |b| b.iter(|| one_epoch(&x)));

    let mut det = one_epoch(&x);
    let mut out = Vec::new();
    g.bench_function("score_5k", |b| {
        b.iter(|| det.score_into(&x, &mut out).unwrap())
    });

    let one = Tensor::from_vec(&[1, 784], x.row(0).to_vec());
    g.sample_size(100).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(1));
    g.bench_function("score_one", |b| {
        b.iter(|| det.score_into(&one, &mut out).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
