//! End-to-end on the seed tutorial's data: training converges, the detector
//! separates anomalies, and training is bit-for-bit reproducible.

use aedetect_detect::eval::roc_auc;
use aedetect_detect::eval::seed_data;
use aedetect_detect::model::{DenseAutoencoder, Model};
use aedetect_detect::Conv1dAeConfig;
use aedetect_detect::Reconstruction;
use aedetect_detect::{
    threshold, DenseAeConfig, Detector, ModelConfig, Scaler, ScalerKind, TrainConfig,
};
use aedetect_nn::{Layer, Param, Parameters};
use aedetect_tensor::Tensor;

fn split(x: &Tensor, at: usize) -> (Tensor, Tensor) {
    let w = x.row_len();
    let a = Tensor::from_vec(&[at, w], x.rows_slice(0, at).to_vec());
    let b = Tensor::from_vec(&[x.rows() - at, w], x.rows_slice(at, x.rows()).to_vec());
    (a, b)
}

fn params(net: &dyn Layer) -> Vec<Param> {
    let mut v = Vec::new();
    net.visit_params(&mut |p| v.push(p.clone()));
    v
}

#[test]
fn training_loss_below_0_05_within_50_epochs() {
    let data = seed_data(3000, 0, 7);
    let (train, _) = split(&data.normal, 2400);
    let x = Scaler::fit(ScalerKind::Standard, &train)
        .unwrap()
        .transformed(&train)
        .unwrap();
    let mut ae = DenseAutoencoder::new(20, DenseAeConfig::seed_recipe()).unwrap();
    let mut epochs_seen = 0;
    let report = ae
        .fit(&x, &TrainConfig::default(), &mut |r| {
            epochs_seen = r.epoch;
        })
        .unwrap();
    assert_eq!(epochs_seen, 50);
    let last = *report.train_losses.last().unwrap();
    assert!(last < 0.05, "final training loss {last}");
    assert!(
        report.train_losses[0] > 5.0 * last,
        "loss did not fall: {:?}",
        report.train_losses
    );
}

#[test]
fn seed_demo_reaches_auc_0_99() {
    let data = seed_data(3000, 200, 42);
    let (train, test) = split(&data.normal, 2400);
    let mut det = Detector::fit(
        &train,
        ScalerKind::Standard,
        DenseAeConfig::seed_recipe(),
        &TrainConfig::default(),
        &mut |_| {},
    )
    .unwrap();
    let t = threshold::percentile(&det.score(&train).unwrap(), 95.0).unwrap();
    let mut scores = det.score(&test).unwrap();
    scores.extend(det.score(&data.anomalies).unwrap());
    let labels: Vec<bool> = (0..scores.len()).map(|i| i >= test.rows()).collect();
    let auc = roc_auc(&scores, &labels).unwrap();
    assert!(auc >= 0.99, "ROC-AUC {auc}");
    det.threshold = Some(t);
    let flags = det.flag(&data.anomalies).unwrap();
    let recall = flags.iter().filter(|f| **f).count() as f64 / flags.len() as f64;
    assert!(recall > 0.9, "recall at the p95 threshold {recall}");
}

fn train_once(threads: usize, seed: u64, robust: f32, dropout: f32) -> Vec<Param> {
    let data = seed_data(600, 0, 3);
    let x = Scaler::fit(ScalerKind::Standard, &data.normal)
        .unwrap()
        .transformed(&data.normal)
        .unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut ae = DenseAutoencoder::new(
            20,
            DenseAeConfig {
                seed,
                dropout,
                ..DenseAeConfig::seed_recipe()
            },
        )
        .unwrap();
        let cfg = TrainConfig {
            epochs: 5,
            seed,
            robust_drop: robust,
            validation_fraction: 0.2,
            ..TrainConfig::default()
        };
        ae.fit(&x, &cfg, &mut |_| {}).unwrap();
        params(&ae.net)
    })
}

fn same(a: &[Param], b: &[Param]) -> bool {
    a.iter().zip(b).all(|(p, q)| {
        p.value
            .data()
            .iter()
            .zip(q.value.data())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    })
}

