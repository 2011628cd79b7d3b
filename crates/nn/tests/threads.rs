//! The convolutions run a batch's images in parallel and sum the weight
//! gradient in fixed groups, so outputs, input gradients and parameter
//! gradients are the same bits whatever the thread count.

use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Relu};
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
