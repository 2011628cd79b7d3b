//! NumPy `.npz` archives: a zip (stored or deflated) of `.npy` members. The
//! ADBench files hold `X` (rows × features) and `y` (1 = anomaly).

use super::npy::{self, NpyArray};
use super::Dataset;
use crate::error::{DetectError, Result};
use aedetect_tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// Every member of an `.npz` file as (name without `.npy`, array).
pub fn read_members(path: &Path) -> Result<Vec<(String, NpyArray)>> {
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| bad(format!("not a readable .npz (zip) archive: {e}")))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip
            .by_index(i)
            .map_err(|e| bad(format!("member {i}: {e}")))?;
        let name = member.name().trim_end_matches(".npy").to_string();
        let mut bytes = Vec::with_capacity(member.size().min(1 << 30) as usize);
        member
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("member {name}: {e}")))?;
        let array = npy::parse(&bytes).map_err(|e| bad(format!("member {name}: {e}")))?;
        out.push((name, array));
    }
    Ok(out)
}

/// Reads `X` (2-D) and, if present, `y` (one value per row; non-zero = anomaly).
pub fn read_dataset(path: &Path) -> Result<Dataset> {
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let mut x = None;
    let mut y = None;
    for (name, array) in read_members(path)? {
        match name.as_str() {
            "X" => x = Some(array),
            "y" => y = Some(array),
            _ => {}
        }
    }
    let x = x.ok_or_else(|| bad("no array named X".into()))?;
    if x.shape.len() != 2 {
        return Err(bad(format!(
            "X has shape {:?}, expected 2-D (rows, features)",
            x.shape
        )));
    }
    if x.shape[0] == 0 || x.shape[1] == 0 {
        return Err(bad(format!("X is empty (shape {:?})", x.shape)));
    }
    let labels = match y {
        None => None,
        Some(y) if y.data.len() == x.shape[0] => Some(y.data.iter().map(|v| *v != 0.0).collect()),
        Some(y) => {
            return Err(bad(format!(
                "y has {} values for {} rows of X",
                y.data.len(),
                x.shape[0]
            )))
        }
    };
    let t = Tensor::from_vec(&x.shape, x.data);
    crate::scaler::check_finite(&t).map_err(|e| bad(e.to_string()))?;
    Ok(Dataset { x: t, labels })
}
