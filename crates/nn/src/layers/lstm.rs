//! A one-layer LSTM over sequences, with backpropagation through time
//! written out by hand. PyTorch's layout and gate order, batch first.
//!
//! Shapes: x [N, T, D], W_ih [4H, D], W_hh [4H, H], b_ih, b_hh [4H],
//! y [N, T, H] (every step's hidden state); h₀ = c₀ = 0.
//!
//! Forward, for t = 1 … T (σ the logistic function, ⊙ element-wise):
//!   a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh = [a_i, a_f, a_g, a_o]
//!   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//!   c_t = f ⊙ c_{t−1} + i ⊙ g
//!   h_t = o ⊙ tanh(c_t)                                  (y_t = h_t)
//!
//! Backward, for t = T … 1, with dh and dc carried from step t + 1 (0 at T):
//!   dh   = dy_t + dh_{t+1}
//!   da_o = dh ⊙ tanh(c_t) ⊙ o(1 − o)
//!   dc   = dh ⊙ o ⊙ (1 − tanh²(c_t)) + dc_{t+1}
//!   da_i = dc ⊙ g ⊙ i(1 − i)      da_g = dc ⊙ i ⊙ (1 − g²)
//!   da_f = dc ⊙ c_{t−1} ⊙ f(1 − f)
//!   dc_t carried = dc ⊙ f          dh_t carried = da_t·W_hh
//!   dW_hh += da_tᵀ·h_{t−1}
//! then, over all steps at once:
//!   dW_ih += Σ_t da_tᵀ·x_t   db_ih, db_hh += Σ_t Σ_n da_t   dx_t = da_t·W_ih
//! The forward pass runs step by step, both products as one,
//! [x_t, h_{t−1}]·[W_ih, W_hh]ᵀ, into one step's pre-activations (so a
//! block of windows never holds its whole input projection); for a few
//! rows (a live window) the product and the cell are one fused kernel per
//! row (`kernels::lstm_step`), with the same bits. Backward,
//! only the recurrence (and dW_hh, which reads each step's h_{t−1}) runs
//! step by step; dx and dW_ih are one matrix product each over every
//! (n, t).

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::kernels::elementwise::{
    lstm_cell, lstm_cell_backward, LstmCellGrads, LstmCellStep,
};
use aedetect_tensor::kernels::lstm_step::{lstm_step_row, LstmStepRow};
use aedetect_tensor::{init, ops, Rng, Tensor};

/// Below this many rows a step runs row by row through the fused step
/// (`kernels::lstm_step`); from it up, the product's 4-row tiles share
/// each weight's load between rows.
const FUSED_ROWS: usize = 4;

pub struct Lstm {
    pub weight_ih: Param,
    pub weight_hh: Param,
    pub bias_ih: Param,
    pub bias_hh: Param,
    /// The last input as rows (n, t): [N·T, D] (empty after a forward in
    /// `Mode::Infer`).
    x: Tensor,
    /// One step's inputs beside the previous hidden state, [x_t, h_{t−1}]:
    /// [N, D + H], so both products are one.
    xh: Tensor,
    /// b_ih + b_hh: [4H].
    bias: Tensor,
    /// The activated gates [i, f, g, o] per step, time-major: [T, N, 4H]
    /// (one step's, [1, N, 4H], after a forward in `Mode::Infer`).
    gates: Tensor,
    /// Hidden and cell states h_0 … h_T and c_0 … c_T: [T + 1, N, H]
    /// (two alternating ones, [2, N, H], after `Mode::Infer`).
    h: Tensor,
    c: Tensor,
    /// tanh(c_t) for t = 1 … T, kept for the backward pass: [T, N, H].
    tc: Tensor,
    /// Which of `c`'s slots holds the last step's cell state.
    last: usize,
    /// Whether the last forward kept the histories backward needs.
    history: bool,
    /// One step's gate pre-activations before σ and tanh: [N, 4H].
    pre: Tensor,
    /// [W_ih, W_hh]ᵀ as its own row-major copy [D + H, 4H], and the
    /// weights it was made from (W_ih's values, then W_hh's).
    w_t: Tensor,
    w_from: Vec<f32>,
    y: Tensor,
    /// dL/da per step, time-major [T, N, 4H] and batch-major [N·T, 4H].
    da: Tensor,
    da_rows: Tensor,
    /// dh and dc carried from the step after.
    dh: Tensor,
    dc: Tensor,
    dx: Tensor,
    /// xᵀ·da over every (n, t), [D, 4H], and its transpose [4H, D]: dW_ih's
    /// step, computed with D rows (see `backward`).
    dw_ih_t: Tensor,
    dw_ih: Tensor,
}

