//! Scoring a large input in parallel (one model copy per thread) gives every
//! row the same score bits as scoring it alone on one thread, for every kind
//! of model, and follows parameter changes made after the first call.

mod common;

use aedetect_detect::eval::seed_data;
use aedetect_detect::AeKnnConfig;
use aedetect_detect::Conv1dAeConfig;
use aedetect_detect::EnsembleConfig;
use aedetect_detect::IForestConfig;
use aedetect_detect::KnnConfig;
use aedetect_detect::LstmAeConfig;
use aedetect_detect::PcaConfig;
use aedetect_detect::VaeConfig;
use aedetect_detect::PARALLEL_MIN_ROWS_PER_THREAD;
use aedetect_detect::{DenseAeConfig, Detector, ModelConfig, ScalerKind, TrainConfig};
use aedetect_tensor::Tensor;

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Scores on one thread, in pieces too small for the parallel path of most
/// models (a model whose rows are more work, such as an LSTM, would split
/// them, but the pool has one thread).
fn piecewise(det: &mut Detector, x: &Tensor) -> Vec<f32> {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    one.install(|| piecewise_here(det, x))
}

fn piecewise_here(det: &mut Detector, x: &Tensor) -> Vec<f32> {
    let mut all = Vec::new();
    let step = PARALLEL_MIN_ROWS_PER_THREAD - 1;
    for start in (0..x.rows()).step_by(step) {
        let end = (start + step).min(x.rows());
        let part = Tensor::from_vec(
            &[end - start, x.row_len()],
            x.rows_slice(start, end).to_vec(),
        );
        all.extend(det.score(&part).unwrap());
    }
    all
}

#[test]
fn parallel_scores_equal_single_row_scores() {
    let data = seed_data(600, 0, 3);
    let big = seed_data(5 * PARALLEL_MIN_ROWS_PER_THREAD + 123, 50, 9);
    let mut rows = big.normal;
    rows.data_mut()[7] = 40.0; // an outlier somewhere in the first part
    let cfg = TrainConfig {
        epochs: 3,
        ..TrainConfig::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    for model in [
        ModelConfig::Dense(DenseAeConfig::seed_recipe()),
        ModelConfig::Conv1d(Conv1dAeConfig::sized_to(20)),
        ModelConfig::Vae(VaeConfig::sized_to(20)),
        ModelConfig::Pca(PcaConfig::default()),
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::Dense(DenseAeConfig::wide())),
            members: 2,
            views: Default::default(),
            combine: Default::default(),
        }),
        ModelConfig::Iforest(IForestConfig {
            trees: 20,
            ..IForestConfig::default()
        }),
        // Windows of 4 steps of 5 values: parallel from far fewer rows.
        ModelConfig::Lstm(LstmAeConfig {
            steps: 4,
            hidden: 8,
            latent: 2,
            seed: 0,
        }),
        // Parallel inside one block (the search), no replicas.
        ModelConfig::Knn(KnnConfig::default()),
        ModelConfig::Ensemble(EnsembleConfig {
            base: Box::new(ModelConfig::AeKnn(AeKnnConfig {
                min_steps: 0,
                ..AeKnnConfig::wide()
            })),
            members: 2,
            views: Default::default(),
            combine: Default::default(),
        }),
    ] {
        let mut det = Detector::fit(
            &data.normal,
            ScalerKind::Standard,
            model.clone(),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        let alone = piecewise(&mut det, &rows);
        let together = pool.install(|| det.score(&rows).unwrap());
        assert_eq!(bits(&alone), bits(&together), "{model:?}");
        // A change to the weights after the replicas exist is followed.
        det.model.visit_params_mut(&mut |p| {
            if p.name == "bias" || p.name == "reference" {
                p.value.data_mut().iter_mut().for_each(|v| *v += 0.25);
            }
        });
        let alone = piecewise(&mut det, &rows);
        let together = pool.install(|| det.score(&rows).unwrap());
        assert_eq!(bits(&alone), bits(&together), "{model:?} after a change");
    }
}

