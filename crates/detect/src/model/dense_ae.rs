//! The dense autoencoder: a mirrored stack of Linear + ReLU layers around a
//! bottleneck, reconstructing its input through a linear output layer.
//!
//! widths [d, h₁, …, h_k] give the encoder d → h₁ → … → h_k (each followed by
//! ReLU, and by dropout in the encoder when asked) and the decoder
//! h_k → … → h₁ → d. The seed tutorial's 20-12-6-12-20 network is
//! `hidden = [12, 6]` on 20 features.

use super::reconstruction::Reconstruction;
use super::sequential_ae::{dropout_seed, Architecture, SequentialAutoencoder};
use super::{Model, ModelSpec};
use crate::error::{DetectError, Result};
use aedetect_nn::layers::{Dropout, Linear, Relu};
use aedetect_nn::Sequential;
use aedetect_tensor::rng;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DenseAeConfig {
    /// Encoder widths after the input, ending with the bottleneck.
    pub hidden: Vec<usize>,
    /// Dropout probability after each encoder activation (0 = none).
    pub dropout: f32,
    /// Seed for the weights and the dropout masks.
    pub seed: u64,
    /// Training loss and score: squared error, or BCE on the output logits
    /// for data scaled to [0, 1]. (Absent from older model files: MSE.)
    #[serde(default)]
    pub reconstruction: Reconstruction,
}

impl DenseAeConfig {
    /// The seed tutorial's network: hidden widths 12 and 6.
    pub fn seed_recipe() -> Self {
        DenseAeConfig {
            hidden: vec![12, 6],
            dropout: 0.0,
            seed: 0,
            reconstruction: Reconstruction::Mse,
        }
    }

    /// The wide, dropout-regularised network that works across data sets:
    /// encoder widths 64 and 32, dropout 0.2 (see `ModelConfig::recommended`).
    pub fn wide() -> Self {
        DenseAeConfig {
            hidden: vec![64, 32],
            dropout: 0.2,
            seed: 0,
            reconstruction: Reconstruction::Mse,
        }
    }

    /// Layers of the built chain up to and including the bottleneck's
    /// activation (and its dropout): run them to read a row's code.
    pub fn encoder_len(&self) -> usize {
        self.hidden.len() * if self.dropout > 0.0 { 3 } else { 2 }
    }

    /// A default sized to `d` features: max(4, d/2) then a max(2, d/4) bottleneck.
    pub fn sized_to(d: usize) -> Self {
        DenseAeConfig {
            hidden: vec![(d / 2).max(4), (d / 4).max(2)],
            dropout: 0.0,
            seed: 0,
            reconstruction: Reconstruction::Mse,
        }
    }
}

impl ModelSpec for DenseAeConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(DenseAutoencoder::new(inputs, self.clone())?))
    }
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let mut widths = vec![inputs];
        widths.extend(&self.hidden);
        widths.extend(self.hidden.iter().rev().skip(1));
        widths.push(inputs);
        super::linear_chain(&widths)
    }
    /// Each layer's output, dropout's copies included: 2·Σ widths.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let mut widths = self
            .hidden
            .iter()
            .chain(self.hidden.iter())
            .chain([&inputs]);
        widths.try_fold(0usize, |n, w| n.checked_add(w.checked_mul(2)?))
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// The dense autoencoder: a [`SequentialAutoencoder`] built by
/// [`DenseAeConfig`].
pub type DenseAutoencoder = SequentialAutoencoder<DenseAeConfig>;

impl Architecture for DenseAeConfig {
    fn build_net(&self, inputs: usize) -> Result<Sequential> {
        if inputs == 0 {
            return Err(DetectError::Config(
                "an autoencoder needs at least one input feature".into(),
            ));
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(DetectError::Config(format!(
                "hidden widths must be non-empty and positive, got {:?}",
                self.hidden
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(DetectError::Config(format!(
                "dropout must be in [0, 1), got {}",
                self.dropout
            )));
        }
        let mut widths = vec![inputs];
        widths.extend_from_slice(&self.hidden);
        let encoder_layers = self.hidden.len();
        // Per encoder width: Linear, ReLU and (with dropout) Dropout; keep
        // `encoder_len` in step.
        widths.extend(self.hidden.iter().rev().skip(1));
        widths.push(inputs);

        let mut r = rng::seeded(self.seed);
        let mut net = Sequential::new();
        let layers = widths.len() - 1;
        for (i, pair) in widths.windows(2).enumerate() {
            net.push(Box::new(Linear::new(pair[0], pair[1], &mut r)));
            if i + 1 < layers {
                net.push(Box::new(Relu::new()));
                if i < encoder_layers && self.dropout > 0.0 {
                    net.push(Box::new(Dropout::new(
                        self.dropout,
                        dropout_seed(self.seed, i),
                    )));
                }
            }
        }
        Ok(net)
    }

    fn reconstruction(&self) -> Reconstruction {
        self.reconstruction
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_nn::{Layer, Parameters};

    #[test]
    fn seed_architecture() {
        let ae = DenseAutoencoder::new(20, DenseAeConfig::seed_recipe()).unwrap();
        assert_eq!(
            ae.net.describe(),
            "Linear(20 → 12) → ReLU → Linear(12 → 6) → ReLU → Linear(6 → 12) → ReLU → Linear(12 → 20)"
        );
        assert_eq!(
            ae.net.num_params(),
            20 * 12 + 12 + 12 * 6 + 6 + 6 * 12 + 12 + 12 * 20 + 20
        );
    }

    /// The first `encoder_len` layers end at the bottleneck's activation
    /// (or its dropout); the next layer is the decoder's first Linear.
    #[test]
    fn encoder_len_ends_at_the_bottleneck() {
        for dropout in [0.0, 0.2] {
            let cfg = DenseAeConfig {
                dropout,
                ..DenseAeConfig::seed_recipe()
            };
            let ae = DenseAutoencoder::new(20, cfg.clone()).unwrap();
            let layers = ae.net.layers();
            let last = layers[cfg.encoder_len() - 1].describe();
            assert!(last.starts_with(if dropout > 0.0 { "Dropout" } else { "ReLU" }));
            assert_eq!(layers[cfg.encoder_len()].describe(), "Linear(6 → 12)");
        }
    }

    #[test]
    fn dropout_only_in_encoder_and_bad_configs_rejected() {
        let cfg = DenseAeConfig {
            dropout: 0.1,
            ..DenseAeConfig::seed_recipe()
        };
        let ae = DenseAutoencoder::new(20, cfg).unwrap();
        assert_eq!(ae.net.describe().matches("Dropout").count(), 2);
        assert!(DenseAutoencoder::new(0, DenseAeConfig::seed_recipe()).is_err());
        assert!(DenseAutoencoder::new(
            5,
            DenseAeConfig {
                hidden: vec![],
                ..DenseAeConfig::seed_recipe()
            }
        )
        .is_err());
    }
}
