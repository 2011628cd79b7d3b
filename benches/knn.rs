//! kNN scoring (`--model knn`), matched by `benches/peers/knn_sklearn.py`
//! (scikit-learn's `NearestNeighbors.kneighbors` on the same shapes):
//!
//! * `knn/score_10k/d{6,36,100,784}`: the distance to the 5th nearest of
//!   10,000 reference rows, for 10,000 query rows of d standard-normal
//!   features (6 and 36: mammography- and satimage-wide tables; 100: the
//!   ADBench MNIST set; 784: raw 28×28 images).
//!
//! Throughput is query rows per second (`Throughput::Elements(10_000)`).

use aedetect::detect::model::{Knn, KnnConfig, Model};
use aedetect::tensor::{init, rng, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

const ROWS: usize = 10_000;

fn normal(rows: usize, d: usize, seed: u64) -> Tensor {
    let mut x = Tensor::zeros(&[rows, d]);
    init::normal(&mut x, 0.0, 1.0, &mut rng::seeded(seed));
    x
}

fn knn(c: &mut Criterion) {
    let mut g = c.benchmark_group("knn/score_10k");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for d in [6, 36, 100, 784] {
        let reference = normal(ROWS, d, 1);
        let queries = normal(ROWS, d, 2);
        let mut model = Knn::new(d, KnnConfig::default()).unwrap();
        model.fit_rows(&reference).unwrap();
        let mut scores = Vec::new();
        g.bench_function(BenchmarkId::from_parameter(format!("d{d}")), |b| {
            b.iter(|| model.score_into(&queries, &mut scores))
        });
    }
    g.finish();
}

criterion_group!(benches, knn);
criterion_main!(benches);
