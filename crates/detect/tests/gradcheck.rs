//! Whole detector networks against central differences, every parameter and
//! every input value: the dense autoencoder, the 1-D and 2-D convolutional
//! ones and the LSTM autoencoder.
//! (The VAE's network, which has a latent and a KL term beside its layers,
//! is checked in `src/model/vae.rs`, next to its backward pass.)

use aedetect_detect::model::{
    Conv1dAutoencoder, Conv2dAutoencoder, DenseAutoencoder, LstmAeConfig, LstmAutoencoder,
};
use aedetect_detect::{Conv1dAeConfig, Conv2dAeConfig, DenseAeConfig, ImageShape, Reconstruction};
use aedetect_nn::gradcheck::{check_layer, GradReport, Tolerance};
use aedetect_tensor::Tensor;

fn assert_passes(what: &str, r: &GradReport) {
    assert!(r.checked > 0, "{what}: nothing checked");
    assert!(
        r.passed(),
        "{what}: gradient mismatch, worst {} (ratio {:.3})",
        r.worst,
        r.worst_ratio
    );
}

/// A small step: with eps = 1e-2 a nudge can cross a ReLU kink of these
/// many-unit networks and the numeric slope is then half the truth.
const TOL: Tolerance = Tolerance {
    eps: 1e-3,
    rtol: 1e-2,
    atol_frac: 1e-3,
};

#[test]
fn dense_autoencoder() {
    let x = Tensor::from_vec(&[3, 6], (0..18).map(|i| (i as f32 * 0.83).cos()).collect());
    for seed in 0..4 {
        let config = DenseAeConfig {
            hidden: vec![5, 3],
            seed,
            ..DenseAeConfig::seed_recipe()
        };
        let mut ae = DenseAutoencoder::new(6, config).unwrap();
        assert_passes(
            &format!("dense AE seed {seed}"),
            &check_layer(&mut ae.net, &x, 1, TOL),
        );
    }
}

#[test]
fn conv1d_autoencoder() {
    let cfg = Conv1dAeConfig {
        channels: vec![2, 3],
        kernel: 3,
        bottleneck: 2,
        seed: 4,
        reconstruction: Reconstruction::Mse,
    };
    let x = Tensor::from_vec(&[2, 5], (0..10).map(|i| (i as f32 * 0.37).sin()).collect());
    for seed in 0..4 {
        let mut ae = Conv1dAutoencoder::new(
            5,
            Conv1dAeConfig {
                seed,
                ..cfg.clone()
            },
        )
        .unwrap();
        let r = check_layer(&mut ae.net, &x, 1, TOL);
        assert_passes(&format!("conv1d AE seed {seed}"), &r);
    }
}

#[test]
fn conv2d_autoencoder() {
    // An odd, non-square grayscale image through two stride-2 layers
    // (7×6 → 4×3 → 2×2 and back), and a colour one through one.
    for (image, channels) in [
        (ImageShape::new(1, 7, 6), vec![2, 3]),
        (ImageShape::new(3, 4, 5), vec![2]),
    ] {
        let d = image.values().unwrap();
        let x = Tensor::from_vec(
            &[2, d],
            (0..2 * d).map(|i| (i as f32 * 0.29).sin()).collect(),
        );
        for seed in 0..3 {
            let cfg = Conv2dAeConfig {
                channels: channels.clone(),
                latent: 3,
                seed,
                ..Conv2dAeConfig::reference(image)
            };
            let mut ae = Conv2dAutoencoder::new(d, cfg).unwrap();
            let r = check_layer(&mut ae.net, &x, 1, TOL);
            assert_passes(&format!("conv2d AE {image} seed {seed}"), &r);
        }
    }
}

/// The check is not blind: the same network with one weight's gradient
/// spoiled after backward fails it.
#[test]
fn a_spoiled_gradient_fails() {
    use aedetect_nn::{Layer, Mode, Param};
    /// The dense AE's network, whose backward adds 0.1 to its first weight's gradient.
    struct Spoiled(DenseAutoencoder);
    impl aedetect_nn::Parameters for Spoiled {
        fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
            aedetect_nn::Parameters::visit_params(&self.0.net, f)
        }
        fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
            aedetect_nn::Parameters::visit_params_mut(&mut self.0.net, f)
        }
    }
    impl Layer for Spoiled {
        fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
            self.0.net.forward(x, mode)
        }
        fn backward(&mut self, dy: &Tensor) -> &Tensor {
            let mut first = true;
            aedetect_nn::Parameters::visit_params_mut(&mut self.0.net, &mut |p| {
                if first {
                    aedetect_tensor::ops::axpy(
                        1.0,
                        &Tensor::from_vec(p.grad.shape(), vec![0.1; p.grad.len()]),
                        &mut p.grad,
                    );
                    first = false;
                }
            });
            self.0.net.backward(dy)
        }
        fn describe(&self) -> String {
            "spoiled".into()
        }
    }
    let x = Tensor::from_vec(&[3, 6], (0..18).map(|i| (i as f32 * 0.61).sin()).collect());
    let ae = DenseAutoencoder::new(6, DenseAeConfig::seed_recipe()).unwrap();
    let r = check_layer(&mut Spoiled(ae), &x, 1, TOL);
    assert!(!r.passed(), "a spoiled gradient passed: {}", r.worst);
}

/// Every other test of this file again on the AVX2 kernels, where this
/// machine would use AVX-512: both paths stay covered.
#[test]
fn every_test_here_passes_on_the_avx2_path_too() {
    aedetect_tensor::assert_test_binary_passes_on(
        aedetect_tensor::Isa::Avx2,
        "every_test_here_passes_on_the_avx2_path_too",
    );
}

#[test]
fn lstm_autoencoder() {
    // Windows of 4 steps × 2 values; every weight of both LSTMs, the code,
    // the per-step output layer, and the input.
    let x = Tensor::from_vec(&[3, 8], (0..24).map(|i| (i as f32 * 0.61).sin()).collect());
    for seed in 0..3 {
        let cfg = LstmAeConfig {
            steps: 4,
            hidden: 3,
            latent: 2,
            seed,
        };
        let mut ae = LstmAutoencoder::new(8, cfg).unwrap();
        assert_passes(
            &format!("LSTM AE seed {seed}"),
            &check_layer(&mut ae.net, &x, 1, TOL),
        );
    }
}