impl Lstm {
    /// An LSTM from `inputs` features to `hidden` units, initialised as
    /// PyTorch does: every weight and bias from U(−1/√H, 1/√H).
    pub fn new(inputs: usize, hidden: usize, rng: &mut Rng) -> Self {
        let k = 1.0 / (hidden as f32).sqrt();
        let mut tensors = [
            Tensor::zeros(&[4 * hidden, inputs]),
            Tensor::zeros(&[4 * hidden, hidden]),
            Tensor::zeros(&[4 * hidden]),
            Tensor::zeros(&[4 * hidden]),
        ];
        for t in &mut tensors {
            init::uniform(t, -k, k, rng);
        }
        let [w_ih, w_hh, b_ih, b_hh] = tensors;
        Self::from_params(w_ih, w_hh, b_ih, b_hh)
    }

    /// An LSTM with the given weights [4H, D], [4H, H] and biases [4H]
    /// (PyTorch's `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`).
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn from_params(
        weight_ih: Tensor,
        weight_hh: Tensor,
        bias_ih: Tensor,
        bias_hh: Tensor,
    ) -> Self {
        let four_h = weight_hh.rows();
        assert!(
            four_h.is_multiple_of(4) && weight_hh.shape() == [four_h, four_h / 4],
            "LSTM weight_hh must be [4H, H], got {:?}",
            weight_hh.shape()
        );
        assert_eq!(weight_ih.shape().len(), 2, "LSTM weight_ih must be [4H, D]");
        assert_eq!(weight_ih.rows(), four_h, "LSTM weight_ih must be [4H, D]");
        assert_eq!(bias_ih.shape(), [four_h], "LSTM bias_ih must be [4H]");
        assert_eq!(bias_hh.shape(), [four_h], "LSTM bias_hh must be [4H]");
        Lstm {
            weight_ih: Param::new("weight_ih", weight_ih),
            weight_hh: Param::new("weight_hh", weight_hh),
            bias_ih: Param::new("bias_ih", bias_ih),
            bias_hh: Param::new("bias_hh", bias_hh),
            x: Tensor::default(),
            xh: Tensor::default(),
            bias: Tensor::default(),
            last: 0,
            history: false,
            gates: Tensor::default(),
            h: Tensor::default(),
            c: Tensor::default(),
            tc: Tensor::default(),
            pre: Tensor::default(),
            w_t: Tensor::default(),
            w_from: Vec::new(),
            y: Tensor::default(),
            da: Tensor::default(),
            da_rows: Tensor::default(),
            dh: Tensor::default(),
            dc: Tensor::default(),
            dx: Tensor::default(),
            dw_ih_t: Tensor::default(),
            dw_ih: Tensor::default(),
        }
    }

    /// Hidden units H.
    pub fn hidden(&self) -> usize {
        self.weight_hh.value.row_len()
    }

    /// The cell state after the last step of the last forward: [N, H].
    pub fn last_cell(&self) -> Tensor {
        let (n, h) = (self.c.shape()[1], self.hidden());
        let at = self.last * n * h;
        Tensor::from_vec(&[n, h], self.c.data()[at..at + n * h].to_vec())
    }
}

/// Step t's state slots in a buffer of [slots, N, H] states: `prev` to read
/// (c_{t−1}) and `next` to write (c_t), each `nh` values, `prev` ≠ `next`.
fn split_states(c: &mut [f32], prev: usize, next: usize, nh: usize) -> (&[f32], &mut [f32]) {
    if prev < next {
        let (old, new) = c.split_at_mut(next * nh);
        (&old[prev * nh..(prev + 1) * nh], &mut new[..nh])
    } else {
        let (new, old) = c.split_at_mut(prev * nh);
        (&old[..nh], &mut new[next * nh..(next + 1) * nh])
    }
}

