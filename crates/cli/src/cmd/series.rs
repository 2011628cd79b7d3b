//! `train` and `score` for a time series (a CSV with --time-col).
//!
//! Training reads the whole series, takes its first rows as the normal
//! stretch (--train-fraction, default NAB's 15 %, or --train-rows), trains
//! on the stretch's trailing windows and sets the threshold on a fifth of
//! them, held out in blocks spread across the stretch
//! (`detect::series::fit_series`); a row's level is its smoothed score s
//! against that threshold T, s / (s + T). Scoring writes one line per
//! input row, `timestamp,score,smoothed,level,flag`, with empty scores and
//! flag 0 for the first W − 1 rows; from standard input each line goes out
//! as soon as its row comes in.

use crate::args::{DataArgs, ModelArgs, ModelKind, ScoreArgs, SeriesArgs, TrainArgs};
use crate::cmd::score::{csv_field, write_id, Flagging, Output, BATCH_ROWS};
use crate::error::CliError;
use crate::progress::Progress;
use crate::{input, model_choice};
use aedetect_detect::io::{CsvReader, CsvSpec};
use aedetect_detect::series::{
    calendar_by_default, fit_series, read_series, series_spec, stretch_days, Point, Series,
    SeriesOptions, SeriesScorer, Silence, DEFAULT_TRAIN_FRACTION, FULL_CALIBRATION_PER_ROW,
    SERIES_MIN_STEPS,
};
use aedetect_detect::threshold::ThresholdRule;
use aedetect_detect::{model_file, DetectError, Detector, TrainConfig};
use aedetect_tensor::Tensor;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

pub fn train(args: &TrainArgs) -> Result<(), CliError> {
    let data = &args.data;
    if data.label_col.is_some() || data.impute.is_some() || data.labels.is_some() {
        return Err(CliError::usage(
            "--label-col, --labels and --impute do not apply to a series: it trains on its normal stretch (--train-fraction or --train-rows); `aedetect eval` reads a series' labels",
        ));
    }
    if args.normal_only {
        return Err(CliError::usage(
            "--normal-only does not apply to a series: its normal stretch is --train-fraction or --train-rows",
        ));
    }
    let series = read(data)?;
    let start = Instant::now();
    let fitted = fit(
        data,
        &series,
        &args.series,
        &args.model,
        args.rule(),
        args.seed,
        args.progress,
    )?;
    let (mut det, train_rows, train_cfg) = (fitted.det, fitted.train_rows, fitted.train);
    let held = fitted.held;
    let n = series.len();
    let fit_seconds = start.elapsed().as_secs_f64();
    let threshold = det.threshold.expect("fit_series sets the threshold");
    let last = &series.stamps[train_rows - 1];
    // fit_series recorded the threshold rule it used, the held-out count
    // and, where it set the threshold, the trained-window floor.
    det.info.extend(
        [
            ("data", data.data.display().to_string()),
            ("rows", n.to_string()),
            ("train_rows", train_rows.to_string()),
            ("normal_stretch_ends", last.clone()),
            ("threshold_on", "smoothed score".to_string()),
            ("seed", args.seed.to_string()),
            ("epochs", train_cfg.epochs.to_string()),
            ("min_steps", train_cfg.min_steps.to_string()),
            ("batch", train_cfg.batch_size.to_string()),
            ("lr", train_cfg.lr.to_string()),
            ("threads", rayon::current_num_threads().to_string()),
            ("aedetect_version", env!("CARGO_PKG_VERSION").to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v)),
    );
    model_file::save(&det, &args.out)?;
    let spec = det.series.as_ref().expect("fit_series sets the spec");
    println!(
        "trained {} on windows of {} rows × {} values from the normal stretch (rows 1–{train_rows}, up to {last}) in {fit_seconds:.2} s",
        det.model.describe(),
        spec.window,
        spec.step_width(),
    );
    let on = if fitted.rule == args.rule() {
        format!(
            "{} on a fifth of the stretch's windows, held out in blocks across it",
            fitted.rule
        )
    } else {
        format!(
            "{} on the {held} windows held out in blocks across the stretch: {} widened, as fewer than {} (8·W) were held out",
            fitted.rule,
            args.rule(),
            FULL_CALIBRATION_PER_ROW * spec.window
        )
    };
    let on = match fitted.floor {
        Some(_) => format!(
            "{on}; raised to the highest smoothed score of a window it trained on, which the rule fell below"
        ),
        None => on,
    };
    println!(
        "threshold {threshold} on the smoothed score (trailing mean of {}; {on})",
        spec.smooth,
    );
    if spec.calendar {
        println!(
            "with hour-of-day and day-of-week features: the stretch spans {:.1} days{}",
            stretch_days(&series, train_rows),
            if args.series.calendar {
                ""
            } else {
                " (two weeks or more; --no-calendar: values alone, with the LSTM)"
            }
        );
    }
    println!("model written to {}", args.out.display());
    Ok(())
}

