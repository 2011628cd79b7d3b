//! exp and what is built on it (σ, tanh) on 8-lane ymm vectors, the
//! arithmetic of `exp_avx512.rs` lane for lane (see `exp_poly.rs`). The
//! slice's tail is copied into a vector-sized buffer, so every value goes
//! through the same vector arithmetic wherever it lies.

#![cfg(target_arch = "x86_64")]

use super::exp_poly::{Op, EXP_LIMIT, LN2_HI, LN2_LO, LOG2E, POLY, SIGMOID_LIMIT, TANH_LIMIT};
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
