//! `aedetect._native.Detector`: the engine's [`Detector`] (scaler, model,
//! threshold) as a Python object. The PyOD-style classes in
//! `python/aedetect` hold one each; this layer fits, scores, saves and
//! loads, and releases the GIL for all the arithmetic.

use crate::array::matrix;
use crate::errors::to_py;
use crate::progress::reporter;
use aedetect_detect::{
    model_file, Detector, ImageShape, MemberViews, ModelKind, ModelOptions, Reconstruction,
    TrainConfig,
};
use aedetect_tensor::Tensor;
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// A fitted detector. Calls from several Python threads take turns (the
/// scoring buffers are the detector's own).
#[pyclass(module = "aedetect._native", name = "Detector", frozen)]
pub struct PyDetector {
    inner: Mutex<Detector>,
}

impl PyDetector {
    pub(crate) fn new(det: Detector) -> Self {
        PyDetector {
            inner: Mutex::new(det),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Detector> {
        // A panic inside the engine is a bug, but it must not make every
        // later call on this object fail too.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl PyDetector {
    /// Fits a detector on the rows of `x` (all treated as normal), with the
    /// model `kind` (`best`, `dense`, `vae`, …) shaped by the options, as
    /// `aedetect train --model kind` would. `progress(done, total, loss)` is
    /// called after each epoch, with the GIL held.
    #[staticmethod]
    #[pyo3(signature = (
        x, kind, *, hidden=None, dropout=None, loss=None, members=None, neighbours=None,
        views=None, image_shape=None, epochs=50, batch_size=64, lr=1e-3, robust=0.0, seed=0,
        features=None, progress=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        kind: &str,
        hidden: Option<Vec<usize>>,
        dropout: Option<f32>,
        loss: Option<&str>,
        members: Option<usize>,
        neighbours: Option<usize>,
        views: Option<&str>,
        image_shape: Option<(usize, usize, usize)>,
        epochs: usize,
        batch_size: usize,
        lr: f32,
        robust: f32,
        seed: u64,
        features: Option<Vec<String>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let kind = ModelKind::from_name(kind).ok_or_else(|| {
            let names: Vec<_> = ModelKind::ALL.iter().map(|k| k.name()).collect();
            PyValueError::new_err(format!(
                "unknown model kind {kind:?}; one of {}",
                names.join(", ")
            ))
        })?;
        let loss = match loss {
            None => None,
            Some("mse") => Some(Reconstruction::Mse),
            Some("bce") => Some(Reconstruction::Bce),
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "loss must be 'mse' or 'bce', not {other:?}"
                )))
            }
        };
        let views = match views {
            None => None,
            Some(name) => Some(MemberViews::from_name(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "views must be 'same', 'alternate' or 'normal-scores', not {name:?}"
                ))
            })?),
        };
        let train =
            TrainConfig::from_options(epochs, batch_size, lr, robust, seed).map_err(to_py)?;
        let m = matrix(x)?;
        let rows = m.rows();
        let d = rows.width;
        let image = image_shape.map(|(c, h, w)| ImageShape::new(c, h, w));
        if let Some(shape) = image {
            if shape.values() != Some(d) {
                return Err(PyValueError::new_err(format!(
                    "X has {d} features, but an image of {shape} has {} values",
                    shape
                        .values()
                        .map_or("too many".to_string(), |v| v.to_string())
                )));
            }
        }
        if let Some(f) = &features {
            if f.len() != d {
                return Err(PyValueError::new_err(format!(
                    "{} feature names for {d} features",
                    f.len()
                )));
            }
        }
        let options = ModelOptions {
            kind,
            hidden,
            dropout,
            loss,
            members,
            neighbours,
            views,
        };
        let config = options.config(d, image, None, seed).map_err(to_py)?;
        let scaler = options.scaler_kind(image.is_some());
        let total = config.progress_steps(d, rows.rows(), &train);
        let data = Tensor::from_vec(&[rows.rows(), d], rows.data.to_vec());
        drop(m);
        let mut report = reporter(progress, total);
        let det = py.detach(|| Detector::fit(&data, scaler, config, &train, &mut report));
        let mut det = det.map_err(to_py)?;
        det.features = features.unwrap_or_default();
        if let Some(shape) = image {
            det.info.insert("image".into(), shape.to_string());
        }
        Ok(Self::new(det))
    }

    /// Anomaly scores of the rows of `x` (higher is more anomalous), as
    /// float64.
    fn score<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let m = matrix(x)?;
        let rows = m.rows();
        let mut scores = Vec::new();
        // The lock is taken without the GIL, so a thread holding the GIL
        // never waits on one that waits for the GIL.
        py.detach(|| self.lock().score_rows_into(rows, &mut scores))
            .map_err(to_py)?;
        Ok(PyArray1::from_vec(
            py,
            scores.into_iter().map(f64::from).collect(),
        ))
    }

    /// The scores of the rows `fit` was given, the same values `score`
    /// gives them, where fitting computed them anyway (the default's members
    /// do, from their neighbour search); `None` otherwise. Taken: `None`
    /// after the first call.
    fn take_training_scores<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        let scores = self.lock().take_training_scores()?;
        Some(PyArray1::from_vec(
            py,
            scores.into_iter().map(f64::from).collect(),
        ))
    }

    /// Rows are flagged when their score is strictly above this.
    #[getter]
    fn threshold(&self) -> Option<f32> {
        self.lock().threshold
    }

    #[setter]
    fn set_threshold(&self, t: Option<f32>) -> PyResult<()> {
        if t.is_some_and(|t| t.is_nan()) {
            return Err(PyValueError::new_err("the threshold cannot be NaN"));
        }
        self.lock().threshold = t;
        Ok(())
    }

    /// Features per row.
    #[getter]
    fn features_in(&self) -> usize {
        self.lock().scaler.features()
    }

    /// The feature names the model was trained on (empty when unknown).
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.lock().features.clone()
    }

    /// The full model config, as JSON (what the model file stores; its
    /// `kind` names the model kind).
    #[getter]
    fn config(&self) -> String {
        serde_json::to_string(&self.lock().model.config()).expect("config serialises")
    }

    /// One line naming the architecture.
    fn describe(&self) -> String {
        self.lock().model.describe()
    }

    /// The image shape (channels, height, width) of an image model.
    #[getter]
    fn image_shape(&self) -> Option<(usize, usize, usize)> {
        let det = self.lock();
        let shape: ImageShape = det.info.get("image")?.parse().ok()?;
        Some((shape.channels, shape.height, shape.width))
    }

    /// Whether the model reads windows of a time series (then its scores
    /// are per window, not per row).
    #[getter]
    fn is_series(&self) -> bool {
        self.lock().series.is_some()
    }

    /// How the model reads a series, as JSON (time column, value columns,
    /// window, smoothing, cooldown, recent rows, calendar features); None
    /// for rows.
    #[getter]
    fn series(&self) -> Option<String> {
        let det = self.lock();
        let s = det.series.as_ref()?;
        Some(
            serde_json::json!({
                "time_col": s.time_col,
                "columns": s.columns,
                "window": s.window,
                "smooth": s.smooth,
                "cooldown": s.cooldown,
                "recent_rows": s.recent,
                "calendar": s.calendar,
            })
            .to_string(),
        )
    }

    /// The training loss after each epoch (the first network's, for an
    /// ensemble).
    #[getter]
    fn train_losses(&self) -> Vec<f32> {
        self.lock().report.train_losses.clone()
    }

    /// The training facts kept in the model file.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.lock().info {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Adds training facts (shown by `aedetect inspect`).
    fn set_info(&self, entries: BTreeMap<String, String>) {
        self.lock().info.extend(entries);
    }

    /// Writes the model file `path` atomically: the same `.safetensors`
    /// file `aedetect train` writes.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| model_file::save(&self.lock(), &path))
            .map_err(to_py)
    }

    /// Reads a model file written by `save` or by `aedetect train`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let det = py.detach(|| model_file::load(&path)).map_err(to_py)?;
        Ok(Self::new(det))
    }

    /// The model file's bytes (for pickling and for shipping to workers).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = model_file::to_bytes(&self.lock()).map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A detector from [`PyDetector::to_bytes`]'s bytes.
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<Self> {
        let det = model_file::from_bytes(bytes).map_err(|reason| {
            PyValueError::new_err(format!("not a valid aedetect model: {reason}"))
        })?;
        Ok(Self::new(det))
    }
}
