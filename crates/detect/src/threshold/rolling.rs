//! A threshold that follows slow drift: the percentile of a rolling window
//! of recent scores.

use super::rules::percentile_of_sorted;

/// Drift: the threshold recomputed from a rolling window of recent scores,
/// for a stream whose normal behaviour moves slowly.
///
/// [`flag`](Self::flag) judges a new score against the current threshold and
/// then records it whatever the verdict; [`push`](Self::push) records a score
/// without judging it (e.g. a warm-up stretch, or feedback). Recording
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
    /// Keeps the last `capacity` recorded scores; the threshold is their q-th
    /// percentile.
    pub fn new(capacity: usize, q: f64) -> Self {
        let capacity = capacity.max(1);
        // Storage grows with the scores actually seen, not with the asked
        // capacity: a huge window costs memory only as it fills.
        let reserve = capacity.min(1 << 16);
        RollingThreshold {
            window: std::collections::VecDeque::with_capacity(reserve),
            sorted: Vec::with_capacity(reserve),
            capacity,
            q,
        }
    }

    /// Records a score (NaN is ignored): every score [`flag`](Self::flag)
    /// judges, or one the caller confirmed as normal.
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
    use crate::threshold::percentile;

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
}
