//! Time series through the binary: train on a NAB series' normal stretch,
//! score it to `timestamp,score,smoothed,level,flag`, score it live from
//! standard input, evaluate it against its labelled windows with NAB's
//! score, and the errors of a series that is not in time order.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

mod common;
use common::{bin, ok, run, scratch, shared_data};

fn jumpsup() -> std::path::PathBuf {
    shared_data("nab/data/artificialWithAnomaly/art_daily_jumpsup.csv")
}

/// `aedetect train --time-col timestamp EXTRA --out MODEL --data DATA`,
/// which must succeed; its standard output.
fn train_series(data: impl AsRef<Path>, model: &Path, extra: &[&str]) -> String {
    ok(bin()
        .args(["train", "--time-col", "timestamp"])
        .args(extra)
        .arg("--out")
        .arg(model)
        .arg("--data")
        .arg(data.as_ref()))
}

/// The anomaly window NAB labels in art_daily_jumpsup.
fn in_window(stamp: &str) -> bool {
    ("2014-04-10 16:15:00"..="2014-04-12 01:45:00").contains(&stamp)
}

#[test]
fn a_series_trains_on_its_stretch_and_scores_one_line_per_row() {
    let dir = scratch("series-train");
    let model = dir.join("m.safetensors");
    let said = train_series(jumpsup(), &model, &["--train-fraction", "0.15"]);
    assert!(said.contains("windows of 32 rows × 1 values"), "{said}");
    assert!(said.contains("rows 1–605"), "{said}");
    // Two days held out in 126 windows, under 8·W: the rule widens, and says so.
    assert!(
        said.contains("max+4.06spread on the 126 windows held out in blocks across the stretch: max+2spread widened, as fewer than 256 (8·W) were held out"),
        "{said}"
    );
    // Half the series holds out enough windows for the rule as named.
    let half = train_series(
        jumpsup(),
        &dir.join("half.safetensors"),
        &["--train-fraction", "0.5", "--model", "conv"],
    );
    assert!(
        half.contains("; max+2spread on a fifth of the stretch's windows"),
        "{half}"
    );
    let shown = ok(bin().arg("inspect").arg(&model));
    assert!(
        shown.contains("series       time column `timestamp`, values value; windows of 32 rows; smoothed over 8 windows"),
        "{shown}"
    );
    assert!(
        shown.contains("; an alarm tops the last 4096 rows' 98.5th percentile by 5 %;"),
        "{shown}"
    );
    let scores = dir.join("scores.csv");
    ok(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(jumpsup())
        .arg("--out")
        .arg(&scores));
    let text = std::fs::read_to_string(&scores).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let input = std::fs::read_to_string(jumpsup()).unwrap();
    assert_eq!(lines.len(), input.lines().count());
    assert_eq!(lines[0], "timestamp,score,smoothed,level,flag");
    // Rows before the first full window: empty scores, flag 0.
    assert_eq!(lines[1], "2014-04-01 00:00:00,,,,0");
    assert!(lines[31].ends_with(",,,,0"), "{}", lines[31]);
    let (mut inside, mut outside, mut flagged_outside, mut window_rows) = (0, 0, 0, 0);
    for l in &lines[32..] {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 5, "{l}");
        let level: f64 = f[3].parse().unwrap();
        assert!(level > 0.0 && level < 1.0, "{l}");
        let flag = f[4] == "1";
        if in_window(f[0]) {
            window_rows += 1;
            inside += usize::from(flag);
        } else {
            outside += 1;
            flagged_outside += usize::from(flag);
        }
    }
    // Alarms (max+2spread widened to 4.06 spreads, a cooldown of 39 rows):
    // one as the jump's score first crosses the threshold, silencing the 39
    // rows after it, and another only at a new high past them (a few of the
    // window's rows), none on the normal days.
    assert!(
        inside >= 1 && inside * 40 <= window_rows,
        "{inside} alarms in the anomaly window of {window_rows} rows"
    );
    assert_eq!(flagged_outside, 0, "alarms on {outside} normal rows");
    let alarms = inside;
    // Flagging every row past p99 instead (no cooldown, no rank among the
    // recent rows) flags many more of the window's rows, and a few normal
    // rows.
    let every = dir.join("every.safetensors");
    train_series(
        jumpsup(),
        &every,
        &[
            "--threshold",
            "p99",
            "--model",
            "conv",
            "--cooldown",
            "0",
            "--recent-rows",
            "0",
        ],
    );
    let text = ok(bin()
        .args(["score", "--model"])
        .arg(&every)
        .arg("--data")
        .arg(jumpsup()));
    let (mut inside, mut flagged_outside) = (0, 0);
    for l in text.lines().skip(32).filter(|l| l.ends_with(",1")) {
        if in_window(&l[..19]) {
            inside += 1;
        } else {
            flagged_outside += 1;
        }
    }
    assert!(
        inside > 50 && inside > 2 * alarms,
        "{inside} flags in the anomaly window, {alarms} alarms with the cooldown"
    );
    assert!(
        flagged_outside * 10 < outside,
        "{flagged_outside} of {outside} normal rows flagged"
    );

    // The same rows one at a time through standard input: each line comes
    // out before the next row goes in, with the file's numbers.
    let mut child = bin()
        .args(["score", "--data", "-", "--model"])
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for (i, row) in input.lines().take(40).enumerate() {
        writeln!(stdin, "{row}").unwrap();
        stdin.flush().unwrap();
        if i == 0 {
            continue; // the header: read with the first row
        }
        if i == 1 {
            line.clear();
            out.read_line(&mut line).unwrap();
            assert_eq!(line.trim_end(), lines[0]);
        }
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim_end(), lines[i], "row {i}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_stretch_of_two_weeks_gets_the_calendar_and_the_conv_model() {
    let dir = scratch("series-calendar");
    let model = dir.join("m.safetensors");
    let taxi = shared_data("nab/data/realKnownCause/nyc_taxi.csv");
    // nyc_taxi's 15 % is 32 days of half-hours: the best model adds the
    // calendar and is the 1-D conv autoencoder on 5 columns a row.
    let said = train_series(&taxi, &model, &[]);
    assert!(
        said.contains("Conv1d") && said.contains("windows of 32 rows × 5 values"),
        "{said}"
    );
    assert!(
        said.contains("with hour-of-day and day-of-week features: the stretch spans 32.2 days (two weeks or more"),
        "{said}"
    );
    // A named model, or --no-calendar, keeps to the values.
    let said = train_series(&taxi, &model, &["--model", "dense"]);
    assert!(
        said.contains("× 1 values") && !said.contains("hour-of-day"),
        "{said}"
    );
    let said = train_series(&taxi, &model, &["--no-calendar"]);
    assert!(
        said.contains("LSTM") && said.contains("× 1 values"),
        "{said}"
    );
    // art_daily's 15 % is two days: values alone, the LSTM.
    let said = train_series(jumpsup(), &model, &[]);
    assert!(
        said.contains("LSTM") && !said.contains("hour-of-day"),
        "{said}"
    );
}