#[test]
fn same_seed_same_model_bit_for_bit() {
    let a = train_once(2, 11, 0.1, 0.1);
    let b = train_once(2, 11, 0.1, 0.1);
    assert!(same(&a, &b), "two runs with one seed differ");
    let c = train_once(2, 12, 0.1, 0.1);
    assert!(!same(&a, &c), "different seeds gave the same model");
    let one_thread = train_once(1, 11, 0.1, 0.1);
    assert!(same(&a, &one_thread), "1 and 2 threads differ");
}

/// Training data contaminated with 6% anomalies: a plain autoencoder partly
/// learns to reconstruct them, and robust mode (dropping each batch's
/// highest-error rows from the loss) widens the gap between anomalous and
/// normal test errors. The Isolation Forest pre-filter cannot help much here —
/// these anomalies lie off the normals' 5-D subspace but inside their per-axis
/// range, where axis-aligned splits do not isolate them — so it is only
/// required not to hurt.
#[test]
fn contaminated_training_data() {
    let data = seed_data(2400, 320, 21);
    let w = 20;
    let (train_anom, test_anom) = split(&data.anomalies, 120);
    let (train_norm, test_norm) = split(&data.normal, 1800);
    let mut rows = train_norm.data().to_vec();
    rows.extend_from_slice(train_anom.data());
    let contaminated = Tensor::from_vec(&[1920, w], rows);
    // Anomaly-to-normal ratio of mean test errors: higher separates better.
    let gap = |cfg: TrainConfig| {
        let mut det = Detector::fit(
            &contaminated,
            ScalerKind::Standard,
            DenseAeConfig::seed_recipe(),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        let mean = |v: Vec<f32>| v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64;
        mean(det.score(&test_anom).unwrap()) / mean(det.score(&test_norm).unwrap())
    };
    let plain = gap(TrainConfig::default());
    let prefiltered = gap(TrainConfig {
        prefilter: 0.07,
        ..TrainConfig::default()
    });
    let robust = gap(TrainConfig {
        robust_drop: 0.1,
        ..TrainConfig::default()
    });
    eprintln!("error ratio anomalies/normals: plain {plain:.1}, pre-filtered {prefiltered:.1}, robust {robust:.1}");
    assert!(
        prefiltered > 0.9 * plain,
        "pre-filter {prefiltered} vs plain {plain}"
    );
    assert!(robust > 1.5 * plain, "robust {robust} vs plain {plain}");
}

/// The other detector kinds learn the seed data too: the 1-D convolutional
/// autoencoder and the recommended ensemble separate its anomalies.
#[test]
fn conv_and_recommended_detectors_separate_the_seed_anomalies() {
    let data = seed_data(1500, 100, 7);
    let (train, test) = split(&data.normal, 1200);
    let cfg = TrainConfig {
        lr: 1e-3,
        epochs: 30,
        ..TrainConfig::default()
    };
    for model in [
        ModelConfig::Conv1d(Conv1dAeConfig::sized_to(20)),
        ModelConfig::recommended(20),
    ] {
        let mut det = Detector::fit(
            &train,
            ScalerKind::Standard,
            model.clone(),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        let mut scores = det.score(&test).unwrap();
        scores.extend(det.score(&data.anomalies).unwrap());
        let labels: Vec<bool> = (0..scores.len()).map(|i| i >= test.rows()).collect();
        let auc = roc_auc(&scores, &labels).unwrap();
        assert!(auc >= 0.95, "{model:?}: ROC-AUC {auc}");
    }
}

/// Binary patterns: 16 "pixels" drawn from four prototypes with 5 % of the
/// pixels flipped (normal) or uniformly at random (anomalous).
fn binary_patterns(rows: usize, anomalous: bool, seed: u64) -> Tensor {
    use rand::Rng as _;
    let mut r = aedetect_tensor::rng::seeded(seed);
    let prototypes: [u16; 4] = [0x00FF, 0xF0F0, 0x3C3C, 0xAAAA];
    let mut data = Vec::with_capacity(rows * 16);
    for _ in 0..rows {
        let p = prototypes[r.random_range(0..4)];
        for bit in 0..16 {
            let on = if anomalous {
                r.random_bool(0.5)
            } else {
                ((p >> bit) & 1 == 1) ^ r.random_bool(0.05)
            };
            data.push(on as u8 as f32);
        }
    }
    Tensor::from_vec(&[rows, 16], data)
}

/// A dense autoencoder trained and scored with BCE on its output logits
/// (`Reconstruction::Bce`, min-max scaled [0, 1] data): the score is each
/// row's mean BCE, as nn's BceWithLogits computes it; it separates random
/// patterns from the learned ones; the model file says how it scores.
#[test]
fn bce_autoencoder_scores_by_mean_binary_cross_entropy() {
    use aedetect_detect::model_file::{from_bytes, to_bytes};
    use aedetect_nn::loss::BceWithLogits;
    use aedetect_nn::{Loss, Mode};
    let train = binary_patterns(800, false, 1);
    let normal = binary_patterns(200, false, 2);
    let anomalous = binary_patterns(40, true, 3);
    let ae = DenseAeConfig {
        hidden: vec![8, 4],
        reconstruction: Reconstruction::Bce,
        ..DenseAeConfig::seed_recipe()
    };
    let cfg = TrainConfig {
        epochs: 60,
        ..TrainConfig::default()
    };
    let mut det = Detector::fit(&train, ScalerKind::MinMax, ae.clone(), &cfg, &mut |_| {}).unwrap();
    let last = *det.report.train_losses.last().unwrap();
    // Flips at 5 % leave an entropy floor of about 0.2 nats per pixel.
    assert!(last < 0.35, "mean BCE {last}");

    let scores = det.score(&normal).unwrap();
    let scaled = det.scaler.transformed(&normal).unwrap();
    // The same network, its weights copied from the detector's model.
    let mut m = DenseAutoencoder::new(16, ae).unwrap();
    let mut weights = Vec::new();
    det.model
        .visit_params(&mut |p| weights.push(p.value.clone()));
    let mut i = 0;
    m.visit_params_mut(&mut |p| {
        p.value = weights[i].clone();
        i += 1;
    });
    let logits = m.net.forward(&scaled, Mode::Eval).clone();
    let mut bce = BceWithLogits::new();
    bce.forward(&logits, &scaled);
    for (s, want) in scores.iter().zip(bce.per_sample().data()) {
        assert!((s - want).abs() <= 1e-6 * want.max(1.0), "{s} vs {want}");
    }

    let all: Vec<f32> = scores
        .iter()
        .copied()
        .chain(det.score(&anomalous).unwrap())
        .collect();
    let labels: Vec<bool> = (0..all.len()).map(|i| i >= scores.len()).collect();
    let auc = roc_auc(&all, &labels).unwrap();
    assert!(auc > 0.95, "ROC-AUC {auc}");

    assert_eq!(det.model.score_kind(), "bce");
    let mut back = from_bytes(&to_bytes(&det).unwrap()).unwrap();
    let again = back.score(&normal).unwrap();
    assert_eq!(
        again.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        scores.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

/// The training loop takes any optimizer: SGD with momentum trains the seed
/// network through the same loop, and the model differs from Adam's (the
/// setting is not ignored).
#[test]
fn sgd_trains_through_the_same_loop() {
    use aedetect_detect::train::OptimizerKind;
    let data = seed_data(1000, 0, 3);
    let x = Scaler::fit(ScalerKind::Standard, &data.normal)
        .unwrap()
        .transformed(&data.normal)
        .unwrap();
    let fit = |optimizer| {
        let mut ae = DenseAutoencoder::new(20, DenseAeConfig::seed_recipe()).unwrap();
        let cfg = TrainConfig {
            epochs: 30,
            lr: 0.05,
            optimizer,
            ..TrainConfig::default()
        };
        let report = ae.fit(&x, &cfg, &mut |_| {}).unwrap();
        (report, params(&ae.net))
    };
    let (sgd, sgd_params) = fit(OptimizerKind::Sgd { momentum: 0.9 });
    let first = sgd.train_losses[0];
    let last = *sgd.train_losses.last().unwrap();
    assert!(last < 0.5 * first, "SGD loss went from {first} to {last}");
    let (_, adam_params) = fit(OptimizerKind::Adam);
    assert!(
        !same(&sgd_params, &adam_params),
        "SGD and Adam gave the same model"
    );
}
