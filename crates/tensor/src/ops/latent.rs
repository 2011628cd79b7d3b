//! The VAE's Gaussian latent (formulas in `nn::reparam`).

use super::same_shape;
use crate::kernels::latent as k;
use crate::Tensor;

/// z = μ + exp(½·log σ²)·ε (z resized)
pub fn reparam_forward(mu: &Tensor, logvar: &Tensor, eps: &Tensor, z: &mut Tensor) {
    same_shape("reparam: μ and log σ²", mu, logvar);
    same_shape("reparam: μ and ε", mu, eps);
    z.resize(mu.shape());
    k::reparam_forward(mu.data(), logvar.data(), eps.data(), z.data_mut());
}

/// KL(q ‖ N(0, I)) averaged over the rows.
pub fn gaussian_kl(mu: &Tensor, logvar: &Tensor) -> f32 {
    same_shape("kl", mu, logvar);
    k::gaussian_kl(mu.data(), logvar.data(), mu.rows())
}

/// Each row's KL (not averaged).
pub fn gaussian_kl_rows(mu: &Tensor, logvar: &Tensor, out: &mut [f32]) {
    same_shape("kl", mu, logvar);
    assert_eq!(out.len(), mu.rows(), "kl rows: output length");
    k::gaussian_kl_rows(mu.data(), logvar.data(), mu.row_len(), out);
}

/// (dμ, dlog σ²) of ⟨z, dz⟩ + β·KL, both resized to dz's shape.
pub fn reparam_backward(
    dz: &Tensor,
    (mu, logvar, eps): (&Tensor, &Tensor, &Tensor),
    beta: f32,
    dmu: &mut Tensor,
    dlogvar: &mut Tensor,
) {
    same_shape("reparam backward", dz, mu);
    dmu.resize(dz.shape());
    dlogvar.resize(dz.shape());
    k::reparam_backward(
        dz.data(),
        mu.data(),
        logvar.data(),
        eps.data(),
        beta,
        mu.rows(),
        dmu.data_mut(),
        dlogvar.data_mut(),
    );
}
