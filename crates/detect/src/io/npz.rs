//! NumPy `.npz` archives: a zip (stored or deflated) of `.npy` members. The
//! ADBench files hold `X` (rows × features) and `y` (1 = anomaly).

use super::npy::{self, NpyArray};
use super::{check_finite_in, index_names, Table};
use crate::error::{DetectError, Result};
use std::io::Read;
use std::path::Path;

/// The members named in `names` (without `.npy`) that the archive holds, as
/// arrays; other members are never inflated. Each member is read only as
/// far as its `.npy` header declares (and that header is bounded by
/// [`max_values`](super::max_values)): a member whose zip entry declares more, or that
/// inflates to more, is an error — a zip bomb costs nothing.
pub fn read_members(path: &Path, names: &[&str]) -> Result<Vec<(String, NpyArray)>> {
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
    for &name in names {
        let mut member = match zip.by_name(&format!("{name}.npy")) {
            Ok(m) => m,
            Err(zip::result::ZipError::FileNotFound) => continue,
            Err(e) => return Err(bad(format!("member {name}: {e}"))),
        };
        let declared = member.size();
        let array =
            read_bounded(&mut member, declared).map_err(|e| bad(format!("member {name}: {e}")))?;
        out.push((name.to_string(), array));
    }
    Ok(out)
}

/// Reads one `.npy` stream that its zip entry says holds `declared` bytes,
/// never more than its own header declares.
fn read_bounded(r: &mut impl Read, declared: u64) -> std::result::Result<NpyArray, String> {
    let io = |e: std::io::Error| e.to_string();
    let mut bytes = vec![0u8; 10];
    r.read_exact(&mut bytes)
        .map_err(|_| "truncated .npy header".to_string())?;
    if bytes[6] >= 2 {
        bytes.resize(12, 0);
        r.read_exact(&mut bytes[10..])
            .map_err(|_| "truncated .npy header".to_string())?;
    }
    let (_, header_end) = npy::header_span(&bytes)?;
    let have = bytes.len();
    bytes.resize(header_end, 0);
    r.read_exact(&mut bytes[have..])
        .map_err(|_| "truncated .npy header".to_string())?;
    let total = npy::header(&bytes)?.total_len();
    if declared > total as u64 {
        return Err(format!(
            "its zip entry declares {declared} bytes, its array header {total}"
        ));
    }
    bytes.reserve_exact(total - bytes.len());
    // One byte past the declared end tells a member that inflates further.
    r.take((total - bytes.len()) as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > total {
        return Err(format!(
            "inflates past the {total} bytes its array header declares"
        ));
    }
    npy::parse(&bytes)
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
    for (name, array) in read_members(path, &["X", "y"])? {
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
        Some(y) => Some(labels_of(&y, x.rows()).map_err(bad)?),
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

/// `y` as one label per row of X: shape `(n,)` or `(n, 1)`, every value 0
/// (normal) or 1 (anomaly); anything else — NaN included — is an error
/// naming the row.
fn labels_of(y: &NpyArray, rows: usize) -> std::result::Result<Vec<bool>, String> {
    let column = match y.shape[..] {
        [n] | [n, 1] => n,
        _ => return Err(format!("y has shape {:?}; expected ({rows},)", y.shape)),
    };
    if column != rows {
        return Err(format!("y has {column} values for {rows} rows of X"));
    }
    y.data
        .iter()
        .enumerate()
        .map(|(i, v)| match *v {
            0.0 => Ok(false),
            1.0 => Ok(true),
            v => Err(format!(
                "y row {}: {v} is not a label (0 = normal, 1 = anomaly)",
                i + 1
            )),
        })
        .collect()
}

/// [`read_table`] without missing values: the labelled data sets of ADBench.
pub fn read_dataset(path: &Path) -> Result<Table> {
    read_table(path, false)
}
