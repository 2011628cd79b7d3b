//! How a series becomes rows a detector scores, kept in the model file: the
//! value columns, the trailing window, the calendar features, the smoothing
//! the cooldown and the recent rows an alarm is ranked among. (Files from before session 18 also hold a level
//! curve; it is ignored: levels now come from the threshold, `level.rs`.)
//!
//! Each row of the series becomes one *step* (its values, then its four
//! calendar features with `calendar`); the window ending at row t is steps
//! t − W + 1 … t, oldest first, flattened into one row of W · step-width
//! values. Windows count rows, not time: irregular spacing is allowed, and a
//! window then spans however much time its W rows do, short of a gap: a
//! step far longer than the normal stretch's cadence, which no window spans
//! (`gap.rs`).

use super::{calendar_features, Timestamp, CALENDAR_FEATURES, MAX_RECENT_ROWS};
use aedetect_tensor::Tensor;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesSpec {
    /// The CSV column holding the timestamps.
    pub time_col: String,
    /// The value columns, in the order a step holds them.
    pub columns: Vec<String>,
    /// Rows per window (W).
    pub window: usize,
    /// Steps carry hour-of-day and day-of-week features.
    pub calendar: bool,
    /// Window errors averaged into the smoothed score (K, trailing).
    pub smooth: usize,
    /// After an alarm, rows whose smoothed score does not climb above the
    /// highest of this many rows before them raise none (`cooldown.rs`).
    /// Files from before it have 0: every row above the threshold is flagged.
    #[serde(default)]
    pub cooldown: usize,
    /// A step longer than this many microseconds is a gap: no window spans
    /// one, and the rows after it start the series anew (`gap.rs`). `None`,
    /// as in files from before it: every step joins its rows.
    #[serde(default)]
    pub gap_micros: Option<i64>,
    /// An alarm's smoothed score must also be over 1.05 times the 98.5th
    /// percentile of the last this many rows' (`recent.rs`). Files from
    /// before it have 0: no such rank.
    #[serde(default)]
    pub recent: usize,
}

/// The longest window a model file may ask for.
pub const MAX_WINDOW: usize = 100_000;
/// The longest cooldown a model file may ask for.
pub const MAX_COOLDOWN: usize = 10_000_000;

impl SeriesSpec {
    /// Values per step: the value columns, plus the calendar features.
    pub fn step_width(&self) -> usize {
        self.columns.len() + if self.calendar { CALENDAR_FEATURES } else { 0 }
    }

    /// Values per window: the model's input width.
    pub fn window_width(&self) -> usize {
        self.window * self.step_width()
    }

    /// Appends one step per row of `values` ([n, columns]) at `times` to `out`.
    pub fn push_steps(&self, times: &[Timestamp], values: &Tensor, out: &mut Vec<f32>) {
        debug_assert_eq!(times.len(), values.rows());
        for (i, t) in times.iter().enumerate() {
            out.extend_from_slice(values.row(i));
            if self.calendar {
                let at = out.len();
                out.resize(at + CALENDAR_FEATURES, 0.0);
                calendar_features(t, &mut out[at..]);
            }
        }
    }

    /// Whether a loaded spec fits a model of `inputs` features.
    pub fn check(&self, inputs: usize) -> Result<(), String> {
        if self.columns.is_empty() {
            return Err("a series model needs at least one value column".into());
        }
        if !(1..=MAX_WINDOW).contains(&self.window) || !(1..=MAX_WINDOW).contains(&self.smooth) {
            return Err(format!(
                "window {} and smoothing {} must be 1 to {MAX_WINDOW}",
                self.window, self.smooth
            ));
        }
        if self.cooldown > MAX_COOLDOWN {
            return Err(format!(
                "the cooldown of {} rows is over {MAX_COOLDOWN}",
                self.cooldown
            ));
        }
        if self.recent > MAX_RECENT_ROWS {
            return Err(format!(
                "ranking alarms among the last {} rows is over {MAX_RECENT_ROWS}",
                self.recent
            ));
        }
        if let Some(gap) = self.gap_micros.filter(|&g| g <= 0) {
            return Err(format!(
                "a gap limit of {gap} microseconds is not a positive time span"
            ));
        }
        if self.window.checked_mul(self.step_width()) != Some(inputs) {
            return Err(format!(
                "windows of {} rows × {} values do not make the model's {inputs} inputs",
                self.window,
                self.step_width()
            ));
        }
        Ok(())
    }
}
