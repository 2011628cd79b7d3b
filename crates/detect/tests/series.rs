//! Time series end to end in the library: reading with a time column (and
//! the errors that name the line), training on the normal stretch,
//! scoring a file at once and row by row, the model file.

use aedetect_detect::io::CsvSpec;
use aedetect_detect::model_file::{from_bytes, to_bytes};
use aedetect_detect::series::{
    fit_series, read_series_from, Point, Series, SeriesOptions, SeriesScorer, RECENT_ROWS,
    SERIES_THRESHOLD,
};
use aedetect_detect::threshold::ThresholdRule;
use aedetect_detect::{
    DenseAeConfig, Detector, LstmAeConfig, ModelConfig, ScalerKind, TrainConfig,
};
use aedetect_tensor::Tensor;
use std::fmt::Write;
use std::path::Path;

fn spec() -> CsvSpec {
    CsvSpec {
        header: true,
        time_col: Some("timestamp".into()),
        ..CsvSpec::default()
    }
}

fn read(text: &str) -> Result<Series, String> {
    read_series_from(text.as_bytes(), Path::new("s.csv"), &spec()).map_err(|e| e.to_string())
}

/// A daily sine sampled every 30 minutes for `days`, with a burst of
/// `spike` added over rows `at .. at + 6`.
fn sine_csv(days: usize, at: usize, spike: f32) -> String {
    let mut s = String::from("timestamp,value\n");
    for i in 0..days * 48 {
        let (d, m) = (i / 48, (i % 48) * 30);
        let mut v = (i as f32 * std::f32::consts::TAU / 48.0).sin() * 10.0 + 50.0;
        if (at..at + 6).contains(&i) {
            v += spike;
        }
        writeln!(s, "2014-07-{:02} {:02}:{:02}:00,{v}", d + 1, m / 60, m % 60).unwrap();
    }
    s
}

#[test]
fn a_series_reads_in_time_order_and_bad_stamps_name_their_line() {
    let s = read("timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:30:00,2.5\n").unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s.columns, ["value"]);
    assert_eq!(s.stamps, ["2014-07-01 00:00:00", "2014-07-01 00:30:00"]);
    assert_eq!(s.values.data(), &[1.0, 2.5]);
    assert_eq!(s.times[1].micros - s.times[0].micros, 1_800_000_000);
    for (text, want) in [
        (
            "timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:00:00,2\n",
            "s.csv: line 3: row 2, column `timestamp`: \"2014-07-01 00:00:00\" repeats the previous row's timestamp (line 2)",
        ),
        (
            "timestamp,value\n2014-07-01 01:00:00,1\n2014-07-01 00:00:00,2\n",
            "line 3: row 2, column `timestamp`: \"2014-07-01 00:00:00\" is earlier than the previous row's timestamp (line 2)",
        ),
        (
            "timestamp,value\n2014-07-01 00:00:00,1\n\n2014-07-01 25:00:00,2\n",
            "line 4: row 2, column `timestamp`: \"2014-07-01 25:00:00\" is not a timestamp",
        ),
        ("time,value\n2014-07-01 00:00:00,1\n", "no time column `timestamp`"),
        ("timestamp\n2014-07-01 00:00:00\n", "no feature columns"),
    ] {
        let e = read(text).unwrap_err();
        assert!(e.contains(want), "{e}\nwant: {want}");
    }
}

fn options(window: usize, train_rows: usize) -> SeriesOptions {
    SeriesOptions {
        window,
        calendar: false,
        smooth: 3,
        cooldown: 0,
        train_rows,
        calibration: 0.2,
        gap_factor: 0.0,
        recent: 0,
    }
}

fn train() -> TrainConfig {
    TrainConfig {
        epochs: 30,
        lr: 3e-3,
        min_steps: 1000,
        ..TrainConfig::default()
    }
}