#[test]
fn an_lstm_autoencoder_trains_on_a_series() {
    let dir = scratch("series-lstm");
    let model = dir.join("m.safetensors");
    let said = train_series(
        jumpsup(),
        &model,
        &["--model", "lstm", "--window", "16", "--hidden", "16,4"],
    );
    assert!(
        said.contains("LSTM") && said.contains("RepeatSteps(16)"),
        "{said}"
    );
    let scores = ok(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(jumpsup()));
    let flagged: Vec<&str> = scores.lines().filter(|l| l.ends_with(",1")).collect();
    let inside = flagged.iter().filter(|l| in_window(&l[..19])).count();
    assert!(
        inside * 2 > flagged.len(),
        "{inside} of {} flags in the window",
        flagged.len()
    );
}

#[test]
fn series_errors_name_the_line_and_series_options_need_a_time_column() {
    let dir = scratch("series-errors");
    let model = dir.join("m.safetensors");
    let mut csv = String::from("timestamp,value\n");
    for i in 0..300 {
        csv.push_str(&format!(
            "2014-07-01 {:02}:{:02}:00,{}\n",
            i / 60,
            i % 60,
            (i % 7) as f32
        ));
    }
    let good = dir.join("good.csv");
    std::fs::write(&good, &csv).unwrap();
    let back = dir.join("back.csv");
    std::fs::write(
        &back,
        csv.replace("2014-07-01 02:00:00", "2014-07-01 01:00:00"),
    )
    .unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        csv.replace("2014-07-01 03:00:00", "2014-07-01 3 o'clock"),
    )
    .unwrap();
    let train = |data: &std::path::Path, extra: &[&str]| {
        run(bin()
            .args(["train", "--time-col", "timestamp", "--window", "4", "--out"])
            .arg(&model)
            .arg("--data")
            .arg(data)
            .args(extra))
    };
    let e = train(&back, &[]);
    let msg = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(1), "{msg}");
    assert!(msg.contains("back.csv: line 122: row 121, column `timestamp`: \"2014-07-01 01:00:00\" is earlier than the previous row's timestamp (line 121)"), "{msg}");
    assert!(!model.exists());
    let e = train(&bad, &[]);
    let msg = String::from_utf8_lossy(&e.stderr);
    assert_eq!(e.status.code(), Some(1), "{msg}");
    assert!(
        msg.contains(
            "line 182: row 181, column `timestamp`: \"2014-07-01 3 o'clock\" is not a timestamp"
        ),
        "{msg}"
    );
    // Kept in file order on request, and said so.
    let kept = train(&back, &["--allow-time-disorder"]);
    let msg = String::from_utf8_lossy(&kept.stderr);
    assert!(kept.status.success(), "{msg}");
    assert!(
        msg.contains(
            "1 row(s) have a timestamp not after the previous row's (the first on line 122)"
        ),
        "{msg}"
    );
    // A stretch too short for its windows.
    let e = train(&good, &["--train-rows", "5"]);
    assert_eq!(e.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&e.stderr).contains("too few to train on"));
    // Series options without a series, and the LSTM without one.
    for args in [
        &["--window", "8"][..],
        &["--calendar"],
        &["--train-fraction", "0.2"],
    ] {
        let e = run(bin()
            .arg("train")
            .args(args)
            .arg("--data")
            .arg(&good)
            .arg("--out")
            .arg(dir.join("x.safetensors")));
        assert_eq!(e.status.code(), Some(2), "{args:?}");
    }
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n").unwrap();
    let e = run(bin()
        .args(["train", "--model", "lstm", "--data"])
        .arg(&rows)
        .arg("--out")
        .arg(dir.join("x.safetensors")));
    assert_eq!(e.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("lstm model reads windows of a time series")
    );
    let e = train(&good, &["--train-fraction", "1.5"]);
    assert_eq!(e.status.code(), Some(2));
}

