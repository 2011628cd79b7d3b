//! The evaluation protocol used to compare detectors on labelled data
//! (`../shared/datasets/README.md`): for each seed, split normals 60/20/20 and
//! anomalies 50/50 between calibration and test; fit the scaler and train on
//! the train normals only; threshold = 99th percentile of the calibration
//! normals' scores; report ROC-AUC, average precision, precision and recall on
//! the test split; average over seeds.

use super::metrics::{average_precision, roc_auc, Confusion};
use crate::detector::Detector;
use crate::error::{DetectError, Result};
use crate::model::ModelConfig;
use crate::preprocess::ScalerKind;
use crate::threshold::{ThreeWaySplit, ThresholdRule};
use crate::train::TrainConfig;
use aedetect_tensor::Tensor;
use std::time::Instant;

/// Results of one seed (or their mean).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    pub roc_auc: f64,
    pub average_precision: f64,
    pub precision: f64,
    pub recall: f64,
    pub threshold: f64,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    /// The test split's scores and labels (empty in a mean of several runs).
    pub test_scores: Vec<f32>,
    pub test_labels: Vec<bool>,
}

impl Evaluation {
    /// Element-wise mean of several evaluations.
    pub fn mean(all: &[Evaluation]) -> Evaluation {
        let n = all.len().max(1) as f64;
        let sum = |f: fn(&Evaluation) -> f64| all.iter().map(f).sum::<f64>() / n;
        Evaluation {
            roc_auc: sum(|e| e.roc_auc),
            average_precision: sum(|e| e.average_precision),
            precision: sum(|e| e.precision),
            recall: sum(|e| e.recall),
            threshold: sum(|e| e.threshold),
            fit_seconds: sum(|e| e.fit_seconds),
            score_seconds: sum(|e| e.score_seconds),
            test_scores: Vec::new(),
            test_labels: Vec::new(),
        }
    }
}

/// A fitted detector's scoring function.
pub type ScoreFn = Box<dyn FnMut(&Tensor) -> Result<Vec<f32>>>;

/// Runs the protocol for one seed with any detector: `fit(train_normals, seed)`
/// returns the function that scores rows.
pub fn evaluate_with(
    x: &Tensor,
    labels: &[bool],
    seed: u64,
    fit: &mut dyn FnMut(&Tensor, u64) -> Result<ScoreFn>,
) -> Result<Evaluation> {
    evaluate_with_rule(x, labels, seed, ThresholdRule::Percentile(99.0), fit)
}

/// [`evaluate_with`] with another threshold rule applied to the calibration
/// split (its normals, or for [`ThresholdRule::BestF1`] all its rows).
pub fn evaluate_with_rule(
    x: &Tensor,
    labels: &[bool],
    seed: u64,
    rule: ThresholdRule,
    fit: &mut dyn FnMut(&Tensor, u64) -> Result<ScoreFn>,
) -> Result<Evaluation> {
    if labels.len() != x.rows() {
        return Err(DetectError::Config(format!(
            "{} labels for {} rows",
            labels.len(),
            x.rows()
        )));
    }
    let split = ThreeWaySplit::adbench(labels, seed);
    let cal_has_normals = split.calibration.iter().any(|&i| !labels[i]);
    if split.train.is_empty() || !cal_has_normals || !split.test.iter().any(|&i| labels[i]) {
        return Err(DetectError::Empty(
            "too few normals or anomalies for the 60/20/20 protocol".into(),
        ));
    }
    let start = Instant::now();
    let mut score = fit(&x.select_rows(&split.train), seed)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let cal_scores = score(&x.select_rows(&split.calibration))?;
    let cal_labels: Vec<bool> = split.calibration.iter().map(|&i| labels[i]).collect();
    let threshold = rule.apply(&cal_scores, &cal_labels).ok_or_else(|| {
        DetectError::Empty(format!(
            "the calibration split cannot support the {rule} threshold rule"
        ))
    })?;
    let start = Instant::now();
    let test_scores = score(&x.select_rows(&split.test))?;
    let score_seconds = start.elapsed().as_secs_f64();
    let test_labels: Vec<bool> = split.test.iter().map(|&i| labels[i]).collect();
    let c = Confusion::at(&test_scores, &test_labels, threshold);
    Ok(Evaluation {
        roc_auc: roc_auc(&test_scores, &test_labels).unwrap_or(f64::NAN),
        average_precision: average_precision(&test_scores, &test_labels).unwrap_or(f64::NAN),
        precision: c.precision(),
        recall: c.recall(),
        threshold: threshold as f64,
        fit_seconds,
        score_seconds,
        test_scores,
        test_labels,
    })
}

/// Runs the protocol for one seed with a reconstruction detector (scaler +
/// model); the model's and training's seeds are set to `seed`.
pub fn evaluate_seed(
    x: &Tensor,
    labels: &[bool],
    model: &ModelConfig,
    train: &TrainConfig,
    seed: u64,
) -> Result<Evaluation> {
    evaluate_with(x, labels, seed, &mut |normals, seed| {
        let cfg = TrainConfig {
            seed,
            ..train.clone()
        };
        let mut det = Detector::fit(
            normals,
            ScalerKind::Standard,
            model.with_seed(seed),
            &cfg,
            &mut |_| {},
        )?;
        Ok(Box::new(move |rows: &Tensor| det.score(rows)))
    })
}

/// The protocol over several seeds; returns the per-seed results and their mean.
pub fn evaluate(
    x: &Tensor,
    labels: &[bool],
    model: &ModelConfig,
    train: &TrainConfig,
    seeds: &[u64],
) -> Result<(Vec<Evaluation>, Evaluation)> {
    let runs = seeds
        .iter()
        .map(|&s| evaluate_seed(x, labels, model, train, s))
        .collect::<Result<Vec<_>>>()?;
    let mean = Evaluation::mean(&runs);
    Ok((runs, mean))
}
