//! The `aedetect` binary end to end: on the shared ADBench files, on shards
//! through standard input and output, and on a table of malformed inputs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::{bin, ok, run, scratch, shared_data};

fn adbench(name: &str) -> PathBuf {
    shared_data(&format!("adbench/{name}"))
}

/// `aedetect train OPTIONS --data DATA --out MODEL`, which must succeed;
/// its standard output.
fn train(
    options: &[&str],
    data: impl AsRef<std::ffi::OsStr>,
    model: impl AsRef<std::ffi::OsStr>,
) -> String {
    ok(bin()
        .arg("train")
        .args(options)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(model))
}

fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The features of an ADBench `.npz` as CSV text (ids `row0`, `row1`, …;
/// values in shortest round-trip form), read with the library's reader.
fn csv_of(npz: &Path, header: bool) -> (String, usize) {
    let table = aedetect_detect::io::read_dataset(npz).unwrap();
    let cols = table.x.row_len();
    let mut s = String::new();
    if header {
        let names: Vec<String> = (0..cols).map(|j| format!("f{j}")).collect();
        s.push_str(&format!("id,{}\n", names.join(",")));
    }
    for (i, row) in table.x.data().chunks(cols).enumerate() {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        s.push_str(&format!("row{i},{}\n", cells.join(",")));
    }
    (s, table.x.rows())
}

#[test]
fn train_score_inspect_on_a_shared_file() {
    let dir = scratch("train");
    let model = dir.join("cardio.safetensors");
    let data = adbench("6_cardio.npz");
    let out = train(&["--epochs", "5", "--seed", "3"], &data, &model);
    assert!(out.contains("threshold"), "{out}");
    let info = ok(bin().arg("inspect").arg(&model).arg("--json"));
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["inputs"], 21);
    assert_eq!(info["training"]["seed"], "3");
    let threshold = info["threshold"].as_f64().unwrap() as f32;
    let scores = ok(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&data));
    let mut lines = scores.lines();
    assert_eq!(lines.next(), Some("score,flag"));
    let rows: Vec<(f32, u8)> = lines
        .map(|l| {
            let (s, f) = l.split_once(',').unwrap();
            (s.parse().unwrap(), f.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 1831);
    for (s, f) in &rows {
        assert_eq!(*f == 1, *s > threshold);
    }
    // Anomalies exist in the file and the model flags some rows, not all.
    let flagged = rows.iter().filter(|r| r.1 == 1).count();
    assert!(flagged > 10 && flagged < 1000, "{flagged}");
    // Same seed, same thread count: the same model file, byte for byte.
    let again = dir.join("again.safetensors");
    train(&["--epochs", "5", "--seed", "3"], &data, &again);
    let strip = |p: &Path| {
        let b = std::fs::read(p).unwrap();
        // fit_seconds differs between runs; compare the tensors' bytes.
        let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
        b[8 + n..].to_vec()
    };
    assert_eq!(strip(&model), strip(&again));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Headerless CSV rows (id first) scored through standard input and output.
fn score_shard(model: &Path, rows: &str) -> Vec<u8> {
    let out = run_with_stdin(
        bin().arg("score").arg("--model").arg(model).args([
            "--data",
            "-",
            "--no-header",
            "--id-col",
            "0",
        ]),
        rows.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn shards_scored_through_pipes_concatenate_to_one_run() {
    let dir = scratch("shards");
    let (with_header, rows) = csv_of(&adbench("38_thyroid.npz"), true);
    let csv = dir.join("thyroid.csv");
    std::fs::write(&csv, &with_header).unwrap();
    let model = dir.join("m.safetensors");
    train(
        &[
            "--normal-only",
            "--model",
            "dense",
            "--epochs",
            "3",
            "--id-col",
            "id",
        ],
        &csv,
        &model,
    );
    // One run over the whole file, headerless in and out.
    let body: String = with_header
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let whole = score_shard(&model, &body);
    assert_eq!(whole.iter().filter(|b| **b == b'\n').count(), rows);
    // The same rows in three uneven shards, as `split` + `parallel` would run them.
    let lines: Vec<&str> = body.lines().collect();
    let cuts = [0, 1000, 1001, lines.len()];
    let mut joined = Vec::new();
    for w in cuts.windows(2) {
        let shard: String = lines[w[0]..w[1]].iter().map(|l| format!("{l}\n")).collect();
        joined.extend(score_shard(&model, &shard));
    }
    assert_eq!(joined, whole);
    // And to a file: the same bytes.
    let out_file = dir.join("scores.csv");
    std::fs::write(dir.join("body.csv"), &body).unwrap();
    ok(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .args(["--no-header", "--id-col", "0", "--data"])
        .arg(dir.join("body.csv"))
        .arg("--out")
        .arg(&out_file));
    assert_eq!(std::fs::read(&out_file).unwrap(), whole);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A table of malformed inputs, each made here: a non-zero exit, a one-line
/// error naming what is wrong, never a panic.
#[test]
fn malformed_inputs_give_clear_errors() {
    let dir = scratch("bad");
    let good = dir.join("good.csv");
    let mut text = String::from("a,b,c\n");
    for i in 0..40 {
        text.push_str(&format!("{},{},{}\n", i, (i * 7) % 11, i % 3));
    }
    std::fs::write(&good, &text).unwrap();
    let model = dir.join("m.safetensors");
    train(&["--normal-only", "--model", "pca"], &good, &model);
    let npz = std::fs::read(adbench("42_WBC.npz")).unwrap();
    let model_bytes = std::fs::read(&model).unwrap();
    let mut flipped = model_bytes.clone();
    let at = flipped.len() - 3;
    flipped.truncate(at);
    // (file name, contents, expected fragment of the error)
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", b"".to_vec(), "the file is empty"),
        ("header.csv", b"a,b,c\n".to_vec(), "no data rows"),
        (
            "ragged.csv",
            b"a,b,c\n1,2,3\n4,5\n".to_vec(),
            "line 3: row 2 has 2 fields, expected 3",
        ),
        (
            "text.csv",
            b"a,b,c\n1,2,3\n4,five,6\n".to_vec(),
            "row 2, column `b`: \"five\" is not a number",
        ),
        (
            "strcol.csv",
            b"a,b,c\nx,2,3\n".to_vec(),
            "column `a` is not numeric",
        ),
        (
            "nan.csv",
            b"a,b,c\n1,2,3\n4,NaN,6\n".to_vec(),
            "row 2, column `b`: value NaN is not finite",
        ),
        (
            "inf.csv",
            b"a,b,c\n1,2,3\n4,5,-inf\n".to_vec(),
            "row 2, column `c`: value -inf is not finite",
        ),
        (
            "hole.csv",
            b"a,b,c\n1,,3\n".to_vec(),
            "row 1, column `b`: empty cell",
        ),
        (
            "truncated.npz",
            npz[..npz.len() / 2].to_vec(),
            "truncated.npz",
        ),
        (
            "garbage.npz",
            b"PK\x03\x04 not really a zip".to_vec(),
            "not a readable .npz",
        ),
        ("dtype.npy", npy("<c16", "(2, 2)", 64), "unsupported dtype"),
        ("threed.npy", npy("<f4", "(1, 2, 2)", 16), "expected 2-D"),
        ("data.parquet", b"PAR1".to_vec(), "unknown file type"),
    ];
    for (name, bytes, want) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run(bin()
            .args(["train", "--normal-only", "--data"])
            .arg(&path)
            .arg("--out")
            .arg(dir.join("never.safetensors")));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(want), "{name}: expected {want:?} in {err:?}");
        assert!(
            err.contains(name),
            "{name}: the error should name the file: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
    assert!(!dir.join("never.safetensors").exists());

    // Scoring problems: width, missing column, corrupt model, missing folder.
    let score_cases: Vec<(Vec<&str>, &[u8], &str)> = vec![
        (
            vec![],
            b"a,b\n1,2\n",
            "trained on column `c`, which this file lacks",
        ),
        (
            vec!["--no-header"],
            b"1,2\n",
            "2 feature columns, but the model expects 3",
        ),
        (vec![], b"a,b,c\n1,2,x\n", "row 1"),
    ];
    for (extra, input, want) in &score_cases {
        let out = run_with_stdin(
            bin()
                .arg("score")
                .arg("--model")
                .arg(&model)
                .args(["--data", "-"])
                .args(extra),
            input,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "expected {want:?} in {err:?}");
    }
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &flipped).unwrap();
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, b"\xff\xff\xff\xff\xff\xff\xff\x7fnonsense").unwrap();
    for bad in [&truncated, &garbage] {
        let out = run(bin()
            .arg("score")
            .arg("--model")
            .arg(bad)
            .arg("--data")
            .arg(&good));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("not a valid aedetect model file"), "{err}");
    }
    let out = run(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&good)
        .arg("--out")
        .arg(dir.join("no/such/folder/s.csv")));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");

    // A failed run leaves an existing output untouched.
    let existing = dir.join("scores.csv");
    std::fs::write(&existing, "precious").unwrap();
    let out = run(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(dir.join("text.csv"))
        .arg("--out")
        .arg(&existing));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp"))
            .count(),
        0,
        "a temporary file was left behind"
    );

    // Missing values become usable with --impute mean.
    let hole = dir.join("hole.csv");
    let out = run(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&hole)
        .args(["--impute", "mean"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Command-line mistakes exit with 2.
    let out =
        run(bin()
            .args(["train", "--data"])
            .arg(&good)
            .args(["--threshold", "p200", "--out", "x"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(bin()
        .args(["train", "--threshold", "f1", "--normal-only", "--data"])
        .arg(&good)
        .args(["--out"])
        .arg(dir.join("x.safetensors")));
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An `.npy` file with this dtype and shape, followed by `body` zero bytes.
fn npy(descr: &str, shape: &str, body: usize) -> Vec<u8> {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend(std::iter::repeat_n(0u8, body));
    b
}

/// `eval --json` prints one object with the protocol's figures, and
/// `--plot` writes the histogram.
#[test]
fn eval_json_and_plot() {
    let dir = scratch("eval");
    let svg = dir.join("hist.svg");
    let out = ok(bin()
        .args([
            "eval", "--json", "--seeds", "0,1", "--model", "dense", "--epochs", "10", "--data",
        ])
        .arg(adbench("42_WBC.npz"))
        .arg("--plot")
        .arg(&svg));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for key in [
        "roc_auc",
        "average_precision",
        "precision",
        "recall",
        "fit_seconds",
        "score_seconds",
    ] {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {v}"));
        assert!(x.is_finite() && x >= 0.0, "{key} = {x}");
    }
    assert!(v["roc_auc"].as_f64().unwrap() > 0.8, "{v}");
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("threshold"),
        "{}",
        &svg[..200]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Isolation Forest baseline trains, saves, scores and evaluates through
/// the same commands as the autoencoders.
#[test]
fn isolation_forest_through_the_cli() {
    let dir = scratch("iforest");
    let model = dir.join("forest.safetensors");
    train(&["--model", "iforest"], adbench("42_WBC.npz"), &model);
    let info = ok(bin().arg("inspect").arg(&model));
    assert!(info.contains("Isolation Forest(100 trees"), "{info}");
    let scores = ok(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(adbench("42_WBC.npz")));
    assert_eq!(scores.lines().count(), 1 + 223, "header + one line per row");
    let out = ok(bin()
        .args(["eval", "--json", "--model", "iforest", "--data"])
        .arg(adbench("42_WBC.npz")));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(v["roc_auc"].as_f64().unwrap() > 0.9, "{v}");
    let e = run(bin()
        .args(["train", "--model", "iforest", "--hidden", "4", "--data"])
        .arg(adbench("42_WBC.npz"))
        .arg("--out")
        .arg(&model));
    assert_eq!(e.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// kNN through the CLI: its model file holds the training rows and says so,
/// scores every row, and `--neighbours` is accepted with it only. The
/// default's file says what it is made of.
#[test]
fn knn_and_the_default_through_the_cli() {
    let dir = scratch("knn");
    let model = dir.join("knn.safetensors");
    train(
        &["--model", "knn", "--neighbours", "3"],
        adbench("42_WBC.npz"),
        &model,
    );
    let info = ok(bin().arg("inspect").arg(&model));
    assert!(
        info.contains("kNN: largest distance to the 3 nearest of 170 training rows"),
        "{info}"
    );
    let scores = ok(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(adbench("42_WBC.npz")));
    assert_eq!(scores.lines().count(), 1 + 223, "header + one line per row");
    for bad in [
        &["--model", "dense", "--neighbours", "3"][..],
        &["--model", "knn", "--hidden", "4"],
        &["--model", "knn", "--loss", "bce"],
    ] {
        let e = run(bin()
            .arg("train")
            .args(bad)
            .arg("--data")
            .arg(adbench("42_WBC.npz"))
            .arg("--out")
            .arg(&model));
        assert_eq!(e.status.code(), Some(2), "{bad:?}");
    }
    let best = dir.join("best.safetensors");
    train(&["--epochs", "1"], adbench("42_WBC.npz"), &best);
    let info = ok(bin().arg("inspect").arg(&best));
    assert!(
        info.contains("ensemble of 4 × autoencoder")
            && info.contains(
                "the largest distance of its 32-wide code to the 5 nearest of 170 training codes"
            )
            && info.contains("epochs_trained")
            && info.contains("members 2, 4 read each feature's normal score"),
        "{info}"
    );
    // --views same: every member reads the standardised rows.
    let same = dir.join("same.safetensors");
    train(
        &["--epochs", "1", "--views", "same"],
        adbench("42_WBC.npz"),
        &same,
    );
    let info = ok(bin().arg("inspect").arg(&same));
    assert!(
        info.contains("ensemble of 4 × autoencoder")
            && !info.contains("read each feature's normal score")
            && info.contains("ensemble_normal_score_mean"),
        "{info}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--loss bce` trains a BCE autoencoder on min-max scaled features and is
/// refused for models that have no such loss.
#[test]
fn bce_loss_through_the_cli() {
    let dir = scratch("bce");
    let model = dir.join("bce.safetensors");
    train(
        &["--loss", "bce", "--model", "dense", "--epochs", "5"],
        adbench("42_WBC.npz"),
        &model,
    );
    let info = ok(bin().arg("inspect").arg(&model));
    assert!(info.contains("min-max"), "{info}");
    assert!(info.contains("bce"), "{info}");
    for other in ["pca", "iforest"] {
        let e = run(bin()
            .args(["train", "--loss", "bce", "--model", other, "--data"])
            .arg(adbench("42_WBC.npz"))
            .arg("--out")
            .arg(&model));
        assert_eq!(e.status.code(), Some(2), "{other}");
    }
    // The 1-D convolutional autoencoder has the dense one's loss choice.
    train(
        &["--loss", "bce", "--model", "conv", "--epochs", "3"],
        adbench("42_WBC.npz"),
        &model,
    );
    let info = ok(bin().arg("inspect").arg(&model));
    assert!(
        info.contains("Conv1d") && info.contains("score        bce"),
        "{info}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every ADBench file in the shared folder loads and trains (PCA: closed form, fast).
#[test]
fn all_eight_adbench_files_load() {
    let dir = scratch("eight");
    let folder = adbench("6_cardio.npz").parent().unwrap().to_path_buf();
    let mut n = 0;
    for e in std::fs::read_dir(folder).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "npz") {
            train(&["--model", "pca"], &p, dir.join("m.safetensors"));
            n += 1;
        }
    }
    assert_eq!(n, 8);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--drift-window`: a stream whose normal level creeps upwards is flagged
/// against a rolling percentile of recent normal scores, which follows it,
/// where the fixed threshold flags every late row.
#[test]
fn drift_window_follows_a_creeping_stream() {
    let dir = scratch("drift");
    // Three columns on one line plus deterministic noise of amplitude `amp`:
    // PCA learns the line as one component and scores the noise.
    let row = |i: usize, amp: f64| {
        let t = i as f64;
        let a = (t * 1.3).sin();
        format!(
            "{},{},{}\n",
            a,
            2.0 * a + amp * (t * 0.7).cos(),
            amp * (t * 2.1).sin() - a
        )
    };
    let mut train_rows = String::from("a,b,c\n");
    (0..1000).for_each(|i| train_rows.push_str(&row(i, 0.05)));
    let mut stream = String::from("a,b,c\n");
    // The noise creeps up tenfold over 3000 rows (the scores a hundredfold).
    (0..3000).for_each(|i| {
        let amp = 0.05 * 10f64.powf(i as f64 / 3000.0);
        stream.push_str(&row(1000 + i, amp))
    });
    let (train_csv, stream_csv) = (dir.join("train.csv"), dir.join("stream.csv"));
    std::fs::write(&train_csv, train_rows).unwrap();
    std::fs::write(&stream_csv, stream).unwrap();
    let model = dir.join("m.safetensors");
    train(&["--model", "pca", "--normal-only"], &train_csv, &model);
    let score = |extra: &[&str]| {
        let out = ok(bin()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg("--data")
            .arg(&stream_csv)
            .args(extra));
        out.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let flagged_late = |lines: &[String]| {
        lines[2001..]
            .iter()
            .filter(|l| l.split(',').nth(1) == Some("1"))
            .count()
    };
    let fixed = score(&[]);
    assert_eq!(fixed[0], "score,flag");
    let rolling = score(&["--drift-window", "200"]);
    assert_eq!(rolling[0], "score,flag,threshold");
    assert_eq!(rolling.len(), 3001);
    // The window starts from the model's threshold.
    let threshold_of = |line: &str| line.split(',').nth(2).unwrap().parse::<f32>().unwrap();
    let first = threshold_of(&rolling[1]);
    assert!(rolling[1..150].iter().all(|l| threshold_of(l) == first));
    assert!(
        threshold_of(&rolling[3000]) > 2.0 * first,
        "the threshold did not follow the drift"
    );
    let (f, r) = (flagged_late(&fixed), flagged_late(&rolling));
    assert!(
        f > 900,
        "the fixed threshold should flag the drifted rows: {f}"
    );
    assert!(r < 100, "the rolling threshold should follow them: {r}");
    // Misuse is a usage error (exit code 2).
    for bad in [
        &["--drift-window", "0"][..],
        &["--drift-percentile", "99"][..],
        &["--drift-window", "10", "--drift-percentile", "120"][..],
    ] {
        let e = run(bin()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg("--data")
            .arg(&stream_csv)
            .args(bad));
        assert_eq!(e.status.code(), Some(2), "{bad:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sizes and shapes given on the command line are checked before anything is
/// allocated: too large, invalid or ignored model options are usage errors
/// (exit 2) naming the problem, never an abort (#16).
#[test]
fn oversized_invalid_and_ignored_model_options_are_usage_errors() {
    let dir = scratch("options");
    let model = dir.join("m.safetensors");
    let cases: &[&[&str]] = &[
        &["--model", "dense", "--hidden", "100000,100000"],
        &[
            "--model",
            "ensemble",
            "--members",
            "100000",
            "--hidden",
            "512,512",
        ],
        &["--model", "dense", "--hidden", "0"],
        &["--model", "dense", "--dropout", "1.5"],
        &["--model", "dense", "--dropout", "nan"],
        &["--model", "ensemble", "--members", "0"],
        &["--model", "vae", "--dropout", "0.2"],
        &["--model", "conv", "--dropout", "0.2"],
        &["--model", "knn", "--views", "same"],
        &["--model", "ensemble", "--views", "sideways"],
    ];
    for args in cases {
        let out = run(bin()
            .arg("train")
            .args(*args)
            .arg("--data")
            .arg(adbench("42_WBC.npz"))
            .arg("--out")
            .arg(&model));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!model.exists(), "{args:?} wrote a model");
    }
    let big = run(bin()
        .args([
            "train",
            "--model",
            "dense",
            "--hidden",
            "100000,100000",
            "--data",
        ])
        .arg(adbench("42_WBC.npz"))
        .arg("--out")
        .arg(&model));
    let msg = String::from_utf8_lossy(&big.stderr);
    assert!(msg.contains("at most 268435456"), "{msg}");
    let drift = run(bin()
        .args(["score", "--drift-window", "4000000000", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(adbench("42_WBC.npz")));
    assert_eq!(drift.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Outputs never destroy inputs and never become files named `-` (#16).
#[test]
fn outputs_never_overwrite_inputs_or_become_dash_files() {
    let dir = scratch("clobber");
    let model = dir.join("m.safetensors");
    train(&["--model", "pca"], adbench("42_WBC.npz"), &model);
    let model_bytes = std::fs::read(&model).unwrap();
    let (csv, _) = csv_of(&adbench("42_WBC.npz"), true);
    let data = dir.join("rows.csv");
    std::fs::write(&data, &csv).unwrap();
    // --out naming the data or the model (also through another spelling).
    for out in [data.clone(), model.clone(), dir.join(".").join("rows.csv")] {
        let r = run(bin()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&out));
        assert_eq!(r.status.code(), Some(2), "{}", out.display());
        assert!(String::from_utf8_lossy(&r.stderr).contains("destroy the input"));
    }
    assert_eq!(std::fs::read(&data).unwrap(), csv.as_bytes());
    assert_eq!(std::fs::read(&model).unwrap(), model_bytes);
    let r = run(bin()
        .current_dir(&dir)
        .args(["train", "--model", "pca", "--out", "-", "--data"])
        .arg(adbench("42_WBC.npz")));
    assert_eq!(r.status.code(), Some(2));
    let r = run(bin()
        .current_dir(&dir)
        .args(["eval", "--model", "pca", "--plot", "-", "--data"])
        .arg(adbench("42_WBC.npz")));
    assert_eq!(r.status.code(), Some(2));
    assert!(!dir.join("-").exists(), "a file named - was created");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Ctrl-C while `score` writes a file leaves no temporary file behind and
/// the destination as it was (#16).
#[cfg(unix)]
#[test]
fn interrupted_scoring_leaves_no_temporary_file() {
    use std::io::Write;
    let dir = scratch("sigint");
    let model = dir.join("m.safetensors");
    train(&["--model", "pca"], adbench("42_WBC.npz"), &model);
    let out = dir.join("scores.csv");
    std::fs::write(&out, b"previous scores\n").unwrap();
    let (csv, _) = csv_of(&adbench("42_WBC.npz"), false);
    let mut child = bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .args(["--data", "-", "--no-header", "--id-col", "0", "--out"])
        .arg(&out)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Some rows, then the input stays open: the command waits for more.
    // Held here, not in `child`: `wait` closes the child's stdin, and an
    // end of input that beat the signal's handler would finish the scores.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(csv.as_bytes()).unwrap();
    let temp_exists = || {
        std::fs::read_dir(&dir).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".aedetect-")
        })
    };
    let start = std::time::Instant::now();
    while !temp_exists() && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(temp_exists(), "the temporary output never appeared");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert!(!temp_exists(), "a temporary file was left behind");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous scores\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same data, options, seed and thread count give the same model file,
/// byte for byte: no wall-clock time in it, metadata in a fixed order (#16).
#[test]
fn identical_runs_write_identical_model_files() {
    let dir = scratch("bytes");
    let mut files = Vec::new();
    for run in 0..2 {
        let out = dir.join(format!("m{run}.safetensors"));
        ok(bin()
            .args([
                "--threads",
                "2",
                "train",
                "--model",
                "dense",
                "--epochs",
                "3",
                "--data",
            ])
            .arg(adbench("42_WBC.npz"))
            .arg("--out")
            .arg(&out));
        files.push(std::fs::read(&out).unwrap());
    }
    assert!(
        files[0] == files[1],
        "two identical runs wrote different files"
    );
    let info = ok(bin().arg("inspect").arg(dir.join("m0.safetensors")));
    assert!(!info.contains("fit_seconds"), "{info}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A finite but extreme value that overflows once scaled is an error naming
/// its row, not a NaN score flagged 0; a diverging run says it diverged (#16).
#[test]
fn overflow_and_divergence_are_named() {
    let dir = scratch("overflow");
    let model = dir.join("m.safetensors");
    train(
        &["--model", "dense", "--epochs", "2"],
        adbench("42_WBC.npz"),
        &model,
    );
    let (csv, _) = csv_of(&adbench("42_WBC.npz"), true);
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    // Row 5 (line 6): its first feature at -3.4e38.
    let mut cells: Vec<&str> = lines[5].split(',').collect();
    cells[1] = "-3.4e38";
    lines[5] = cells.join(",");
    let data = dir.join("extreme.csv");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let out = dir.join("scores.csv");
    let r = run(bin()
        .arg("score")
        .arg("--model")
        .arg(&model)
        .args(["--id-col", "id", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out));
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{msg}");
    assert!(msg.contains("row 5: its values overflow"), "{msg}");
    assert!(!out.exists());
    let r = run(bin()
        .args([
            "train", "--model", "dense", "--lr", "1e30", "--epochs", "3", "--data",
        ])
        .arg(adbench("42_WBC.npz"))
        .arg("--out")
        .arg(&model));
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{msg}");
    assert!(msg.contains("training diverged"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An over-long path is reported as what it is, not as a missing folder (#16).
#[test]
fn over_long_paths_say_so() {
    let dir = scratch("longpath");
    let out = dir.join("d".repeat(300)).join("scores.csv");
    let r = run(bin()
        .args(["train", "--model", "pca", "--data"])
        .arg(adbench("42_WBC.npz"))
        .arg("--out")
        .arg(&out));
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{msg}");
    assert!(
        msg.contains("too long") && !msg.contains("does not exist"),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
