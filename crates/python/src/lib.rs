//! The extension module `aedetect._native`: the engine's detector, fitted,
//! scored, saved and loaded from Python. The PyOD-style interface (`fit`,
//! `decision_function`, `predict`, …, scikit-learn's parameters) is in the
//! pure-Python package around it, `python/aedetect`.
#![forbid(unsafe_code)]

mod array;
mod detector;
mod errors;
mod progress;
mod series;

use aedetect_detect::threshold::ThreeWaySplit;
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Sets how many threads the engine uses (rayon's global pool). It can be
/// set once, before the first fit or score; the same seed and thread count
/// give the same model bit for bit.
#[pyfunction]
fn set_threads(threads: usize) -> PyResult<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| {
            PyValueError::new_err(format!(
                "the thread count can be set once, before the engine first runs ({e}); it is {}",
                rayon::current_num_threads()
            ))
        })
}

/// The threads the engine uses.
#[pyfunction]
fn threads() -> usize {
    rayon::current_num_threads()
}

/// The evaluation protocol's split of labelled rows for `seed` (`labels`:
/// true for an anomaly): normals 60/20/20 between train, calibration and
/// test, anomalies 50/50 between calibration and test, exactly as
/// `aedetect eval` splits them. Returns three index arrays.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn protocol_split<'py>(
    py: Python<'py>,
    labels: Vec<bool>,
    seed: u64,
) -> (
    Bound<'py, PyArray1<usize>>,
    Bound<'py, PyArray1<usize>>,
    Bound<'py, PyArray1<usize>>,
) {
    let s = ThreeWaySplit::adbench(&labels, seed);
    (
        PyArray1::from_vec(py, s.train),
        PyArray1::from_vec(py, s.calibration),
        PyArray1::from_vec(py, s.test),
    )
}

/// Whether scoring `x` reads its rows where they lie (a C-ordered float32
/// matrix) instead of converting a copy: for tests of the no-copy path.
#[pyfunction]
fn borrows_rows(x: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(array::matrix(x)?.is_borrowed())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<detector::PyDetector>()?;
    m.add_class::<series::SeriesStream>()?;
    m.add_function(wrap_pyfunction!(series::fit_series, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads, m)?)?;
    m.add_function(wrap_pyfunction!(protocol_split, m)?)?;
    m.add_function(wrap_pyfunction!(borrows_rows, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
