//! Alarms, not flagged rows: an anomaly lifts the smoothed score for as
//! long as its rows stay in the window and the smoothing (W + K − 1 rows),
//! so flagging every row above the threshold raises one alert per row for
//! one event. An operator wants one alert per event, and another only when
//! it gets worse. A row is a *peak* when its smoothed score is above every
//! smoothed score of the R rows before it (the cooldown):
//!
//!   peak_t = s̄_t > max(s̄_{t−R}, …, s̄_{t−1})      (R = 0: every row)
//!
//! and a row raises an alarm when it is a peak and above the threshold. The
//! rule needs no threshold to decide what a peak is, so a series' levels can
//! still be scored at any threshold (NAB's optimisation): a row that is not
//! a peak counts as level 0.
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
}

impl Cooldown {
    pub fn new(rows: usize) -> Self {
        Self {
            rows,
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
