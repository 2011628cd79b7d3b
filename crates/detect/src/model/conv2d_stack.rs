//! The stride-2 convolution stack that the 2-D convolutional autoencoder
//! and the convolutional VAE share: an encoder that halves the picture per
//! layer and a decoder of transposed convolutions that doubles it back to
//! the exact input size. What sits between them (a linear bottleneck, or
//! the VAE's μ and log σ² heads) is the model's own.
//!
//! ```text
//! encoder: [N, C·H·W] → reshape [N, C, H, W]
//!          → Conv2d(C → c₁, k, s2) → ReLU (→ Dropout) → … → Conv2d(→ c_m) → ReLU (→ Dropout)
//!          → flatten [N, c_m·h_m·w_m]
//! decoder: [N, c_m·h_m·w_m] → reshape [N, c_m, h_m, w_m]
//!          → ConvT(c_m → c_{m−1}, k, s2) → ReLU → … → ConvT(c₁ → C, k, s2) → flatten [N, C·H·W]
//! ```
//!
//! With an odd kernel k and padding (k − 1)/2 a stride-2 convolution maps a
//! side of h to ⌈h/2⌉ (28 → 14 → 7; 27 → 14). A transposed one maps h′ to
//! 2h′ − 1 + output_padding, so each decoder layer takes output_padding =
//! h − (2⌈h/2⌉ − 1) (1 for an even side, 0 for an odd one) and every shape
//! round-trips. The decoder's last layer has no activation: its outputs are
//! logits (BCE) or values (MSE).

use super::sequential_ae::dropout_seed;
use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use aedetect_nn::layers::{Conv2d, ConvTranspose2d, Dropout, Relu, Reshape};
use aedetect_nn::Sequential;
use aedetect_tensor::Rng;

/// The convolution stack for `image`: encoder output channels `channels`
/// (the decoder mirrors them), square kernels of side `kernel` (odd).
#[derive(Clone, Copy)]
pub(crate) struct ConvStack<'a> {
    pub image: ImageShape,
    pub channels: &'a [usize],
    pub kernel: usize,
}

impl ConvStack<'_> {
    /// Refuses empty or zero channels and an even kernel.
    pub fn check(&self) -> Result<()> {
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err(DetectError::Config(format!(
                "convolution channels must be non-empty and positive, got {:?}",
                self.channels
            )));
        }
        if self.kernel.is_multiple_of(2) {
            return Err(DetectError::Config(format!(
                "the kernel side must be odd, got {}",
                self.kernel
            )));
        }
        Ok(())
    }

    /// The sides after each encoder convolution, starting with the image's:
    /// [(H, W), (⌈H/2⌉, ⌈W/2⌉), …].
    pub fn sides(&self) -> Vec<(usize, usize)> {
        let mut sides = vec![(self.image.height, self.image.width)];
        for _ in self.channels {
            let (h, w) = sides[sides.len() - 1];
            sides.push((h.div_ceil(2), w.div_ceil(2)));
        }
        sides
    }

    /// Output channels of the decoder's transposed convolutions: the
    /// encoder's in reverse, ending with the image's.
    pub fn decoder_channels(&self) -> impl Iterator<Item = usize> + '_ {
        let encoder = self.channels.iter().rev().skip(1).copied();
        encoder.chain([self.image.channels])
    }

    /// Values in the encoder's flattened output (and the decoder's input).
    pub fn flat(&self) -> Option<usize> {
        let (h, w) = *self.sides().last()?;
        self.channels.last()?.checked_mul(h)?.checked_mul(w)
    }

    /// Weights and biases of both sides' convolutions: c·c′·k² + c′ each.
    pub fn parameter_count(&self) -> Option<usize> {
        let k2 = self.kernel.checked_mul(self.kernel)?;
        let conv = |a: usize, b: usize| a.checked_mul(b)?.checked_mul(k2)?.checked_add(b);
        let mut n = 0usize;
        let mut c_in = self.image.channels;
        for &c in self.channels {
            n = n.checked_add(conv(c_in, c)?)?;
            c_in = c;
        }
        for c in self.decoder_channels() {
            n = n.checked_add(conv(c_in, c)?)?;
            c_in = c;
        }
        Some(n)
    }

    /// A bound on the values both sides keep per row: per encoder
    /// convolution its im2col columns (c_in·k² per output pixel) and three
    /// copies of its output (conv, ReLU, dropout); per decoder layer its
    /// input copy, columns and output; the input's reshape copies.
    pub fn activations_per_row(&self) -> Option<usize> {
        let k2 = self.kernel.checked_mul(self.kernel)?;
        let sides = self.sides();
        let mut n = self.image.values()?.checked_mul(3)?;
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
        Some(n)
    }

    /// Appends the encoder to `net`, drawing weights from `r` in layer
    /// order; a `dropout` > 0 follows each ReLU, its masks seeded from
    /// `seed`. Ends with the flatten to [N, flat].
    pub fn push_encoder(&self, net: &mut Sequential, dropout: f32, seed: u64, r: &mut Rng) {
        let img = self.image;
        let (k, pad) = (self.kernel, self.kernel / 2);
        net.push(Box::new(Reshape::new(&[
            img.channels,
            img.height,
            img.width,
        ])));
        let mut c_in = img.channels;
        for (i, &c) in self.channels.iter().enumerate() {
            net.push(Box::new(Conv2d::new(c_in, c, k, 2, pad, r)));
            net.push(Box::new(Relu::new()));
            if dropout > 0.0 {
                net.push(Box::new(Dropout::new(dropout, dropout_seed(seed, i))));
            }
            c_in = c;
        }
        net.push(Box::new(Reshape::flatten()));
    }

    /// Appends the decoder to `net`: from [N, flat] back to [N, C·H·W].
    pub fn push_decoder(&self, net: &mut Sequential, r: &mut Rng) {
        let (k, pad) = (self.kernel, self.kernel / 2);
        let sides = self.sides();
        let (h, w) = sides[sides.len() - 1];
        let mut c_in = self.channels[self.channels.len() - 1];
        net.push(Box::new(Reshape::new(&[c_in, h, w])));
        let targets = sides.iter().rev().skip(1);
        let last = self.channels.len() - 1;
        for (i, (c, &(th, tw))) in self.decoder_channels().zip(targets).enumerate() {
            // The side this layer must restore, from the one it reads.
            let (ih, iw) = sides[sides.len() - 1 - i];
            let op = |target: usize, input: usize| target + 1 - 2 * input;
            let layer = ConvTranspose2d::new(c_in, c, k, 2, pad, 0, r)
                .with_output_padding(op(th, ih), op(tw, iw));
            net.push(Box::new(layer));
            if i < last {
                net.push(Box::new(Relu::new()));
            }
            c_in = c;
        }
        net.push(Box::new(Reshape::flatten()));
    }
}
