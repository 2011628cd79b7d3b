//! Training a series detector on the normal stretch at the start of a
//! series (NAB's probationary period is its first 15 %).
//!
//! ```text
//! stretch: rows 0 … R−1 ──▶ windows ending at W−1 … R−1, cut into blocks
//!          ├── 4 blocks of every 5: the model trains on their windows
//!          │   (and `max+Kspread` never falls below their highest
//!          │   smoothed score: a window learnt as normal does not alarm)
//!          └── every 5th block, the last one included (held out, 20 %):
//!              their smoothed scores set the threshold (the rule,
//!              `max+2spread` by default, wider when fewer than
//!              8·W windows are held out: `calibration_rule`), which
//!              the levels are measured against (level.rs)
//! ```
//!
//! Held-out blocks spread over the stretch rather than one tail: a stretch
//! of two days whose last fifth is one evening would calibrate on evening
//! windows only, and every morning would then look anomalous. A block is at
//! least 2·W windows long, so most of its windows share no row with a
//! trained window, and there are about 25 of them, so the held-out part
//! samples the whole stretch, each phase of a daily cycle included.
//! Windows that would span a gap (`gap.rs`) are neither trained on nor
//! held out: scoring never makes them.

use super::{gap_limit, windowed_rows, Series, SeriesScorer, SeriesSpec, Timestamp, RECENT_ROWS};
use crate::detector::Detector;
use crate::error::{DetectError, Result};
use crate::model::ModelConfig;
use crate::preprocess::ScalerKind;
use crate::threshold::ThresholdRule;
use crate::train::{EpochReport, TrainConfig};
use aedetect_tensor::Tensor;

/// The threshold rule for a series unless one is named: past the maximum
/// of the held-out smoothed scores by two of their upper half's spreads.
/// A percentile puts a share of normal rows above the threshold by
/// construction, and on a series each flag is an alert someone answers:
/// p99 puts 100 of every 10,000 normal rows above it (on NAB's five series
/// its alarms score below zero). Since one excursion raises one alarm
/// (`cooldown.rs`), a false alarm costs one alert, not one a row, and a
/// lower bar catches more: two spreads scored best of 1½–4 on NAB's five
/// series for each of the dense, 1-D conv and LSTM autoencoders (four
/// before the silence, when three to six scored alike).
pub const SERIES_THRESHOLD: ThresholdRule = ThresholdRule::MaxKSpread(2.0);

/// Held-out windows, per row of a window, from which `max+Kspread` is
/// taken as named: 8·W, four blocks of 2·W ([`calibration_rule`]).
pub const FULL_CALIBRATION_PER_ROW: usize = 8;
/// The most [`calibration_rule`] widens K by.
pub const MAX_WIDENING: f64 = 4.0;

/// The rule a series calibrates by on `held` held-out windows of `window`
/// rows: `rule` itself, except that `max+Kspread` widens K by 8·W / held
/// (up to 4×, K rounded to hundredths) where fewer than 8·W windows are
/// held out. The maximum of a few held-out windows falls further short of
/// how high normal windows go than the maximum of many: a stretch of two
/// days (NAB's 15 % of a 14-day series) holds out 2 blocks, 126 windows,
/// and at two spreads its alarms were mostly false. On 11 cuts of 4,032
/// rows from NAB's series (each with such a stretch) widening scored 52.1
/// against 43.7 (standard profile, six seeds), on the five whole series,
/// whose stretches hold out 227–693 windows, 68.5 as before (RESULTS.md).
pub fn calibration_rule(rule: ThresholdRule, held: usize, window: usize) -> ThresholdRule {
    match rule {
        ThresholdRule::MaxKSpread(k) => {
            let full = (FULL_CALIBRATION_PER_ROW * window.max(1)) as f64;
            let widen = (full / held.max(1) as f64).clamp(1.0, MAX_WIDENING);
            ThresholdRule::MaxKSpread((k * widen * 100.0).round() / 100.0)
        }
        other => other,
    }
}

/// Whether a threshold by `rule` is floored at the highest smoothed score
/// of the windows the model trained on ([`fit_series`]): `max+Kspread`,
/// which means past anything the stretch showed. A percentile or mean + k·σ
/// means a share of normal windows above it, and keeps that meaning.
pub fn floored_at_trained_windows(rule: ThresholdRule) -> bool {
    matches!(rule, ThresholdRule::MaxKSpread(_))
}

