//! Normal scores ("rank-Gauss"): each feature mapped through its training
//! rows' ranks onto the standard normal's quantiles, what scikit-learn's
//! `QuantileTransformer(output_distribution="normal")` computes, with a tail
//! that keeps ranking values past the training range.
//!
//! Standard scaling keeps a feature's shape: one heavy-tailed column, or a
//! count that is usually 0 and sometimes 300, then dominates a squared error,
//! and a network spends its capacity on the few huge values. After this map
//! every feature is N(0, 1) over the training rows, and a value counts by
//! how rare it is among them, not by its units:
//!
//!   z(x) = Φ⁻¹(F̂(x)),   F̂(x) = (rank of x among the n training values + ½) / n
//!
//! F̂ is kept as `KNOTS` order statistics q_i with their ranks
//! p_i = (t_i + ½)/n (every row's value when n ≤ `KNOTS`, else the evenly
//! spaced positions t_i = i·(n − 1)/(KNOTS − 1)), as scikit-learn keeps it:
//! * between two knots, F̂ is interpolated linearly, then z = Φ⁻¹(F̂);
//! * a value equal to a run of tied knots (a discrete feature's 0) gets the
//!   middle of the run's ranks: its midrank;
//! * past the range, z continues linearly with slope 1/σ (σ: the feature's
//!   training deviation): a value far past every training row still ranks
//!   by how far past it is, where scikit-learn clips at ±5.2.

use super::scaler::inverse_std;
use crate::error::{DetectError, Result};
use crate::threshold::mean_and_std;
use aedetect_nn::Param;
use aedetect_tensor::Tensor;
use rayon::prelude::*;

/// Order statistics kept per feature (scikit-learn keeps 1,000).
pub const KNOTS: usize = 512;

/// Inputs of at least this many values are mapped in parallel.
const PARALLEL_MIN_VALUES: usize = 1 << 13;

/// Values per parallel task (whole rows of about this many values).
const TASK_VALUES: usize = 1 << 11;

#[derive(Clone, Debug)]
pub struct NormalScores {
    /// [features, KNOTS]: each feature's order statistics q_i, non-decreasing.
    knots: Param,
    /// [KNOTS]: the knots' ranks p_i = (t_i + ½)/n, non-decreasing in (0, 1).
    ranks: Param,
    /// [features]: 1/σ, the slope past the training range.
    slopes: Param,
}

impl NormalScores {
    /// An unfitted map of `features` columns (the identity's shapes; filled
    /// by [`NormalScores::fit`] or a model file).
    pub fn new(features: usize) -> Self {
        NormalScores {
            knots: Param::new("normal_scores.knots", Tensor::zeros(&[features, KNOTS])),
            ranks: Param::new(
                "normal_scores.ranks",
                Tensor::from_vec(&[KNOTS], vec![0.5; KNOTS]),
            ),
            slopes: Param::new("normal_scores.slopes", Tensor::zeros(&[features])),
        }
    }

    /// Parameter values a map of `features` columns holds.
    pub fn parameter_count(features: usize) -> Option<usize> {
        features.checked_mul(KNOTS + 1)?.checked_add(KNOTS)
    }

    pub fn features(&self) -> usize {
        self.slopes.value.len()
    }

