//! One LSTM step of one row (`lstm_step::lstm_step_row`) on zmm vectors,
//! its product kept in registers: a = b + [x_t, h_{t−1}]·W_t, the gates,
//! c_t, tanh(c_t) and h_t, with 4h = 16·V (h = 16 or 32: each gate a whole
//! number of vectors).
//!
//! Every value is the chain of operations the unfused step gives it
//! (`small_gemm_avx512`'s one-row tile, then `exp_avx512::lstm_cell`), so
//! a live window and a block of windows get the same bits:
//!   acc = a_p·w_p + acc for p = 0, 1, … from 0, then the product's
//!   α·acc + β·C with α = β = 1 and C = b, which is b + acc rounded once
//!   (1·acc and 1·b are exact);
//!   σ and tanh as `exp_avx512::apply`; c_t = f·c_{t−1} + i·g, two
//!   products and a sum.
//! What it saves is the unfused step's traffic: b copied into the
//! pre-activations, their store and reload, the product's dispatch, and
//! a second pass for the cell.

#![cfg(target_arch = "x86_64")]

use super::exp_avx512::apply;
use super::exp_poly::Op;
use super::lstm_step::LstmStepRow;
use std::arch::x86_64::*;

const LANES: usize = 16;

/// The step for 4h = 16·V (`s`'s lengths checked by `LstmStepRow::check`).
///
/// # Safety
/// The CPU runs AVX-512F; `s.w_t` holds `s.xh.len()` rows of 16·V values,
/// `s.bias` and `s.gates` 16·V values, and `c_prev`, `c_next`, `tanh_c`,
/// `h_next` 4·V each.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn step<const V: usize>(s: LstmStepRow<'_>) {
    let width = V * LANES;
    let w = s.w_t.as_ptr();
    let mut acc = [_mm512_setzero_ps(); V];
    for (p, &a) in s.xh.iter().enumerate() {
        let a = _mm512_set1_ps(a);
        let row = w.add(p * width);
        for (v, acc) in acc.iter_mut().enumerate() {
            *acc = _mm512_fmadd_ps(a, _mm512_loadu_ps(row.add(v * LANES)), *acc);
        }
    }
    // V / 4 vectors per gate: i, f, g (tanh), o.
    let q = V / 4;
    let mut gate = [_mm512_setzero_ps(); V];
    for (v, (g, acc)) in gate.iter_mut().zip(acc).enumerate() {
        let a = _mm512_add_ps(_mm512_loadu_ps(s.bias.as_ptr().add(v * LANES)), acc);
        *g = if v / q == 2 {
            apply::<{ Op::TANH }>(a)
        } else {
            apply::<{ Op::SIGMOID }>(a)
        };
        _mm512_storeu_ps(s.gates.as_mut_ptr().add(v * LANES), *g);
    }
    for u in 0..q {
        let at = u * LANES;
        let (i, f, g, o) = (gate[u], gate[q + u], gate[2 * q + u], gate[3 * q + u]);
        let c = _mm512_add_ps(
            _mm512_mul_ps(f, _mm512_loadu_ps(s.c_prev.as_ptr().add(at))),
            _mm512_mul_ps(i, g),
        );
        let tc = apply::<{ Op::TANH }>(c);
        _mm512_storeu_ps(s.c_next.as_mut_ptr().add(at), c);
        _mm512_storeu_ps(s.tanh_c.as_mut_ptr().add(at), tc);
        _mm512_storeu_ps(s.h_next.as_mut_ptr().add(at), _mm512_mul_ps(o, tc));
    }
}