fn fit(series: &Series, model: ModelConfig) -> Detector {
    fit_series(
        series,
        "timestamp",
        &options(12, 7 * 48),
        ScalerKind::Standard,
        model,
        &train(),
        ThresholdRule::Percentile(99.0),
        &mut |_| {},
    )
    .unwrap()
    .detector
}

fn score(det: &mut Detector, s: &Series, batch: usize) -> Vec<Option<Point>> {
    let mut scorer = SeriesScorer::new();
    let mut out = Vec::new();
    for start in (0..s.len()).step_by(batch) {
        let end = (start + batch).min(s.len());
        let rows: Vec<usize> = (start..end).collect();
        scorer
            .push(
                det,
                &s.times[start..end],
                &s.values.select_rows(&rows),
                &mut out,
            )
            .unwrap();
    }
    out
}

#[test]
fn the_model_learns_the_stretch_and_flags_the_burst_after_it() {
    let burst = 10 * 48 + 7;
    let s = read(&sine_csv(12, burst, 25.0)).unwrap();
    for model in [
        ModelConfig::Dense(DenseAeConfig::sized_to(12)),
        ModelConfig::Lstm(LstmAeConfig {
            hidden: 12,
            latent: 4,
            ..LstmAeConfig::for_steps(12)
        }),
    ] {
        let mut det = fit(&s, model);
        let spec = det.series.clone().unwrap();
        assert_eq!((spec.window, spec.step_width(), spec.smooth), (12, 1, 3));
        let points = score(&mut det, &s, s.len());
        // The first W − 1 rows have no window.
        assert!(points[..11].iter().all(Option::is_none));
        assert!(points[11..].iter().all(Option::is_some));
        let p: Vec<Point> = points.into_iter().flatten().collect();
        let at = |row: usize| p[row - 11];
        // Smoothed = the trailing mean of 3 scores.
        let mean = (at(100).score + at(99).score + at(98).score) / 3.0;
        assert!((at(100).smoothed - mean).abs() <= 1e-6 * mean.abs().max(1.0));
        // The burst's rows are flagged; before it, few rows are (a p99
        // threshold from 65 held-out windows: about 1 % to 3 % of them).
        let flagged_in_burst = (burst..burst + 6).filter(|&r| at(r).flag).count();
        assert!(
            flagged_in_burst >= 4,
            "{flagged_in_burst} of 6 burst rows flagged"
        );
        let false_alarms = (11..burst).filter(|&r| at(r).flag).count();
        assert!(
            false_alarms * 33 < burst,
            "{false_alarms} flags before the burst"
        );
        // Levels are monotone in the smoothed score, ½ at the threshold,
        // and the burst's peak is far past it.
        let mut by_score = p.clone();
        by_score.sort_by(|a, b| a.smoothed.total_cmp(&b.smoothed));
        assert!(by_score.windows(2).all(|w| w[0].level <= w[1].level));
        let threshold = det.threshold.unwrap();
        assert!(p
            .iter()
            .all(|q| (q.level > 0.5) == (q.smoothed > threshold)));
        let top = p.iter().map(|q| q.level).fold(0.0, f64::max);
        assert!(top > 0.9, "the burst's level is {top}");
        // The strength is the level of the larger of the window's error and
        // the smoothed score: the burst's first flagged row, where the
        // window's error leads the mean of 3, is stronger than its level.
        assert!(p.iter().all(|q| q.strength
            == aedetect_detect::series::level(q.score.max(q.smoothed), threshold)
            && q.strength >= q.level));
        let first = (burst..burst + 6).find(|&r| at(r).flag).unwrap();
        assert!(
            at(first).strength > at(first).level,
            "row {first}: strength {} against level {}",
            at(first).strength,
            at(first).level
        );

        // With a cooldown of one event's reach (W + K − 1 = 14 rows), the
        // burst raises alarms only while its score climbs, and every
        // alarm is a flagged row of the plain rule.
        let plain: Vec<bool> = p.iter().map(|q| q.flag).collect();
        det.series.as_mut().unwrap().cooldown = options(12, 0).event_rows();
        assert_eq!(det.series.as_ref().unwrap().cooldown, 14);
        let p: Vec<Point> = score(&mut det, &s, s.len()).into_iter().flatten().collect();
        let at = |row: usize| p[row - 11];
        assert!((burst..burst + 6).any(|r| at(r).flag));
        assert!(p.iter().zip(&plain).all(|(q, &f)| !q.flag || f));
        let reach = burst..burst + 14;
        let alarms = reach.clone().filter(|&r| at(r).flag).count();
        let flagged = reach.filter(|&r| plain[r - 11]).count();
        assert!(alarms < flagged, "{alarms} alarms, {flagged} flagged rows");
        // A row that is not a peak has alarm level 0, a peak its level.
        assert!(p
            .iter()
            .all(|q| q.alarm_level() == if q.peak { q.level } else { 0.0 }));
    }
}

