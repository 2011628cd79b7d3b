//! The Numenta Anomaly Benchmark's score, as NAB defines it, for a corpus
//! of labelled series and a detector's per-row levels in [0, 1].
//!
//! Each labelled anomaly window rewards its *earliest* detection by where it
//! falls, and every flagged row outside the windows costs by how far it lies
//! past the last window:
//!
//!   σ̃(p) = 2/(1 + e^{5p}) − 1  (p ≤ 3),   −1  (p > 3)
//!   in a window of w rows ending at row r:  p = −(r − i + 1)/w  (−1 at its first row, → 0 at its end)
//!   after a window of w rows ending at r:   p = |i − r|/(w − 1);  before every window: σ̃ = −1
//!
//!   score = Σ_windows [detected ? A_tp·σ̃(p_first)/σ̃(−1) : −A_fn] + Σ_flagged rows outside A_fp·σ̃(p)
//!
//! with the profile's weights A (standard: tp 1, fp 0.11, fn 1; reward low
//! FP rate: fp 0.22; reward low FN rate: fn 2). The first 15 % of each
//! series (at most 750 rows) is the probationary period and counts for
//! nothing. A row is flagged when its level is at least the threshold, one
//! threshold for the whole corpus, the one that maximises the score, unless
//! a flag silences it: the rows after a flag raise none while their level
//! stays at or above the threshold, the series' `silence` rows at most (the
//! alarm rule of `series/cooldown.rs`, replayed at each threshold). The
//! reported score is normalised: 100·(raw − null)/(perfect − null), where
//! the null detector flags nothing (−A_fn per window) and the perfect one
//! flags each window's first row (A_tp per window).

use crate::series::Point;

/// The weights of one NAB application profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NabProfile {
    pub name: &'static str,
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
}

/// NAB's three profiles: standard, reward_low_FP_rate, reward_low_FN_rate.
pub const NAB_PROFILES: [NabProfile; 3] = [
    NabProfile {
        name: "standard",
        tp: 1.0,
        fp: 0.11,
        fn_: 1.0,
    },
    NabProfile {
        name: "reward_low_FP_rate",
        tp: 1.0,
        fp: 0.22,
        fn_: 1.0,
    },
    NabProfile {
        name: "reward_low_FN_rate",
        tp: 1.0,
        fp: 0.11,
        fn_: 2.0,
    },
];

/// One labelled series: a level per row and its anomaly windows as
/// inclusive row ranges (in time order, not overlapping).
#[derive(Clone, Debug)]
pub struct NabSeries {
    pub levels: Vec<f64>,
    pub windows: Vec<(usize, usize)>,
    /// A flagged row silences at most this many rows after it (0: none)…
    pub silence: usize,
    /// … while their level here (every row's, not only where it could
    /// alarm) stays at or above the threshold. Empty when `silence` is 0.
    pub above: Vec<f64>,
}

impl NabSeries {
    /// A scored series (one entry per row, `None` before its first full
    /// window) with its windows and its scorer's cooldown: each row's alarm
    /// level, so that flagging at a threshold, each flag silencing the
    /// cooldown's rows after it, gives the alarms the scorer would raise
    /// there.
    pub fn from_points(
        points: &[Option<Point>],
        windows: Vec<(usize, usize)>,
        cooldown: usize,
    ) -> Self {
        NabSeries {
            levels: points
                .iter()
                .map(|p| p.as_ref().map_or(0.0, Point::alarm_level))
                .collect(),
            windows,
            silence: cooldown,
            above: points
                .iter()
                .map(|p| p.as_ref().map_or(0.0, |p| p.level))
                .collect(),
        }
    }

    /// Whether a flag at row `flag` silences row `row` after it at
    /// `threshold`: within `silence` rows, every row between at or above it
    /// (without `above`, every row within `silence`).
    fn silences(&self, flag: usize, row: usize, threshold: f64) -> bool {
        row - flag <= self.silence
            && self
                .above
                .get(flag + 1..row)
                .is_none_or(|between| between.iter().all(|&l| l >= threshold))
    }

    /// Which rows are flagged at `threshold`: level at or above it, and not
    /// silenced by the flag before.
    pub fn flags(&self, threshold: f64) -> Vec<bool> {
        let mut last: Option<usize> = None;
        (0..self.levels.len())
            .map(|i| {
                let flag = self.levels[i] >= threshold
                    && last.is_none_or(|l| !self.silences(l, i, threshold));
                if flag {
                    last = Some(i);
                }
                flag
            })
            .collect()
    }
}

