//! The calibrated level: a smoothed score mapped into [0, 1] by where it
//! falls among the normal stretch's held-out scores, so that levels of
//! different series compare and one threshold serves many series.
//!
//! With the calibration scores sorted, q₁ ≤ … ≤ q_m, the j-th sits at level
//! p_j = j/(m + 1) (the plotting positions: no calibration score is 0 or 1),
//! and between two of them the level is linear. Past the ends the level
//! keeps ranking instead of saturating, with a hyperbolic tail of scale σ
//! (the spread of the upper half, q_m − median):
//!
//!   s > q_m:  level = 1 − (1 − p_m) / (1 + (s − q_m)/σ)
//!   s < q₁:   level = p₁ / (1 + (q₁ − s)/σ)
//!
//! so a score twice as far past the stretch's maximum is a higher level,
//! however far out both are. Monotone in s, continuous, in (0, 1).

use crate::threshold::tail_spread;

/// At most this many calibration quantiles are kept (in the model file).
pub const MAX_LEVEL_POINTS: usize = 1001;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LevelCurve {
    /// Sorted calibration scores (or, from a larger sample, its quantiles).
    pub points: Vec<f32>,
    /// σ of the tails.
    pub scale: f32,
}

impl LevelCurve {
    /// The curve of `scores` (finite; at least one).
    pub fn fit(scores: &[f32]) -> Option<Self> {
        let mut sorted: Vec<f32> = scores.iter().copied().filter(|s| s.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f32::total_cmp);
        let points: Vec<f32> = if sorted.len() <= MAX_LEVEL_POINTS {
            sorted
        } else {
            let last = (sorted.len() - 1) as f64;
            (0..MAX_LEVEL_POINTS)
                .map(|j| sorted[(j as f64 * last / (MAX_LEVEL_POINTS - 1) as f64).round() as usize])
                .collect()
        };
        let scale = tail_spread(&points);
        Some(LevelCurve { points, scale })
    }

    /// Whether a loaded curve can be used: sorted finite points, positive scale.
    pub fn check(&self) -> Result<(), String> {
        if self.points.is_empty() || self.points.len() > MAX_LEVEL_POINTS {
            return Err(format!(
                "a level curve needs 1 to {MAX_LEVEL_POINTS} points, not {}",
                self.points.len()
            ));
        }
        if self.points.iter().any(|p| !p.is_finite()) || self.points.windows(2).any(|w| w[0] > w[1])
        {
            return Err("the level curve's points are not finite and sorted".into());
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(format!(
                "the level curve's scale {} is not positive",
                self.scale
            ));
        }
        Ok(())
    }

    /// The level of score `s` (NaN for NaN).
    pub fn level(&self, s: f32) -> f64 {
        if s.is_nan() {
            return f64::NAN;
        }
        let q = &self.points;
        let m = q.len();
        let p = |j: usize| j as f64 / (m + 1) as f64; // the level of q_j, 1-based
        let (s, scale) = (f64::from(s), f64::from(self.scale));
        let k = q.partition_point(|&v| f64::from(v) <= s);
        if k == 0 {
            return p(1) / (1.0 + (f64::from(q[0]) - s) / scale);
        }
        if k == m {
            return 1.0 - (1.0 - p(m)) / (1.0 + (s - f64::from(q[m - 1])) / scale);
        }
        // q_k ≤ s < q_{k+1} (1-based): linear between their levels.
        let (lo, hi) = (f64::from(q[k - 1]), f64::from(q[k]));
        p(k) + (s - lo) / (hi - lo) * (p(k + 1) - p(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_calibration_ranks_and_keep_ranking_past_the_ends() {
        let c = LevelCurve::fit(&[3.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(c.points, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c.level(1.0), 0.2);
        assert_eq!(c.level(2.5), 0.5);
        assert_eq!(c.level(4.0), 0.8);
        // Monotone everywhere, strictly inside (0, 1), never saturating.
        let mut last = 0.0;
        for s in [
            -1e9, -10.0, 0.0, 0.99, 1.0, 1.5, 3.9, 4.0, 4.1, 10.0, 1e3, 1e6, 1e9,
        ] {
            let l = c.level(s);
            assert!(l > last && l < 1.0, "level({s}) = {l} after {last}");
            last = l;
        }
        assert!(c.level(f32::NAN).is_nan());
    }

    #[test]
    fn ties_and_a_single_point_work_and_large_samples_are_summarised() {
        let c = LevelCurve::fit(&[2.0, 2.0, 2.0]).unwrap();
        assert!(c.scale > 0.0);
        assert!(c.level(1.0) < c.level(2.0) && c.level(2.0) < c.level(3.0));
        let one = LevelCurve::fit(&[5.0]).unwrap();
        assert_eq!(one.level(5.0), 0.5);
        assert!(LevelCurve::fit(&[f32::NAN]).is_none());
        let many: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        let c = LevelCurve::fit(&many).unwrap();
        assert_eq!(c.points.len(), MAX_LEVEL_POINTS);
        assert_eq!((c.points[0], c.points[MAX_LEVEL_POINTS - 1]), (0.0, 9999.0));
        assert!((c.level(5000.0) - 0.5).abs() < 1e-3);
        assert!(c.check().is_ok());
        let bad = LevelCurve {
            points: vec![2.0, 1.0],
            scale: 1.0,
        };
        assert!(bad.check().is_err());
    }
}
