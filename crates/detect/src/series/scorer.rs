//! Scoring a series row by row as it arrives: the scorer keeps the last
//! W − 1 steps and the last K − 1 window errors, so a file scored in one
//! batch, in batches of any size, or one row at a time from a live feed
//! gives the same numbers, bit for bit. A gap (a step past the model's
//! `gap_micros`, `gap.rs`) starts the series anew: the steps before it
//! leave the window, and the smoothing and the cooldown start afresh.

use super::{is_gap, level, trailing_mean, Cooldown, RecentRank, Timestamp};
use crate::detector::Detector;
use crate::error::{DetectError, Result};
use aedetect_tensor::Tensor;

/// One row's verdict.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The reconstruction error of the window ending at this row.
    pub score: f32,
    /// The trailing mean of the last K window errors.
    pub smoothed: f32,
    /// The smoothed score's level in [0, 1): s / (s + threshold), so ½ at
    /// the threshold (`level.rs`).
    pub level: f64,
    /// The row's evidence as a level: the larger of its window's own error
    /// and the smoothed score, against the threshold (`level.rs`). At an
    /// alarm the smoothed score has only just passed the threshold, so its
    /// level is about ½ however strong the event turns out; the window's
    /// own error, which the trailing mean lags, tells a sudden event from a
    /// score creeping past. `score --nab` gives each alarm this level, so
    /// NAB's threshold sweep can drop the weakest alarms (RESULTS.md,
    /// session 27).
    pub strength: f64,
    /// The smoothed score is above every one of the cooldown's rows before.
    pub peak: bool,
    /// The smoothed score is over 1.05 times the recent rows' 98.5th
    /// percentile (`recent.rs`; always before 100 of them, or in a model
    /// without).
    pub stands_out: bool,
    /// An alarm: a peak that stands out, smoothed > the model's threshold,
    /// and no alarm in the cooldown's rows before (`cooldown.rs`).
    pub flag: bool,
}

impl Point {
    /// Whether this row raises an alarm at a threshold its smoothed score
    /// passes, unless an alarm before silences it: a peak that stands out.
    /// Neither depends on the threshold.
    pub fn may_alarm(&self) -> bool {
        self.peak && self.stands_out
    }

    /// The level where this row could raise an alarm, 0 where it could not
    /// ([`Point::may_alarm`]): flagging these at any threshold, each flag
    /// silencing the cooldown's rows after it, gives the alarms that
    /// threshold would give, as NAB's scoring needs (`NabSeries::silence`).
    pub fn alarm_level(&self) -> f64 {
        if self.may_alarm() {
            self.level
        } else {
            0.0
        }
    }
}

/// The state carried from one batch of rows to the next.
#[derive(Default)]
pub struct SeriesScorer {
    /// The last (at most W − 1) steps since the last gap, oldest first,
    /// flattened.
    history: Vec<f32>,
    /// The last row's timestamp, to tell a gap before the next.
    last: Option<Timestamp>,
    /// Rows since the last gap (or the start), this one included.
    run: usize,
    /// Gaps met so far.
    gaps: usize,
    /// The last (at most K) window errors, oldest first.
    recent: Vec<f32>,
    /// The smoothed scores' trailing maximum (set up by the first push).
    cooldown: Option<Cooldown>,
    /// The recent smoothed scores an alarm must stand out from (set up by
    /// the first push; kept across gaps: what the series showed before a
    /// hole is still what it shows).
    recent_rank: Option<RecentRank>,
    /// Rows pushed so far.
    rows: usize,
    steps: Vec<f32>,
    windows: Tensor,
    scores: Vec<f32>,
    /// Per row of the batch: (a gap before it, it ends a window).
    marks: Vec<(bool, bool)>,
    /// The batch rows that end a window, in order.
    ends: Vec<usize>,
}

