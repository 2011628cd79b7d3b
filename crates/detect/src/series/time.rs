//! Timestamps of a series: NAB's `2014-07-01 00:00:00` (fractional seconds
//! allowed, a `T` in place of the space too) and RFC 3339
//! (`2014-07-01T00:00:00Z`, `2014-07-01T02:00:00+02:00`).
//!
//! A stamp keeps two readings: the instant (microseconds since 1970 UTC),
//! which orders rows, and the wall-clock time as written (time of day and
//! weekday), which the calendar features read. A stamp without an offset is
//! taken as UTC for ordering; its wall clock is what it says either way, so
//! "9:00" means the 9:00 the people who wrote the file saw.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timestamp {
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    pub micros: i64,
    /// Seconds since the local midnight, as written (fraction included).
    pub day_seconds: f64,
    /// Day of the week as written, 0 = Monday … 6 = Sunday.
    pub weekday: u8,
}

/// The formats [`parse_timestamp`] accepts, for error messages.
pub const TIMESTAMP_FORMATS: &str =
    "`2014-07-01 00:00:00` (seconds optional, fraction allowed) or RFC 3339 such as `2014-07-01T00:00:00Z`";

/// Reads one timestamp; `None` if `text` is not one of the accepted forms.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(of(t.naive_local(), t.timestamp_micros()));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(of(t, t.and_utc().timestamp_micros()));
        }
    }
    None
}

fn of(wall: NaiveDateTime, micros: i64) -> Timestamp {
    let day_seconds = f64::from(wall.num_seconds_from_midnight())
        + f64::from(wall.nanosecond().min(999_999_999)) * 1e-9;
    Timestamp {
        micros,
        day_seconds,
        weekday: wall.weekday().num_days_from_monday() as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nab_and_rfc3339_stamps_read_as_the_same_instant() {
        let nab = parse_timestamp("2014-07-01 00:00:00").unwrap();
        let frac = parse_timestamp("2014-07-01 00:00:00.000000").unwrap();
        let z = parse_timestamp("2014-07-01T00:00:00Z").unwrap();
        let short = parse_timestamp("2014-07-01 00:00").unwrap();
        assert_eq!(nab, frac);
        assert_eq!(nab, z);
        assert_eq!(nab, short);
        assert_eq!(nab.micros, 1_404_172_800_000_000);
        // 2014-07-01 was a Tuesday.
        assert_eq!(nab.weekday, 1);
        assert_eq!(nab.day_seconds, 0.0);
    }

    #[test]
    fn an_offset_moves_the_instant_but_not_the_wall_clock() {
        let local = parse_timestamp("2014-07-01T09:30:00+02:00").unwrap();
        let utc = parse_timestamp("2014-07-01T07:30:00Z").unwrap();
        assert_eq!(local.micros, utc.micros);
        assert_eq!(local.day_seconds, 9.5 * 3600.0);
        assert_eq!(utc.day_seconds, 7.5 * 3600.0);
        let t = parse_timestamp("2014-07-01 12:00:00.25").unwrap();
        assert_eq!(t.day_seconds, 12.0 * 3600.0 + 0.25);
    }

    #[test]
    fn what_is_not_a_timestamp_is_refused() {
        for bad in [
            "",
            "2014-07-01",
            "2014-13-01 00:00:00",
            "2014-07-01 25:00:00",
            "yesterday",
            "1404172800",
            "2014-07-01 00:00:00 junk",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