/// A detector fitted on a series' normal stretch, and where the stretch ends.
pub struct Fitted {
    pub det: Detector,
    /// The rule the threshold came from: the one asked for, widened where
    /// few windows were held out (`calibration_rule`).
    pub rule: ThresholdRule,
    /// The stretch's windows held out to calibrate on.
    pub held: usize,
    /// The trained windows' highest smoothed score, where it set the
    /// threshold (`SeriesFit::floor`).
    pub floor: Option<f32>,
    pub train_rows: usize,
    pub options: SeriesOptions,
    pub train: TrainConfig,
}

/// Reads the series `data` names (a CSV file, not images, not a pipe),
/// saying once if rows out of time order were kept.
pub fn read(data: &DataArgs) -> Result<Series, CliError> {
    if input::is_images(&data.data) || data.data.as_os_str() == "-" {
        return Err(CliError::usage(
            "--time-col reads a CSV file of a time series",
        ));
    }
    let series = read_series(&data.data, &input::spec(data))?;
    say_disorders(&data.data, series.disorders);
    Ok(series)
}

/// Trains on the normal stretch of `series` (read from `data`) as `train`
/// and `eval` both do: the stretch from --train-fraction or --train-rows,
/// windows, smoothing, cooldown and recent rows from `opts`, the threshold
/// by `rule`.
pub fn fit(
    data: &DataArgs,
    series: &Series,
    opts: &SeriesArgs,
    model_args: &ModelArgs,
    rule: ThresholdRule,
    seed: u64,
    show_progress: bool,
) -> Result<Fitted, CliError> {
    let time_col = data
        .time_col
        .clone()
        .expect("the caller checked --time-col");
    if rule.needs_anomalies() {
        return Err(CliError::usage(
            "--threshold f1 needs labelled anomalies; a series sets its threshold on its normal stretch (p99, mean+3std, …)",
        ));
    }
    let n = series.len();
    let train_rows = match (opts.train_rows, opts.train_fraction) {
        (Some(r), _) => r,
        (None, f) => (n as f64 * f.unwrap_or(DEFAULT_TRAIN_FRACTION)).round() as usize,
    };
    if train_rows > n {
        return Err(CliError::usage(format!(
            "--train-rows {train_rows}: {} has only {n} rows",
            data.data.display()
        )));
    }
    if opts.calendar && train_rows > 0 {
        let days = stretch_days(series, train_rows);
        if days < 7.0 {
            eprintln!(
                "aedetect: --calendar: the normal stretch spans {days:.1} days; the model never sees the weekdays it lacks, so rows on those days will score high (give it a stretch of at least a week)"
            );
        }
    }
    let mut options = SeriesOptions::new(train_rows);
    options.window = opts.window.map_or(options.window, |w| w as usize);
    options.smooth = opts.smooth.map_or(options.smooth, |k| k as usize);
    // The best model adds the calendar where the stretch spans two weeks;
    // a named model only when asked.
    let auto = model_args.model == ModelKind::Best
        && !opts.no_calendar
        && calendar_by_default(series, train_rows);
    options.calendar = opts.calendar || auto;
    options.cooldown = opts.cooldown.map_or(options.event_rows(), |r| r as usize);
    options.gap_factor = opts.gap_factor.unwrap_or(options.gap_factor);
    options.recent = opts.recent_rows.map_or(options.recent, |n| n as usize);
    let d = series_spec(&time_col, series, &options).window_width();
    let model =
        model_choice::series_model_config(model_args, d, options.window, options.calendar, seed)?;
    let mut train_cfg = model_choice::train_config(model_args, seed)?;
    train_cfg.min_steps = SERIES_MIN_STEPS;
    let steps = model.progress_steps(d, options.training_windows(series), &train_cfg);
    let mut progress = Progress::new("training", steps, show_progress);
    let fit = fit_series(
        series,
        &time_col,
        &options,
        model_choice::scaler_kind(model_args, false),
        model,
        &train_cfg,
        rule,
        &mut |r| progress.epoch(r),
    )
    .map_err(|e| match e {
        DetectError::Empty(why) => CliError::failed(format!("{}: {why}", data.data.display())),
        e => e.into(),
    })?;
    progress.finish();
    Ok(Fitted {
        det: fit.detector,
        rule: fit.rule,
        held: fit.held_out,
        floor: fit.floor,
        train_rows,
        options,
        train: train_cfg,
    })
}

