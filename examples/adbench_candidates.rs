//! Candidates for the tabular default that are not model configs, measured
//! under the same protocol as `examples/adbench.rs` (RESULTS.md keeps both
//! tables):
//!
//! * **bagged AE+code×5**: feature bagging (Lazarevic & Kumar, 2005). Each
//!   of five AE+code members (the default's until session 23: at least
//!   5,000 steps, every code kept) sees a random
//!   subset of d/2 to d − 1 of the standardised features; scores averaged as
//!   standardised scores, as the ensemble does.
//! * **kNN on normal scores**: the 5th-neighbour distance after the normal
//!   score map (`preprocess/normal_scores.rs`) instead of standard scaling.
//! * **members calibrated by rank**: the default's five members until
//!   session 23 (the
//!   second and fourth reading normal scores), each member's score mapped
//!   to its normal score among its own training scores before averaging,
//!   instead of standardised by their mean and deviation: a label-free
//!   weighting that gives a member with a heavy-tailed score distribution
//!   no less say than one with a light tail. **members standardised** is the
//!   same five members combined as the ensemble does, so the two columns
//!   differ only in the rule.
//!
//! Run: `cargo run --release --example adbench_candidates [-- DIR ...] [--only NAME,NAME] [--seeds N]`

mod adbench_common;

use adbench_common::{member_until_session_23, Args};
use aedetect::detect::eval::{evaluate_with, Evaluation, ScoreFn};
use aedetect::detect::io::read_dataset;
use aedetect::detect::model::KnnConfig;
use aedetect::detect::preprocess::NormalScores;
use aedetect::detect::threshold::mean_and_std;
use aedetect::detect::{
    Combine, Detector, EnsembleConfig, MemberViews, ModelConfig, Result, ScalerKind, TrainConfig,
};
use aedetect::tensor::Tensor;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The columns `cols` of `x`'s rows.
fn columns(x: &Tensor, cols: &[usize]) -> Tensor {
    let mut out = Tensor::zeros(&[x.rows(), cols.len()]);
    for (o, row) in out
        .data_mut()
        .chunks_exact_mut(cols.len())
        .zip(x.data().chunks_exact(x.row_len()))
    {
        for (o, &j) in o.iter_mut().zip(cols) {
            *o = row[j];
        }
    }
    out
}

/// (s − mean) / std of the training scores `train`.
fn standardise(train: &[f32], s: &mut [f32]) {
    let (mean, sd) = mean_and_std(train);
    let sd = sd.max(1e-12);
    for v in s {
        *v = ((*v as f64 - mean) / sd) as f32;
    }
}

/// Five AE+code members on random feature subsets.
fn bagged(normals: &Tensor, seed: u64) -> Result<ScoreFn> {
    let d = normals.row_len();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0xba66ed);
    let mut members = Vec::new();
    for m in 0..5u64 {
        let mut cols: Vec<usize> = (0..d).collect();
        if d > 2 {
            cols.shuffle(&mut rng);
            cols.truncate(rng.random_range(d / 2..d));
            cols.sort_unstable();
        }
        let x = columns(normals, &cols);
        let member_seed = seed.wrapping_mul(31).wrapping_add(m);
        let train = TrainConfig {
            seed: member_seed,
            lr: 1e-3,
            ..TrainConfig::default()
        };
        let config = ModelConfig::AeKnn(member_until_session_23()).with_seed(member_seed);
        let mut det = Detector::fit(&x, ScalerKind::Standard, config, &train, &mut |_| {})?;
        let own = det.score(&x)?;
        members.push((det, cols, own));
    }
    Ok(Box::new(move |rows: &Tensor| {
        let mut total = vec![0.0f32; rows.rows()];
        let inv = 1.0 / members.len() as f32;
        for (det, cols, own) in members.iter_mut() {
            let mut s = det.score(&columns(rows, cols))?;
            standardise(own, &mut s);
            for (t, v) in total.iter_mut().zip(&s) {
                *t += v * inv;
            }
        }
        Ok(total)
    }))
}

/// The default's five members until session 23, fitted apart: members 1 and 3 (from 0) read
/// normal scores. Each with its training rows' scores.
fn default_members(normals: &Tensor, seed: u64) -> Result<Vec<(Detector, Vec<f32>)>> {
    (0..5u64)
        .map(|m| {
            let member_seed = seed.wrapping_mul(31).wrapping_add(m);
            let train = TrainConfig {
                seed: member_seed,
                lr: 1e-3,
                ..TrainConfig::default()
            };
            let member = ModelConfig::AeKnn(member_until_session_23());
            // A one-member ensemble reading normal scores is that member
            // behind the map (its standardising is linear, so ranks keep).
            let config = if m % 2 == 1 {
                ModelConfig::Ensemble(EnsembleConfig {
                    base: Box::new(member),
                    members: 1,
                    views: MemberViews::NormalScores,
                    combine: Combine::Standardised,
                })
            } else {
                member
            }
            .with_seed(member_seed);
            let mut det =
                Detector::fit(normals, ScalerKind::Standard, config, &train, &mut |_| {})?;
            let own = det.score(normals)?;
            Ok((det, own))
        })
        .collect()
}

