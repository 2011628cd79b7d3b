//! A folder of PNG or JPEG images as rows of pixels in [0, 1].
//!
//! Every image under the folder (sub-folders included, in path order) is
//! decoded, made grayscale or RGB (alpha dropped), resized to one size when
//! it has another (bilinear) and written as one row in [`ImageShape`]'s
//! channel-major layout. Labels follow the MVTec AD layout: when every image
//! lies in a sub-folder, those under `good` (or `normal`) are normal and
//! those under any other sub-folder are anomalies.
//!
//! Refused, with the file named: a file that is not a PNG or JPEG image, a
//! corrupt or truncated image, an RGB image where grayscale is expected, an
//! image larger than [`MAX_SIDE`] on a side, a folder without images, and a
//! set too large to hold ([`ImageSpec::max_values`]). Hidden files (names
//! starting with `.`) are skipped.

use crate::error::{DetectError, Result};
use crate::image_shape::ImageShape;
use aedetect_tensor::Tensor;
use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, Limits};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The largest side an image may declare (decoders allocate by it).
pub const MAX_SIDE: u32 = 16_384;

/// Sub-folder names whose images are normal; any other sub-folder holds
/// anomalies.
pub const NORMAL_FOLDERS: [&str; 2] = ["good", "normal"];

/// How to read a folder of images.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    /// Resize every image to (height, width); `None`: the first image's size.
    pub size: Option<(usize, usize)>,
    /// The channels images must have (a model's: 1 grayscale, 3 RGB);
    /// `None`: the first image's.
    pub channels: Option<usize>,
    /// The most pixel values to hold (all images together).
    pub max_values: usize,
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageSpec {
            size: None,
            channels: None,
            max_values: crate::io::DEFAULT_MAX_VALUES,
        }
    }
}

/// Images read from a folder.
#[derive(Clone, Debug)]
pub struct ImageSet {
    /// One row per image, `shape.values()` long, values in [0, 1].
    pub x: Tensor,
    pub shape: ImageShape,
    /// Each image's file.
    pub paths: Vec<PathBuf>,
    /// Each image's path below the folder, `/`-separated (its id in outputs).
    pub names: Vec<String>,
    /// Anomaly labels from sub-folder names, when every image has one.
    pub labels: Option<Vec<bool>>,
    /// How many images had another size and were resized.
    pub resized: usize,
}

/// The image files under `dir`, sorted by path; errors for a file that is
/// not a PNG or JPEG by name, and for a folder with no images.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    collect(dir, &mut found)?;
    found.sort();
    if found.is_empty() {
        return Err(DetectError::Format {
            path: dir.to_path_buf(),
            reason: "no PNG or JPEG images in this folder or its sub-folders".into(),
        });
    }
    Ok(found)
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let io = |e| DetectError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| DetectError::Io {
            path: path.clone(),
            source: e,
        })?;
        // Follow links the way opening them would.
        let is_dir = kind.is_dir() || (kind.is_symlink() && path.is_dir());
        if is_dir {
            collect(&path, found)?;
        } else if is_image_name(&path) {
            found.push(path);
        } else {
            return Err(DetectError::Format {
                path,
                reason: "not a PNG or JPEG image (expected .png, .jpg or .jpeg); move it out of the image folder".into(),
            });
        }
    }
    Ok(())
}