/// The probationary rows at the start of a series of `n` rows.
pub fn probationary_rows(n: usize) -> usize {
    ((0.15 * n as f64).floor() as usize).min(750)
}

/// Rows `[first, last]` of each window given by its start and end instants
/// (microseconds), over row instants `times` in file order: the first row at
/// or after the start, the last row at or before the end. A window no row
/// falls in is dropped.
pub fn window_rows(times: &[i64], windows: &[(i64, i64)]) -> Vec<(usize, usize)> {
    windows
        .iter()
        .filter_map(|&(start, end)| {
            let first = times.iter().position(|&t| t >= start)?;
            let after = times[first..]
                .iter()
                .position(|&t| t > end)
                .map_or(times.len(), |k| first + k);
            (after > first).then(|| (first, after - 1))
        })
        .collect()
}

/// σ̃(p).
fn scaled_sigmoid(p: f64) -> f64 {
    if p > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * p).exp()) - 1.0
    }
}

/// A scorable row: its level, its weighted reward, and its window (a
/// corpus-wide index) if it lies in one.
struct Scored {
    level: f64,
    weight: f64,
    window: Option<usize>,
    /// Its series (an index into the corpus) and row there.
    series: usize,
    row: usize,
    /// Past the probation: a flag here counts.
    counts: bool,
}

/// Every row of the corpus with its reward, in series and row order,
/// the probation's rows included (they count for nothing, but a flag there
/// still silences the rows after it).
fn scorable(corpus: &[NabSeries], profile: &NabProfile) -> (Vec<Scored>, usize) {
    let max_tp = scaled_sigmoid(-1.0);
    let mut rows = Vec::new();
    let mut window_id = 0;
    for (series, s) in corpus.iter().enumerate() {
        let start = probationary_rows(s.levels.len());
        let mut next = 0; // the next window not yet passed
        let mut previous: Option<(usize, usize)> = None;
        for (i, &level) in s.levels.iter().enumerate() {
            while next < s.windows.len() && s.windows[next].1 < i {
                previous = Some(s.windows[next]);
                next += 1;
            }
            let inside = s
                .windows
                .get(next)
                .filter(|&&(first, last)| first <= i && i <= last);
            let (weight, window) = match (inside, previous) {
                (Some(&(first, last)), _) => {
                    let width = (last - first + 1) as f64;
                    let p = -((last - i + 1) as f64) / width;
                    (
                        profile.tp * scaled_sigmoid(p) / max_tp,
                        Some(window_id + next),
                    )
                }
                (None, None) => (-profile.fp, None),
                (None, Some((first, last))) => {
                    let width = (last - first + 1) as f64;
                    let p = (i - last) as f64 / (width - 1.0).max(1.0);
                    (profile.fp * scaled_sigmoid(p), None)
                }
            };
            rows.push(Scored {
                level,
                weight,
                window,
                series,
                row: i,
                counts: i >= start,
            });
        }
        window_id += s.windows.len();
    }
    (rows, window_id)
}

/// A corpus's score under one profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NabScore {
    /// Rows with a level at or above this are flagged.
    pub threshold: f64,
    pub raw: f64,
    /// 100·(raw − null)/(perfect − null).
    pub normalised: f64,
    pub null: f64,
    pub perfect: f64,
}

/// The most thresholds `nab_best` tries where flags silence rows.
const MAX_TRIES: usize = 16_384;

