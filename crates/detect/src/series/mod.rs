//! Time series: a CSV with a time column becomes trailing windows of W rows
//! (causal: the score at t reads rows up to t only), an autoencoder scores
//! each window, the errors are smoothed and flagged against a threshold set
//! on a normal stretch, and each smoothed score's level is its ratio to that
//! threshold, mapped into [0, 1).
//!
//! ```text
//! CSV ─ read.rs ─▶ Series (timestamps, values)
//!     ─ spec.rs ─▶ steps (values ⊕ calendar.rs features) ─▶ windows [W · step],
//!                  none across a gap (gap.rs)
//!     ─ detector ─▶ window error ─ smooth.rs ─▶ smoothed ─ level.rs ─▶ level
//!                                                      ├ cooldown.rs ─▶ peak ─┐
//!                                                      └ recent.rs ─▶ stands out ┴▶ alarm (flag)
//! ```
//!
//! `fit.rs` trains on the stretch at the start, `scorer.rs` scores rows as
//! they come (a file or a live feed, the same bits either way).

mod calendar;
mod cooldown;
mod fit;
mod gap;
mod level;
mod read;
mod recent;
mod scorer;
mod smooth;
mod spec;
mod time;

pub use calendar::{calendar_features, CALENDAR_FEATURES, CALENDAR_NAMES};
pub use cooldown::{Cooldown, Silence};
pub use fit::{
    calendar_by_default, calibration_rule, fit_series, floored_at_trained_windows, series_spec,
    stretch_days, SeriesFit, SeriesOptions, CALENDAR_DAYS, DEFAULT_TRAIN_FRACTION,
    FULL_CALIBRATION_PER_ROW, MAX_WIDENING, SERIES_MIN_STEPS, SERIES_THRESHOLD,
};
pub use gap::{gap_limit, is_gap, windowed_rows, GAP_FACTOR};
pub use level::level;
pub use read::{read_series, read_series_from, Series};
pub use recent::{
    RecentRank, MAX_RECENT_ROWS, RECENT_MARGIN, RECENT_MIN_ROWS, RECENT_RANK, RECENT_ROWS,
};
pub use scorer::{Point, SeriesScorer};
pub use smooth::{smooth, trailing_mean};
pub use spec::{SeriesSpec, MAX_COOLDOWN, MAX_WINDOW};
pub use time::{parse_timestamp, Timestamp, TIMESTAMP_FORMATS};
