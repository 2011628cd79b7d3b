//! exp and what is built on it (σ, tanh, an LSTM's gates, binary
//! cross-entropy on logits with a ln beside it) on 8-lane ymm vectors, the
//! arithmetic of `exp_avx512.rs` lane for lane (see `exp_poly.rs`). The
//! slice's tail is copied into a vector-sized buffer, so every value goes
//! through the same vector arithmetic wherever it lies.

#![cfg(target_arch = "x86_64")]

use super::elementwise::LstmCellStep;
use super::exp_poly::{
    Op, EXP_LIMIT, LN2_HI, LN2_LO, LN_POLY, LOG2E, POLY, SIGMOID_LIMIT, SQRT2, SUM_LANES,
    TANH_LIMIT,
};
use std::arch::x86_64::*;

const LANES: usize = 8;

/// e^x for x in [−87, 88].
#[inline]
#[target_feature(enable = "avx2,fma")]
fn exp_in_range(x: __m256) -> __m256 {
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(LOG2E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    let mut p = _mm256_set1_ps(POLY[0]);
    for c in &POLY[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(*c));
    }
    let e = _mm256_add_ps(
        _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
        _mm256_set1_ps(1.0),
    );
    let bits = _mm256_slli_epi32::<23>(_mm256_add_epi32(
        _mm256_cvtps_epi32(n),
        _mm256_set1_epi32(127),
    ));
    _mm256_mul_ps(e, _mm256_castsi256_ps(bits))
}

/// One vector of `OP`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn apply<const OP: u8>(x: __m256) -> __m256 {
    let one = _mm256_set1_ps(1.0);
    let clamp = |v: __m256, limit: f32| {
        _mm256_min_ps(
            _mm256_max_ps(v, _mm256_set1_ps(-limit)),
            _mm256_set1_ps(limit),
        )
    };
    match OP {
        Op::SIGMOID => {
            let minus = _mm256_sub_ps(_mm256_setzero_ps(), x);
            _mm256_div_ps(
                one,
                _mm256_add_ps(one, exp_in_range(clamp(minus, SIGMOID_LIMIT))),
            )
        }
        Op::TANH => {
            let two = _mm256_set1_ps(2.0);
            let e = exp_in_range(_mm256_mul_ps(clamp(x, TANH_LIMIT), two));
            _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)))
        }
        _ => {
            let y = exp_in_range(clamp(x, EXP_LIMIT));
            let abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0), x);
            let outside =
                _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(abs, _mm256_set1_ps(EXP_LIMIT)));
            if outside == 0 {
                return y;
            }
            let (mut xs, mut ys) = ([0.0f32; LANES], [0.0f32; LANES]);
            // SAFETY: both arrays hold 8 values; one ymm each.
            unsafe {
                _mm256_storeu_ps(xs.as_mut_ptr(), x);
                _mm256_storeu_ps(ys.as_mut_ptr(), y);
            }
            for (l, (yv, xv)) in ys.iter_mut().zip(xs).enumerate() {
                if outside & (1 << l) != 0 {
                    *yv = xv.exp();
                }
            }
            // SAFETY: as above.
            unsafe { _mm256_loadu_ps(ys.as_ptr()) }
        }
    }
}

/// y[i] = OP(x[i]) for every i.
///
/// # Panics
/// If the slices differ in length.
#[target_feature(enable = "avx2,fma")]
pub(super) fn map<const OP: u8>(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "element-wise operands differ in length");
    let mut xs = x.chunks_exact(LANES);
    let mut ys = y.chunks_exact_mut(LANES);
    for (xc, yc) in (&mut xs).zip(&mut ys) {
        // SAFETY: each chunk holds exactly 8 values.
        unsafe { _mm256_storeu_ps(yc.as_mut_ptr(), apply::<OP>(_mm256_loadu_ps(xc.as_ptr()))) }
    }
    let (xt, yt) = (xs.remainder(), ys.into_remainder());
    if !xt.is_empty() {
        let mut buffer = [0.0f32; LANES];
        buffer[..xt.len()].copy_from_slice(xt);
        // SAFETY: `buffer` holds 8 values.
        unsafe {
            let v = apply::<OP>(_mm256_loadu_ps(buffer.as_ptr()));
            _mm256_storeu_ps(buffer.as_mut_ptr(), v);
        }
        yt.copy_from_slice(&buffer[..yt.len()]);
    }
}

