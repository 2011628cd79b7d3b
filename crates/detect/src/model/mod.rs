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

mod ae_knn;
mod conv1d_ae;
mod conv2d_ae;
mod conv2d_stack;
mod dense_ae;
mod eigen;
mod ensemble;
mod generative;
mod iforest;
mod knn;
mod lstm_ae;
mod neighbours;
mod options;
mod pca;
mod reconstruction;
mod sequential_ae;
mod subspace;
mod vae;

pub use ae_knn::{AeKnn, AeKnnConfig, CodedAeConfig};
pub use conv1d_ae::{Conv1dAeConfig, Conv1dAutoencoder};
pub use conv2d_ae::{Conv2dAeConfig, Conv2dAutoencoder};
pub use dense_ae::{DenseAeConfig, DenseAutoencoder};
pub use ensemble::{Combine, Ensemble, EnsembleConfig, MemberViews};
pub use generative::Generative;
pub use iforest::{IForestConfig, IsolationForest};
pub use knn::{Knn, KnnAggregate, KnnConfig};
pub use lstm_ae::{LstmAeConfig, LstmAutoencoder};
pub use neighbours::{NeighbourSearch, ReferenceIndex};
pub use options::{ModelKind, ModelOptions};
pub use pca::{Pca, PcaConfig};
pub use reconstruction::{Reconstruction, ReconstructionLoss, SCORE_BATCH};
pub use sequential_ae::{Architecture, SequentialAutoencoder};
pub use vae::{Vae, VaeConfig, VaeImage, VaeScore};

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
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport>;

    /// Writes each row's anomaly score into `out` (resized to the row count);
    /// no allocation once the model's scoring buffers exist.
    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>);

    /// The scores of the rows of the last [`Model::fit`], the same bits
    /// [`Model::score_into`] gives them, where fitting had them at hand (an
    /// autoencoder with its code's neighbour search: one search gives both
    /// its statistics and these), so a caller needing them need not score
    /// the training rows again. Taken: `None` after the first call, and
    /// for every kind that does not keep them.
    fn take_training_scores(&mut self) -> Option<Vec<f32>> {
        None
    }

    /// The model's reconstruction of scaled rows (probabilities for a BCE
    /// autoencoder), for the kinds that reconstruct their input: heat maps
    /// and pictures of what the model expected. `None` for the others.
    fn reconstruct(&mut self, _x: &Tensor) -> Option<Tensor> {
        None
    }

    /// The model's latent space, for the kinds that can draw (the VAE):
    /// samples of its prior, interpolations. `None` for the others.
    fn generative(&mut self) -> Option<&mut dyn Generative> {
        None
    }

    /// Whether [`Model::score_into`] spreads one block of rows over the
    /// thread pool itself (kNN's search). The detector then scores large
    /// inputs block by block instead of giving each thread a copy of the
    /// model, which for kNN would copy every reference row.
    fn scores_in_parallel(&self) -> bool {
        false
    }

    /// Checks invariants that parameter values read from a file must keep
    /// for scoring to be safe (e.g. a forest's tree structure).
    fn check(&self) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// The largest model [`ModelConfig::build`] makes: 2²⁸ parameters (1 GiB of
/// f32 weights; training keeps about four times that). A config read from a
/// file or a command line that asks for more is refused before anything is
/// allocated.
pub const MAX_PARAMETERS: usize = 1 << 28;

/// Σ (a·b + b) over consecutive widths: the parameters of a chain of Linear
/// layers, `None` on overflow.
pub(crate) fn linear_chain(widths: &[usize]) -> Option<usize> {
    widths.windows(2).try_fold(0usize, |n, w| {
        w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(n)
    })
}

/// A model's training-score statistics for standardising: mean and
/// population standard deviation ([`crate::threshold::mean_and_std`]); a
/// constant score gets σ = 1e-12, so dividing by it never divides by 0.
pub(crate) fn mean_std(scores: &[f32]) -> (f32, f32) {
    let (mean, std) = crate::threshold::mean_and_std(scores);
    (mean as f32, std.max(1e-12) as f32)
}

/// What a model kind's config does.
pub trait ModelSpec {
    /// A model for rows of `inputs` features, initialised from the seed.
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>>;

    /// How many parameter values the model for `inputs` features holds,
    /// computed without building it; `None` when the count overflows. Equal
    /// to the built model's `num_params` (tested for every kind).
    fn parameter_count(&self, inputs: usize) -> Option<usize>;

    fn seed(&self) -> u64;

    fn set_seed(&mut self, seed: u64);

