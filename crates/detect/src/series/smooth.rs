//! Smoothing of window errors against alert fatigue: the trailing mean of
//! the last K scores, s̄_t = (1/k) Σ_{j=t−k+1..t} s_j with k = min(K, scores
//! so far). Trailing, so the smoothed score at t uses nothing after t.

/// The mean of `recent` (the last K scores, oldest first), summed in f64 in
/// time order: the file scorer and the live scorer call this on the same
/// values and so give the same bits.
pub fn trailing_mean(recent: &[f32]) -> f32 {
    if recent.is_empty() {
        return f32::NAN;
    }
    let sum: f64 = recent.iter().map(|&s| f64::from(s)).sum();
    (sum / recent.len() as f64) as f32
}

/// Every trailing mean of `scores` over `k` (≥ 1) scores.
pub fn smooth(scores: &[f32], k: usize) -> Vec<f32> {
    let k = k.max(1);
    (0..scores.len())
        .map(|t| trailing_mean(&scores[(t + 1).saturating_sub(k)..=t]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_means_use_the_past_only() {
        let s = [1.0, 3.0, 5.0, 100.0];
        assert_eq!(smooth(&s, 1), s);
        assert_eq!(smooth(&s, 2), [1.0, 2.0, 4.0, 52.5]);
        assert_eq!(smooth(&s, 3), [1.0, 2.0, 3.0, 36.0]);
        // The last value never changes the earlier ones.
        assert_eq!(smooth(&s[..3], 3), smooth(&s, 3)[..3]);
    }
}
