//! im2col / col2im: turning a convolution into one matrix product.
//!
//! For one image x[C, H, W] and a kernel of kh×kw, `im2col` writes the matrix
//! cols[(c, i, j), (oh, ow)] = x[c, oh·s − p + i, ow·s − p + j] (zero outside),
//! of shape (C·kh·kw) × (OH·OW). A convolution is then W[out, C·kh·kw] · cols.
//! `col2im` is its adjoint: it scatters-adds such a matrix back into an image,
//! which is both the input gradient of a convolution and the forward pass of a
//! transposed convolution. A 1-D convolution is the case H = 1, kh = 1.

use crate::gemm::Gather;
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

/// An image laid out so that a convolution reads its column matrix in
/// place: the padded image split into its stride phases.
///
/// With strides (sh, sw), phase (a, b) of channel c is the plane
/// Q[u, v] = P[u·sh + a, v·sw + b] of the zero-padded image P. Tap
/// (c, ki, kj) of output pixel (oh, ow) is P[oh·sh + ki, ow·sw + kj] =
/// Q_(c, ki mod sh, kj mod sw)[oh + ⌊ki/sh⌋, ow + ⌊kj/sw⌋]: a window of one
/// plane at stride 1. Laying the outputs out on a *grid* of rows as wide as
/// a plane (V ≥ OW columns, the last V − OW of each row unused), each row
/// of the column matrix becomes one contiguous run of the planes, starting
/// at [`Phases::starts`]`[r]`. A product then reads its taps from the
/// planes ([`crate::gemm::Gather`]) and no column matrix is written; the
/// adjoint ([`Phases::fold`]) adds contiguous runs back.
///
/// The unused grid columns hold values of no pixel: a forward product's
/// are dropped ([`Phases::from_grid`]); a backward product's inputs there
/// are zero ([`Phases::to_grid`]), so they add nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Phases {
    g: ConvGeom,
    /// Rows and columns of one phase plane.
    rows: usize,
    cols: usize,
    starts: Vec<usize>,
}

impl Phases {
    pub fn new(g: ConvGeom) -> Self {
        let (sh, sw) = (g.stride_h, g.stride_w);
        let rows = g.out_h() + (g.kh - 1) / sh;
        let cols = g.out_w() + (g.kw - 1) / sw;
        let plane = rows * cols;
        let starts = (0..g.col_rows())
            .map(|r| {
                let (c, ki, kj) = g.tap(r);
                let phase = (c * sh + ki % sh) * sw + kj % sw;
                phase * plane + ki / sh * cols + kj / sw
            })
            .collect();
        Phases {
            g,
            rows,
            cols,
            starts,
        }
    }

    pub fn geom(&self) -> &ConvGeom {
        &self.g
    }

    /// Values of one image's planes, with one plane row of slack at the end
    /// for the last tap's unused grid columns.
    pub fn len(&self) -> usize {
        let g = &self.g;
        g.channels * g.stride_h * g.stride_w * self.rows * self.cols + self.cols
    }

    /// Always false: there is at least one plane.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Values of one row of the column matrix on the grid: OH·V.
    pub fn grid_len(&self) -> usize {
        self.g.out_h() * self.cols
    }

