//! The squared distances of `reduce::squared_distances` on 8-lane ymm
//! vectors: a distance's 16 lanes are two vectors (lanes 0–7, 8–15), each
//! lane summing the terms i ≡ l (mod 16) in order with a multiply, then an
//! add, so the bits are those of the scalar definition and of
//! `distance_avx512.rs`.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

/// Σ over the first 16·⌊len/16⌋ terms of (a − b_c)², folded 16 → 8 → 4 →
/// 2 → 1 (lane l taking lane l + half), for each c.
///
/// # Safety
/// The CPU runs AVX2; every `b[c]` is at least as long as `a`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn folded_whole<const N: usize>(a: &[f32], b: [&[f32]; N]) -> [f32; N] {
    let whole = a.len() / 16 * 16;
    let mut acc = [[_mm256_setzero_ps(); 2]; N];
    let mut i = 0;
    while i < whole {
        let x = [
            _mm256_loadu_ps(a.as_ptr().add(i)),
            _mm256_loadu_ps(a.as_ptr().add(i + 8)),
        ];
        for (acc, b) in acc.iter_mut().zip(&b) {
            for h in 0..2 {
                let t = _mm256_sub_ps(x[h], _mm256_loadu_ps(b.as_ptr().add(i + 8 * h)));
                acc[h] = _mm256_add_ps(acc[h], _mm256_mul_ps(t, t));
            }
        }
        i += 16;
    }
    let mut out = [0.0; N];
    for (o, acc) in out.iter_mut().zip(acc) {
        let s8 = _mm256_add_ps(acc[0], acc[1]);
        let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps::<1>(s8));
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        let s1 = _mm_add_ss(s2, _mm_shuffle_ps::<0b01>(s2, s2));
        *o = _mm_cvtss_f32(s1);
    }
    out
}
