//! An alarm must also stand out from what the series has shown lately: its
//! smoothed score must be over 5 % above the top 1.5 % of the smoothed
//! scores of the last H rows scored (H = 4,096 by default), as well as
//! pass the threshold:
//!
//!   stands_out_t = n_t < 100  ∨  s̄_t > 1.05 · q_{0.985}(s̄_{t−n_t}, …, s̄_{t−1})
//!   (n_t = min(H, rows scored before t); q_p the value at rank ⌊p·n⌋ of
//!   the n, sorted ascending)
//!
//! Why: the threshold is set once, on a normal stretch that can be shorter
//! than the series' cycle (NAB's 15 % of a 4,032-row series is two days; of
//! a 1,600-row one, 20 hours of five-minute rows). A part of the day or
//! week the stretch never held then scores past the threshold each time it
//! comes, and raised an alarm each day: 69–103 false alarms over 14
//! pieces of 1,600 rows, NAB's short series' length, a seed (session 27). After a
//! few such days these scores are the series' usual ones, no longer in its
//! top 1.5 %, and stop alarming, as a detector learning online would stop;
//! an event that outscores them still alarms. The 5 % is for a plateau: a
//! stretch of hours (or a level shift that lasts) whose errors all sit at
//! one high value, where the jitter alone makes a new top 1.5 % each day
//! by a hair and, without it, an alarm. The rank reads only smoothed
//! scores already written (the stretch's among them, where a file is
//! scored from its first row), so the rule is as causal as the rest.
//!
//! NAB's standard score (session 28, `examples/nab.rs`, RESULTS.md), at
//! each series' own threshold and by NAB's sweep over `score --nab`: the
//! five NAB series 68.9 → 70.2 and 70.7 → 71.9 (seeds 0–5); 11 cuts of
//! NAB's usual 4,032 rows 52.6 → 61.6 and 57.5 → 62.6; 14 pieces of 1,600
//! rows 36.6 → 55.5 and 56.4 → 63.3, of 1,100 rows 56.5 → 68.3 and
//! 71.1 → 73.6 (seeds 0–2). Offline, ranks of 0.95–0.985 all helped the
//! cuts and pieces, 0.985 the five series most; the 5 % margin was level
//! with none on them (±0.8).
//!
//! The last H scores are kept twice: in arrival order, to drop the oldest,
//! and sorted, to read the rank: O(log H) to find a place and a move of at
//! most H values a row (about half a microsecond of a live row for
//! H = 4,096; the move grows with H, hence the cap of 2²⁰).

use std::collections::VecDeque;

/// The rank an alarm's smoothed score must pass among the recent ones.
pub const RECENT_RANK: f64 = 0.985;
/// How far past that rank's score it must be: a factor on it (scores are
/// errors, never below 0).
pub const RECENT_MARGIN: f32 = 1.05;
/// The recent rows a score is ranked among, by default: two weeks of
/// five-minute rows, each weekday seen twice.
pub const RECENT_ROWS: usize = 4_096;
/// Rows scored before the rank is read: with fewer, the top 1.5 % is not
/// one row, and every alarm passes.
pub const RECENT_MIN_ROWS: usize = 100;
/// The most recent rows a model file may ask to rank among.
pub const MAX_RECENT_ROWS: usize = 1 << 20;

/// The last `rows` smoothed scores, to rank the next against.
#[derive(Clone, Debug, Default)]
pub struct RecentRank {
    rows: usize,
    arrived: VecDeque<f32>,
    sorted: Vec<f32>,
}

impl RecentRank {
    /// Ranks among the last `rows` scores; 0: every score stands out.
    pub fn new(rows: usize) -> Self {
        Self {
            rows,
            ..Self::default()
        }
    }