#[test]
fn rows_scored_one_at_a_time_give_the_file_s_numbers_and_the_file_keeps_the_spec() {
    let s = read(&sine_csv(9, 8 * 48, 20.0)).unwrap();
    let mut det = fit(&s, ModelConfig::Dense(DenseAeConfig::sized_to(12)));
    // The cooldown's trailing maximum is carried across batches too.
    det.series.as_mut().unwrap().cooldown = 14;
    let whole = score(&mut det, &s, s.len());
    assert!(whole.iter().flatten().any(|p| !p.peak));
    for batch in [1, 7, 100] {
        assert_eq!(score(&mut det, &s, batch), whole, "batches of {batch}");
    }
    let mut loaded = from_bytes(&to_bytes(&det).unwrap()).unwrap();
    assert_eq!(loaded.series, det.series);
    assert_eq!(loaded.threshold, det.threshold);
    assert_eq!(score(&mut loaded, &s, 50), whole);
    // A spec that does not fit the model's inputs is refused on load.
    let mut bad = det;
    bad.series.as_mut().unwrap().window = 11;
    let e = from_bytes(&to_bytes(&bad).unwrap()).err().unwrap();
    assert!(e.contains("do not make the model's 12 inputs"), "{e}");
    // Values of the wrong width are an error, not a panic.
    let mut scorer = SeriesScorer::new();
    let e = scorer
        .push(
            &mut loaded,
            &s.times[..1],
            &Tensor::zeros(&[1, 2]),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("2 columns but the model expects 1"),
        "{e}"
    );
}

#[test]
fn a_stretch_too_short_for_its_windows_is_refused() {
    let s = read(&sine_csv(1, 0, 0.0)).unwrap();
    let e = fit_series(
        &s,
        "timestamp",
        &options(40, 41),
        ScalerKind::Standard,
        DenseAeConfig::sized_to(200),
        &train(),
        ThresholdRule::Percentile(99.0),
        &mut |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("41 rows makes 2 windows of 40 rows"), "{e}");
}

