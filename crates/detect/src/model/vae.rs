//! The variational autoencoder detector.
//!
//! Encoder: Linear+ReLU layers to the last hidden width h, then two linear
//! heads μ(x) and log σ²(x) of the latent size. Training samples
//! z = μ + σ·ε (reparameterisation, nn::reparam) and decodes z; eval uses
//! z = μ, so scores are deterministic. Loss per batch (mean over rows):
//!   L = Σ_features recon(x̂, x) + β·w(t)·KL(q(z|x) ‖ N(0, I))
//! with recon = squared error (or BCE with logits for [0, 1] data), β = 1 a
//! plain VAE, β > 1 a β-VAE, and w(t) a linear KL warm-up over the first
//! `kl_warmup` fraction of training (against posterior collapse).
//! Score: the μ-decode's mean reconstruction error per row, or the negative
//! ELBO (summed reconstruction error + KL) per row.
//!
//! For images ([`VaeImage`]) the encoder can start with the stride-2
//! convolutions of [`ConvStack`] and the decoder end with its transposed
//! ones: x → convs → flatten → dense → [μ, log σ²] → z → dense →
//! Linear(→ c_m·h_m·w_m) → ReLU → transposed convs → x̂. Either way the model
//! can draw ([`Generative`]): decode samples of the prior, or the line
//! between two images' μ.

use super::conv2d_stack::ConvStack;
use super::generative::Generative;
use super::reconstruction::{for_each_batch, ReconstructionLoss};
use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use crate::train::{self, EpochReport, TrainConfig, TrainReport, Trainable};
use aedetect_nn::layers::{Linear, Relu};
use aedetect_nn::reparam::Reparam;
use aedetect_nn::{Layer, Mode, Optimizer, Param, Parameters, Sequential};
use aedetect_tensor::{ops, rng, Rng, Tensor};
use serde::{Deserialize, Serialize};

pub use super::reconstruction::Reconstruction;

/// How a VAE scores a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VaeScore {
    /// Mean reconstruction error of the μ-decode.
    Reconstruction,
    /// Negative ELBO: summed reconstruction error + KL.
    NegativeElbo,
}

/// What a VAE for images knows of them: their shape (so its samples can be
/// drawn as pictures) and the convolutions in front of its dense layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeImage {
    pub shape: ImageShape,
    /// Output channels of the encoder's stride-2 convolutions (the decoder
    /// mirrors them); empty: a dense VAE on the pixels.
    #[serde(default)]
    pub channels: Vec<usize>,
    /// Kernel side of the convolutions (odd).
    pub kernel: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    /// Dense encoder widths after the input, or after the convolutions (the
    /// decoder mirrors them); may be empty only behind convolutions.
    pub hidden: Vec<usize>,
    pub latent: usize,
    pub beta: f32,
    /// Fraction of training over which the KL weight ramps from 0 to β.
    pub kl_warmup: f32,
    pub reconstruction: Reconstruction,
    pub score: VaeScore,
    pub seed: u64,
    /// Set for images: their shape and the convolutions, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<VaeImage>,
}

impl VaeConfig {
    /// Sized to `d` features: hidden max(4, d/2), latent max(2, d/4), β = 1.
    pub fn sized_to(d: usize) -> Self {
        VaeConfig {
            hidden: vec![(d / 2).max(4)],
            latent: (d / 4).max(2),
            beta: 1.0,
            kl_warmup: 0.2,
            reconstruction: Reconstruction::Mse,
            score: VaeScore::Reconstruction,
            seed: 0,
            image: None,
        }
    }

    /// The VAE for drawing images of `shape`: convolutions of 32 and 64
    /// channels (kernel 3), a dense layer of 256, a latent of 16, BCE on
    /// logits (examples/vae_mnist.rs measures it against a dense one).
    pub fn images(shape: ImageShape) -> Self {
        VaeConfig {
            hidden: vec![256],
            latent: 16,
            reconstruction: Reconstruction::Bce,
            image: Some(VaeImage {
                shape,
                channels: vec![32, 64],
                kernel: 3,
            }),
            ..VaeConfig::sized_to(shape.values().unwrap_or(1))
        }
    }

