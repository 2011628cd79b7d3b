//! The engine's errors as Python exceptions: bad input (a value that is not
//! finite, the wrong width, no rows, options that make no model) is a
//! `ValueError` naming the row and column; a file that cannot be read or
//! written is an `OSError`.

use aedetect_detect::DetectError;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;

pub fn to_py(e: DetectError) -> PyErr {
    match e {
        // NumPy's indexing: X[row, col], both from 0.
        DetectError::NotFinite { row, col, value } => PyValueError::new_err(format!(
            "X[{row}, {col}] = {value}: every value must be finite (row {row}, column {col})"
        )),
        DetectError::WidthMismatch { got, want } => PyValueError::new_err(format!(
            "X has {got} features, but the model is expecting {want} features as input"
        )),
        DetectError::Io { .. } => PyOSError::new_err(e.to_string()),
        e => PyValueError::new_err(e.to_string()),
    }
}
