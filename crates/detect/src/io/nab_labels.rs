//! Labelled anomaly windows, as NAB lays them out: a JSON object mapping
//! each series' path below NAB's `data/` folder to a list of `[start, end]`
//! timestamp pairs (`labels/combined_windows.json`), or, for one series, the
//! list alone.

use crate::error::{DetectError, Result};
use crate::series::{parse_timestamp, TIMESTAMP_FORMATS};
use std::path::Path;

/// The windows (start and end instants, microseconds) of the series at
/// `series` in the labels file `path`: the entry whose key the series' path
/// ends with (`realKnownCause/nyc_taxi.csv` for `…/data/realKnownCause/nyc_taxi.csv`),
/// or the whole file when it is a plain list of pairs.
pub fn read_nab_windows(path: &Path, series: &Path) -> Result<Vec<(i64, i64)>> {
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON ({e})")))?;
    let (key, list) = match &json {
        serde_json::Value::Array(_) => ("the list".to_string(), &json),
        serde_json::Value::Object(map) => {
            let wanted = series.to_string_lossy().replace('\\', "/");
            let found = map
                .iter()
                .filter(|(k, _)| wanted.ends_with(k.as_str()) && !k.is_empty())
                .max_by_key(|(k, _)| k.len());
            match found {
                Some((k, v)) => (format!("`{k}`"), v),
                None => {
                    return Err(bad(format!(
                        "no entry for {}: the keys are paths such as `realKnownCause/nyc_taxi.csv`, matched against the end of the series' path",
                        series.display()
                    )))
                }
            }
        }
        _ => {
            return Err(bad(
                "expected an object of series or a list of [start, end] pairs".into(),
            ))
        }
    };
    let pairs = list
        .as_array()
        .ok_or_else(|| bad(format!("{key} is not a list of [start, end] pairs")))?;
    let stamp = |v: &serde_json::Value, k: usize, which: &str| {
        v.as_str().and_then(parse_timestamp).ok_or_else(|| {
            bad(format!(
                "{key}, window {}: its {which} {v} is not a timestamp (expected {TIMESTAMP_FORMATS})",
                k + 1
            ))
        })
    };
    pairs
        .iter()
        .enumerate()
        .map(|(k, pair)| {
            let p = pair
                .as_array()
                .filter(|p| p.len() == 2)
                .ok_or_else(|| bad(format!("{key}, window {}: not a [start, end] pair", k + 1)))?;
            let (a, b) = (stamp(&p[0], k, "start")?, stamp(&p[1], k, "end")?);
            if b.micros < a.micros {
                return Err(bad(format!(
                    "{key}, window {}: it ends before it starts",
                    k + 1
                )));
            }
            Ok((a.micros, b.micros))
        })
        .collect()
}
