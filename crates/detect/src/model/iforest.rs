//! Isolation Forest (Liu, Ting & Zhou, 2008): anomalies are few and different,
//! so random axis-aligned splits isolate them in fewer steps. Each tree is
//! grown on a random subsample of ψ rows down to height ⌈log₂ ψ⌉; a row's
//! score is 2^(−E[h(x)] / c(ψ)), where h is the path length (plus c(n) for the
//! n rows left in the reached leaf) and c(n) = 2H(n−1) − 2(n−1)/n the average
//! path length of an unsuccessful search in a binary search tree.
//!
//! Used alone as a baseline (`--model iforest`), and as the seed's pre-filter:
//! drop the most isolated training rows before an autoencoder learns "normal"
//! from them.
//!
//! Storage: every tree is a complete binary tree in heap order (node i has
//! children 2i+1 and 2i+2), so a forest is two [trees, 2^(height+1) − 1]
//! tensors that save and load like any model's weights:
//!   feature[t, i] = the split's feature, or −1 for a leaf (or an unused slot)
//!   value[t, i]   = the split's threshold (x < value goes left), or for a
//!                   leaf c(n), the expected path length still to go

use super::{Model, ModelConfig, ModelSpec};
use crate::error::{DetectError, Result};
use crate::train::{EpochReport, TrainConfig, TrainReport};
use aedetect_nn::{Param, Parameters};
use aedetect_tensor::{rng, Rng, Tensor};
use rand::seq::index::sample;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IForestConfig {
    pub trees: usize,
    /// Rows per tree (ψ); capped at the data size when fitted.
    pub max_samples: usize,
    pub seed: u64,
}

impl Default for IForestConfig {
    /// scikit-learn's defaults: 100 trees of 256 rows.
    fn default() -> Self {
        IForestConfig {
            trees: 100,
            max_samples: 256,
            seed: 0,
        }
    }
}

impl ModelSpec for IForestConfig {
    fn build(&self, inputs: usize) -> Result<Box<dyn Model>> {
        Ok(Box::new(IsolationForest::new(inputs, self.clone())?))
    }
    /// Two [trees, slots] tensors; sizes outside the accepted ranges count as
    /// overflow (the forest refuses them anyway).
    fn parameter_count(&self, _inputs: usize) -> Option<usize> {
        if !(1..=MAX_TREES).contains(&self.trees) || !(1..=MAX_SAMPLES).contains(&self.max_samples)
        {
            return None;
        }
        let slots = (2usize << height(self.max_samples)) - 1;
        self.trees.checked_mul(slots)?.checked_mul(2)
    }
    /// Rows are walked down the trees one at a time: nothing per row.
    fn activations_per_row(&self, _inputs: usize) -> Option<usize> {
        Some(1)
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }
    /// Grown in one pass: no epochs, no reports.
    fn progress_steps(&self, _inputs: usize, _rows: usize, _train: &TrainConfig) -> usize {
        0
    }
}

/// `feature` of a leaf or an unused slot.
const LEAF: f32 = -1.0;
/// Largest ψ: trees of 2^(⌈log₂ ψ⌉+1) − 1 slots stay small (ψ = 256 → 511).
const MAX_SAMPLES: usize = 1 << 16;
/// Largest forest: far past where more trees change a score.
const MAX_TREES: usize = 1 << 14;

pub struct IsolationForest {
    pub config: IForestConfig,
    pub inputs: usize,
    /// [trees, slots]
    feature: Param,
    /// [trees, slots]
    value: Param,
}

