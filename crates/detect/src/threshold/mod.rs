//! Choosing the score above which a row is flagged. A row is anomalous when
//! its score is strictly greater than the threshold.
//!
//! Thresholds must be set on data the model was not trained on and never on
//! the test data: [`ThreeWaySplit`] keeps training, calibration and test rows
//! apart.
//!
//! * `rules.rs` — percentile, mean + k·σ, best F1; [`ThresholdRule`] names them;
//! * `rolling.rs` — [`RollingThreshold`], the percentile of a rolling window (drift);
//! * `split.rs` — [`ThreeWaySplit`], train / calibration / test.

mod rolling;
mod rules;
mod split;

pub use rolling::RollingThreshold;
pub use rules::{
    best_f1, max_k_spread, mean_and_std, mean_k_std, percentile, tail_spread, ThresholdRule,
};
pub use split::ThreeWaySplit;
