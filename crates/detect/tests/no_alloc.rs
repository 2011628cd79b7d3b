//! Once buffers exist, a training step allocates nothing: counted with a
//! global allocator that tallies every allocation made on this test's thread.

use aedetect_detect::eval::seed_data;
use aedetect_detect::model::DenseAutoencoder;
use aedetect_detect::train::{reconstruction_step, StepBuffers};
use aedetect_detect::{DenseAeConfig, TrainConfig};
use aedetect_nn::optim::Adam;
use aedetect_tensor::Tensor;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract for `alloc`, passed on unchanged.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from this allocator, i.e. from `System`, with `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        // SAFETY: `p` came from `System` with `l`; the caller's contract holds.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = COUNT.with(Cell::get);
    f();
    COUNT.with(Cell::get) - before
}

#[test]
fn seed_autoencoder_step_allocates_nothing() {
    let x = seed_data(64, 0, 1).normal;
    let small = Tensor::from_vec(&[10, 20], x.rows_slice(0, 10).to_vec());
    let mut ae = DenseAutoencoder::new(
        20,
        DenseAeConfig {
            dropout: 0.1,
            ..DenseAeConfig::seed_recipe()
        },
    )
    .unwrap();
    let mut opt = Adam::new(0.01);
    let mut buf = StepBuffers::default();
    let cfg = TrainConfig {
        robust_drop: 0.1,
        ..TrainConfig::default()
    };
    // Warm-up: the first full batch sizes every buffer.
    reconstruction_step(&mut ae.net, &mut buf, &x, &mut opt, &cfg);
    let n = allocations(|| {
        for _ in 0..10 {
            reconstruction_step(&mut ae.net, &mut buf, &x, &mut opt, &cfg);
            // A smaller last batch reuses the same storage.
            reconstruction_step(&mut ae.net, &mut buf, &small, &mut opt, &cfg);
        }
    });
    assert_eq!(n, 0, "{n} allocations in 20 training steps");
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
}

/// Scoring through the detector (finite check, scaling, batched forward,
/// per-row error) allocates nothing once its buffers exist.
#[test]
fn detector_scoring_allocates_nothing() {
    use aedetect_detect::{Detector, ScalerKind};
    let x = seed_data(300, 0, 2).normal;
    let cfg = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    let mut det = Detector::fit(
        &x,
        ScalerKind::Standard,
        DenseAeConfig::seed_recipe(),
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    let mut out = Vec::new();
    det.score_into(&x, &mut out).unwrap();
    assert_eq!(allocations(|| det.score_into(&x, &mut out).unwrap()), 0);
}

/// The same for kNN and for the default (autoencoders scored with their
/// codes' neighbour search): the search reuses its tiles and top-k buffers.
#[test]
fn neighbour_scoring_allocates_nothing() {
    use aedetect_detect::{AeKnnConfig, Detector, KnnConfig, ModelConfig, ScalerKind};
    let x = seed_data(300, 0, 2).normal;
    let cfg = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    let quick_default = match ModelConfig::recommended(20) {
        ModelConfig::Ensemble(mut e) => {
            *e.base = ModelConfig::AeKnn(AeKnnConfig {
                min_steps: 0,
                ..AeKnnConfig::wide()
            });
            ModelConfig::Ensemble(e)
        }
        other => panic!("the default changed shape: {other:?}"),
    };
    for model in [ModelConfig::Knn(KnnConfig::default()), quick_default] {
        let mut det =
            Detector::fit(&x, ScalerKind::Standard, model.clone(), &cfg, &mut |_| {}).unwrap();
        // Measured on a pool thread: a call from outside the pool hands
        // its tasks to rayon's injector queue, which allocates a block of
        // slots every 63 tasks, whoever is scoring.
        let n = rayon::scope(|_| {
            let mut out = Vec::new();
            det.score_into(&x, &mut out).unwrap();
            allocations(|| det.score_into(&x, &mut out).unwrap())
        });
        assert_eq!(n, 0, "{model:?}");
    }
}