/// c(n): average path length of an unsuccessful BST search among n points.
fn average_path(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

/// ⌈log₂ ψ⌉, the height trees grow to.
fn height(psi: usize) -> usize {
    psi.next_power_of_two().trailing_zeros() as usize
}

impl IsolationForest {
    /// An unfitted forest whose shapes follow `config.max_samples` (final once
    /// fitted, which caps it at the row count; used when loading a model).
    pub fn new(inputs: usize, config: IForestConfig) -> Result<Self> {
        if inputs == 0
            || !(1..=MAX_TREES).contains(&config.trees)
            || !(1..=MAX_SAMPLES).contains(&config.max_samples)
        {
            return Err(DetectError::Config(format!(
                "Isolation Forest needs features, 1..={MAX_TREES} trees and 1..={MAX_SAMPLES} samples per tree, got {} features, {} trees, {} samples",
                inputs, config.trees, config.max_samples
            )));
        }
        let slots = (2 << height(config.max_samples)) - 1;
        let shape = [config.trees, slots];
        let mut feature = Tensor::zeros(&shape);
        feature.fill(LEAF);
        Ok(IsolationForest {
            config,
            inputs,
            feature: Param::new("feature", feature),
            value: Param::new("value", Tensor::zeros(&shape)),
        })
    }

    /// Grows a forest on the rows of `x`.
    pub fn fit(x: &Tensor, config: IForestConfig) -> Result<Self> {
        let mut forest = IsolationForest::new(x.row_len(), config)?;
        forest.grow(x)?;
        Ok(forest)
    }

    /// (Re)grows every tree on the rows of `x`, from the config's seed.
    pub fn grow(&mut self, x: &Tensor) -> Result<()> {
        let (n, d) = (x.rows(), x.row_len());
        if n == 0 || d != self.inputs {
            return Err(DetectError::Empty(format!(
                "Isolation Forest needs rows of {} features, got {n} of {d}",
                self.inputs
            )));
        }
        crate::preprocess::check_finite(x)?;
        let psi = self.config.max_samples.min(n);
        *self = IsolationForest::new(
            d,
            IForestConfig {
                max_samples: psi,
                ..self.config.clone()
            },
        )?;
        let slots = self.feature.value.row_len();
        let mut r = rng::seeded(self.config.seed);
        let mut tree = Tree {
            x,
            height: height(psi),
            r: &mut r,
            feature: &mut [],
            value: &mut [],
        };
        let features = self.feature.value.data_mut().chunks_exact_mut(slots);
        let values = self.value.value.data_mut().chunks_exact_mut(slots);
        for (feature, value) in features.zip(values) {
            let mut rows: Vec<usize> = sample(tree.r, n, psi).into_vec();
            tree.feature = feature;
            tree.value = value;
            tree.grow(&mut rows, 0, 0);
        }
        Ok(())
    }

    /// Anomaly scores in (0, 1]: near 1 isolated, ≤ 0.5 ordinary.
    pub fn score(&self, x: &Tensor) -> Result<Vec<f32>> {
        if x.row_len() != self.inputs {
            return Err(DetectError::WidthMismatch {
                got: x.row_len(),
                want: self.inputs,
            });
        }
        crate::preprocess::check_finite(x)?;
        let mut out = Vec::with_capacity(x.rows());
        self.score_rows(x, &mut out);
        Ok(out)
    }

    /// As [`IsolationForest::score`], for rows already checked.
    pub fn score_rows(&self, x: &Tensor, out: &mut Vec<f32>) {
        let slots = self.feature.value.row_len();
        let trees = self.config.trees;
        let norm = average_path(self.config.max_samples).max(f64::MIN_POSITIVE);
        let features = self.feature.value.data();
        let values = self.value.value.data();
        out.clear();
        out.extend(x.data().chunks_exact(self.inputs).map(|row| {
            let total: f64 = (0..trees)
                .map(|t| {
                    let range = t * slots..(t + 1) * slots;
                    path_length(&features[range.clone()], &values[range], row)
                })
                .sum();
            2f64.powf(-total / trees as f64 / norm) as f32
        }));
    }
}

impl Model for IsolationForest {
    fn inputs(&self) -> usize {
        self.inputs
    }

    fn config(&self) -> ModelConfig {
        self.config.clone().into()
    }

    fn describe(&self) -> String {
        format!(
            "Isolation Forest({} trees of {} rows, {} features)",
            self.config.trees, self.config.max_samples, self.inputs
        )
    }

    fn score_kind(&self) -> &'static str {
        "isolation_forest"
    }

    fn fit(
        &mut self,
        x: &Tensor,
        _: &TrainConfig,
        _: &mut (dyn FnMut(&EpochReport) + Send),
    ) -> Result<TrainReport> {
        self.grow(x).map(|_| TrainReport::default())
    }

    fn score_into(&mut self, x: &Tensor, out: &mut Vec<f32>) {
        self.score_rows(x, out);
    }

    /// Checks the structure of loaded trees: every slot a leaf (feature −1,
    /// finite c(n) ≥ 0) or a split on an existing feature at a finite
    /// threshold whose children are inside the tree. Scoring a forest that
    /// passes cannot index out of bounds.
    fn check(&self) -> std::result::Result<(), String> {
        let slots = self.feature.value.row_len();
        let (features, values) = (self.feature.value.data(), self.value.value.data());
        for (i, (f, v)) in features.iter().zip(values).enumerate() {
            let (tree, slot) = (i / slots, i % slots);
            let ok = if *f == LEAF {
                v.is_finite() && *v >= 0.0
            } else {
                f.fract() == 0.0
                    && (0.0..self.inputs as f32).contains(f)
                    && v.is_finite()
                    && 2 * slot + 2 < slots
            };
            if !ok {
                return Err(format!(
                    "Isolation Forest tree {tree}, node {slot}: feature {f}, value {v} is not a valid node"
                ));
            }
        }
        Ok(())
    }
}

