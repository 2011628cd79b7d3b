//! The LSTM autoencoder for windows of a time series: an encoder LSTM reads
//! the window step by step and its last hidden state, squeezed through a
//! linear code, is repeated over every step for a decoder LSTM, whose hidden
//! states a per-step linear layer maps back to the step's values.
//!
//! ```text
//! [N, W·F] → reshape [N, W, F] → LSTM(F → H) → last step [N, H] → Linear(H → L)   (encoder: the code)
//!          → repeat [N, W, L] → LSTM(L → H) → per step Linear(H → F) → flatten [N, W·F] (decoder)
//! ```
//!
//! The decoder is fed the repeated code, not the true previous step
//! (teacher forcing): a decoder that sees the window's own values could
//! copy them, and would reconstruct an anomaly as easily as a normal window.
//! With only the code to go on, everything it reproduces must pass through
//! the L numbers of the bottleneck.

use super::reconstruction::Reconstruction;
use super::sequential_ae::{Architecture, SequentialAutoencoder};
use super::{Model, ModelSpec};
use crate::error::{DetectError, Result};
use aedetect_nn::layers::{LastStep, Linear, Lstm, RepeatSteps, Reshape, TimeDistributed};
use aedetect_nn::Sequential;
use aedetect_tensor::rng;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LstmAeConfig {
    /// Steps per window (W); a row of inputs holds W steps of inputs/W values.
    pub steps: usize,
    /// Hidden units of both LSTMs (H).
    pub hidden: usize,
    /// Width of the code (L).
    pub latent: usize,
    pub seed: u64,
}

impl LstmAeConfig {
    /// For windows of `steps` steps: 32 hidden units and a code of 8.
    pub fn for_steps(steps: usize) -> Self {
        LstmAeConfig {
            steps,
            hidden: 32,
            latent: 8,
            seed: 0,
        }
    }

    /// Values per step for rows of `inputs` values.
    fn features(&self, inputs: usize) -> Option<usize> {
        (self.steps > 0 && inputs.is_multiple_of(self.steps)).then(|| inputs / self.steps)
    }
}

impl ModelSpec for LstmAeConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(LstmAutoencoder::new(inputs, self.clone())?))
    }
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let f = self.features(inputs)?;
        let h = self.hidden;
        // An LSTM D → H holds 4H·D + 4H·H + 2·4H values.
        let lstm = |d: usize| {
            let g = h.checked_mul(4)?;
            g.checked_mul(d)?
                .checked_add(g.checked_mul(h)?)?
                .checked_add(g.checked_mul(2)?)
        };
        lstm(f)?
            .checked_add(super::linear_chain(&[h, self.latent])?)?
            .checked_add(lstm(self.latent)?)?
            .checked_add(super::linear_chain(&[h, f])?)
    }
    /// Per step of each LSTM: its gates (4H, and 4H of gradients), h and c,
    /// the output; the input, the repeated code and the output rows.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let per_step = self
            .hidden
            .checked_mul(12)?
            .checked_add(self.latent.checked_mul(2)?)?;
        self.steps
            .checked_mul(per_step)?
            .checked_mul(2)?
            .checked_add(inputs.checked_mul(6)?)
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// The LSTM autoencoder: a [`SequentialAutoencoder`] built by [`LstmAeConfig`].
pub type LstmAutoencoder = SequentialAutoencoder<LstmAeConfig>;

impl Architecture for LstmAeConfig {
    fn build_net(&self, inputs: usize) -> Result<Sequential> {
        let Some(f) = self.features(inputs).filter(|&f| f > 0) else {
            return Err(DetectError::Config(format!(
                "an LSTM autoencoder over {} steps needs rows of a positive multiple of {} values, got {inputs}",
                self.steps, self.steps
            )));
        };
        if self.hidden == 0 || self.latent == 0 {
            return Err(DetectError::Config(format!(
                "hidden units and code width must be positive, got {} and {}",
                self.hidden, self.latent
            )));
        }
        let (w, h, l) = (self.steps, self.hidden, self.latent);
        let mut r = rng::seeded(self.seed);
        let mut net = Sequential::new();
        net.push(Box::new(Reshape::new(&[w, f])));
        net.push(Box::new(Lstm::new(f, h, &mut r)));
        net.push(Box::new(LastStep::new()));
        net.push(Box::new(Linear::new(h, l, &mut r)));
        net.push(Box::new(RepeatSteps::new(w)));
        net.push(Box::new(Lstm::new(l, h, &mut r)));
        net.push(Box::new(TimeDistributed::new(Box::new(Linear::new(
            h, f, &mut r,
        )))));
        net.push(Box::new(Reshape::flatten()));
        Ok(net)
    }

    fn reconstruction(&self) -> Reconstruction {
        Reconstruction::Mse
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_nn::{Layer, Mode, Parameters};
    use aedetect_tensor::Tensor;

    #[test]
    fn shapes_parameters_and_bad_configs() {
        let cfg = LstmAeConfig {
            steps: 5,
            hidden: 6,
            latent: 3,
            seed: 1,
        };
        let mut ae = LstmAutoencoder::new(10, cfg.clone()).unwrap();
        let x = Tensor::from_vec(&[3, 10], (0..30).map(|i| (i as f32 * 0.3).sin()).collect());
        assert_eq!(ae.net.forward(&x, Mode::Eval).shape(), &[3, 10]);
        assert_eq!(Some(ae.net.num_params()), cfg.parameter_count(10));
        let d = ae.net.describe();
        assert!(
            d.contains("LastStep") && d.contains("RepeatSteps(5)"),
            "{d}"
        );
        assert!(LstmAutoencoder::new(11, cfg.clone()).is_err());
        assert!(LstmAutoencoder::new(
            10,
            LstmAeConfig {
                latent: 0,
                ..cfg.clone()
            }
        )
        .is_err());
        assert_eq!(cfg.parameter_count(11), None);
    }
}
