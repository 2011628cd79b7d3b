//! Scoring a series row by row as it arrives: the scorer keeps the last
//! W − 1 steps and the last K − 1 window errors, so a file scored in one
//! batch, in batches of any size, or one row at a time from a live feed
//! gives the same numbers, bit for bit.

use super::{level, trailing_mean, Cooldown, Timestamp};
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
    /// The smoothed score is above every one of the cooldown's rows before.
    pub peak: bool,
    /// An alarm: a peak, smoothed > the model's threshold, and no alarm
    /// in the cooldown's rows before (`cooldown.rs`).
    pub flag: bool,
}

impl Point {
    /// The level where this row could raise an alarm, 0 where it could not
    /// (not a peak): flagging these at any threshold, each flag silencing
    /// the cooldown's rows after it, gives the alarms that threshold would
    /// give, as NAB's scoring needs (`NabSeries::silence`).
    pub fn alarm_level(&self) -> f64 {
        if self.peak {
            self.level
        } else {
            0.0
        }
    }
}

/// The state carried from one batch of rows to the next.
#[derive(Default)]
pub struct SeriesScorer {
    /// The last (at most W − 1) steps, oldest first, flattened.
    history: Vec<f32>,
    /// The last (at most K) window errors, oldest first.
    recent: Vec<f32>,
    /// The smoothed scores' trailing maximum (set up by the first push).
    cooldown: Option<Cooldown>,
    /// Rows pushed so far.
    rows: usize,
    steps: Vec<f32>,
    windows: Tensor,
    scores: Vec<f32>,
}

impl SeriesScorer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Scores the next rows of the series (`values` [n, columns] at
    /// `times`), appending one entry per row to `out`: `None` for a row
    /// whose window is not yet full (the first W − 1 rows of the series).
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
        // Windows end at every row with W − 1 steps before it.
        let total = carried + n;
        let first_end = (w - 1).max(carried);
        let windows = total.saturating_sub(first_end);
        let mut data = std::mem::take(&mut self.windows).into_vec();
        data.clear();
        for end in first_end..total {
            data.extend_from_slice(&self.steps[(end + 1 - w) * sw..(end + 1) * sw]);
        }
        self.windows = Tensor::from_vec(&[windows, w * sw], data);
        let unscored = n - windows;
        det.score_into(&self.windows, &mut self.scores)
            .map_err(|e| match e {
                DetectError::Overflow { row, score } => DetectError::Overflow {
                    row: row + unscored,
                    score,
                },
                e => e,
            })?;
        out.extend(std::iter::repeat_n(None, unscored));
        let threshold = det.threshold.unwrap_or(f32::INFINITY);
        let spec = det.series.as_ref().expect("checked above");
        let cooldown = self
            .cooldown
            .get_or_insert_with(|| Cooldown::new(spec.cooldown));
        for &score in &self.scores {
            if self.recent.len() == smooth {
                self.recent.remove(0);
            }
            self.recent.push(score);
            let smoothed = trailing_mean(&self.recent);
            let (peak, flag) = cooldown.alarm(smoothed, threshold);
            out.push(Some(Point {
                score,
                smoothed,
                level: level(smoothed, threshold),
                peak,
                flag,
            }));
        }
        let keep = total.min(w - 1);
        self.history.clear();
        self.history
            .extend_from_slice(&self.steps[(total - keep) * sw..total * sw]);
        self.rows += n;
        Ok(())
    }
}
