//! The convolutions run a batch's images in parallel and sum the weight
//! gradient in fixed groups, so outputs, input gradients and parameter
//! gradients are the same bits whatever the thread count. An LSTM pass over
//! many rows splits them into two groups, one per thread (`layers/lstm.rs`,
//! `Groups`); each row's recurrence is its own chain, so the same holds.

use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Lstm, Relu};
use aedetect_nn::{Layer, Mode, Parameters, Sequential};
use aedetect_tensor::{init, rng, Tensor};

/// Output, input gradient and every parameter gradient of one step, as bits.
fn step_bits(threads: usize) -> Vec<u32> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut r = rng::seeded(3);
        let mut net = Sequential::new()
            .with(Conv2d::new(2, 5, 3, 2, 1, &mut r))
            .with(Relu::new())
            .with(ConvTranspose2d::new(5, 2, 3, 2, 1, 1, &mut r));
        // 21 images: groups of 8, 8 and 5.
        let mut x = Tensor::zeros(&[21, 2, 10, 10]);
        init::uniform(&mut x, -1.0, 1.0, &mut rng::seeded(4));
        let mut bits: Vec<u32> = net
            .forward(&x, Mode::Train)
            .data()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let mut dy = Tensor::zeros(&[21, 2, 10, 10]);
        init::uniform(&mut dy, -1.0, 1.0, &mut rng::seeded(5));
        bits.extend(net.backward(&dy).data().iter().map(|v| v.to_bits()));
        net.visit_params(&mut |p| bits.extend(p.grad.data().iter().map(|v| v.to_bits())));
        bits
    })
}

#[test]
fn convolutions_give_the_same_bits_on_any_thread_count() {
    let one = step_bits(1);
    for threads in [2, 3, 5] {
        assert!(step_bits(threads) == one, "{threads} threads differ from 1");
    }
}

/// y, dx, the weights' gradients and the last cell state of one training
/// pass over `x` with upstream gradient `dy`, on a pool of `threads`.
fn lstm_pass(threads: usize, x: &Tensor, dy: &Tensor) -> Vec<Vec<u32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut lstm = Lstm::new(x.shape()[2], 32, &mut rng::seeded(7));
        let bits = |t: &Tensor| t.data().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
        let mut out = vec![bits(lstm.forward(x, Mode::Train))];
        out.push(bits(&lstm.last_cell()));
        out.push(bits(lstm.backward(dy)));
        lstm.visit_params(&mut |p| out.push(bits(&p.grad)));
        // Scoring keeps two states, not the histories: the same outputs.
        out.push(bits(lstm.forward(x, Mode::Infer)));
        out
    })
}

#[test]
fn lstm_rows_split_over_two_threads_give_the_bits_of_one() {
    let mut r = rng::seeded(11);
    // 40 rows: groups of 24 and 16 (the split is a multiple of 8).
    for (rows, inputs) in [(40, 1), (64, 3), (17, 2)] {
        let mut x = Tensor::zeros(&[rows, 9, inputs]);
        init::uniform(&mut x, -2.0, 2.0, &mut r);
        let mut dy = Tensor::zeros(&[rows, 9, 32]);
        init::uniform(&mut dy, -1.0, 1.0, &mut r);
        let (one, two) = (lstm_pass(1, &x, &dy), lstm_pass(2, &x, &dy));
        for (k, (a, b)) in one.iter().zip(&two).enumerate() {
            assert_eq!(a, b, "{rows} rows, output {k}");
        }
    }
}
