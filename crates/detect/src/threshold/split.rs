//! Splits that keep threshold choice away from test data.
//!
//! The three-way split: train (normals only) / calibration (normals + some
//! anomalies, where the threshold is set) / test (where it is measured).

use aedetect_tensor::rng;
use rand::seq::SliceRandom;

/// Row indices of the three parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreeWaySplit {
    pub train: Vec<usize>,
    pub calibration: Vec<usize>,
    pub test: Vec<usize>,
}

impl ThreeWaySplit {
    /// Shuffles normals and anomalies (seeded) and splits the normals by
    /// `normal_train` / `normal_calibration` (the rest to test) and the
    /// anomalies by `anomaly_calibration` (the rest to test; none to train).
    ///
    /// The ADBench protocol is `new(labels, seed, 0.6, 0.2, 0.5)`.
    pub fn new(
        labels: &[bool],
        seed: u64,
        normal_train: f64,
        normal_calibration: f64,
        anomaly_calibration: f64,
    ) -> Self {
        let mut r = rng::seeded(seed);
        let mut normals: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i]).collect();
        let mut anomalies: Vec<usize> = (0..labels.len()).filter(|&i| labels[i]).collect();
        normals.shuffle(&mut r);
        anomalies.shuffle(&mut r);
        let n_train = (normals.len() as f64 * normal_train).round() as usize;
        let n_cal = ((normals.len() as f64 * normal_calibration).round() as usize)
            .min(normals.len() - n_train);
        let a_cal = (anomalies.len() as f64 * anomaly_calibration).round() as usize;
        let mut s = ThreeWaySplit {
            train: normals[..n_train].to_vec(),
            calibration: normals[n_train..n_train + n_cal].to_vec(),
            test: normals[n_train + n_cal..].to_vec(),
        };
        s.calibration.extend_from_slice(&anomalies[..a_cal]);
        s.test.extend_from_slice(&anomalies[a_cal..]);
        s
    }

    /// The evaluation protocol of the ADBench comparison: normals 60/20/20,
    /// anomalies 50/50 between calibration and test.
    pub fn adbench(labels: &[bool], seed: u64) -> Self {
        Self::new(labels, seed, 0.6, 0.2, 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_without_overlap_and_no_anomaly_in_train() {
        let labels: Vec<bool> = (0..100).map(|i| i % 10 == 0).collect();
        let s = ThreeWaySplit::adbench(&labels, 3);
        assert_eq!(
            (s.train.len(), s.calibration.len(), s.test.len()),
            (54, 18 + 5, 18 + 5)
        );
        assert!(s.train.iter().all(|&i| !labels[i]));
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.calibration)
            .chain(&s.test)
            .copied()
            .collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(s, ThreeWaySplit::adbench(&labels, 3));
        assert_ne!(s, ThreeWaySplit::adbench(&labels, 4));
    }
}