impl Layer for Lstm {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        let s = x.shape();
        let d = self.weight_ih.value.row_len();
        assert!(
            s.len() == 3 && s[2] == d,
            "LSTM expects [N, T, {d}], got {s:?}"
        );
        let (n, steps, h) = (s[0], s[1], self.hidden());
        let (nh, gh) = (n * h, 4 * h);
        // Training keeps every step's gates and states for the backward
        // pass. Scoring keeps one step's gates and two states (the one
        // read, the one written): for a block of 1,024 windows of 32 steps
        // the histories are some 30 MB, streamed through memory every step.
        let infer = mode == Mode::Infer;
        let kept = if infer { 1 } else { steps };
        if infer {
            // No backward follows: an empty cache makes one fail loudly.
            self.x.resize(&[0, d]);
        } else {
            self.x.resize(&[n * steps, d]);
            self.x.data_mut().copy_from_slice(x.data());
        }
        self.xh.resize(&[n, d + h]);
        self.pre.resize(&[n, gh]);
        self.gates.resize(&[kept, n, gh]);
        self.h.resize(&[kept + 1, n, h]);
        self.c.resize(&[kept + 1, n, h]);
        self.tc.resize(&[kept, n, h]);
        self.h.data_mut()[..nh].fill(0.0);
        self.c.data_mut()[..nh].fill(0.0);
        self.y.resize(&[n, steps, h]);
        // Each step multiplies [x_t, h_{t−1}] by [W_ih, W_hh]ᵀ. Read through
        // transposed views, the small-product kernel would gather the
        // weights column by column every step, which costs more than the
        // product itself for a single row (a live window); the copy is made
        // once and read by rows, and made again only when the weights
        // differ, bit for bit, from those it was made from: a live feed
        // scores one window a forward with the same weights, and the copy
        // (shuffles) costs several times the comparison.
        let (w_ih, w_hh) = (self.weight_ih.value.data(), self.weight_hh.value.data());
        // As bytes, so the comparison is a memcmp and −0 differs from +0.
        let same = |kept: &[f32], now: &[f32]| {
            bytemuck::cast_slice::<f32, u8>(kept) == bytemuck::cast_slice::<f32, u8>(now)
        };
        let split = w_ih.len().min(self.w_from.len());
        let (kept_ih, kept_hh) = self.w_from.split_at(split);
        if !(same(kept_ih, w_ih) && same(kept_hh, w_hh)) {
            ops::transpose_side_by_side(
                &[&self.weight_ih.value, &self.weight_hh.value],
                &mut self.w_t,
            );
            self.w_from.clear();
            self.w_from.extend_from_slice(w_ih);
            self.w_from.extend_from_slice(w_hh);
        }
        // b = b_ih + b_hh, where each step's pre-activations start.
        self.bias.resize(&[gh]);
        let (b_ih, b_hh) = (self.bias_ih.value.data(), self.bias_hh.value.data());
        for (b, (bi, bh)) in self.bias.data_mut().iter_mut().zip(b_ih.iter().zip(b_hh)) {
            *b = bi + bh;
        }
        for t in 0..steps {
            // Where step t reads h_{t−1}, c_{t−1} and writes h_t, c_t, the
            // gates and tanh(c_t): the full histories in training, two
            // alternating states and one slot when scoring.
            let (prev, next, slot) = if infer {
                (t % 2, (t + 1) % 2, 0)
            } else {
                (t, t + 1, t)
            };
            // a_t = b + [x_t, h_{t−1}]·[W_ih, W_hh]ᵀ, then activated a
            // quarter at a time by the SIMD kernels: σ for i and f, tanh for
            // g, σ for o.
            let h_prev = &self.h.data()[prev * nh..(prev + 1) * nh];
            let rows = self.xh.data_mut().chunks_exact_mut(d + h);
            for (row, (xh, hp)) in rows.zip(h_prev.chunks_exact(h)).enumerate() {
                let at = (row * steps + t) * d;
                xh[..d].copy_from_slice(&x.data()[at..at + d]);
                xh[d..].copy_from_slice(hp);
            }
            let (c_prev, c_next) = split_states(self.c.data_mut(), prev, next, nh);
            let h_next = &mut self.h.data_mut()[next * nh..(next + 1) * nh];
            let gates = &mut self.gates.data_mut()[slot * n * gh..(slot + 1) * n * gh];
            let tanh_c = &mut self.tc.data_mut()[slot * nh..(slot + 1) * nh];
            // A few rows (a live window) take the fused step, row by row,
            // where one exists for this width; a block takes the product's
            // row tiles, which read each weight once for several rows.
            // Both give the same bits.
            let mut fused = n < FUSED_ROWS;
            if fused {
                let rows = self
                    .xh
                    .data()
                    .chunks_exact(d + h)
                    .zip(gates.chunks_exact_mut(gh));
                let states = c_prev.chunks_exact(h).zip(c_next.chunks_exact_mut(h));
                let outs = tanh_c.chunks_exact_mut(h).zip(h_next.chunks_exact_mut(h));
                for (((xh, gates), (c_prev, c_next)), (tanh_c, h_next)) in
                    rows.zip(states).zip(outs)
                {
                    let step = LstmStepRow {
                        xh,
                        w_t: self.w_t.data(),
                        bias: self.bias.data(),
                        gates,
                        c_prev,
                        c_next,
                        tanh_c,
                        h_next,
                    };
                    if !lstm_step_row(step, h) {
                        // The width or the CPU has no fused step: no row
                        // has been written.
                        fused = false;
                        break;
                    }
                }
            }
            if !fused {
                for row in self.pre.data_mut().chunks_exact_mut(gh) {
                    row.copy_from_slice(self.bias.data());
                }
                self.pre
                    .mat_mut()
                    .add_product(self.xh.mat(), self.w_t.mat());
                // The gates, c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙
                // tanh(c_t), every row in one pass.
                lstm_cell(
                    LstmCellStep {
                        pre: self.pre.data(),
                        gates,
                        c_prev,
                        c_next,
                        tanh_c,
                        h_next: &mut *h_next,
                    },
                    h,
                );
            }
            let y = self.y.data_mut();
            for (row, h_row) in h_next.chunks_exact(h).enumerate() {
                let out = (row * steps + t) * h;
                y[out..out + h].copy_from_slice(h_row);
            }
        }
        self.last = if infer { steps % 2 } else { steps };
        self.history = !infer;
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        assert!(
            self.history,
            "LSTM backward after a forward in Mode::Infer, which keeps no history"
        );
        let (steps, n, h) = (self.gates.rows(), self.h.shape()[1], self.hidden());
        let (nh, gh, d) = (n * h, 4 * h, self.weight_ih.value.row_len());
        assert_eq!(
            dy.shape(),
            [n, steps, h],
            "LSTM backward: dy shape differs from the forward pass's output"
        );

