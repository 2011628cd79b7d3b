//! Reading data files into tensors: NumPy `.npy` and `.npz` archives (as
//! ADBench writes them). Every problem is an error naming the file and what is
//! wrong; no input makes a reader panic.

pub mod npy;
pub mod npz;

/// A labelled data set: rows of features and, when known, anomaly labels.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub x: aedetect_tensor::Tensor,
    pub labels: Option<Vec<bool>>,
}
