//! 2-D convolution as matrix products, one image at a time, over the
//! image's stride phases (`tensor::conv::Phases`) instead of a column matrix.
//!
//! Shapes: x [N, C, H, W], W [out, C, kh, kw], b [out], y [N, out, OH, OW].
//! Per image n, with cols_n = im2col(x_n) of shape [C·kh·kw, OH·OW]:
//!   y_n  = W · cols_n + b                  (W viewed as [out, C·kh·kw])
//! Backward, for dY_n [out, OH·OW]:
//!   dW  += dY_n · cols_nᵀ
//!   db  += Σ_spatial dY_n
//!   dX_n = col2im(Wᵀ · dY_n)
//! cols_n is never written: its rows are contiguous runs of x_n's phase
//! planes, which the products read in place, on a grid of output rows as
//! wide as a plane (a few unused columns per row: dropped from y, zero in
//! dY). col2im is the planes' fold and merge. Each element is the same
//! chain of FMAs as the product with cols_n, so the results are the same.
//! Images are independent, so each pass runs them in parallel, and does all
//! of an image's work while its values are in cache: the forward adds b as
//! it writes y_n, the backward computes dW's term, db's sums and dX_n in one
//! pass. dW's sum over images is taken in fixed groups
//! ([`sum_over_images`]) and db's in image order, so the results are the
//! same bits for any thread count.

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::conv::Phases;
use aedetect_tensor::gemm::{gemm_gathered, gemm_gathered_a};
use aedetect_tensor::{gemm, init, ops, ConvGeom, Rng, Tensor, Trans};
use rayon::prelude::*;

/// Images per parallel task of a weight-gradient sum.
const IMAGES_PER_TASK: usize = 8;

/// Runs of images per thread in a pass whose buffers are per run.
const RUNS_PER_THREAD: usize = 4;

/// Splits `n` images into runs of consecutive images for a parallel pass:
/// returns (runs, images per run). A buffer an image needs only while it
/// is worked on (its planes, its product on the grid) is one per run, so
/// it stays in cache, instead of one per image streaming through memory.
/// Which run an image falls in changes no value, only where it is worked.
pub(crate) fn image_runs(n: usize) -> (usize, usize) {
    let runs = (RUNS_PER_THREAD * rayon::current_num_threads()).clamp(1, n.max(1));
    let per_run = n.div_ceil(runs).max(1);
    (n.div_ceil(per_run).max(1), per_run)
}

/// One image's outputs of a fused backward pass beside its weight-gradient
/// term: its input gradient dX_n (`dx`, values per image `dx_len`) and its
/// channel sums for the bias gradient (`sums`, one per output channel).
pub(crate) struct ImageOutputs<'a> {
    pub dx: &'a mut [f32],
    pub dx_len: usize,
    pub sums: &'a mut [f32],
    pub channels: usize,
}

