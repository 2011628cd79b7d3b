//! The 2-D convolutional autoencoder for images: stride-2 convolutions
//! halve the picture, a linear bottleneck squeezes it, transposed
//! convolutions double it back.
//!
//! ```text
//! [N, C·H·W] → reshape [N, C, H, W]
//!   → Conv2d(C → c₁, k, s2) → ReLU (→ Dropout) → … → Conv2d(→ c_m, k, s2) → ReLU (→ Dropout)
//!   → flatten → Linear(c_m·h_m·w_m → latent)                                   (encoder)
//!   → Linear(latent → c_m·h_m·w_m) → ReLU → reshape [N, c_m, h_m, w_m]
//!   → ConvT(c_m → c_{m−1}, k, s2) → ReLU → … → ConvT(c₁ → C, k, s2) → flatten   (decoder)
//! ```
//!
//! The convolutions on either side, and how the transposed ones restore
//! odd and even sides exactly, are [`ConvStack`]'s (shared with the
//! convolutional VAE). The output is a logit per pixel: trained and scored
//! with BCE on logits for pixels in [0, 1] (the default), or MSE.
//!
//! `Conv2dAeConfig::reference(shape)` is the issue's comparison network,
//! Conv2d(1,16,3,s2,p1)–ReLU–Conv2d(16,32,3,s2,p1)–ReLU–Linear(1568,32)–
//! Linear(32,1568)–ReLU–ConvT(32,16)–ReLU–ConvT(16,1) on 28×28.

use super::conv2d_stack::ConvStack;
use super::reconstruction::Reconstruction;
use super::sequential_ae::{Architecture, SequentialAutoencoder};
use super::{Model, ModelSpec};
use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use aedetect_nn::layers::{Linear, Relu};
use aedetect_nn::Sequential;
use aedetect_tensor::rng;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conv2dAeConfig {
    /// The images it reads: rows must hold channels · height · width values.
    pub image: ImageShape,
    /// Output channels of the encoder's stride-2 convolutions (the decoder
    /// mirrors them); each halves both sides.
    pub channels: Vec<usize>,
    /// Kernel side (odd).
    pub kernel: usize,
    /// Width of the linear bottleneck.
    pub latent: usize,
    /// Dropout probability after each encoder convolution's ReLU (0 = none).
    #[serde(default)]
    pub dropout: f32,
    /// Seed for the weights and the dropout masks.
    pub seed: u64,
    pub reconstruction: Reconstruction,
}

impl Conv2dAeConfig {
    /// The reference network for `image`: channels 16 and 32, kernel 3,
    /// latent 32, no dropout, BCE on logits.
    pub fn reference(image: ImageShape) -> Self {
        Conv2dAeConfig {
            image,
            channels: vec![16, 32],
            kernel: 3,
            latent: 32,
            dropout: 0.0,
            seed: 0,
            reconstruction: Reconstruction::Bce,
        }
    }

    /// Layers of the built chain up to and including the bottleneck's
    /// Linear (whose output is the code): the reshape, per convolution its
    /// ReLU and dropout, the flatten.
    pub fn encoder_len(&self) -> usize {
        1 + self.channels.len() * if self.dropout > 0.0 { 3 } else { 2 } + 2
    }

    /// The encoder's convolutions and the decoder's transposed ones.
    pub(crate) fn stack(&self) -> ConvStack<'_> {
        ConvStack {
            image: self.image,
            channels: &self.channels,
            kernel: self.kernel,
        }
    }

    fn check(&self, inputs: usize) -> Result<()> {
        let values = self.image.values();
        if values != Some(inputs) || inputs == 0 {
            return Err(DetectError::Config(format!(
                "a 2-D convolutional autoencoder for {} images reads rows of {} values, got {inputs}",
                self.image,
                values.map_or("too many".to_string(), |v| v.to_string())
            )));
        }
        self.stack().check()?;
        if self.latent == 0 {
            return Err(DetectError::Config(
                "the latent size must be positive, got 0".into(),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(DetectError::Config(format!(
                "dropout must be in [0, 1), got {}",
                self.dropout
            )));
        }
        Ok(())
    }
}

impl ModelSpec for Conv2dAeConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Conv2dAutoencoder::new(inputs, self.clone())?))
    }

    fn parameter_count(&self, _inputs: usize) -> Option<usize> {
        let flat = self.stack().flat()?;
        let bottleneck = super::linear_chain(&[flat, self.latent, flat])?;
        self.stack().parameter_count()?.checked_add(bottleneck)
    }

    /// The convolution stack's activations, then the bottleneck's: the
    /// flattened map's copies and the code.
    fn activations_per_row(&self, _inputs: usize) -> Option<usize> {
        self.stack()
            .activations_per_row()?
            .checked_add(self.stack().flat()?.checked_mul(4)?)?
            .checked_add(self.latent)
    }

    fn seed(&self) -> u64 {
        self.seed
    }

    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// The 2-D convolutional autoencoder: a [`SequentialAutoencoder`] built by
