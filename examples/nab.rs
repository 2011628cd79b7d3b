//! NAB on the five series in `../shared/datasets/nab`: each detector trains
//! on a series' first 15 % (NAB's probationary period), scores every row,
//! and its levels are scored as NAB scores them: one threshold for the
//! whole corpus, under the standard, reward-low-FP and reward-low-FN
//! profiles, normalised so that flagging nothing scores 0 and a perfect
//! detector 100. Prints a table per series (windows detected and missed,
//! false-alarm events) and the corpus scores of each detector, beside a
//! rolling z-score baseline.
//!
//! Run: `cargo run --release --example nab [-- DATA_DIR] [--only NAME]`

use aedetect::detect::eval::{nab_at, nab_best, nab_events, window_rows, NabSeries, NAB_PROFILES};
use aedetect::detect::io::{read_nab_windows, CsvSpec};
use aedetect::detect::series::{
    fit_series, read_series, smooth, LevelCurve, Series, SeriesOptions, SeriesScorer,
};
use aedetect::detect::threshold::ThresholdRule;
use aedetect::detect::{
    Conv1dAeConfig, DenseAeConfig, LstmAeConfig, ModelConfig, ScalerKind, TrainConfig,
};
use std::path::{Path, PathBuf};
use std::time::Instant;

const SERIES: [&str; 5] = [
    "artificialWithAnomaly/art_daily_jumpsup.csv",
    "realKnownCause/ambient_temperature_system_failure.csv",
    "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
    "realKnownCause/machine_temperature_system_failure.csv",
    "realKnownCause/nyc_taxi.csv",
];

/// Rows per window and window errors per smoothed score (the CLI's defaults).
const WINDOW: usize = 32;
const SMOOTH: usize = 8;

/// A detector of the table: its name and its model for windows of `WINDOW` rows.
fn detectors() -> Vec<(&'static str, ModelConfig)> {
    vec![
        ("dense", ModelConfig::Dense(DenseAeConfig::sized_to(WINDOW))),
        (
            "conv",
            ModelConfig::Conv1d(Conv1dAeConfig::sized_to(WINDOW)),
        ),
        ("lstm", ModelConfig::Lstm(LstmAeConfig::for_steps(WINDOW))),
    ]
}

/// A series' short name, its rows, and its anomaly windows as row ranges.
type Labelled = (String, Series, Vec<(usize, usize)>);

fn train_config() -> TrainConfig {
    TrainConfig {
        lr: 1e-3,
        min_steps: 2000,
        ..TrainConfig::default()
    }
}

/// The rolling z-score baseline: |x_t − mean| / std over the `w` rows
/// before t (the mean of the columns' |z|), smoothed like the detectors',
/// its level from its own scores over the normal stretch.
fn zscore_levels(s: &Series, train_rows: usize, w: usize) -> Vec<f64> {
    let d = s.values.row_len();
    let raw: Vec<f32> = (0..s.len())
        .map(|t| {
            if t < w {
                return 0.0;
            }
            (0..d)
                .map(|c| {
                    let past: Vec<f64> =
                        (t - w..t).map(|i| f64::from(s.values.row(i)[c])).collect();
                    let mean = past.iter().sum::<f64>() / w as f64;
                    let var = past.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / w as f64;
                    ((f64::from(s.values.row(t)[c]) - mean).abs() / var.sqrt().max(1e-9)) as f32
                })
                .sum::<f32>()
                / d as f32
        })
        .collect();
    let smoothed = smooth(&raw, SMOOTH);
    let curve = LevelCurve::fit(&smoothed[w..train_rows]).expect("finite scores");
    smoothed
        .iter()
        .enumerate()
        .map(|(t, &v)| if t < w { 0.0 } else { curve.level(v) })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--") && Some(*a) != only.as_ref())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets/nab"));
    let labels = dir.join("labels/combined_windows.json");
    let spec = CsvSpec {
        header: true,
        time_col: Some("timestamp".into()),
        allow_time_disorder: true,
        ..CsvSpec::default()
    };
    let data: Vec<Labelled> = SERIES
        .iter()
        .map(|name| {
            let path = dir.join("data").join(name);
            let s = read_series(&path, &spec).unwrap_or_else(|e| panic!("{e}"));
            let micros: Vec<i64> = s.times.iter().map(|t| t.micros).collect();
            let w = read_nab_windows(&labels, Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
            let short = name.rsplit('/').next().unwrap().trim_end_matches(".csv");
            (short.to_string(), s, window_rows(&micros, &w))
        })
        .collect();

    let mut columns: Vec<(String, Vec<NabSeries>, f64)> = Vec::new();
    let start = Instant::now();
    columns.push((
        "rolling z-score".into(),
        data.iter()
            .map(|(_, s, w)| NabSeries {
                levels: zscore_levels(s, (s.len() as f64 * 0.15).round() as usize, 288),
                windows: w.clone(),
            })
            .collect(),
        start.elapsed().as_secs_f64(),
    ));
    for (name, model) in detectors() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let start = Instant::now();
        let corpus = data
            .iter()
            .map(|(_, s, w)| {
                let options = SeriesOptions {
                    window: WINDOW,
                    calendar: false,
                    smooth: SMOOTH,
                    train_rows: (s.len() as f64 * 0.15).round() as usize,
                    calibration: 0.2,
                };
                let mut det = fit_series(
                    s,
                    "timestamp",
                    &options,
                    ScalerKind::Standard,
                    model.clone(),
                    &train_config(),
                    ThresholdRule::Percentile(99.0),
                    &mut |_| {},
                )
                .unwrap_or_else(|e| panic!("{e}"));
                let mut points = Vec::new();
                SeriesScorer::new()
                    .push(&mut det, &s.times, &s.values, &mut points)
                    .unwrap();
                NabSeries {
                    levels: points.iter().map(|p| p.map_or(0.0, |p| p.level)).collect(),
                    windows: w.clone(),
                }
            })
            .collect();
        columns.push((name.into(), corpus, start.elapsed().as_secs_f64()));
    }

    for (name, corpus, _) in &columns {
        let best = nab_best(corpus, &NAB_PROFILES[0]);
        println!(
            "\n{name}: corpus threshold {:.6} (standard profile)",
            best.threshold
        );
        println!(
            "  {:<36} {:>6} {:>8} {:>9} {:>7} {:>13} {:>9}",
            "series", "rows", "windows", "detected", "missed", "false alarms", "standard"
        );
        for ((series, s, _), ns) in data.iter().zip(corpus) {
            let e = nab_events(ns, best.threshold);
            let own = nab_at(std::slice::from_ref(ns), &NAB_PROFILES[0], best.threshold);
            println!(
                "  {series:<36} {:>6} {:>8} {:>9} {:>7} {:>13} {:>9.1}",
                s.len(),
                ns.windows.len(),
                e.detected,
                e.missed,
                e.false_alarms,
                own.normalised
            );
        }
    }
    println!("\nNAB score over the five series (0 = flag nothing, 100 = perfect):\n");
    println!(
        "| detector | {} | seconds |",
        NAB_PROFILES.map(|p| p.name).join(" | ")
    );
    println!("|---|---|---|---|---|");
    for (name, corpus, seconds) in &columns {
        let scores: Vec<String> = NAB_PROFILES
            .iter()
            .map(|p| format!("{:.1}", nab_best(corpus, p).normalised))
            .collect();
        println!("| {name} | {} | {seconds:.1} |", scores.join(" | "));
    }
}