    /// The convolutions in front of the dense layers, if any.
    fn stack(&self) -> Option<ConvStack<'_>> {
        let image = self.image.as_ref()?;
        (!image.channels.is_empty()).then_some(ConvStack {
            image: image.shape,
            channels: &image.channels,
            kernel: image.kernel,
        })
    }

    /// Width of the dense part's input (and its decoder's output): the
    /// flattened feature map behind convolutions, else the row.
    fn dense_inputs(&self, inputs: usize) -> Option<usize> {
        match self.stack() {
            Some(stack) => stack.flat(),
            None => Some(inputs),
        }
    }
}

impl ModelSpec for VaeConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Vae::new(inputs, self.clone())?))
    }
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let first = self.dense_inputs(inputs)?;
        let mut encoder = vec![first];
        encoder.extend(&self.hidden);
        let last = *encoder.last()?;
        let mut decoder = vec![self.latent];
        decoder.extend(self.hidden.iter().rev());
        decoder.push(first);
        let head = super::linear_chain(&[last, self.latent])?;
        let convs = self.stack().map_or(Some(0), |s| s.parameter_count())?;
        super::linear_chain(&encoder)?
            .checked_add(head.checked_mul(2)?)?
            .checked_add(super::linear_chain(&decoder)?)?
            .checked_add(convs)
    }
    /// Encoder and decoder outputs (ReLU copies included), both heads and
    /// the latent's μ, log σ², ε, z copies; behind convolutions also theirs
    /// and four copies of the flattened map.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let widths = self
            .hidden
            .iter()
            .try_fold(0usize, |n, w| n.checked_add(w.checked_mul(4)?))?;
        let convs = match self.stack() {
            Some(s) => s
                .activations_per_row()?
                .checked_add(s.flat()?.checked_mul(4)?)?,
            None => 0,
        };
        widths
            .checked_add(self.latent.checked_mul(6)?)?
            .checked_add(inputs)?
            .checked_add(convs)
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
}

/// The VAE's network: encoder, the two heads, the latent and the decoder,
/// with its forward pass and, beside it, its backward pass.
///
/// Forward:  e = enc(x);  μ = W_μ·e + b_μ;  log σ² = W_lv·e + b_lv;
///           z = μ + σ·ε (training; z = μ otherwise);  x̂ = dec(z)
/// Backward, for dx̂ and the KL weight β:
///   dz               = dec.backward(dx̂)
///   (dμ, dlog σ²)    = reparam.backward(dz, β)      (adds β·∂KL/∂μ, ∂KL/∂log σ²)
///   de               = W_μ-head.backward(dμ) + W_lv-head.backward(dlog σ²)
///   dx               = enc.backward(de)
struct VaeNet {
    encoder: Sequential,
    mu_head: Linear,
    logvar_head: Linear,
    decoder: Sequential,
    reparam: Reparam,
    rng: Rng,
    /// dL/de, the encoder output's gradient (both heads read e).
    de: Tensor,
}

