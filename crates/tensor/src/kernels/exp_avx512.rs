//! exp and what is built on it (σ, tanh, an LSTM's gates, binary
//! cross-entropy on logits with a ln beside it) on 16-lane zmm vectors, the
//! arithmetic of `exp_avx2.rs` lane for lane: the same polynomial, the same
//! FMAs in the same order, so both instruction sets give the same bits.
//! The slice's tail goes through masked loads and stores.

#![cfg(target_arch = "x86_64")]

use super::elementwise::LstmCellStep;
use super::exp_poly::{
    Op, EXP_LIMIT, LN2_HI, LN2_LO, LN_POLY, LOG2E, POLY, SIGMOID_LIMIT, SQRT2, SUM_LANES,
    TANH_LIMIT,
};
use super::small_gemm_avx512::first_lanes;
use std::arch::x86_64::*;

const LANES: usize = 16;

/// e^x for x in [−87, 88] (see `exp_poly.rs`).
#[inline]
#[target_feature(enable = "avx512f")]
fn exp_in_range(x: __m512) -> __m512 {
    // x = n·ln 2 + r with |r| ≤ ln 2 / 2; ln 2 in two parts keeps r exact.
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(x, _mm512_set1_ps(LOG2E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    let mut p = _mm512_set1_ps(POLY[0]);
    for c in &POLY[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
    }
    // e^r ≈ 1 + r + r²·p(r), then 2^n put straight into the exponent bits.
    let e = _mm512_add_ps(
        _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r),
        _mm512_set1_ps(1.0),
    );
    let bits = _mm512_slli_epi32::<23>(_mm512_add_epi32(
        _mm512_cvtps_epi32(n),
        _mm512_set1_epi32(127),
    ));
    _mm512_mul_ps(e, _mm512_castsi512_ps(bits))
}

/// One vector of `OP`.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn apply<const OP: u8>(x: __m512) -> __m512 {
    let one = _mm512_set1_ps(1.0);
    let clamp = |v: __m512, limit: f32| {
        _mm512_min_ps(
            _mm512_max_ps(v, _mm512_set1_ps(-limit)),
            _mm512_set1_ps(limit),
        )
    };
    match OP {
        Op::SIGMOID => {
            // 1 / (1 + e^(−x)), e^(−x) inside the polynomial's range.
            let minus = _mm512_sub_ps(_mm512_setzero_ps(), x);
            _mm512_div_ps(
                one,
                _mm512_add_ps(one, exp_in_range(clamp(minus, SIGMOID_LIMIT))),
            )
        }
        Op::TANH => {
            // 1 − 2 / (e^(2x) + 1).
            let two = _mm512_set1_ps(2.0);
            let e = exp_in_range(_mm512_mul_ps(clamp(x, TANH_LIMIT), two));
            _mm512_sub_ps(one, _mm512_div_ps(two, _mm512_add_ps(e, one)))
        }
        _ => {
            // Lanes beyond the range take libm's exp (inf above, tiny
            // values below), one at a time: rare.
            let y = exp_in_range(clamp(x, EXP_LIMIT));
            let outside =
                _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_abs_ps(x), _mm512_set1_ps(EXP_LIMIT));
            if outside == 0 {
                return y;
            }
            let (mut xs, mut ys) = ([0.0f32; LANES], [0.0f32; LANES]);
            // SAFETY: both arrays hold 16 values; unaligned stores and
            // loads of one zmm each.
            unsafe {
                _mm512_storeu_ps(xs.as_mut_ptr(), x);
                _mm512_storeu_ps(ys.as_mut_ptr(), y);
            }
            for (l, (yv, xv)) in ys.iter_mut().zip(xs).enumerate() {
                if outside & (1 << l) != 0 {
                    *yv = xv.exp();
                }
            }
            // SAFETY: as above.
            unsafe { _mm512_loadu_ps(ys.as_ptr()) }
        }
    }
}

/// y[i] = OP(x[i]) for every i.
///
/// # Panics
/// If the slices differ in length.
#[target_feature(enable = "avx512f")]
pub(super) fn map<const OP: u8>(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "element-wise operands differ in length");
    let mut xs = x.chunks_exact(LANES);
    let mut ys = y.chunks_exact_mut(LANES);
    for (xc, yc) in (&mut xs).zip(&mut ys) {
        // SAFETY: each chunk holds exactly 16 values.
        unsafe { _mm512_storeu_ps(yc.as_mut_ptr(), apply::<OP>(_mm512_loadu_ps(xc.as_ptr()))) }
    }
    let (xt, yt) = (xs.remainder(), ys.into_remainder());
    if !xt.is_empty() {
        let live = (1u16 << xt.len()) - 1;
        // SAFETY: the masks keep the first xt.len() < 16 lanes, which both
        // tails hold; masked-off lanes are neither read nor written.
        unsafe {
            let v = apply::<OP>(_mm512_maskz_loadu_ps(live, xt.as_ptr()));
            _mm512_mask_storeu_ps(yt.as_mut_ptr(), live, v);
        }
    }
}