        self.da.resize(&[steps, n, gh]);
        self.da_rows.resize(&[n * steps, gh]);
        self.dh.resize(&[n, h]);
        self.dc.resize(&[n, h]);
        self.dh.fill(0.0);
        self.dc.fill(0.0);
        for t in (0..steps).rev() {
            let gates = &self.gates.data()[t * n * gh..(t + 1) * n * gh];
            let c_prev = &self.c.data()[t * nh..(t + 1) * nh];
            let tanh_c = &self.tc.data()[t * nh..(t + 1) * nh];
            let da = &mut self.da.data_mut()[t * n * gh..(t + 1) * n * gh];
            // The cell and gate equations above, for every row at once.
            lstm_cell_backward(
                LstmCellGrads {
                    gates,
                    c_prev,
                    tanh_c,
                    dy: &dy.data()[t * h..],
                    dy_stride: steps * h,
                    dh_next: self.dh.data(),
                    dc: self.dc.data_mut(),
                    da,
                },
                h,
            );
            for (row, da_row) in da.chunks_exact(gh).enumerate() {
                let r = (row * steps + t) * gh;
                self.da_rows.data_mut()[r..r + gh].copy_from_slice(da_row);
            }
            // dh carried to step t − 1: da_t·W_hh;  dW_hh += da_tᵀ·h_{t−1}
            self.dh
                .mat_mut()
                .set_product(self.da.item(t), self.weight_hh.value.mat());
            self.weight_hh
                .grad
                .mat_mut()
                .add_product(self.da.item(t).t(), self.h.item(t));
        }
        // Over every (n, t) at once. dW_ih += daᵀ·x is taken as (xᵀ·da)ᵀ: a
        // product with D rows (few: one for a univariate series), which the
        // small-product kernel reads in place, where daᵀ·x has 4H rows and an
        // N·T-long k that went to a general sgemm packing all of daᵀ.
        self.dw_ih_t.resize(&[d, gh]);
        self.dw_ih_t
            .mat_mut()
            .set_product(self.x.t(), self.da_rows.mat());
        ops::transpose_side_by_side(&[&self.dw_ih_t], &mut self.dw_ih);
        ops::add_assign(&mut self.weight_ih.grad, &self.dw_ih);
        ops::add_col_sums(&self.da_rows, &mut self.bias_ih.grad);
        ops::add_col_sums(&self.da_rows, &mut self.bias_hh.grad);
        self.dx.resize(&[n * steps, d]);
        self.dx
            .mat_mut()
            .set_product(self.da_rows.mat(), self.weight_ih.value.mat());
        self.dx.reshape(&[n, steps, d]);
        &self.dx
    }

    fn describe(&self) -> String {
        format!(
            "LSTM({} → {})",
            self.weight_ih.value.row_len(),
            self.hidden()
        )
    }
}

impl Parameters for Lstm {
    fn visit_params(&self, f: &mut dyn FnMut(&Param)) {
        f(&self.weight_ih);
        f(&self.weight_hh);
        f(&self.bias_ih);
        f(&self.bias_hh);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param)) {
        f(&mut self.weight_ih);
        f(&mut self.weight_hh);
        f(&mut self.bias_ih);
        f(&mut self.bias_hh);
    }
}
