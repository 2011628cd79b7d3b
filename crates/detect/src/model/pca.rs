//! The PCA reconstruction detector — what a linear autoencoder with a k-wide
//! bottleneck converges to (the seed tutorial's comparison), computed in
//! closed form. With mean μ and the top-k unit eigenvectors V (k × d) of the
//! training covariance:
//!   x̂ = μ + (x − μ)·Vᵀ·V,   score = ‖x − x̂‖² / d
//! k is the smallest count explaining `variance` of the total variance, or fixed.

use super::eigen::symmetric_eigen;
use super::subspace::leading_eigen;
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
    /// The projection (k) and the residual (d), and −μ.
    fn activations_per_row(&self, inputs: usize) -> Option<usize> {
        let k = self.components.unwrap_or(1).clamp(1, inputs.max(1));
        k.checked_add(inputs)
    }
    /// Closed form: no seed.
    fn seed(&self) -> u64 {
        0
    }
    fn set_seed(&mut self, _: u64) {}
    /// One report per subspace round on wide data; none for the exact path.
    fn progress_steps(&self, inputs: usize, _rows: usize, _train: &TrainConfig) -> usize {
        if inputs <= EXACT_MAX_FEATURES {
            return 0;
        }
        subspace_sizes(self.components, inputs).len()
    }
}

/// Up to this many features the covariance is decomposed exactly (Jacobi,
/// O(d³) per sweep: well under a second here); wider data takes the leading
/// components by randomized subspace iteration (1,000 features × 3,000 rows:
/// 0.04 s where Jacobi took 77 s).
const EXACT_MAX_FEATURES: usize = 128;
/// The widest subspace wide data is searched in: at most 504 components
/// come back (the variance target is met when the data has structure; on
/// data with none, such as white noise over thousands of features, PCA keeps
/// the 504 strongest directions).
const MAX_SUBSPACE: usize = 512;
/// Directions the subspace keeps beyond the ones it returns, for accuracy.
const SPARE: usize = 8;
/// The subspace's starting directions (PCA itself has no seed).
const SUBSPACE_SEED: u64 = 0x5CA1_AB1E;

