//! Calendar features: where a timestamp sits in its day and its week, as
//! points on two circles, so 23:59 lies next to 00:00 and Sunday next to
//! Monday. With them a model can learn that a spike normal at 9:00 on a
//! Tuesday is anomalous at 3:00 on a Sunday.
//!
//!   h = hour of day (fraction included) ∈ [0, 24),  w = weekday + h/24 ∈ [0, 7)
//!   features = [sin 2πh/24, cos 2πh/24, sin 2πw/7, cos 2πw/7]

use super::Timestamp;
use std::f64::consts::TAU;

/// Calendar features per timestamp.
pub const CALENDAR_FEATURES: usize = 4;

/// The names of the calendar columns, in order.
pub const CALENDAR_NAMES: [&str; CALENDAR_FEATURES] =
    ["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"];

/// Writes `t`'s calendar features into `out` (length [`CALENDAR_FEATURES`]).
pub fn calendar_features(t: &Timestamp, out: &mut [f32]) {
    let day = t.day_seconds / 86_400.0;
    let week = (f64::from(t.weekday) + day) / 7.0;
    let (hs, hc) = (TAU * day).sin_cos();
    let (ws, wc) = (TAU * week).sin_cos();
    out.copy_from_slice(&[hs as f32, hc as f32, ws as f32, wc as f32]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::parse_timestamp;

    fn features(text: &str) -> [f32; 4] {
        let mut out = [0.0; 4];
        calendar_features(&parse_timestamp(text).unwrap(), &mut out);
        out
    }

    #[test]
    fn hours_and_weekdays_sit_on_circles() {
        // Monday 00:00: the start of both circles.
        let f = features("2014-06-30 00:00:00");
        assert_eq!(f, [0.0, 1.0, 0.0, 1.0]);
        // 06:00 is a quarter of the day.
        let f = features("2014-06-30 06:00:00");
        assert!((f[0] - 1.0).abs() < 1e-6 && f[1].abs() < 1e-6, "{f:?}");
        // Sunday 23:59:59 sits next to Monday 00:00 on both circles.
        let a = features("2014-07-06 23:59:59");
        let b = features("2014-07-07 00:00:00");
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-3, "{a:?} {b:?}");
        }
        // The same hour on another day: the same hour features, other weekday ones.
        let c = features("2014-07-09 00:00:00");
        assert_eq!(c[..2], b[..2]);
        assert!((c[2] - b[2]).abs() > 0.5);
    }
}
