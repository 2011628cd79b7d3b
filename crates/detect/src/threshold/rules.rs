//! Rules that set the threshold from calibration scores: a percentile of the
//! normals, mean + k·σ of the normals, the normals' maximum plus k spreads,
//! or the best F1 on labelled rows.

/// The q-th percentile (q in [0, 100]) with linear interpolation between
/// order statistics (NumPy's default), ignoring NaN. `None` if no values.
pub fn percentile(scores: &[f32], q: f64) -> Option<f32> {
    let mut v: Vec<f32> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(percentile_of_sorted(&v, q))
}

/// [`percentile`] of values already sorted ascending (none NaN, at least one).
pub(super) fn percentile_of_sorted(v: &[f32], q: f64) -> f32 {
    let pos = (q.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = (pos - lo as f64) as f32;
    v[lo] + (v[hi] - v[lo]) * frac
}

/// mean + k·σ of the scores (population σ).
pub fn mean_k_std(scores: &[f32], k: f64) -> Option<f32> {
    if scores.is_empty() {
        return None;
    }
    let (mean, std) = mean_and_std(scores);
    Some((mean + k * std) as f32)
}

/// Mean and population standard deviation of scores, summed in f64 (0 and
/// 0 for none).
pub fn mean_and_std(scores: &[f32]) -> (f64, f64) {
    let n = scores.len().max(1) as f64;
    let mean = scores.iter().map(|s| *s as f64).sum::<f64>() / n;
    let var = scores
        .iter()
        .map(|s| (*s as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// The spread of the upper half of sorted scores, max − median, the scale
/// of "how far past the largest normal score": robust to the lower half's
/// shape, and positive even when the scores tie (then a thousandth of the
/// maximum's size, at least 1e-12).
pub fn tail_spread(sorted: &[f32]) -> f32 {
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let median = sorted[sorted.len() / 2];
    [max - median, max - min, max.abs() * 1e-3, 1e-12]
        .into_iter()
        .find(|&v| v > 0.0 && v.is_finite())
        .unwrap_or(1e-12)
}

/// max + k·(max − median) of the scores, ignoring NaN: a threshold past
/// everything the calibration rows showed, by k of their upper half's
/// spreads, so that only what is clearly beyond them is flagged. Where
/// each alarm has a price (a series' operator, NAB), the percentiles flag
/// a share of normal rows by construction; this flags none of them.
pub fn max_k_spread(scores: &[f32], k: f64) -> Option<f32> {
    let mut v: Vec<f32> = scores.iter().copied().filter(|s| !s.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let max = v[v.len() - 1];
    Some((f64::from(max) + k * f64::from(tail_spread(&v))) as f32)
}

/// The threshold maximising F1 on labelled calibration data (normals and a
/// few known anomalies). Candidates lie midway between consecutive distinct
/// scores, so the result does not sit exactly on a calibration point.
pub fn best_f1(scores: &[f32], labels: &[bool]) -> Option<f32> {
    assert_eq!(
        scores.len(),
        labels.len(),
        "best_f1: scores and labels differ in length"
    );
    let positives = labels.iter().filter(|l| **l).count();
    if positives == 0 || scores.is_empty() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    // Sweep from the highest score down; after each group of equal scores the
    // flagged set is "everything seen so far".
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best = (-1.0f64, f32::INFINITY);
    for (rank, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let next = order.get(rank + 1).map(|&j| scores[j]);
        if next == Some(scores[i]) {
            continue;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (positives - tp)) as f64;
        if f1 > best.0 {
            let below = next.unwrap_or(scores[i] - 1.0);
            best = (f1, below + (scores[i] - below) / 2.0);
        }
    }
    Some(best.1)
}

/// A rule for setting the threshold from calibration scores, as a user names
/// it: `p99`, `p95`, `p99.5` (percentile of the calibration normals),
/// `mean+3std` (mean + k·σ of the calibration normals), `max+4spread` (the
/// normals' maximum + k·(maximum − median)) or `f1` (best F1 on labelled
/// calibration rows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ThresholdRule {
    Percentile(f64),
    MeanKStd(f64),
    MaxKSpread(f64),
    BestF1,
}

impl ThresholdRule {
    /// Whether the rule needs known anomalies among the calibration rows.
    pub fn needs_anomalies(&self) -> bool {
        matches!(self, ThresholdRule::BestF1)
    }

    /// The threshold from calibration scores and their labels (`true` =
    /// anomaly). Percentile and mean + k·σ use the normals only. `None` when
    /// the calibration rows cannot support the rule (no normals; for `f1`, no
    /// anomalies).
    pub fn apply(&self, scores: &[f32], labels: &[bool]) -> Option<f32> {
        let normals: Vec<f32> = scores
            .iter()
            .zip(labels)
            .filter(|(_, l)| !**l)
            .map(|(s, _)| *s)
            .collect();
        match *self {
            ThresholdRule::Percentile(q) => percentile(&normals, q),
            ThresholdRule::MeanKStd(k) => mean_k_std(&normals, k),
            ThresholdRule::MaxKSpread(k) => max_k_spread(&normals, k),
            ThresholdRule::BestF1 => best_f1(scores, labels),
        }
    }
}

impl std::str::FromStr for ThresholdRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "unknown threshold rule `{s}` (expected p99, p95, pNN, mean+3std, mean+Kstd, max+Kspread or f1)"
            )
        };
        let t = s.trim().to_ascii_lowercase();
        if t == "f1" {
            return Ok(ThresholdRule::BestF1);
        }
        if let Some(q) = t.strip_prefix('p') {
            let q: f64 = q.parse().map_err(|_| bad())?;
            return if (0.0..=100.0).contains(&q) {
                Ok(ThresholdRule::Percentile(q))
            } else {
                Err(format!("percentile {q} is outside 0–100"))
            };
        }
        if let Some(k) = t.strip_prefix("mean+").and_then(|r| r.strip_suffix("std")) {
            let k: f64 = k.parse().map_err(|_| bad())?;
            return if k.is_finite() {
                Ok(ThresholdRule::MeanKStd(k))
            } else {
                Err(bad())
            };
        }
        if let Some(k) = t
            .strip_prefix("max+")
            .and_then(|r| r.strip_suffix("spread"))
        {
            let k: f64 = k.parse().map_err(|_| bad())?;
            return if k.is_finite() && k >= 0.0 {
                Ok(ThresholdRule::MaxKSpread(k))
            } else {
                Err(bad())
            };
        }
        Err(bad())
    }
}