/// The subspace sizes the wide path tries, one round each: k + [`SPARE`] for
/// a fixed k, else 4·[`SPARE`], then doubling up to the cap (d or
/// [`MAX_SUBSPACE`]), which is always the last.
fn subspace_sizes(components: Option<usize>, d: usize) -> Vec<usize> {
    let cap = d.min(MAX_SUBSPACE);
    let first = match components {
        Some(k) => k + SPARE,
        None => 4 * SPARE,
    };
    let mut sizes = vec![first.min(cap)];
    while let Some(&l) = sizes.last().filter(|&&l| l < cap) {
        sizes.push((2 * l).min(cap));
    }
    sizes
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
        self.fit_reporting(x, &mut |_| {})
    }

    /// [`Pca::fit`], reporting each subspace round on wide data to `progress`.
    pub fn fit_reporting(
        &mut self,
        x: &Tensor,
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<()> {
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
        let (k, comps) = if d <= EXACT_MAX_FEATURES {
            self.exact_components(x, &mean)
        } else {
            self.leading_components(x, &mean, progress)
        };
        self.config.components = Some(k);
        self.components = Param::new("components", comps);
        self.mean = Param::new(
            "mean",
            Tensor::from_vec(&[d], mean.iter().map(|m| *m as f32).collect()),
        );
        Ok(())
    }

    /// Every eigenpair of the covariance, accumulated in f64, by Jacobi: exact
    /// and fast for narrow data. Returns k and the components `[k, d]`.
    fn exact_components(&self, x: &Tensor, mean: &[f64]) -> (usize, Tensor) {
        let (n, d) = (x.rows(), x.row_len());
        // covariance Σ (x−μ)ᵀ(x−μ) / (n − 1), accumulated in f64
        let mut cov = vec![0.0f64; d * d];
        let mut centred = vec![0.0f64; d];
        for row in x.data().chunks_exact(d) {
            centred
                .iter_mut()
                .zip(row.iter().zip(mean))
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
        let mut comps = Tensor::zeros(&[k, d]);
        for (c, row) in comps.data_mut().chunks_exact_mut(d).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = eig.vectors[j * d + c] as f32;
            }
        }
        (k, comps)
    }

    /// The leading eigenpairs by randomized subspace iteration on the centred
    /// rows (`subspace.rs`, O(n·d·l) per pass): the subspace doubles until it
    /// holds the variance target with 8 directions to spare (or is all of
    /// them). Returns k and the components `[k, d]`.
    fn leading_components(
        &self,
        x: &Tensor,
        mean: &[f64],
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> (usize, Tensor) {
        let (n, d) = (x.rows(), x.row_len());
        let mut centred = x.clone();
        for row in centred.data_mut().chunks_exact_mut(d) {
            row.iter_mut()
                .zip(mean)
                .for_each(|(v, m)| *v = (*v as f64 - m) as f32);
        }
        let total: f64 = centred
            .data()
            .iter()
            .map(|v| *v as f64 * *v as f64)
            .sum::<f64>()
            / (n - 1) as f64;
        let target = self.config.variance as f64 * total;
        let sizes = subspace_sizes(self.config.components, d);
        let rounds = sizes.len();
        for (round, &l) in sizes.iter().enumerate() {
            let lead = leading_eigen(&centred, l, SUBSPACE_SEED);
            let captured: f64 = lead.values.iter().map(|v| v.max(0.0)).sum();
            progress(&EpochReport {
                epoch: round + 1,
                epochs: rounds,
                // What the subspace leaves unexplained, as a loss to watch fall.
                train_loss: (1.0 - captured / total.max(f64::MIN_POSITIVE)).max(0.0) as f32,
                val_loss: None,
            });
            let k = match self.config.components {
                Some(k) => Some(k.clamp(1, d)),
                None => {
                    let mut acc = 0.0;
                    lead.values
                        .iter()
                        .position(|v| {
                            acc += v.max(0.0);
                            acc >= target
                        })
                        .map(|i| i + 1)
                }
            };
            let keep = match k {
                Some(k) if k + SPARE <= l || l == d => Some(k.min(l)),
                // At the cap: the directions the subspace holds accurately.
                _ if round + 1 == rounds => {
                    Some(k.unwrap_or(l).min(if l == d { l } else { l - SPARE }))
                }
                _ => None,
            };
            if let Some(k) = keep {
                let comps = Tensor::from_vec(&[k, d], lead.vectors.rows_slice(0, k).to_vec());
                return (k, comps);
            }
        }
        unreachable!("the last subspace size always keeps its components")
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
        progress: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        self.fit_reporting(x, progress)
            .map(|_| TrainReport::default())
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

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_tensor::{init, rng};

    /// 80 features from 6 factors with decaying strength, plus noise.
    fn factor_data(n: usize, d: usize, seed: u64) -> Tensor {
        let mut r = rng::seeded(seed);
        let mut f = Tensor::zeros(&[n, 6]);
        init::normal(&mut f, 0.0, 1.0, &mut r);
        for row in f.data_mut().chunks_exact_mut(6) {
            row.iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v *= 0.6f32.powi(j as i32));
        }
        let mut mix = Tensor::zeros(&[6, d]);
        init::normal(&mut mix, 0.0, 1.0, &mut r);
        let mut x = Tensor::zeros(&[n, d]);
        init::normal(&mut x, 0.0, 0.05, &mut r);
        x.mat_mut().add_product(f.mat(), mix.mat());
        x
    }

    /// The wide path and the exact one agree on the same data: the same
    /// component count and the same subspace (projections onto it equal).
    #[test]
    fn subspace_iteration_agrees_with_the_exact_decomposition() {
        let x = factor_data(500, 80, 1);
        let pca = Pca::new(80, PcaConfig::default()).unwrap();
        let mean: Vec<f64> = (0..80)
            .map(|j| (0..500).map(|i| x.data()[i * 80 + j] as f64).sum::<f64>() / 500.0)
            .collect();
        let (k_exact, exact) = pca.exact_components(&x, &mean);
        let (k_lead, lead) = pca.leading_components(&x, &mean, &mut |_| {});
        assert_eq!(k_exact, k_lead);
        // Projectors VᵀV onto the two subspaces are the same matrix.
        let mut pe = Tensor::zeros(&[80, 80]);
        pe.mat_mut().set_product(exact.t(), exact.mat());
        let mut pl = Tensor::zeros(&[80, 80]);
        pl.mat_mut().set_product(lead.t(), lead.mat());
        let worst = pe
            .data()
            .iter()
            .zip(pl.data())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "projectors differ by {worst}");
    }

    /// Wide data fits through the subspace path and scores rows off the
    /// learned subspace above rows on it.
    #[test]
    fn wide_data_fits_and_separates() {
        let all = factor_data(450, 600, 2);
        let idx: Vec<usize> = (0..450).collect();
        let (x, normal) = (all.select_rows(&idx[..400]), all.select_rows(&idx[400..]));
        let mut pca = Pca::new(600, PcaConfig::default()).unwrap();
        pca.fit(&x).unwrap();
        assert!(pca.config.components.unwrap() <= 12);
        let mut noise = Tensor::zeros(&[50, 600]);
        init::normal(&mut noise, 0.0, 1.0, &mut rng::seeded(3));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        pca.score_into(&normal, &mut a);
        pca.score_into(&noise, &mut b);
        let worst_normal = a.iter().cloned().fold(0.0f32, f32::max);
        let best_anomaly = b.iter().cloned().fold(f32::INFINITY, f32::min);
        // The 10 % of variance the 0.9 target leaves out stays in normal rows'
        // residuals; every anomaly still scores above every normal row.
        assert!(
            best_anomaly > worst_normal,
            "{best_anomaly} vs {worst_normal}"
        );
    }

    /// Wide fits report each subspace round: the unexplained variance falls
    /// and the last report is within the target; narrow fits report nothing.
    #[test]
    fn wide_fits_report_progress() {
        let x = factor_data(300, 400, 4);
        let mut pca = Pca::new(400, PcaConfig::default()).unwrap();
        let steps = pca.config.progress_steps(400, 300, &TrainConfig::default());
        let mut seen = Vec::new();
        pca.fit_reporting(&x, &mut |r| seen.push((r.epoch, r.epochs, r.train_loss)))
            .unwrap();
        assert!(!seen.is_empty() && seen.len() <= steps, "{seen:?}");
        assert!(seen.iter().all(|s| s.1 == steps));
        assert!(seen.windows(2).all(|w| w[1].2 <= w[0].2 + 1e-6), "{seen:?}");
        assert!(seen.last().unwrap().2 <= 0.1 + 1e-4, "{seen:?}");
        let mut narrow = Pca::new(30, PcaConfig::default()).unwrap();
        let mut n = 0;
        narrow
            .fit_reporting(&factor_data(100, 30, 5), &mut |_| n += 1)
            .unwrap();
        assert_eq!(
            (
                n,
                narrow
                    .config
                    .progress_steps(30, 100, &TrainConfig::default())
            ),
            (0, 0)
        );
    }
}