/// The score at the threshold that maximises it (NAB's optimisation):
/// exact where no flag silences another, and over at most 16,384 of the
/// levels where they do.
pub fn nab_best(corpus: &[NabSeries], profile: &NabProfile) -> NabScore {
    let (rows, windows) = scorable(corpus, profile);
    let null = -profile.fn_ * windows as f64;
    let perfect = profile.tp * windows as f64;
    // Start above every level: nothing flagged.
    let mut best = (f64::INFINITY, null);
    if corpus.iter().all(|s| s.silence == 0) {
        // Flags do not interact: one sweep down the levels, each row
        // changing the total once as the threshold passes it.
        let mut rows: Vec<&Scored> = rows.iter().filter(|r| r.counts).collect();
        rows.sort_by(|a, b| b.level.total_cmp(&a.level));
        let mut best_in_window = vec![-profile.fn_; windows];
        let mut total = null;
        let mut i = 0;
        while i < rows.len() {
            // Flag every row of this level at once.
            let level = rows[i].level;
            while i < rows.len() && rows[i].level == level {
                let r = rows[i];
                match r.window {
                    Some(w) if r.weight > best_in_window[w] => {
                        total += r.weight - best_in_window[w];
                        best_in_window[w] = r.weight;
                    }
                    Some(_) => {}
                    None => total += r.weight,
                }
                i += 1;
            }
            if total > best.1 {
                best = (level, total);
            }
        }
    } else {
        // A flag silences the rows after it, so a lower threshold can
        // drop a flag a higher one raised: replay the corpus at each
        // positive level (rows at level 0 flag only at thresholds ≤ 0).
        let rows: Vec<&Scored> = rows.iter().filter(|r| r.level > 0.0).collect();
        let mut levels: Vec<f64> = rows.iter().map(|r| r.level).collect();
        levels.sort_by(|a, b| b.total_cmp(a));
        levels.dedup();
        // Each try replays every row, so past MAX_TRIES levels try that
        // many, evenly by rank (NAB's own optimiser searches a grid too).
        if levels.len() > MAX_TRIES {
            let n = levels.len();
            levels = (0..MAX_TRIES).map(|i| levels[i * n / MAX_TRIES]).collect();
        }
        let mut best_in_window = vec![0.0; windows];
        for threshold in levels {
            let total = raw_at(&rows, corpus, profile, threshold, &mut best_in_window);
            if total > best.1 {
                best = (threshold, total);
            }
        }
    }
    NabScore {
        threshold: best.0,
        raw: best.1,
        normalised: normalise(best.1, null, perfect),
        null,
        perfect,
    }
}

/// The raw score with `rows` (in series and row order) flagged at
/// `threshold`, each flag silencing its series' `silence` rows after it.
fn raw_at(
    rows: &[&Scored],
    corpus: &[NabSeries],
    profile: &NabProfile,
    threshold: f64,
    best_in_window: &mut [f64],
) -> f64 {
    best_in_window.fill(-profile.fn_);
    let mut fp = 0.0;
    let mut last: Option<(usize, usize)> = None;
    for r in rows.iter().filter(|r| r.level >= threshold) {
        let silenced = last.is_some_and(|(series, row)| {
            series == r.series && corpus[series].silences(row, r.row, threshold)
        });
        if silenced {
            continue;
        }
        last = Some((r.series, r.row));
        if !r.counts {
            continue;
        }
        match r.window {
            Some(w) => best_in_window[w] = best_in_window[w].max(r.weight),
            None => fp += r.weight,
        }
    }
    fp + best_in_window.iter().sum::<f64>()
}

/// The score with rows at or above `threshold` flagged.
pub fn nab_at(corpus: &[NabSeries], profile: &NabProfile, threshold: f64) -> NabScore {
    let (rows, windows) = scorable(corpus, profile);
    let null = -profile.fn_ * windows as f64;
    let perfect = profile.tp * windows as f64;
    let rows: Vec<&Scored> = rows.iter().collect();
    let raw = raw_at(&rows, corpus, profile, threshold, &mut vec![0.0; windows]);
    NabScore {
        threshold,
        raw,
        normalised: normalise(raw, null, perfect),
        null,
        perfect,
    }
}

fn normalise(raw: f64, null: f64, perfect: f64) -> f64 {
    if perfect > null {
        100.0 * (raw - null) / (perfect - null)
    } else {
        0.0
    }
}

/// What an operator sees of one series at a threshold (past its
/// probationary period).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NabEvents {
    /// Windows with at least one flagged row.
    pub detected: usize,
    pub missed: usize,
    /// Runs of consecutive flagged rows outside every window.
    pub false_alarms: usize,
}

/// The events of `s` with rows at or above `threshold` flagged.
pub fn nab_events(s: &NabSeries, threshold: f64) -> NabEvents {
    let start = probationary_rows(s.levels.len());
    let flags = s.flags(threshold);
    let flagged = |i: usize| i >= start && flags[i];
    let in_window = |i: usize| s.windows.iter().any(|&(a, b)| a <= i && i <= b);
    let mut e = NabEvents::default();
    for &(a, b) in &s.windows {
        if (a..=b).any(flagged) {
            e.detected += 1;
        } else {
            e.missed += 1;
        }
    }
    let mut in_run = false;
    for i in 0..s.levels.len() {
        let alarm = flagged(i) && !in_window(i);
        if alarm && !in_run {
            e.false_alarms += 1;
        }
        in_run = alarm;
    }
    e
}

