//! A table read from a user's file, and the choice of reader by file name.

use super::{csv, npy, npz};
use crate::error::{DetectError, Result};
use std::path::Path;

/// A table of rows: features and, when known, anomaly labels and row ids.
#[derive(Clone, Debug)]
pub struct Table {
    pub x: aedetect_tensor::Tensor,
    pub labels: Option<Vec<bool>>,
    pub ids: Option<Vec<String>>,
    /// Feature column names ("0", "1", … where the file has none).
    pub features: Vec<String>,
}

/// Column names for files that have none: the 0-based column index.
pub fn index_names(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// The formats [`read_table`] understands, from a file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Npy,
    Npz,
}

impl FileKind {
    pub fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("csv") | Some("txt") => Ok(FileKind::Csv),
            Some("npy") => Ok(FileKind::Npy),
            Some("npz") => Ok(FileKind::Npz),
            _ => Err(DetectError::Format {
                path: path.to_path_buf(),
                reason: "unknown file type; expected .csv, .npy or .npz".into(),
            }),
        }
    }
}

/// Reads a `.csv`, `.npy` or `.npz` file. `spec` applies to CSV; for NumPy
/// files only its `features` (a width check) and `keep_missing` are used, and
/// label or id columns are an error (an `.npz` carries labels as `y`).
pub fn read_table(path: &Path, spec: &csv::CsvSpec) -> Result<Table> {
    let kind = FileKind::of(path)?;
    if kind != FileKind::Csv && (spec.label_col.is_some() || spec.id_col.is_some()) {
        return Err(DetectError::Format {
            path: path.to_path_buf(),
            reason: "label and id columns apply to CSV files; an .npz carries labels as `y`".into(),
        });
    }
    let table = match kind {
        FileKind::Csv => return csv::read_csv(path, spec),
        FileKind::Npy => npy::read_matrix(path, spec.keep_missing)?,
        FileKind::Npz => npz::read_table(path, spec.keep_missing)?,
    };
    if let Some(want) = &spec.features {
        if want.len() != table.x.row_len() {
            return Err(DetectError::Format {
                path: path.to_path_buf(),
                reason: format!(
                    "{} columns, but the model expects {}",
                    table.x.row_len(),
                    want.len()
                ),
            });
        }
    }
    Ok(table)
}

/// The first non-finite value of `x` as an error naming the file, row and
/// column (1-based, as a person counts them).
pub(crate) fn check_finite_in(path: &Path, x: &aedetect_tensor::Tensor) -> Result<()> {
    crate::preprocess::check_finite(x).map_err(|e| match e {
        DetectError::NotFinite { row, col, value } => DetectError::Format {
            path: path.to_path_buf(),
            reason: format!(
                "row {}, column {}: value {value} is not finite (use --impute mean to fill missing values)",
                row + 1,
                col + 1
            ),
        },
        other => other,
    })
}