    /// Whether `score`, the next row's smoothed score, stands out from the
    /// recent ones (over 1.05 times their 98.5th-percentile value, or fewer
    /// than 100 of them); then remembers it. NaN never stands out and is not
    /// remembered.
    pub fn stands_out(&mut self, score: f32) -> bool {
        if score.is_nan() {
            return false;
        }
        if self.rows == 0 {
            return true;
        }
        let n = self.sorted.len();
        let out = n < RECENT_MIN_ROWS || score > RECENT_MARGIN * self.sorted[rank_index(n)];
        if n == self.rows {
            let oldest = self.arrived.pop_front().expect("as many as sorted");
            let at = self
                .sorted
                .partition_point(|v| v.total_cmp(&oldest).is_lt());
            self.sorted.remove(at);
        }
        let at = self.sorted.partition_point(|v| v.total_cmp(&score).is_lt());
        self.sorted.insert(at, score);
        self.arrived.push_back(score);
        out
    }
}

/// Where the rank's value sits among n sorted scores (n ≥ 1).
fn rank_index(n: usize) -> usize {
    ((n as f64 * RECENT_RANK) as usize).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule as written: sort the last `rows` scores, read the rank.
    fn naive(scores: &[f32], rows: usize) -> Vec<bool> {
        let mut seen: Vec<f32> = Vec::new();
        scores
            .iter()
            .map(|&s| {
                if s.is_nan() {
                    return false;
                }
                let mut recent: Vec<f32> = seen[seen.len().saturating_sub(rows)..].to_vec();
                recent.sort_by(f32::total_cmp);
                seen.push(s);
                recent.len() < RECENT_MIN_ROWS
                    || s > RECENT_MARGIN * recent[rank_index(recent.len())]
            })
            .collect()
    }

    #[test]
    fn a_score_stands_out_five_percent_past_the_recent_top_one_and_a_half_percent() {
        // 200 scores 1 … 200: the rank's value is the 198th smallest
        // (⌊200 · 0.985⌋ = 197, counted from 0), and 1.05 · 198 = 207.9.
        let mut r = RecentRank::new(1_000);
        for s in 1..=200 {
            r.stands_out(s as f32);
        }
        assert!(!r.stands_out(207.8));
        assert!(r.stands_out(208.0));
    }

    #[test]
    fn a_pattern_that_keeps_coming_stops_standing_out() {
        // A quiet series whose score rises to 5 (and a jitter of a
        // thousandth) for 10 rows of every 100 (a part of the day the
        // normal stretch never held): the first rise stands out where it
        // starts (the row a cooldown alarms at), and once such rows are a
        // tenth of the recent ones no row of a rise does, however the
        // jitter falls; a rise to 9 still does.
        let mut r = RecentRank::new(4_096);
        let mut out = Vec::new();
        for t in 0..2_000 {
            let rise = t >= 100 && t % 100 < 10;
            let jitter = 0.001 * (t as f32 * 12.9898).sin();
            out.push(r.stands_out(if rise { 5.0 + jitter } else { 1.0 }));
        }
        assert!(out[..100].iter().all(|&o| o), "fewer than 100 rows seen");
        assert!(out[100] && out[101], "the first rise");
        assert!(out[1_900..1_910].iter().all(|&o| !o), "the 19th rise");
        assert!(r.stands_out(9.0));
    }

    #[test]
    fn the_sorted_copy_agrees_with_the_rule_on_random_scores() {
        let mut x = 987_654_321u64;
        let scores: Vec<f32> = (0..3_000)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if i % 89 == 0 {
                    f32::NAN
                } else {
                    ((x >> 40) % 300) as f32 // ties are common
                }
            })
            .collect();
        for rows in [1, 99, 100, 101, 257, 4_096] {
            let mut r = RecentRank::new(rows);
            let got: Vec<bool> = scores.iter().map(|&s| r.stands_out(s)).collect();
            assert_eq!(got, naive(&scores, rows), "ranked among {rows}");
        }
        let mut off = RecentRank::new(0);
        assert!(scores.iter().all(|&s| off.stands_out(s) != s.is_nan()));
    }
}