impl std::fmt::Display for ThresholdRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ThresholdRule::Percentile(q) => write!(f, "p{q}"),
            ThresholdRule::MeanKStd(k) => write!(f, "mean+{k}std"),
            ThresholdRule::MaxKSpread(k) => write!(f, "max+{k}spread"),
            ThresholdRule::BestF1 => write!(f, "f1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert_eq!(percentile(&v, 100.0), Some(4.0));
        assert!((percentile(&v, 95.0).unwrap() - 3.85).abs() < 1e-6);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn best_f1_separates_clean_case() {
        let scores = [0.1, 0.2, 0.3, 0.9, 1.0];
        let labels = [false, false, false, true, true];
        let t = best_f1(&scores, &labels).unwrap();
        assert!(t > 0.3 && t < 0.9, "{t}");
    }

    #[test]
    fn rules_parse_print_and_apply() {
        for (text, rule) in [
            ("p99", ThresholdRule::Percentile(99.0)),
            ("P95", ThresholdRule::Percentile(95.0)),
            ("p99.5", ThresholdRule::Percentile(99.5)),
            ("mean+3std", ThresholdRule::MeanKStd(3.0)),
            ("max+4spread", ThresholdRule::MaxKSpread(4.0)),
            ("MAX+0.5SPREAD", ThresholdRule::MaxKSpread(0.5)),
            ("f1", ThresholdRule::BestF1),
        ] {
            let parsed: ThresholdRule = text.parse().unwrap();
            assert_eq!(parsed, rule);
            assert_eq!(parsed.to_string().parse::<ThresholdRule>().unwrap(), rule);
        }
        for bad in [
            "p101",
            "q9",
            "mean+xstd",
            "",
            "pnan",
            "max+-1spread",
            "max+4",
        ] {
            assert!(bad.parse::<ThresholdRule>().is_err(), "{bad}");
        }
        let scores = [1.0, 2.0, 3.0, 10.0];
        let labels = [false, false, false, true];
        assert_eq!(
            ThresholdRule::Percentile(100.0).apply(&scores, &labels),
            Some(3.0)
        );
        // Normals 1, 2, 3: maximum 3, spread 3 − 2.
        assert_eq!(
            ThresholdRule::MaxKSpread(4.0).apply(&scores, &labels),
            Some(7.0)
        );
        assert_eq!(max_k_spread(&[5.0, 5.0], 1.0), Some(5.005));
        assert_eq!(max_k_spread(&[f32::NAN], 1.0), None);
        let f1 = ThresholdRule::BestF1.apply(&scores, &labels).unwrap();
        assert!(f1 > 3.0 && f1 < 10.0);
        assert_eq!(ThresholdRule::BestF1.apply(&scores, &[false; 4]), None);
    }

    #[test]
    fn mean_k_std_value() {
        assert_eq!(mean_k_std(&[1.0, 3.0], 1.0), Some(3.0));
    }
}
