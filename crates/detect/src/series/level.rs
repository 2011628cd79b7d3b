//! The calibrated level: a smoothed score mapped into [0, 1) by the series'
//! own threshold T, which `fit.rs` sets on the normal stretch's held-out
//! windows. With the score's ratio to it, r = s / T:
//!
//!   level = r / (1 + r) = s / (s + T)        (s clamped at 0)
//!
//! - Level ½ is every series' alarm point: level > ½ exactly where s > T,
//!   so one threshold on levels cuts every series where its own rule does,
//!   and moving it moves every series' cut by the same factor on its scores.
//! - Monotone in s and never saturating: a score twice as far past T is a
//!   higher level, however far out both are (1 − level = T / (s + T)).
//!
//! Why not the score's rank among the stretch's scores (this file's level
//! until session 18): a rank puts each series' threshold at a different
//! level, by how many held-out windows it has and how heavy their tail is,
//! so one threshold over a corpus cut each series at a different place.
//! On the five NAB series (LSTM AE, NAB's corpus-wide threshold, seeds
//! 0–2), ranks scored 39.8 / 51.3 / 34.7 and this ratio 54.2 / 48.9 / 46.9
//! (RESULTS.md). Measuring the ratio from the stretch's median or minimum
//! instead of from 0 scored the same to ±1.2, so the simplest form stays.

/// The level of smoothed score `s` against threshold `t` (NaN for NaN).
/// A threshold of +∞ (none) gives level 0; one of 0 or below counts as the
/// smallest positive f32, so that level > ½ still means s > t.
pub fn level(s: f32, t: f32) -> f64 {
    if s.is_nan() || t.is_nan() {
        return f64::NAN;
    }
    let s = f64::from(s.max(0.0));
    let t = f64::from(t.max(f32::MIN_POSITIVE));
    if s.is_infinite() {
        return if t.is_infinite() { f64::NAN } else { 1.0 };
    }
    s / (s + t)
}

#[cfg(test)]
mod tests {
    use super::level;

    #[test]
    fn the_threshold_is_level_one_half_and_levels_keep_ranking_past_it() {
        assert_eq!(level(2.0, 2.0), 0.5);
        assert_eq!(level(6.0, 2.0), 0.75);
        assert_eq!(level(0.0, 2.0), 0.0);
        assert_eq!(level(-3.0, 2.0), 0.0);
        // Monotone, inside [0, 1), never saturating for finite scores.
        let mut last = -1.0;
        for s in [-1.0, 0.0, 1e-6, 0.5, 1.99, 2.0, 2.01, 10.0, 1e3, 1e6, 1e9] {
            let l = level(s, 2.0);
            assert!(l >= last && l < 1.0, "level({s}) = {l} after {last}");
            assert!(s <= 0.0 || l > last, "level({s}) = {l} does not rank");
            assert_eq!(l > 0.5, s > 2.0, "level({s}) = {l}");
            last = l;
        }
        // The same ratio is the same level on any scale of scores.
        assert_eq!(level(3.0 / 1024.0, 1.0 / 1024.0), level(3072.0, 1024.0));
        assert!((level(3e-4, 1e-4) - 0.75).abs() < 1e-7);
    }

    #[test]
    fn degenerate_thresholds_and_scores_keep_the_alarm_point() {
        assert!(level(f32::NAN, 1.0).is_nan() && level(1.0, f32::NAN).is_nan());
        assert_eq!(level(5.0, f32::INFINITY), 0.0);
        assert_eq!(level(f32::INFINITY, 1.0), 1.0);
        // A threshold of 0 (a stretch of perfectly reconstructed windows):
        // any positive score is past it, 0 is not.
        assert_eq!(level(0.0, 0.0), 0.0);
        assert!(level(1e-30, 0.0) > 0.5 && level(1e-30, -1.0) > 0.5);
    }
}
