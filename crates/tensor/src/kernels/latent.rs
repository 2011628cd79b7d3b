//! The Gaussian latent of a VAE, element by element (the formulas are in
//! `nn::reparam`, which calls these).

/// z = μ + exp(½·log σ²)·ε
pub fn reparam_forward(mu: &[f32], logvar: &[f32], eps: &[f32], z: &mut [f32]) {
    assert!(
        mu.len() == logvar.len() && mu.len() == eps.len() && mu.len() == z.len(),
        "reparam: μ, log σ², ε and z differ in length"
    );
    for (((z, m), lv), e) in z.iter_mut().zip(mu).zip(logvar).zip(eps) {
        *z = m + (0.5 * lv).exp() * e;
    }
}

/// KL(q ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), summed in f64, divided by `rows`.
pub fn gaussian_kl(mu: &[f32], logvar: &[f32], rows: usize) -> f32 {
    assert_eq!(mu.len(), logvar.len(), "kl: μ and log σ² differ in length");
    let n = rows.max(1) as f64;
    let s: f64 = mu
        .iter()
        .zip(logvar)
        .map(|(m, lv)| (1.0 + lv - m * m - lv.exp()) as f64)
        .sum();
    (-0.5 * s / n) as f32
}

/// Per-row KL of rows of width `w` (not averaged).
pub fn gaussian_kl_rows(mu: &[f32], logvar: &[f32], w: usize, out: &mut [f32]) {
    let w = w.max(1);
    let rows = mu.chunks_exact(w).zip(logvar.chunks_exact(w));
    for (o, (m, lv)) in out.iter_mut().zip(rows) {
        *o = -0.5
            * m.iter()
                .zip(lv)
                .map(|(m, lv)| 1.0 + lv - m * m - lv.exp())
                .sum::<f32>();
    }
}

/// (dμ, dlog σ²) of ⟨z, dz⟩ + β·KL/`rows`:
///   dμ = dz + β·μ/N,   dlog σ² = dz·½·σ·ε + β·½·(σ² − 1)/N
#[allow(clippy::too_many_arguments)]
pub fn reparam_backward(
    dz: &[f32],
    mu: &[f32],
    logvar: &[f32],
    eps: &[f32],
    beta: f32,
    rows: usize,
    dmu: &mut [f32],
    dlogvar: &mut [f32],
) {
    assert!(
        dz.len() == mu.len() && dz.len() == dmu.len() && dz.len() == dlogvar.len(),
        "reparam backward: lengths differ"
    );
    let inv_n = 1.0 / rows.max(1) as f32;
    let it = dz.iter().zip(mu).zip(logvar).zip(eps);
    for ((((d, m), lv), e), (dm, dl)) in it.zip(dmu.iter_mut().zip(dlogvar)) {
        let sigma = (0.5 * lv).exp();
        *dm = d + beta * m * inv_n;
        *dl = d * 0.5 * sigma * e + beta * 0.5 * (sigma * sigma - 1.0) * inv_n;
    }
}
