//! NAB on the five series in `../shared/datasets/nab`: each detector trains
//! on a series' first 15 % (NAB's probationary period), scores every row,
//! and raises alarms as `aedetect score` does: where the smoothed score is
//! past the series' own threshold (max+2spread of its normal stretch's
//! held-out windows, wider where they are few), above every smoothed score
//! of the W + K − 1 rows before it, and not silenced by the alarm before
//! (`series/cooldown.rs`: one alarm per excursion). NAB scores the alarms
//! under its standard, reward-low-FP and reward-low-FN profiles, normalised so that
//! flagging nothing scores 0 and a perfect detector 100; beside them, NAB's
//! own optimisation: one threshold for the whole corpus on the alarm
//! levels (the silence replayed at each), and the same sweep as NAB's own
//! scorer makes it over `aedetect score --nab`'s anomaly scores (each
//! alarm's strength, `Point::strength`, 0 elsewhere; it cannot replay the
//! silence). Prints a table per series (windows detected and missed,
//! false-alarm events) and the corpus scores of each detector, beside a
//! rolling z-score baseline, then committees of the detectors at the
//! series layer (each member smoothed and thresholded on its own held-out
//! windows; an alarm where the largest ratio of smoothed score to own
//! threshold passes 1, by the same alarm rule on that ratio: measured
//! here before it is a model kind), and draws each series as the default detector
//! scored it (values, smoothed score, threshold, labelled windows, alarms)
//! into `DIR/<series>.svg`.
//!
//! With `--cuts`, the same on 11 NAB-sized pieces (4,032 rows, NAB's most
//! common length) of the five series, each piece's stretch two days or so;
//! with `--short 1600` or `--short 1100`, on 14 pieces as long as NAB's
//! short series, stretches of 240 or 165 rows.
//!
//! Run: `cargo run --release --example nab [-- DATA_DIR] [--only NAME] [--plots DIR] [--seed N] [--cuts | --short 1600 | --short 1100]`
//! (plots default to `target/nab`).