    /// An upper bound on the values a forward pass keeps per row scored
    /// (layer outputs, im2col columns, latent buffers), without building the
    /// model; `None` on overflow. Scoring sizes its blocks by it.
    fn activations_per_row(&self, inputs: usize) -> Option<usize>;

    /// How many progress reports fitting on `rows` rows of `inputs`
    /// features with `train` makes (a progress bar's length): one per epoch
    /// for one network by default.
    fn progress_steps(&self, _inputs: usize, rows: usize, train: &TrainConfig) -> usize {
        train.epochs_for(rows)
    }
}

/// The most activation values one scoring block may need: 2²⁶ (256 MiB).
/// A model whose rows need more than 2¹⁶ values each is scored in blocks of
/// fewer than [`SCORE_BATCH`] rows, so memory stays bounded whatever a model
/// file describes.
pub const MAX_BLOCK_VALUES: usize = 1 << 26;

/// The activation values a scoring block aims at, counted by
/// [`ModelSpec::activations_per_row`]'s bound: 2²³. Rows of a few thousand
/// values still get full [`SCORE_BATCH`] blocks; an image model's get
/// blocks of tens of rows, which a core works through layer by layer with
/// its activations in cache. On 28×28 images (the reference conv AE, whose
/// bound is 94k values per row, about 11k actually held) blocks of 64 to
/// 256 rows scored 60–79k images per second against 52–66k for the 711
/// rows the memory bound gives (Zen 5, session 18, alternating runs).
pub const CACHE_BLOCK_VALUES: usize = 1 << 23;

/// The fewest rows the cache aim cuts a block to: below it, per-block
/// costs (thread hand-offs, weight reads) outgrow what the cache saves.
pub const MIN_CACHE_BLOCK: usize = 64;

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
    /// The 2-D convolutional autoencoder for images.
    Conv2d(Conv2dAeConfig),
    Vae(VaeConfig),
    Pca(PcaConfig),
    Ensemble(EnsembleConfig),
    /// Isolation Forest (not an autoencoder): the baseline, scored by path length.
    Iforest(IForestConfig),
    /// k-nearest-neighbour distance (not an autoencoder): the strongest
    /// classical baseline on the ADBench sets.
    Knn(KnnConfig),
    /// A dense autoencoder scored by reconstruction error and by the
    /// distance of its code to the training codes.
    AeKnn(AeKnnConfig),
    /// The LSTM autoencoder for windows of a time series.
    Lstm(LstmAeConfig),
}

