//! `aedetect eval`: the evaluation protocol of the ADBench comparison on the
//! user's labelled data — for each seed, normals split 60/20/20 (train /
//! calibration / test) and anomalies 50/50 (calibration / test); the scaler
//! and model fit on the train normals only; the threshold set on the
//! calibration split (by default its normals' 99th percentile); metrics on the
//! test split; the mean over seeds.

use crate::args::{EvalArgs, Impute};
use crate::cmd::{check_output, Dash};

use crate::error::CliError;
use crate::progress::Progress;
use crate::{input, model_choice};
use aedetect_detect::eval::histogram_svg;
use aedetect_detect::eval::{evaluate_with_rule, Evaluation, ScoreFn};
use aedetect_detect::preprocess::{fill_missing, finite_column_means};
use aedetect_detect::threshold::ThreeWaySplit;
use aedetect_detect::{io, Detector};
use aedetect_tensor::Tensor;

pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    if args.seeds.is_empty() {
        return Err(CliError::usage("--seeds needs at least one seed"));
    }
    if args.data.time_col.is_some() {
        return crate::cmd::eval_series::run(args);
    }
    if let Some(p) = &args.plot {
        check_output(p, "--plot", Dash::Refused, &[&args.data.data])?;
    }
    let input::Input { table, image } = input::read(&args.data)?;
    let labels = table.labels.clone().ok_or_else(|| {
        CliError::usage(match image {
            Some(_) if args.data.data.is_dir() => "eval needs labels: put the normal images in a sub-folder good/ (or normal/) and the anomalies in other sub-folders",
            Some(_) => "eval needs labels: name the IDX label file and the normal classes, e.g. --labels t10k-labels-idx1-ubyte.gz --normal-label 0",
            None => "eval needs labels: an .npz with y, or a CSV with --label-col NAME",
        })
    })?;
    let d = table.x.row_len();
    let anomalies = labels.iter().filter(|l| **l).count();
    let model = model_choice::model_config(&args.model, d, image, None, 0)?;
    let train = model_choice::train_config(&args.model, 0)?;
    let steps = args
        .seeds
        .iter()
        .map(|&seed| {
            let rows = ThreeWaySplit::adbench(&labels, seed).train.len();
            model.progress_steps(d, rows, &train)
        })
        .sum();
    let mut progress = Progress::new("evaluating", steps, args.progress);
    let impute = args.data.impute == Some(Impute::Mean);

    let mut runs = Vec::new();
    let mut described = String::new();
    for &seed in &args.seeds {
        let run = evaluate_with_rule(
            &table.x,
            &labels,
            seed,
            args.rule(),
            &mut |normals: &Tensor, seed| -> aedetect_detect::Result<ScoreFn> {
                // Missing values are filled with the train normals' means, so
                // nothing of the calibration or test rows leaks into training.
                let fill = if impute {
                    Some(finite_column_means(normals, &table.features)?)
                } else {
                    None
                };
                let mut normals = normals.clone();
                if let Some(f) = &fill {
                    fill_missing(&mut normals, f);
                }
                let cfg = aedetect_detect::TrainConfig {
                    seed,
                    ..train.clone()
                };
                let mut det = Detector::fit(
                    &normals,
                    model_choice::scaler_kind(&args.model, image.is_some()),
                    model.with_seed(seed),
                    &cfg,
                    &mut |r| progress.epoch(r),
                )?;
                described = det.model.describe();
                Ok(Box::new(move |rows: &Tensor| match &fill {
                    Some(f) => {
                        let mut rows = rows.clone();
                        fill_missing(&mut rows, f);
                        det.score(&rows)
                    }
                    None => det.score(rows),
                }))
            },
        )?;
        runs.push((seed, run));
    }
    progress.finish();
    let all: Vec<Evaluation> = runs.iter().map(|(_, r)| r.clone()).collect();
    let mean = Evaluation::mean(&all);

    if let Some(path) = &args.plot {
        let first = &runs[0].1;
        let pick = |anomaly: bool| -> Vec<f32> {
            first
                .test_scores
                .iter()
                .zip(&first.test_labels)
                .filter(|(_, l)| **l == anomaly)
                .map(|(s, _)| *s)
                .collect()
        };
        let svg = histogram_svg(
            &format!(
                "{}: test scores, seed {} ({} threshold)",
                args.data.data.display(),
                runs[0].0,
                args.rule()
            ),
            &pick(false),
            &pick(true),
            Some(first.threshold as f32),
        );
        io::write_atomic(path, svg.as_bytes())?;
    }

    if args.json {
        let run_json = |seed: Option<u64>, e: &Evaluation| {
            let mut v = serde_json::json!({
                "roc_auc": e.roc_auc,
                "average_precision": e.average_precision,
                "precision": e.precision,
                "recall": e.recall,
                "threshold": e.threshold,
                "fit_seconds": e.fit_seconds,
                "score_seconds": e.score_seconds,
            });
            if let Some(s) = seed {
                v["seed"] = s.into();
            }
            v
        };
        let mut out = run_json(None, &mean);
        out["data"] = args.data.data.display().to_string().into();
        out["rows"] = table.x.rows().into();
        out["features"] = d.into();
        out["anomalies"] = anomalies.into();
        out["model"] = described.into();
        out["model_config"] = serde_json::to_value(&model).expect("config serialises");
        out["threshold_rule"] = args.rule().to_string().into();
        out["seeds"] = args.seeds.clone().into();
        out["runs"] = runs
            .iter()
            .map(|(s, e)| run_json(Some(*s), e))
            .collect::<Vec<_>>()
            .into();
        if let Some(p) = &args.plot {
            out["plot"] = p.display().to_string().into();
        }
        println!("{out}");
        return Ok(());
    }
    println!(
        "{}: {} rows, {d} features, {anomalies} anomalies",
        args.data.data.display(),
        table.x.rows()
    );
    println!("detector: {described}");
    println!(
        "protocol: train on 60 % of normals, threshold {} on calibration (20 % normals + 50 % anomalies), test on the rest",
        args.rule()
    );
    println!();
    println!(
        "{:>6}  {:>7}  {:>7}  {:>9}  {:>7}  {:>10}  {:>8}  {:>8}",
        "seed", "ROC-AUC", "AP", "precision", "recall", "threshold", "fit s", "score s"
    );
    let line = |label: &str, e: &Evaluation| {
        println!(
            "{label:>6}  {:>7.3}  {:>7.3}  {:>9.3}  {:>7.3}  {:>10.4}  {:>8.2}  {:>8.4}",
            e.roc_auc,
            e.average_precision,
            e.precision,
            e.recall,
            e.threshold,
            e.fit_seconds,
            e.score_seconds
        )
    };
    for (s, e) in &runs {
        line(&s.to_string(), e);
    }
    if runs.len() > 1 {
        line("mean", &mean);
    }
    if let Some(p) = &args.plot {
        println!("\nhistogram written to {}", p.display());
    }
    Ok(())
}