/// ln w for w in [1, 2] (see `exp_poly.rs`).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn ln_1_to_2(w: __m256) -> __m256 {
    let one = _mm256_set1_ps(1.0);
    let big = _mm256_cmp_ps::<_CMP_GE_OQ>(w, _mm256_set1_ps(SQRT2));
    let z = _mm256_sub_ps(
        _mm256_blendv_ps(w, _mm256_mul_ps(w, _mm256_set1_ps(0.5)), big),
        one,
    );
    let k = _mm256_and_ps(big, one);
    let zz = _mm256_mul_ps(z, z);
    let mut q = _mm256_set1_ps(LN_POLY[0]);
    for c in &LN_POLY[1..] {
        q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(*c));
    }
    let mut y = _mm256_mul_ps(_mm256_mul_ps(q, z), zz);
    y = _mm256_fmadd_ps(k, _mm256_set1_ps(LN2_LO), y);
    y = _mm256_fnmadd_ps(zz, _mm256_set1_ps(0.5), y);
    _mm256_fmadd_ps(k, _mm256_set1_ps(LN2_HI), _mm256_add_ps(z, y))
}

/// (ℓ, σ(x) − t), as `exp_avx512.rs` computes them.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn bce(x: __m256, t: __m256) -> (__m256, __m256) {
    let (zero, one) = (_mm256_setzero_ps(), _mm256_set1_ps(1.0));
    let abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0), x);
    let minus_abs = _mm256_sub_ps(zero, abs);
    let e = exp_in_range(_mm256_max_ps(minus_abs, _mm256_set1_ps(-SIGMOID_LIMIT)));
    let w = _mm256_add_ps(one, e);
    let loss = _mm256_add_ps(
        _mm256_sub_ps(_mm256_max_ps(x, zero), _mm256_mul_ps(x, t)),
        ln_1_to_2(w),
    );
    let r = _mm256_div_ps(one, w);
    let negative = _mm256_cmp_ps::<_CMP_LT_OQ>(x, zero);
    let sigmoid = _mm256_blendv_ps(r, _mm256_mul_ps(e, r), negative);
    (loss, _mm256_sub_ps(sigmoid, t))
}

/// Σ ℓ over one row, in f64 (element i into lane i mod 8, then the lanes
/// in order); with `GRAD`, grad = (σ(x) − t)·scale as well.
///
/// # Panics
/// If `target` (and, with `GRAD`, `grad`) is not as long as `pred`.
#[target_feature(enable = "avx2,fma")]
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
    let vscale = _mm256_set1_ps(scale);
    // Lanes 0–3 and 4–7 of the 8 per-lane sums.
    let (mut low, mut high) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let mut add = |loss: __m256| {
        low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(loss)));
        high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(loss)));
    };
    let full = pred.len() / LANES * LANES;
    for i in (0..full).step_by(LANES) {
        // SAFETY: i + 8 ≤ full ≤ every operand's length.
        unsafe {
            let x = _mm256_loadu_ps(pred.as_ptr().add(i));
            let t = _mm256_loadu_ps(target.as_ptr().add(i));
            let (loss, d) = bce(x, t);
            if GRAD {
                _mm256_storeu_ps(grad.as_mut_ptr().add(i), _mm256_mul_ps(d, vscale));
            }
            add(loss);
        }
    }
    let rest = pred.len() - full;
    if rest > 0 {
        let (mut xs, mut ts) = ([0.0f32; LANES], [0.0f32; LANES]);
        xs[..rest].copy_from_slice(&pred[full..]);
        ts[..rest].copy_from_slice(&target[full..]);
        let mut live = [0.0f32; LANES];
        live[..rest].fill(f32::from_bits(!0));
        // SAFETY: the arrays hold 8 values each; the dead lanes' losses are
        // zeroed (and-ed with an all-zero mask) before they are summed.
        unsafe {
            let (loss, d) = bce(_mm256_loadu_ps(xs.as_ptr()), _mm256_loadu_ps(ts.as_ptr()));
            add(_mm256_and_ps(loss, _mm256_loadu_ps(live.as_ptr())));
            if GRAD {
                _mm256_storeu_ps(xs.as_mut_ptr(), _mm256_mul_ps(d, vscale));
                grad[full..].copy_from_slice(&xs[..rest]);
            }
        }
    }
    let mut lanes = [0.0f64; SUM_LANES];
    // SAFETY: `lanes` holds 8 f64, two ymm.
    unsafe {
        _mm256_storeu_pd(lanes.as_mut_ptr(), low);
        _mm256_storeu_pd(lanes.as_mut_ptr().add(4), high);
    }
    lanes.iter().sum()
}

