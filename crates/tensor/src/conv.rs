//! im2col / col2im: turning a convolution into one matrix product.
//!
//! For one image x[C, H, W] and a kernel of kh×kw, `im2col` writes the matrix
//! cols[(c, i, j), (oh, ow)] = x[c, oh·s − p + i, ow·s − p + j] (zero outside),
//! of shape (C·kh·kw) × (OH·OW). A convolution is then W[out, C·kh·kw] · cols.
//! `col2im` is its adjoint: it scatters-adds such a matrix back into an image,
//! which is both the input gradient of a convolution and the forward pass of a
//! transposed convolution. A 1-D convolution is the case H = 1, kh = 1.

use crate::kernels::{elementwise::add_assign, strided};
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

    /// The channel and kernel tap (c, ki, kj) of column-matrix row r =
    /// (c·kh + ki)·kw + kj.
    fn tap(&self, r: usize) -> (usize, usize, usize) {
        (r / (self.kh * self.kw), r / self.kw % self.kh, r % self.kw)
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
    let plane = g.in_h * g.in_w;
    let rows = cols.chunks_exact_mut(g.col_cols().max(1));
    for (r, row) in rows.enumerate().take(g.col_rows()) {
        let (c, ki, kj) = g.tap(r);
        unfold_row(g, &x[c * plane..(c + 1) * plane], ki, kj, row);
    }
}

/// [`col2im`] on slices.
fn fold(g: &ConvGeom, cols: &[f32], x: &mut [f32]) {
    assert_eq!(x.len(), g.image_len(), "col2im: image size");
    assert_eq!(cols.len(), g.col_rows() * g.col_cols(), "col2im: cols size");
    x.fill(0.0);
    let plane = g.in_h * g.in_w;
    let rows = cols.chunks_exact(g.col_cols().max(1));
    for (r, row) in rows.enumerate().take(g.col_rows()) {
        let (c, ki, kj) = g.tap(r);
        fold_row(g, row, ki, kj, &mut x[c * plane..(c + 1) * plane]);
    }
}

/// The output positions o in 0..n whose input coordinate o·stride + k − pad
/// lies in 0..size: one range, since the coordinate grows with o.
fn valid_outputs(n: usize, k: usize, stride: usize, pad: usize, size: usize) -> (usize, usize) {
    // o·s + k ≥ pad  ⇔  o ≥ ⌈(pad − k)/s⌉;  o·s + k − pad ≤ size − 1  ⇔  o ≤ ⌊(size − 1 + pad − k)/s⌋
    let lo = pad.saturating_sub(k).div_ceil(stride).min(n);
    let hi = match (size + pad).checked_sub(k + 1) {
        Some(top) => (top / stride + 1).min(n),
        None => 0,
    };
    (lo, hi.max(lo))
}

/// One row (kernel tap (ki, kj) of one channel) of the column matrix from
/// that channel's plane: out[oh·OW + ow] = plane[oh·s − p + ki, ow·s − p + kj],
/// 0 in the padding. The padding is found per row, not tested per element.
fn unfold_row(g: &ConvGeom, plane: &[f32], ki: usize, kj: usize, out: &mut [f32]) {
    let (oh_n, ow_n) = (g.out_h(), g.out_w());
    let (h_lo, h_hi) = valid_outputs(oh_n, ki, g.stride_h, g.pad_h, g.in_h);
    let (w_lo, w_hi) = valid_outputs(ow_n, kj, g.stride_w, g.pad_w, g.in_w);
    out[..h_lo * ow_n].fill(0.0);
    out[h_hi * ow_n..].fill(0.0);
    for oh in h_lo..h_hi {
        let ih = oh * g.stride_h + ki - g.pad_h;
        let src = &plane[ih * g.in_w..(ih + 1) * g.in_w];
        let dst = &mut out[oh * ow_n..(oh + 1) * ow_n];
        dst[..w_lo].fill(0.0);
        dst[w_hi..].fill(0.0);
        if w_lo < w_hi {
            let first = w_lo * g.stride_w + kj - g.pad_w;
            let dst = &mut dst[w_lo..w_hi];
            match g.stride_w {
                1 => dst.copy_from_slice(&src[first..first + dst.len()]),
                2 => strided::gather_every_other(&src[first..], dst),
                s => {
                    for (d, v) in dst.iter_mut().zip(src[first..].iter().step_by(s)) {
                        *d = *v;
                    }
                }
            }
        }
    }
}