    /// Fits the map on the rows of `x` ([rows, features], finite).
    pub fn fit(&mut self, x: &Tensor) -> Result<()> {
        let (n, d) = (x.rows(), x.row_len());
        if n == 0 || d != self.features() {
            return Err(DetectError::Config(format!(
                "normal scores of {} features cannot be fitted on {n} rows of {d}",
                self.features()
            )));
        }
        let positions: Vec<f64> = (0..KNOTS)
            .map(|i| {
                if n <= KNOTS {
                    i.min(n - 1) as f64
                } else {
                    i as f64 * (n - 1) as f64 / (KNOTS - 1) as f64
                }
            })
            .collect();
        for (p, &t) in self.ranks.value.data_mut().iter_mut().zip(&positions) {
            *p = ((t + 0.5) / n as f64) as f32;
        }
        let mut column = vec![0.0f32; n];
        for j in 0..d {
            for (c, row) in column.iter_mut().zip(x.data().chunks_exact(d)) {
                *c = row[j];
            }
            column.sort_unstable_by(f32::total_cmp);
            let knots = &mut self.knots.value.data_mut()[j * KNOTS..(j + 1) * KNOTS];
            for (q, &t) in knots.iter_mut().zip(&positions) {
                let lo = t.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                let f = t - lo as f64;
                *q = (column[lo] as f64 * (1.0 - f) + column[hi] as f64 * f) as f32;
            }
            let (mean, sd) = mean_and_std(&column);
            self.slopes.value.data_mut()[j] = inverse_std(mean, sd);
        }
        Ok(())
    }

    /// z of value `x` of feature `j`.
    fn forward(&self, j: usize, x: f32) -> f32 {
        let q = &self.knots.value.data()[j * KNOTS..(j + 1) * KNOTS];
        let p = self.ranks.value.data();
        let slope = self.slopes.value.data()[j] as f64;
        // Knots below x, and knots at or below x: between them, x's ties.
        let below = q.partition_point(|&v| v < x);
        let upto = below + q[below..].partition_point(|&v| v <= x);
        let z = if below < upto {
            probit(0.5 * (p[below] as f64 + p[upto - 1] as f64))
        } else if below == 0 {
            probit(p[0] as f64) - (q[0] as f64 - x as f64) * slope
        } else if below == KNOTS {
            probit(p[KNOTS - 1] as f64) + (x as f64 - q[KNOTS - 1] as f64) * slope
        } else {
            let (x0, x1) = (q[below - 1] as f64, q[below] as f64);
            let f = (x as f64 - x0) / (x1 - x0);
            probit(p[below - 1] as f64 + (p[below] as f64 - p[below - 1] as f64) * f)
        };
        z as f32
    }

    /// The value of feature `j` whose normal score is `y`: the map's
    /// inverse (a tie run's scores all map back to its value).
    fn inverse(&self, j: usize, y: f32) -> f32 {
        let q = &self.knots.value.data()[j * KNOTS..(j + 1) * KNOTS];
        let p = self.ranks.value.data();
        let slope = self.slopes.value.data()[j] as f64;
        let y = y as f64;
        // The first knot whose score is at least y (scores rise with i).
        let above = p.partition_point(|&r| probit(r as f64) < y);
        let x = if above == 0 {
            q[0] as f64 - (probit(p[0] as f64) - y) / slope
        } else if above == KNOTS {
            q[KNOTS - 1] as f64 + (y - probit(p[KNOTS - 1] as f64)) / slope
        } else {
            // F̂ is linear in p between the knots: find the p with Φ⁻¹(p) = y
            // there (bisection, to f64's resolution), then its value.
            let (p0, p1) = (p[above - 1] as f64, p[above] as f64);
            let (mut lo, mut hi) = (p0, p1);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if probit(mid) < y {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let f = if p1 > p0 { (lo - p0) / (p1 - p0) } else { 0.0 };
            q[above - 1] as f64 + (q[above] as f64 - q[above - 1] as f64) * f
        };
        x as f32
    }

    /// `out` = z(x), row by row (resized to x's shape; no allocation once
    /// sized). A value costs two binary searches and a Φ⁻¹, some 50 ns, so
    /// inputs from [`PARALLEL_MIN_VALUES`] values split into runs of rows
    /// across the pool; each value is computed alone, so the bits are the
    /// same either way.
    pub fn transform_into(&self, x: &Tensor, out: &mut Tensor) {
        let d = self.features();
        debug_assert_eq!(x.row_len(), d);
        out.resize(x.shape());
        let rows = |o: &mut [f32], v: &[f32]| {
            for (o, v) in o.chunks_exact_mut(d).zip(v.chunks_exact(d)) {
                for (j, (o, &v)) in o.iter_mut().zip(v).enumerate() {
                    *o = self.forward(j, v);
                }
            }
        };
        if x.len() < PARALLEL_MIN_VALUES {
            rows(out.data_mut(), x.data());
        } else {
            let run = d * (TASK_VALUES / d).max(1);
            out.data_mut()
                .par_chunks_mut(run)
                .zip(x.data().par_chunks(run))
                .for_each(|(o, v)| rows(o, v));
        }
    }

    /// Maps values of feature `j` to their normal scores, in place.
    pub fn map_in_place(&self, j: usize, values: &mut [f32]) {
        for v in values {
            *v = self.forward(j, *v);
        }
    }

    /// Maps rows of normal scores (a reconstruction) back to the features' values.
    pub fn inverse_in_place(&self, y: &mut Tensor) {
        let d = self.features();
        for row in y.data_mut().chunks_exact_mut(d) {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.inverse(j, *v);
            }
        }
    }