#[test]
fn eval_scores_a_series_against_its_labelled_windows() {
    let dir = scratch("series-eval");
    let labels = shared_data("nab/labels/combined_windows.json");
    let plot = dir.join("jumpsup.svg");
    let said = ok(bin()
        .args(["eval", "--time-col", "timestamp", "--seeds", "0", "--json"])
        .args(["--model", "conv"]) // quick; the protocol is the same for every model
        .arg("--labels")
        .arg(&labels)
        .arg("--plot")
        .arg(&plot)
        .arg("--data")
        .arg(jumpsup()));
    let v: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(v["rows"], 4032);
    assert_eq!(v["probationary_rows"], 604);
    assert_eq!(v["windows"][0]["start"], "2014-04-10 16:15:00");
    // A two-day stretch holds out 126 windows, under 8·W = 256: the
    // default max+2spread widens by 256/126.
    assert_eq!(v["threshold_rule"], "max+4.06spread");
    let first = &v["runs"][0];
    assert_eq!(
        (first["detected"].as_u64(), first["missed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(first["false_alarm_events"], 0);
    // The window's first alarm: inside it, its reward NAB's for that row.
    let w = &first["windows"][0];
    let row = w["first_alarm_row"].as_u64().unwrap();
    assert_eq!(v["windows"][0]["first_row"], 2788);
    assert!((2788..=3190).contains(&row), "{w}");
    let p = -((3190 - row + 1) as f64) / 403.0;
    let want = (2.0 / (1.0 + (5.0 * p).exp()) - 1.0) / (2.0 / (1.0 + (-5.0f64).exp()) - 1.0);
    assert!((w["reward"].as_f64().unwrap() - want).abs() < 1e-9, "{w}");
    assert!(w["highest_level"].as_f64().unwrap() > 0.5, "{w}");
    // The jump is caught early in its window: NAB's standard score is high,
    // and the best threshold for this series alone is at least as good.
    let standard = &first["nab"]["standard"];
    let own = standard["at_threshold"].as_f64().unwrap();
    assert!(own > 80.0 && own <= 100.0, "{standard}");
    assert!(
        standard["best"].as_f64().unwrap() >= own - 1e-9,
        "{standard}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("labelled anomaly window"));

    // The table, and windows from a label column (the labelled rows made
    // into a column of the CSV) give the same verdict.
    let input = std::fs::read_to_string(jumpsup()).unwrap();
    let mut labelled = String::from("timestamp,value,anomaly\n");
    for l in input.lines().skip(1) {
        labelled.push_str(&format!("{l},{}\n", u8::from(in_window(&l[..19]))));
    }
    let with_col = dir.join("labelled.csv");
    std::fs::write(&with_col, labelled).unwrap();
    let table = ok(bin()
        .args(["eval", "--time-col", "timestamp", "--seeds", "0"])
        .args(["--model", "conv", "--label-col", "anomaly", "--data"])
        .arg(&with_col));
    assert!(table.contains("1 labelled anomaly window(s)"), "{table}");
    assert!(
        table.contains(&format!("at row {row}")),
        "the window's first alarm in the table: {table}"
    );
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .unwrap();
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(fields[1], format!("{own:.1}"), "{table}");

    // A best-F1 threshold: a series' normal stretch has no anomalies to fit it on.
    let e = run(bin()
        .args([
            "eval",
            "--time-col",
            "timestamp",
            "--threshold",
            "f1",
            "--labels",
        ])
        .arg(&labels)
        .arg("--data")
        .arg(jumpsup()));
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--threshold f1 needs labelled anomalies"));

    // Without windows, with both kinds, with a labels file that is not JSON.
    let e = run(bin()
        .args(["eval", "--time-col", "timestamp", "--data"])
        .arg(jumpsup()));
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("needs its anomaly windows"));
    let e = run(bin()
        .args(["eval", "--time-col", "timestamp", "--label-col", "anomaly"])
        .arg("--labels")
        .arg(&labels)
        .arg("--data")
        .arg(&with_col));
    assert_eq!(e.status.code(), Some(2));
    let e = run(bin()
        .args(["eval", "--time-col", "timestamp", "--labels"])
        .arg(jumpsup())
        .arg("--data")
        .arg(jumpsup()));
    assert_eq!(e.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&e.stderr);
    assert!(msg.contains("art_daily_jumpsup.csv: not JSON"), "{msg}");
}

#[test]
fn with_gap_factor_no_window_spans_a_hole_and_score_says_so() {
    let dir = scratch("series-gap");
    // art_daily_jumpsup (every 5 minutes) with 100 rows cut out after its
    // normal stretch: a hole of 8 h 25 min before the row that was 1100.
    let text = std::fs::read_to_string(jumpsup()).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| !(1001..1101).contains(i))
        .map(|(_, l)| l)
        .collect();
    let data = dir.join("holed.csv");
    std::fs::write(&data, kept.join("\n") + "\n").unwrap();
    let model = dir.join("m.safetensors");
    train_series(&data, &model, &["--model", "dense", "--gap-factor", "4"]);
    let shown = ok(bin().arg("inspect").arg(&model));
    assert!(
        shown.contains("a step over 20m is a gap no window spans"),
        "{shown}"
    );
    let scores = dir.join("scores.csv");
    let out = run(bin()
        .args(["score", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&scores));
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("holed.csv: 1 gap(s) longer than 20m between rows; the 31 rows after each have no score"),
        "{said}"
    );
    let lines: Vec<String> = std::fs::read_to_string(&scores)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    // Data row 1001 (line 1002) follows the hole: it and the 30 after it
    // have no window; the row before it and the 32nd after it have one.
    assert!(!lines[1000].ends_with(",,,,0"), "{}", lines[1000]);
    assert!(lines[1001..1032].iter().all(|l| l.ends_with(",,,,0")));
    assert!(!lines[1032].ends_with(",,,,0"), "{}", lines[1032]);
    // Without the option, windows span the hole.
    let plain = dir.join("plain.safetensors");
    train_series(&data, &plain, &["--model", "dense"]);
    let out = run(bin()
        .args(["score", "--model"])
        .arg(&plain)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.join("plain.csv")));
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("gap"));
    let plain_lines = std::fs::read_to_string(dir.join("plain.csv")).unwrap();
    assert_eq!(
        plain_lines.lines().filter(|l| l.ends_with(",,,,0")).count(),
        31
    );
}