/// grad [rows, cols] += Σ_n term(n) over `n` images, each term computed
/// transposed: `term(n, out, β, scratch, dx_n, sums_n)` writes β·out +
/// (image n's term)ᵀ into `out` ([cols, rows], row-major), with
/// `scratch_len` values of scratch of its own, and may write image n's
/// slices of `outputs` (its dX_n and its channel sums), so that one pass
/// over an image does all of its backward while its values are in cache.
/// Each task sums its [`IMAGES_PER_TASK`] images into its own slice of
/// `partials`, in parallel, then the slices are added to `grad` in task
/// order (rows of `grad` in parallel).
///
/// Transposed, because a weight gradient dY_n · cols_nᵀ is the same FMA
/// chain per element as cols_n · dY_nᵀ (each product's factors swapped,
/// which rounds the same), and the second form packs dY_n, whose rows are
/// as long as the grid, for the kernel, instead of transposing the taps
/// gathered from the planes: 9 or 144 columns per image, a 9-wide panel
/// mostly by single values. It is also the shape the kernel's tiles fill
/// (144 × 32 rather than 32 × 144). Measured on `conv_ae/train_5k`: the
/// packing transposes went from 6.9 % of the time to 5.4 % (Zen 5).
pub(crate) fn sum_over_images(
    n: usize,
    partials: &mut Tensor,
    grad: &mut Tensor,
    scratch: &mut Tensor,
    scratch_len: usize,
    outputs: ImageOutputs<'_>,
    term: impl Fn(usize, &mut [f32], f32, &mut [f32], &mut [f32], &mut [f32]) + Sync,
) {
    let tasks = n.div_ceil(IMAGES_PER_TASK);
    let (rows, cols) = (grad.rows(), grad.row_len());
    let ImageOutputs {
        dx,
        dx_len,
        sums,
        channels,
    } = outputs;
    assert!(
        dx_len > 0 && channels > 0 && dx.len() == n * dx_len && sums.len() == n * channels,
        "sum_over_images: per-image outputs for {n} images"
    );
    partials.resize(&[tasks, rows * cols]);
    scratch.resize(&[tasks, scratch_len.max(1)]);
    partials
        .data_mut()
        .par_chunks_mut(rows * cols)
        .zip(scratch.data_mut().par_chunks_mut(scratch_len.max(1)))
        .zip(dx.par_chunks_mut(IMAGES_PER_TASK * dx_len))
        .zip(sums.par_chunks_mut(IMAGES_PER_TASK * channels))
        .enumerate()
        .for_each(|(t, (((part, scratch), dxs), sums))| {
            let images = t * IMAGES_PER_TASK..((t + 1) * IMAGES_PER_TASK).min(n);
            let outs = dxs
                .chunks_exact_mut(dx_len)
                .zip(sums.chunks_exact_mut(channels));
            for ((k, i), (dx, sums)) in images.enumerate().zip(outs) {
                term(i, part, if k == 0 { 0.0 } else { 1.0 }, scratch, dx, sums);
            }
        });
    // Each row of grad on its own thread; each value adds the tasks' parts
    // in task order, whatever the split.
    let parts = partials.data();
    grad.data_mut()
        .par_chunks_mut(cols)
        .enumerate()
        .for_each(|(r, g_row)| {
            for part in parts.chunks_exact(rows * cols) {
                for (c, g) in g_row.iter_mut().enumerate() {
                    *g += part[c * rows + r];
                }
            }
        });
}

/// One image's weight-gradient term for [`sum_over_images`], transposed:
/// part_t = β·part_t + cols · otherᵀ, where cols [C·kh·kw, grid] is read
/// where its rows lie, in the image's planes `q` (no copy), and `other` is
/// the image's [rows, grid] on the same grid (dY_n for a Conv2d, x_n for a
/// ConvTranspose2d).
pub(crate) fn tap_product_t(
    ph: &Phases,
    q: &[f32],
    other: &[f32],
    rows: usize,
    beta: f32,
    part_t: &mut [f32],
) {
    let (k, grid) = (ph.geom().col_rows(), ph.grid_len());
    gemm_gathered_a(
        Trans::T,
        k,
        rows,
        grid,
        1.0,
        ph.taps(q),
        other,
        beta,
        part_t,
    );
}

pub struct Conv2d {
    pub weight: Param,
    pub bias: Param,
    stride: (usize, usize),
    padding: (usize, usize),
    /// The layout of the last forward's images (rebuilt when the geometry
    /// changes).
    phases: Option<Phases>,
    /// Every image's phase planes, kept for dW: [N, planes] (after a
    /// `Mode::Infer` forward, one per run of images: [runs, planes]).
    planes: Tensor,
    /// Images whose planes the last forward kept (0 after `Mode::Infer`).
    kept: usize,
    /// Each image's channel sums of dY in the backward: [N, out].
    sums: Tensor,
    /// Per run of images: W · cols_n on the grid [out, grid] in the forward
    /// pass; in the backward, per task of [`sum_over_images`]: dY_n on the
    /// grid [out, grid], Wᵀ · dY_n on the grid [C·kh·kw, grid], and the
    /// planes that folds into.
    scratch: Tensor,
    /// Each task's part of dW: [tasks, out, C·kh·kw].
    partials: Tensor,
    y: Tensor,
    dx: Tensor,
}