use aedetect::detect::eval::{
    nab_at, nab_best, nab_events, series_svg, window_rows, NabSeries, SeriesPlot, NAB_PROFILES,
};
use aedetect::detect::io::{read_nab_windows, CsvSpec};
use aedetect::detect::series::{
    calendar_by_default, fit_series, level, read_series, smooth, Cooldown, Point, RecentRank,
    Series, SeriesOptions, SeriesScorer, RECENT_ROWS, SERIES_MIN_STEPS, SERIES_THRESHOLD,
};
use aedetect::detect::{
    Conv1dAeConfig, DenseAeConfig, EnsembleConfig, LstmAeConfig, ModelConfig, ScalerKind,
    TrainConfig,
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

/// `--cuts`: NAB-sized pieces of the five series, as (series, first row),
/// each of `CUT_ROWS` rows (fewer where the series ends first): most of
/// NAB's 58 series have about 4,000 rows, so their 15 % stretch spans two
/// days, a regime the five whole series (stretches of 4–45 days) do not
/// test. Each piece keeps the labelled windows that fall in it.
const CUTS: [(usize, usize); 11] = [
    (0, 0),
    (1, 0),
    (1, 5200),
    (2, 0),
    (2, 13000),
    (3, 0),
    (3, 14000),
    (3, 17500),
    (4, 0),
    (4, 4500),
    (4, 6300),
];
const CUT_ROWS: usize = 4032;

/// `--short 1600` and `--short 1100`: pieces as long as NAB's short series
/// (realTraffic's, realAdExchange's, rogue_agent's), as (series, first row).
/// Ten put one of the five series' labelled windows some 0.44 of the way
/// in, past a stretch of 240 or 165 rows (under a day of 5-minute rows, ten
/// days of hourly ones); four hold no window.
const SHORT_1600: [(usize, usize); 14] = [
    (0, 2087),
    (1, 2840),
    (1, 5299),
    (2, 15851),
    (3, 3003),
    (3, 15357),
    (3, 18532),
    (4, 5139),
    (4, 7723),
    (4, 9277),
    (0, 0),
    (4, 0),
    (3, 5000),
    (2, 0),
];
const SHORT_1100: [(usize, usize); 14] = [
    (0, 2287),
    (1, 3040),
    (1, 5499),
    (2, 16051),
    (3, 3203),
    (3, 15557),
    (3, 18732),
    (4, 5339),
    (4, 7923),
    (4, 9477),
    (0, 0),
    (4, 0),
    (3, 5000),
    (2, 0),
];

/// Rows `from .. from + rows` of `s` (fewer where it ends first).
fn cut(s: &Series, from: usize, rows: usize) -> Series {
    let to = (from + rows).min(s.len());
    let mut values = aedetect::tensor::Tensor::default();
    values.copy_rows_from(&s.values, from, to);
    Series {
        times: s.times[from..to].to_vec(),
        stamps: s.stamps[from..to].to_vec(),
        values,
        columns: s.columns.clone(),
        labels: Vec::new(),
        disorders: (0, 0),
    }
}

/// Rows per window and window errors per smoothed score (the defaults,
/// `SeriesOptions::new`).
const WINDOW: usize = 32;
const SMOOTH: usize = 8;
/// One event's reach, W + K − 1 rows: the cooldown (`SeriesOptions::new`).
const COOLDOWN: usize = WINDOW + SMOOTH - 1;
/// The detector whose scores are drawn (the CLI's default for series).
const DRAWN: &str = "default";

/// A detector of the table: its name, its model for windows of `WINDOW`
/// rows and whether its steps carry calendar features; `None`: the
/// series default, `aedetect train`'s (calendar features where the stretch
/// spans two weeks, and the model for them).
type Choice = Option<(ModelConfig, bool)>;

fn detectors() -> Vec<(&'static str, Choice)> {
    let conv = || ModelConfig::Conv1d(Conv1dAeConfig::sized_to(WINDOW));
    vec![
        (
            "dense",
            Some((ModelConfig::Dense(DenseAeConfig::sized_to(WINDOW)), false)),
        ),
        ("conv", Some((conv(), false))),
        (
            "lstm",
            Some((ModelConfig::Lstm(LstmAeConfig::for_steps(WINDOW)), false)),
        ),
        (
            "conv×5",
            Some((
                ModelConfig::Ensemble(EnsembleConfig {
                    base: Box::new(conv()),
                    members: 5,
                    views: Default::default(),
                    combine: Default::default(),
                }),
                false,
            )),
        ),
        ("conv, calendar", Some((conv(), true))),
        ("default", None),
    ]
}

/// A series' short name, its rows, and its anomaly windows as row ranges.
type Labelled = (String, Series, Vec<(usize, usize)>);
/// Anomaly windows by their first and last instants (microseconds).
type Instants = Vec<(i64, i64)>;

fn train_config(seed: u64) -> TrainConfig {
    TrainConfig {
        lr: 1e-3,
        min_steps: SERIES_MIN_STEPS,
        seed,
        ..TrainConfig::default()
    }
}

/// One detector's verdict on the corpus: its alarm levels (for NAB's
/// corpus-wide threshold, the silence replayed at each) and its alarms at
/// its own thresholds (each at its level, as `aedetect score --nab`
/// writes them: NAB's own sweep over them is the last column).
struct Column {
    name: String,
    levels: Vec<NabSeries>,
    alarms: Vec<NabSeries>,
    seconds: f64,
}

/// Alarms as `score --nab`'s anomaly scores: the alarm's strength where a
/// row raised one (past ½; the baseline and the committees give their
/// level), 0 elsewhere; flagged at ½ they are the alarms.
fn alarm_series(levels: impl Iterator<Item = f64>, windows: &[(usize, usize)]) -> NabSeries {
    NabSeries {
        levels: levels.collect(),
        windows: windows.to_vec(),
        silence: 0,
        above: Vec::new(),
    }
}

/// Each row's alarm level (0 where it could not alarm), its level, and
/// whether it raised an alarm at its series' own threshold.
type Verdicts = (Vec<f64>, Vec<f64>, Vec<bool>);

/// A series' alarm levels (each flag silencing the rows after it, as the
/// scorer's cooldown does) and its alarms (flags at its own threshold),
/// both scored against its windows.
fn verdict((levels, above, flags): Verdicts, windows: &[(usize, usize)]) -> (NabSeries, NabSeries) {
    let alarms = alarm_series(
        flags
            .iter()
            .zip(&above)
            .map(|(&f, &l)| if f { l } else { 0.0 }),
        windows,
    );
    let levels = NabSeries {
        levels,
        windows: windows.to_vec(),
        silence: COOLDOWN,
        above,
    };
    (levels, alarms)
}

/// The rolling z-score baseline: |x_t − mean| / std over the `w` rows
/// before t (the mean of the columns' |z|), smoothed like the detectors',
/// its threshold by the same rule on its scores over the normal stretch,
/// its levels against that threshold and its alarms by the same cooldown.
fn zscore(s: &Series, train_rows: usize, w: usize, cooldown: usize) -> Verdicts {
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
    let stretch = &smoothed[w..train_rows];
    let threshold = SERIES_THRESHOLD
        .apply(stretch, &vec![false; stretch.len()])
        .expect("finite scores");
    let mut peaks = Cooldown::new(cooldown);
    let mut rank = RecentRank::new(RECENT_ROWS);
    let above: Vec<f64> = smoothed.iter().map(|&v| level(v, threshold)).collect();
    let (levels, flags) = smoothed
        .iter()
        .enumerate()
        .map(
            |(t, &v)| match peaks.alarm(v, threshold, t >= w && rank.stands_out(v)) {
                (true, alarm) if t >= w => (above[t], alarm),
                _ => (0.0, false),
            },
        )
        .unzip();
    (levels, above, flags)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let (only, plots) = (flag("--only"), flag("--plots"));
    let seed: u64 = flag("--seed").map_or(0, |s| s.parse().expect("--seed N"));
    let dir = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0 || !args[i - 1].starts_with("--") || args[i - 1] == "--cuts")
        })
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/datasets/nab"));
    let labels = dir.join("labels/combined_windows.json");
    let spec = CsvSpec {
        header: true,
        time_col: Some("timestamp".into()),
        allow_time_disorder: true,
        ..CsvSpec::default()
    };
    let whole: Vec<(String, Series, Instants)> = SERIES
        .iter()
        .map(|name| {
            let path = dir.join("data").join(name);
            let s = read_series(&path, &spec).unwrap_or_else(|e| panic!("{e}"));
            let w = read_nab_windows(&labels, Path::new(name)).unwrap_or_else(|e| panic!("{e}"));
            let short = name.rsplit('/').next().unwrap().trim_end_matches(".csv");
            (short.to_string(), s, w)
        })
        .collect();
    // A series with its windows as row ranges (those that fall in it).
    let labelled = |name: String, s: Series, w: &[(i64, i64)]| -> Labelled {
        let micros: Vec<i64> = s.times.iter().map(|t| t.micros).collect();
        let rows = window_rows(&micros, w);
        (name, s, rows)
    };
    let pieces = |list: &[(usize, usize)], rows: usize| -> Vec<Labelled> {
        list.iter()
            .map(|&(i, from)| {
                let (name, s, w) = &whole[i];
                labelled(format!("{name}@{from}"), cut(s, from, rows), w)
            })
            .collect()
    };
    let data: Vec<Labelled> = if args.iter().any(|a| a == "--cuts") {
        pieces(&CUTS, CUT_ROWS)
    } else if let Some(rows) = flag("--short") {
        match rows.as_str() {
            "1600" => pieces(&SHORT_1600, 1600),
            "1100" => pieces(&SHORT_1100, 1100),
            other => panic!("--short 1600 or --short 1100, not {other}"),
        }
    } else {
        whole
            .into_iter()
            .map(|(name, s, w)| labelled(name, s, &w))
            .collect()
    };

    let mut columns: Vec<Column> = Vec::new();
    let start = Instant::now();
    let (levels, alarms) = data
        .iter()
        .map(|(_, s, w)| {
            let stretch = (s.len() as f64 * 0.15).round() as usize;
            // A day of 5-minute rows, or half the stretch where that is shorter.
            let lookback = 288.min(stretch / 2).max(2);
            verdict(zscore(s, stretch, lookback, COOLDOWN), w)
        })
        .unzip();
    columns.push(Column {
        name: "rolling z-score".into(),
        levels,
        alarms,
        seconds: start.elapsed().as_secs_f64(),
    });
    // The drawn detector's points, threshold and normal stretch per series.
    let mut drawn: Vec<(Vec<Option<Point>>, f32, usize)> = Vec::new();
    // Each detector's smoothed scores over its own threshold, per series:
    // the committee column below combines the conv and LSTM AEs' ratios.
    let mut ratios: Vec<(&'static str, Vec<Vec<Option<f32>>>)> = Vec::new();
    for (name, choice) in detectors() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let start = Instant::now();
        let mut own: Vec<Vec<Option<f32>>> = Vec::new();
        let (levels, alarms) = data
            .iter()
            .map(|(_, s, w)| {
                let mut options = SeriesOptions::new((s.len() as f64 * 0.15).round() as usize);
                assert_eq!((options.window, options.smooth), (WINDOW, SMOOTH));
                let (model, calendar) = choice.clone().unwrap_or_else(|| {
                    let calendar = calendar_by_default(s, options.train_rows);
                    (
                        ModelConfig::recommended_for_series(WINDOW, calendar),
                        calendar,
                    )
                });
                options.calendar = calendar;
                let mut det = fit_series(
                    s,
                    "timestamp",
                    &options,
                    ScalerKind::Standard,
                    model.with_seed(seed),
                    &train_config(seed),
                    SERIES_THRESHOLD,
                    &mut |_| {},
                )
                .unwrap_or_else(|e| panic!("{e}"))
                .detector;
                let mut points = Vec::new();
                SeriesScorer::new()
                    .push(&mut det, &s.times, &s.values, &mut points)
                    .unwrap();
                let threshold = det.threshold.expect("a fitted threshold");
                own.push(
                    points
                        .iter()
                        .map(|p| p.map(|p| p.smoothed / threshold))
                        .collect(),
                );
                let levels = NabSeries::from_points(&points, w.clone(), options.cooldown);
                let alarms = alarm_series(
                    points
                        .iter()
                        .map(|p| p.filter(|p| p.flag).map_or(0.0, |p| p.strength)),
                    w,
                );
                if name == DRAWN {
                    let threshold = det.threshold.expect("a fitted threshold");
                    drawn.push((points, threshold, options.train_rows));
                }
                (levels, alarms)
            })
            .unzip();
        columns.push(Column {
            name: name.into(),
            levels,
            alarms,
            seconds: start.elapsed().as_secs_f64(),
        });
        ratios.push((name, own));
    }
    // A committee at the series layer, measured here before it is a model
    // kind: each member smoothed and thresholded on its own held-out
    // windows, an alarm where the larger of the two ratios (smoothed score
    // over own threshold) passes 1 at a peak of the one cooldown.
    let member = |name: &str| ratios.iter().find(|(n, _)| *n == name).map(|(_, r)| r);
    for names in [
        &["conv", "lstm"][..],
        &["dense", "lstm"],
        &["conv×5", "lstm"],
        &["dense", "conv", "lstm"],
    ] {
        let Some(members) = names.iter().map(|n| member(n)).collect::<Option<Vec<_>>>() else {
            continue;
        };
        let (levels, alarms) = data
            .iter()
            .enumerate()
            .map(|(i, (_, s, w))| {
                let mut peaks = Cooldown::new(COOLDOWN);
                let mut rank = RecentRank::new(RECENT_ROWS);
                let ratios: Vec<Option<f32>> = (0..s.len())
                    .map(|t| {
                        members
                            .iter()
                            .map(|m| m[i][t])
                            .try_fold(f32::NEG_INFINITY, |r, v| Some(r.max(v?)))
                    })
                    .collect();
                let above = ratios
                    .iter()
                    .map(|r| r.map_or(0.0, |r| level(r, 1.0)))
                    .collect();
                let (levels, flags) = ratios
                    .iter()
                    .map(
                        |&r| match r.map(|r| (r, peaks.alarm(r, 1.0, rank.stands_out(r)))) {
                            Some((r, (true, alarm))) => (level(r, 1.0), alarm),
                            _ => (0.0, false),
                        },
                    )
                    .unzip();
                verdict((levels, above, flags), w)
            })
            .unzip();
        columns.push(Column {
            name: format!("{}, each at its own threshold", names.join(" | ")),
            levels,
            alarms,
            seconds: 0.0,
        });
    }
    for c in &columns {
        println!(
            "\n{}: alarms at each series' own threshold ({SERIES_THRESHOLD} of its normal stretch, wider for few held-out windows)",
            c.name
        );
        println!(
            "  {:<42} {:>6} {:>8} {:>9} {:>7} {:>13} {:>9}",
            "series", "rows", "windows", "detected", "missed", "false alarms", "standard"
        );
        for ((series, s, _), ns) in data.iter().zip(&c.alarms) {
            let e = nab_events(ns, 0.5);
            let own = nab_at(std::slice::from_ref(ns), &NAB_PROFILES[0], 0.5);
            println!(
                "  {series:<42} {:>6} {:>8} {:>9} {:>7} {:>13} {:>9.1}",
                s.len(),
                ns.windows.len(),
                e.detected,
                e.missed,
                e.false_alarms,
                own.normalised
            );
        }
    }
    if let Some(c) = columns.iter().find(|c| c.name == DRAWN) {
        let dir = plots.map_or_else(|| PathBuf::from("target/nab"), PathBuf::from);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for ((series, s, windows), ((points, threshold, stretch), ns)) in
            data.iter().zip(drawn.iter().zip(&c.alarms))
        {
            let values: Vec<f32> = (0..s.len()).map(|i| s.values.row(i)[0]).collect();
            let smoothed: Vec<f32> = points
                .iter()
                .map(|p| p.map_or(f32::NAN, |p| p.smoothed))
                .collect();
            let alarms: Vec<usize> = (0..s.len()).filter(|&i| ns.levels[i] > 0.5).collect();
            let title = format!("{series}: the default series detector, {SERIES_THRESHOLD}");
            let svg = series_svg(&SeriesPlot {
                title: &title,
                values: &values,
                smoothed: &smoothed,
                threshold: Some(*threshold),
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
    println!(
        "\nNAB score over the five series (0 = flag nothing, 100 = perfect): the alarms at each"
    );
    println!(
        "series' own threshold; NAB's one corpus-wide threshold on the alarm levels, the silence"
    );
    println!(
        "replayed at each; and NAB's own sweep over `aedetect score --nab`'s anomaly scores:\n"
    );
    println!(
        "| detector | {} | standard, corpus threshold | standard, NAB's sweep over --nab | seconds |",
        NAB_PROFILES.map(|p| p.name).join(" | ")
    );
    println!("|---|---|---|---|---|---|---|");
    for c in &columns {
        let scores: Vec<String> = NAB_PROFILES
            .iter()
            .map(|p| format!("{:.1}", nab_at(&c.alarms, p, 0.5).normalised))
            .collect();
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} |",
            c.name,
            scores.join(" | "),
            nab_best(&c.levels, &NAB_PROFILES[0]).normalised,
            nab_best(&c.alarms, &NAB_PROFILES[0]).normalised,
            c.seconds
        );
    }
}
