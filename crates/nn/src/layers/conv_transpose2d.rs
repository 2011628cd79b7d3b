//! Transposed 2-D convolution — the decoder's learned upsampling. It is the
//! adjoint (input gradient) of a Conv2d, so it reuses im2col/col2im the other
//! way round.
//!
//! Shapes: x [N, C_in, H, W], W [C_in, C_out, kh, kw] (PyTorch's layout),
//! b [C_out], y [N, C_out, H', W'] with H' = (H − 1)·s − 2p + kh + output_padding.
//! Seen from y, a Conv2d with this geometry maps y back to x's size, so per image:
//!   y_n  = col2im(Wᵀ · x_n) + b             (W viewed as [C_in, C_out·kh·kw])
//! Backward, with dcols_n = im2col(dY_n) of shape [C_out·kh·kw, H·W]:
//!   dX_n = W · dcols_n
//!   dW  += x_n · dcols_nᵀ
//!   db  += Σ_spatial dY_n
//! As in Conv2d, no column matrix is written: Wᵀ · x_n is computed on the
//! grid of the adjoint convolution's phase planes (`tensor::conv::Phases`)
//! and folded into y_n's planes, and dcols_n's rows are read in place from
//! dY_n's planes. Images run in parallel, as in Conv2d, each image's whole
//! backward (dX_n, dW's term, db's sums) in one pass, and dW is summed the
//! same way.

use super::conv2d::{image_runs, sum_over_images, tap_product_t, ImageOutputs};
use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::conv::Phases;
use aedetect_tensor::gemm::gemm_gathered;
use aedetect_tensor::{gemm, init, ops, ConvGeom, Rng, Tensor, Trans};
use rayon::prelude::*;

pub struct ConvTranspose2d {
    pub weight: Param,
    pub bias: Param,
    stride: usize,
    padding: usize,
    /// Extra rows and columns on the output's far edge: (height, width).
    output_padding: (usize, usize),
    /// Layout of the adjoint convolution over the output image.
    phases: Option<Phases>,
    /// x_n on the adjoint's grid: [N, C_in, grid].
    x_grid: Tensor,
    /// Each image's channel sums of dY in the backward: [N, C_out].
    sums: Tensor,
    /// Per run of images: Wᵀ · x_n on the grid [C_out·kh·kw, grid] and y_n's
    /// planes in the forward pass; per task of `sum_over_images` in the
    /// backward: dY_n's planes and W · dcols_n on the grid [C_in, grid].
    scratch: Tensor,
    /// Each task's part of dW: [tasks, C_in, C_out·kh·kw].
    partials: Tensor,
    y: Tensor,
    dx: Tensor,
}

impl ConvTranspose2d {
    /// Initialised as PyTorch does: fan_in is computed from weight dim 1,
    /// i.e. C_out·k·k.
    pub fn new(
        inputs: usize,
        outputs: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
        rng: &mut Rng,
    ) -> Self {
        let fan_in = outputs * kernel * kernel;
        let mut w = Tensor::zeros(&[inputs, outputs, kernel, kernel]);
        let mut b = Tensor::zeros(&[outputs]);
        init::uniform_fan_in(&mut w, fan_in, rng);
        init::uniform_fan_in(&mut b, fan_in, rng);
        Self::from_params(w, b, stride, padding, output_padding)
    }

