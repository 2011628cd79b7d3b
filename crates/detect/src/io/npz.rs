//! NumPy `.npz` archives: a zip (stored or deflated) of `.npy` members. The
//! ADBench files hold `X` (rows × features) and `y` (1 = anomaly).

use super::npy::{self, NpyArray};
use super::{check_finite_in, index_names, Table};
use crate::error::{DetectError, Result};
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

/// Reads `X` (2-D) and, if present, `y` (one value per row; non-zero =
/// anomaly). Non-finite values are an error naming the row and column unless
/// `keep_missing`.
pub fn read_table(path: &Path, keep_missing: bool) -> Result<Table> {
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
    let x = npy::matrix(x).map_err(|r| bad(format!("X {r}")))?;
    let labels = match y {
        None => None,
        Some(y) if y.data.len() == x.rows() => Some(y.data.iter().map(|v| *v != 0.0).collect()),
        Some(y) => {
            return Err(bad(format!(
                "y has {} values for {} rows of X",
                y.data.len(),
                x.rows()
            )))
        }
    };
    if !keep_missing {
        check_finite_in(path, &x)?;
    }
    Ok(Table {
        features: index_names(x.row_len()),
        x,
        labels,
        ids: None,
    })
}

/// [`read_table`] without missing values: the labelled data sets of ADBench.
pub fn read_dataset(path: &Path) -> Result<Table> {
    read_table(path, false)
}