/// ln w for w in [1, 2] (see `exp_poly.rs`).
#[inline]
#[target_feature(enable = "avx512f")]
fn ln_1_to_2(w: __m512) -> __m512 {
    let one = _mm512_set1_ps(1.0);
    let big = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(w, _mm512_set1_ps(SQRT2));
    let z = _mm512_sub_ps(_mm512_mask_mul_ps(w, big, w, _mm512_set1_ps(0.5)), one);
    let k = _mm512_maskz_mov_ps(big, one);
    let zz = _mm512_mul_ps(z, z);
    let mut q = _mm512_set1_ps(LN_POLY[0]);
    for c in &LN_POLY[1..] {
        q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(*c));
    }
    let mut y = _mm512_mul_ps(_mm512_mul_ps(q, z), zz);
    y = _mm512_fmadd_ps(k, _mm512_set1_ps(LN2_LO), y);
    y = _mm512_fnmadd_ps(zz, _mm512_set1_ps(0.5), y);
    _mm512_fmadd_ps(k, _mm512_set1_ps(LN2_HI), _mm512_add_ps(z, y))
}

/// (ℓ, σ(x) − t) of binary cross-entropy on logits x and targets t
/// (`logistic.rs` gives the formulas).
#[inline]
#[target_feature(enable = "avx512f")]
fn bce(x: __m512, t: __m512) -> (__m512, __m512) {
    let (zero, one) = (_mm512_setzero_ps(), _mm512_set1_ps(1.0));
    let minus_abs = _mm512_sub_ps(zero, _mm512_abs_ps(x));
    let e = exp_in_range(_mm512_max_ps(minus_abs, _mm512_set1_ps(-SIGMOID_LIMIT)));
    let w = _mm512_add_ps(one, e);
    let loss = _mm512_add_ps(
        _mm512_sub_ps(_mm512_max_ps(x, zero), _mm512_mul_ps(x, t)),
        ln_1_to_2(w),
    );
    let r = _mm512_div_ps(one, w);
    let negative = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, zero);
    let sigmoid = _mm512_mask_mul_ps(r, negative, e, r);
    (loss, _mm512_sub_ps(sigmoid, t))
}

/// Adds 16 losses to the 8 per-lane sums: the low half, then the high.
#[inline]
#[target_feature(enable = "avx512f")]
fn add_losses(sums: __m512d, loss: __m512) -> __m512d {
    let low = _mm512_castps512_ps256(loss);
    let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(loss)));
    let sums = _mm512_add_pd(sums, _mm512_cvtps_pd(low));
    _mm512_add_pd(sums, _mm512_cvtps_pd(high))
}

/// Σ ℓ over one row, in f64 (element i into lane i mod 8, then the lanes
/// in order); with `GRAD`, grad = (σ(x) − t)·scale as well.
///
/// # Panics
/// If `target` (and, with `GRAD`, `grad`) is not as long as `pred`.
#[target_feature(enable = "avx512f")]
pub(super) fn bce_row<const GRAD: bool>(
    pred: &[f32],
    target: &[f32],
    grad: &mut [f32],
    scale: f32,
) -> f64 {
    assert_eq!(
        pred.len(),
        target.len(),
        "loss: prediction and target differ"
    );
    assert!(!GRAD || grad.len() == pred.len(), "loss: gradient length");
    let vscale = _mm512_set1_ps(scale);
    let mut sums = _mm512_setzero_pd();
    let full = pred.len() / LANES * LANES;
    for i in (0..full).step_by(LANES) {
        // SAFETY: i + 16 ≤ full ≤ every operand's length.
        unsafe {
            let x = _mm512_loadu_ps(pred.as_ptr().add(i));
            let t = _mm512_loadu_ps(target.as_ptr().add(i));
            let (loss, d) = bce(x, t);
            if GRAD {
                _mm512_storeu_ps(grad.as_mut_ptr().add(i), _mm512_mul_ps(d, vscale));
            }
            sums = add_losses(sums, loss);
        }
    }
    if full < pred.len() {
        let live = (1u16 << (pred.len() - full)) - 1;
        // SAFETY: the masks keep the lanes below the slices' ends;
        // masked-off lanes are neither read nor written, and their losses
        // are zeroed before they are summed.
        unsafe {
            let x = _mm512_maskz_loadu_ps(live, pred.as_ptr().add(full));
            let t = _mm512_maskz_loadu_ps(live, target.as_ptr().add(full));
            let (loss, d) = bce(x, t);
            if GRAD {
                let at = grad.as_mut_ptr().add(full);
                _mm512_mask_storeu_ps(at, live, _mm512_mul_ps(d, vscale));
            }
            sums = add_losses(sums, _mm512_maskz_mov_ps(live, loss));
        }
    }
    let mut lanes = [0.0f64; SUM_LANES];
    // SAFETY: `lanes` holds 8 f64, one zmm.
    unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), sums) };
    lanes.iter().sum()
}

