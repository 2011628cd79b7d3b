//! `aedetect train`: fit the scaler and the model on normal rows, set the
//! threshold on held-out calibration rows, save the model.
//!
//! Rows are split 80/20 (seeded): the model trains on the first part's normal
//! rows and the threshold is set on the second part, which the model never
//! saw. With labels, every known anomaly goes to the calibration part (for
//! the `f1` rule and the calibration report) and none to training.

use crate::args::{Impute, TrainArgs};
use crate::cmd::{check_output, series, Dash};
use crate::error::CliError;
use crate::progress::Progress;
use crate::{input, model_choice};
use aedetect_detect::eval::{roc_auc, Confusion};
use aedetect_detect::io::FileKind;
use aedetect_detect::preprocess::{fill_missing, finite_column_means};
use aedetect_detect::threshold::ThreeWaySplit;
use aedetect_detect::{model_file, Detector};
use std::time::Instant;

/// Robust training's drop fraction when the data may hold anomalies.
const UNLABELLED_ROBUST_DROP: f32 = 0.05;

pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    check_output(&args.out, "--out", Dash::Refused, &[&args.data.data])?;
    if args.data.time_col.is_some() {
        return series::train(args);
    }
    let input::Input { table, image } = input::read(&args.data)?;
    let n = table.x.rows();
    let d = table.x.row_len();
    if table.labels.is_some() && args.normal_only {
        return Err(CliError::usage(
            "--normal-only says every row is normal, but the data has labels; pass one or the other",
        ));
    }
    let labelled = table.labels.is_some();
    if args.rule().needs_anomalies() && !labelled {
        return Err(CliError::usage(
            "--threshold f1 needs known anomalies: pass --label-col (or an .npz with y)",
        ));
    }
    let labels = table.labels.clone().unwrap_or_else(|| vec![false; n]);
    let split = ThreeWaySplit::new(&labels, args.seed, 0.8, 0.2, 1.0);
    let cal_normals = split.calibration.iter().filter(|&&i| !labels[i]).count();
    if split.train.len() < 2 || cal_normals == 0 {
        return Err(CliError::failed(format!(
            "{}: {} normal rows are too few to train on 80 % and calibrate the threshold on 20 %",
            args.data.data.display(),
            split.train.len() + cal_normals
        )));
    }
    let mut train_x = table.x.select_rows(&split.train);
    let mut cal_x = table.x.select_rows(&split.calibration);
    let cal_labels: Vec<bool> = split.calibration.iter().map(|&i| labels[i]).collect();
    if args.data.impute == Some(Impute::Mean) {
        let means = finite_column_means(&train_x, &table.features)?;
        let filled = fill_missing(&mut train_x, &means) + fill_missing(&mut cal_x, &means);
        if filled > 0 {
            eprintln!("aedetect: filled {filled} missing values with training column means");
        }
    }

    let model = model_choice::model_config(&args.model, d, image, None, args.seed)?;
    let mut train_cfg = model_choice::train_config(&args.model, args.seed)?;
    if !labelled && !args.normal_only && args.model.robust.is_none() {
        train_cfg.robust_drop = UNLABELLED_ROBUST_DROP;
        eprintln!(
            "aedetect: no labels and no --normal-only: treating the data as possibly contaminated \
             (robust training drops each batch's worst {:.0} %)",
            UNLABELLED_ROBUST_DROP * 100.0
        );
    }
    let steps = model.progress_steps(d, train_x.rows(), &train_cfg);
    let mut progress = Progress::new("training", steps, args.progress);
    let start = Instant::now();
    let mut det = Detector::fit(
        &train_x,
        model_choice::scaler_kind(&args.model, image.is_some()),
        model,
        &train_cfg,
        &mut |r| progress.epoch(r),
    )?;
    progress.finish();
    let fit_seconds = start.elapsed().as_secs_f64();

    let cal_scores = det.score(&cal_x)?;
    let threshold = args.rule().apply(&cal_scores, &cal_labels).ok_or_else(|| {
        CliError::failed("the calibration rows cannot support this threshold rule")
    })?;
    det.threshold = Some(threshold);
    if image.is_none() && FileKind::of(&args.data.data)? == FileKind::Csv && !args.data.no_header {
        det.features = table.features.clone();
    }
    let mut info = vec![
        ("data", args.data.data.display().to_string()),
        ("rows", n.to_string()),
        ("train_rows", split.train.len().to_string()),
        ("calibration_rows", split.calibration.len().to_string()),
        ("labelled", labelled.to_string()),
        ("threshold_rule", args.rule().to_string()),
        ("seed", args.seed.to_string()),
        ("epochs", train_cfg.epochs.to_string()),
        ("batch", train_cfg.batch_size.to_string()),
        ("lr", train_cfg.lr.to_string()),
        ("robust_drop", train_cfg.robust_drop.to_string()),
        (
            "impute",
            args.data
                .impute
                .map_or("none".to_string(), |_| "mean".to_string()),
        ),
        ("threads", rayon::current_num_threads().to_string()),
        ("image", image.map_or(String::new(), |s| s.to_string())),
        ("aedetect_version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    // A model with a step budget (the default) trains past --epochs on
    // small data and short of it on large: say how far (the first
    // network's epochs, for an ensemble).
    let trained = det.report.train_losses.len();
    if trained != train_cfg.epochs && trained > 0 {
        info.push((
            "epochs_trained",
            format!("{trained} (the model's budget of optimizer steps)"),
        ));
    }
    det.info = info
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    model_file::save(&det, &args.out)?;

    let what = match image {
        Some(s) => format!("images of {s}"),
        None => format!("rows × {d} features"),
    };
    println!(
        "trained {} on {} {what} in {fit_seconds:.2} s",
        det.model.describe(),
        split.train.len()
    );
    if let Some(loss) = det.report.train_losses.last() {
        println!("final training loss {loss:.5}");
    }
    println!(
        "threshold {threshold} ({} on {} calibration rows)",
        args.rule(),
        split.calibration.len()
    );
    let c = Confusion::at(&cal_scores, &cal_labels, threshold);
    if labelled && c.tp + c.fn_ > 0 {
        println!(
            "calibration rows (not a test: the threshold was set on them): ROC-AUC {:.3}, precision {:.3}, recall {:.3}, F1 {:.3}",
            roc_auc(&cal_scores, &cal_labels).unwrap_or(f64::NAN),
            c.precision(),
            c.recall(),
            c.f1()
        );
    } else {
        println!(
            "{:.1} % of calibration rows lie above it",
            100.0 * (c.tp + c.fp) as f64 / cal_scores.len() as f64
        );
    }
    println!("model written to {}", args.out.display());
    Ok(())
}
