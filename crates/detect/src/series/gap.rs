//! Gaps: a series with a hole in it (a sensor offline for a week) puts
//! rows from both sides of the hole into one window. No normal stretch
//! showed such a window, and the model scores it high for the stitching,
//! not for what the rows say: on NAB's ambient_temperature_system_failure,
//! 7 of the default model's 11 false alarms come within W rows after a
//! hole of 15 to 160 hours in an hourly series.
//!
//! A step longer than F times the normal stretch's usual longest step (its
//! 99th percentile, so a stretch with a hole or two still measures its
//! cadence) is a *gap*, and a gap starts the series anew, as its first row
//! does: the rows after it have no score until W of them fill a window,
//! and the smoothing and the cooldown start afresh. A stretch whose steps
//! vary a lot (one reading every 5 to 60 minutes) has a long usual step,
//! so only holes well past its own cadence count.
//!
//!   gap between rows t − 1 and t  ⇔  time_t − time_{t−1} > F · p99(stretch steps)
//!
//! With F = [`GAP_FACTOR`] = 4 a missed reading or two is no gap. A step
//! backwards (rows kept out of time order) is never one.
//!
//! Off by default (`SeriesOptions::gap_factor` 0): a hole can be the event
//! itself. On that same series the eighth hole, a week long, *is* the
//! labelled system failure, and the stitched window is how the default
//! model catches it; with gaps at F = 4 the model caught that window in
//! four seeds of six, and NAB's standard score over the five series went
//! from 68.5 to 67.9 (RESULTS.md, session 25). Where holes are outages of
//! the recording rather than of the system watched, `--gap-factor 4`.

use super::Timestamp;

/// The factor `--gap-factor` suggests: a step over this many times the
/// normal stretch's 99th-percentile step is a gap.
pub const GAP_FACTOR: f64 = 4.0;

/// The longest step, in microseconds, that is not a gap: `factor` times the
/// 99th percentile of the forward steps between `times` (the normal
/// stretch). `None` (no step is a gap) for a factor of 0 or less, or a
/// stretch without two rows a forward step apart.
pub fn gap_limit(times: &[Timestamp], factor: f64) -> Option<i64> {
    if !(factor > 0.0 && factor.is_finite()) {
        return None;
    }
    let mut steps: Vec<i64> = times
        .windows(2)
        .map(|p| p[1].micros.saturating_sub(p[0].micros))
        .filter(|&d| d > 0)
        .collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_unstable();
    // The smallest step at or above 99 % of them (nearest rank).
    let rank = ((steps.len() as f64 * 0.99).ceil() as usize).clamp(1, steps.len());
    let usual = steps[rank - 1] as f64;
    Some((usual * factor).min(i64::MAX as f64 / 2.0).ceil() as i64)
}

/// Whether the step from `before` to `after` is a gap under `limit`.
pub fn is_gap(before: &Timestamp, after: &Timestamp, limit: Option<i64>) -> bool {
    limit.is_some_and(|limit| after.micros.saturating_sub(before.micros) > limit)
}

/// Whether each row of `times` ends a window of `w` rows that spans no gap
/// (false for the first W − 1 rows, and for the W − 1 rows after a gap).
pub fn windowed_rows(times: &[Timestamp], w: usize, limit: Option<i64>) -> Vec<bool> {
    let mut run = 0;
    (0..times.len())
        .map(|t| {
            if t > 0 && is_gap(&times[t - 1], &times[t], limit) {
                run = 0;
            }
            run += 1;
            run >= w
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: &[i64]) -> Vec<Timestamp> {
        minutes
            .iter()
            .map(|&m| Timestamp {
                micros: m * 60_000_000,
                day_seconds: 0.0,
                weekday: 0,
            })
            .collect()
    }

    #[test]
    fn the_limit_is_the_factor_times_the_usual_longest_step() {
        // 200 steps of 5 minutes and one hole of 3 hours: p99 is still 5 minutes.
        let mut minutes: Vec<i64> = (0..=200).map(|i| 5 * i).collect();
        minutes.push(1000 + 180);
        let limit = gap_limit(&at(&minutes), 4.0).unwrap();
        assert_eq!(limit, 20 * 60_000_000);
        // Irregular cadence (5 and 60 minutes alternating): the usual step is 60.
        let mut t = 0;
        let irregular: Vec<i64> = (0..100)
            .map(|i| {
                t += if i % 2 == 0 { 5 } else { 60 };
                t
            })
            .collect();
        assert_eq!(gap_limit(&at(&irregular), 4.0), Some(240 * 60_000_000));
        // Off, or nothing to measure.
        assert_eq!(gap_limit(&at(&minutes), 0.0), None);
        assert_eq!(gap_limit(&at(&[7]), 4.0), None);
        assert_eq!(gap_limit(&at(&[7, 7, 7]), 4.0), None);
    }

    #[test]
    fn a_gap_restarts_the_windows_and_a_step_back_does_not() {
        let times = at(&[0, 5, 10, 15, 100, 105, 110, 115, 120, 118, 125]);
        let limit = Some(20 * 60_000_000);
        let rows = windowed_rows(&times, 3, limit);
        assert_eq!(
            rows,
            [false, false, true, true, false, false, true, true, true, true, true]
        );
        assert!(is_gap(&times[3], &times[4], limit));
        assert!(!is_gap(&times[8], &times[9], limit));
        assert!(!is_gap(&times[3], &times[4], None));
        // Without a limit only the first W − 1 rows lack a window.
        assert_eq!(
            windowed_rows(&times, 3, None)
                .iter()
                .filter(|&&w| !w)
                .count(),
            2
        );
    }
}
