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

/// Reads what [`Display`](fmt::Display) writes: `C×H×W` (or with `x`).
impl std::str::FromStr for ImageShape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<usize> = s
            .split(['x', '×'])
            .map(|p| p.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("`{s}` is not an image shape (channels×height×width)"))?;
        match parts[..] {
            [c, h, w] if c > 0 && h > 0 && w > 0 => Ok(ImageShape::new(c, h, w)),
            _ => Err(format!(
                "`{s}` is not an image shape (channels×height×width)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_and_parse() {
        let s = ImageShape::new(3, 28, 27);
        assert_eq!(s.to_string(), "3×28×27");
        assert_eq!("3×28×27".parse::<ImageShape>(), Ok(s));
        assert_eq!("3x28x27".parse::<ImageShape>(), Ok(s));
        for bad in ["", "3×28", "0×1×1", "a×b×c", "1×2×3×4"] {
            assert!(bad.parse::<ImageShape>().is_err(), "{bad}");
        }
    }
}
