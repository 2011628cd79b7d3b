//! Reading a series: a CSV file with a time column and one or more value
//! columns, rows in strictly increasing time order.

use super::Timestamp;
use crate::error::{DetectError, Result};
use crate::io::{CsvReader, CsvSpec};
use aedetect_tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// A whole series in memory.
#[derive(Clone, Debug)]
pub struct Series {
    pub times: Vec<Timestamp>,
    /// The time column as written, for the output.
    pub stamps: Vec<String>,
    /// The value columns, [rows, columns].
    pub values: Tensor,
    pub columns: Vec<String>,
    /// Each row's anomaly label from `CsvSpec::label_col`; empty without one.
    pub labels: Vec<bool>,
    /// Rows whose timestamp did not come after the previous row's, kept in
    /// file order (only with `CsvSpec::allow_time_disorder`), and the first
    /// one's line.
    pub disorders: (usize, u64),
}

impl Series {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// Reads a series from a CSV file; `spec.time_col` names the time column
/// (every other column but the label and id columns is a value column,
/// unless `spec.features` lists them).
pub fn read_series(path: &Path, spec: &CsvSpec) -> Result<Series> {
    let file = std::fs::File::open(path).map_err(|source| DetectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_series_from(std::io::BufReader::new(file), path, spec)
}

/// As [`read_series`], from a stream; `source` names it in errors.
pub fn read_series_from<R: Read>(input: R, source: &Path, spec: &CsvSpec) -> Result<Series> {
    if spec.time_col.is_none() {
        return Err(DetectError::Config("a series needs a time column".into()));
    }
    let mut reader = CsvReader::new(input, source, spec)?;
    let (mut values, mut labels, mut ids) = (Tensor::default(), Vec::new(), Vec::new());
    let n = reader.read_batch(usize::MAX, &mut values, &mut labels, &mut ids)?;
    if n == 0 {
        return Err(DetectError::Format {
            path: source.to_path_buf(),
            reason: "no data rows (only a header)".into(),
        });
    }
    Ok(Series {
        times: reader.times().to_vec(),
        stamps: reader.time_texts().to_vec(),
        values,
        columns: reader.feature_names().to_vec(),
        labels,
        disorders: reader.time_disorders(),
    })
}