pub fn score(args: &ScoreArgs, out_path: &Path, det: &mut Detector) -> Result<(), CliError> {
    if args.heatmaps.is_some() || args.id_col.is_some() || args.impute.is_some() {
        return Err(CliError::usage(format!(
            "{}: a series model writes timestamp,score,smoothed,level,flag; --heatmaps, --id-col and --impute do not apply",
            args.model.display()
        )));
    }
    let spec = det.series.clone().expect("the caller checked");
    let csv = CsvSpec {
        header: !args.no_header,
        time_col: Some(spec.time_col.clone()),
        features: Some(spec.columns.clone()),
        allow_time_disorder: args.allow_time_disorder,
        ..CsvSpec::default()
    };
    let mut out = Output::open(out_path)?;
    let mut flags = Flagging::new(args, det)?;
    if args.nab {
        // NAB's results files name a single value column `value`.
        let values = match spec.columns.as_slice() {
            [_] => "value".to_string(),
            many => many
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(","),
        };
        writeln!(out, "timestamp,{values},anomaly_score")?;
    } else if !args.no_header {
        writeln!(out, "timestamp,score,smoothed,level{}", flags.header())?;
    }
    let format = if args.nab {
        Format::Nab
    } else {
        Format::Scores
    };
    if args.data.as_os_str() == "-" {
        let stdin = std::io::stdin().lock();
        score_stream(
            stdin,
            Path::new("<stdin>"),
            &csv,
            1,
            det,
            (&mut flags, format),
            &mut out,
        )?;
    } else {
        if input::is_images(&args.data) {
            return Err(CliError::usage(format!(
                "{}: a series model scores a CSV with its time column `{}`",
                args.model.display(),
                spec.time_col
            )));
        }
        let file = std::fs::File::open(&args.data).map_err(|source| DetectError::Io {
            path: args.data.clone(),
            source,
        })?;
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        score_stream(
            reader,
            &args.data,
            &csv,
            BATCH_ROWS,
            det,
            (&mut flags, format),
            &mut out,
        )?;
    }
    out.finish()
}

/// What `score` writes for each row of a series.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    /// `timestamp,score,smoothed,level,flag` (and the drift threshold).
    Scores,
    /// NAB's results: `timestamp,value,anomaly_score`, each alarm's
    /// strength (`Point::strength`) and 0 elsewhere.
    Nab,
}