/// A normal stretch spanning at least this many days gets calendar features
/// unless told otherwise (each weekday and hour seen at least twice), and
/// with them the 1-D conv autoencoder (`ModelConfig::recommended_for_series`).
/// Shorter stretches never see some weekdays, which then score high.
pub const CALENDAR_DAYS: f64 = 14.0;

/// Days between the first and the last row of the stretch's `train_rows`.
pub fn stretch_days(series: &Series, train_rows: usize) -> f64 {
    let rows = train_rows.min(series.len());
    if rows < 2 {
        return 0.0;
    }
    (series.times[rows - 1].micros - series.times[0].micros) as f64 / 86_400e6
}

/// Whether a series gets calendar features by default: its stretch spans
/// [`CALENDAR_DAYS`].
pub fn calendar_by_default(series: &Series, train_rows: usize) -> bool {
    stretch_days(series, train_rows) >= CALENDAR_DAYS
}

/// NAB's probationary period: the first 15 % of a series is its normal stretch.
pub const DEFAULT_TRAIN_FRACTION: f64 = 0.15;
/// A normal stretch is short (NAB's: a few hundred windows), so a network
/// trains for at least this many optimizer steps, however few its epochs.
pub const SERIES_MIN_STEPS: usize = 2000;

/// How a series is cut into windows and where its normal stretch ends.
#[derive(Clone, Debug)]
pub struct SeriesOptions {
    /// Rows per window (W).
    pub window: usize,
    /// Add hour-of-day and day-of-week features to every step.
    pub calendar: bool,
    /// Trailing mean over this many window errors (K; 1 = no smoothing).
    pub smooth: usize,
    /// An alarm re-fires within this many rows only when the smoothed score
    /// climbs above its highest there (0: every row above the threshold).
    /// [`SeriesOptions::event_rows`] is one event's reach.
    pub cooldown: usize,
    /// Rows at the start of the series taken as normal.
    pub train_rows: usize,
    /// The stretch's windows held out to calibrate on (fraction: 0.2 holds
    /// out every 5th block).
    pub calibration: f64,
    /// A step over this many times the stretch's 99th-percentile step is a
    /// gap, which no window spans (`gap.rs`; 0, the default: none is;
    /// [`super::GAP_FACTOR`] suggested).
    pub gap_factor: f64,
    /// An alarm's smoothed score must also be over 1.05 times the 98.5th
    /// percentile of the last this many rows' (`recent.rs`; 0: no such
    /// rank).
    pub recent: usize,
}

impl SeriesOptions {
    /// The defaults (`aedetect train --time-col`'s): windows of 32 rows, the
    /// trailing mean of 8 window errors, a cooldown of one event's reach,
    /// no calendar features, every 5th block of the stretch held out, no
    /// gaps (windows span every step), alarms ranked among the last 4,096
    /// rows.
    pub fn new(train_rows: usize) -> Self {
        let mut options = SeriesOptions {
            window: 32,
            calendar: false,
            smooth: 8,
            cooldown: 0,
            train_rows,
            calibration: 0.2,
            gap_factor: 0.0,
            recent: RECENT_ROWS,
        };
        options.cooldown = options.event_rows();
        options
    }

    /// The rows one anomalous row lifts the smoothed score for: W windows
    /// hold it, and each of their errors stays in K trailing means. The
    /// cooldown that gives one alarm per event.
    pub fn event_rows(&self) -> usize {
        self.window + self.smooth.max(1) - 1
    }

    /// How many windows the model trains on of `series`: the stretch's
    /// windows less the held-out ones and those across a gap (for a
    /// progress bar's total).
    pub fn training_windows(&self, series: &Series) -> usize {
        let limit = gap_limit(self.stretch_times(series), self.gap_factor);
        self.stretch_windows(series, limit).0
    }

