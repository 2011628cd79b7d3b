//! Forward + backward of single layers at the sizes of a 28×28 conv
//! autoencoder (batch 64), and one full training step of the seed autoencoder.
//! Throughput is in samples (rows or images) per second.

use aedetect::detect::eval::seed_data;
use aedetect::detect::model::DenseAutoencoder;
use aedetect::detect::DenseAeConfig;
use aedetect::nn::layers::{Conv2d, ConvTranspose2d, Linear};
use aedetect::nn::loss::Mse;
use aedetect::nn::optim::Adam;
use aedetect::nn::{Layer, Loss, Mode, Optimizer, Parameters};
use aedetect::tensor::{init, rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

const BATCH: usize = 64;

fn random(shape: &[usize]) -> Tensor {
    let mut t = Tensor::zeros(shape);
    init::uniform(&mut t, -1.0, 1.0, &mut rng::seeded(5));
    t
}

fn fwd_bwd(c: &mut Criterion, name: &str, layer: &mut dyn Layer, x: &Tensor) {
    let dy = random(layer.forward(x, Mode::Train).shape());
    let mut g = c.benchmark_group("layers");
    g.throughput(Throughput::Elements(x.rows() as u64));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function(name, |b| {
        b.iter(|| {
            layer.forward(x, Mode::Train);
            layer.backward(&dy);
        })
    });
    g.finish();
}

fn layers(c: &mut Criterion) {
    let mut r = rng::seeded(1);
    fwd_bwd(
        c,
        "linear_fwd_bwd/784x128",
        &mut Linear::new(784, 128, &mut r),
        &random(&[BATCH, 784]),
    );
    fwd_bwd(
        c,
        "conv2d_fwd_bwd/1to16_28x28_s2",
        &mut Conv2d::new(1, 16, 3, 2, 1, &mut r),
        &random(&[BATCH, 1, 28, 28]),
    );
    fwd_bwd(
        c,
        "conv2d_fwd_bwd/16to32_14x14_s2",
        &mut Conv2d::new(16, 32, 3, 2, 1, &mut r),
        &random(&[BATCH, 16, 14, 14]),
    );
    fwd_bwd(
        c,
        "conv_transpose2d_fwd_bwd/32to16_7x7_s2",
        &mut ConvTranspose2d::new(32, 16, 3, 2, 1, 1, &mut r),
        &random(&[BATCH, 32, 7, 7]),
    );
    fwd_bwd(
        c,
        "conv_transpose2d_fwd_bwd/16to1_14x14_s2",
        &mut ConvTranspose2d::new(16, 1, 3, 2, 1, 1, &mut r),
        &random(&[BATCH, 16, 14, 14]),
    );
}

fn train_step(c: &mut Criterion) {
    let data = seed_data(BATCH, 0, 1);
    let mut ae = DenseAutoencoder::new(20, DenseAeConfig::seed_recipe()).unwrap();
    let mut opt = Adam::new(0.01);
    let mut loss = Mse::new();
    let x = data.normal;
    let mut g = c.benchmark_group("train_step");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("seed_ae", |b| {
        b.iter(|| {
            let out = ae.net.forward(&x, Mode::Train);
            loss.forward(out, &x);
            ae.net.zero_grad();
            ae.net.backward(loss.backward());
            opt.step(&mut ae.net);
        })
    });
    g.finish();
}

criterion_group!(benches, layers, train_step);
criterion_main!(benches);
