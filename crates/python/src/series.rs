//! Time series from Python: `fit_series` trains a detector on a series'
//! normal stretch as `aedetect train --time-col` does, and a
//! `SeriesStream` scores rows in order as `aedetect score` does (a whole
//! array at once, or a live feed a few rows at a time, the same numbers
//! either way), keeping the last W − 1 rows between calls.
//!
//! Timestamps come as text (the Python layer formats datetimes), parsed as
//! the CLI parses a CSV's time column. Without them the rows are taken as
//! evenly spaced; a model with calendar features needs them.

use crate::array::matrix;
use crate::detector::PyDetector;
use crate::errors::to_py;
use crate::progress::reporter;
use aedetect_detect::series::{
    calendar_by_default, fit_series as fit, parse_timestamp, series_spec, Point, Series,
    SeriesOptions, SeriesScorer, Timestamp, MAX_RECENT_ROWS, SERIES_MIN_STEPS, TIMESTAMP_FORMATS,
};
use aedetect_detect::threshold::ThresholdRule;
use aedetect_detect::{ModelKind, ModelOptions, TrainConfig};
use aedetect_tensor::Tensor;
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Mutex;

/// The instants of `n` rows: parsed from `stamps`, or the row numbers
/// from `first` as microseconds when there are none.
fn times(stamps: Option<&[String]>, n: usize, first: usize) -> PyResult<Vec<Timestamp>> {
    let Some(stamps) = stamps else {
        return Ok((first..first + n)
            .map(|i| Timestamp {
                micros: i as i64,
                day_seconds: 0.0,
                weekday: 0,
            })
            .collect());
    };
    if stamps.len() != n {
        return Err(PyValueError::new_err(format!(
            "{} timestamps for {n} rows",
            stamps.len()
        )));
    }
    stamps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            parse_timestamp(s).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "timestamps[{i}] = {s:?} is not a timestamp (expected {TIMESTAMP_FORMATS})"
                ))
            })
        })
        .collect()
}

/// Refuses a value that is not finite, naming its row and column of the
/// series (the engine would name the window and position it fell in).
fn check_finite(data: &[f32], width: usize) -> PyResult<()> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(i) => {
            let (row, col) = (i / width, i % width);
            Err(PyValueError::new_err(format!(
                "X[{row}, {col}] = {}: every value must be finite (row {row}, column {col})",
                data[i]
            )))
        }
        None => Ok(()),
    }
}

/// Refuses rows whose instant is not after the previous row's.
fn check_order(times: &[Timestamp]) -> PyResult<()> {
    match times.windows(2).position(|w| w[1].micros <= w[0].micros) {
        Some(i) => Err(PyValueError::new_err(format!(
            "timestamps[{}] is not after timestamps[{i}]: a series' rows must be in time order",
            i + 1
        ))),
        None => Ok(()),
    }
}

