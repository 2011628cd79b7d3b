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
//! (n, t). From 16 rows the rows split into two groups, one per thread,
//! each running all its steps on its own (`Groups`): every row's
//! recurrence is its own chain, so the bits do not depend on the split,
//! and dW_hh still sums each step's rows in order.

use crate::{Layer, Mode, Param, Parameters};
use aedetect_tensor::kernels::elementwise::{
    lstm_cell, lstm_cell_backward, LstmCellGrads, LstmCellStep,
};
use aedetect_tensor::kernels::lstm_step::{lstm_step_row, LstmStepRow};
use aedetect_tensor::{gemm, gemm_gathered_ab, init, ops, Gather, Rng, Tensor, Trans};

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
    /// The activated gates [i, f, g, o] per step: [T, N, 4H] (one step's,
    /// [1, N, 4H], after a forward in `Mode::Infer`). This and the other
    /// histories (h, c, tc, da) are laid out by group of rows (`Groups`):
    /// each group's slots in one piece, [slots, rows of the group, width],
    /// so that the groups run their steps on two threads.
    gates: Tensor,
    /// Hidden and cell states h_0 … h_T and c_0 … c_T: [T + 1, N, H]
    /// (two alternating ones, [2, N, H], after `Mode::Infer`).
    h: Tensor,
    c: Tensor,
    /// tanh(c_t) for t = 1 … T, kept for the backward pass: [T, N, H].
    tc: Tensor,
    /// Where the last forward split its rows into two groups.
    groups: Groups,
    /// Which of `c`'s slots holds the last step's cell state.
    last: usize,
    /// Whether the last forward kept the histories backward needs.
    history: bool,
    /// One step's gate pre-activations before σ and tanh: [N, 4H].
    pre: Tensor,
    /// [W_ih, W_hh]ᵀ as its own row-major copy [D + H, 4H], at
    /// `w_t[w_at..]`: from a 64-byte boundary, since every step streams it
    /// row by row in zmm loads and a load that straddles two cache lines
    /// costs two (on a misaligned copy the live row took 10 % longer, by
    /// the luck of where the allocator put it). And the weights it was made
    /// from (W_ih's values, then W_hh's).
    w_t: Vec<f32>,
    w_at: usize,
    w_from: Vec<f32>,
    y: Tensor,
    /// dL/da per step, by group as the histories [T, N, 4H], and
    /// batch-major [N·T, 4H].
    da: Tensor,
    da_rows: Tensor,
    /// Where row p of da_t and of h_{t−1} starts, for dW_hh's product.
    da_starts: Vec<usize>,
    h_starts: Vec<usize>,
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
            groups: Groups::default(),
            da_starts: Vec::new(),
            h_starts: Vec::new(),
            gates: Tensor::default(),
            h: Tensor::default(),
            c: Tensor::default(),
            tc: Tensor::default(),
            pre: Tensor::default(),
            w_t: Vec::new(),
            w_at: 0,
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
        let slots = self.c.rows();
        let rows = (0..n).flat_map(|p| {
            let at = self.groups.at(p, self.last, slots, h);
            self.c.data()[at..at + h].iter().copied()
        });
        Tensor::from_vec(&[n, h], rows.collect())
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

/// From this many rows a pass splits them into two groups, one per thread
/// of the pool, each running all its steps on its own: every row's
/// recurrence is its own chain, so the bits are one group's. (A step's
/// product alone is too small for `gemm` to split: 64 × 33 × 128
/// multiply-adds, some ten microseconds, and a hand-off every step costs
/// about what it saves.)
const PARALLEL_ROWS: usize = 16;

/// How a pass's N rows are split: rows 0 … split − 1 in the first group,
/// the rest in the second (none below `PARALLEL_ROWS` or on one thread).
/// A history buffer of [slots, N, width] holds the first group's slots,
/// then the second's.
#[derive(Clone, Copy, Debug, Default)]
struct Groups {
    rows: usize,
    split: usize,
}

impl Groups {
    fn new(rows: usize) -> Self {
        let split = if rows >= PARALLEL_ROWS && rayon::current_num_threads() > 1 {
            // A multiple of 8, the product's row tile.
            (rows / 2).next_multiple_of(8).min(rows)
        } else {
            rows
        };
        Groups { rows, split }
    }

    /// Rows in the second group.
    fn rest(&self) -> usize {
        self.rows - self.split
    }

