//! exp and what is built on it (σ, tanh) on 16-lane zmm vectors, the
//! arithmetic of `exp_avx2.rs` lane for lane: the same polynomial, the same
//! FMAs in the same order, so both instruction sets give the same bits.
//! The slice's tail goes through masked loads and stores.

#![cfg(target_arch = "x86_64")]

use super::exp_poly::{Op, EXP_LIMIT, LN2_HI, LN2_LO, LOG2E, POLY, SIGMOID_LIMIT, TANH_LIMIT};
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
fn apply<const OP: u8>(x: __m512) -> __m512 {
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
