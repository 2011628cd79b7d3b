//! An autoencoder that is one layer chain reconstructing its input: the
//! dense and the 1-D convolutional ones. How the chain is built from a config
//! (its [`Architecture`]) is all that differs between them; training,
//! scoring and parameter access are written once, here. The chain's forward
//! and backward are `Sequential`'s; a step is
//! [`reconstruction_step`](crate::train::reconstruction_step), a score the
//! per-row reconstruction error.

use super::reconstruction::Reconstruction;
use super::{Model, ModelConfig};
use crate::error::Result;
use crate::train::{self, reconstruction_step, EpochReport, StepBuffers, TrainConfig};
use crate::train::{TrainReport, Trainable};
use aedetect_nn::{Layer, Mode, Optimizer, Param, Parameters, Sequential};
use aedetect_tensor::Tensor;

/// The seed of the dropout after encoder layer `layer` (0-based) of a chain
/// built from `seed`: distinct per layer, so the masks are independent.
pub(crate) fn dropout_seed(seed: u64, layer: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(layer as u64 + 1)
}

/// What a config says about its autoencoder's layer chain.
pub trait Architecture: Clone + Into<ModelConfig> + Send {
    /// The chain for rows of `inputs` features, initialised from the
    /// config's seed in layer order; an invalid config is an error.
    fn build_net(&self, inputs: usize) -> Result<Sequential>;

    /// The error it trains on and scores with.
    fn reconstruction(&self) -> Reconstruction;
}

/// A layer chain trained to reconstruct its input, with its buffers.
pub struct SequentialAutoencoder<A: Architecture> {
    pub net: Sequential,
    pub inputs: usize,
    pub config: A,
    step: StepBuffers,
    batch: Tensor,
}

impl<A: Architecture> SequentialAutoencoder<A> {
    /// Builds the network for `inputs` features from `config`.
    pub fn new(inputs: usize, config: A) -> Result<Self> {
        let net = config.build_net(inputs)?;
        let step = StepBuffers::new(config.reconstruction());
        Ok(SequentialAutoencoder {
            net,
            inputs,
            config,
            step,
            batch: Tensor::default(),
        })
    }
}

impl<A: Architecture> Model for SequentialAutoencoder<A> {
    fn inputs(&self) -> usize {
        self.inputs
    }

    fn config(&self) -> ModelConfig {
        self.config.clone().into()
    }

    /// The layer chain, e.g. `Linear(20 → 12) → ReLU → …`.
    fn describe(&self) -> String {
        self.net.describe()
    }

    fn score_kind(&self) -> &'static str {
        self.config.reconstruction().score_kind()
    }

    fn fit(
        &mut self,
        x: &Tensor,
        cfg: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        train::train(self, x, cfg, progress)
    }

    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        self.step.loss.score(&mut self.net, x, &mut self.batch, out);
    }

    fn reconstruct(&mut self, x: &Tensor) -> Option<Tensor> {
        let net = &mut self.net;
        Some(self.config.reconstruction().reconstruct(x, |block, dst| {
            dst.copy_from_slice(net.forward(block, Mode::Infer).data())
        }))
    }
}

impl<A: Architecture> Trainable for SequentialAutoencoder<A> {
    fn train_step(
        &mut self,
        batch: &Tensor,
        opt: &mut dyn Optimizer,
        cfg: &TrainConfig,
        _progress: f32,
    ) -> f32 {
        reconstruction_step(&mut self.net, &mut self.step, batch, opt, cfg)
    }

    fn eval_loss(&mut self, x: &Tensor) -> f32 {
        let out = self.net.forward(x, Mode::Infer);
        self.step.loss.forward(out, x)
    }
}

impl<A: Architecture> Parameters for SequentialAutoencoder<A> {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.net.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.net.visit_params_mut(f);
    }
}