/// An LSTM's gate activations, rows of 4·h pre-activations [i, f, g, o]
/// at a time: σ on i, f and o, tanh on g (each value as [`map`] gives it).
///
/// # Panics
/// If the slices differ in length or are not whole rows of 4·h values.
#[target_feature(enable = "avx2,fma")]
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

/// One LSTM step's cell for every row at once, as `exp_avx512::lstm_cell`
/// computes it (the same operations lane for lane, so the same bits): the
/// gates, c_t = f ⊙ c_{t−1} + i ⊙ g, tanh(c_t), h_t = o ⊙ tanh(c_t). A row's
/// last h % 8 values go through [`map`]'s tail.
///
/// # Panics
/// If a buffer does not hold the rows its width says (`LstmCellStep::rows`).
#[target_feature(enable = "avx2,fma")]
pub(super) fn lstm_cell(s: LstmCellStep<'_>, h: usize) {
    let rows = s.rows(h);
    lstm_gates(s.pre, s.gates, h);
    let whole = h - h % LANES;
    for row in 0..rows {
        let g = &s.gates[row * 4 * h..(row + 1) * 4 * h];
        let at = row * h;
        for j in (0..whole).step_by(LANES) {
            // SAFETY: every pointer is to the start of a run of h values of
            // its row (lengths checked by `rows`) offset by j, and j + 8 ≤ h.
            unsafe {
                let load = |p: *const f32| _mm256_loadu_ps(p.add(j));
                let (i, f) = (load(g.as_ptr()), load(g[h..].as_ptr()));
                let (gg, o) = (load(g[2 * h..].as_ptr()), load(g[3 * h..].as_ptr()));
                let c = _mm256_add_ps(
                    _mm256_mul_ps(f, load(s.c_prev[at..].as_ptr())),
                    _mm256_mul_ps(i, gg),
                );
                let tc = apply::<{ Op::TANH }>(c);
                _mm256_storeu_ps(s.c_next[at + j..].as_mut_ptr(), c);
                _mm256_storeu_ps(s.tanh_c[at + j..].as_mut_ptr(), tc);
                _mm256_storeu_ps(s.h_next[at + j..].as_mut_ptr(), _mm256_mul_ps(o, tc));
            }
        }
        for j in whole..h {
            s.c_next[at + j] = g[h + j] * s.c_prev[at + j] + g[j] * g[2 * h + j];
        }
        map::<{ Op::TANH }>(
            &s.c_next[at + whole..at + h],
            &mut s.tanh_c[at + whole..at + h],
        );
        for j in whole..h {
            s.h_next[at + j] = g[3 * h + j] * s.tanh_c[at + j];
        }
    }
}
