//! Training progress reported to a Python callable (the `verbose=True` bar).

use aedetect_detect::train::EpochReport;
use pyo3::prelude::*;

/// A progress callback for the engine: after each epoch it calls
/// `callback(done, total, loss)`, taking the GIL for the call only (the
/// training itself runs without it). A failing callback (a closed stream,
/// say) must not stop the training it reports on: its error is printed and
/// dropped.
pub fn reporter(callback: Option<Py<PyAny>>, total: usize) -> impl FnMut(&EpochReport) + Send {
    let mut done = 0;
    move |r: &EpochReport| {
        done += 1;
        if let Some(cb) = &callback {
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (done, total, r.train_loss)) {
                    e.print(py);
                }
            });
        }
    }
}
