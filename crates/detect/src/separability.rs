//! Do normal and anomalous reconstruction errors actually separate? The seed
//! tutorial's diagnostics: Welch's t-test, Cohen's d, and a verdict on the
//! model's capacity.

/// Summary of the two error distributions and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Separability {
    pub normal_mean: f64,
    pub anomaly_mean: f64,
    /// Welch's t statistic (anomaly − normal).
    pub t: f64,
    /// Two-sided p-value of Welch's t-test.
    pub p_value: f64,
    /// Cohen's d with the pooled standard deviation.
    pub cohens_d: f64,
    pub verdict: Verdict,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Normal errors low, anomaly errors clearly higher.
    Good,
    /// Both errors low: the model reconstructs anomalies too (too much capacity).
    Overpowered,
    /// Normal error high: the model cannot reconstruct even normal data.
    Underpowered,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Good => "good: normal errors low, anomalies clearly higher",
            Verdict::Overpowered => {
                "overpowered: anomalies are reconstructed almost as well as normals"
            }
            Verdict::Underpowered => "underpowered: even normal rows are reconstructed poorly",
        })
    }
}

/// Normal error at or above this fraction of the baseline (the error of
/// always predicting the mean row) means the model learned little.
pub const UNDERPOWERED_FRACTION: f64 = 0.5;
/// Anomalies must score at least this many times the normal mean error…
pub const MIN_ERROR_RATIO: f64 = 2.0;
/// …and separate by at least this Cohen's d ("medium" effect) to count as good.
pub const MIN_COHENS_D: f64 = 0.5;

/// Compares the errors of normal and anomalous rows. `baseline` is the mean
/// squared deviation of the (scaled) data from its mean — 1 for standard-scaled
/// data — against which "high" normal error is judged.
pub fn separability(normal: &[f32], anomalous: &[f32], baseline: f64) -> Option<Separability> {
    if normal.len() < 2 || anomalous.len() < 2 {
        return None;
    }
    let (m1, v1) = mean_var(normal);
    let (m2, v2) = mean_var(anomalous);
    let (n1, n2) = (normal.len() as f64, anomalous.len() as f64);
    let se2 = v1 / n1 + v2 / n2;
    let t = if se2 > 0.0 {
        (m2 - m1) / se2.sqrt()
    } else {
        0.0
    };
    // Welch–Satterthwaite degrees of freedom
    let df = se2 * se2 / ((v1 / n1).powi(2) / (n1 - 1.0) + (v2 / n2).powi(2) / (n2 - 1.0));
    let p_value = if se2 > 0.0 && df.is_finite() {
        student_t_two_sided(t, df)
    } else {
        1.0
    };
    let pooled = (((n1 - 1.0) * v1 + (n2 - 1.0) * v2) / (n1 + n2 - 2.0)).sqrt();
    let cohens_d = if pooled > 0.0 {
        (m2 - m1) / pooled
    } else {
        0.0
    };
    let verdict = if m1 >= UNDERPOWERED_FRACTION * baseline {
        Verdict::Underpowered
    } else if m2 < MIN_ERROR_RATIO * m1 || cohens_d < MIN_COHENS_D {
        Verdict::Overpowered
    } else {
        Verdict::Good
    };
    Some(Separability {
        normal_mean: m1,
        anomaly_mean: m2,
        t,
        p_value,
        cohens_d,
        verdict,
    })
}

/// Mean and sample variance (n − 1).
fn mean_var(x: &[f32]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().map(|v| *v as f64).sum::<f64>() / n;
    let v = x.iter().map(|v| (*v as f64 - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom:
/// I_{df/(df+t²)}(df/2, 1/2).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// Regularised incomplete beta I_x(a, b), by its continued fraction evaluated
/// with the modified Lentz method (using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
/// where the fraction converges faster).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction 1/(1+ d₁/(1+ d₂/(1+ …))) of the incomplete beta.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        // even step d_{2m}, then odd step d_{2m+1}
        for num in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + num * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + num / c;
            c = if c.abs() < TINY { TINY } else { c };
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms), with the
/// reflection formula below ½.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut acc = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        acc += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + acc.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_and_t_distribution_reference_values() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // scipy.stats.t.sf(2.0, 10) * 2 = 0.07338803477074
        assert!((student_t_two_sided(2.0, 10.0) - 0.073_388_034_770_74).abs() < 1e-10);
        // t = 0 → p = 1; large t → tiny p
        assert!((student_t_two_sided(0.0, 5.0) - 1.0).abs() < 1e-12);
        assert!(student_t_two_sided(30.0, 100.0) < 1e-40);
    }

    #[test]
    fn verdicts() {
        let normal: Vec<f32> = (0..100).map(|i| 0.1 + 0.001 * (i % 10) as f32).collect();
        let far: Vec<f32> = (0..50).map(|i| 2.0 + 0.01 * (i % 7) as f32).collect();
        let near: Vec<f32> = (0..50).map(|i| 0.11 + 0.001 * (i % 7) as f32).collect();
        let s = separability(&normal, &far, 1.0).unwrap();
        assert_eq!(s.verdict, Verdict::Good);
        assert!(s.p_value < 1e-10 && s.cohens_d > 5.0);
        assert_eq!(
            separability(&normal, &near, 1.0).unwrap().verdict,
            Verdict::Overpowered
        );
        let high: Vec<f32> = normal.iter().map(|v| v + 0.8).collect();
        assert_eq!(
            separability(&high, &far, 1.0).unwrap().verdict,
            Verdict::Underpowered
        );
    }
}