    /// Where each row r = (c·kh + ki)·kw + kj of the column matrix starts
    /// in the planes; it runs on for [`Phases::grid_len`] values.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The planes of one image x [C, H·W] (zero in the padding).
    ///
    /// # Panics
    /// If the slices' sizes do not match the geometry.
    pub fn split(&self, x: &[f32], q: &mut [f32]) {
        let g = &self.g;
        assert_eq!(x.len(), g.image_len(), "phases: image size");
        assert_eq!(q.len(), self.len(), "phases: planes size");
        q.fill(0.0);
        if let Some(halves) = self.row_halves() {
            let (ne, no) = (g.in_w.div_ceil(2), g.in_w / 2);
            self.for_each_row(halves, |row, even_at, odd_at| {
                let (evens, odds) = two_runs_mut(q, even_at, ne, odd_at, no);
                strided::deinterleave(&x[row..row + g.in_w], evens, odds);
            });
            return;
        }
        self.for_each_run(|c, i, j0, plane_at, count| {
            let src = &x[(c * g.in_h + i) * g.in_w + j0..];
            let dst = &mut q[plane_at..plane_at + count];
            match g.stride_w {
                1 => dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s),
                2 => strided::gather_every_other(src, dst),
                s => dst
                    .iter_mut()
                    .zip(src.iter().step_by(s))
                    .for_each(|(d, v)| *d = *v),
            }
        });
    }

    /// The image x [C, H·W] from its planes (the padding dropped): the
    /// inverse of [`Phases::split`] on every pixel a tap reads; pixels the
    /// stride steps over (none of the planes hold them) are 0, as col2im
    /// leaves them.
    ///
    /// # Panics
    /// If the slices' sizes do not match the geometry.
    pub fn merge(&self, q: &[f32], x: &mut [f32]) {
        let g = &self.g;
        assert_eq!(x.len(), g.image_len(), "phases: image size");
        assert_eq!(q.len(), self.len(), "phases: planes size");
        if !self.holds_every_pixel() {
            x.fill(0.0);
        }
        if let Some(halves) = self.row_halves() {
            let (ne, no) = (g.in_w.div_ceil(2), g.in_w / 2);
            self.for_each_row(halves, |row, even_at, odd_at| {
                let (evens, odds) = (&q[even_at..even_at + ne], &q[odd_at..odd_at + no]);
                strided::interleave(evens, odds, &mut x[row..row + g.in_w]);
            });
            return;
        }
        self.for_each_run(|c, i, j0, plane_at, count| {
            let src = &q[plane_at..plane_at + count];
            let dst = &mut x[(c * g.in_h + i) * g.in_w + j0..];
            match g.stride_w {
                1 => dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s),
                2 => strided::spread_every_other(src, dst),
                s => dst
                    .iter_mut()
                    .step_by(s)
                    .zip(src)
                    .for_each(|(d, v)| *d = *v),
            }
        });
    }

    /// Whether the planes hold every pixel of the image (the last row and
    /// column fall inside a plane), so that merging overwrites all of it.
    fn holds_every_pixel(&self) -> bool {
        let g = &self.g;
        (g.in_h + g.pad_h).saturating_sub(1) / g.stride_h < self.rows
            && (g.in_w + g.pad_w).saturating_sub(1) / g.stride_w < self.cols
    }

    /// With stride 2 across, phases b = 0 and 1 of an image row hold its
    /// pixels alternately. Where together they hold all of them, each row
    /// moves whole ([`strided::deinterleave`], [`strided::interleave`]):
    /// returns the plane position of pixel 0 (the even pixels) and of pixel
    /// 1 (the odd ones) as (phase b, plane column).
    fn row_halves(&self) -> Option<[(usize, usize); 2]> {
        let g = &self.g;
        if g.stride_w != 2 || g.in_w < 2 {
            return None;
        }
        let mut halves = [(0, 0); 2];
        for b in 0..2 {
            let (v_lo, v_hi) = valid_outputs(self.cols, b, 2, g.pad_w, g.in_w);
            // The first pixel this phase holds; the two phases' differ in parity.
            let j0 = 2 * v_lo + b - g.pad_w;
            if j0 > 1 || v_hi - v_lo != (g.in_w - j0).div_ceil(2) {
                return None;
            }
            halves[j0] = (b, v_lo);
        }
        Some(halves)
    }

    /// Calls `row(at, even_at, odd_at)` for every image row the planes
    /// hold, with `halves` from [`Phases::row_halves`]: pixels x[at + 2t]
    /// are the plane values at even_at + t, x[at + 2t + 1] those at
    /// odd_at + t.
    fn for_each_row(&self, halves: [(usize, usize); 2], mut row: impl FnMut(usize, usize, usize)) {
        let g = &self.g;
        let plane = self.rows * self.cols;
        for c in 0..g.channels {
            for a in 0..g.stride_h {
                let (u_lo, u_hi) = valid_outputs(self.rows, a, g.stride_h, g.pad_h, g.in_h);
                for u in u_lo..u_hi {
                    let i = u * g.stride_h + a - g.pad_h;
                    let at = |(b, v): (usize, usize)| {
                        ((c * g.stride_h + a) * 2 + b) * plane + u * self.cols + v
                    };
                    row((c * g.in_h + i) * g.in_w, at(halves[0]), at(halves[1]));
                }
            }
        }
    }

    /// Calls `run(c, i, j0, at, count)` for every plane row that holds
    /// image pixels: pixels x[c, i, j0 + t·sw] for t < count are the plane
    /// values at `at + t`.
    fn for_each_run(&self, mut run: impl FnMut(usize, usize, usize, usize, usize)) {
        let g = &self.g;
        let plane = self.rows * self.cols;
        for c in 0..g.channels {
            for a in 0..g.stride_h {
                let (u_lo, u_hi) = valid_outputs(self.rows, a, g.stride_h, g.pad_h, g.in_h);
                for b in 0..g.stride_w {
                    let (v_lo, v_hi) = valid_outputs(self.cols, b, g.stride_w, g.pad_w, g.in_w);
                    if v_lo == v_hi {
                        continue;
                    }
                    let base = ((c * g.stride_h + a) * g.stride_w + b) * plane;
                    for u in u_lo..u_hi {
                        let i = u * g.stride_h + a - g.pad_h;
                        let j0 = v_lo * g.stride_w + b - g.pad_w;
                        run(c, i, j0, base + u * self.cols + v_lo, v_hi - v_lo);
                    }
                }
            }
        }
    }

    /// Overwrites the planes `q` with the adjoint of reading the taps:
    /// q = Σ_r (row r of `cols` [C·kh·kw, grid] added at starts[r]), rows
    /// in order, so every pixel sums its taps in the order col2im does.
    ///
    /// # Panics
    /// If the slices' sizes do not match the geometry.
    pub fn fold(&self, cols: &[f32], q: &mut [f32]) {
        let grid = self.grid_len();
        assert_eq!(cols.len(), self.starts.len() * grid, "phases: cols size");
        assert_eq!(q.len(), self.len(), "phases: planes size");
        q.fill(0.0);
        for (row, &start) in cols.chunks_exact(grid.max(1)).zip(&self.starts) {
            add_assign(&mut q[start..start + grid], row);
        }
    }

    /// Rows [channels, OH·OW] (a product's operand) on the grid
    /// [channels, OH·V], zero in the unused columns.
    ///
    /// # Panics
    /// If the slices' sizes do not match.
    pub fn to_grid(&self, y: &[f32], grid: &mut [f32]) {
        let ow = self.g.out_w();
        assert_eq!(y.len() * self.cols, grid.len() * ow, "phases: grid size");
        // One kernel for all rows: rows of 7 or 14 values would each be a
        // memmove and a memset call.
        strided::pad_rows(y, ow, grid, self.cols);
    }

    /// A product's result on the grid [channels, OH·V] as rows
    /// [channels, OH·OW], the unused columns dropped.
    ///
    /// # Panics
    /// If the slices' sizes do not match.
    pub fn from_grid(&self, grid: &[f32], y: &mut [f32]) {
        let ow = self.g.out_w();
        assert_eq!(y.len() * self.cols, grid.len() * ow, "phases: grid size");
        strided::compact_rows(grid, self.cols, y, ow);
    }

    /// op(B) = the column matrix [C·kh·kw, grid], read from the planes.
    pub fn taps<'a>(&'a self, q: &'a [f32]) -> Gather<'a> {
        Gather::Rows {
            data: q,
            starts: &self.starts,
        }
    }

    /// op(B) = the column matrix's transpose [grid, C·kh·kw], read from the
    /// planes.
    pub fn taps_t<'a>(&'a self, q: &'a [f32]) -> Gather<'a> {
        Gather::Cols {
            data: q,
            starts: &self.starts,
        }
    }
}

