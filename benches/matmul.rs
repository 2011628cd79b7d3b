//! sgemm throughput: `matmul/MxKxN/Tt` reports FLOP/s as elements/s
//! (2·M·K·N per call) for the engine's `gemm` on T rayon threads, and
//! `matmul_matrixmultiply/MxKxN/Tt` the same product on matrixmultiply's
//! kernels (same row-band threading) as the reference, measured in the same run.

use aedetect::tensor::gemm::gemm_matrixmultiply;
use aedetect::tensor::{gemm, init, rng, Tensor, Trans};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

const SIZES: &[(usize, usize, usize)] = &[
    (64, 20, 12),
    (64, 12, 20),
    (256, 784, 128),
    (256, 128, 32),
    (512, 512, 512),
    (1024, 1024, 1024),
    (2048, 2048, 2048),
];

type Gemm = fn(Trans, Trans, usize, usize, usize, f32, &[f32], &[f32], f32, &mut [f32]);

fn bench_engine(c: &mut Criterion) {
    bench(c, "matmul", gemm);
}

fn bench_reference(c: &mut Criterion) {
    bench(c, "matmul_matrixmultiply", gemm_matrixmultiply);
}

fn bench(c: &mut Criterion, group: &str, f: Gemm) {
    let mut g = c.benchmark_group(group);
    for &(m, k, n) in SIZES {
        let mut a = Tensor::zeros(&[m, k]);
        let mut b = Tensor::zeros(&[k, n]);
        init::uniform(&mut a, -1.0, 1.0, &mut rng::seeded(1));
        init::uniform(&mut b, -1.0, 1.0, &mut rng::seeded(2));
        let (a, b) = (a.data(), b.data());
        let mut out = vec![0.0; m * n];
        let flops = 2 * m * k * n;
        g.throughput(Throughput::Elements(flops as u64));
        if flops > 1 << 28 {
            g.sample_size(10).measurement_time(Duration::from_secs(4));
        } else {
            g.sample_size(50).measurement_time(Duration::from_secs(2));
        }
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let id = BenchmarkId::from_parameter(format!("{m}x{k}x{n}/{threads}t"));
            g.bench_function(id, |bch| {
                pool.install(|| {
                    bch.iter(|| f(Trans::N, Trans::N, m, n, k, 1.0, a, b, 0.0, &mut out))
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_engine, bench_reference);
criterion_main!(benches);
