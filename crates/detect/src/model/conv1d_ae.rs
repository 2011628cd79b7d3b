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
//! squeeze happens in the dense bottleneck. It trains and scores with MSE or,
//! for [0, 1] data, BCE on its output logits, as the dense autoencoder does.

use super::reconstruction::Reconstruction;
use super::sequential_ae::{Architecture, SequentialAutoencoder};
use super::{Model, ModelSpec};
use crate::error::{DetectError, Result};
use aedetect_nn::layers::{Conv1d, Linear, Relu, Reshape};
use aedetect_nn::Sequential;
use aedetect_tensor::rng;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conv1dAeConfig {
    /// Channels of the encoder's convolutions (the decoder mirrors them).
    pub channels: Vec<usize>,
    /// Kernel length (odd).
    pub kernel: usize,
    /// Width of the dense bottleneck.
    pub bottleneck: usize,
    pub seed: u64,
    /// Training loss and score (absent from older model files, and not
    /// written for MSE, so those files stay as they were: MSE).
    #[serde(default, skip_serializing_if = "is_mse")]
    pub reconstruction: Reconstruction,
}

fn is_mse(r: &Reconstruction) -> bool {
    *r == Reconstruction::Mse
}

impl Conv1dAeConfig {
    /// Sized to `d` features: channels 8 and 16, kernel 3, bottleneck max(2, d/4).
    pub fn sized_to(d: usize) -> Self {
        Conv1dAeConfig {
            channels: vec![8, 16],
            kernel: 3,
            bottleneck: (d / 4).max(2),
            seed: 0,
            reconstruction: Reconstruction::Mse,
        }
    }
}

impl ModelSpec for Conv1dAeConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Conv1dAutoencoder::new(inputs, self.clone())?))
    }
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        // Each convolution c_in → c holds c·c_in·k + c values.
        let conv = |c_in: usize, c: usize| {
            c.checked_mul(c_in)?
                .checked_mul(self.kernel)?
                .checked_add(c)
        };
        // No channels: no model to count (building it says why).
        let Some(&last) = self.channels.last() else {
            return Some(0);
        };
        let mut n = 0usize;
        let mut c_in = 1;
        for &c in &self.channels {
            n = n.checked_add(conv(c_in, c)?)?;
            c_in = c;
        }
        let flat = last.checked_mul(inputs)?;
        n = n.checked_add(super::linear_chain(&[flat, self.bottleneck, flat])?)?;
        for c in self.channels.iter().rev().skip(1).copied().chain([1]) {
            n = n.checked_add(conv(c_in, c)?)?;
            c_in = c;
        }
        Some(n)
    }
    /// Per convolution its im2col columns (c_in·k·L) and two c·L outputs;
    /// the dense middle and the reshapes: a bound on everything kept.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let mut n = 0usize;
        let mut c_in = 1usize;
        let convs = self
            .channels
            .iter()
            .copied()
            .chain(self.channels.iter().rev().skip(1).copied())
            .chain([1]);
        for c in convs {
            let per = c_in
                .checked_mul(self.kernel)?
                .checked_add(c.checked_mul(2)?)?;
            n = n.checked_add(per.checked_mul(inputs)?)?;
            c_in = c;
        }
        let flat = self
            .channels
            .last()
            .copied()
            .unwrap_or(1)
            .checked_mul(inputs)?;
        n.checked_add(flat.checked_mul(4)?)?
            .checked_add(self.bottleneck.checked_mul(2)?)?
            .checked_add(inputs.checked_mul(3)?)
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// The 1-D convolutional autoencoder: a [`SequentialAutoencoder`] built by
/// [`Conv1dAeConfig`].
pub type Conv1dAutoencoder = SequentialAutoencoder<Conv1dAeConfig>;

impl Architecture for Conv1dAeConfig {
    fn build_net(&self, inputs: usize) -> Result<Sequential> {
        if inputs == 0 {
            return Err(DetectError::Config(
                "a convolutional autoencoder needs at least one input feature".into(),
            ));
        }
        if self.channels.is_empty() || self.channels.contains(&0) || self.bottleneck == 0 {
            return Err(DetectError::Config(format!(
                "channels must be non-empty and positive and the bottleneck positive, got {:?} and {}",
                self.channels, self.bottleneck
            )));
        }
        if self.kernel.is_multiple_of(2) {
            return Err(DetectError::Config(format!(
                "the kernel length must be odd (same padding), got {}",
                self.kernel
            )));
        }
        let (k, pad) = (self.kernel, self.kernel / 2);
        let mut r = rng::seeded(self.seed);
        let mut net = Sequential::new();
        net.push(Box::new(Reshape::new(&[1, inputs])));
        let mut c_in = 1;
        for &c in &self.channels {
            net.push(Box::new(Conv1d::new(c_in, c, k, 1, pad, &mut r)));
            net.push(Box::new(Relu::new()));
            c_in = c;
        }
        let flat = c_in * inputs;
        net.push(Box::new(Reshape::flatten()));
        net.push(Box::new(Linear::new(flat, self.bottleneck, &mut r)));
        net.push(Box::new(Relu::new()));
        net.push(Box::new(Linear::new(self.bottleneck, flat, &mut r)));
        net.push(Box::new(Relu::new()));
        net.push(Box::new(Reshape::new(&[c_in, inputs])));
        let outs = self.channels.iter().rev().skip(1).copied().chain([1]);
        let n_out = self.channels.len();
        for (i, c) in outs.enumerate() {
            net.push(Box::new(Conv1d::new(c_in, c, k, 1, pad, &mut r)));
            if i + 1 < n_out {
                net.push(Box::new(Relu::new()));
            }
            c_in = c;
        }
        net.push(Box::new(Reshape::flatten()));
        Ok(net)
    }

    fn reconstruction(&self) -> Reconstruction {
        self.reconstruction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_nn::{Layer, Mode};
    use aedetect_tensor::Tensor;

    #[test]
    fn shapes_and_architecture() {
        let mut ae = Conv1dAutoencoder::new(10, Conv1dAeConfig::sized_to(10)).unwrap();
        let x = Tensor::from_vec(&[3, 10], (0..30).map(|i| i as f32 * 0.1).collect());
        assert_eq!(ae.net.forward(&x, Mode::Eval).shape(), &[3, 10]);
        let d = ae.net.describe();
        assert_eq!(d.matches("Conv1d").count(), 4, "{d}");
        assert!(Conv1dAutoencoder::new(
            10,
            Conv1dAeConfig {
                kernel: 4,
                ..Conv1dAeConfig::sized_to(10)
            }
        )
        .is_err());
        assert!(Conv1dAutoencoder::new(0, Conv1dAeConfig::sized_to(1)).is_err());
    }
}
