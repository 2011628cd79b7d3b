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
//! With an odd kernel k and padding (k − 1)/2 a stride-2 convolution maps a
//! side of h to ⌈h/2⌉ (28 → 14 → 7; 27 → 14). A transposed one maps h′ to
//! 2h′ − 1 + output_padding, so each decoder layer takes output_padding =
//! h − (2⌈h/2⌉ − 1) (1 for an even side, 0 for an odd one) and every shape
//! round-trips. The output is a logit per pixel: trained and scored with BCE
//! on logits for pixels in [0, 1] (the default), or MSE.
//!
//! `Conv2dAeConfig::reference(shape)` is the issue's comparison network,
//! Conv2d(1,16,3,s2,p1)–ReLU–Conv2d(16,32,3,s2,p1)–ReLU–Linear(1568,32)–
//! Linear(32,1568)–ReLU–ConvT(32,16)–ReLU–ConvT(16,1) on 28×28.

use super::reconstruction::Reconstruction;
use super::sequential_ae::{dropout_seed, Architecture, SequentialAutoencoder};
use super::{Model, ModelSpec};
use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Dropout, Linear, Relu, Reshape};
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

    /// The sides after each encoder convolution, starting with the image's:
    /// [(H, W), (⌈H/2⌉, ⌈W/2⌉), …].
    fn sides(&self) -> Vec<(usize, usize)> {
        let mut sides = vec![(self.image.height, self.image.width)];
        for _ in &self.channels {
            let (h, w) = sides[sides.len() - 1];
            sides.push((h.div_ceil(2), w.div_ceil(2)));
        }
        sides
    }

    /// Output channels of the decoder's transposed convolutions: the
    /// encoder's in reverse, ending with the image's.
    fn decoder_channels(&self) -> impl Iterator<Item = usize> + '_ {
        let encoder = self.channels.iter().rev().skip(1).copied();
        encoder.chain([self.image.channels])
    }

    /// Values in the flattened feature map before the bottleneck.
    fn flat(&self) -> Option<usize> {
        let (h, w) = *self.sides().last()?;
        self.channels.last()?.checked_mul(h)?.checked_mul(w)
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
        if self.channels.is_empty() || self.channels.contains(&0) || self.latent == 0 {
            return Err(DetectError::Config(format!(
                "channels must be non-empty and positive and the latent size positive, got {:?} and {}",
                self.channels, self.latent
            )));
        }
        if self.kernel.is_multiple_of(2) {
            return Err(DetectError::Config(format!(
                "the kernel side must be odd, got {}",
                self.kernel
            )));
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
        // A (transposed) convolution between c and c′ channels holds
        // c·c′·k² weights and one bias per output channel.
        let k2 = self.kernel.checked_mul(self.kernel)?;
        let conv =
            |a: usize, b: usize, bias: usize| a.checked_mul(b)?.checked_mul(k2)?.checked_add(bias);
        let mut n = 0usize;
        let mut c_in = self.image.channels;
        for &c in &self.channels {
            n = n.checked_add(conv(c_in, c, c)?)?;
            c_in = c;
        }
        n = n.checked_add(super::linear_chain(&[
            self.flat()?,
            self.latent,
            self.flat()?,
        ])?)?;
        for c in self.decoder_channels() {
            n = n.checked_add(conv(c_in, c, c)?)?;
            c_in = c;
        }
        Some(n)
    }

    /// Per encoder convolution its im2col columns (c_in·k² per output
    /// pixel) and three copies of its output (conv, ReLU, dropout); per
    /// decoder layer its input copy, columns and output; the reshapes and
    /// the bottleneck: a bound on everything a forward pass keeps.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let k2 = self.kernel.checked_mul(self.kernel)?;
        let sides = self.sides();
        let mut n = inputs.checked_mul(3)?;
        let mut c_in = self.image.channels;
        for (&c, &(h, w)) in self.channels.iter().zip(&sides[1..]) {
            let px = h.checked_mul(w)?;
            let per = c_in.checked_mul(k2)?.checked_add(c.checked_mul(3)?)?;
            n = n.checked_add(px.checked_mul(per)?)?;
            c_in = c;
        }
        for (c, &(h, w)) in self.decoder_channels().zip(sides.iter().rev().skip(1)) {
            let px = h.checked_mul(w)?;
            let per = c.checked_mul(k2)?.checked_add(c.checked_mul(2)?)?;
            n = n
                .checked_add(px.checked_mul(per)?)?
                .checked_add(c_in.checked_mul(px)?)?;
            c_in = c;
        }
        n.checked_add(self.flat()?.checked_mul(4)?)?
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
        let (k, pad) = (self.kernel, self.kernel / 2);
        let sides = self.sides();
        let mut r = rng::seeded(self.seed);
        let mut net = Sequential::new();
        let img = self.image;
        net.push(Box::new(Reshape::new(&[
            img.channels,
            img.height,
            img.width,
        ])));
        let mut c_in = img.channels;
        for (i, &c) in self.channels.iter().enumerate() {
            net.push(Box::new(Conv2d::new(c_in, c, k, 2, pad, &mut r)));
            net.push(Box::new(Relu::new()));
            if self.dropout > 0.0 {
                net.push(Box::new(Dropout::new(
                    self.dropout,
                    dropout_seed(self.seed, i),
                )));
            }
            c_in = c;
        }
        let flat = self.flat().expect("checked above");
        let (h, w) = sides[sides.len() - 1];
        net.push(Box::new(Reshape::flatten()));
        net.push(Box::new(Linear::new(flat, self.latent, &mut r)));
        net.push(Box::new(Linear::new(self.latent, flat, &mut r)));
        net.push(Box::new(Relu::new()));
        net.push(Box::new(Reshape::new(&[c_in, h, w])));
        let outs = self.decoder_channels();
        let targets = sides.iter().rev().skip(1);
        let last = self.channels.len() - 1;
        for (i, (c, &(th, tw))) in outs.zip(targets).enumerate() {
            // The side this layer must restore, from the one it reads.
            let (ih, iw) = sides[sides.len() - 1 - i];
            let op = |target: usize, input: usize| target + 1 - 2 * input;
            let layer = ConvTranspose2d::new(c_in, c, k, 2, pad, 0, &mut r)
                .with_output_padding(op(th, ih), op(tw, iw));
            net.push(Box::new(layer));
            if i < last {
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