    /// The timestamps of `series`' normal stretch.
    fn stretch_times<'s>(&self, series: &'s Series) -> &'s [Timestamp] {
        &series.times[..self.train_rows.min(series.len())]
    }

    /// The stretch's windows, by end row − (W − 1), with steps past `limit`
    /// as gaps: (trained on, held out), and each one's part (held out,
    /// spans no gap).
    fn stretch_windows(
        &self,
        series: &Series,
        limit: Option<i64>,
    ) -> (usize, usize, Vec<(bool, bool)>) {
        let times = self.stretch_times(series);
        let (rows, w) = (times.len(), self.window.max(1));
        let windows = (rows + 1).saturating_sub(w);
        let whole = windowed_rows(times, w, limit);
        let parts: Vec<(bool, bool)> = held_out(windows, w, self.calibration)
            .into_iter()
            .zip(&whole[(w - 1).min(rows)..])
            .map(|(held, &whole)| (held, whole))
            .collect();
        let count = |held: bool| parts.iter().filter(|&&p| p == (held, true)).count();
        (count(false), count(true), parts)
    }
}

/// The trailing-windows spec of `series` under `options`.
pub fn series_spec(time_col: &str, series: &Series, options: &SeriesOptions) -> SeriesSpec {
    SeriesSpec {
        time_col: time_col.to_string(),
        columns: series.columns.clone(),
        window: options.window,
        calendar: options.calendar,
        smooth: options.smooth.max(1),
        cooldown: options.cooldown,
        recent: options.recent,
        gap_micros: gap_limit(options.stretch_times(series), options.gap_factor),
    }
}

/// A detector fitted on a series' normal stretch, with how its threshold
/// was set: callers print the rule and keep it in the model file.
pub struct SeriesFit {
    pub detector: Detector,
    /// The rule the threshold came from: the one asked for, as
    /// [`calibration_rule`] widened it for `held_out` windows.
    pub rule: ThresholdRule,
    /// The stretch's windows held out to calibrate on.
    pub held_out: usize,
    /// Where `max+Kspread` fell below the highest smoothed score of a
    /// window the model trained on: that score, which is the threshold.
    pub floor: Option<f32>,
}

/// Trains a detector on the normal stretch of `series`, sets its threshold
/// (on the smoothed score, by `rule` as [`calibration_rule`] widens it for
/// few held-out windows) on the stretch's held-out blocks of windows.
/// `model` sees windows of `spec.window_width()` values. A `max+Kspread`
/// threshold is never below the highest smoothed score of the windows the
/// model trained on. The detector's `info` gets `threshold_rule` (the rule
/// used), `held_out_windows` and, where the floor set the threshold,
/// `threshold_floor`.
#[allow(clippy::too_many_arguments)]
pub fn fit_series(
    series: &Series,
    time_col: &str,
    options: &SeriesOptions,
    scaler: ScalerKind,
    model: impl Into<ModelConfig>,
    train: &TrainConfig,
    rule: ThresholdRule,
    progress: &mut (dyn FnMut(&EpochReport) + Send),
) -> Result<SeriesFit> {
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
    // The scorer's gap limit, so training and calibration skip the windows
    // scoring never makes.
    let (fit_windows, held_windows, parts) = options.stretch_windows(series, spec.gap_micros);
    let windows = parts.len();
    if fit_windows < 2 || held_windows == 0 {
        let gaps = if windows > fit_windows + held_windows {
            format!(
                ", {} of them across a gap",
                windows - fit_windows - held_windows
            )
        } else {
            String::new()
        };
        return Err(DetectError::Empty(format!(
            "the normal stretch of {rows} rows makes {windows} windows of {w} rows{gaps}: too few to train on and to hold out for calibration (make the stretch longer or the window shorter)"
        )));
    }
    let mut steps = Vec::with_capacity(rows * sw);
    let mut stretch = Tensor::default();
    stretch.copy_rows_from(&series.values, 0, rows);
    spec.push_steps(&series.times[..rows], &stretch, &mut steps);
    let mut x = Vec::with_capacity(fit_windows * w * sw);
    for (i, _) in parts
        .iter()
        .enumerate()
        .filter(|(_, &p)| p == (false, true))
    {
        x.extend_from_slice(&steps[i * sw..(i + w) * sw]);
    }
    let x = Tensor::from_vec(&[fit_windows, w * sw], x);
    let mut det = Detector::fit(&x, scaler, model, train, progress)?;
    det.series = Some(spec);

    // The stretch scored as scoring will score it, then the held-out windows' smoothed scores.
    let mut points = Vec::with_capacity(rows);
    SeriesScorer::new().push(&mut det, &series.times[..rows], &stretch, &mut points)?;
    let calibration: Vec<f32> = points[w - 1..]
        .iter()
        .zip(&parts)
        .filter(|(_, &p)| p == (true, true))
        .map(|(p, _)| p.expect("a window spanning no gap is scored").smoothed)
        .collect();
    let rule = calibration_rule(rule, held_windows, w);
    let threshold = rule
        .apply(&calibration, &vec![false; calibration.len()])
        .ok_or_else(|| DetectError::Empty("no held-out windows to calibrate on".into()))?;
    // `max+Kspread` means past anything the stretch showed, and the trained
    // windows are part of it: a window the model learnt as normal, seen
    // again, must not alarm (a daily ramp that no held-out block happens
    // to cover would otherwise alarm every day). Their scores are in-sample
    // and low, so this raises the threshold only where the held-out blocks
    // missed a phase the trained ones hold.
    let trained_max = points[w - 1..]
        .iter()
        .zip(&parts)
        .filter(|(_, &p)| p == (false, true))
        .filter_map(|(p, _)| p.map(|p| p.smoothed))
        .fold(f32::NEG_INFINITY, f32::max);
    let floor =
        (floored_at_trained_windows(rule) && trained_max > threshold).then_some(trained_max);
    det.threshold = Some(floor.unwrap_or(threshold));
    det.info.insert("threshold_rule".into(), rule.to_string());
    det.info
        .insert("held_out_windows".into(), held_windows.to_string());
    if let Some(floor) = floor {
        det.info.insert(
            "threshold_floor".into(),
            format!("{floor}: the trained windows' highest smoothed score, above the rule's {threshold}"),
        );
    }
    Ok(SeriesFit {
        detector: det,
        rule,
        held_out: held_windows,
        floor,
    })
}

