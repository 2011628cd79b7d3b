//! `aedetect eval --time-col NAME` on a series with labelled anomaly
//! windows: for each seed, train on the normal stretch as `train` does,
//! score every row as `score` does, and measure the alarms the way the
//! Numenta Anomaly Benchmark does (`detect::eval::nab`): NAB's score under
//! its three profiles, at the model's own threshold and at the threshold
//! that is best for this series (NAB's optimisation, run on one series),
//! and the events an operator would see (windows detected and missed,
//! false-alarm events), then each window: NAB's reward for its first alarm,
//! or how close a missed one came (its highest level).
//!
//! Windows come from `--labels FILE.json` (NAB's
//! `labels/combined_windows.json`, whose entry for this file is found by
//! the end of its path, or a bare list of `[start, end]` timestamps) or
//! from `--label-col NAME` (each run of rows labelled 1 is one window).

use crate::args::EvalArgs;
use crate::cmd::{check_output, series, Dash};
use crate::error::CliError;
use aedetect_detect::eval::{
    nab_at, nab_best, nab_events, nab_windows, probationary_rows, series_svg, window_rows,
    NabEvents, NabSeries, SeriesPlot, WindowVerdict, NAB_PROFILES,
};
use aedetect_detect::io::{read_nab_windows, write_atomic};
use aedetect_detect::series::{floored_at_trained_windows, Point, Series, SeriesScorer};
use aedetect_detect::threshold::ThresholdRule;

/// One seed's verdict.
struct Run {
    seed: u64,
    threshold: f32,
    /// Per profile: the score at the model's threshold, the best score and its level.
    scores: Vec<(f64, f64, f64)>,
    events: NabEvents,
    /// Each window at the model's threshold (standard profile), its
    /// `highest` the highest level in it.
    windows: Vec<WindowVerdict>,
    alarms: usize,
    description: String,
    /// The model kind's name in the file (`lstm`, `conv`, …), for the plot's title.
    kind: String,
}

pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    let data = &args.data;
    if data.impute.is_some() || data.normal_label.is_some() {
        return Err(CliError::usage(
            "--impute and --normal-label do not apply to a series",
        ));
    }
    if data.labels.is_some() && data.label_col.is_some() {
        return Err(CliError::usage(
            "give the anomaly windows once: --labels FILE.json or --label-col NAME",
        ));
    }
    if data.labels.is_none() && data.label_col.is_none() {
        return Err(CliError::usage(
            "eval of a series needs its anomaly windows: --labels FILE.json (NAB's labels/combined_windows.json, or a list of [start, end] timestamps) or --label-col NAME (rows labelled 1)",
        ));
    }
    if let Some(p) = &args.plot {
        let mut inputs = vec![data.data.as_path()];
        inputs.extend(data.labels.as_deref());
        check_output(p, "--plot", Dash::Refused, &inputs)?;
    }
    let series = series::read(data)?;
    let windows = match &data.labels {
        Some(path) => {
            let micros: Vec<i64> = series.times.iter().map(|t| t.micros).collect();
            window_rows(&micros, &read_nab_windows(path, &data.data)?)
        }
        None => label_runs(&series.labels),
    };
    if windows.is_empty() {
        return Err(CliError::failed(format!(
            "{}: no anomaly window falls on its rows; NAB's score needs at least one",
            data.data.display()
        )));
    }

    let mut runs = Vec::new();
    let mut drawn: Option<(Vec<Option<Point>>, usize)> = None;
    let mut train_rows = 0;
    let mut how = String::new();
    let mut rule = args.rule();
    for &seed in &args.seeds {
        let fitted = series::fit(
            data,
            &series,
            &args.series,
            &args.model,
            args.rule(),
            seed,
            args.progress,
        )?;
        train_rows = fitted.train_rows;
        rule = fitted.rule;
        let o = &fitted.options;
        how = format!(
            "windows of {} rows{}, smoothed over {}, cooldown {} rows{}",
            o.window,
            if o.calendar {
                " with hour-of-day and day-of-week"
            } else {
                ""
            },
            o.smooth,
            o.cooldown,
            if o.recent == 0 {
                String::new()
            } else {
                format!(
                    ", alarms 5 % past the last {} rows' 98.5th percentile",
                    o.recent
                )
            }
        );
        let mut det = fitted.det;
        let mut points = Vec::with_capacity(series.len());
        SeriesScorer::new().push(&mut det, &series.times, &series.values, &mut points)?;
        let alarms = NabSeries {
            levels: points
                .iter()
                .map(|p| f64::from(u8::from(p.is_some_and(|p| p.flag))))
                .collect(),
            windows: windows.clone(),
            silence: 0,
            above: Vec::new(),
        };
        let levels = NabSeries::from_points(&points, windows.clone(), o.cooldown);
        let scores = NAB_PROFILES
            .iter()
            .map(|profile| {
                let own = nab_at(std::slice::from_ref(&alarms), profile, 0.5);
                let best = nab_best(std::slice::from_ref(&levels), profile);
                (own.normalised, best.normalised, best.threshold)
            })
            .collect();
        let scored_from = probationary_rows(series.len());
        runs.push(Run {
            seed,
            threshold: det.threshold.expect("a fitted series has a threshold"),
            scores,
            events: nab_events(&alarms, 0.5),
            windows: nab_windows(&alarms, &NAB_PROFILES[0], 0.5)
                .into_iter()
                .zip(nab_windows(&levels, &NAB_PROFILES[0], 0.5))
                .map(|(at, every)| WindowVerdict {
                    highest: every.highest,
                    ..at
                })
                .collect(),
            alarms: alarms.levels[scored_from..]
                .iter()
                .filter(|&&l| l > 0.5)
                .count(),
            description: det.model.describe(),
            kind: serde_json::to_value(det.model.config())
                .ok()
                .and_then(|c| c["kind"].as_str().map(str::to_string))
                .unwrap_or_default(),
        });
        if drawn.is_none() {
            drawn = Some((points, train_rows));
        }
    }
    for (k, &(a, b)) in windows.iter().enumerate() {
        if a < train_rows {
            eprintln!(
                "aedetect: anomaly window {} (rows {}–{}) starts inside the normal stretch (rows 1–{train_rows}): the model trains on it; shorten the stretch with --train-fraction or --train-rows",
                k + 1,
                a + 1,
                b + 1
            );
        }
    }

    if let (Some(path), Some((points, stretch))) = (&args.plot, &drawn) {
        let first = &runs[0];
        let smoothed: Vec<f32> = points
            .iter()
            .map(|p| p.map_or(f32::NAN, |p| p.smoothed))
            .collect();
        let alarm_rows: Vec<usize> = (0..points.len())
            .filter(|&i| points[i].is_some_and(|p| p.flag))
            .collect();
        let values: Vec<f32> = (0..series.len()).map(|i| series.values.row(i)[0]).collect();
        let name = data.data.file_name().unwrap_or(data.data.as_os_str());
        let title = format!(
            "{}: {} window autoencoder, seed {}, threshold {}",
            name.to_string_lossy(),
            first.kind,
            first.seed,
            rule
        );
        let svg = series_svg(&SeriesPlot {
            title: &title,
            values: &values,
            smoothed: &smoothed,
            threshold: Some(first.threshold),
            stretch: *stretch,
            windows: &windows,
            alarms: &alarm_rows,
            stamps: &series.stamps,
        });
        write_atomic(path, svg.as_bytes())?;
    }

    if args.json {
        print_json(args, &series, &windows, (train_rows, rule), &runs);
    } else {
        print_table(args, &series, &windows, (train_rows, rule), &how, &runs);
    }
    Ok(())
}

