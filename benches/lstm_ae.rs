//! The LSTM autoencoder on windows of a time series (the default series
//! detector on values alone: windows of 32 steps of one value, an encoder
//! LSTM of 32 units, a code of 8, a decoder LSTM of 32 units): one epoch of
//! training over 4,096 windows at batch 64 (MSE, Adam 1e-3), scoring the
//! 4,096, and scoring a live row (one new row in, its window scored,
//! smoothed and levelled, as `aedetect score --data -` does per line); and
//! the live row of the default where the stretch spans two weeks (the 1-D
//! conv autoencoder on the value and its four calendar columns).
//! `benches/peers/lstm_ae_torch.py` measures PyTorch on the same work.

use aedetect::detect::io::CsvSpec;
use aedetect::detect::series::{
    fit_series, read_series_from, Series, SeriesOptions, SeriesScorer, SERIES_THRESHOLD,
};
use aedetect::detect::{Detector, LstmAeConfig, ModelConfig, ScalerKind, TrainConfig};
use aedetect::tensor::{init, rng, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use std::time::Duration;

const N: usize = 4_096;
const STEPS: usize = 32;

fn one_epoch(x: &Tensor) -> Detector {
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 64,
        lr: 1e-3,
        ..TrainConfig::default()
    };
    let model = LstmAeConfig::for_steps(STEPS);
    Detector::fit(x, ScalerKind::Identity, model, &cfg, &mut |_| {}).unwrap()
}

/// A series detector on 30 days of a daily cycle of 48 rows (its stretch:
/// the first 15), with or without calendar features, its model the
/// default for that, trained briefly: the live-row bench measures scoring,
/// not what was learnt.
fn series_detector(calendar: bool) -> (Detector, Series) {
    let mut csv = String::from("timestamp,value\n");
    for i in 0..1_440 {
        let v = (i as f32 * std::f32::consts::TAU / 48.0).sin();
        csv.push_str(&format!(
            "2014-07-{:02} {:02}:{:02}:00,{v}\n",
            1 + i / 48,
            (i % 48) / 2,
            30 * (i % 2)
        ));
    }
    let spec = CsvSpec {
        header: true,
        time_col: Some("timestamp".into()),
        ..CsvSpec::default()
    };
    let series = read_series_from(csv.as_bytes(), Path::new("bench"), &spec).unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    let mut options = SeriesOptions::new(720);
    options.calendar = calendar;
    let det = fit_series(
        &series,
        "timestamp",
        &options,
        ScalerKind::Standard,
        ModelConfig::recommended_for_series(STEPS, calendar),
        &cfg,
        SERIES_THRESHOLD,
        &mut |_| {},
    )
    .unwrap()
    .detector;
    (det, series)
}

/// Scores one row at a time, after the first window's rows.
fn live_rows(c: &mut Criterion, name: &str, calendar: bool) {
    let (mut det, series) = series_detector(calendar);
    let mut scorer = SeriesScorer::new();
    let mut points = Vec::new();
    scorer
        .push(
            &mut det,
            &series.times[..STEPS],
            &series.values.select_rows(&(0..STEPS).collect::<Vec<_>>()),
            &mut points,
        )
        .unwrap();
    let rows: Vec<Tensor> = (0..series.len())
        .map(|i| Tensor::from_vec(&[1, 1], series.values.row(i).to_vec()))
        .collect();
    let mut i = STEPS;
    let mut g = c.benchmark_group("lstm_ae");
    g.sample_size(100).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function(name, |b| {
        b.iter(|| {
            // Cycling the rows keeps the values realistic; the scorer does
            // not ask the times to increase across the wrap.
            let r = i % series.len();
            points.clear();
            scorer
                .push(&mut det, &series.times[r..r + 1], &rows[r], &mut points)
                .unwrap();
            i += 1;
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut x = Tensor::zeros(&[N, STEPS]);
    init::uniform(&mut x, -1.0, 1.0, &mut rng::seeded(7));
    let mut g = c.benchmark_group("lstm_ae");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("train_4k", |b| b.iter(|| one_epoch(&x)));

    let mut det = one_epoch(&x);
    let mut out = Vec::new();
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("score_4k", |b| {
        b.iter(|| det.score_into(&x, &mut out).unwrap())
    });

    g.finish();
    // A live feed: the scorer holds the last 31 rows; each push brings one.
    live_rows(c, "score_live_row", false);
    live_rows(c, "score_live_row_calendar", true);
}

criterion_group!(benches, bench);
criterion_main!(benches);
