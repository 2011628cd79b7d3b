//! Measuring a detector honestly on held-out labelled data.
//!
//! * `metrics.rs` — ROC-AUC, average precision, confusion counts, precision/recall/F1;
//! * `separability.rs` — Welch's t-test, Cohen's d, rank separation, the capacity verdict;
//! * `protocol.rs` — the ADBench protocol (three-way split, calibration, test metrics, seeds);
//! * `plot.rs` — the error histogram as SVG; `series_plot.rs` — a scored
//!   series, its threshold, labelled windows and alarms as SVG;
//! * `nab.rs` — the Numenta Anomaly Benchmark's score and event counts;
//! * `image_grid.rs` — rows of images as one picture; `heatmap.rs` — an
//!   image with its per-pixel reconstruction error laid over it;
//! * `synthetic.rs` — the seed tutorial's synthetic sensor data.

mod heatmap;
mod image_grid;
mod metrics;
mod nab;
mod plot;
mod protocol;
mod separability;
mod series_plot;
mod synthetic;

pub use heatmap::{heatmap, pixel_errors};
pub use image_grid::image_grid;
pub use metrics::{average_precision, roc_auc, Confusion};
pub use nab::{
    nab_at, nab_best, nab_events, nab_windows, probationary_rows, window_rows, NabEvents,
    NabProfile, NabScore, NabSeries, WindowVerdict, NAB_PROFILES,
};
pub use plot::histogram_svg;
pub use protocol::{
    evaluate, evaluate_seed, evaluate_with, evaluate_with_rule, Evaluation, ScoreFn,
};
pub use separability::{
    baseline_error, incomplete_beta, ln_gamma, separability, student_t_two_sided, Separability,
    Verdict, GOOD_SEPARATION, UNDERPOWERED_LEVEL,
};
pub use series_plot::{series_svg, SeriesPlot};
#[cfg(test)]
pub(crate) use synthetic::blob_with_outliers;
pub use synthetic::{seed_data, SeedData, ANOMALY_STD, FACTORS, NOISE_STD, SENSORS};