    pub fn params(&self) -> [&Param; 3] {
        [&self.knots, &self.ranks, &self.slopes]
    }

    pub fn params_mut(&mut self) -> [&mut Param; 3] {
        [&mut self.knots, &mut self.ranks, &mut self.slopes]
    }

    /// What a model file must hold: finite knots in order, ranks in order
    /// inside (0, 1), positive slopes.
    pub fn check(&self) -> std::result::Result<(), String> {
        let p = self.ranks.value.data();
        if !p.iter().all(|&v| v > 0.0 && v < 1.0) || !p.windows(2).all(|w| w[0] <= w[1]) {
            return Err("normal-score ranks must be in order inside (0, 1)".into());
        }
        for (j, q) in self.knots.value.data().chunks_exact(KNOTS).enumerate() {
            if !q.iter().all(|v| v.is_finite()) || !q.windows(2).all(|w| w[0] <= w[1]) {
                return Err(format!(
                    "normal-score knots of column {j} must be finite and in order"
                ));
            }
        }
        if !self
            .slopes
            .value
            .data()
            .iter()
            .all(|&s| s.is_finite() && s > 0.0)
        {
            return Err("normal-score slopes must be positive".into());
        }
        Ok(())
    }
}

/// Φ⁻¹(p), the standard normal's quantile function, for p in (0, 1):
/// Acklam's rational approximation (relative error below 1.2·10⁻⁹, far
/// under f32's resolution).
pub fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    let poly = |c: &[f64], x: f64| c.iter().fold(0.0, |acc, &k| acc * x + k);
    if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        poly(&C, q) / (poly(&D, q) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    } else {
        -probit(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted(columns: &[Vec<f32>]) -> NormalScores {
        let n = columns[0].len();
        let d = columns.len();
        let data = (0..n)
            .flat_map(|i| columns.iter().map(move |c| c[i]))
            .collect();
        let mut m = NormalScores::new(d);
        m.fit(&Tensor::from_vec(&[n, d], data)).unwrap();
        m
    }

    #[test]
    fn probit_inverts_the_normal_cdf() {
        // Φ(1) = 0.841344746068543, Φ(−2.5) = 0.006209665325776132, Φ(4) = 0.9999683287581669
        for (p, z) in [
            (0.5, 0.0),
            (0.841_344_746_068_543, 1.0),
            (0.006_209_665_325_776_132, -2.5),
            (0.999_968_328_758_166_9, 4.0),
        ] {
            assert!((probit(p) - z).abs() < 1e-7, "Φ⁻¹({p}) = {}", probit(p));
        }
    }

    /// With fewer rows than knots every row is a knot: each value's score is
    /// Φ⁻¹ of its midrank probability, whatever the feature's units.
    #[test]
    fn each_training_value_gets_its_midrank_score() {
        let n = 200;
        let exp: Vec<f32> = (0..n).map(|i| (i as f32 * 0.05).exp()).collect();
        let m = fitted(std::slice::from_ref(&exp));
        for (i, &v) in exp.iter().enumerate() {
            let want = probit((i as f64 + 0.5) / n as f64) as f32;
            assert!((m.forward(0, v) - want).abs() < 1e-4, "row {i}");
        }
    }

    /// A discrete feature: a value shared by many rows gets the middle of
    /// its run, so 70 % zeros score Φ⁻¹(0.35).
    #[test]
    fn tied_values_get_the_middle_of_their_run() {
        let col: Vec<f32> = (0..1000)
            .map(|i| if i < 700 { 0.0 } else { 1.0 + (i - 700) as f32 })
            .collect();
        let m = fitted(&[col]);
        let z0 = m.forward(0, 0.0);
        assert!((z0 as f64 - probit(0.35)).abs() < 0.002, "{z0}");
    }

    /// Past the range the map goes on at slope 1/σ; inside it, it increases.
    #[test]
    fn values_past_the_range_still_rank_and_the_inverse_returns_them() {
        let col: Vec<f32> = (0..3000)
            .map(|i| ((i * 7919) % 3000) as f32 / 30.0)
            .collect();
        let m = fitted(std::slice::from_ref(&col));
        let sd = {
            let mean = col.iter().sum::<f32>() / 3000.0;
            (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 3000.0).sqrt()
        };
        let top = m.forward(0, 99.9667);
        let past = m.forward(0, 99.9667 + 2.0 * sd);
        assert!((past - top - 2.0).abs() < 1e-3, "{top} {past}");
        let xs: Vec<f32> = (-50..1050).map(|i| i as f32 / 10.0).collect();
        for w in xs.windows(2) {
            assert!(m.forward(0, w[0]) < m.forward(0, w[1]), "{w:?}");
        }
        for &x in &xs {
            let back = m.inverse(0, m.forward(0, x));
            assert!((back - x).abs() < 1e-3 * x.abs().max(1.0), "{x} -> {back}");
        }
    }

    /// A large input, mapped across the pool, gets the bits of mapping each
    /// row alone.
    #[test]
    fn parallel_mapping_gives_each_rows_own_bits() {
        let (n, d) = (4000, 7);
        let data: Vec<f32> = (0..n * d)
            .map(|i| ((i * 7919) % 1009) as f32 / 37.0 - 9.0)
            .collect();
        let x = Tensor::from_vec(&[n, d], data);
        let mut m = NormalScores::new(d);
        m.fit(&x).unwrap();
        let mut all = Tensor::default();
        m.transform_into(&x, &mut all);
        assert!(x.len() >= PARALLEL_MIN_VALUES);
        let mut one = Tensor::default();
        for i in (0..n).step_by(97) {
            m.transform_into(&x.select_rows(&[i]), &mut one);
            assert_eq!(one.data(), &all.data()[i * d..(i + 1) * d], "row {i}");
        }
    }

    /// The scores of a column's training values have mean ≈ 0, σ ≈ 1.
    #[test]
    fn training_scores_are_standard_normal() {
        let col: Vec<f32> = (0..5000)
            .map(|i| ((i as f32 + 0.5) / 5000.0).powi(4) * 1e4)
            .collect();
        let m = fitted(std::slice::from_ref(&col));
        let mut z = Tensor::default();
        m.transform_into(&Tensor::from_vec(&[5000, 1], col), &mut z);
        let mean = z.data().iter().sum::<f32>() / 5000.0;
        let var = z
            .data()
            .iter()
            .map(|v| (v - mean) * (v - mean))
            .sum::<f32>()
            / 5000.0;
        assert!(
            mean.abs() < 1e-3 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
        assert!(m.check().is_ok());
    }
}