/// Which of `windows` windows (of `w` rows) are held out: every block of
/// `1/fraction` (rounded), counted back from the last, in blocks of
/// max(2·w, windows/25) windows. Never all of them, never none when there
/// are at least two blocks.
fn held_out(windows: usize, w: usize, fraction: f64) -> Vec<bool> {
    let every = (1.0 / fraction.clamp(0.01, 0.5)).round() as usize;
    let block = (2 * w).max(windows / 25).max(1);
    let blocks = windows.div_ceil(block);
    (0..windows)
        .map(|i| {
            let from_end = blocks - 1 - i / block;
            blocks > 1 && from_end.is_multiple_of(every)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{calibration_rule, held_out};
    use crate::threshold::ThresholdRule;

    #[test]
    fn few_held_out_windows_widen_max_k_spread_and_nothing_else() {
        let two = ThresholdRule::MaxKSpread(2.0);
        // 8·W = 256 windows or more: the rule as named.
        assert_eq!(calibration_rule(two, 256, 32), two);
        assert_eq!(calibration_rule(two, 693, 32), two);
        // A two-day stretch's 126: 2 × 256/126 = 4.063…, to hundredths.
        assert_eq!(
            calibration_rule(two, 126, 32),
            ThresholdRule::MaxKSpread(4.06)
        );
        // The widening stops at 4×, however few.
        assert_eq!(
            calibration_rule(two, 17, 32),
            ThresholdRule::MaxKSpread(8.0)
        );
        assert_eq!(calibration_rule(two, 0, 32), ThresholdRule::MaxKSpread(8.0));
        // It scales with the window: 8·16 = 128 held out is enough for W = 16.
        assert_eq!(calibration_rule(two, 128, 16), two);
        // Percentiles and mean + k·σ are what they say.
        for rule in [
            ThresholdRule::Percentile(99.0),
            ThresholdRule::MeanKStd(3.0),
        ] {
            assert_eq!(calibration_rule(rule, 10, 32), rule);
        }
    }

    #[test]
    fn held_out_blocks_spread_over_the_stretch_and_end_it() {
        let h = held_out(1000, 4, 0.2);
        let n = h.iter().filter(|&&b| b).count();
        assert!((180..=220).contains(&n), "{n}");
        assert!(h[999] && !h[0]);
        // Blocks of 40 (1000 / 25): held-out runs in the first and second halves.
        assert!(h[..500].iter().any(|&b| b) && h[500..].iter().any(|&b| b));
        assert!(h.windows(40).any(|r| r.iter().all(|&b| b)));
        // Long windows make long blocks; one block only: nothing to hold out.
        let h = held_out(100, 30, 0.2);
        assert_eq!(h.iter().filter(|&&b| b).count(), 40);
        assert!(held_out(50, 30, 0.2).iter().all(|&b| !b));
    }
}
