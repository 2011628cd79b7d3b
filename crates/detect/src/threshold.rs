//! Choosing the score above which a row is flagged. A row is anomalous when
//! its score is strictly greater than the threshold.
//!
//! Thresholds must be set on data the model was not trained on and never on
//! the test data: see [`crate::split`] for the three-way split.

/// The q-th percentile (q in [0, 100]) with linear interpolation between
/// order statistics (NumPy's default), ignoring NaN. `None` if no values.
pub fn percentile(scores: &[f32], q: f64) -> Option<f32> {
    let mut v: Vec<f32> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let pos = (q.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = (pos - lo as f64) as f32;
    Some(v[lo] + (v[hi] - v[lo]) * frac)
}

/// mean + k·σ of the scores (population σ).
pub fn mean_k_std(scores: &[f32], k: f64) -> Option<f32> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let mean = scores.iter().map(|s| *s as f64).sum::<f64>() / n;
    let var = scores
        .iter()
        .map(|s| (*s as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    Some((mean + k * var.sqrt()) as f32)
}

/// The threshold maximising F1 on labelled calibration data (normals and a
/// few known anomalies). Candidates lie midway between consecutive distinct
/// scores, so the result does not sit exactly on a calibration point.
pub fn best_f1(scores: &[f32], labels: &[bool]) -> Option<f32> {
    assert_eq!(
        scores.len(),
        labels.len(),
        "best_f1: scores and labels differ in length"
    );
    let positives = labels.iter().filter(|l| **l).count();
    if positives == 0 || scores.is_empty() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    // Sweep from the highest score down; after each group of equal scores the
    // flagged set is "everything seen so far".
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best = (-1.0f64, f32::INFINITY);
    for (rank, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = order.get(rank + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (positives - tp)) as f64;
        if f1 > best.0 {
            let below = next.unwrap_or(scores[i] - 1.0);
            best = (f1, below + (scores[i] - below) / 2.0);
        }
    }
    Some(best.1)
}

/// Drift: the threshold recomputed from a rolling window of the most recent
/// normal scores.
#[derive(Clone, Debug)]
pub struct RollingThreshold {
    window: std::collections::VecDeque<f32>,
    capacity: usize,
    q: f64,
}

impl RollingThreshold {
    /// Keeps the last `capacity` normal scores; the threshold is their q-th percentile.
    pub fn new(capacity: usize, q: f64) -> Self {
        RollingThreshold {
            window: std::collections::VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            q,
        }
    }

    /// Records a score judged normal.
    pub fn push(&mut self, score: f32) {
        if self.window.len() == self.capacity {
            self.window.pop_front();
        }
        self.window.push_back(score);
    }

    /// The q-th percentile of the window, `None` while it is empty.
    pub fn threshold(&self) -> Option<f32> {
        let (a, b) = self.window.as_slices();
        if b.is_empty() {
            percentile(a, self.q)
        } else {
            percentile(&self.window.iter().copied().collect::<Vec<_>>(), self.q)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        assert!((percentile(&v, 95.0).unwrap() - 3.85).abs() < 1e-6);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn best_f1_separates_clean_case() {
        let scores = [0.1, 0.2, 0.3, 0.9, 1.0];
        let labels = [false, false, false, true, true];
        let t = best_f1(&scores, &labels).unwrap();
        assert!(t > 0.3 && t < 0.9, "{t}");
    }

    #[test]
    fn rolling_window_follows_drift() {
        let mut r = RollingThreshold::new(4, 100.0);
        assert_eq!(r.threshold(), None);
        for s in [1.0, 2.0, 3.0, 4.0, 0.5, 0.5, 0.5] {
            r.push(s);
        }
        assert_eq!(r.threshold(), Some(4.0));
        r.push(0.5);
        assert_eq!(r.threshold(), Some(0.5));
    }

    #[test]
    fn mean_k_std_value() {
        assert_eq!(mean_k_std(&[1.0, 3.0], 1.0), Some(3.0));
    }
}