#[test]
fn a_gap_starts_the_series_anew_in_every_batching_and_in_training() {
    // Nine days every 30 minutes, with two holes of a day: one in the
    // normal stretch, one after it.
    let full = sine_csv(9, 0, 0.0);
    let keep = |i: &usize| !(150..198).contains(i) && !(300..348).contains(i);
    let text: String = std::iter::once("timestamp,value")
        .chain(
            full.lines()
                .skip(1)
                .enumerate()
                .filter(|(i, _)| keep(i))
                .map(|(_, l)| l),
        )
        .flat_map(|l| [l, "\n"])
        .collect();
    let s = read(&text).unwrap();
    // Rows 150 and 252 each follow the row before by 24½ hours.
    assert_eq!(s.len(), 9 * 48 - 96);
    let mut gapped = options(12, 7 * 48 - 48);
    gapped.gap_factor = 4.0;
    let plain = options(12, 7 * 48 - 48);
    assert!(gapped.training_windows(&s) < plain.training_windows(&s));
    let mut det = fit_series(
        &s,
        "timestamp",
        &gapped,
        ScalerKind::Standard,
        DenseAeConfig::sized_to(12),
        &train(),
        ThresholdRule::Percentile(99.0),
        &mut |_| {},
    )
    .unwrap()
    .detector;
    assert_eq!(
        det.series.as_ref().unwrap().gap_micros,
        Some(4 * 1_800_000_000)
    );
    let whole = score(&mut det, &s, s.len());
    // No window before row 11, nor for the 11 rows after each gap.
    let unscored: Vec<usize> = (0..s.len()).filter(|&r| whole[r].is_none()).collect();
    let want: Vec<usize> = (0..11).chain(150..161).chain(252..263).collect();
    assert_eq!(unscored, want);
    // The smoothing starts afresh: the first smoothed score after a gap is
    // its own window's error.
    let first = whole[161].unwrap();
    assert_eq!(first.smoothed, first.score);
    for batch in [1, 7, 100] {
        assert_eq!(score(&mut det, &s, batch), whole, "batches of {batch}");
    }
    let mut scorer = SeriesScorer::new();
    scorer
        .push(&mut det, &s.times, &s.values, &mut Vec::new())
        .unwrap();
    assert_eq!(scorer.gaps(), 2);
    // The model file keeps the limit.
    let mut loaded = from_bytes(&to_bytes(&det).unwrap()).unwrap();
    assert_eq!(loaded.series, det.series);
    assert_eq!(score(&mut loaded, &s, 50), whole);
    // A file whose limit is no time span is refused on load.
    let mut bad = from_bytes(&to_bytes(&det).unwrap()).unwrap();
    bad.series.as_mut().unwrap().gap_micros = Some(0);
    let e = from_bytes(&to_bytes(&bad).unwrap()).err().unwrap();
    assert!(e.contains("gap limit of 0 microseconds"), "{e}");
    // Without gaps (the default), windows span the holes.
    det.series.as_mut().unwrap().gap_micros = None;
    assert!(score(&mut det, &s, s.len())[11..]
        .iter()
        .all(Option::is_some));
}

/// Two weeks every 5 minutes of a day that ramps from 20 to 80 and back,
/// flat between (NAB's art_daily_no_noise), with rows `dip` set to 0.
fn ramp_csv(dip: std::ops::Range<usize>) -> String {
    let mut s = String::from("timestamp,value\n");
    for i in 0..14 * 288 {
        let (d, m) = (i / 288, (i % 288) * 5);
        let phase = (i % 288) as f32 * std::f32::consts::TAU / 288.0;
        let mut v = 20.0 + 60.0 * (3.0 * phase.sin()).clamp(0.0, 1.0);
        if dip.contains(&i) {
            v = 0.0;
        }
        writeln!(s, "2014-04-{:02} {:02}:{:02}:00,{v}", d + 1, m / 60, m % 60).unwrap();
    }
    s
}

