//! The squared distances of `reduce::squared_distances` on 16-lane zmm
//! vectors: lane l of a distance's one vector sums the terms i ≡ l (mod 16)
//! in order (a multiply, then an add: no fused rounding), so the bits are
//! those of the scalar definition. N distances share each load of `a`, and
//! their N chains of additions overlap.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

/// Σ over the first 16·⌊len/16⌋ terms of (a − b_c)², folded 16 → 8 → 4 →
/// 2 → 1 (lane l taking lane l + half), for each c.
///
/// # Safety
/// The CPU runs AVX-512F; every `b[c]` is at least as long as `a`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn folded_whole<const N: usize>(a: &[f32], b: [&[f32]; N]) -> [f32; N] {
    let whole = a.len() / 16 * 16;
    let mut acc = [_mm512_setzero_ps(); N];
    let mut i = 0;
    while i < whole {
        let x = _mm512_loadu_ps(a.as_ptr().add(i));
        for (acc, b) in acc.iter_mut().zip(&b) {
            let t = _mm512_sub_ps(x, _mm512_loadu_ps(b.as_ptr().add(i)));
            *acc = _mm512_add_ps(*acc, _mm512_mul_ps(t, t));
        }
        i += 16;
    }
    let mut out = [0.0; N];
    for (o, acc) in out.iter_mut().zip(acc) {
        let s8 = _mm256_add_ps(
            _mm512_castps512_ps256(acc),
            _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(acc))),
        );
        let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        let s1 = _mm_add_ss(s2, _mm_shuffle_ps::<0b01>(s2, s2));
        *o = _mm_cvtss_f32(s1);
    }
    out
}