/// Whether a file name says PNG or JPEG.
pub fn is_image_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// Reads every image under `dir` (see the module notes).
pub fn read_image_folder(dir: &Path, spec: &ImageSpec) -> Result<ImageSet> {
    let paths = list_images(dir)?;
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap_or(p);
            let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
            parts.join("/")
        })
        .collect();
    let labels = folder_labels(&names);

    // The first image fixes what the spec leaves open.
    let first = decode(&paths[0])?;
    let channels = spec
        .channels
        .unwrap_or(if first.color().has_color() { 3 } else { 1 });
    let (height, width) = spec
        .size
        .unwrap_or((first.height() as usize, first.width() as usize));
    let shape = ImageShape::new(channels, height, width);
    let too_many = || {
        DetectError::Format {
        path: dir.to_path_buf(),
        reason: format!(
            "{} images of {shape} are more than the {} values allowed in memory; pass a smaller --size",
            paths.len(),
            spec.max_values
        ),
    }
    };
    let d = shape.values().ok_or_else(too_many)?;
    if d.checked_mul(paths.len())
        .is_none_or(|t| t > spec.max_values)
    {
        return Err(too_many());
    }
    let mut x = Tensor::zeros(&[paths.len(), d]);

    // Decode in parallel into the rows; report the first failure in path order.
    let resized: Vec<Result<bool>> = x
        .data_mut()
        .par_chunks_mut(d)
        .zip(paths.par_iter())
        .enumerate()
        .map(|(i, (row, path))| {
            let img = if i == 0 { first.clone() } else { decode(path)? };
            write_row(path, img, shape, row)
        })
        .collect();
    let mut count = 0;
    for r in resized {
        count += usize::from(r?);
    }
    Ok(ImageSet {
        x,
        shape,
        paths,
        names,
        labels,
        resized: count,
    })
}

/// Reads one image as a row of `shape` (resized when its size differs);
/// also returns whether it was resized.
pub fn read_image(path: &Path, shape: ImageShape) -> Result<(Vec<f32>, bool)> {
    let mut row = vec![0.0; shape.values().unwrap_or(0)];
    let resized = write_row(path, decode(path)?, shape, &mut row)?;
    Ok((row, resized))
}

/// Labels from the first path component: `None` unless every image lies in
/// a sub-folder.
fn folder_labels(names: &[String]) -> Option<Vec<bool>> {
    names
        .iter()
        .map(|n| {
            let (top, _) = n.split_once('/')?;
            Some(!NORMAL_FOLDERS.contains(&top.to_ascii_lowercase().as_str()))
        })
        .collect()
}

fn decode(path: &Path) -> Result<DynamicImage> {
    let bad = |reason: String| DetectError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let io = |e| DetectError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut reader = ImageReader::open(path)
        .map_err(io)?
        .with_guessed_format()
        .map_err(io)?;
    if reader.format().is_none() {
        return Err(bad("not a PNG or JPEG image (its bytes are neither)".into()));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| bad(format!("cannot decode the image: {e}")))
}

/// Converts `img` to `shape`'s channels and size and writes it into `row`
/// channel-major; returns whether it was resized.
fn write_row(path: &Path, img: DynamicImage, shape: ImageShape, row: &mut [f32]) -> Result<bool> {
    if shape.channels == 1 && img.color().has_color() {
        return Err(DetectError::Format {
            path: path.to_path_buf(),
            reason: "is an RGB image, but the images here are grayscale (the model's or the folder's first image's)".into(),
        });
    }
    let (h, w) = (shape.height as u32, shape.width as u32);
    let resized = (img.height(), img.width()) != (h, w);
    let img = if resized {
        img.resize_exact(w, h, FilterType::Triangle)
    } else {
        img
    };
    let px = shape.pixels();
    if shape.channels == 1 {
        row.copy_from_slice(img.to_luma32f().as_raw());
    } else {
        // Interleaved r g b → three planes.
        let rgb = img.to_rgb32f();
        for (p, v) in rgb.as_raw().chunks_exact(3).enumerate() {
            for c in 0..3 {
                row[c * px + p] = v[c];
            }
        }
    }
    Ok(resized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_need_every_image_in_a_sub_folder() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            folder_labels(&names(&["good/a.png", "crack/b.png", "Normal/c.png"])),
            Some(vec![false, true, false])
        );
        assert_eq!(folder_labels(&names(&["good/a.png", "b.png"])), None);
        assert_eq!(folder_labels(&names(&["a.png"])), None);
    }
}
