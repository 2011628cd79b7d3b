//! One LSTM step of a single row with its product fused in: the step a
//! live window takes 64 times (an encoder and a decoder of 32 steps),
//! where the product is one row and the cell 32 values, so the unfused
//! step's overheads (the product's dispatch, b copied into the
//! pre-activations, their store and reload, a second pass for the cell)
//! are a large part of it. The equations are `nn::layers::lstm`'s:
//!   a = b + [x_t, h_{t−1}]·[W_ih, W_hh]ᵀ = [a_i, a_f, a_g, a_o]
//!   i, f, o = σ(a_i, a_f, a_o)   g = tanh(a_g)
//!   c_t = f ⊙ c_{t−1} + i ⊙ g    h_t = o ⊙ tanh(c_t)
//! Each value is the chain of operations that the product (`gemm`, C = b
//! then C += xh·W_t) followed by `elementwise::lstm_cell` gives it, so a
//! row scored alone has the bits it has in a block.

use super::cpu::Simd;

/// One row's step: inputs, weights and the buffers it writes.
pub struct LstmStepRow<'a> {
    /// [x_t, h_{t−1}]: k values.
    pub xh: &'a [f32],
    /// [W_ih, W_hh]ᵀ row-major: k rows of 4h.
    pub w_t: &'a [f32],
    /// b_ih + b_hh: 4h values.
    pub bias: &'a [f32],
    /// Out: the activated gates [i, f, g, o], 4h values.
    pub gates: &'a mut [f32],
    /// c_{t−1}, h values.
    pub c_prev: &'a [f32],
    /// Out: c_t, tanh(c_t) and h_t, h values each.
    pub c_next: &'a mut [f32],
    pub tanh_c: &'a mut [f32],
    pub h_next: &'a mut [f32],
}

impl LstmStepRow<'_> {
    /// # Panics
    /// If a buffer's length is not its width for this h and k.
    fn check(&self, h: usize) {
        let k = self.xh.len();
        assert!(
            h > 0
                && self.w_t.len() == k * 4 * h
                && self.bias.len() == 4 * h
                && self.gates.len() == 4 * h
                && [
                    self.c_prev.len(),
                    self.c_next.len(),
                    self.tanh_c.len(),
                    self.h_next.len()
                ]
                .iter()
                .all(|&len| len == h),
            "lstm step: buffers are not one row of k = {k} inputs, 4·{h} gates and {h} states"
        );
    }
}

/// Runs the step where a fused kernel exists for it (AVX-512F, h = 16 or
/// 32: each gate whole zmm vectors) and says whether it did; elsewhere the
/// caller runs the product and `elementwise::lstm_cell`.
///
/// # Panics
/// If a buffer's length is not its width (k rows of 4h for `w_t`, 4h for
/// `bias` and `gates`, h for the states).
pub fn lstm_step_row(s: LstmStepRow<'_>, h: usize) -> bool {
    s.check(h);
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        Some(Simd::Avx512(_)) => match h {
            // SAFETY: the token proves AVX-512F (the kernel's only
            // feature); `check` proved every buffer's length for 4h = 16·4.
            16 => unsafe { super::lstm_step_avx512::step::<4>(s) },
            // SAFETY: as above, for 4h = 16·8.
            32 => unsafe { super::lstm_step_avx512::step::<8>(s) },
            _ => return false,
        },
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::{gemm, Trans};
    use crate::kernels::elementwise::{lstm_cell, LstmCellStep};

    /// Values of either sign and several scales, so every gate saturates
    /// somewhere and cancels somewhere.
    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len as u32)
            .map(|i| {
                let x = (i.wrapping_mul(2_654_435_761).wrapping_add(seed * 40_503) >> 8) as f32;
                (x / (1u32 << 24) as f32 - 0.5) * [0.3, 1.0, 3.0][(i % 3) as usize]
            })
            .collect()
    }

    #[test]
    fn the_fused_step_is_the_product_then_the_cell_bit_for_bit() {
        for h in [16, 32] {
            for k in [h + 1, h + 8, h] {
                let (xh, w_t, bias) = (values(k, 1), values(k * 4 * h, 2), values(4 * h, 3));
                let c_prev = values(h, 4);
                // The unfused step: pre = b, pre += xh·W_t, then the cell.
                let mut pre = bias.clone();
                gemm(
                    Trans::N,
                    Trans::N,
                    1,
                    4 * h,
                    k,
                    1.0,
                    &xh,
                    &w_t,
                    1.0,
                    &mut pre,
                );
                let mut want = [vec![0.0; 4 * h], vec![0.0; h], vec![0.0; h], vec![0.0; h]];
                let [gates, c, tc, hn] = &mut want;
                lstm_cell(
                    LstmCellStep {
                        pre: &pre,
                        gates,
                        c_prev: &c_prev,
                        c_next: c,
                        tanh_c: tc,
                        h_next: hn,
                    },
                    h,
                );
                let mut got = [
                    vec![f32::NAN; 4 * h],
                    vec![f32::NAN; h],
                    vec![f32::NAN; h],
                    vec![f32::NAN; h],
                ];
                let [gates, c, tc, hn] = &mut got;
                let fused = lstm_step_row(
                    LstmStepRow {
                        xh: &xh,
                        w_t: &w_t,
                        bias: &bias,
                        gates,
                        c_prev: &c_prev,
                        c_next: c,
                        tanh_c: tc,
                        h_next: hn,
                    },
                    h,
                );
                if !fused {
                    // No fused kernel on this CPU: nothing may be written.
                    assert!(got.iter().flatten().all(|v| v.is_nan()), "h = {h}");
                    continue;
                }
                for (name, (g, w)) in ["gates", "c_t", "tanh c_t", "h_t"]
                    .iter()
                    .zip(got.iter().zip(&want))
                {
                    let (g, w): (Vec<u32>, Vec<u32>) = (
                        g.iter().map(|v| v.to_bits()).collect(),
                        w.iter().map(|v| v.to_bits()).collect(),
                    );
                    assert_eq!(g, w, "{name}, h = {h}, k = {k}");
                }
            }
        }
    }

    #[test]
    fn other_widths_are_left_to_the_unfused_step() {
        let h = 8;
        let (mut g, mut c, mut tc, mut hn) =
            (vec![0.0; 32], vec![0.0; 8], vec![0.0; 8], vec![0.0; 8]);
        let step = LstmStepRow {
            xh: &[0.5; 9],
            w_t: &[0.1; 9 * 32],
            bias: &[0.0; 32],
            gates: &mut g,
            c_prev: &[0.0; 8],
            c_next: &mut c,
            tanh_c: &mut tc,
            h_next: &mut hn,
        };
        assert!(!lstm_step_row(step, h));
    }

    #[test]
    #[should_panic(expected = "lstm step: buffers are not one row")]
    fn a_short_weight_matrix_is_refused() {
        let (mut g, mut c, mut tc, mut hn) =
            (vec![0.0; 64], vec![0.0; 16], vec![0.0; 16], vec![0.0; 16]);
        lstm_step_row(
            LstmStepRow {
                xh: &[0.5; 17],
                w_t: &[0.1; 16 * 64],
                bias: &[0.0; 64],
                gates: &mut g,
                c_prev: &[0.0; 16],
                c_next: &mut c,
                tanh_c: &mut tc,
                h_next: &mut hn,
            },
            16,
        );
    }
}
