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
    Some(percentile_of_sorted(&v, q))
}

/// [`percentile`] of values already sorted ascending (none NaN, at least one).
fn percentile_of_sorted(v: &[f32], q: f64) -> f32 {
    let pos = (q.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = (pos - lo as f64) as f32;
    v[lo] + (v[hi] - v[lo]) * frac
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

/// A rule for setting the threshold from calibration scores, as a user names
/// it: `p99`, `p95`, `p99.5` (percentile of the calibration normals),
/// `mean+3std` (mean + k·σ of the calibration normals) or `f1` (best F1 on
/// labelled calibration rows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ThresholdRule {
    Percentile(f64),
    MeanKStd(f64),
    BestF1,
}

impl ThresholdRule {
    /// Whether the rule needs known anomalies among the calibration rows.
    pub fn needs_anomalies(&self) -> bool {
        matches!(self, ThresholdRule::BestF1)
    }

    /// The threshold from calibration scores and their labels (`true` =
    /// anomaly). Percentile and mean + k·σ use the normals only. `None` when
    /// the calibration rows cannot support the rule (no normals; for `f1`, no
    /// anomalies).
    pub fn apply(&self, scores: &[f32], labels: &[bool]) -> Option<f32> {
        let normals: Vec<f32> = scores
            .iter()
            .zip(labels)
            .filter(|(_, l)| !**l)
            .map(|(s, _)| *s)
            .collect();
        match *self {
            ThresholdRule::Percentile(q) => percentile(&normals, q),
            ThresholdRule::MeanKStd(k) => mean_k_std(&normals, k),
            ThresholdRule::BestF1 => best_f1(scores, labels),
        }
    }
}

impl std::str::FromStr for ThresholdRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "unknown threshold rule `{s}` (expected p99, p95, pNN, mean+3std, mean+Kstd or f1)"
            )
        };
        let t = s.trim().to_ascii_lowercase();
        if t == "f1" {
            return Ok(ThresholdRule::BestF1);
        }
        if let Some(q) = t.strip_prefix('p') {
            let q: f64 = q.parse().map_err(|_| bad())?;
            return if (0.0..=100.0).contains(&q) {
                Ok(ThresholdRule::Percentile(q))
            } else {
                Err(format!("percentile {q} is outside 0–100"))
            };
        }
        if let Some(k) = t.strip_prefix("mean+").and_then(|r| r.strip_suffix("std")) {
            let k: f64 = k.parse().map_err(|_| bad())?;
            return if k.is_finite() {
                Ok(ThresholdRule::MeanKStd(k))
            } else {
                Err(bad())
            };
        }
        Err(bad())
    }
}

impl std::fmt::Display for ThresholdRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThresholdRule::Percentile(q) => write!(f, "p{q}"),
            ThresholdRule::MeanKStd(k) => write!(f, "mean+{k}std"),
            ThresholdRule::BestF1 => write!(f, "f1"),
        }
    }
}

/// Drift: the threshold recomputed from a rolling window of recent scores,
/// for a stream whose normal behaviour moves slowly.
///
/// [`push`](Self::push) records a score the caller takes as normal (e.g. one
/// confirmed by feedback); [`flag`](Self::flag) judges a new score against
/// the current threshold and then records it whatever the verdict. Recording
/// only unflagged scores would be a trap: every recorded score would then lie
/// below the threshold, so their q-th percentile could only ever fall and
/// the threshold could never follow an upward drift. The price of recording
/// everything is that anomalies count too: the q-th percentile stays a
/// threshold for normal rows while anomalies make up less than (100 − q) %
/// of the window (2 rows in 200 at q = 99), so a window should be long
/// against the longest expected burst.
///
/// Until the window is full the caller's fixed threshold (the calibrated
/// one) applies. A push costs O(window) at worst (a sorted copy is kept) and
/// reading the threshold O(1), with no allocation once the window is full.
#[derive(Clone, Debug)]
pub struct RollingThreshold {
    /// Scores in arrival order (the oldest leaves first).
    window: std::collections::VecDeque<f32>,
    /// The same scores, ascending.
    sorted: Vec<f32>,
    capacity: usize,
    q: f64,
}

impl RollingThreshold {
    /// Keeps the last `capacity` normal scores; the threshold is their q-th percentile.
    pub fn new(capacity: usize, q: f64) -> Self {
        let capacity = capacity.max(1);
        RollingThreshold {
            window: std::collections::VecDeque::with_capacity(capacity),
            sorted: Vec::with_capacity(capacity),
            capacity,
            q,
        }
    }