impl SeriesScorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Gaps met so far: steps past the model's `gap_micros`, each followed
    /// by W − 1 rows without a score.
    pub fn gaps(&self) -> usize {
        self.gaps
    }

    /// Scores the next rows of the series (`values` [n, columns] at
    /// `times`), appending one entry per row to `out`: `None` for a row
    /// whose window is not yet full (the first W − 1 rows of the series, and
    /// the W − 1 rows after each gap).
    /// Errors name rows counted from the start of this batch.
    pub fn push(
        &mut self,
        det: &mut Detector,
        times: &[Timestamp],
        values: &Tensor,
        out: &mut Vec<Option<Point>>,
    ) -> Result<()> {
        // Borrowed, not cloned: a live feed pushes one row at a time.
        let spec = det
            .series
            .as_ref()
            .ok_or_else(|| DetectError::Config("this model was not trained on a series".into()))?;
        if values.row_len() != spec.columns.len() {
            return Err(DetectError::WidthMismatch {
                got: values.row_len(),
                want: spec.columns.len(),
            });
        }
        let (w, sw, smooth, n) = (spec.window, spec.step_width(), spec.smooth, values.rows());
        let carried = self.history.len() / sw;
        self.steps.clear();
        self.steps.extend_from_slice(&self.history);
        spec.push_steps(times, values, &mut self.steps);
        // A window ends at every row with W − 1 rows before it since the
        // last gap.
        let mut data = std::mem::take(&mut self.windows).into_vec();
        data.clear();
        self.marks.clear();
        self.ends.clear();
        // Committed once the batch is scored: a batch that fails leaves the
        // scorer as it was.
        let (mut run, mut last, mut gaps) = (self.run, self.last, self.gaps);
        for (i, t) in times.iter().enumerate() {
            let gap = last.is_some_and(|last| is_gap(&last, t, spec.gap_micros));
            if gap {
                run = 0;
                gaps += 1;
            }
            run += 1;
            last = Some(*t);
            let windowed = run >= w;
            if windowed {
                let end = carried + i;
                data.extend_from_slice(&self.steps[(end + 1 - w) * sw..(end + 1) * sw]);
                self.ends.push(i);
            }
            self.marks.push((gap, windowed));
        }
        self.windows = Tensor::from_vec(&[self.ends.len(), w * sw], data);
        let ends = &self.ends;
        det.score_into(&self.windows, &mut self.scores)
            .map_err(|e| match e {
                DetectError::Overflow { row, score } => DetectError::Overflow {
                    row: ends[row],
                    score,
                },
                e => e,
            })?;
        (self.run, self.last, self.gaps) = (run, last, gaps);
        let threshold = det.threshold.unwrap_or(f32::INFINITY);
        let spec = det.series.as_ref().expect("checked above");
        let cooldown = self
            .cooldown
            .get_or_insert_with(|| Cooldown::new(spec.cooldown));
        let recent_rank = self
            .recent_rank
            .get_or_insert_with(|| RecentRank::new(spec.recent));
        let mut scores = self.scores.iter();
        for &(gap, windowed) in &self.marks {
            if gap {
                self.recent.clear();
                *cooldown = Cooldown::new(spec.cooldown);
            }
            if !windowed {
                out.push(None);
                continue;
            }
            let score = *scores.next().expect("one score per window");
            if self.recent.len() == smooth {
                self.recent.remove(0);
            }
            self.recent.push(score);
            let smoothed = trailing_mean(&self.recent);
            let stands_out = recent_rank.stands_out(smoothed);
            let (peak, flag) = cooldown.alarm(smoothed, threshold, stands_out);
            out.push(Some(Point {
                score,
                smoothed,
                level: level(smoothed, threshold),
                strength: level(score.max(smoothed), threshold),
                peak,
                stands_out,
                flag,
            }));
        }
        // The steps the next batch's windows may reach back to: the
        // current run's, W − 1 at most.
        let total = carried + n;
        let keep = self.run.min(w - 1).min(total);
        self.history.clear();
        self.history
            .extend_from_slice(&self.steps[(total - keep) * sw..total * sw]);
        self.rows += n;
        Ok(())
    }
}