impl Conv2d {
    /// A square-kernel convolution initialised as PyTorch does
    /// (U(−1/√fan_in, 1/√fan_in), fan_in = C·k·k).
    pub fn new(
        inputs: usize,
        outputs: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut Rng,
    ) -> Self {
        Self::with_kernel(
            inputs,
            outputs,
            (kernel, kernel),
            (stride, stride),
            (padding, padding),
            rng,
        )
    }

    /// A convolution with separate height/width kernel, stride and padding.
    pub fn with_kernel(
        inputs: usize,
        outputs: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        rng: &mut Rng,
    ) -> Self {
        let fan_in = inputs * kernel.0 * kernel.1;
        let mut w = Tensor::zeros(&[outputs, inputs, kernel.0, kernel.1]);
        let mut b = Tensor::zeros(&[outputs]);
        init::uniform_fan_in(&mut w, fan_in, rng);
        init::uniform_fan_in(&mut b, fan_in, rng);
        Self::from_params(w, b, stride, padding)
    }

    /// A convolution with the given weight `[out, C, kh, kw]` and bias `[out]`.
    ///
    /// # Panics
    /// If the shapes disagree or a stride is zero.
    pub fn from_params(
        weight: Tensor,
        bias: Tensor,
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Self {
        assert_eq!(
            weight.shape().len(),
            4,
            "Conv2d weight must be [out, in, kh, kw]"
        );
        assert_eq!(
            bias.shape(),
            &weight.shape()[..1],
            "Conv2d bias must be [out]"
        );
        assert!(
            stride.0 > 0 && stride.1 > 0,
            "Conv2d stride must be positive"
        );
        Conv2d {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
            stride,
            padding,
            phases: None,
            planes: Tensor::default(),
            kept: 0,
            sums: Tensor::default(),
            scratch: Tensor::default(),
            partials: Tensor::default(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }

    /// (out, C, kh, kw); a 3-D weight is Conv1d's [out, C, k] view with kh = 1.
    fn dims(&self) -> (usize, usize, usize, usize) {
        match *self.weight.value.shape() {
            [o, c, kh, kw] => (o, c, kh, kw),
            [o, c, k] => (o, c, 1, k),
            ref s => unreachable!("convolution weight of shape {s:?}"),
        }
    }

    /// Forward over `n` images of size h×w (shared with Conv1d, whose
    /// `[N, C, L]` input is the case h = 1). The planes are kept for
    /// backward unless `mode` is `Infer`.
    pub(crate) fn forward_images(
        &mut self,
        x: &Tensor,
        h: usize,
        w: usize,
        mode: Mode,
    ) -> &mut Tensor {
        let (out, c, kh, kw) = self.dims();
        let n = x.rows();
        assert!(
            h + 2 * self.padding.0 >= kh && w + 2 * self.padding.1 >= kw,
            "Conv2d: input {h}×{w} is smaller than the kernel {kh}×{kw}"
        );
        let g = ConvGeom {
            channels: c,
            in_h: h,
            in_w: w,
            kh,
            kw,
            stride_h: self.stride.0,
            stride_w: self.stride.1,
            pad_h: self.padding.0,
            pad_w: self.padding.1,
        };
        assert_eq!(
            x.len(),
            n * g.image_len(),
            "Conv2d: expected {n}×{c}×{h}×{w} input values"
        );
        if self.phases.as_ref().map(Phases::geom) != Some(&g) {
            self.phases = Some(Phases::new(g));
        }
        let ph = self.phases.as_ref().expect("phases set above");
        let (k, grid, plane_len, y_len) =
            (g.col_rows(), ph.grid_len(), ph.len(), out * g.col_cols());
        let (runs, per_run) = image_runs(n);
        self.kept = if mode == Mode::Infer { 0 } else { n };
        // Kept planes: one per image, a run's consecutive; else one per run.
        let (planes, run_planes) = match self.kept {
            0 => (runs, plane_len),
            _ => (n, per_run * plane_len),
        };
        self.planes.resize(&[planes, plane_len]);
        self.scratch.resize(&[runs, out * grid]);
        self.y.resize(&[n, out, g.out_h(), g.out_w()]);
        // y_n = W · cols_n + b (cols_n read from x_n's planes)
        let (w, kept) = (self.weight.value.data(), self.kept > 0); // [out, C·kh·kw]
        let b = self.bias.value.data();
        self.planes
            .data_mut()
            .par_chunks_mut(run_planes)
            .zip(self.scratch.data_mut().par_chunks_mut(out * grid))
            .zip(self.y.data_mut().par_chunks_mut(per_run * y_len))
            .enumerate()
            .for_each(|(r, ((qs, y_grid), ys))| {
                for (j, y) in ys.chunks_exact_mut(y_len).enumerate() {
                    let i = r * per_run + j;
                    let q = if kept {
                        &mut qs[j * plane_len..(j + 1) * plane_len]
                    } else {
                        &mut *qs
                    };
                    ph.split(&x.data()[i * g.image_len()..(i + 1) * g.image_len()], q);
                    gemm_gathered(Trans::N, out, grid, k, 1.0, w, ph.taps(q), 0.0, y_grid);
                    ph.from_grid(y_grid, y);
                    ops::add_channels_to_image(y, b);
                }
            });
        &mut self.y
    }

    /// Backward for the last forward (shared with Conv1d); with `input`
    /// false only the parameter gradients (the first layer's input is data).
    pub(crate) fn backward_images(&mut self, dy: &Tensor, input: bool) -> &mut Tensor {
        let ph = self
            .phases
            .as_ref()
            .expect("Conv2d backward called before forward");
        let g = *ph.geom();
        let (out, c, _, _) = self.dims();
        let n = self.kept;
        let (k, grid) = (g.col_rows(), ph.grid_len());
        assert_eq!(
            dy.len(),
            n * out * g.col_cols(),
            "Conv2d backward: dy size (or the forward was Mode::Infer)"
        );
        // One pass per image, its values in cache throughout: dY_n on the
        // grid (zero in its unused columns); dWᵀ += cols_n · dY_nᵀ with
        // cols_n read where it lies in the planes; dY_n's channel sums for db;
        // dX_n = col2im(Wᵀ · dY_n), the product on the grid folded into
        // planes and merged. Scratch per task: dY_n on the grid, Wᵀ · dY_n
        // on the grid, the planes dX_n folds into.
        let (dy_len, plane_len) = (out * g.col_cols(), ph.len());
        let scratch_len = out * grid + k * grid + plane_len;
        // dX is sized when not wanted too (written nowhere then), so every
        // image has an output slice.
        self.dx.resize(&[n, c, g.in_h, g.in_w]);
        self.sums.resize(&[n, out]);
        let (planes, w) = (&self.planes, self.weight.value.data()); // W [out, C·kh·kw]
        sum_over_images(
            n,
            &mut self.partials,
            &mut self.weight.grad,
            &mut self.scratch,
            scratch_len,
            ImageOutputs {
                dx: self.dx.data_mut(),
                dx_len: g.image_len(),
                sums: self.sums.data_mut(),
                channels: out,
            },
            |i, part_t, beta, scratch, dx, sums| {
                let dy_i = &dy.data()[i * dy_len..(i + 1) * dy_len];
                let (dy_grid, rest) = scratch.split_at_mut(out * grid);
                let (dcols, q) = rest.split_at_mut(k * grid);
                ph.to_grid(dy_i, dy_grid);
                let q_i = &planes.data()[i * plane_len..(i + 1) * plane_len];
                tap_product_t(ph, q_i, dy_grid, out, beta, part_t);
                ops::image_channel_sums(dy_i, sums);
                if input {
                    gemm(
                        Trans::T,
                        Trans::N,
                        k,
                        grid,
                        out,
                        1.0,
                        w,
                        dy_grid,
                        0.0,
                        dcols,
                    );
                    ph.fold(dcols, q);
                    ph.merge(q, dx);
                }
            },
        );
        // db += Σ over images (in order) and space of each output plane
        ops::add_image_sums(self.sums.data(), self.bias.grad.data_mut());
        &mut self.dx
    }
}

impl Layer for Conv2d {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let s = x.shape();
        assert_eq!(s.len(), 4, "Conv2d expects [N, C, H, W], got {s:?}");
        let (h, w) = (s[2], s[3]);
        self.forward_images(x, h, w, mode)
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        self.backward_images(dy, true)
    }

    /// Skips dX_n = col2im(Wᵀ · dY_n), a third of the backward's work.
    fn backward_params(&mut self, dy: &Tensor) {
        self.backward_images(dy, false);
    }

    fn describe(&self) -> String {
        let (out, c, kh, kw) = self.dims();
        format!(
            "Conv2d({c} → {out}, k={kh}×{kw}, s={}×{}, p={}×{})",
            self.stride.0, self.stride.1, self.padding.0, self.padding.1
        )
    }
}

impl Parameters for Conv2d {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weight gradient summed transposed has the bits of its
    /// definition, Σ_n dY_n · cols_nᵀ with cols_nᵀ gathered from the planes
    /// and the images summed in the same groups, on a layer with more taps
    /// than outputs and one with fewer, over images in several tasks.
    #[test]
    fn the_transposed_weight_gradient_has_the_definition_s_bits() {
        // Both run on the small kernel; matrixmultiply (no AVX2) only
        // promises the same values, not the same bits.
        if aedetect_tensor::isa() == aedetect_tensor::Isa::Generic {
            eprintln!("no AVX2/FMA kernel here: nothing to compare");
            return;
        }
        for (channels, out) in [(4, 3), (1, 16)] {
            let g = ConvGeom {
                channels,
                in_h: 9,
                in_w: 10,
                kh: 3,
                kw: 3,
                stride_h: 2,
                stride_w: 2,
                pad_h: 1,
                pad_w: 1,
            };
            let ph = Phases::new(g);
            let (k, grid, n) = (g.col_rows(), ph.grid_len(), 2 * IMAGES_PER_TASK + 3);
            let value = |i: usize| ((i * 7919 % 1009) as f32 / 1009.0 - 0.5) * 1.7;
            let mut planes = vec![0.0; n * ph.len()];
            for (i, q) in planes.chunks_exact_mut(ph.len()).enumerate() {
                let x: Vec<f32> = (0..g.image_len()).map(|j| value(i * 131 + j)).collect();
                ph.split(&x, q);
            }
            let mut dy = vec![0.0; n * out * grid];
            for (i, d) in dy.chunks_exact_mut(out * grid).enumerate() {
                let y: Vec<f32> = (0..out * g.col_cols())
                    .map(|j| value(i * 17 + j + 5))
                    .collect();
                ph.to_grid(&y, d);
            }
            let start: Vec<f32> = (0..out * k).map(value).collect();
            let (q, dy_i) = (
                |i: usize| &planes[i * ph.len()..(i + 1) * ph.len()],
                |i: usize| &dy[i * out * grid..(i + 1) * out * grid],
            );
            let mut got = Tensor::from_vec(&[out, k], start.clone());
            let (mut partials, mut scratch) = (Tensor::default(), Tensor::default());
            let (mut dx, mut sums) = (vec![0.0; n], vec![0.0; n]);
            let outputs = ImageOutputs {
                dx: &mut dx,
                dx_len: 1,
                sums: &mut sums,
                channels: 1,
            };
            sum_over_images(
                n,
                &mut partials,
                &mut got,
                &mut scratch,
                k * grid,
                outputs,
                |i, part_t, beta, _, _, _| tap_product_t(&ph, q(i), dy_i(i), out, beta, part_t),
            );
            // The definition, group by group, in the same order.
            let mut want = start;
            let mut part = vec![0.0; out * k];
            for group in (0..n).collect::<Vec<_>>().chunks(IMAGES_PER_TASK) {
                for (j, &i) in group.iter().enumerate() {
                    let beta = if j == 0 { 0.0 } else { 1.0 };
                    gemm_gathered(
                        Trans::N,
                        out,
                        k,
                        grid,
                        1.0,
                        dy_i(i),
                        ph.taps_t(q(i)),
                        beta,
                        &mut part,
                    );
                }
                want.iter_mut().zip(&part).for_each(|(w, p)| *w += p);
            }
            assert_eq!(got.data(), &want[..], "C {channels}, out {out}");
            assert!(want.iter().all(|v| v.is_finite()));
        }
    }
}