    /// Records a score judged normal (NaN is ignored).
    pub fn push(&mut self, score: f32) {
        if score.is_nan() {
            return;
        }
        if self.window.len() == self.capacity {
            if let Some(old) = self.window.pop_front() {
                let at = self.sorted.partition_point(|v| v.total_cmp(&old).is_lt());
                self.sorted.remove(at);
            }
        }
        self.window.push_back(score);
        let at = self.sorted.partition_point(|v| v.total_cmp(&score).is_lt());
        self.sorted.insert(at, score);
    }

    /// The q-th percentile of the window, `None` while it is empty.
    pub fn threshold(&self) -> Option<f32> {
        (!self.sorted.is_empty()).then(|| percentile_of_sorted(&self.sorted, self.q))
    }

    /// Whether the window holds `capacity` scores.
    pub fn is_full(&self) -> bool {
        self.window.len() == self.capacity
    }

    /// The threshold a new score is judged against: the window's once it is
    /// full, else `fixed`.
    pub fn current(&self, fixed: f32) -> f32 {
        match self.threshold() {
            Some(t) if self.is_full() => t,
            _ => fixed,
        }
    }

    /// Flags `score` (score > [`current`](Self::current)), then records it.
    pub fn flag(&mut self, score: f32, fixed: f32) -> bool {
        let flagged = score > self.current(fixed);
        self.push(score);
        flagged
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
    fn rolling_threshold_equals_the_percentile_of_the_last_scores() {
        use rand::Rng as _;
        let mut rng = aedetect_tensor::rng::seeded(3);
        let mut r = RollingThreshold::new(50, 95.0);
        let mut all = Vec::new();
        for i in 0..400 {
            // Ties on purpose: values on a coarse grid, drifting upwards.
            let s = (rng.random_range(0.0..10.0f32) + i as f32 / 40.0).round();
            r.push(s);
            all.push(s);
            let last = &all[all.len().saturating_sub(50)..];
            assert_eq!(r.threshold(), percentile(last, 95.0));
        }
    }

    #[test]
    fn flags_use_the_fixed_threshold_until_the_window_fills() {
        let mut r = RollingThreshold::new(3, 100.0);
        // Not yet full: judged against the fixed 5.
        assert!(r.flag(6.0, 5.0));
        assert!(!r.flag(1.0, 5.0));
        assert!(!r.flag(2.0, 5.0));
        // Full with 6, 1, 2: the threshold is their maximum.
        assert_eq!(r.current(5.0), 6.0);
        assert!(!r.flag(5.5, 5.0), "5.5 passes the window's threshold");
        // 6 has left; the window is 1, 2, 5.5.
        assert!(r.flag(5.75, 5.0));
        // Flagged scores enter too, so the threshold can rise with a drift.
        assert_eq!(r.current(5.0), 5.75);
        for _ in 0..3 {
            r.flag(0.5, 5.0);
        }
        assert_eq!(r.current(5.0), 0.5);
    }

    #[test]
    fn rules_parse_print_and_apply() {
        for (text, rule) in [
            ("p99", ThresholdRule::Percentile(99.0)),
            ("P95", ThresholdRule::Percentile(95.0)),
            ("p99.5", ThresholdRule::Percentile(99.5)),
            ("mean+3std", ThresholdRule::MeanKStd(3.0)),
            ("f1", ThresholdRule::BestF1),
        ] {
            let parsed: ThresholdRule = text.parse().unwrap();
            assert_eq!(parsed, rule);
            assert_eq!(parsed.to_string().parse::<ThresholdRule>().unwrap(), rule);
        }
        for bad in ["p101", "q9", "mean+xstd", "", "pnan"] {
            assert!(bad.parse::<ThresholdRule>().is_err(), "{bad}");
        }
        let scores = [1.0, 2.0, 3.0, 10.0];
        let labels = [false, false, false, true];
        assert_eq!(
            ThresholdRule::Percentile(100.0).apply(&scores, &labels),
            Some(3.0)
        );
        let f1 = ThresholdRule::BestF1.apply(&scores, &labels).unwrap();
        assert!(f1 > 3.0 && f1 < 10.0);
        assert_eq!(ThresholdRule::BestF1.apply(&scores, &[false; 4]), None);
    }

    #[test]
    fn mean_k_std_value() {
        assert_eq!(mean_k_std(&[1.0, 3.0], 1.0), Some(3.0));
    }
}
