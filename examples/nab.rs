//! NAB on the five series in `../shared/datasets/nab`: each detector trains
//! on a series' first 15 % (NAB's probationary period), scores every row,
//! and its levels are scored as NAB scores them: one threshold for the
//! whole corpus, under the standard, reward-low-FP and reward-low-FN
//! profiles, normalised so that flagging nothing scores 0 and a perfect
//! detector 100. A row counts where it raises an alarm: above the
//! threshold and above the smoothed score of the W + K − 1 rows before it
//! (`series/cooldown.rs`), as `aedetect score` flags it. Prints a table per
//! series (windows detected and missed, false-alarm events) and the corpus
//! scores of each detector, beside a rolling z-score baseline, and draws
//! each series as the default detector scored it (values, smoothed score,
//! threshold, labelled windows, alarms) into `DIR/<series>.svg`.
//!
//! Run: `cargo run --release --example nab [-- DATA_DIR] [--only NAME] [--plots DIR]`
//! (plots default to `target/nab`).

use aedetect::detect::eval::{
    nab_at, nab_best, nab_events, series_svg, window_rows, NabSeries, SeriesPlot, NAB_PROFILES,
};
use aedetect::detect::io::{read_nab_windows, CsvSpec};
use aedetect::detect::series::{
    fit_series, read_series, smooth, Cooldown, LevelCurve, Point, Series, SeriesOptions,
    SeriesScorer,
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
/// The detector whose scores are drawn (the CLI's default for series).
const DRAWN: &str = "conv";

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
/// its level from its own scores over the normal stretch, its alarms by
/// the same cooldown.
fn zscore_levels(s: &Series, train_rows: usize, w: usize, cooldown: usize) -> Vec<f64> {
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
    let mut peaks = Cooldown::new(cooldown);
    smoothed
        .iter()
        .enumerate()
        .map(|(t, &v)| {
            if t < w {
                return 0.0;
            }
            if peaks.peak(v) {
                curve.level(v)
            } else {
                0.0
            }
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let (only, plots) = (flag("--only"), flag("--plots"));
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--") && Some(*a) != only.as_ref() && Some(*a) != plots.as_ref())
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
                levels: zscore_levels(
                    s,
                    (s.len() as f64 * 0.15).round() as usize,
                    288,
                    WINDOW + SMOOTH - 1,
                ),
                windows: w.clone(),
            })
            .collect(),
        start.elapsed().as_secs_f64(),
    ));
    // The drawn detector's points, level curve and normal stretch per series.
    let mut drawn: Vec<(Vec<Option<Point>>, LevelCurve, usize)> = Vec::new();
    for (name, model) in detectors() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let start = Instant::now();
        let corpus = data
            .iter()
            .map(|(_, s, w)| {
                let mut options = SeriesOptions {
                    window: WINDOW,
                    calendar: false,
                    smooth: SMOOTH,
                    cooldown: 0,
                    train_rows: (s.len() as f64 * 0.15).round() as usize,
                    calibration: 0.2,
                };
                options.cooldown = options.event_rows();
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
                let ns = NabSeries::from_points(&points, w.clone());
                if name == DRAWN {
                    let spec = det.series.expect("a series detector");
                    drawn.push((points, spec.level, options.train_rows));
                }
                ns
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
    if let Some((_, corpus, _)) = columns.iter().find(|(name, _, _)| name == DRAWN) {
        let dir = plots.map_or_else(|| PathBuf::from("target/nab"), PathBuf::from);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let threshold = nab_best(corpus, &NAB_PROFILES[0]).threshold;
        for ((series, s, windows), ((points, curve, stretch), ns)) in
            data.iter().zip(drawn.iter().zip(corpus))
        {
            let values: Vec<f32> = (0..s.len()).map(|i| s.values.row(i)[0]).collect();
            let smoothed: Vec<f32> = points
                .iter()
                .map(|p| p.map_or(f32::NAN, |p| p.smoothed))
                .collect();
            let alarms: Vec<usize> = (0..s.len())
                .filter(|&i| ns.levels[i] >= threshold)
                .collect();
            let title = format!(
                "{series}: {DRAWN} window AE, alarms at the corpus threshold (level {threshold:.6})"
            );
            let svg = series_svg(&SeriesPlot {
                title: &title,
                values: &values,
                smoothed: &smoothed,
                threshold: Some(curve.score_at(threshold)),
                stretch: *stretch,
                windows,
                alarms: &alarms,
                stamps: &s.stamps,
            });
            let path = dir.join(format!("{series}.svg"));
            std::fs::write(&path, svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        println!("\nplots: {}/<series>.svg", dir.display());
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