/// How one window fared at a threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowVerdict {
    /// The window's first flagged row past the probation, if any.
    pub caught: Option<usize>,
    /// What NAB gives it under `profile`: A_tp·σ̃(p)/σ̃(−1) for the first
    /// flag, −A_fn when missed.
    pub reward: f64,
    /// The highest level inside it (every row's, `above`, where the series
    /// has it): how far a missed window was from the threshold.
    pub highest: f64,
}

/// Each window of `s` at `threshold` under `profile`, in order.
pub fn nab_windows(s: &NabSeries, profile: &NabProfile, threshold: f64) -> Vec<WindowVerdict> {
    let start = probationary_rows(s.levels.len());
    let flags = s.flags(threshold);
    let every = if s.above.len() == s.levels.len() {
        &s.above
    } else {
        &s.levels
    };
    s.windows
        .iter()
        .map(|&(a, b)| {
            let caught = (a.max(start)..=b).find(|&i| flags[i]);
            let width = (b - a + 1) as f64;
            let reward = caught.map_or(-profile.fn_, |i| {
                profile.tp * scaled_sigmoid(-((b - i + 1) as f64) / width) / scaled_sigmoid(-1.0)
            });
            let highest = every[a..=b].iter().copied().fold(0.0, f64::max);
            WindowVerdict {
                caught,
                reward,
                highest,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STD: NabProfile = NAB_PROFILES[0];

    /// 1000 rows (probation: 150), one window over rows 400–499.
    fn series(levels: impl Fn(usize) -> f64) -> NabSeries {
        NabSeries {
            levels: (0..1000).map(levels).collect(),
            windows: vec![(400, 499)],
            silence: 0,
            above: Vec::new(),
        }
    }

    #[test]
    fn the_sigmoid_and_the_probation_are_nab_s() {
        assert!((scaled_sigmoid(-1.0) - 0.98661).abs() < 1e-5);
        assert!((scaled_sigmoid(-0.5) - 0.84828).abs() < 1e-5);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert!((scaled_sigmoid(1.0) + 0.98661).abs() < 1e-5);
        assert_eq!(scaled_sigmoid(3.5), -1.0);
        assert_eq!(probationary_rows(1000), 150);
        assert_eq!(probationary_rows(22_695), 750);
    }

    #[test]
    fn perfect_null_and_late_detectors_score_as_nab_scores_them() {
        // Flags the window's first row only: 100.
        let perfect = series(|i| if i == 400 { 1.0 } else { 0.0 });
        let s = nab_best(std::slice::from_ref(&perfect), &STD);
        assert!((s.normalised - 100.0).abs() < 1e-9, "{s:?}");
        assert_eq!(s.threshold, 1.0);
        // Flags nothing: 0.
        let s = nab_at(std::slice::from_ref(&perfect), &STD, 2.0);
        assert_eq!(s.normalised, 0.0);
        // Halfway into the window: σ̃(−0.5)/σ̃(−1), normalised from −1 … 1.
        let half = series(|i| if i == 450 { 1.0 } else { 0.0 });
        let s = nab_best(&[half], &STD);
        let want = 100.0 * (scaled_sigmoid(-0.5) / scaled_sigmoid(-1.0) + 1.0) / 2.0;
        assert!(
            (s.normalised - want).abs() < 1e-9,
            "{} vs {want}",
            s.normalised
        );
        // A false positive before the window costs A_fp; in probation, nothing.
        let with_fp = series(|i| if i == 400 || i == 300 { 1.0 } else { 0.0 });
        assert!((nab_best(&[with_fp], &STD).raw - (1.0 - 0.11)).abs() < 1e-9);
        let in_probation = series(|i| if i == 400 || i == 100 { 1.0 } else { 0.0 });
        assert!((nab_best(&[in_probation], &STD).raw - 1.0).abs() < 1e-9);
        // Just past the window a false positive costs little, far past it A_fp.
        let just_after = series(|i| if i == 400 || i == 500 { 1.0 } else { 0.0 });
        let p = 1.0 / 99.0;
        let want = 1.0 + 0.11 * scaled_sigmoid(p);
        assert!((nab_best(&[just_after], &STD).raw - want).abs() < 1e-9);
    }

    #[test]
    fn the_corpus_threshold_maximises_the_score_and_events_count_runs() {
        // A detector whose level is high in the window and, lower, in two
        // bursts outside it: the best threshold stops above the bursts.
        let s = series(|i| match i {
            420..=430 => 0.9,
            600..=605 | 800..=801 => 0.5,
            _ => 0.1,
        });
        let best = nab_best(std::slice::from_ref(&s), &STD);
        assert_eq!(best.threshold, 0.9);
        assert!(nab_at(std::slice::from_ref(&s), &STD, 0.5).raw < best.raw);
        assert_eq!(
            nab_events(&s, 0.5),
            NabEvents {
                detected: 1,
                missed: 0,
                false_alarms: 2
            }
        );
        assert_eq!(nab_events(&s, 0.95).missed, 1);
        // The window, caught at its 21st row of 100, or missed at 0.95.
        let v = nab_windows(&s, &STD, 0.5);
        assert_eq!(v[0].caught, Some(420));
        let want = scaled_sigmoid(-0.8) / scaled_sigmoid(-1.0);
        assert!((v[0].reward - want).abs() < 1e-12 && v[0].highest == 0.9);
        let v = nab_windows(&s, &STD, 0.95);
        assert_eq!((v[0].caught, v[0].reward), (None, -1.0));
        // Two series: one threshold for both, windows counted over both.
        let other = series(|i| if i == 410 { 0.6 } else { 0.2 });
        let both = nab_best(&[s, other], &STD);
        assert_eq!(both.perfect, 2.0);
        assert_eq!(both.threshold, 0.6);
    }

    #[test]
    fn a_flag_silences_the_rows_after_it_at_every_threshold() {
        // A rising edge before the window: four rows a false positive each,
        // or one when a flag silences the 50 rows after it.
        let edge = |i: usize| match i {
            300..=303 => 0.6 + 0.1 * (i - 300) as f64,
            420 => 0.95,
            _ => 0.0,
        };
        let w = |i: usize| scaled_sigmoid(-((499 - i + 1) as f64) / 100.0) / scaled_sigmoid(-1.0);
        let mut s = series(edge);
        assert!((nab_at(std::slice::from_ref(&s), &STD, 0.5).raw - (w(420) - 0.44)).abs() < 1e-9);
        s.silence = 50;
        s.above = s.levels.clone();
        assert!((nab_at(std::slice::from_ref(&s), &STD, 0.5).raw - (w(420) - 0.11)).abs() < 1e-9);
        // The silence ends where the level falls under the threshold.
        s.levels[302] = 0.0;
        s.above[302] = 0.0;
        assert_eq!(s.flags(0.5).iter().filter(|&&f| f).count(), 3);
        // A flag at 380 whose level stays up silences the window's row
        // 420: missed at 0.5, caught above 0.6, where 380 no longer flags.
        let mut s = series(|i| match i {
            380 => 0.6,
            420 => 0.9,
            _ => 0.0,
        });
        s.silence = 50;
        s.above = (0..1000)
            .map(|i| if (380..=420).contains(&i) { 0.6 } else { 0.0 })
            .collect();
        assert_eq!(
            nab_events(&s, 0.5),
            NabEvents {
                detected: 0,
                missed: 1,
                false_alarms: 1
            }
        );
        assert_eq!(nab_at(std::slice::from_ref(&s), &STD, 0.5).raw, -1.11);
        let best = nab_best(std::slice::from_ref(&s), &STD);
        assert_eq!(best.threshold, 0.9);
        assert!((best.raw - w(420)).abs() < 1e-9);
        // Without `above`, a flag silences its `silence` rows whatever their level.
        let mut s = series(|i| {
            if i == 300 || i == 320 || i == 400 {
                1.0
            } else {
                0.0
            }
        });
        s.silence = 40;
        let flagged: Vec<usize> = (0..1000).filter(|&i| s.flags(0.5)[i]).collect();
        assert_eq!(flagged, [300, 400]);
        // Silenced by a flag in the probation, which itself counts nothing.
        let mut s = series(|i| if i == 140 || i == 170 { 1.0 } else { 0.0 });
        s.silence = 40;
        s.above = vec![1.0; 1000];
        assert_eq!(s.flags(0.5).iter().filter(|&&f| f).count(), 1);
        assert_eq!(nab_at(&[s], &STD, 0.5).raw, -1.0);
    }

    #[test]
    fn windows_map_to_the_rows_they_cover() {
        let times: Vec<i64> = (0..10).map(|i| i * 10).collect();
        assert_eq!(window_rows(&times, &[(20, 50)]), [(2, 5)]);
        assert_eq!(
            window_rows(&times, &[(15, 55), (85, 200)]),
            [(2, 5), (9, 9)]
        );
        assert!(window_rows(&times, &[(91, 99), (200, 300)]).is_empty());
    }
}
