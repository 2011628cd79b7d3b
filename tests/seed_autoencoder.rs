//! End-to-end on the seed tutorial's data: training converges, the detector
//! separates anomalies, and training is bit-for-bit reproducible.

use aedetect::detect::metrics::roc_auc;
use aedetect::detect::synthetic::seed_data;
use aedetect::detect::train::train_autoencoder;
use aedetect::detect::{
    threshold, AeConfig, DenseAutoencoder, Detector, Scaler, ScalerKind, TrainConfig,
};
use aedetect::nn::{Layer, Param};
use aedetect::tensor::Tensor;

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
    let mut ae = DenseAutoencoder::new(20, AeConfig::seed_recipe()).unwrap();
    let mut epochs_seen = 0;
    let report = train_autoencoder(&mut ae.net, &x, &TrainConfig::default(), &mut |r| {
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
        AeConfig::seed_recipe(),
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
            AeConfig {
                seed,
                dropout,
                ..AeConfig::seed_recipe()
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
        train_autoencoder(&mut ae.net, &x, &cfg, &mut |_| {}).unwrap();
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
