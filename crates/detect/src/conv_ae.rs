//! The 1-D convolutional autoencoder: each row of d features is read as a
//! one-channel signal of length d (a window of a time series, or features
//! whose order means something), so the encoder learns local patterns shared
//! along the row.
//!
//! ```text
//! [N, d] → reshape [N, 1, d] → Conv1d(1 → c₁, k) → ReLU → … → Conv1d(→ c_m, k) → ReLU
//!        → flatten [N, c_m·d] → Linear(→ bottleneck) → ReLU                       (encoder)
//!        → Linear(→ c_m·d) → ReLU → reshape [N, c_m, d]
//!        → Conv1d(c_m → c_{m−1}, k) → ReLU → … → Conv1d(c₁ → 1, k) → flatten [N, d] (decoder)
//! ```
//!
//! Every convolution has stride 1 and "same" padding (k odd, p = (k − 1)/2),
//! so the length stays d throughout and the decoder needs no upsampling; the
//! squeeze happens in the dense bottleneck.

use crate::error::{DetectError, Result};
use aedetect_nn::layers::{Conv1d, Linear, Relu, Reshape};
use aedetect_nn::Sequential;
use aedetect_tensor::rng;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConvAeConfig {
    /// Channels of the encoder's convolutions (the decoder mirrors them).
    pub channels: Vec<usize>,
    /// Kernel length (odd).
    pub kernel: usize,
    /// Width of the dense bottleneck.
    pub bottleneck: usize,
    pub seed: u64,
}

impl ConvAeConfig {
    /// Sized to `d` features: channels 8 and 16, kernel 3, bottleneck max(2, d/4).
    pub fn sized_to(d: usize) -> Self {
        ConvAeConfig {
            channels: vec![8, 16],
            kernel: 3,
            bottleneck: (d / 4).max(2),
            seed: 0,
        }
    }
}

pub struct ConvAutoencoder {
    pub net: Sequential,
    pub inputs: usize,
    pub config: ConvAeConfig,
}

impl ConvAutoencoder {
    /// Builds the network for rows of `inputs` features, initialised from
    /// `config.seed` in layer order.
    pub fn new(inputs: usize, config: ConvAeConfig) -> Result<Self> {
        if inputs == 0 {
            return Err(DetectError::Config(
                "a convolutional autoencoder needs at least one input feature".into(),
            ));
        }
        if config.channels.is_empty() || config.channels.contains(&0) || config.bottleneck == 0 {
            return Err(DetectError::Config(format!(
                "channels must be non-empty and positive and the bottleneck positive, got {:?} and {}",
                config.channels, config.bottleneck
            )));
        }
        if config.kernel.is_multiple_of(2) {
            return Err(DetectError::Config(format!(
                "the kernel length must be odd (same padding), got {}",
                config.kernel
            )));
        }
        let (k, pad) = (config.kernel, config.kernel / 2);
        let mut r = rng::seeded(config.seed);
        let mut net = Sequential::new();
        net.push(Box::new(Reshape::new(&[1, inputs])));
        let mut c_in = 1;
        for &c in &config.channels {
            net.push(Box::new(Conv1d::new(c_in, c, k, 1, pad, &mut r)));
            net.push(Box::new(Relu::new()));
            c_in = c;
        }
        let flat = c_in * inputs;
        net.push(Box::new(Reshape::flatten()));
        net.push(Box::new(Linear::new(flat, config.bottleneck, &mut r)));
        net.push(Box::new(Relu::new()));
        net.push(Box::new(Linear::new(config.bottleneck, flat, &mut r)));
        net.push(Box::new(Relu::new()));
        net.push(Box::new(Reshape::new(&[c_in, inputs])));
        let outs = config.channels.iter().rev().skip(1).copied().chain([1]);
        let n_out = config.channels.len();
        for (i, c) in outs.enumerate() {
            net.push(Box::new(Conv1d::new(c_in, c, k, 1, pad, &mut r)));
            if i + 1 < n_out {
                net.push(Box::new(Relu::new()));
            }
            c_in = c;
        }
        net.push(Box::new(Reshape::flatten()));
        Ok(ConvAutoencoder {
            net,
            inputs,
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_nn::gradcheck::{check_layer, Tolerance};
    use aedetect_nn::{Layer, Mode};
    use aedetect_tensor::Tensor;

    #[test]
    fn shapes_and_architecture() {
        let mut ae = ConvAutoencoder::new(10, ConvAeConfig::sized_to(10)).unwrap();
        let x = Tensor::from_vec(&[3, 10], (0..30).map(|i| i as f32 * 0.1).collect());
        assert_eq!(ae.net.forward(&x, Mode::Eval).shape(), &[3, 10]);
        let d = ae.net.describe();
        assert_eq!(d.matches("Conv1d").count(), 4, "{d}");
        assert!(ConvAutoencoder::new(
            10,
            ConvAeConfig {
                kernel: 4,
                ..ConvAeConfig::sized_to(10)
            }
        )
        .is_err());
        assert!(ConvAutoencoder::new(0, ConvAeConfig::sized_to(1)).is_err());
    }

    #[test]
    fn gradients_match_finite_differences() {
        let cfg = ConvAeConfig {
            channels: vec![2, 3],
            kernel: 3,
            bottleneck: 2,
            seed: 4,
        };
        // A small step: with eps = 1e-2 a nudge can cross a ReLU kink of this
        // many-unit network and the numeric slope is then half the truth.
        let tol = Tolerance {
            eps: 1e-3,
            ..Tolerance::default()
        };
        let x = Tensor::from_vec(&[2, 5], (0..10).map(|i| (i as f32 * 0.37).sin()).collect());
        for seed in 0..4 {
            let mut ae = ConvAutoencoder::new(
                5,
                ConvAeConfig {
                    seed,
                    ..cfg.clone()
                },
            )
            .unwrap();
            let r = check_layer(&mut ae.net, &x, 1, tol);
            assert!(r.checked > 0 && r.passed(), "seed {seed}: {}", r.worst);
        }
    }
}