    /// Where row p's values of slot s start in a [slots, N, width] history.
    fn at(&self, p: usize, s: usize, slots: usize, width: usize) -> usize {
        if p < self.split {
            (s * self.split + p) * width
        } else {
            slots * self.split * width + (s * self.rest() + p - self.split) * width
        }
    }

    /// The first group's part of a [slots, N, width] history, and the
    /// second's.
    fn history<'b>(
        &self,
        buf: &'b mut [f32],
        slots: usize,
        width: usize,
    ) -> (&'b mut [f32], &'b mut [f32]) {
        buf.split_at_mut(slots * self.split * width)
    }

    fn history_ref<'b>(
        &self,
        buf: &'b [f32],
        slots: usize,
        width: usize,
    ) -> (&'b [f32], &'b [f32]) {
        buf.split_at(slots * self.split * width)
    }

    /// The first group's rows of a buffer of rows `width` values each (or
    /// [N, T, width], `width` the values per row), and the second's.
    fn rows<'b>(&self, buf: &'b mut [f32], width: usize) -> (&'b mut [f32], &'b mut [f32]) {
        buf.split_at_mut(self.split * width)
    }

    fn rows_ref<'b>(&self, buf: &'b [f32], width: usize) -> (&'b [f32], &'b [f32]) {
        buf.split_at(self.split * width)
    }

    /// Runs `run` on both groups' parts, side by side on the pool, or on
    /// the first alone when the second has no rows.
    fn run<G: Send>(&self, first: G, rest: G, run: impl Fn(G) + Sync) {
        if self.rest() == 0 {
            run(first);
        } else {
            rayon::join(|| run(first), || run(rest));
        }
    }
}

/// What every row's step reads: [W_ih, W_hh]ᵀ, b = b_ih + b_hh, and the
/// sizes.
struct StepWeights<'a> {
    w_t: &'a [f32],
    bias: &'a [f32],
    d: usize,
    h: usize,
    steps: usize,
    infer: bool,
}

/// One group of rows' part of a forward pass's buffers (`Lstm`'s fields):
/// x and y as rows [n, T, ·], the histories [slots, n, ·], one step's xh
/// and pre-activations [n, ·].
struct ForwardRows<'a> {
    x: &'a [f32],
    y: &'a mut [f32],
    xh: &'a mut [f32],
    pre: &'a mut [f32],
    gates: &'a mut [f32],
    h: &'a mut [f32],
    c: &'a mut [f32],
    tc: &'a mut [f32],
}

impl ForwardRows<'_> {
    /// The group's steps t = 1 … T.
    fn run(self, w: &StepWeights<'_>) {
        let (d, h, steps) = (w.d, w.h, w.steps);
        let gh = 4 * h;
        let n = self.xh.len() / (d + h);
        let nh = n * h;
        for t in 0..steps {
            // Where step t reads h_{t−1}, c_{t−1} and writes h_t, c_t, the
            // gates and tanh(c_t): the full histories in training, two
            // alternating states and one slot when scoring.
            let (prev, next, slot) = if w.infer {
                (t % 2, (t + 1) % 2, 0)
            } else {
                (t, t + 1, t)
            };
            // a_t = b + [x_t, h_{t−1}]·[W_ih, W_hh]ᵀ, then activated a
            // quarter at a time by the SIMD kernels: σ for i and f, tanh for
            // g, σ for o.
            let (h_prev, h_next) = split_states(self.h, prev, next, nh);
            let rows = self.xh.chunks_exact_mut(d + h);
            for (row, (xh, hp)) in rows.zip(h_prev.chunks_exact(h)).enumerate() {
                let at = (row * steps + t) * d;
                xh[..d].copy_from_slice(&self.x[at..at + d]);
                xh[d..].copy_from_slice(hp);
            }
            let (c_prev, c_next) = split_states(self.c, prev, next, nh);
            let gates = &mut self.gates[slot * n * gh..(slot + 1) * n * gh];
            let tanh_c = &mut self.tc[slot * nh..(slot + 1) * nh];
            // A few rows (a live window) take the fused step, row by row,
            // where one exists for this width; a block takes the product's
            // row tiles, which read each weight once for several rows.
            // Both give the same bits.
            let mut fused = n < FUSED_ROWS;
            if fused {
                let rows = self.xh.chunks_exact(d + h).zip(gates.chunks_exact_mut(gh));
                let states = c_prev.chunks_exact(h).zip(c_next.chunks_exact_mut(h));
                let outs = tanh_c.chunks_exact_mut(h).zip(h_next.chunks_exact_mut(h));
                for (((xh, gates), (c_prev, c_next)), (tanh_c, h_next)) in
                    rows.zip(states).zip(outs)
                {
                    let step = LstmStepRow {
                        xh,
                        w_t: w.w_t,
                        bias: w.bias,
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
                for row in self.pre.chunks_exact_mut(gh) {
                    row.copy_from_slice(w.bias);
                }
                gemm(
                    Trans::N,
                    Trans::N,
                    n,
                    gh,
                    d + h,
                    1.0,
                    self.xh,
                    w.w_t,
                    1.0,
                    self.pre,
                );
                // The gates, c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙
                // tanh(c_t), every row in one pass.
                lstm_cell(
                    LstmCellStep {
                        pre: self.pre,
                        gates,
                        c_prev,
                        c_next,
                        tanh_c,
                        h_next: &mut *h_next,
                    },
                    h,
                );
            }
            for (row, h_row) in h_next.chunks_exact(h).enumerate() {
                let out = (row * steps + t) * h;
                self.y[out..out + h].copy_from_slice(h_row);
            }
        }
    }
}

/// One group of rows' part of a backward pass's buffers: the forward
/// pass's histories to read, dy as rows [n, T, H], and what it writes.
struct BackwardRows<'a> {
    gates: &'a [f32],
    c: &'a [f32],
    tc: &'a [f32],
    dy: &'a [f32],
    da: &'a mut [f32],
    da_rows: &'a mut [f32],
    dh: &'a mut [f32],
    dc: &'a mut [f32],
}

