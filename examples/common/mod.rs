//! What the MNIST examples share: reading the t10k images and labels.

use aedetect::detect::io::{read_idx_images, read_idx_labels, IdxImages};
use aedetect::detect::DetectError;
use std::path::Path;

/// MNIST's t10k images and their digit labels from `dir`; exits with the
/// reader's one-line error when either cannot be read.
pub fn mnist_t10k(dir: &Path) -> (IdxImages, Vec<u8>) {
    let read = || -> Result<_, DetectError> {
        Ok((
            read_idx_images(&dir.join("t10k-images-idx3-ubyte.gz"))?,
            read_idx_labels(&dir.join("t10k-labels-idx1-ubyte.gz"))?,
        ))
    };
    read().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    })
}
