//! Where an image is anomalous: its per-pixel reconstruction error laid
//! over it. The picture has three panels side by side: the image, what the
//! model reconstructed, and the image in grey with the error painted on top
//! (transparent where the error is 0, opaque yellow-red at `scale`).

use super::image_grid::{byte, draw};
use crate::image_shape::ImageShape;
use crate::io::Rgb8;

/// Per-pixel error |x − x̂|, averaged over channels: one value per pixel.
pub fn pixel_errors(image: &[f32], reconstruction: &[f32], shape: ImageShape) -> Vec<f32> {
    let px = shape.pixels();
    let mut e = vec![0.0f32; px];
    for c in 0..shape.channels {
        let (a, b) = (
            &image[c * px..(c + 1) * px],
            &reconstruction[c * px..(c + 1) * px],
        );
        for ((e, x), y) in e.iter_mut().zip(a).zip(b) {
            *e += (x - y).abs() / shape.channels as f32;
        }
    }
    e
}

/// A heat colour for t ∈ [0, 1]: dark red → red → yellow.
fn heat(t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    [(0.5 + 1.5 * t).min(1.0), (2.0 * t - 1.0).max(0.0), 0.0]
}

/// The three-panel heat map of one image (a row in `shape`) and its
/// reconstruction; `scale` is the error painted fully opaque (the same for
/// every image of a run, so heat maps compare).
pub fn heatmap(image: &[f32], reconstruction: &[f32], shape: ImageShape, scale: f32) -> Rgb8 {
    let zoom = (256 / shape.height.max(shape.width)).max(1);
    let (w, h) = (shape.width * zoom, shape.height * zoom);
    let mut pic = Rgb8::filled(3 * w + 4, h + 2, [255; 3]);
    draw(&mut pic, image, shape, 1, 1, zoom);
    draw(&mut pic, reconstruction, shape, w + 2, 1, zoom);
    let errors = pixel_errors(image, reconstruction, shape);
    let px = shape.pixels();
    for y in 0..shape.height {
        for x in 0..shape.width {
            let p = y * shape.width + x;
            let grey =
                (0..shape.channels).map(|c| image[c * px + p]).sum::<f32>() / shape.channels as f32;
            let t = if scale > 0.0 { errors[p] / scale } else { 0.0 };
            let alpha = t.clamp(0.0, 1.0);
            let hot = heat(t);
            let c = hot.map(|h| byte((1.0 - alpha) * grey * 0.8 + alpha * h));
            pic.fill_square(2 * w + 3 + x * zoom, 1 + y * zoom, zoom, c);
        }
    }
    pic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_painted_where_the_reconstruction_differs() {
        let shape = ImageShape::new(1, 2, 2);
        let image = [0.0, 0.0, 0.0, 1.0];
        let recon = [0.0, 0.0, 0.0, 0.0];
        assert_eq!(pixel_errors(&image, &recon, shape), [0.0, 0.0, 0.0, 1.0]);
        let pic = heatmap(&image, &recon, shape, 1.0);
        let zoom = 128;
        let at =
            |x: usize, y: usize| &pic.data[3 * (y * pic.width + x)..3 * (y * pic.width + x) + 3];
        let third = 2 * 2 * zoom + 3;
        assert_eq!(at(third, 1), [0, 0, 0]); // no error on a black pixel: black
        assert_eq!(at(third + zoom, 1 + zoom), [255, 255, 0]); // full error: yellow
        assert_eq!(at(1 + zoom, 1 + zoom), [255; 3]); // the image itself
    }
}