/// An LSTM's gate activations, rows of 4·h pre-activations [i, f, g, o]
/// at a time: σ on i, f and o, tanh on g (each value as [`map`] gives it).
///
/// # Panics
/// If the slices differ in length or are not whole rows of 4·h values.
#[target_feature(enable = "avx512f")]
pub(super) fn lstm_gates(pre: &[f32], gates: &mut [f32], h: usize) {
    assert!(
        pre.len() == gates.len() && h > 0 && pre.len().is_multiple_of(4 * h),
        "lstm gates: {} and {} values are not rows of 4·{h}",
        pre.len(),
        gates.len()
    );
    for (p, g) in pre.chunks_exact(4 * h).zip(gates.chunks_exact_mut(4 * h)) {
        let (p_ifg, p_o) = p.split_at(3 * h);
        let (g_ifg, g_o) = g.split_at_mut(3 * h);
        map::<{ Op::SIGMOID }>(&p_ifg[..2 * h], &mut g_ifg[..2 * h]);
        map::<{ Op::TANH }>(&p_ifg[2 * h..], &mut g_ifg[2 * h..]);
        map::<{ Op::SIGMOID }>(p_o, g_o);
    }
}

/// One LSTM step's cell for every row at once (`elementwise::lstm_cell`):
/// the gates as [`lstm_gates`] gives them, then, h values at a time,
///   c_t = f ⊙ c_{t−1} + i ⊙ g    (two products and a sum, rounded as the
///                                  scalar form rounds them)
///   tanh(c_t) as [`map`] gives it,   h_t = o ⊙ tanh(c_t).
/// One pass over the step's values where the gates, the cell update, tanh
/// and h_t were four (each a call and a tail for h = 32 values).
///
/// # Panics
/// If a buffer does not hold the rows its width says (`LstmCellStep::rows`).
#[target_feature(enable = "avx512f")]
pub(super) fn lstm_cell(s: LstmCellStep<'_>, h: usize) {
    let rows = s.rows(h);
    lstm_gates(s.pre, s.gates, h);
    for row in 0..rows {
        let g = &s.gates[row * 4 * h..(row + 1) * 4 * h];
        let at = row * h;
        let mut j = 0;
        while j < h {
            let live = first_lanes(h - j);
            // SAFETY: every pointer is to the start of a run of h values of
            // its row (the gates' four quarters, c_{t−1}, c_t, tanh c_t,
            // h_t: lengths checked by `rows`) offset by j < h, and the mask keeps
            // the h − j lanes left in it; masked-off lanes are neither read
            // nor written.
            unsafe {
                let load = |p: *const f32| _mm512_maskz_loadu_ps(live, p.add(j));
                let (i, f) = (load(g.as_ptr()), load(g[h..].as_ptr()));
                let (gg, o) = (load(g[2 * h..].as_ptr()), load(g[3 * h..].as_ptr()));
                let c = _mm512_add_ps(
                    _mm512_mul_ps(f, load(s.c_prev[at..].as_ptr())),
                    _mm512_mul_ps(i, gg),
                );
                let tc = apply::<{ Op::TANH }>(c);
                _mm512_mask_storeu_ps(s.c_next[at + j..].as_mut_ptr(), live, c);
                _mm512_mask_storeu_ps(s.tanh_c[at + j..].as_mut_ptr(), live, tc);
                _mm512_mask_storeu_ps(s.h_next[at + j..].as_mut_ptr(), live, _mm512_mul_ps(o, tc));
            }
            j += LANES;
        }
    }
}