impl VaeNet {
    /// Runs encoder, heads, latent and decoder; returns the decoder output.
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let e = self.encoder.forward(x, mode);
        let mu = self.mu_head.forward(e, mode);
        let lv = self.logvar_head.forward(e, mode);
        let z = match mode {
            Mode::Train => self.reparam.forward_sample(mu, lv, &mut self.rng),
            Mode::Eval | Mode::Infer => self.reparam.forward_mean(mu, lv),
        };
        self.decoder.forward(z, mode)
    }

    /// [`forward`](Self::forward) with a given ε (the gradient check's
    /// fixed noise).
    #[cfg(test)]
    fn forward_with_noise(&mut self, x: &Tensor, eps: &Tensor) -> &Tensor {
        let e = self.encoder.forward(x, Mode::Eval);
        let mu = self.mu_head.forward(e, Mode::Eval);
        let lv = self.logvar_head.forward(e, Mode::Eval);
        let z = self.reparam.forward_with(mu, lv, eps);
        self.decoder.forward(z, Mode::Eval)
    }

    /// Gradients of ⟨x̂, dx̂⟩ + β·KL for the last forward: accumulates every
    /// parameter's gradient, returns dL/dx (the gradient check's).
    #[cfg(test)]
    fn backward(&mut self, dx_hat: &Tensor, beta: f32) -> &Tensor {
        self.backward_to_encoder(dx_hat, beta);
        self.encoder.backward(&self.de)
    }

    /// [`backward`](Self::backward) without dL/dx (training: the input is
    /// data), so the encoder's first layer skips its input gradient.
    fn backward_params(&mut self, dx_hat: &Tensor, beta: f32) {
        self.backward_to_encoder(dx_hat, beta);
        self.encoder.backward_params(&self.de);
    }

    /// Decoder, latent and both heads: leaves dL/de, the gradient at the
    /// encoder's output (both heads read it), in `self.de`.
    fn backward_to_encoder(&mut self, dx_hat: &Tensor, beta: f32) {
        let dz = self.decoder.backward(dx_hat);
        let (dmu, dlv) = self.reparam.backward(dz, beta);
        self.de.assign(self.mu_head.backward(dmu));
        ops::add_assign(&mut self.de, self.logvar_head.backward(dlv));
    }

    /// KL(q(z|x) ‖ N(0, I)) of the last forward, averaged over its rows.
    fn kl(&self) -> f32 {
        self.reparam.kl()
    }
}

impl Parameters for VaeNet {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.encoder.visit_params(f);
        self.mu_head.visit_params(f);
        self.logvar_head.visit_params(f);
        self.decoder.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.encoder.visit_params_mut(f);
        self.mu_head.visit_params_mut(f);
        self.logvar_head.visit_params_mut(f);
        self.decoder.visit_params_mut(f);
    }
}

pub struct Vae {
    pub config: VaeConfig,
    pub inputs: usize,
    net: VaeNet,
    loss: ReconstructionLoss,
    /// dL/dx̂ of a training step.
    dx_hat: Tensor,
    batch: Tensor,
    kl_rows: Vec<f32>,
}

impl Vae {
    pub fn new(inputs: usize, config: VaeConfig) -> Result<Self> {
        let stack = config.stack();
        if inputs == 0
            || config.latent == 0
            || (config.hidden.is_empty() && stack.is_none())
            || config.hidden.contains(&0)
        {
            return Err(DetectError::Config(format!(
                "VAE needs inputs, positive hidden widths and a latent size (got {inputs} inputs, hidden {:?}, latent {})",
                config.hidden, config.latent
            )));
        }
        if !(config.beta >= 0.0 && (0.0..=1.0).contains(&config.kl_warmup)) {
            return Err(DetectError::Config(format!(
                "β must be ≥ 0 and warm-up in [0, 1], got {} and {}",
                config.beta, config.kl_warmup
            )));
        }
        if let Some(image) = &config.image {
            if image.shape.values() != Some(inputs) {
                return Err(DetectError::Config(format!(
                    "a VAE for {} images reads rows of their values, got {inputs}",
                    image.shape
                )));
            }
        }
        if let Some(stack) = stack {
            stack.check()?;
        }
        let mut r = rng::seeded(config.seed);
        let mut encoder = Sequential::new();
        if let Some(stack) = stack {
            stack.push_encoder(&mut encoder, 0.0, config.seed, &mut r);
        }
        let first = config.dense_inputs(inputs).expect("checked above");
        let mut width = first;
        for &h in &config.hidden {
            encoder.push(Box::new(Linear::new(width, h, &mut r)));
            encoder.push(Box::new(Relu::new()));
            width = h;
        }
        let mu_head = Linear::new(width, config.latent, &mut r);
        let logvar_head = Linear::new(width, config.latent, &mut r);
        let mut decoder = Sequential::new();
        let mut width = config.latent;
        for &h in config.hidden.iter().rev() {
            decoder.push(Box::new(Linear::new(width, h, &mut r)));
            decoder.push(Box::new(Relu::new()));
            width = h;
        }
        decoder.push(Box::new(Linear::new(width, first, &mut r)));
        if let Some(stack) = stack {
            decoder.push(Box::new(Relu::new()));
            stack.push_decoder(&mut decoder, &mut r);
        }
        let rng = rng::seeded(config.seed ^ 0x5EED_0F7A_3E00);
        let reconstruction = config.reconstruction;
        Ok(Vae {
            config,
            inputs,
            net: VaeNet {
                encoder,
                mu_head,
                logvar_head,
                decoder,
                reparam: Reparam::new(),
                rng,
                de: Tensor::default(),
            },
            loss: ReconstructionLoss::new(reconstruction),
            dx_hat: Tensor::default(),
            batch: Tensor::default(),
            kl_rows: Vec::new(),
        })
    }

