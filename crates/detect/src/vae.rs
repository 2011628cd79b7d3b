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

use crate::error::{DetectError, Result};
use crate::reconstruction::ReconstructionLoss;
use crate::train::{TrainConfig, Trainable};
use aedetect_nn::layers::{Linear, Relu};
use aedetect_nn::optim::Adam;
use aedetect_nn::reparam::Reparam;
use aedetect_nn::{Layer, Mode, Param, Sequential};
use aedetect_tensor::{init, ops, rng, Rng, Tensor};
use serde::{Deserialize, Serialize};

pub use crate::reconstruction::Reconstruction;

/// How a VAE scores a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VaeScore {
    /// Mean reconstruction error of the μ-decode.
    Reconstruction,
    /// Negative ELBO: summed reconstruction error + KL.
    NegativeElbo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaeConfig {
    /// Encoder widths after the input (the decoder mirrors them).
    pub hidden: Vec<usize>,
    pub latent: usize,
    pub beta: f32,
    /// Fraction of training over which the KL weight ramps from 0 to β.
    pub kl_warmup: f32,
    pub reconstruction: Reconstruction,
    pub score: VaeScore,
    pub seed: u64,
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
        }
    }
}

/// The layers and the latent sampler, apart from the losses so both can be
/// borrowed at once.
struct VaeNet {
    encoder: Sequential,
    mu_head: Linear,
    logvar_head: Linear,
    decoder: Sequential,
    reparam: Reparam,
    rng: Rng,
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

/// The chosen reconstruction loss.
pub struct Vae {
    pub config: VaeConfig,
    pub inputs: usize,
    net: VaeNet,
    loss: ReconstructionLoss,
    de: Tensor,
    batch: Tensor,
    kl_rows: Vec<f32>,
}

impl Vae {
    pub fn new(inputs: usize, config: VaeConfig) -> Result<Self> {
        if inputs == 0
            || config.latent == 0
            || config.hidden.is_empty()
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
        let mut r = rng::seeded(config.seed);
        let mut encoder = Sequential::new();
        let mut width = inputs;
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
        decoder.push(Box::new(Linear::new(width, inputs, &mut r)));
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
            },
            loss: ReconstructionLoss::new(reconstruction),
            de: Tensor::default(),
            batch: Tensor::default(),
            kl_rows: Vec::new(),
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "VAE: {} → [μ, log σ²] {} → {} (β = {})",
            self.net.encoder.describe(),
            self.config.latent,
            self.net.decoder.describe(),
            self.config.beta
        )
    }

    /// The KL weight at training progress t ∈ [0, 1]: β·min(1, t / warm-up).
    fn kl_weight(&self, t: f32) -> f32 {
        if self.config.kl_warmup > 0.0 {
            self.config.beta * (t / self.config.kl_warmup).min(1.0)
        } else {
            self.config.beta
        }
    }

    /// μ of each row (the latent code), e.g. for interpolation.
    pub fn encode(&mut self, x: &Tensor) -> Tensor {
        let e = self.net.encoder.forward(x, Mode::Infer);
        self.net.mu_head.forward(e, Mode::Infer).clone()
    }

    /// Decodes latent codes z ([n, latent]) to reconstructions (for BCE, the
    /// logits are mapped through σ to probabilities).
    pub fn decode(&mut self, z: &Tensor) -> Tensor {
        let logits = self.net.decoder.forward(z, Mode::Infer);
        let mut out = logits.clone();
        if self.config.reconstruction == Reconstruction::Bce {
            ops::sigmoid(logits.data(), out.data_mut());
        }
        out
    }

    /// `n` samples from the prior: z ~ N(0, I), decoded.
    pub fn sample(&mut self, n: usize, seed: u64) -> Tensor {
        let mut z = Tensor::zeros(&[n, self.config.latent]);
        init::normal(z.data_mut(), 0.0, 1.0, &mut rng::seeded(seed));
        self.decode(&z)
    }

    /// Decodes `steps` points on the line between the latent means of rows a and b.
    pub fn interpolate(&mut self, a: &[f32], b: &[f32], steps: usize) -> Tensor {
        let pair = Tensor::from_vec(&[2, self.inputs], a.iter().chain(b).copied().collect());
        let mu = self.encode(&pair);
        let l = self.config.latent;
        let mut z = Tensor::zeros(&[steps, l]);
        for (s, row) in z.data_mut().chunks_exact_mut(l).enumerate() {
            let t = if steps > 1 {
                s as f32 / (steps - 1) as f32
            } else {
                0.0
            };
            for (j, v) in row.iter_mut().enumerate() {
                *v = (1.0 - t) * mu.data()[j] + t * mu.data()[l + j];
            }
        }
        self.decode(&z)
    }

    /// Per-row scores of already scaled rows, in eval mode (z = μ).
    pub fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        out.resize(x.rows(), 0.0);
        let d = self.inputs as f32;
        let (net, recon, kl_rows) = (&mut self.net, &mut self.loss, &mut self.kl_rows);
        let score = self.config.score;
        crate::score::for_each_batch(x, &mut self.batch, out, |batch, o| {
            let y = net.forward(batch, Mode::Infer);
            let loss = recon.get();
            loss.forward(y, batch);
            o.copy_from_slice(loss.per_sample());
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

impl Trainable for Vae {
    fn train_step(
        &mut self,
        batch: &Tensor,
        opt: &mut Adam,
        cfg: &TrainConfig,
        progress: f32,
    ) -> f32 {
        let d = self.inputs as f32;
        let beta = self.kl_weight(progress);
        let y = self.net.forward(batch, Mode::Train);
        let loss = self.loss.get();
        // Σ over features, mean over rows: d × the element mean.
        let recon = loss.forward(y, batch) * d;
        self.de.assign(loss.backward());
        ops::scale(self.de.data_mut(), d);
        let net = &mut self.net;
        let value = recon + beta * net.reparam.kl();
        net.visit_params_mut(&mut |p| p.grad.fill(0.0));
        // dx̂ → dz → (dμ, dlog σ²) → de = dμ·W_μ + dlog σ²·W_lv → encoder
        let dz = net.decoder.backward(&self.de);
        let (dmu, dlv) = net.reparam.backward(dz, beta);
        self.de.assign(net.mu_head.backward(dmu));
        ops::add_assign(self.de.data_mut(), net.logvar_head.backward(dlv).data());
        net.encoder.backward(&self.de);
        for part in [
            &mut net.encoder as &mut dyn Layer,
            &mut net.mu_head,
            &mut net.logvar_head,
            &mut net.decoder,
        ] {
            cfg.penalty.apply(part);
        }
        opt.step_visiting(|f| net.visit_params_mut(f));
        value
    }

    fn eval_loss(&mut self, x: &Tensor) -> f32 {
        let y = self.net.forward(x, Mode::Infer);
        let loss = self.loss.get();
        loss.forward(y, x) * self.inputs as f32 + self.config.beta * self.net.reparam.kl()
    }

    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        self.net.visit_params(f);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        self.net.visit_params_mut(f);
    }
}