/// The default's members, each score standardised by its training scores.
fn members_standardised(normals: &Tensor, seed: u64) -> Result<ScoreFn> {
    let mut members = default_members(normals, seed)?;
    Ok(Box::new(move |rows: &Tensor| {
        let mut total = vec![0.0f32; rows.rows()];
        for (det, own) in members.iter_mut() {
            let mut s = det.score(rows)?;
            standardise(own, &mut s);
            for (t, v) in total.iter_mut().zip(&s) {
                *t += v / 5.0;
            }
        }
        Ok(total)
    }))
}

/// The default's members, each score mapped to its normal score among the
/// member's training scores.
fn members_calibrated_by_rank(normals: &Tensor, seed: u64) -> Result<ScoreFn> {
    let members = default_members(normals, seed)?;
    let mut calibrated = Vec::new();
    for (det, own) in members {
        let mut map = NormalScores::new(1);
        map.fit(&Tensor::from_vec(&[own.len(), 1], own))?;
        calibrated.push((det, map));
    }
    Ok(Box::new(move |rows: &Tensor| {
        let mut total = vec![0.0f32; rows.rows()];
        let mut z = Tensor::default();
        for (det, map) in calibrated.iter_mut() {
            let s = det.score(rows)?;
            map.transform_into(&Tensor::from_vec(&[s.len(), 1], s), &mut z);
            for (t, v) in total.iter_mut().zip(z.data()) {
                *t += v / 5.0;
            }
        }
        Ok(total)
    }))
}

/// kNN (k = 5) on the normal scores of the training rows.
fn knn_on_normal_scores(normals: &Tensor, seed: u64) -> Result<ScoreFn> {
    let mut map = NormalScores::new(normals.row_len());
    map.fit(normals)?;
    let mut mapped = Tensor::default();
    map.transform_into(normals, &mut mapped);
    let train = TrainConfig {
        seed,
        ..TrainConfig::default()
    };
    let config = ModelConfig::Knn(KnnConfig::default());
    let mut det = Detector::fit(&mapped, ScalerKind::Identity, config, &train, &mut |_| {})?;
    Ok(Box::new(move |rows: &Tensor| {
        map.transform_into(rows, &mut mapped);
        det.score(&mapped)
    }))
}

type Candidate = fn(&Tensor, u64) -> Result<ScoreFn>;

/// A metric of an evaluation.
type Metric = fn(&Evaluation) -> f64;

fn main() {
    let args = Args::from_env("adbench_candidates");
    let all: [(&str, Candidate); 4] = [
        ("bagged AE+code×5", bagged),
        ("kNN on normal scores", knn_on_normal_scores),
        ("members standardised", members_standardised),
        ("members calibrated by rank", members_calibrated_by_rank),
    ];
    let candidates: Vec<(&str, Candidate)> = all.into_iter().filter(|c| args.wants(c.0)).collect();
    let names: Vec<&str> = candidates.iter().map(|c| c.0).collect();
    println!("| data set | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(candidates.len()));
    let mut means: Vec<Vec<Evaluation>> = vec![Vec::new(); candidates.len()];
    for f in &args.files {
        let data = read_dataset(f).unwrap_or_else(|e| {
            eprintln!("adbench_candidates: {e}");
            std::process::exit(1);
        });
        let labels = data.labels.expect("ADBench files have y");
        let mut cells = Vec::new();
        for (i, (name, fit)) in candidates.iter().enumerate() {
            let runs = args
                .seeds
                .iter()
                .map(|&seed| evaluate_with(&data.x, &labels, seed, &mut |x, s| fit(x, s)))
                .collect::<Result<Vec<_>>>()
                .unwrap_or_else(|e| {
                    eprintln!("adbench_candidates: {}: {name}: {e}", f.display());
                    std::process::exit(1);
                });
            let mean = Evaluation::mean(&runs);
            cells.push(format!(
                "{:.3} / {:.3} / {:.3}",
                mean.roc_auc, mean.average_precision, mean.recall
            ));
            means[i].push(mean);
        }
        let name = f.file_stem().unwrap_or_default().to_string_lossy();
        println!("| {name} | {} |", cells.join(" | "));
    }
    let metrics: [(&str, Metric); 3] = [
        ("**mean ROC-AUC**", |e| e.roc_auc),
        ("mean AP", |e| e.average_precision),
        ("mean recall at p99", |e| e.recall),
    ];
    for (label, f) in metrics {
        let cells: Vec<String> = means
            .iter()
            .map(|m| {
                format!(
                    "{:.3}",
                    m.iter().map(f).sum::<f64>() / m.len().max(1) as f64
                )
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}