/// [`Conv2dAeConfig`].
pub type Conv2dAutoencoder = SequentialAutoencoder<Conv2dAeConfig>;

impl Architecture for Conv2dAeConfig {
    fn build_net(&self, inputs: usize) -> Result<Sequential> {
        self.check(inputs)?;
        let stack = self.stack();
        let flat = stack.flat().expect("checked above");
        let mut r = rng::seeded(self.seed);
        let mut net = Sequential::new();
        stack.push_encoder(&mut net, self.dropout, self.seed, &mut r);
        net.push(Box::new(Linear::new(flat, self.latent, &mut r)));
        net.push(Box::new(Linear::new(self.latent, flat, &mut r)));
        net.push(Box::new(Relu::new()));
        stack.push_decoder(&mut net, &mut r);
        Ok(net)
    }

    fn reconstruction(&self) -> Reconstruction {
        self.reconstruction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_nn::{Layer, Mode, Parameters};
    use aedetect_tensor::Tensor;

    fn forward_shape(image: ImageShape, cfg: Conv2dAeConfig) -> Vec<usize> {
        let d = image.values().unwrap();
        let mut ae = Conv2dAutoencoder::new(d, cfg).unwrap();
        let x = Tensor::from_vec(&[2, d], (0..2 * d).map(|i| (i % 7) as f32 / 7.0).collect());
        ae.net.forward(&x, Mode::Eval).shape().to_vec()
    }

    /// The reference network has the layers and parameter count the issue
    /// names (PyTorch's count for the same modules: 111,521).
    #[test]
    fn reference_architecture() {
        let image = ImageShape::new(1, 28, 28);
        let ae = Conv2dAutoencoder::new(784, Conv2dAeConfig::reference(image)).unwrap();
        assert_eq!(
            ae.net.describe(),
            "Reshape[1, 28, 28] → Conv2d(1 → 16, k=3×3, s=2×2, p=1×1) → ReLU \
             → Conv2d(16 → 32, k=3×3, s=2×2, p=1×1) → ReLU → Flatten → Linear(1568 → 32) \
             → Linear(32 → 1568) → ReLU → Reshape[32, 7, 7] \
             → ConvTranspose2d(32 → 16, k=3×3, s=2, p=1, op=1) → ReLU \
             → ConvTranspose2d(16 → 1, k=3×3, s=2, p=1, op=1) → Flatten"
        );
        assert_eq!(ae.net.num_params(), 111_521);
        assert_eq!(
            forward_shape(image, Conv2dAeConfig::reference(image)),
            [2, 784]
        );
    }

    /// Odd, non-square and colour images round-trip to their own size.
    #[test]
    fn odd_and_colour_shapes_round_trip() {
        for image in [
            ImageShape::new(1, 27, 28),
            ImageShape::new(3, 9, 13),
            ImageShape::new(1, 5, 5),
            ImageShape::new(3, 1, 8),
        ] {
            for channels in [vec![4], vec![4, 6], vec![2, 3, 5]] {
                let cfg = Conv2dAeConfig {
                    channels,
                    latent: 3,
                    dropout: 0.1,
                    ..Conv2dAeConfig::reference(image)
                };
                let d = image.values().unwrap();
                assert_eq!(forward_shape(image, cfg), [2, d], "{image}");
            }
        }
    }

    #[test]
    fn encoder_len_ends_at_the_code() {
        for dropout in [0.0, 0.2] {
            let cfg = Conv2dAeConfig {
                dropout,
                ..Conv2dAeConfig::reference(ImageShape::new(1, 28, 28))
            };
            let ae = Conv2dAutoencoder::new(784, cfg.clone()).unwrap();
            let layers = ae.net.layers();
            assert_eq!(
                layers[cfg.encoder_len() - 1].describe(),
                "Linear(1568 → 32)"
            );
        }
    }

    #[test]
    fn bad_configs_are_refused() {
        let image = ImageShape::new(1, 8, 8);
        let ok = Conv2dAeConfig::reference(image);
        assert!(Conv2dAutoencoder::new(63, ok.clone()).is_err());
        for bad in [
            Conv2dAeConfig {
                kernel: 4,
                ..ok.clone()
            },
            Conv2dAeConfig {
                channels: vec![],
                ..ok.clone()
            },
            Conv2dAeConfig {
                channels: vec![3, 0],
                ..ok.clone()
            },
            Conv2dAeConfig {
                latent: 0,
                ..ok.clone()
            },
            Conv2dAeConfig {
                dropout: 1.0,
                ..ok.clone()
            },
        ] {
            assert!(Conv2dAutoencoder::new(64, bad).is_err());
        }
    }
}