#[test]
fn a_window_learnt_as_normal_does_not_alarm_when_it_comes_again() {
    // A two-day stretch holds out two blocks of 64 windows: neither holds
    // the morning ramp, which the trained windows do. max+Kspread of the
    // held-out windows falls below the ramp's score, so without the floor
    // every later morning would alarm.
    let fit = |dip| {
        fit_series(
            &read(&ramp_csv(dip)).unwrap(),
            "timestamp",
            &SeriesOptions::new(605),
            ScalerKind::Standard,
            ModelConfig::recommended_for_series(32, false),
            &train(),
            ThresholdRule::MaxKSpread(2.0),
            &mut |_| {},
        )
        .unwrap()
    };
    let clean = fit(0..0);
    let floor = clean
        .floor
        .expect("the ramp's trained windows set the threshold");
    let mut det = clean.detector;
    assert_eq!(det.threshold, Some(floor));
    assert!(det.info["threshold_floor"].starts_with(&floor.to_string()));
    let s = read(&ramp_csv(0..0)).unwrap();
    let alarms = |det: &mut Detector, s: &Series| -> Vec<usize> {
        let points = score(det, s, s.len());
        (605..s.len())
            .filter(|&r| points[r].is_some_and(|p| p.flag))
            .collect()
    };
    assert_eq!(alarms(&mut det, &s), Vec::<usize>::new());
    // A dip on day 9 still alarms.
    let dip = 8 * 288 + 100..8 * 288 + 110;
    let mut det = fit(dip.clone()).detector;
    let found = alarms(&mut det, &read(&ramp_csv(dip.clone())).unwrap());
    assert!(
        found.len() == 1 && (dip.start..dip.end + 39).contains(&found[0]),
        "{found:?}"
    );
    // A percentile means its share of normal windows above it: no floor.
    let p99 = fit_series(
        &s,
        "timestamp",
        &SeriesOptions::new(605),
        ScalerKind::Standard,
        DenseAeConfig::sized_to(32),
        &train(),
        ThresholdRule::Percentile(99.0),
        &mut |_| {},
    )
    .unwrap();
    assert!(p99.floor.is_none() && !p99.detector.info.contains_key("threshold_floor"));
}

/// Two weeks every 5 minutes of a day flat at 20 until noon, then ramping
/// to 80 and back (`ramp_csv`'s day, half a day later), with a jitter of
/// ±1 and rows `spike` set to 400.
fn afternoon_csv(spike: std::ops::Range<usize>) -> String {
    let mut s = String::from("timestamp,value\n");
    for i in 0..14 * 288 {
        let (d, m) = (i / 288, (i % 288) * 5);
        let phase = ((i + 144) % 288) as f32 * std::f32::consts::TAU / 288.0;
        let jitter = (i as f32 * 12.9898).sin();
        let mut v = 20.0 + 60.0 * (3.0 * phase.sin()).clamp(0.0, 1.0) + jitter;
        if spike.contains(&i) {
            v = 400.0;
        }
        writeln!(s, "2014-04-{:02} {:02}:{:02}:00,{v}", d + 1, m / 60, m % 60).unwrap();
    }
    s
}

#[test]
fn a_part_of_the_day_the_stretch_never_held_stops_alarming_once_it_is_usual() {
    // A stretch of 100 rows (midnight to 8:20) holds the flat morning only;
    // every afternoon's ramp and plateau then score past the threshold.
    // Without the recent rank each afternoon alarms; with it, once the
    // afternoons are usual they do not, and a spike on day 12 still does.
    let spike = 11 * 288 + 60..11 * 288 + 66;
    let s = read(&afternoon_csv(spike)).unwrap();
    let alarms_by_day = |recent: usize| -> Vec<usize> {
        let mut options = SeriesOptions::new(100);
        options.recent = recent;
        let mut det = fit_series(
            &s,
            "timestamp",
            &options,
            ScalerKind::Standard,
            DenseAeConfig::sized_to(32),
            &train(),
            SERIES_THRESHOLD,
            &mut |_| {},
        )
        .unwrap()
        .detector;
        let points = score(&mut det, &s, s.len());
        let mut days = vec![0; 14];
        for (r, p) in points.iter().enumerate().skip(100) {
            if p.is_some_and(|p| p.flag) {
                days[r / 288] += 1;
            }
        }
        days
    };
    let off = alarms_by_day(0);
    let on = alarms_by_day(RECENT_ROWS);
    assert!(off.iter().all(|&n| n > 0), "{off:?}");
    let later = on[2..11].iter().chain(&on[12..]);
    assert!(later.copied().all(|n| n == 0), "{on:?}");
    assert!(on[11] >= 1, "the spike: {on:?}");
}