    /// The KL weight at training progress t ∈ [0, 1]: β·min(1, t / warm-up).
    fn kl_weight(&self, t: f32) -> f32 {
        if self.config.kl_warmup > 0.0 {
            self.config.beta * (t / self.config.kl_warmup).min(1.0)
        } else {
            self.config.beta
        }
    }

    /// The reconstruction error's training pass, then the whole network's
    /// backward, the penalty and the optimizer step on one batch.
    fn step(
        &mut self,
        batch: &Tensor,
        opt: &mut dyn Optimizer,
        cfg: &TrainConfig,
        beta: f32,
    ) -> f32 {
        let d = self.inputs as f32;
        let x_hat = self.net.forward(batch, Mode::Train);
        // Σ over features, mean over rows: d × the element mean.
        let recon = self.loss.forward(x_hat, batch) * d;
        let value = recon + beta * self.net.kl();
        self.dx_hat.assign(self.loss.gradient());
        ops::scale(&mut self.dx_hat, d);
        self.net.zero_grad();
        self.net.backward_params(&self.dx_hat, beta);
        cfg.penalty.apply(&mut self.net);
        opt.step(&mut self.net);
        value
    }
}

impl Model for Vae {
    fn inputs(&self) -> usize {
        self.inputs
    }

    fn config(&self) -> ModelConfig {
        self.config.clone().into()
    }

    fn describe(&self) -> String {
        format!(
            "VAE: {} → [μ, log σ²] {} → {} (β = {})",
            self.net.encoder.describe(),
            self.config.latent,
            self.net.decoder.describe(),
            self.config.beta
        )
    }

    fn score_kind(&self) -> &'static str {
        match self.config.score {
            VaeScore::Reconstruction => "vae_reconstruction",
            VaeScore::NegativeElbo => "vae_negative_elbo",
        }
    }

    fn fit(
        &mut self,
        x: &Tensor,
        cfg: &TrainConfig,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        train::train(self, x, cfg, progress)
    }

    /// Per-row scores of scaled rows, with z = μ. The reconstruction part is
    /// the per-row mean of the training objective's reconstruction error (its
    /// f64-summed training pass, as VAE model files have always been scored).
    /// Decoded from μ (deterministic).
    fn reconstruct(&mut self, x: &Tensor) -> Option<Tensor> {
        let net = &mut self.net;
        Some(self.config.reconstruction.reconstruct(x, |block, dst| {
            dst.copy_from_slice(net.forward(block, Mode::Infer).data())
        }))
    }

    fn generative(&mut self) -> Option<&mut dyn Generative> {
        Some(self)
    }

    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        out.resize(x.rows(), 0.0);
        let d = self.inputs as f32;
        let (net, loss, kl_rows) = (&mut self.net, &mut self.loss, &mut self.kl_rows);
        let score = self.config.score;
        for_each_batch(x, &mut self.batch, out, |batch, o| {
            let x_hat = net.forward(batch, Mode::Infer);
            loss.row_errors(x_hat, batch, o);
            if score == VaeScore::NegativeElbo {
                kl_rows.resize(o.len(), 0.0);
                net.reparam.kl_per_sample(kl_rows);
                for (s, k) in o.iter_mut().zip(kl_rows.iter()) {
                    *s = *s * d + k;
                }
            }
        });
    }
}

impl Generative for Vae {
    fn latent(&self) -> usize {
        self.config.latent
    }

