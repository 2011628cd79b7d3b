//! Rows of images as one picture: a grid for looking at what a model saw
//! and what it made of it (worst-scored images above their
//! reconstructions, samples from a VAE, an interpolation).

use crate::image_shape::ImageShape;
use crate::io::Rgb8;
use aedetect_tensor::Tensor;

/// The grey between cells.
const GAP_COLOUR: [u8; 3] = [96, 96, 96];

/// A pixel value in [0, 1] as a byte (values outside are clipped).
pub(crate) fn byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// The colour of pixel `p` of an image row in `shape`'s channel-major
/// layout (grayscale repeated on r, g, b).
pub(crate) fn colour(row: &[f32], shape: ImageShape, p: usize) -> [u8; 3] {
    let px = shape.pixels();
    if shape.channels >= 3 {
        [byte(row[p]), byte(row[px + p]), byte(row[2 * px + p])]
    } else {
        [byte(row[p]); 3]
    }
}

/// Draws `image` (a row in `shape`) with its top-left corner at (x0, y0),
/// each pixel as a `zoom`×`zoom` square.
pub(crate) fn draw(
    pic: &mut Rgb8,
    image: &[f32],
    shape: ImageShape,
    x0: usize,
    y0: usize,
    zoom: usize,
) {
    for y in 0..shape.height {
        for x in 0..shape.width {
            let c = colour(image, shape, y * shape.width + x);
            pic.fill_square(x0 + x * zoom, y0 + y * zoom, zoom, c);
        }
    }
}

/// A grid of the images in `strips` (each a tensor of image rows in
/// `shape`), `columns` images across. Strips are interleaved row by row, so
/// with `[originals, reconstructions]` each reconstruction sits under its
/// original. Small images are drawn enlarged (to at least 56 pixels a side),
/// with a 1-pixel grey gap between cells.
pub fn image_grid(strips: &[&Tensor], shape: ImageShape, columns: usize) -> Rgb8 {
    let n = strips.iter().map(|s| s.rows()).max().unwrap_or(0);
    let columns = columns.clamp(1, n.max(1));
    let zoom = (56 / shape.height.max(shape.width)).max(1);
    let (cw, ch) = (shape.width * zoom + 1, shape.height * zoom + 1);
    let blocks = n.div_ceil(columns);
    let mut pic = Rgb8::filled(
        columns * cw + 1,
        (blocks * strips.len()).max(1) * ch + 1,
        GAP_COLOUR,
    );
    for (t, strip) in strips.iter().enumerate() {
        for i in 0..strip.rows() {
            let (block, col) = (i / columns, i % columns);
            let row = block * strips.len() + t;
            draw(
                &mut pic,
                strip.row(i),
                shape,
                1 + col * cw,
                1 + row * ch,
                zoom,
            );
        }
    }
    pic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstructions_sit_under_their_originals() {
        let shape = ImageShape::new(1, 2, 2);
        let ones = Tensor::from_vec(&[3, 4], vec![1.0; 12]);
        let zeros = Tensor::from_vec(&[3, 4], vec![0.0; 12]);
        let pic = image_grid(&[&ones, &zeros], shape, 2);
        let zoom = 28;
        assert_eq!(
            (pic.width, pic.height),
            (2 * (2 * zoom + 1) + 1, 4 * (2 * zoom + 1) + 1)
        );
        let at =
            |x: usize, y: usize| &pic.data[3 * (y * pic.width + x)..3 * (y * pic.width + x) + 3];
        assert_eq!(at(1, 1), [255; 3]); // original 0
        assert_eq!(at(1, 2 * zoom + 2), [0; 3]); // its reconstruction below
        assert_eq!(at(0, 0), GAP_COLOUR);
        // The third image starts a second block of strips.
        assert_eq!(at(1, 2 * (2 * zoom + 1) + 1), [255; 3]);
    }
}