/// The runs q[a..a + na] and q[b..b + nb], which do not overlap, both
/// mutable.
fn two_runs_mut(
    q: &mut [f32],
    a: usize,
    na: usize,
    b: usize,
    nb: usize,
) -> (&mut [f32], &mut [f32]) {
    if a < b {
        let (lo, hi) = q.split_at_mut(b);
        (&mut lo[a..a + na], &mut hi[..nb])
    } else {
        let (lo, hi) = q.split_at_mut(a);
        (&mut hi[..na], &mut lo[b..b + nb])
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

    /// The planes' runs are im2col's rows: every tap of every output pixel
    /// read through `starts` equals the column matrix, and merging the
    /// planes gives the image back, on every geometry.
    #[test]
    fn phase_planes_hold_the_column_matrix_and_the_image() {
        // Both ways of moving stride-2 rows are covered: whole rows, and
        // runs where the planes do not hold a row's every pixel.
        let stride_two = geometries().into_iter().filter(|g| g.stride_w == 2);
        let whole: Vec<bool> = stride_two
            .map(|g| Phases::new(g).row_halves().is_some())
            .collect();
        assert!(whole.iter().any(|&w| w) && whole.iter().any(|&w| !w));
        for g in geometries() {
            let ph = Phases::new(g);
            let x = values(g.image_len(), 1);
            let mut q = vec![f32::NAN; ph.len()];
            ph.split(&x, &mut q);
            let cols = unfold_reference(&g, &x);
            let (oh_n, ow_n, v) = (g.out_h(), g.out_w(), ph.grid_len() / g.out_h().max(1));
            for r in 0..g.col_rows() {
                for oh in 0..oh_n {
                    for ow in 0..ow_n {
                        let got = q[ph.starts()[r] + oh * v + ow];
                        let want = cols[(r * oh_n + oh) * ow_n + ow];
                        assert_eq!(got, want, "{g:?} r {r}");
                    }
                }
            }
            // Back wherever a tap reads the pixel; elsewhere 0 or the pixel.
            let mut read = vec![0.0; x.len()];
            fold(&g, &vec![1.0; cols.len()], &mut read);
            let mut back = vec![f32::NAN; x.len()];
            ph.merge(&q, &mut back);
            for ((b, x), read) in back.iter().zip(&x).zip(&read) {
                assert!(b == x || (*read == 0.0 && *b == 0.0), "{g:?}: {b} for {x}");
            }
        }
    }

    /// fold + merge is col2im: the grid's rows (zero in the unused
    /// columns) added back at the same starts give the same bits.
    #[test]
    fn fold_then_merge_is_col2im() {
        for g in geometries() {
            let ph = Phases::new(g);
            let cols = values(g.col_rows() * g.col_cols(), 3);
            let mut want = vec![f32::NAN; g.image_len()];
            fold(&g, &cols, &mut want);
            let mut grid = vec![f32::NAN; g.col_rows() * ph.grid_len()];
            ph.to_grid(&cols, &mut grid);
            let mut compact = vec![f32::NAN; cols.len()];
            ph.from_grid(&grid, &mut compact);
            assert_eq!(compact, cols, "{g:?}");
            let mut q = vec![f32::NAN; ph.len()];
            ph.fold(&grid, &mut q);
            let mut got = vec![f32::NAN; g.image_len()];
            ph.merge(&q, &mut got);
            assert_eq!(got, want, "{g:?}");
        }
    }
}