impl ModelConfig {
    /// The detector that does best across data sets, for `d` features: four
    /// dense autoencoders of widths d-64-32-64-d with dropout 0.2 after each
    /// encoder activation, each trained for 2,500 steps and scored by its
    /// reconstruction error plus its code's distance to the training codes
    /// ([`AeKnnConfig::wide`]), seeds averaged as normal scores among each
    /// member's training scores ([`Combine::NormalScores`]). Four members
    /// of 2,500 steps, not five of at least 5,000 (the default until session
    /// 23): level on ten seeds of the shared sets and five held-out ones,
    /// and a fit 2.9× shorter; four also fill two threads evenly, where the
    /// fifth member ran alone on one (RESULTS.md).
    /// Wide and regularised by dropout rather than narrow: on the eight
    /// ADBench sets a narrow d/2-d/4 bottleneck either lost the anomalies'
    /// signal or, with few features, had too little room; the code distance
    /// finds the anomalies a wide network reconstructs well; the ensemble
    /// removes the single run's luck. Members 2 and 4 read each feature's
    /// normal score among the training rows (rank → Φ⁻¹), the others its
    /// standardised value ([`MemberViews::AlternateNormalScores`]): the two
    /// views fail on different data (heavy tails against meaningful
    /// geometry), and the mix beat either alone on the shared sets' three
    /// means over ten seeds and on held-out sets. Their scores' shapes
    /// differ, so they are put on one scale by rank, not by mean and
    /// deviation (RESULTS.md measures both).
    pub fn recommended(_d: usize) -> Self {
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::AeKnn(AeKnnConfig::wide())),
            members: 4,
            views: MemberViews::AlternateNormalScores,
            combine: Combine::NormalScores,
        })
    }

    /// The detector that does best on images of `shape`: five of the
    /// reference convolutional autoencoders, trained and scored with squared
    /// error, each scored by reconstruction error plus its code's distance to
    /// the training codes ([`AeKnnConfig::images`]), seeds averaged as
    /// standardised scores (one-class MNIST in RESULTS.md).
    pub fn recommended_for_images(shape: crate::ImageShape) -> Self {
        let mut member = AeKnnConfig::images(shape);
        member.ae.set_reconstruction(Reconstruction::Mse);
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::AeKnn(member)),
            members: 5,
            views: MemberViews::Same,
            combine: Combine::Standardised,
        })
    }

    /// The detector for trailing windows of `window` rows (of any number of
    /// values each). On values alone, the LSTM autoencoder, which scored
    /// best of the dense, 1-D conv, five-seed conv ensemble and LSTM
    /// autoencoders on all three of NAB's profiles. With `calendar`
    /// features, the 1-D conv autoencoder: on NAB's series whose stretch
    /// spans weeks it gains most from them (nyc_taxi's holidays), while the
    /// LSTM, which must rebuild the four calendar columns from one code,
    /// loses its windows (`examples/nab.rs`, RESULTS.md).
    pub fn recommended_for_series(window: usize, calendar: bool) -> Self {
        if calendar {
            ModelConfig::Conv1d(Conv1dAeConfig::sized_to(window))
        } else {
            ModelConfig::Lstm(LstmAeConfig::for_steps(window))
        }
    }

    /// Builds the model for rows of `inputs` features; a config of more than
    /// [`MAX_PARAMETERS`] is refused before anything is allocated.
    pub fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        self.check_size(inputs)?;
        self.spec().build(inputs)
    }

    /// How many parameter values the model for `inputs` features holds
    /// (`None`: more than `usize` can count).
    pub fn parameter_count(&self, inputs: usize) -> Option<usize> {
        self.spec().parameter_count(inputs)
    }

    /// Refuses a config whose model would exceed [`MAX_PARAMETERS`].
    pub fn check_size(&self, inputs: usize) -> Result<()> {
        match self.parameter_count(inputs) {
            Some(n) if n <= MAX_PARAMETERS => Ok(()),
            n => Err(crate::error::DetectError::Config(format!(
                "the model would have {} parameters for {inputs} features; at most {MAX_PARAMETERS} are allowed",
                n.map_or("more than 2⁶⁴".to_string(), |n| n.to_string())
            ))),
        }
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

    /// Rows per scoring block for rows of `inputs` features: [`SCORE_BATCH`],
    /// or fewer for a model whose activations per row (input included)
    /// would make a block need more than [`CACHE_BLOCK_VALUES`] (down to
    /// [`MIN_CACHE_BLOCK`] rows) or [`MAX_BLOCK_VALUES`] (down to 1 row).
    pub fn scoring_block(&self, inputs: usize) -> usize {
        let per_row = self
            .spec()
            .activations_per_row(inputs)
            .and_then(|a| a.checked_add(inputs))
            .unwrap_or(usize::MAX)
            .max(1);
        let cached = (CACHE_BLOCK_VALUES / per_row).clamp(MIN_CACHE_BLOCK, SCORE_BATCH);
        cached.min(MAX_BLOCK_VALUES / per_row).max(1)
    }

    /// Activations one row holds in a forward pass (see
    /// [`ModelSpec::activations_per_row`]): how much work a row is.
    pub fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        self.spec().activations_per_row(inputs)
    }

    /// How many progress reports fitting makes (see [`ModelSpec::progress_steps`]).
    pub fn progress_steps(&self, inputs: usize, rows: usize, train: &TrainConfig) -> usize {
        self.spec().progress_steps(inputs, rows, train)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The count a config states without building equals what the built
    /// model holds, for every kind and a spread of shapes.
    #[test]
    fn parameter_counts_match_the_built_models() {
        let dense = |hidden: Vec<usize>| DenseAeConfig {
            hidden,
            ..DenseAeConfig::seed_recipe()
        };
        let configs: Vec<ModelConfig> = vec![
            dense(vec![12, 6]).into(),
            dense(vec![3]).into(),
            DenseAeConfig::wide().into(),
            Conv1dAeConfig::sized_to(9).into(),
            Conv1dAeConfig {
                channels: vec![3, 5, 2],
                kernel: 5,
                ..Conv1dAeConfig::sized_to(9)
            }
            .into(),
            Conv2dAeConfig {
                channels: vec![2, 3],
                latent: 4,
                ..Conv2dAeConfig::reference(crate::ImageShape::new(1, 3, 3))
            }
            .into(),
            VaeConfig::sized_to(9).into(),
            VaeConfig {
                hidden: vec![7, 4],
                latent: 3,
                ..VaeConfig::sized_to(9)
            }
            .into(),
            VaeConfig {
                latent: 2,
                ..VaeConfig::images(crate::ImageShape::new(1, 3, 3))
            }
            .into(),
            VaeConfig {
                hidden: vec![],
                latent: 2,
                image: Some(VaeImage {
                    shape: crate::ImageShape::new(1, 3, 3),
                    channels: vec![2, 3],
                    kernel: 3,
                }),
                ..VaeConfig::sized_to(9)
            }
            .into(),
            PcaConfig::default().into(),
            PcaConfig {
                components: Some(4),
                ..PcaConfig::default()
            }
            .into(),
            IForestConfig {
                trees: 3,
                max_samples: 50,
                seed: 0,
            }
            .into(),
            KnnConfig::default().into(),
            KnnConfig {
                rows: Some(40),
                ..KnnConfig::default()
            }
            .into(),
            AeKnnConfig::wide().into(),
            AeKnnConfig {
                knn: KnnConfig {
                    rows: Some(33),
                    ..KnnConfig::default()
                },
                ..AeKnnConfig::wide()
            }
            .into(),
            EnsembleConfig {
                base: Box::new(dense(vec![5, 2]).into()),
                members: 3,
                views: MemberViews::Same,
                combine: Combine::Standardised,
            }
            .into(),
        ];
        for config in configs {
            let model = config.build(9).unwrap();
            assert_eq!(
                config.parameter_count(9),
                Some(model.num_params()),
                "{config:?}"
            );
        }
    }

    #[test]
    fn oversized_configs_are_refused_before_allocating() {
        for hidden in [
            vec![1_000_000_000, 2],
            vec![usize::MAX / 2, 2],
            vec![100_000, 100_000],
        ] {
            let c: ModelConfig = DenseAeConfig {
                hidden,
                ..DenseAeConfig::seed_recipe()
            }
            .into();
            let e = c.build(20).err().expect("refused").to_string();
            assert!(e.contains("at most 268435456"), "{e}");
        }
        let many: ModelConfig = EnsembleConfig {
            base: Box::new(DenseAeConfig::seed_recipe().into()),
            members: 1 << 40,
            views: MemberViews::Same,
            combine: Combine::Standardised,
        }
        .into();
        assert!(many.build(20).is_err());
    }

    /// Ordinary models score in full blocks, or in blocks cut to stay in
    /// cache; a model file describing a huge (but self-consistent) network
    /// gets blocks small enough that one block stays within
    /// [`MAX_BLOCK_VALUES`].
    #[test]
    fn scoring_blocks_bound_activation_memory() {
        let ordinary: Vec<ModelConfig> = vec![
            DenseAeConfig::seed_recipe().into(),
            ModelConfig::recommended(20),
            Conv1dAeConfig::sized_to(20).into(),
            VaeConfig::sized_to(20).into(),
            PcaConfig::default().into(),
            IForestConfig::default().into(),
            KnnConfig::default().into(),
            AeKnnConfig::wide().into(),
        ];
        for c in &ordinary {
            assert_eq!(c.scoring_block(20), SCORE_BATCH, "{c:?}");
        }
        let huge: ModelConfig = Conv1dAeConfig {
            channels: vec![64, 64],
            kernel: 4001,
            ..Conv1dAeConfig::sized_to(20)
        }
        .into();
        let block = huge.scoring_block(20);
        let per_row = huge.spec().activations_per_row(20).unwrap() + 20;
        assert!(
            block < SCORE_BATCH && block * per_row <= MAX_BLOCK_VALUES,
            "{block}"
        );
        // Images: blocks cut to stay in cache, but not below the floor.
        let image = crate::ImageShape::new(1, 28, 28);
        let conv: ModelConfig = Conv2dAeConfig::reference(image).into();
        let block = conv.scoring_block(784);
        let per_row = conv.spec().activations_per_row(784).unwrap() + 784;
        assert!((MIN_CACHE_BLOCK..SCORE_BATCH).contains(&block), "{block}");
        assert!(block * per_row <= CACHE_BLOCK_VALUES, "{block} × {per_row}");
        // Large images: the floor, unless the memory bound cuts deeper.
        for side in [64, 256] {
            let large = crate::ImageShape::new(3, side, side);
            let conv = ModelConfig::from(Conv2dAeConfig::reference(large));
            let inputs = large.values().unwrap();
            let per_row = conv.spec().activations_per_row(inputs).unwrap() + inputs;
            let want = MIN_CACHE_BLOCK.min(MAX_BLOCK_VALUES / per_row);
            assert_eq!(conv.scoring_block(inputs), want, "{side}");
        }
        let absurd: ModelConfig = DenseAeConfig {
            hidden: vec![usize::MAX / 2],
            ..DenseAeConfig::seed_recipe()
        }
        .into();
        assert_eq!(absurd.scoring_block(20), 1);
    }
}
