//! Training a series detector on the normal stretch at the start of a
//! series (NAB's probationary period is its first 15 %).
//!
//! ```text
//! stretch: rows 0 … R−1 ──▶ windows ending at W−1 … R−1
//!          ├── the first 80 % of those windows: the model trains on them
//!          └── the last 20 % (the held-out tail): their smoothed scores set
//!              the threshold (the rule, e.g. p99) and the level curve
//! ```
//!
//! The tail's windows reach back into rows the model trained on, but no
//! whole tail window was seen in training.

use super::{LevelCurve, Series, SeriesScorer, SeriesSpec};
use crate::detector::Detector;
use crate::error::{DetectError, Result};
use crate::model::ModelConfig;
use crate::preprocess::ScalerKind;
use crate::threshold::ThresholdRule;
use crate::train::{EpochReport, TrainConfig};
use aedetect_tensor::Tensor;

/// How a series is cut into windows and where its normal stretch ends.
#[derive(Clone, Debug)]
pub struct SeriesOptions {
    /// Rows per window (W).
    pub window: usize,
    /// Add hour-of-day and day-of-week features to every step.
    pub calendar: bool,
    /// Trailing mean over this many window errors (K; 1 = no smoothing).
    pub smooth: usize,
    /// Rows at the start of the series taken as normal.
    pub train_rows: usize,
    /// The stretch's last windows held out to calibrate on (fraction).
    pub calibration: f64,
}

/// The trailing-windows spec of `series` under `options` (level not yet fitted).
pub fn series_spec(time_col: &str, series: &Series, options: &SeriesOptions) -> SeriesSpec {
    SeriesSpec {
        time_col: time_col.to_string(),
        columns: series.columns.clone(),
        window: options.window,
        calendar: options.calendar,
        smooth: options.smooth.max(1),
        level: LevelCurve {
            points: vec![0.0],
            scale: 1.0,
        },
    }
}

/// Trains a detector on the normal stretch of `series`, sets its threshold
/// (on the smoothed score, by `rule`) and its level curve on the stretch's
/// held-out tail. `model` sees windows of `spec.window_width()` values.
#[allow(clippy::too_many_arguments)]
pub fn fit_series(
    series: &Series,
    time_col: &str,
    options: &SeriesOptions,
    scaler: ScalerKind,
    model: impl Into<ModelConfig>,
    train: &TrainConfig,
    rule: ThresholdRule,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<Detector> {
    let spec = series_spec(time_col, series, options);
    let (w, sw) = (spec.window, spec.step_width());
    let rows = options.train_rows.min(series.len());
    if w == 0 {
        return Err(DetectError::Config(
            "the window must hold at least one row".into(),
        ));
    }
    if rule.needs_anomalies() {
        return Err(DetectError::Config(
            "the best-F1 threshold needs labelled anomalies; a series' normal stretch has none"
                .into(),
        ));
    }
    let windows = (rows + 1).saturating_sub(w);
    let held_out = ((windows as f64 * options.calibration).round() as usize).max(1);
    let fit_windows = windows.saturating_sub(held_out);
    if fit_windows < 2 {
        return Err(DetectError::Empty(format!(
            "the normal stretch of {rows} rows makes {windows} windows of {w} rows: too few to train on and to hold out for calibration (make the stretch longer or the window shorter)"
        )));
    }
    let mut steps = Vec::with_capacity(rows * sw);
    let stretch = series.values.select_rows(&(0..rows).collect::<Vec<_>>());
    spec.push_steps(&series.times[..rows], &stretch, &mut steps);
    let mut x = Vec::with_capacity(fit_windows * w * sw);
    for end in w - 1..w - 1 + fit_windows {
        x.extend_from_slice(&steps[(end + 1 - w) * sw..(end + 1) * sw]);
    }
    let x = Tensor::from_vec(&[fit_windows, w * sw], x);
    let mut det = Detector::fit(&x, scaler, model, train, progress)?;
    det.series = Some(spec);

    // The stretch scored as scoring will score it, then the tail's smoothed scores.
    let mut points = Vec::with_capacity(rows);
    SeriesScorer::new().push(&mut det, &series.times[..rows], &stretch, &mut points)?;
    let tail: Vec<f32> = points[rows - held_out..]
        .iter()
        .map(|p| {
            p.expect("every stretch row past W − 1 has a window")
                .smoothed
        })
        .collect();
    let threshold = rule
        .apply(&tail, &vec![false; tail.len()])
        .ok_or_else(|| DetectError::Empty("no held-out windows to calibrate on".into()))?;
    det.threshold = Some(threshold);
    let series_spec = det.series.as_mut().expect("set above");
    series_spec.level = LevelCurve::fit(&tail)
        .ok_or_else(|| DetectError::Empty("the held-out windows have no finite score".into()))?;
    Ok(det)
}