/// Scores `input` `batch` rows at a time; with batches of one row (a live
/// feed), each line is flushed as soon as it is written.
fn score_stream<R: Read>(
    input: R,
    source: &Path,
    csv: &CsvSpec,
    batch: usize,
    det: &mut Detector,
    (flags, format): (&mut Flagging, Format),
    out: &mut Output,
) -> Result<(), CliError> {
    let mut reader = CsvReader::new(input, source, csv)?;
    let mut scorer = SeriesScorer::new();
    // The alarms' own silence: the flag here may be against another
    // threshold than the model's (`--threshold`, `--drift-window`).
    let cooldown = det.series.as_ref().map_or(0, |s| s.cooldown);
    let mut silence = Silence::new(cooldown);
    let (mut x, mut labels, mut ids, mut points) = (
        Tensor::default(),
        Vec::new(),
        Vec::new(),
        Vec::<Option<Point>>::new(),
    );
    loop {
        let first_row = reader.rows_read() + 1;
        if reader.read_batch(batch, &mut x, &mut labels, &mut ids)? == 0 {
            break;
        }
        points.clear();
        scorer
            .push(det, reader.times(), &x, &mut points)
            .map_err(|e| match e {
                DetectError::Overflow { row, score } => CliError::failed(format!(
                    "{}: row {}: its window overflows once scaled or inside the model (score {score}); it cannot be scored",
                    source.display(),
                    first_row + row
                )),
                e => e.into(),
            })?;
        for (i, (stamp, p)) in reader.time_texts().iter().zip(&points).enumerate() {
            write_id(out, stamp)?;
            if p.is_none() {
                // The series starts anew here (its start, or a gap).
                silence = Silence::new(cooldown);
            }
            let gate = &mut |past| p.is_some_and(|p| silence.alarm(p.may_alarm(), past));
            match (format, p) {
                (Format::Scores, Some(p)) => {
                    write!(out, "{},{},{}", p.score, p.smoothed, p.level)?;
                    flags.write_gated(out, p.smoothed, gate)?;
                }
                (Format::Scores, None) => {
                    write!(out, ",,")?;
                    flags.write_unscored(out)?;
                }
                (Format::Nab, p) => {
                    for v in x.row(i) {
                        write!(out, "{v},")?;
                    }
                    let alarm = p.and_then(|p| {
                        let (flag, _) = flags.judge(p.smoothed, gate)?;
                        flag.then_some(p.strength)
                    });
                    writeln!(out, "{}", alarm.unwrap_or(0.0))?;
                }
            }
        }
        if batch == 1 {
            out.flush()?;
        }
    }
    say_disorders(source, reader.time_disorders());
    say_gaps(source, det, &scorer);
    if reader.rows_read() == 0 {
        return Err(CliError::failed(format!(
            "{}: no data rows",
            source.display()
        )));
    }
    Ok(())
}

/// One line on standard error when gaps restarted the windows.
fn say_gaps(source: &Path, det: &Detector, scorer: &SeriesScorer) {
    let (gaps, spec) = (scorer.gaps(), det.series.as_ref());
    if let (true, Some(limit), Some(spec)) = (gaps > 0, spec.and_then(|s| s.gap_micros), spec) {
        eprintln!(
            "aedetect: {}: {gaps} gap(s) longer than {} between rows; the {} rows after each have no score (--gap-factor at training sets how long a gap is)",
            source.display(),
            span_text(limit),
            spec.window - 1
        );
    }
}

/// A span of time as a person reads it: `250ms`, `45s`, `20m`, `4h`, `1d 6h`.
pub fn span_text(micros: i64) -> String {
    if micros < 1_000_000 {
        return format!("{}ms", micros.max(0) / 1000);
    }
    let s = micros / 1_000_000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// One line on standard error when rows out of time order were kept.
fn say_disorders(source: &Path, (count, first_line): (usize, u64)) {
    if count > 0 {
        eprintln!(
            "aedetect: {}: {count} row(s) have a timestamp not after the previous row's (the first on line {first_line}); kept in file order",
            source.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::span_text;

    #[test]
    fn spans_read_as_a_person_writes_them() {
        let s = 1_000_000;
        for (micros, want) in [
            (250_000, "250ms"),
            (45 * s, "45s"),
            (20 * 60 * s, "20m"),
            (4 * 3600 * s, "4h"),
            ((4 * 60 + 20) * 60 * s, "4h 20m"),
            (2 * 86_400 * s, "2d"),
            ((30 * 3600 + 59 * 60) * s, "1d 6h"),
        ] {
            assert_eq!(span_text(micros), want);
        }
    }
}
