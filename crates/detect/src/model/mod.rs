//! Model kinds: one file each, one interface, one registry.
//!
//! * [`Model`] — what every kind does: train through [`crate::train`],
//!   score scaled rows into a buffer, visit its parameters (for optimizers
//!   and model files), describe itself, give its config, check a loaded file.
//! * [`ModelSpec`] — what every kind's config does: build the model, carry
//!   its seed.
//! * [`ModelConfig`] — the registry: one line per kind in `model_kinds!`,
//!   serialised into model files as `{"kind": "...", ...}`.
//!
//! Adding a kind: a new file here with its config (`impl ModelSpec`) and its
//! model — for a layer-chain autoencoder just `impl Architecture` for the
//! config and a [`SequentialAutoencoder`] alias; otherwise `impl Model` (and
//! `train::Trainable` if it learns by gradient descent) — a `mod` line, and
//! one line in the registry below (ARCHITECTURE.md, "Adding a model").

mod conv1d_ae;
mod dense_ae;
mod eigen;
mod ensemble;
mod iforest;
mod pca;
mod reconstruction;
mod sequential_ae;
mod vae;

pub use conv1d_ae::{Conv1dAeConfig, Conv1dAutoencoder};
pub use dense_ae::{DenseAeConfig, DenseAutoencoder};
pub use ensemble::{Ensemble, EnsembleConfig};
pub use iforest::{IForestConfig, IsolationForest};
pub use pca::{Pca, PcaConfig};
pub use reconstruction::{Reconstruction, ReconstructionLoss, SCORE_BATCH};
pub use sequential_ae::{Architecture, SequentialAutoencoder};
pub use vae::{Vae, VaeConfig, VaeScore};

pub use aedetect_nn::{Param, Parameters};

use crate::error::Result;
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_tensor::Tensor;
use serde::{Deserialize, Serialize};

/// A trained (or trainable) anomaly model working on scaled rows.
///
/// Its [`Parameters`] are everything a model file stores (weights, PCA
/// components, forest nodes, ensemble statistics), in a fixed order.
pub trait Model: Parameters + Send {
    /// Features per row.
    fn inputs(&self) -> usize;

    /// The config that rebuilds this model's shapes (after fitting: e.g. PCA
    /// records how many components it kept).
    fn config(&self) -> ModelConfig;

    /// A one-line description of the architecture.
    fn describe(&self) -> String;

    /// What a score means, stored in model files so a reader knows what a
    /// threshold is compared with (`mse`, `bce`, `isolation_forest`, …).
    fn score_kind(&self) -> &'static str;

    /// Trains on scaled rows: gradient-trained networks through the one loop
    /// ([`crate::train::train`]), closed-form models by their own fit.
    fn fit(
        &mut self,
        x: &Tensor,
        cfg: &TrainConfig,
        progress: &mut dyn FnMut(&EpochReport),
    ) -> Result<TrainReport>;

    /// Writes each row's anomaly score into `out` (resized to the row count);
    /// no allocation once the model's scoring buffers exist.
    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>);

    /// Checks invariants that parameter values read from a file must keep
    /// for scoring to be safe (e.g. a forest's tree structure).
    fn check(&self) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// What a model kind's config does.
pub trait ModelSpec {
    /// A model for rows of `inputs` features, initialised from the seed.
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>>;

    fn seed(&self) -> u64;

    fn set_seed(&mut self, seed: u64);

    /// How many networks training runs epochs for (a progress bar's unit).
    fn networks(&self) -> usize {
        1
    }
}

/// Declares [`ModelConfig`] with one variant per registered kind, its
/// dispatch to [`ModelSpec`] and a `From` for each config type.
macro_rules! model_kinds {
    ($($(#[$meta:meta])* $kind:ident($config:ty),)*) => {
        /// What to build: the registry of model kinds. Serialised into model
        /// files, tagged by `kind`.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum ModelConfig {
            $($(#[$meta])* $kind($config),)*
        }

        impl ModelConfig {
            fn spec(&self) -> &dyn ModelSpec {
                match self {
                    $(ModelConfig::$kind(c) => c,)*
                }
            }

            fn spec_mut(&mut self) -> &mut dyn ModelSpec {
                match self {
                    $(ModelConfig::$kind(c) => c,)*
                }
            }
        }

        $(impl From<$config> for ModelConfig {
            fn from(c: $config) -> Self {
                ModelConfig::$kind(c)
            }
        })*
    };
}

model_kinds! {
    Dense(DenseAeConfig),
    /// The 1-D convolutional autoencoder (`conv` in model files and on the command line).
    #[serde(rename = "conv")]
    Conv1d(Conv1dAeConfig),
    Vae(VaeConfig),
    Pca(PcaConfig),
    Ensemble(EnsembleConfig),
    /// Isolation Forest (not an autoencoder): the baseline, scored by path length.
    Iforest(IForestConfig),
}

impl ModelConfig {
    /// The detector that does best across data sets, for `d` features: five
    /// dense autoencoders of widths d-64-32-64-d with dropout 0.2 after each
    /// encoder activation, seeds averaged as standardised scores. Wide and
    /// regularised by dropout rather than narrow: on the eight ADBench sets a
    /// narrow d/2-d/4 bottleneck either lost the anomalies' signal or, with
    /// few features, had too little room (RESULTS.md), and the ensemble
    /// removes the single run's luck.
    pub fn recommended(_d: usize) -> Self {
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(DenseAeConfig::wide())),
            members: 5,
        })
    }

    /// Builds the model for rows of `inputs` features.
    pub fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        self.spec().build(inputs)
    }

    pub fn seed(&self) -> u64 {
        self.spec().seed()
    }

    /// The same architecture with another seed (for ensembles and repeats).
    pub fn with_seed(&self, seed: u64) -> Self {
        let mut c = self.clone();
        c.spec_mut().set_seed(seed);
        c
    }

    /// How many networks training runs epochs for.
    pub fn networks(&self) -> usize {
        self.spec().networks()
    }
}
