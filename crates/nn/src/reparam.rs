//! The VAE's Gaussian latent: reparameterised sampling and its KL term.
//!
//! Forward:  σ = exp(½·log σ²),  z = μ + σ·ε  with ε ~ N(0, I) (or given)
//! KL(q(z|x) ‖ N(0, I)) averaged over the batch of N rows:
//!   KL = −½ · Σ (1 + log σ² − μ² − σ²) / N
//! Backward for L = ⟨z, dz⟩ + β·KL:
//!   dμ      = dz + β·μ / N
//!   dlog σ² = dz·½·σ·ε + β·½·(σ² − 1) / N
//! In eval mode a VAE uses z = μ (ε = 0), which makes its scores deterministic.

use aedetect_tensor::{init, Rng, Tensor};

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
        assert_eq!(
            mu.shape(),
            logvar.shape(),
            "reparam: μ and log σ² shapes differ"
        );
        assert_eq!(mu.shape(), eps.shape(), "reparam: ε shape differs");
        self.eps.assign(eps);
        self.compute(mu, logvar)
    }

    /// z = μ + σ·ε with ε ~ N(0, I) drawn from `rng` (training).
    pub fn forward_sample(&mut self, mu: &Tensor, logvar: &Tensor, rng: &mut Rng) -> &Tensor {
        assert_eq!(
            mu.shape(),
            logvar.shape(),
            "reparam: μ and log σ² shapes differ"
        );
        self.eps.resize(mu.shape());
        init::normal(self.eps.data_mut(), 0.0, 1.0, rng);
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
        self.z.resize(mu.shape());
        for (((z, m), lv), e) in self
            .z
            .data_mut()
            .iter_mut()
            .zip(mu.data())
            .zip(logvar.data())
            .zip(self.eps.data())
        {
            *z = m + (0.5 * lv).exp() * e;
        }
        &self.z
    }

    /// KL(q ‖ N(0, I)) of the last forward, averaged over the batch.
    pub fn kl(&self) -> f32 {
        let n = self.mu.rows().max(1) as f64;
        let s: f64 = self
            .mu
            .data()
            .iter()
            .zip(self.logvar.data())
            .map(|(m, lv)| (1.0 + lv - m * m - lv.exp()) as f64)
            .sum();
        (-0.5 * s / n) as f32
    }

    /// Per-row KL (not averaged), e.g. for a negative-ELBO score.
    pub fn kl_per_sample(&self, out: &mut [f32]) {
        let w = self.mu.row_len().max(1);
        let rows = self
            .mu
            .data()
            .chunks_exact(w)
            .zip(self.logvar.data().chunks_exact(w));
        for (o, (m, lv)) in out.iter_mut().zip(rows) {
            *o = -0.5
                * m.iter()
                    .zip(lv)
                    .map(|(m, lv)| 1.0 + lv - m * m - lv.exp())
                    .sum::<f32>();
        }
    }

    /// Gradients (dμ, dlog σ²) of ⟨z, dz⟩ + β·KL.
    pub fn backward(&mut self, dz: &Tensor, beta: f32) -> (&Tensor, &Tensor) {
        assert_eq!(dz.shape(), self.z.shape(), "reparam backward: dz shape");
        let inv_n = 1.0 / self.mu.rows().max(1) as f32;
        self.dmu.resize(dz.shape());
        self.dlogvar.resize(dz.shape());
        let it = dz
            .data()
            .iter()
            .zip(self.mu.data())
            .zip(self.logvar.data())
            .zip(self.eps.data());
        for ((((d, m), lv), e), (dm, dl)) in
            it.zip(self.dmu.data_mut().iter_mut().zip(self.dlogvar.data_mut()))
        {
            let sigma = (0.5 * lv).exp();
            *dm = d + beta * m * inv_n;
            *dl = d * 0.5 * sigma * e + beta * 0.5 * (sigma * sigma - 1.0) * inv_n;
        }
        (&self.dmu, &self.dlogvar)
    }
}
