//! im2col / col2im: turning a convolution into one matrix product.
//!
//! For one image x[C, H, W] and a kernel of kh×kw, `im2col` writes the matrix
//! cols[(c, i, j), (oh, ow)] = x[c, oh·s − p + i, ow·s − p + j] (zero outside),
//! of shape (C·kh·kw) × (OH·OW). A convolution is then W[out, C·kh·kw] · cols.
//! `col2im` is its adjoint: it scatters-adds such a matrix back into an image,
//! which is both the input gradient of a convolution and the forward pass of a
//! transposed convolution. A 1-D convolution is the case H = 1, kh = 1.

use crate::matmul::{Mat, MatMut};

/// The geometry of a 2-D convolution over one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    pub channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_h: usize,
    pub pad_w: usize,
}

impl ConvGeom {
    pub fn out_h(&self) -> usize {
        (self.in_h + 2 * self.pad_h - self.kh) / self.stride_h + 1
    }
    pub fn out_w(&self) -> usize {
        (self.in_w + 2 * self.pad_w - self.kw) / self.stride_w + 1
    }
    /// Rows of the column matrix: C·kh·kw.
    pub fn col_rows(&self) -> usize {
        self.channels * self.kh * self.kw
    }
    /// Columns of the column matrix: OH·OW.
    pub fn col_cols(&self) -> usize {
        self.out_h() * self.out_w()
    }
    /// Values in one input image.
    pub fn image_len(&self) -> usize {
        self.channels * self.in_h * self.in_w
    }

    /// The input coordinate hit by output position `o` and kernel tap `k`,
    /// or `None` in the padding.
    #[inline]
    fn source(o: usize, k: usize, stride: usize, pad: usize, size: usize) -> Option<usize> {
        (o * stride + k).checked_sub(pad).filter(|&i| i < size)
    }
}

/// Fills `cols` ((C·kh·kw) × (OH·OW)) from one image `x` (C × H·W), e.g.
/// `im2col(&g, x.item(n), cols.item_mut(n))`.
///
/// # Panics
/// If the views' sizes do not match the geometry.
pub fn im2col(g: &ConvGeom, x: Mat<'_>, mut cols: MatMut<'_>) {
    unfold(g, x.values(), cols.values_mut());
}

/// Overwrites the image `x` (C × H·W) with the scatter-add of `cols` — the
/// adjoint of [`im2col`].
///
/// # Panics
/// If the views' sizes do not match the geometry.
pub fn col2im(g: &ConvGeom, cols: Mat<'_>, mut x: MatMut<'_>) {
    fold(g, cols.values(), x.values_mut());
}

/// [`im2col`] on slices.
fn unfold(g: &ConvGeom, x: &[f32], cols: &mut [f32]) {
    assert_eq!(x.len(), g.image_len(), "im2col: image size");
    assert_eq!(cols.len(), g.col_rows() * g.col_cols(), "im2col: cols size");
    let (oh_n, ow_n) = (g.out_h(), g.out_w());
    let mut rows = cols.chunks_exact_mut(oh_n * ow_n);
    for c in 0..g.channels {
        let plane = &x[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = rows.next().expect("row count matches geometry");
                for oh in 0..oh_n {
                    let out = &mut row[oh * ow_n..(oh + 1) * ow_n];
                    let Some(ih) = ConvGeom::source(oh, ki, g.stride_h, g.pad_h, g.in_h) else {
                        out.fill(0.0);
                        continue;
                    };
                    let src = &plane[ih * g.in_w..(ih + 1) * g.in_w];
                    for (ow, o) in out.iter_mut().enumerate() {
                        *o = match ConvGeom::source(ow, kj, g.stride_w, g.pad_w, g.in_w) {
                            Some(iw) => src[iw],
                            None => 0.0,
                        };
                    }
                }
            }
        }
    }
}

/// [`col2im`] on slices.
fn fold(g: &ConvGeom, cols: &[f32], x: &mut [f32]) {
    assert_eq!(x.len(), g.image_len(), "col2im: image size");
    assert_eq!(cols.len(), g.col_rows() * g.col_cols(), "col2im: cols size");
    x.fill(0.0);
    let (oh_n, ow_n) = (g.out_h(), g.out_w());
    let mut rows = cols.chunks_exact(oh_n * ow_n);
    for c in 0..g.channels {
        let plane = &mut x[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = rows.next().expect("row count matches geometry");
                for oh in 0..oh_n {
                    let Some(ih) = ConvGeom::source(oh, ki, g.stride_h, g.pad_h, g.in_h) else {
                        continue;
                    };
                    let dst = &mut plane[ih * g.in_w..(ih + 1) * g.in_w];
                    for (ow, v) in row[oh * ow_n..(oh + 1) * ow_n].iter().enumerate() {
                        if let Some(iw) = ConvGeom::source(ow, kj, g.stride_w, g.pad_w, g.in_w) {
                            dst[iw] += v;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>.
    #[test]
    fn col2im_is_adjoint_of_im2col() {
        let g = ConvGeom {
            channels: 2,
            in_h: 7,
            in_w: 6,
            kh: 3,
            kw: 2,
            stride_h: 2,
            stride_w: 1,
            pad_h: 1,
            pad_w: 1,
        };
        let x: Vec<f32> = (0..g.image_len())
            .map(|i| ((i * 7) % 11) as f32 - 5.0)
            .collect();
        let c: Vec<f32> = (0..g.col_rows() * g.col_cols())
            .map(|i| ((i * 5) % 13) as f32 - 6.0)
            .collect();
        let mut cols = vec![0.0; c.len()];
        unfold(&g, &x, &mut cols);
        let mut back = vec![0.0; x.len()];
        fold(&g, &c, &mut back);
        let lhs: f32 = cols.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f32 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs);
    }
}