impl BackwardRows<'_> {
    /// The group's recurrence, t = T … 1: da_t, and dh, dc carried back.
    fn run(self, w_hh: &[f32], h: usize, steps: usize) {
        let gh = 4 * h;
        let n = self.dh.len() / h;
        let nh = n * h;
        for t in (0..steps).rev() {
            let da = &mut self.da[t * n * gh..(t + 1) * n * gh];
            // The cell and gate equations above, for every row at once.
            lstm_cell_backward(
                LstmCellGrads {
                    gates: &self.gates[t * n * gh..(t + 1) * n * gh],
                    c_prev: &self.c[t * nh..(t + 1) * nh],
                    tanh_c: &self.tc[t * nh..(t + 1) * nh],
                    dy: &self.dy[t * h..],
                    dy_stride: steps * h,
                    dh_next: self.dh,
                    dc: self.dc,
                    da,
                },
                h,
            );
            for (row, da_row) in da.chunks_exact(gh).enumerate() {
                let r = (row * steps + t) * gh;
                self.da_rows[r..r + gh].copy_from_slice(da_row);
            }
            // dh carried to step t − 1: da_t·W_hh
            gemm(Trans::N, Trans::N, n, h, gh, 1.0, da, w_hh, 0.0, self.dh);
        }
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
        let gh = 4 * h;
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
        self.y.resize(&[n, steps, h]);
        let g = Groups::new(n);
        self.groups = g;
        // h_0 = c_0 = 0: slot 0 of each group.
        for p in 0..n {
            let at = g.at(p, 0, kept + 1, h);
            self.h.data_mut()[at..at + h].fill(0.0);
            self.c.data_mut()[at..at + h].fill(0.0);
        }
        // Each step multiplies [x_t, h_{t−1}] by [W_ih, W_hh]ᵀ. Read through
        // transposed views, the small-product kernel would gather the
        // weights column by column every step, which costs more than the
        // product itself for a single row (a live window); the copy is made
        // once and read by rows, and made again only when the weights
        // differ, bit for bit, from those it was made from: a live feed
        // scores one window a forward with the same weights, and the copy
        // (shuffles) costs several times the comparison.
        let (w_ih, w_hh) = (self.weight_ih.value.data(), self.weight_hh.value.data());
        let w_len = w_ih.len() + w_hh.len();
        // As bytes, so the comparison is a memcmp and −0 differs from +0.
        let same = |kept: &[f32], now: &[f32]| {
            bytemuck::cast_slice::<f32, u8>(kept) == bytemuck::cast_slice::<f32, u8>(now)
        };
        let split = w_ih.len().min(self.w_from.len());
        let (kept_ih, kept_hh) = self.w_from.split_at(split);
        if !(same(kept_ih, w_ih) && same(kept_hh, w_hh)) {
            // Room to start on any 64-byte boundary (16 floats).
            self.w_t.resize(w_len + 15, 0.0);
            let past = self.w_t.as_ptr() as usize % 64;
            self.w_at = (64 - past) % 64 / std::mem::size_of::<f32>();
            ops::transpose_side_by_side_into(
                &[&self.weight_ih.value, &self.weight_hh.value],
                &mut self.w_t[self.w_at..self.w_at + w_len],
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
        let (x0, x1) = g.rows_ref(x.data(), steps * d);
        let (y0, y1) = g.rows(self.y.data_mut(), steps * h);
        let (xh0, xh1) = g.rows(self.xh.data_mut(), d + h);
        let (pre0, pre1) = g.rows(self.pre.data_mut(), gh);
        let (gates0, gates1) = g.history(self.gates.data_mut(), kept, gh);
        let (h0, h1) = g.history(self.h.data_mut(), kept + 1, h);
        let (c0, c1) = g.history(self.c.data_mut(), kept + 1, h);
        let (tc0, tc1) = g.history(self.tc.data_mut(), kept, h);
        let first = ForwardRows {
            x: x0,
            y: y0,
            xh: xh0,
            pre: pre0,
            gates: gates0,
            h: h0,
            c: c0,
            tc: tc0,
        };
        let rest = ForwardRows {
            x: x1,
            y: y1,
            xh: xh1,
            pre: pre1,
            gates: gates1,
            h: h1,
            c: c1,
            tc: tc1,
        };
        let w = StepWeights {
            w_t: &self.w_t[self.w_at..self.w_at + w_len],
            bias: self.bias.data(),
            d,
            h,
            steps,
            infer,
        };
        g.run(first, rest, |rows| rows.run(&w));
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
        let (gh, d) = (4 * h, self.weight_ih.value.row_len());
        assert_eq!(
            dy.shape(),
            [n, steps, h],
            "LSTM backward: dy shape differs from the forward pass's output"
        );
        let g = self.groups;

        self.da.resize(&[steps, n, gh]);
        self.da_rows.resize(&[n * steps, gh]);
        self.dh.resize(&[n, h]);
        self.dc.resize(&[n, h]);
        self.dh.fill(0.0);
        self.dc.fill(0.0);
        // The recurrence, each group of rows on its own (as in `forward`).
        let (gates0, gates1) = g.history_ref(self.gates.data(), steps, gh);
        let (c0, c1) = g.history_ref(self.c.data(), steps + 1, h);
        let (tc0, tc1) = g.history_ref(self.tc.data(), steps, h);
        let (dy0, dy1) = g.rows_ref(dy.data(), steps * h);
        let (da0, da1) = g.history(self.da.data_mut(), steps, gh);
        let (da_rows0, da_rows1) = g.rows(self.da_rows.data_mut(), steps * gh);
        let (dh0, dh1) = g.rows(self.dh.data_mut(), h);
        let (dc0, dc1) = g.rows(self.dc.data_mut(), h);
        let first = BackwardRows {
            gates: gates0,
            c: c0,
            tc: tc0,
            dy: dy0,
            da: da0,
            da_rows: da_rows0,
            dh: dh0,
            dc: dc0,
        };
        let rest = BackwardRows {
            gates: gates1,
            c: c1,
            tc: tc1,
            dy: dy1,
            da: da1,
            da_rows: da_rows1,
            dh: dh1,
            dc: dc1,
        };
        let w_hh = self.weight_hh.value.data();
        g.run(first, rest, |rows| rows.run(w_hh, h, steps));
        // dW_hh += da_tᵀ·h_{t−1} for t = T … 1, each over all rows in
        // order, read where each group keeps them.
        for t in (0..steps).rev() {
            self.da_starts.clear();
            self.da_starts.extend((0..n).map(|p| g.at(p, t, steps, gh)));
            self.h_starts.clear();
            self.h_starts
                .extend((0..n).map(|p| g.at(p, t, steps + 1, h)));
            let da_t = Gather::Cols {
                data: self.da.data(),
                starts: &self.da_starts,
            };
            let h_t = Gather::Rows {
                data: self.h.data(),
                starts: &self.h_starts,
            };
            gemm_gathered_ab(
                gh,
                h,
                n,
                1.0,
                da_t,
                h_t,
                1.0,
                self.weight_hh.grad.data_mut(),
            );
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
