//! The seed tutorial's synthetic sensor data.
//!
//! Normal rows: 5 latent factors z ~ N(0, I) mixed into 20 sensors by a fixed
//! random matrix M (5×20, entries N(0, 1)), plus N(0, 0.1²) noise: x = z·M + e.
//! Anomalies: every sensor N(0, 2²), independent — they do not lie near the
//! 5-dimensional subspace the normals occupy.

use aedetect_tensor::{init, rng, Tensor};

pub const SENSORS: usize = 20;
pub const FACTORS: usize = 5;
pub const NOISE_STD: f32 = 0.1;
pub const ANOMALY_STD: f32 = 2.0;

/// Normal rows and anomaly rows, generated from one seed.
pub struct SeedData {
    pub normal: Tensor,
    pub anomalies: Tensor,
}

/// `n_normal` normal rows and `n_anomalies` anomalies (the seed uses 3000 and 200).
pub fn seed_data(n_normal: usize, n_anomalies: usize, seed: u64) -> SeedData {
    let mut r = rng::seeded(seed);
    let mut mixing = Tensor::zeros(&[FACTORS, SENSORS]);
    init::normal(&mut mixing, 0.0, 1.0, &mut r);
    let mut z = Tensor::zeros(&[n_normal, FACTORS]);
    init::normal(&mut z, 0.0, 1.0, &mut r);
    let mut normal = Tensor::zeros(&[n_normal, SENSORS]);
    init::normal(&mut normal, 0.0, NOISE_STD, &mut r);
    // x = z·M + e
    normal.mat_mut().add_product(z.mat(), mixing.mat());
    let mut anomalies = Tensor::zeros(&[n_anomalies, SENSORS]);
    init::normal(&mut anomalies, 0.0, ANOMALY_STD, &mut r);
    SeedData { normal, anomalies }
}

/// 300 rows on a small 3-D curve and two far outliers (rows 300 and 301):
/// the unit tests' data for isolation.
#[cfg(test)]
pub(crate) fn blob_with_outliers() -> Tensor {
    let mut data = Vec::new();
    for i in 0..300 {
        let t = i as f32 * 0.37;
        data.extend_from_slice(&[t.sin() * 0.5, t.cos() * 0.5, (t * 1.3).sin() * 0.5]);
    }
    data.extend_from_slice(&[8.0, -7.0, 9.0, -9.0, 8.5, -8.0]);
    Tensor::from_vec(&[302, 3], data)
}