#[test]
fn score_nab_writes_nab_s_results_format_with_the_alarms_strengths() {
    let dir = scratch("series-nab");
    let model = dir.join("m.safetensors");
    train_series(jumpsup(), &model, &["--model", "dense"]);
    let score = |extra: &[&str], out: &str| {
        ok(bin()
            .args(["score", "--model"])
            .arg(&model)
            .arg("--data")
            .arg(jumpsup())
            .args(extra)
            .arg("--out")
            .arg(dir.join(out)));
        std::fs::read_to_string(dir.join(out)).unwrap()
    };
    let plain = score(&[], "scores.csv");
    let nab = score(&["--nab"], "nab.csv");
    let input = std::fs::read_to_string(jumpsup()).unwrap();
    let (plain, nab, input): (Vec<&str>, Vec<&str>, Vec<&str>) = (
        plain.lines().collect(),
        nab.lines().collect(),
        input.lines().collect(),
    );
    assert_eq!(nab[0], "timestamp,value,anomaly_score");
    assert_eq!(nab.len(), input.len());
    let mut alarms = 0;
    for ((n, p), i) in nab[1..].iter().zip(&plain[1..]).zip(&input[1..]) {
        let (n, p, i): (Vec<&str>, Vec<&str>, Vec<&str>) = (
            n.split(',').collect(),
            p.split(',').collect(),
            i.split(',').collect(),
        );
        assert_eq!(n[0], i[0]);
        let (v, want): (f32, f32) = (n[1].parse().unwrap(), i[1].parse().unwrap());
        assert_eq!(v, want);
        // The anomaly score is the alarm's strength where the row alarmed
        // (the level of the larger of its window's error and its smoothed
        // score), 0 elsewhere.
        let a: f64 = n[2].parse().unwrap();
        if p[4] == "1" {
            alarms += 1;
            let [score, smoothed, level] = [1, 2, 3].map(|c| p[c].parse::<f64>().unwrap());
            // The threshold T, from level = s / (s + T).
            let t = smoothed * (1.0 - level) / level;
            let strength = score.max(smoothed) / (score.max(smoothed) + t);
            assert!((a - strength).abs() < 1e-6, "{a} against {strength}");
            assert!(a >= level && a > 0.5, "{a}");
        } else {
            assert_eq!(a, 0.0);
        }
    }
    assert!(alarms >= 1);
    // Not for a model without a time column.
    let tabular = dir.join("t.safetensors");
    let rows = dir.join("rows.csv");
    std::fs::write(&rows, "a,b\n1,2\n2,3\n3,5\n4,4\n5,6\n6,7\n7,9\n8,8\n").unwrap();
    ok(bin()
        .args(["train", "--model", "pca", "--out"])
        .arg(&tabular)
        .arg("--data")
        .arg(&rows));
    let out = run(bin()
        .args(["score", "--nab", "--model"])
        .arg(&tabular)
        .arg("--data")
        .arg(&rows));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--nab writes NAB's results for a series model"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
