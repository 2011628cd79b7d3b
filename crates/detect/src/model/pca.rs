//! The PCA reconstruction detector — what a linear autoencoder with a k-wide
//! bottleneck converges to (the seed tutorial's comparison), computed in
//! closed form. With mean μ and the top-k unit eigenvectors V (k × d) of the
//! training covariance:
//!   x̂ = μ + (x − μ)·Vᵀ·V,   score = ‖x − x̂‖² / d
//! k is the smallest count explaining `variance` of the total variance, or fixed.

use super::eigen::symmetric_eigen;
use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_nn::{Param, Parameters};
use aedetect_tensor::{ops, Tensor};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaConfig {
    /// Keep the fewest components explaining this fraction of the variance…
    pub variance: f32,
    /// …unless the number of components is given (set after fitting).
    pub components: Option<usize>,
}

impl Default for PcaConfig {
    fn default() -> Self {
        PcaConfig {
            variance: 0.9,
            components: None,
        }
    }
}

impl ModelSpec for PcaConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(Pca::new(inputs, self.clone())?))
    }
    /// k·d components and a d-wide mean.
    fn parameter_count(&self, inputs: usize) -> Option<usize> {
        let k = self.components.unwrap_or(1).clamp(1, inputs.max(1));
        k.checked_mul(inputs)?.checked_add(inputs)
    }
    /// Closed form: no seed.
    fn seed(&self) -> u64 {
        0
    }
    fn set_seed(&mut self, _: u64) {}
    fn networks(&self) -> usize {
        0
    }
}

pub struct Pca {
    pub config: PcaConfig,
    pub inputs: usize,
    /// [k, d]
    components: Param,
    /// [d]
    mean: Param,
    proj: Tensor,
    recon: Tensor,
    /// −μ, the centring vector of a scoring pass.
    neg_mean: Tensor,
}

impl Pca {
    /// An unfitted model; with `components: Some(k)` its shapes are final
    /// (used when loading a saved model).
    pub fn new(inputs: usize, config: PcaConfig) -> Result<Self> {
        if inputs == 0 || !(config.variance > 0.0 && config.variance <= 1.0) {
            return Err(DetectError::Config(format!(
                "PCA needs inputs and a variance fraction in (0, 1], got {}",
                config.variance
            )));
        }
        let k = config.components.unwrap_or(1).clamp(1, inputs);
        Ok(Pca {
            config,
            inputs,
            components: Param::new("components", Tensor::zeros(&[k, inputs])),
            mean: Param::new("mean", Tensor::zeros(&[inputs])),
            proj: Tensor::default(),
            recon: Tensor::default(),
            neg_mean: Tensor::default(),
        })
    }

    /// Fits mean and components on (scaled) rows `x`.
    pub fn fit(&mut self, x: &Tensor) -> Result<()> {
        let (n, d) = (x.rows(), x.row_len());
        if n < 2 || d != self.inputs {
            return Err(DetectError::Empty(format!(
                "PCA needs at least 2 rows of {} features, got {n} of {d}",
                self.inputs
            )));
        }
        let mut mean = vec![0.0f64; d];
        for row in x.data().chunks_exact(d) {
            row.iter().zip(&mut mean).for_each(|(v, m)| *m += *v as f64);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        // covariance Σ (x−μ)ᵀ(x−μ) / (n − 1), accumulated in f64
        let mut cov = vec![0.0f64; d * d];
        let mut centred = vec![0.0f64; d];
        for row in x.data().chunks_exact(d) {
            centred
                .iter_mut()
                .zip(row.iter().zip(&mean))
                .for_each(|(c, (v, m))| *c = *v as f64 - m);
            for i in 0..d {
                let ci = centred[i];
                for j in i..d {
                    cov[i * d + j] += ci * centred[j];
                }
            }
        }
        for i in 0..d {
            for j in i..d {
                let v = cov[i * d + j] / (n - 1) as f64;
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
        }
        let eig = symmetric_eigen(&cov, d);
        let total: f64 = eig.values.iter().map(|v| v.max(0.0)).sum();
        let k = match self.config.components {
            Some(k) => k.clamp(1, d),
            None => {
                let mut acc = 0.0;
                let target = self.config.variance as f64 * total;
                1 + eig
                    .values
                    .iter()
                    .position(|v| {
                        acc += v.max(0.0);
                        acc >= target
                    })
                    .unwrap_or(d - 1)
            }
        };
        self.config.components = Some(k);
        let mut comps = Tensor::zeros(&[k, d]);
        for (c, row) in comps.data_mut().chunks_exact_mut(d).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = eig.vectors[j * d + c] as f32;
            }
        }
        self.components = Param::new("components", comps);
        self.mean = Param::new(
            "mean",
            Tensor::from_vec(&[d], mean.iter().map(|m| *m as f32).collect()),
        );
        Ok(())
    }
}

impl Model for Pca {
    fn inputs(&self) -> usize {
        self.inputs
    }

    fn config(&self) -> ModelConfig {
        self.config.clone().into()
    }

    fn describe(&self) -> String {
        format!(
            "PCA({} → {} components)",
            self.inputs,
            self.components.value.rows()
        )
    }

    fn score_kind(&self) -> &'static str {
        "mse"
    }

    /// Closed form: no epochs, nothing to report per epoch.
    fn fit(
        &mut self,
        x: &Tensor,
        _: &TrainConfig,
        _: &mut dyn FnMut(&EpochReport),
    ) -> Result<TrainReport> {
        Pca::fit(self, x).map(|_| TrainReport::default())
    }

    /// Per-row mean squared residual ‖(x − μ) − (x − μ)·Vᵀ·V‖² / d.
    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        self.neg_mean.assign(&self.mean.value);
        ops::scale(&mut self.neg_mean, -1.0);
        self.recon.assign(x);
        ops::add_row_vector(&mut self.recon, &self.neg_mean);
        self.proj.resize(&[x.rows(), self.components.value.rows()]);
        let v = &self.components.value;
        // P = (x − μ)·Vᵀ, then the residual r = (x − μ) − P·V
        self.proj.mat_mut().set_product(self.recon.mat(), v.t());
        self.recon.mat_mut().sub_product(self.proj.mat(), v.mat());
        out.resize(x.rows(), 0.0);
        ops::mean_square_rows(&self.recon, out);
    }
}

impl Parameters for Pca {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.components);
        f(&self.mean);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.components);
        f(&mut self.mean);
    }
}