impl Parameters for IsolationForest {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.feature);
        f(&self.value);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.feature);
        f(&mut self.value);
    }
}

/// One tree being grown into its slots.
struct Tree<'a> {
    x: &'a Tensor,
    height: usize,
    r: &'a mut Rng,
    feature: &'a mut [f32],
    value: &'a mut [f32],
}

impl Tree<'_> {
    /// Fills heap slot `slot` (at `depth`) with the subtree for `rows`.
    fn grow(&mut self, rows: &mut [usize], slot: usize, depth: usize) {
        self.feature[slot] = LEAF;
        self.value[slot] = average_path(rows.len()) as f32;
        if rows.len() <= 1 || depth >= self.height {
            return;
        }
        // A feature with spread in this node, tried a few times at random.
        let (x, d) = (self.x, self.x.row_len());
        for _ in 0..d.min(16) {
            let f = self.r.random_range(0..d);
            let (lo, hi) = rows
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &i| {
                    let v = x.row(i)[f];
                    (a.min(v), b.max(v))
                });
            if hi <= lo {
                continue;
            }
            let value = self.r.random_range(lo..hi);
            // Partition rows in place: < value to the front.
            let mut split = 0;
            for k in 0..rows.len() {
                if x.row(rows[k])[f] < value {
                    rows.swap(k, split);
                    split += 1;
                }
            }
            self.feature[slot] = f as f32;
            self.value[slot] = value;
            let (left, right) = rows.split_at_mut(split);
            self.grow(left, 2 * slot + 1, depth + 1);
            self.grow(right, 2 * slot + 2, depth + 1);
            return;
        }
    }
}

/// Path length of `row` through one tree: the depth of the leaf it reaches
/// plus that leaf's c(n).
fn path_length(feature: &[f32], value: &[f32], row: &[f32]) -> f64 {
    let (mut slot, mut depth) = (0, 0.0);
    loop {
        let f = feature[slot];
        if f < 0.0 {
            return depth + value[slot] as f64;
        }
        slot = 2 * slot + if row[f as usize] < value[slot] { 1 } else { 2 };
        depth += 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::blob_with_outliers;

    #[test]
    fn outliers_score_highest_and_seeding_is_deterministic() {
        let x = blob_with_outliers();
        let f = IsolationForest::fit(&x, IForestConfig::default()).unwrap();
        let s = f.score(&x).unwrap();
        let inlier_max = s[..300].iter().cloned().fold(0.0, f32::max);
        assert!(
            s[300] > inlier_max && s[301] > inlier_max,
            "{} {} vs {inlier_max}",
            s[300],
            s[301]
        );
        assert!(s[300] > 0.6);
        let again = IsolationForest::fit(&x, IForestConfig::default())
            .unwrap()
            .score(&x)
            .unwrap();
        assert_eq!(s, again);
    }

    #[test]
    fn c_of_n() {
        assert_eq!(average_path(1), 0.0);
        assert_eq!(average_path(2), 1.0);
        // c(256) ≈ 10.24 (the usual normaliser)
        assert!((average_path(256) - 10.24).abs() < 0.01);
    }
}