/// The adjoint of [`unfold_row`]: adds the row back onto the plane.
fn fold_row(g: &ConvGeom, row: &[f32], ki: usize, kj: usize, plane: &mut [f32]) {
    let (oh_n, ow_n) = (g.out_h(), g.out_w());
    let (h_lo, h_hi) = valid_outputs(oh_n, ki, g.stride_h, g.pad_h, g.in_h);
    let (w_lo, w_hi) = valid_outputs(ow_n, kj, g.stride_w, g.pad_w, g.in_w);
    if w_lo >= w_hi {
        return;
    }
    for oh in h_lo..h_hi {
        let ih = oh * g.stride_h + ki - g.pad_h;
        let dst = &mut plane[ih * g.in_w..(ih + 1) * g.in_w];
        let first = w_lo * g.stride_w + kj - g.pad_w;
        let src = &row[oh * ow_n + w_lo..oh * ow_n + w_hi];
        match g.stride_w {
            1 => add_assign(&mut dst[first..first + src.len()], src),
            2 => strided::add_to_every_other(src, &mut dst[first..]),
            s => {
                for (d, v) in dst[first..].iter_mut().step_by(s).zip(src) {
                    *d += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The input coordinate hit by output position `o` and kernel tap `k`,
    /// or `None` in the padding: the definition the kernels are checked by.
    fn source(o: usize, k: usize, stride: usize, pad: usize, size: usize) -> Option<usize> {
        (o * stride + k).checked_sub(pad).filter(|&i| i < size)
    }

    /// im2col element by element, straight from its definition.
    fn unfold_reference(g: &ConvGeom, x: &[f32]) -> Vec<f32> {
        let (oh_n, ow_n) = (g.out_h(), g.out_w());
        let mut cols = Vec::new();
        for c in 0..g.channels {
            for ki in 0..g.kh {
                for kj in 0..g.kw {
                    for oh in 0..oh_n {
                        for ow in 0..ow_n {
                            let ih = source(oh, ki, g.stride_h, g.pad_h, g.in_h);
                            let iw = source(ow, kj, g.stride_w, g.pad_w, g.in_w);
                            cols.push(match (ih, iw) {
                                (Some(i), Some(j)) => x[(c * g.in_h + i) * g.in_w + j],
                                _ => 0.0,
                            });
                        }
                    }
                }
            }
        }
        cols
    }

    /// Every geometry class: strides 1 to 3, padding 0 to 2 (more than the
    /// kernel reaches included), kernels 1 to 4, odd and even sides, 1-D.
    fn geometries() -> Vec<ConvGeom> {
        let mut out = vec![];
        for (in_h, in_w) in [(1, 7), (5, 5), (6, 9), (7, 4)] {
            for (kh, kw) in [(1, 1), (1, 3), (3, 3), (2, 4)] {
                for stride in 1..=3 {
                    for pad in 0..=2 {
                        let g = ConvGeom {
                            channels: 2,
                            in_h,
                            in_w,
                            kh,
                            kw,
                            stride_h: stride,
                            stride_w: 4 - stride,
                            pad_h: pad.min(kh),
                            pad_w: pad,
                        };
                        if in_h + 2 * g.pad_h >= kh && in_w + 2 * g.pad_w >= kw {
                            out.push(g);
                        }
                    }
                }
            }
        }
        out
    }

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7 + seed) % 13) as f32 - 6.0).collect()
    }

    #[test]
    fn im2col_matches_its_definition_on_every_geometry() {
        for g in geometries() {
            let x = values(g.image_len(), 1);
            let mut cols = vec![f32::NAN; g.col_rows() * g.col_cols()];
            unfold(&g, &x, &mut cols);
            assert_eq!(cols, unfold_reference(&g, &x), "{g:?}");
        }
    }

    /// col2im is the adjoint of im2col on every geometry:
    /// ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ (small integers, so exact in f32).
    #[test]
    fn col2im_is_adjoint_of_im2col() {
        for g in geometries() {
            let x = values(g.image_len(), 1);
            let c = values(g.col_rows() * g.col_cols(), 4);
            let mut cols = vec![0.0; c.len()];
            unfold(&g, &x, &mut cols);
            let mut back = vec![f32::NAN; x.len()];
            fold(&g, &c, &mut back);
            let lhs: f32 = cols.iter().zip(&c).map(|(a, b)| a * b).sum();
            let rhs: f32 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            assert_eq!(lhs, rhs, "{g:?}");
        }
    }
}