/// A bad value is reported at its own row, not at a row of the part or
/// block that met it, and the first one in row order wins whichever thread
/// finished first.
#[test]
fn parallel_errors_name_the_first_bad_row() {
    let mut det = common::seed_detector(300, 3, 1, DenseAeConfig::seed_recipe());
    let rows = 4 * PARALLEL_MIN_ROWS_PER_THREAD + 5;
    let mut x = seed_data(rows, 0, 4).normal;
    let last = rows - 2;
    x.data_mut()[last * 20 + 3] = f32::NAN;
    x.data_mut()[(rows / 2 + 1) * 20 + 17] = f32::INFINITY;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    for threads in [1, 4] {
        let err = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| det.score(&x).unwrap_err());
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("row {}, column 17", rows / 2 + 1)),
            "{threads} threads: {msg}"
        );
    }
    x.data_mut()[(rows / 2 + 1) * 20 + 17] = 0.5;
    let err = pool.install(|| det.score(&x).unwrap_err()).to_string();
    assert!(err.contains(&format!("row {last}, column 3")), "{err}");
}

/// Rows in borrowed memory (a caller's buffer, say a NumPy array) score as
/// the same rows in a tensor, on the one-block, the blocked and the
/// parallel path; a NaN is named by its row and column in the whole input.
#[test]
fn borrowed_rows_score_as_a_tensor() {
    use aedetect_detect::{DetectError, Rows};
    let data = seed_data(300, 0, 4);
    let mut det = Detector::fit(
        &data.normal,
        ScalerKind::Standard,
        DenseAeConfig::seed_recipe(),
        &TrainConfig {
            epochs: 2,
            ..TrainConfig::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let big = seed_data(3 * PARALLEL_MIN_ROWS_PER_THREAD + 7, 0, 5).normal;
    for x in [data.normal.clone(), big] {
        let want = det.score(&x).unwrap();
        let mut got = Vec::new();
        det.score_rows_into(Rows::new(x.data(), 20).unwrap(), &mut got)
            .unwrap();
        assert_eq!(bits(&got), bits(&want));
    }
    assert!(Rows::new(&[1.0; 5], 2).is_none(), "not whole rows");
    assert!(Rows::new(&[], 0).is_some_and(|r| r.rows() == 0));
    assert!(Rows::new(&[1.0], 0).is_none());
    let mut x = data.normal.to_vec();
    x[20 * 211 + 13] = f32::NAN;
    let mut out = Vec::new();
    match det.score_rows_into(Rows::new(&x, 20).unwrap(), &mut out) {
        Err(DetectError::NotFinite {
            row: 211, col: 13, ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match det.score_rows_into(Rows::new(&x[..30], 15).unwrap(), &mut out) {
        Err(DetectError::WidthMismatch { got: 15, want: 20 }) => {}
        other => panic!("{other:?}"),
    }
}

/// The default (an ensemble of autoencoders with their codes' neighbour
/// search) keeps its training rows' scores from fitting: the same bits as
/// scoring those rows afterwards, here in pieces on one thread. Kinds
/// without them say `None`.
#[test]
fn the_defaults_training_scores_are_its_scores_of_the_training_rows() {
    let x = seed_data(700, 0, 5).normal;
    let cfg = TrainConfig {
        epochs: 2,
        ..TrainConfig::default()
    };
    let quick = ModelConfig::Ensemble(EnsembleConfig {
        base: Box::new(ModelConfig::AeKnn(AeKnnConfig {
            min_steps: 0,
            ..AeKnnConfig::wide()
        })),
        members: 3,
        views: Default::default(),
        combine: Default::default(),
    });
    let mut det = Detector::fit(&x, ScalerKind::Standard, quick, &cfg, &mut |_| {}).unwrap();
    let own = det.take_training_scores().expect("kept by the fit");
    assert_eq!(bits(&own), bits(&piecewise(&mut det, &x)));
    assert!(det.take_training_scores().is_none());
    let dense = ModelConfig::Dense(DenseAeConfig::sized_to(x.row_len()));
    let mut det = Detector::fit(&x, ScalerKind::Standard, dense, &cfg, &mut |_| {}).unwrap();
    assert!(det.take_training_scores().is_none());
}