/// Each run of consecutive labelled rows as one window.
fn label_runs(labels: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &l) in labels.iter().chain([&false]).enumerate() {
        match (l, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn mean(runs: &[Run], f: impl Fn(&Run) -> f64) -> f64 {
    runs.iter().map(f).sum::<f64>() / runs.len() as f64
}

fn print_table(
    args: &EvalArgs,
    series: &Series,
    windows: &[(usize, usize)],
    (train_rows, rule): (usize, ThresholdRule),
    how: &str,
    runs: &[Run],
) {
    let n = series.len();
    println!(
        "{}: {n} rows, {} value column(s), {} labelled anomaly window(s)",
        args.data.data.display(),
        series.columns.len(),
        windows.len()
    );
    println!("detector: {} on {how}", runs[0].description);
    println!(
        "protocol: train on the normal stretch (rows 1–{train_rows}), threshold {} on its held-out windows{}; NAB scores the rows after its probationary period (the first {})",
        rule,
        if floored_at_trained_windows(rule) {
            ", never below a trained window's smoothed score"
        } else {
            ""
        },
        probationary_rows(n)
    );
    println!(
        "NAB score: 0 = no alarm, 100 = each window caught at its first row; at the model's threshold, and at the threshold best for this series alone (optimistic)"
    );
    println!();
    println!(
        "{:>6}  {:>8}  {:>8}  {:>8}  {:>13}  {:>8}  {:>6}  {:>12}  {:>6}",
        "seed",
        "standard",
        "low FP",
        "low FN",
        "best standard",
        "detected",
        "missed",
        "false alarms",
        "alarms"
    );
    // Per run: four NAB scores, then four counts.
    let line = |label: &str, v: [f64; 8]| {
        println!(
            "{label:>6}  {:>8.1}  {:>8.1}  {:>8.1}  {:>13.1}  {:>8}  {:>6}  {:>12}  {:>6}",
            v[0],
            v[1],
            v[2],
            v[3],
            fmt_count(v[4]),
            fmt_count(v[5]),
            fmt_count(v[6]),
            fmt_count(v[7])
        )
    };
    let rows: Vec<[f64; 8]> = runs
        .iter()
        .map(|r| {
            [
                r.scores[0].0,
                r.scores[1].0,
                r.scores[2].0,
                r.scores[0].1,
                r.events.detected as f64,
                r.events.missed as f64,
                r.events.false_alarms as f64,
                r.alarms as f64,
            ]
        })
        .collect();
    for (r, v) in runs.iter().zip(&rows) {
        line(&r.seed.to_string(), *v);
    }
    if rows.len() > 1 {
        let means: [f64; 8] =
            std::array::from_fn(|k| rows.iter().map(|v| v[k]).sum::<f64>() / rows.len() as f64);
        line("mean", means);
    }
    println!();
    println!(
        "each window at the model's threshold: NAB's reward for its first alarm (1 at the window's first row, 0 at its last) and that alarm's row, or, missed, its highest level (alarms from ½)"
    );
    print!("{:>6}  {:>19}  {:>19}", "window", "from", "to");
    for r in runs {
        print!("  {:>18}", format!("seed {}", r.seed));
    }
    println!();
    for (k, &(a, b)) in windows.iter().enumerate() {
        print!(
            "{:>6}  {:>19}  {:>19}",
            k + 1,
            series.stamps[a],
            series.stamps[b]
        );
        for r in runs {
            let v = &r.windows[k];
            let cell = match v.caught {
                Some(row) => format!("{:.2} at row {}", v.reward, row + 1),
                None => format!("missed, {:.2}", v.highest),
            };
            print!("  {cell:>18}");
        }
        println!();
    }
    if let Some(p) = &args.plot {
        println!("\nplot written to {}", p.display());
    }
}

/// A count, or a mean of counts with one decimal.
fn fmt_count(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn print_json(
    args: &EvalArgs,
    series: &Series,
    windows: &[(usize, usize)],
    (train_rows, rule): (usize, ThresholdRule),
    runs: &[Run],
) {
    let profiles = |r: &Run| {
        let mut m = serde_json::Map::new();
        for (p, &(own, best, level)) in NAB_PROFILES.iter().zip(&r.scores) {
            m.insert(
                p.name.into(),
                serde_json::json!({"at_threshold": own, "best": best, "best_level": level}),
            );
        }
        m
    };
    let out = serde_json::json!({
        "data": args.data.data.display().to_string(),
        "rows": series.len(),
        "columns": series.columns,
        "windows": windows
            .iter()
            .map(|&(a, b)| serde_json::json!({
                "first_row": a + 1,
                "last_row": b + 1,
                "start": series.stamps[a],
                "end": series.stamps[b],
            }))
            .collect::<Vec<_>>(),
        "train_rows": train_rows,
        "probationary_rows": probationary_rows(series.len()),
        "model": runs[0].description,
        "threshold_rule": rule.to_string(),
        "nab_standard_mean": mean(runs, |r| r.scores[0].0),
        "runs": runs
            .iter()
            .map(|r| serde_json::json!({
                "seed": r.seed,
                "threshold": r.threshold,
                "nab": profiles(r),
                "detected": r.events.detected,
                "missed": r.events.missed,
                "false_alarm_events": r.events.false_alarms,
                "alarms": r.alarms,
                "windows": r.windows
                    .iter()
                    .map(|v| serde_json::json!({
                        "first_alarm_row": v.caught.map(|i| i + 1),
                        "reward": v.reward,
                        "highest_level": v.highest,
                    }))
                    .collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>(),
        "plot": args.plot.as_ref().map(|p| p.display().to_string()),
    });
    println!("{out}");
}

#[cfg(test)]
mod tests {
    use super::label_runs;

    #[test]
    fn runs_of_labelled_rows_are_windows() {
        let l = |s: &str| s.chars().map(|c| c == '1').collect::<Vec<_>>();
        assert_eq!(label_runs(&l("0110001")), [(1, 2), (6, 6)]);
        assert_eq!(label_runs(&l("1")), [(0, 0)]);
        assert!(label_runs(&l("000")).is_empty());
    }
}
