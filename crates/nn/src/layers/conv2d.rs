//! 2-D convolution as im2col + matrix product, one image at a time.
//!
//! Shapes: x [N, C, H, W], W [out, C, kh, kw], b [out], y [N, out, OH, OW].
//! Per image n, with cols_n = im2col(x_n) of shape [C·kh·kw, OH·OW]:
//!   y_n  = W · cols_n + b                  (W viewed as [out, C·kh·kw])
//! Backward, for dY_n [out, OH·OW]:
//!   dW  += dY_n · cols_nᵀ
//!   db  += Σ_spatial dY_n
//!   dX_n = col2im(Wᵀ · dY_n)
//! Images are independent, so each pass runs them in parallel; dW's sum
//! over images is taken in fixed groups ([`sum_over_images`]), so the
//! result is the same bits for any thread count.

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::conv::{col2im, im2col};
use aedetect_tensor::{init, ops, ConvGeom, MatMut, Rng, Tensor};
use rayon::prelude::*;

/// Images per parallel task of a weight-gradient sum.
const IMAGES_PER_TASK: usize = 8;

/// grad += Σ_n term(n) over `n` images, where `term(n, out, β)` writes
/// β·out + (image n's term) into `out`: each task sums its
/// [`IMAGES_PER_TASK`] images into its own slice of `partials`, in
/// parallel, then the slices are added to `grad` in task order.
pub(crate) fn sum_over_images(
    n: usize,
    partials: &mut Tensor,
    grad: &mut Tensor,
    term: impl Fn(usize, MatMut<'_>, f32) + Sync,
) {
    let tasks = n.div_ceil(IMAGES_PER_TASK);
    let (rows, cols) = (grad.rows(), grad.row_len());
    partials.resize(&[tasks, rows, cols]);
    partials
        .par_items_mut()
        .enumerate()
        .for_each(|(t, mut part)| {
            let images = t * IMAGES_PER_TASK..((t + 1) * IMAGES_PER_TASK).min(n);
            for (k, i) in images.enumerate() {
                term(i, part.reborrow(), if k == 0 { 0.0 } else { 1.0 });
            }
        });
    for part in partials.data().chunks_exact(rows * cols) {
        for (g, p) in grad.data_mut().iter_mut().zip(part) {
            *g += p;
        }
    }
}

pub struct Conv2d {
    pub weight: Param,
    pub bias: Param,
    stride: (usize, usize),
    padding: (usize, usize),
    geom: Option<ConvGeom>,
    /// im2col of every image of the last forward: [N, C·kh·kw, OH·OW].
    cols: Tensor,
    /// Wᵀ · dY_n per image: [N, C·kh·kw, OH·OW].
    dcols: Tensor,
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
            geom: None,
            cols: Tensor::default(),
            dcols: Tensor::default(),
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
    /// `[N, C, L]` input is the case h = 1).
    pub(crate) fn forward_images(&mut self, x: &Tensor, h: usize, w: usize) -> &mut Tensor {
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
        self.geom = Some(g);
        self.cols.resize(&[n, g.col_rows(), g.col_cols()]);
        self.y.resize(&[n, out, g.out_h(), g.out_w()]);
        // y_n = b (on every plane), then y_n += W · im2col(x_n)
        ops::fill_channels(&mut self.y, &self.bias.value);
        let w = self.weight.value.mat(); // [out, C·kh·kw]
        self.cols
            .par_items_mut()
            .zip(self.y.par_items_mut())
            .enumerate()
            .for_each(|(i, (mut cols, y))| {
                im2col(&g, x.item(i), cols.reborrow());
                y.add_product(w, cols.as_mat());
            });
        &mut self.y
    }

    /// Backward for the last forward (shared with Conv1d); with `input`
    /// false only the parameter gradients (the first layer's input is data).
    pub(crate) fn backward_images(&mut self, dy: &Tensor, input: bool) -> &mut Tensor {
        let g = self.geom.expect("Conv2d backward called before forward");
        let (out, c, _, _) = self.dims();
        let n = self.cols.rows();
        assert_eq!(dy.len(), n * out * g.col_cols(), "Conv2d backward: dy size");
        if input {
            self.dx.resize(&[n, c, g.in_h, g.in_w]);
            self.dcols.resize(&[n, g.col_rows(), g.col_cols()]);
            // dX_n = col2im(Wᵀ · dY_n)
            let w = self.weight.value.mat(); // [out, C·kh·kw]
            self.dcols
                .par_items_mut()
                .zip(self.dx.par_items_mut())
                .enumerate()
                .for_each(|(i, (mut dcols, dx))| {
                    dcols.reborrow().set_product(w.t(), dy.item(i));
                    col2im(&g, dcols.as_mat(), dx);
                });
        }
        // dW += Σ_n dY_n · cols_nᵀ
        let cols = &self.cols;
        sum_over_images(
            n,
            &mut self.partials,
            &mut self.weight.grad,
            |i, part, beta| part.product(1.0, dy.item(i), cols.item(i).t(), beta),
        );
        // db += Σ over images and space of each output plane
        ops::add_channel_sums(dy, &mut self.bias.grad);
        &mut self.dx
    }
}

impl Layer for Conv2d {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> &Tensor {
        let s = x.shape();
        assert_eq!(s.len(), 4, "Conv2d expects [N, C, H, W], got {s:?}");
        let (h, w) = (s[2], s[3]);
        self.forward_images(x, h, w)
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
