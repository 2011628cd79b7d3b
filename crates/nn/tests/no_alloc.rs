//! Once buffers exist, a training step allocates nothing: counted with a
//! global allocator that tallies every allocation made on this test's thread.

use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Lstm, Relu};
use aedetect_nn::loss::{BceWithLogits, Mse};
use aedetect_nn::optim::Adam;
use aedetect_nn::{Layer, Loss, Mode, Optimizer, Parameters, Sequential};
use aedetect_tensor::{init, pool, rng, Tensor};
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
fn conv_autoencoder_step_allocates_nothing() {
    let mut r = rng::seeded(2);
    let mut net = Sequential::new()
        .with(Conv2d::new(1, 4, 3, 2, 1, &mut r))
        .with(Relu::new())
        .with(ConvTranspose2d::new(4, 1, 3, 2, 1, 1, &mut r));
    let mut x = Tensor::zeros(&[8, 1, 12, 12]);
    init::uniform(&mut x, 0.0, 1.0, &mut r);
    let mut loss = BceWithLogits::new();
    let mut opt = Adam::new(1e-3);
    let mut step = |net: &mut Sequential| {
        let y = net.forward(&x, Mode::Train);
        loss.forward(y, &x);
        net.zero_grad();
        net.backward(loss.backward());
        opt.step(net);
    };
    step(&mut net);
    let n = allocations(|| {
        for _ in 0..5 {
            step(&mut net);
        }
    });
    assert_eq!(n, 0, "{n} allocations in 5 conv training steps");
}

/// Allocations on this thread in 5 LSTM training steps over `rows` windows
/// of 12 steps (`inputs` → `hidden`), after a first step has sized every
/// buffer.
fn lstm_step_allocations(rows: usize, inputs: usize, hidden: usize, seed: u64) -> usize {
    let mut r = rng::seeded(seed);
    let mut lstm = Lstm::new(inputs, hidden, &mut r);
    let mut x = Tensor::zeros(&[rows, 12, inputs]);
    init::uniform(&mut x, -1.0, 1.0, &mut r);
    let target = Tensor::zeros(&[rows, 12, hidden]);
    let mut loss = Mse::new();
    let mut opt = Adam::new(1e-3);
    let mut step = |lstm: &mut Lstm| {
        let y = lstm.forward(&x, Mode::Train);
        loss.forward(y, &target);
        lstm.zero_grad();
        lstm.backward(loss.backward());
        opt.step(lstm);
    };
    step(&mut lstm);
    allocations(|| {
        for _ in 0..5 {
            step(&mut lstm);
        }
    })
}

#[test]
fn lstm_step_allocates_nothing() {
    let n = lstm_step_allocations(4, 3, 5, 3);
    assert_eq!(n, 0, "{n} allocations in 5 LSTM training steps");
}

#[test]
fn lstm_step_split_over_two_threads_allocates_nothing() {
    // 32 rows: two groups of 16, one per thread of the pool (as a fit
    // runs, from a thread of the pool). The counter sees this thread's
    // allocations: the split, the first group and dW_hh's product.
    let n = pool::on_pool(|| lstm_step_allocations(32, 1, 32, 4));
    assert_eq!(
        n, 0,
        "{n} allocations in 5 LSTM training steps on two threads"
    );
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
}
