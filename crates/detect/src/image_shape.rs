//! The shape of an image as a row of numbers: channels × height × width,
//! channel-major (all of channel 0's pixels, row by row, then channel 1's).
//! Image readers produce rows in this layout, the 2-D convolutional
//! autoencoder keeps the shape in its model file, and heat maps read rows
//! back as pictures.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageShape {
    /// 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    pub fn new(channels: usize, height: usize, width: usize) -> Self {
        ImageShape {
            channels,
            height,
            width,
        }
    }

    /// Pixels per channel.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// Values per image (the row length): channels · height · width, `None`
    /// on overflow (a shape read from a file).
    pub fn values(&self) -> Option<usize> {
        self.channels
            .checked_mul(self.height)?
            .checked_mul(self.width)
    }
}

/// `1×28×28`, as the CLI prints and reads sizes.
impl fmt::Display for ImageShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}×{}", self.channels, self.height, self.width)
    }
}
