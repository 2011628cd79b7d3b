//! NumPy matrices in, NumPy vectors out.
//!
//! A C-ordered float32 matrix is scored where it lies: its rows are
//! borrowed, not copied. Any other layout or dtype (Fortran order, a strided
//! view, float64) is converted once into a float32 copy, since the engine
//! computes in f32 over rows laid end to end.
//!
//! While the GIL is released the engine reads the borrowed rows; a Python
//! thread that writes into the same array meanwhile races with it, as with
//! any NumPy extension that releases the GIL. Don't.

use aedetect_detect::Rows;
use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Rows of a NumPy matrix, borrowed or converted.
pub enum Matrix<'py> {
    Borrowed(PyReadonlyArray2<'py, f32>),
    Owned { data: Vec<f32>, width: usize },
}

impl Matrix<'_> {
    /// The rows, laid end to end.
    pub fn rows(&self) -> Rows<'_> {
        let (data, width) = match self {
            Matrix::Borrowed(a) => (a.as_slice().expect("checked C-contiguous"), a.shape()[1]),
            Matrix::Owned { data, width } => (data.as_slice(), *width),
        };
        Rows::new(data, width).expect("whole rows")
    }

    /// Whether the rows are the caller's memory (no copy was made).
    pub fn is_borrowed(&self) -> bool {
        matches!(self, Matrix::Borrowed(_))
    }
}

/// The rows of `x`, a 2-D NumPy array of float32 or float64 (the Python
/// layer converts other array-likes first). A float64 value beyond
/// float32's range is an error naming its row and column.
pub fn matrix<'py>(x: &Bound<'py, PyAny>) -> PyResult<Matrix<'py>> {
    if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f32>>() {
        if a.is_c_contiguous() {
            return Ok(Matrix::Borrowed(a));
        }
        let width = a.shape()[1];
        // `iter` walks the logical (row-major) order whatever the strides.
        let data = a.as_array().iter().copied().collect();
        return Ok(Matrix::Owned { data, width });
    }
    if let Ok(a) = x.extract::<PyReadonlyArray2<'py, f64>>() {
        let width = a.shape()[1];
        let view = a.as_array();
        let mut data = Vec::with_capacity(view.len());
        for (i, &v) in view.iter().enumerate() {
            let f = v as f32;
            if v.is_finite() && !f.is_finite() {
                let (row, col) = (i / width.max(1), i % width.max(1));
                return Err(PyValueError::new_err(format!(
                    "X[{row}, {col}] = {v:e} is outside float32's range (row {row}, column {col})"
                )));
            }
            data.push(f);
        }
        return Ok(Matrix::Owned { data, width });
    }
    Err(PyTypeError::new_err(
        "expected a 2-D NumPy array of float32 or float64",
    ))
}
