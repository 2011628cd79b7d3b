//! IDX files, as MNIST ships them (gzip'd or not): a big-endian header,
//! magic 0x0000_08NN (unsigned bytes, NN dimensions), one u32 per
//! dimension, then the values.
//!
//! * images: magic 0x0000_0803, count, rows, cols, then u8 pixels, read as
//!   rows of `rows · cols` values scaled to [0, 1];
//! * labels: magic 0x0000_0801, count, then u8 labels.
//!
//! The header is checked against the bytes that follow before anything is
//! allocated by it, so a damaged file is an error naming it, never a panic
//! or a huge allocation.

use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use aedetect_tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// Images from an IDX file.
#[derive(Clone, Debug)]
pub struct IdxImages {
    /// One row per image, `shape.values()` long, values in [0, 1].
    pub x: Tensor,
    pub shape: ImageShape,
}

/// Whether a file name looks like an IDX file (`…-idx3-ubyte`, `….idx`,
/// gzip'd or not).
pub fn is_idx_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".idx") || name.contains("-idx") && name.ends_with("-ubyte")
}

/// Reads an IDX image file (3 dimensions of unsigned bytes).
pub fn read_idx_images(path: &Path) -> Result<IdxImages> {
    let (dims, bytes) = read_idx(path, 3)?;
    let shape = ImageShape::new(1, dims[1], dims[2]);
    let x = Tensor::from_vec(
        &[dims[0], shape.pixels()],
        bytes.iter().map(|&b| f32::from(b) / 255.0).collect(),
    );
    Ok(IdxImages { x, shape })
}

/// Reads an IDX label file (1 dimension of unsigned bytes).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    Ok(read_idx(path, 1)?.1)
}

/// The dimensions and the values of an IDX file of unsigned bytes with
/// `want` dimensions.
fn read_idx(path: &Path, want: usize) -> Result<(Vec<usize>, Vec<u8>)> {
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let raw = std::fs::read(path).map_err(|e| DetectError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // A gzip stream states no trustworthy size; a bomb is stopped at
        // 2³⁰ bytes, well above any IDX file of images one could train on.
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(1 << 30)
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("not a valid gzip stream: {e}")))?;
        out
    } else {
        raw
    };
    let header = 4 + 4 * want;
    if bytes.len() < header {
        return Err(bad(format!(
            "an IDX file with {want} dimension(s) needs a {header}-byte header; the file has {} bytes",
            bytes.len()
        )));
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let magic = word(0);
    let expected = 0x0800 | want as u32;
    if magic != expected {
        return Err(bad(format!(
            "IDX magic number 0x{magic:08x}; expected 0x{expected:08x} ({} of unsigned bytes)",
            if want == 1 { "labels" } else { "images" }
        )));
    }
    let dims: Vec<usize> = (0..want).map(|i| word(4 + 4 * i) as usize).collect();
    let count = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let body = bytes.len() - header;
    if count != Some(body) {
        return Err(bad(format!(
            "the header promises {} values ({dims:?}) but {body} bytes follow it (truncated or damaged)",
            count.map_or("too many".into(), |c| c.to_string())
        )));
    }
    if dims.contains(&0) {
        return Err(bad(format!("no data: dimensions {dims:?}")));
    }
    Ok((dims, bytes[header..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("aedetect-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn images(n: u32, h: u32, w: u32, body: usize) -> Vec<u8> {
        let mut b = vec![0, 0, 8, 3];
        for v in [n, h, w] {
            b.extend(v.to_be_bytes());
        }
        b.extend((0..body).map(|i| (i * 51 % 256) as u8));
        b
    }

    #[test]
    fn reads_plain_and_gzipped_images() {
        let raw = images(2, 2, 3, 12);
        let plain = read_idx_images(&temp("a-idx3-ubyte", &raw)).unwrap();
        assert_eq!(plain.shape, ImageShape::new(1, 2, 3));
        assert_eq!(plain.x.shape(), &[2, 6]);
        assert_eq!(plain.x.data()[1], 51.0 / 255.0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).unwrap();
        let zipped = read_idx_images(&temp("a-idx3-ubyte.gz", &gz.finish().unwrap())).unwrap();
        assert_eq!(zipped.x.data(), plain.x.data());
    }

    #[test]
    fn damaged_files_are_errors_naming_the_file() {
        for (name, bytes, says) in [
            ("short", vec![0, 0, 8], "header"),
            ("magic", vec![0, 0, 8, 1, 0, 0, 0, 1, 7], "magic"),
            ("truncated", images(2, 2, 3, 11), "truncated"),
            ("huge", images(u32::MAX, u32::MAX, u32::MAX, 4), "promises"),
            ("empty", images(0, 28, 28, 0), "no data"),
            ("gzip", vec![0x1f, 0x8b, 1, 2, 3], "gzip"),
        ] {
            let p = temp(name, &bytes);
            let e = read_idx_images(&p).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains(says), "{e}");
        }
        let labels = read_idx_labels(&temp("l", &[0, 0, 8, 1, 0, 0, 0, 2, 7, 3])).unwrap();
        assert_eq!(labels, [7, 3]);
    }

    #[test]
    fn idx_names() {
        for n in [
            "t10k-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte",
            "x.idx",
            "X.IDX.GZ",
        ] {
            assert!(is_idx_name(Path::new(n)), "{n}");
        }
        assert!(!is_idx_name(Path::new("data.csv")));
    }
}
