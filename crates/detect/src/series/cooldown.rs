//! Alarms, not flagged rows: an anomaly lifts the smoothed score for as
//! long as its rows stay in the window and the smoothing (W + K − 1 rows),
//! so flagging every row above the threshold raises one alert per row for
//! one event. An operator wants one alert per event, and another only when
//! it gets worse. A row is a *peak* when its smoothed score is above every
//! smoothed score of the R rows before it (the cooldown):
//!
//!   peak_t  = s̄_t > max(s̄_{t−R}, …, s̄_{t−1})      (R = 0: every row)
//!   alarm_t = peak_t ∧ s̄_t > T ∧ stands out ∧ not silenced
//!
//! (standing out from the recent scores: `recent.rs`).
//!
//! An event's rising edge is a run of peaks, one a row, so an alarm also
//! silences the rows after it while the score stays past the threshold, R
//! rows at most: one excursion, one alarm, and another only when the score
//! comes back under the threshold and crosses it again, or climbs to a new
//! high past the R rows. Every alarm is an alert someone answers, and NAB
//! charges each flagged row outside a window as a false positive: without
//! the silence, one rising edge of 16 rows cost 16. A marginal alarm that
//! falls back does not silence the real event right after it.
//!
//! What a peak is needs no threshold, so a series' levels can still be
//! scored at any threshold (NAB's optimisation): a row that is not a peak
//! counts as level 0, and the scorer replays the silence at each threshold
//! (`eval/nab.rs`).
//!
//! The maximum over the last R scores is kept in a monotone queue: each
//! score enters once and leaves once, O(1) a row however long R is.

use std::collections::VecDeque;

/// The trailing maximum of the last `rows` smoothed scores.
#[derive(Clone, Debug, Default)]
pub struct Cooldown {
    rows: usize,
    /// (row, score), scores strictly decreasing from the front: the front
    /// is the maximum of the rows still inside the cooldown.
    queue: VecDeque<(usize, f32)>,
    /// Rows seen so far.
    seen: usize,
    /// The rows an alarm still silences.
    silence: Silence,
}

/// After an alarm, the next rows raise none while they stay past the
/// threshold, `rows` of them at most.
#[derive(Clone, Debug, Default)]
pub struct Silence {
    rows: usize,
    /// Rows the last alarm still silences.
    left: usize,
}

impl Silence {
    pub fn new(rows: usize) -> Self {
        Self { rows, left: 0 }
    }

    /// Whether the next row alarms: a `peak` whose score is `past` the
    /// threshold, unless the last alarm silences it.
    pub fn alarm(&mut self, peak: bool, past: bool) -> bool {
        if self.left > 0 {
            if past {
                self.left -= 1;
                return false;
            }
            self.left = 0;
        }
        if peak && past {
            self.left = self.rows;
        }
        peak && past
    }
}

impl Cooldown {
    pub fn new(rows: usize) -> Self {
        Self {
            rows,
            silence: Silence::new(rows),
            ..Self::default()
        }
    }

    /// Whether `score`, the next row's smoothed score, is a peak; then
    /// remembers it. NaN is never a peak and is not remembered.
    pub fn peak(&mut self, score: f32) -> bool {
        let row = self.seen;
        self.seen += 1;
        if score.is_nan() {
            return false;
        }
        if self.rows == 0 {
            return true;
        }
        while self
            .queue
            .front()
            .is_some_and(|&(r, _)| r + self.rows < row)
        {
            self.queue.pop_front();
        }
        let peak = self.queue.front().is_none_or(|&(_, max)| score > max);
        // A later, larger-or-equal score outlives every smaller one before it.
        while self.queue.back().is_some_and(|&(_, s)| s <= score) {
            self.queue.pop_back();
        }
        self.queue.push_back((row, score));
        peak
    }

    /// Whether `score`, the next row's smoothed score, is a peak, and
    /// whether it raises an alarm against `threshold`: a peak past the
    /// threshold that `stands_out` from the recent scores (`recent.rs`),
    /// with no alarm in the cooldown's rows before it.
    pub fn alarm(&mut self, score: f32, threshold: f32, stands_out: bool) -> (bool, bool) {
        let peak = self.peak(score);
        let past = score > threshold;
        (peak, self.silence.alarm(peak && stands_out, past))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule as written: above every score of the `rows` rows before.
    fn naive(scores: &[f32], rows: usize) -> Vec<bool> {
        (0..scores.len())
            .map(|t| {
                !scores[t].is_nan()
                    && scores[t.saturating_sub(rows)..t]
                        .iter()
                        .all(|&p| p.is_nan() || scores[t] > p)
            })
            .collect()
    }

    #[test]
    fn peaks_are_new_highs_over_the_cooldown() {
        let s = [1.0, 3.0, 2.0, 2.5, 3.0, 0.5, 0.4, 0.3, 0.2, 2.0];
        let mut c = Cooldown::new(3);
        let got: Vec<bool> = s.iter().map(|&v| c.peak(v)).collect();
        // 3.0 at row 4 ties row 1's (3 rows back): no new alarm; row 9 is
        // past every high of its last 3 rows.
        assert_eq!(
            got,
            [true, true, false, false, false, false, false, false, false, true]
        );
        assert_eq!(got, naive(&s, 3));
        let mut off = Cooldown::new(0);
        assert!(s.iter().all(|&v| off.peak(v)));
    }

    #[test]
    fn an_alarm_silences_the_rows_after_it_while_they_stay_past_the_threshold() {
        // A rising edge: every row a peak, one alarm; past the silence of
        // 3 rows a new high alarms again, a plateau does not; back under
        // the threshold, the next crossing alarms at once.
        let s = [
            0.5, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0, 6.0, 6.0, 6.0, 0.1, 7.0,
        ];
        let mut c = Cooldown::new(3);
        let (peaks, alarms): (Vec<bool>, Vec<bool>) =
            s.iter().map(|&v| c.alarm(v, 1.0, true)).unzip();
        assert_eq!(&peaks[..7], &[true; 7]);
        let at: Vec<usize> = (0..s.len()).filter(|&t| alarms[t]).collect();
        assert_eq!(at, [1, 5, 12]);
        let s = [0.5, 1.2, 0.9, 0.2, 8.0, 9.0];
        let mut c = Cooldown::new(3);
        let at: Vec<usize> = (0..s.len())
            .filter(|&t| c.alarm(s[t], 1.0, true).1)
            .collect();
        assert_eq!(at, [1, 4]);
        // Without a cooldown every row past the threshold alarms.
        let mut off = Cooldown::new(0);
        let n = s.iter().filter(|&&v| off.alarm(v, 1.0, true).1).count();
        assert_eq!(n, s.iter().filter(|&&v| v > 1.0).count());
        // A row that does not stand out from the recent scores raises none.
        let mut c = Cooldown::new(3);
        assert!(s.iter().all(|&v| !c.alarm(v, 1.0, false).1));
    }

    #[test]
    fn the_queue_agrees_with_the_rule_on_random_scores() {
        let mut x = 12345u64;
        let scores: Vec<f32> = (0..2000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if i % 97 == 0 {
                    f32::NAN
                } else {
                    ((x >> 40) % 50) as f32 // ties are common
                }
            })
            .collect();
        for rows in [1, 2, 7, 39, 500, 5000] {
            let mut c = Cooldown::new(rows);
            let got: Vec<bool> = scores.iter().map(|&v| c.peak(v)).collect();
            assert_eq!(got, naive(&scores, rows), "cooldown {rows}");
        }
    }
}