    fn encode(&mut self, x: &Tensor) -> Tensor {
        let e = self.net.encoder.forward(x, Mode::Infer);
        self.net.mu_head.forward(e, Mode::Infer).clone()
    }

    fn decode(&mut self, z: &Tensor) -> Tensor {
        let logits = self.net.decoder.forward(z, Mode::Infer);
        let mut out = logits.clone();
        if self.config.reconstruction == Reconstruction::Bce {
            ops::sigmoid(logits, &mut out);
        }
        out
    }
}

impl Trainable for Vae {
    fn train_step(
        &mut self,
        batch: &Tensor,
        opt: &mut dyn Optimizer,
        cfg: &TrainConfig,
        progress: f32,
    ) -> f32 {
        let beta = self.kl_weight(progress);
        self.step(batch, opt, cfg, beta)
    }

    fn eval_loss(&mut self, x: &Tensor) -> f32 {
        let x_hat = self.net.forward(x, Mode::Infer);
        self.loss.forward(x_hat, x) * self.inputs as f32 + self.config.beta * self.net.kl()
    }
}

impl Parameters for Vae {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.net.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.net.visit_params_mut(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_tensor::init;

    fn random(shape: &[usize], seed: u64) -> Tensor {
        let mut t = Tensor::zeros(shape);
        init::uniform(&mut t, -1.0, 1.0, &mut rng::seeded(seed));
        t
    }

    /// L = ⟨x̂, r⟩ + β·KL for a fixed ε, in f64.
    fn objective(net: &mut VaeNet, x: &Tensor, eps: &Tensor, r: &Tensor, beta: f32) -> f64 {
        let x_hat = net.forward_with_noise(x, eps);
        let dot: f64 = x_hat
            .data()
            .iter()
            .zip(r.data())
            .map(|(a, b)| *a as f64 * *b as f64)
            .sum();
        dot + beta as f64 * net.kl() as f64
    }

    /// The worst |analytic − numeric| / (atol + rtol·|numeric|) over every
    /// parameter and input value of a VAE network, the analytic gradients
    /// coming from `backward(r, beta_backward)` and the numeric ones from
    /// central differences of the objective with `beta`.
    fn worst_mismatch(
        config: VaeConfig,
        inputs: usize,
        beta_backward: f32,
        beta: f32,
    ) -> (f64, String) {
        let l = config.latent;
        let mut vae = Vae::new(inputs, config).unwrap();
        let (x, eps, r) = (
            random(&[4, inputs], 1),
            random(&[4, l], 2),
            random(&[4, inputs], 3),
        );
        let net = &mut vae.net;
        net.zero_grad();
        net.forward_with_noise(&x, &eps);
        let dx = net.backward(&r, beta_backward).clone();
        let mut analytic = vec![];
        net.visit_params(&mut |p| analytic.push(p.grad.clone()));
        // Training's backward, which skips dL/dx, leaves the same parameter
        // gradients.
        net.zero_grad();
        net.forward_with_noise(&x, &eps);
        net.backward_params(&r, beta_backward);
        let mut slot = 0;
        net.visit_params(&mut |p| {
            assert_eq!(p.grad.data(), analytic[slot].data(), "param {slot}");
            slot += 1;
        });

        // A small step: a ±h nudge must not cross a ReLU kink.
        let h = 1e-3f32;
        let mut worst = (0.0f64, String::new());
        let mut judge = |label: String, a: f32, numeric: f64| {
            let ratio = (a as f64 - numeric).abs() / (2e-3 + 2e-2 * numeric.abs());
            if ratio > worst.0 || worst.1.is_empty() {
                worst = (ratio, format!("{label}: analytic {a} numeric {numeric}"));
            }
        };
        for (slot, grad) in analytic.iter().enumerate() {
            for i in 0..grad.len() {
                let nudge = |net: &mut VaeNet, delta: f32| {
                    let mut s = 0;
                    net.visit_params_mut(&mut |p| {
                        if s == slot {
                            p.value.data_mut()[i] += delta;
                        }
                        s += 1;
                    });
                };
                nudge(net, h);
                let up = objective(net, &x, &eps, &r, beta);
                nudge(net, -2.0 * h);
                let down = objective(net, &x, &eps, &r, beta);
                nudge(net, h);
                let numeric = (up - down) / (2.0 * h as f64);
                judge(format!("param {slot} [{i}]"), grad.data()[i], numeric);
            }
        }
        let mut xp = x.clone();
        for i in 0..x.len() {
            xp.data_mut()[i] = x.data()[i] + h;
            let up = objective(net, &xp, &eps, &r, beta);
            xp.data_mut()[i] = x.data()[i] - h;
            let down = objective(net, &xp, &eps, &r, beta);
            xp.data_mut()[i] = x.data()[i];
            let numeric = (up - down) / (2.0 * h as f64);
            judge(format!("input [{i}]"), dx.data()[i], numeric);
        }
        worst
    }

    /// The whole VAE network — encoder, both heads, reparameterisation,
    /// decoder and the β-weighted KL — against central differences, in every
    /// parameter and every input value.
    #[test]
    fn whole_network_gradients_match_finite_differences() {
        let (ratio, worst) = worst_mismatch(dense(), 6, 1.7, 1.7);
        assert!(
            ratio <= 1.0,
            "gradient mismatch: {worst} (ratio {ratio:.2})"
        );
    }

    /// The same for the convolutional VAE on odd-sided RGB images: the
    /// convolutions, the flatten and reshape, the transposed convolutions.
    #[test]
    fn convolutional_vae_gradients_match_finite_differences() {
        let shape = ImageShape::new(3, 5, 4);
        let config = VaeConfig {
            hidden: vec![6],
            latent: 3,
            image: Some(VaeImage {
                shape,
                channels: vec![2, 3],
                kernel: 3,
            }),
            ..VaeConfig::sized_to(60)
        };
        let (ratio, worst) = worst_mismatch(config, 60, 1.3, 1.3);
        assert!(
            ratio <= 1.0,
            "gradient mismatch: {worst} (ratio {ratio:.2})"
        );
    }

    fn dense() -> VaeConfig {
        VaeConfig {
            hidden: vec![5, 4],
            latent: 3,
            ..VaeConfig::sized_to(6)
        }
    }

    /// Sampling is the seed's: the same seed draws the same pictures, another
    /// seed others; BCE samples are probabilities. An interpolation starts
    /// and ends at the two images' reconstructions (both decode μ).
    #[test]
    fn samples_and_interpolations() {
        let shape = ImageShape::new(1, 6, 5);
        let mut vae = Vae::new(30, VaeConfig::images(shape)).unwrap();
        let a = vae.sample(4, 7);
        assert_eq!(a.shape(), [4, 30]);
        assert_eq!(a.data(), vae.sample(4, 7).data());
        assert_ne!(a.data(), vae.sample(4, 8).data());
        assert!(a.data().iter().all(|p| (0.0..=1.0).contains(p)));

        let ends = random(&[2, 30], 9);
        let path = vae.interpolate(&ends, 5);
        assert_eq!(path.shape(), [5, 30]);
        let recon = vae.reconstruct(&ends).unwrap();
        assert_eq!(&path.data()[..30], &recon.data()[..30]);
        assert_eq!(&path.data()[120..], &recon.data()[30..]);
        assert_ne!(&path.data()[30..60], &recon.data()[..30]);
    }

    #[test]
    fn an_image_vae_checks_its_shape() {
        let config = VaeConfig::images(ImageShape::new(1, 6, 5));
        assert!(Vae::new(31, config.clone()).is_err());
        let even = VaeConfig {
            image: Some(VaeImage {
                kernel: 4,
                ..config.image.clone().unwrap()
            }),
            ..config
        };
        assert!(Vae::new(30, even).is_err());
    }

    /// The check can fail: a backward pass that ignores the KL term is caught.
    #[test]
    fn a_backward_without_the_kl_term_fails_the_check() {
        let (ratio, worst) = worst_mismatch(dense(), 6, 0.0, 1.7);
        assert!(
            ratio > 1.0,
            "a β = 0 backward passed a β = 1.7 check: {worst}"
        );
    }
}