    /// A layer with weight `[C_in, C_out, kh, kw]` and bias `[C_out]`.
    ///
    /// # Panics
    /// If shapes disagree, the stride is zero, or output_padding ≥ stride.
    pub fn from_params(
        weight: Tensor,
        bias: Tensor,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Self {
        assert_eq!(
            weight.shape().len(),
            4,
            "ConvTranspose2d weight must be [in, out, kh, kw]"
        );
        assert_eq!(
            bias.shape(),
            &weight.shape()[1..2],
            "ConvTranspose2d bias must be [out]"
        );
        assert!(stride > 0, "ConvTranspose2d stride must be positive");
        assert!(
            output_padding < stride,
            "output_padding must be smaller than stride"
        );
        ConvTranspose2d {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
            stride,
            padding,
            output_padding: (output_padding, output_padding),
            phases: None,
            x_grid: Tensor::default(),
            sums: Tensor::default(),
            scratch: Tensor::default(),
            partials: Tensor::default(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }

    /// The same layer with separate output padding for height and width, so
    /// a decoder can restore an image whose sides differ in parity
    /// (a stride-2 encoder maps both 27 and 28 to 14).
    ///
    /// # Panics
    /// If either is not smaller than the stride.
    pub fn with_output_padding(mut self, height: usize, width: usize) -> Self {
        assert!(
            height < self.stride && width < self.stride,
            "output_padding must be smaller than stride"
        );
        self.output_padding = (height, width);
        self
    }

    fn dims(&self) -> (usize, usize, usize, usize) {
        let s = self.weight.value.shape();
        (s[0], s[1], s[2], s[3])
    }
}

impl Layer for ConvTranspose2d {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        let (cin, cout, kh, kw) = self.dims();
        let s = x.shape();
        assert!(
            s.len() == 4 && s[1] == cin,
            "ConvTranspose2d expects [N, {cin}, H, W], got {s:?}"
        );
        let (n, h, w) = (s[0], s[2], s[3]);
        let out_h = (h - 1) * self.stride + kh + self.output_padding.0;
        let out_w = (w - 1) * self.stride + kw + self.output_padding.1;
        assert!(
            out_h > 2 * self.padding && out_w > 2 * self.padding,
            "ConvTranspose2d: padding too large"
        );
        let g = ConvGeom {
            channels: cout,
            in_h: out_h - 2 * self.padding,
            in_w: out_w - 2 * self.padding,
            kh,
            kw,
            stride_h: self.stride,
            stride_w: self.stride,
            pad_h: self.padding,
            pad_w: self.padding,
        };
        debug_assert_eq!((g.out_h(), g.out_w()), (h, w));
        if self.phases.as_ref().map(Phases::geom) != Some(&g) {
            self.phases = Some(Phases::new(g));
        }
        let ph = self.phases.as_ref().expect("phases set above");
        let (k, grid, x_len) = (g.col_rows(), ph.grid_len(), cin * h * w);
        let (runs, per_run) = image_runs(n);
        self.x_grid.resize(&[n, cin, grid]);
        self.scratch.resize(&[runs, k * grid + ph.len()]);
        self.y.resize(&[n, cout, g.in_h, g.in_w]);
        // y_n = col2im(Wᵀ · x_n) + b, b added as each y_n is written
        let wt = self.weight.value.data(); // [C_in, C_out·kh·kw]
        let b = self.bias.value.data();
        self.x_grid
            .data_mut()
            .par_chunks_mut(per_run * cin * grid)
            .zip(self.scratch.data_mut().par_chunks_mut(k * grid + ph.len()))
            .zip(self.y.data_mut().par_chunks_mut(per_run * g.image_len()))
            .enumerate()
            .for_each(|(r, ((x_grids, scratch), ys))| {
                let (cols, q) = scratch.split_at_mut(k * grid);
                let images = x_grids.chunks_exact_mut(cin * grid);
                for (j, (x_grid, y)) in images.zip(ys.chunks_exact_mut(g.image_len())).enumerate() {
                    let i = r * per_run + j;
                    ph.to_grid(&x.data()[i * x_len..(i + 1) * x_len], x_grid);
                    gemm(Trans::T, Trans::N, k, grid, cin, 1.0, wt, x_grid, 0.0, cols);
                    ph.fold(cols, q);
                    ph.merge(q, y);
                    ops::add_channels_to_image(y, b);
                }
            });
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        let ph = self
            .phases
            .as_ref()
            .expect("ConvTranspose2d backward called before forward");
        let g = *ph.geom();
        let (cin, _, _, _) = self.dims();
        let n = self.x_grid.rows();
        let (k, grid, plane_len) = (g.col_rows(), ph.grid_len(), ph.len());
        assert_eq!(
            dy.len(),
            n * g.image_len(),
            "ConvTranspose2d backward: dy size"
        );
        let (h, w) = (g.out_h(), g.out_w());
        let cout = g.channels;
        self.dx.resize(&[n, cin, h, w]);
        self.sums.resize(&[n, cout]);
        // One pass per image, its values in cache throughout: dY_n's planes
        // (dcols_n = im2col(dY_n) is read from them); dX_n = W · dcols_n on
        // the grid, taken off it; dWᵀ += dcols_n · x_nᵀ, dcols_n again read
        // where it lies in the planes; dY_n's channel sums for db. Scratch
        // per task: the planes, dX_n on the grid.
        let scratch_len = plane_len + cin * grid;
        let (x_grid, wm) = (&self.x_grid, self.weight.value.data()); // W [C_in, C_out·kh·kw]
        sum_over_images(
            n,
            &mut self.partials,
            &mut self.weight.grad,
            &mut self.scratch,
            scratch_len,
            ImageOutputs {
                dx: self.dx.data_mut(),
                dx_len: cin * h * w,
                sums: self.sums.data_mut(),
                channels: cout,
            },
            |i, part_t, beta, scratch, dx, sums| {
                let dy_i = &dy.data()[i * g.image_len()..(i + 1) * g.image_len()];
                let (q, rest) = scratch.split_at_mut(plane_len);
                let dx_grid = &mut rest[..cin * grid];
                ph.split(dy_i, q);
                gemm_gathered(Trans::N, cin, grid, k, 1.0, wm, ph.taps(q), 0.0, dx_grid);
                ph.from_grid(dx_grid, dx);
                let x_i = &x_grid.data()[i * cin * grid..(i + 1) * cin * grid];
                tap_product_t(ph, q, x_i, cin, beta, part_t);
                ops::image_channel_sums(dy_i, sums);
            },
        );
        // db += Σ over images (in order) and space of each output plane
        ops::add_image_sums(self.sums.data(), self.bias.grad.data_mut());
        &self.dx
    }

    fn describe(&self) -> String {
        let (cin, cout, kh, kw) = self.dims();
        format!(
            "ConvTranspose2d({cin} → {cout}, k={kh}×{kw}, s={}, p={}, op={})",
            self.stride,
            self.padding,
            match self.output_padding {
                (h, w) if h == w => h.to_string(),
                (h, w) => format!("{h}×{w}"),
            }
        )
    }
}

impl Parameters for ConvTranspose2d {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }
}
