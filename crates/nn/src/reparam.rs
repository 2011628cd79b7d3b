//! The VAE's Gaussian latent: reparameterised sampling and its KL term.
//!
//! Forward:  σ = exp(½·log σ²),  z = μ + σ·ε  with ε ~ N(0, I) (or given)
//! KL(q(z|x) ‖ N(0, I)) averaged over the batch of N rows:
//!   KL = −½ · Σ (1 + log σ² − μ² − σ²) / N
//! Backward for L = ⟨z, dz⟩ + β·KL:
//!   dμ      = dz + β·μ / N
//!   dlog σ² = dz·½·σ·ε + β·½·(σ² − 1) / N
//! In eval mode a VAE uses z = μ (ε = 0), which makes its scores deterministic.

use aedetect_tensor::{init, ops, Rng, Tensor};

#[derive(Default)]
pub struct Reparam {
    mu: Tensor,
    logvar: Tensor,
    eps: Tensor,
    z: Tensor,
    dmu: Tensor,
    dlogvar: Tensor,
}

impl Reparam {
    pub fn new() -> Self {
        Self::default()
    }

    /// z = μ + exp(½·log σ²)·ε for a given ε (tests, or ε = 0 for eval).
    pub fn forward_with(&mut self, mu: &Tensor, logvar: &Tensor, eps: &Tensor) -> &Tensor {
        self.eps.assign(eps);
        self.compute(mu, logvar)
    }

    /// z = μ + σ·ε with ε ~ N(0, I) drawn from `rng` (training).
    pub fn forward_sample(&mut self, mu: &Tensor, logvar: &Tensor, rng: &mut Rng) -> &Tensor {
        self.eps.resize(mu.shape());
        init::normal(&mut self.eps, 0.0, 1.0, rng);
        self.compute(mu, logvar)
    }

    /// z = μ (eval mode): ε = 0.
    pub fn forward_mean(&mut self, mu: &Tensor, logvar: &Tensor) -> &Tensor {
        self.eps.resize(mu.shape());
        self.eps.fill(0.0);
        self.compute(mu, logvar)
    }

    fn compute(&mut self, mu: &Tensor, logvar: &Tensor) -> &Tensor {
        self.mu.assign(mu);
        self.logvar.assign(logvar);
        ops::reparam_forward(mu, logvar, &self.eps, &mut self.z);
        &self.z
    }

    /// KL(q ‖ N(0, I)) of the last forward, averaged over the batch.
    pub fn kl(&self) -> f32 {
        ops::gaussian_kl(&self.mu, &self.logvar)
    }

    /// Per-row KL (not averaged), e.g. for a negative-ELBO score.
    pub fn kl_per_sample(&self, out: &mut [f32]) {
        ops::gaussian_kl_rows(&self.mu, &self.logvar, out);
    }

    /// Gradients (dμ, dlog σ²) of ⟨z, dz⟩ + β·KL.
    pub fn backward(&mut self, dz: &Tensor, beta: f32) -> (&Tensor, &Tensor) {
        assert_eq!(dz.shape(), self.z.shape(), "reparam backward: dz shape");
        let cache = (&self.mu, &self.logvar, &self.eps);
        ops::reparam_backward(dz, cache, beta, &mut self.dmu, &mut self.dlogvar);
        (&self.dmu, &self.dlogvar)
    }
}
