//! The seed's pre-filter for contaminated training data: drop the rows an
//! Isolation Forest grown on the data itself finds most isolated, before an
//! autoencoder learns "normal" from them.

use crate::error::{DetectError, Result};
use crate::model::{IForestConfig, IsolationForest};
use aedetect_tensor::Tensor;

/// The seed's pre-filter: the rows of `x` without the `fraction` most isolated
/// ones (by an Isolation Forest grown on `x` itself).
pub fn drop_most_isolated(x: &Tensor, fraction: f32, config: IForestConfig) -> Result<Tensor> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(DetectError::Config(format!(
            "pre-filter fraction must be in [0, 1), got {fraction}"
        )));
    }
    let scores = IsolationForest::fit(x, config)?.score(x)?;
    let mut order: Vec<usize> = (0..x.rows()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    let keep = x.rows() - (x.rows() as f32 * fraction).floor() as usize;
    let mut kept = order[..keep].to_vec();
    kept.sort_unstable();
    Ok(x.select_rows(&kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::blob_with_outliers;

    #[test]
    fn pre_filter_drops_the_outliers() {
        let x = blob_with_outliers();
        let kept = drop_most_isolated(&x, 0.01, IForestConfig::default()).unwrap();
        assert_eq!(kept.rows(), 299);
        assert!(
            kept.data().iter().all(|v| v.abs() < 1.0),
            "an outlier survived the pre-filter"
        );
    }
}