/// Trains a detector on the first `train_rows` rows of the series
/// `values` [rows, columns] (at `stamps`), with windows of `window` rows,
/// the trailing mean of `smooth` window errors, alarms past `threshold`
/// (a rule: `max+2spread`, `p99`, …) with a cooldown of `cooldown` rows
/// (default W + K − 1), ranked among the last `recent_rows` rows (0: not
/// ranked), as `aedetect train --time-col` would. The model
/// file names `time_col` and `columns` as the CSV columns `aedetect score`
/// reads.
#[pyfunction]
#[pyo3(signature = (
    values, stamps, kind, *, train_rows, window=32, smooth=8, cooldown=None, recent_rows=4096, calendar=None,
    threshold="max+2spread", gap_factor=0.0, hidden=None, epochs=50, batch_size=64, lr=1e-3, seed=0,
    columns=None, time_col="timestamp", progress=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_series(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    stamps: Option<Vec<String>>,
    kind: &str,
    train_rows: usize,
    window: usize,
    smooth: usize,
    cooldown: Option<usize>,
    recent_rows: usize,
    calendar: Option<bool>,
    threshold: &str,
    gap_factor: f64,
    hidden: Option<Vec<usize>>,
    epochs: usize,
    batch_size: usize,
    lr: f32,
    seed: u64,
    columns: Option<Vec<String>>,
    time_col: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyDetector> {
    let kind = ModelKind::from_name(kind)
        .ok_or_else(|| PyValueError::new_err(format!("unknown model kind {kind:?}")))?;
    // (f1, which needs labelled anomalies, is refused by fit_series.)
    let rule: ThresholdRule = threshold.parse().map_err(PyValueError::new_err)?;
    if window == 0 || smooth == 0 {
        return Err(PyValueError::new_err(
            "window and smooth must be at least 1",
        ));
    }
    if calendar == Some(true) && stamps.is_none() {
        return Err(PyValueError::new_err(
            "calendar features need the rows' timestamps",
        ));
    }
    let mut train = TrainConfig::from_options(epochs, batch_size, lr, 0.0, seed).map_err(to_py)?;
    train.min_steps = SERIES_MIN_STEPS;
    let m = matrix(values)?;
    let rows = m.rows();
    let (n, d) = (rows.rows(), rows.width);
    check_finite(rows.data, d)?;
    let times = times(stamps.as_deref(), n, 0)?;
    check_order(&times)?;
    let columns = columns.unwrap_or_else(|| (0..d).map(|c| format!("x{c}")).collect());
    if columns.len() != d {
        return Err(PyValueError::new_err(format!(
            "{} column names for {d} columns",
            columns.len()
        )));
    }
    let series = Series {
        stamps: stamps.unwrap_or_default(),
        times,
        values: Tensor::from_vec(&[n, d], rows.data.to_vec()),
        columns,
        labels: Vec::new(),
        disorders: (0, 0),
    };
    drop(m);
    let mut options = SeriesOptions::new(train_rows.min(n));
    options.window = window;
    options.smooth = smooth;
    // None: as `aedetect train` — the best model adds the calendar where
    // the timestamped stretch spans two weeks.
    options.calendar = calendar.unwrap_or(
        kind == ModelKind::Best
            && !series.stamps.is_empty()
            && calendar_by_default(&series, options.train_rows),
    );
    options.cooldown = cooldown.unwrap_or(options.event_rows());
    if recent_rows > MAX_RECENT_ROWS {
        return Err(PyValueError::new_err(format!(
            "recent_rows must be at most {MAX_RECENT_ROWS}, got {recent_rows}"
        )));
    }
    options.recent = recent_rows;
    if !(gap_factor == 0.0 || (1.0..=1e6).contains(&gap_factor)) {
        return Err(PyValueError::new_err(format!(
            "gap_factor must be 0 or from 1 to 1e6, got {gap_factor}"
        )));
    }
    options.gap_factor = gap_factor;
    let spec = series_spec(time_col, &series, &options);
    let model_options = ModelOptions {
        kind,
        hidden,
        dropout: None,
        loss: None,
        members: None,
        neighbours: None,
        views: None,
    };
    let width = spec.window_width();
    let config = model_options
        .config_for_series(width, window, options.calendar, seed)
        .map_err(to_py)?;
    let total = config.progress_steps(width, options.training_windows(&series), &train);
    let mut report = reporter(progress, total);
    let det = py.detach(|| {
        fit(
            &series,
            time_col,
            &options,
            model_options.scaler_kind(false),
            config,
            &train,
            rule,
            &mut report,
        )
    });
    // fit_series records the rule it used (widened where few windows
    // were held out) as `threshold_rule`.
    let mut det = det.map_err(to_py)?.detector;
    det.info
        .insert("train_rows".into(), options.train_rows.to_string());
    Ok(PyDetector::new(det))
}

/// Rows of a series scored in order, by a fitted series detector: each
/// `push` scores the next rows, with the rows before them as context.
#[pyclass(module = "aedetect._native", name = "SeriesStream", frozen)]
pub struct SeriesStream {
    detector: Py<PyDetector>,
    scorer: Mutex<SeriesScorer>,
}

/// One array per column of the CLI's output: score, smoothed, level (NaN
/// before the first full window), peak and flag (0 there), then each row's
/// strength (`Point::strength`, NaN there: `score --nab` writes it at
/// alarms) and whether it stands out from the recent rows (`Point::stands_out`,
/// 0 there).
type Columns<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
);

#[pymethods]
impl SeriesStream {
    #[new]
    fn new(detector: Py<PyDetector>) -> PyResult<Self> {
        if detector.get().lock().series.is_none() {
            return Err(PyValueError::new_err(
                "this model was not trained on a series",
            ));
        }
        Ok(SeriesStream {
            detector,
            scorer: Mutex::new(SeriesScorer::new()),
        })
    }

    /// Rows pushed so far.
    #[getter]
    fn rows(&self) -> usize {
        self.scorer.lock().unwrap_or_else(|p| p.into_inner()).rows()
    }

    /// Scores the next rows `values` [rows, columns] (at `stamps`).
    fn push<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
        stamps: Option<Vec<String>>,
    ) -> PyResult<Columns<'py>> {
        let m = matrix(values)?;
        let rows = m.rows();
        let n = rows.rows();
        check_finite(rows.data, rows.width)?;
        let first = self.rows();
        let times = times(stamps.as_deref(), n, first)?;
        check_order(&times)?;
        let x = Tensor::from_vec(&[n, rows.width], rows.data.to_vec());
        drop(m);
        let mut points: Vec<Option<Point>> = Vec::with_capacity(n);
        let detector = self.detector.get();
        py.detach(|| {
            let mut scorer = self.scorer.lock().unwrap_or_else(|p| p.into_inner());
            scorer.push(&mut detector.lock(), &times, &x, &mut points)
        })
        .map_err(to_py)?;
        let column = |f: fn(&Point) -> f64| -> Vec<f64> {
            points
                .iter()
                .map(|p| p.as_ref().map_or(f64::NAN, f))
                .collect()
        };
        let flags = |f: fn(&Point) -> bool| -> Vec<bool> {
            points.iter().map(|p| p.as_ref().is_some_and(f)).collect()
        };
        Ok((
            PyArray1::from_vec(py, column(|p| f64::from(p.score))),
            PyArray1::from_vec(py, column(|p| f64::from(p.smoothed))),
            PyArray1::from_vec(py, column(|p| p.level)),
            PyArray1::from_vec(py, flags(|p| p.peak)),
            PyArray1::from_vec(py, flags(|p| p.flag)),
            PyArray1::from_vec(py, column(|p| p.strength)),
            PyArray1::from_vec(py, flags(|p| p.stands_out)),
        ))
    }
}
