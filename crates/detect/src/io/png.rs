//! Writing pictures (heat maps, grids of images) as PNG files, atomically:
//! the file appears whole or not at all.

use super::atomic::write_atomic;
use crate::error::{DetectError, Result};
use std::path::Path;

/// An 8-bit RGB picture, row-major, interleaved (r, g, b per pixel).
#[derive(Clone, Debug, PartialEq)]
pub struct Rgb8 {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Rgb8 {
    /// A picture filled with one colour.
    pub fn filled(width: usize, height: usize, colour: [u8; 3]) -> Self {
        Rgb8 {
            width,
            height,
            data: colour.repeat(width * height),
        }
    }

    /// Sets pixel (x, y).
    pub fn put(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        let i = 3 * (y * self.width + x);
        self.data[i..i + 3].copy_from_slice(&colour);
    }

    /// Fills the `side`×`side` square whose top-left pixel is (x, y).
    pub fn fill_square(&mut self, x: usize, y: usize, side: usize, colour: [u8; 3]) {
        for row in y..y + side {
            for col in x..x + side {
                self.put(col, row, colour);
            }
        }
    }

    /// The PNG encoding.
    pub fn to_png(&self, path: &Path) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        image::ImageEncoder::write_image(
            encoder,
            &self.data,
            self.width as u32,
            self.height as u32,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| DetectError::Format {
            path: path.to_path_buf(),
            reason: format!("cannot encode the picture as PNG: {e}"),
        })?;
        Ok(out)
    }
}

/// Writes `picture` to `path` as a PNG, atomically.
pub fn write_png(path: &Path, picture: &Rgb8) -> Result<()> {
    write_atomic(path, &picture.to_png(path)?)
}
