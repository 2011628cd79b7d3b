//! Isolation Forest (Liu, Ting & Zhou, 2008): anomalies are few and different,
//! so random axis-aligned splits isolate them in fewer steps. Each tree is
//! grown on a random subsample of ψ rows down to height ⌈log₂ ψ⌉; a row's
//! score is 2^(−E[h(x)] / c(ψ)), where h is the path length (plus c(n) for the
//! n rows left in the reached leaf) and c(n) = 2H(n−1) − 2(n−1)/n the average
//! path length of an unsuccessful search in a binary search tree.
//!
//! Used alone as a baseline, and as the seed's pre-filter: drop the most
//! isolated training rows before an autoencoder learns "normal" from them.

use crate::error::{DetectError, Result};
use aedetect_tensor::{rng, Rng, Tensor};
use rand::seq::index::sample;
use rand::Rng as _;

#[derive(Clone, Debug, PartialEq)]
pub struct IForestConfig {
    pub trees: usize,
    /// Rows per tree (ψ); capped at the data size.
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

#[derive(Clone, Debug)]
enum Node {
    Split {
        feature: usize,
        value: f32,
        left: usize,
        right: usize,
    },
    Leaf {
        size: usize,
    },
}

pub struct IsolationForest {
    pub config: IForestConfig,
    features: usize,
    psi: usize,
    trees: Vec<Vec<Node>>,
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

impl IsolationForest {
    /// Grows the forest on the rows of `x`.
    pub fn fit(x: &Tensor, config: IForestConfig) -> Result<Self> {
        let (n, d) = (x.rows(), x.row_len());
        if n == 0 || d == 0 || config.trees == 0 || config.max_samples == 0 {
            return Err(DetectError::Empty(
                "Isolation Forest needs rows, features, trees and samples".into(),
            ));
        }
        crate::scaler::check_finite(x)?;
        let psi = config.max_samples.min(n);
        let height = (psi as f64).log2().ceil() as usize;
        let mut r = rng::seeded(config.seed);
        let trees = (0..config.trees)
            .map(|_| {
                let mut rows: Vec<usize> = sample(&mut r, n, psi).into_vec();
                let mut nodes = Vec::new();
                grow(x, &mut rows, 0, height, &mut r, &mut nodes);
                nodes
            })
            .collect();
        Ok(IsolationForest {
            config,
            features: d,
            psi,
            trees,
        })
    }

    /// Anomaly scores in (0, 1]: near 1 isolated, ≤ 0.5 ordinary.
    pub fn score(&self, x: &Tensor) -> Result<Vec<f32>> {
        if x.row_len() != self.features {
            return Err(DetectError::WidthMismatch {
                got: x.row_len(),
                want: self.features,
            });
        }
        crate::scaler::check_finite(x)?;
        let norm = average_path(self.psi).max(f64::MIN_POSITIVE);
        Ok((0..x.rows())
            .map(|i| {
                let row = x.row(i);
                let mean: f64 = self.trees.iter().map(|t| path_length(t, row)).sum::<f64>()
                    / self.trees.len() as f64;
                2f64.powf(-mean / norm) as f32
            })
            .collect())
    }
}

/// Builds the subtree for `rows` and returns its index in `nodes`.
fn grow(
    x: &Tensor,
    rows: &mut [usize],
    depth: usize,
    height: usize,
    r: &mut Rng,
    nodes: &mut Vec<Node>,
) -> usize {
    let id = nodes.len();
    nodes.push(Node::Leaf { size: rows.len() });
    if rows.len() <= 1 || depth >= height {
        return id;
    }
    // A feature with spread in this node, tried a few times at random.
    let d = x.row_len();
    for _ in 0..d.min(16) {
        let f = r.random_range(0..d);
        let (lo, hi) = rows
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &i| {
                let v = x.row(i)[f];
                (a.min(v), b.max(v))
            });
        if hi <= lo {
            continue;
        }
        let value = r.random_range(lo..hi);
        // Partition rows in place: < value to the front.
        let mut split = 0;
        for k in 0..rows.len() {
            if x.row(rows[k])[f] < value {
                rows.swap(k, split);
                split += 1;
            }
        }
        let (left_rows, right_rows) = rows.split_at_mut(split);
        let left = grow(x, left_rows, depth + 1, height, r, nodes);
        let right = grow(x, right_rows, depth + 1, height, r, nodes);
        nodes[id] = Node::Split {
            feature: f,
            value,
            left,
            right,
        };
        return id;
    }
    id
}

fn path_length(tree: &[Node], row: &[f32]) -> f64 {
    let (mut node, mut depth) = (0, 0.0);
    loop {
        match tree[node] {
            Node::Split {
                feature,
                value,
                left,
                right,
            } => {
                node = if row[feature] < value { left } else { right };
                depth += 1.0;
            }
            Node::Leaf { size } => return depth + average_path(size),
        }
    }
}

/// The seed's pre-filter: the rows of `x` without the `fraction` most isolated
/// ones (by an Isolation Forest grown on `x` itself).
pub fn drop_most_isolated(x: &Tensor, fraction: f32, config: IForestConfig) -> Result<Tensor> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(DetectError::Config(format!(
            "pre-filter fraction must be in [0, 1), got {fraction}"
        )));
    }
    let scores = IsolationForest::fit(x, config)?.score(x)?;
    let mut order: Vec<usize> = (0..x.rows()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    let keep = x.rows() - (x.rows() as f32 * fraction).floor() as usize;
    let mut kept = order[..keep].to_vec();
    kept.sort_unstable();
    Ok(x.select_rows(&kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob_with_outliers() -> Tensor {
        let mut data = Vec::new();
        for i in 0..300 {
            let t = i as f32 * 0.37;
            data.extend_from_slice(&[t.sin() * 0.5, t.cos() * 0.5, (t * 1.3).sin() * 0.5]);
        }
        data.extend_from_slice(&[8.0, -7.0, 9.0, -9.0, 8.5, -8.0]);
        Tensor::from_vec(&[302, 3], data)
    }

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
    fn pre_filter_drops_the_outliers() {
        let x = blob_with_outliers();
        let kept = drop_most_isolated(&x, 0.01, IForestConfig::default()).unwrap();
        assert_eq!(kept.rows(), 299);
        assert!(
            kept.data().iter().all(|v| v.abs() < 1.0),
            "an outlier survived the pre-filter"
        );
    }

    #[test]
    fn c_of_n() {
        assert_eq!(average_path(1), 0.0);
        assert_eq!(average_path(2), 1.0);
        // c(256) ≈ 10.24 (the usual normaliser)
        assert!((average_path(256) - 10.24).abs() < 0.01);
    }
}
