//! Copies between a contiguous run and every other value of a row: the
//! inner loops of a stride-2 convolution's layouts (`conv.rs`: im2col and
//! col2im read or add onto every other pixel of an input row; an image's
//! phase planes take its even and odd pixels apart and put them back).
//!
//! Done one value at a time these loops cost more than the convolution's
//! products on 28×28 images. With AVX-512, sixteen outputs take two masked
//! loads, one two-source permute and one masked store; the scatter-add is
//! the same permute the other way and a masked add, so the odd lanes are
//! left exactly as they were. Elsewhere the scalar twins run; both give the
//! same values (copies and single additions round the same way).

use super::cpu::Avx512;

/// dst[t] = src[2t] for every t < dst.len().
///
/// # Panics
/// If `src` has fewer than 2·dst.len() − 1 values.
pub fn gather_every_other(src: &[f32], dst: &mut [f32]) {
    assert!(
        src.len() + 1 >= 2 * dst.len(),
        "gather_every_other: source too short"
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; the kernel reads src only below
        // 2·dst.len() − 1 and writes dst only below dst.len() (masked), both
        // inside the lengths asserted above.
        Some(_) => unsafe { avx512::gather_every_other(src, dst) },
        _ => scalar::gather_every_other(src, dst),
    }
}

/// dst[2t] += src[t] for every t < src.len(); the values between are left
/// as they are.
///
/// # Panics
/// If `dst` has fewer than 2·src.len() − 1 values.
pub fn add_to_every_other(src: &[f32], dst: &mut [f32]) {
    assert!(
        dst.len() + 1 >= 2 * src.len(),
        "add_to_every_other: destination too short"
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; the kernel reads src below
        // src.len() and reads and writes dst only at even indices below
        // 2·src.len() − 1 (masked), inside the lengths asserted above.
        Some(_) => unsafe { avx512::add_to_every_other(src, dst) },
        _ => scalar::add_to_every_other(src, dst),
    }
}

/// dst[2t] = src[t] for every t < src.len(); the values between are left
/// as they are.
///
/// # Panics
/// If `dst` has fewer than 2·src.len() − 1 values.
pub fn spread_every_other(src: &[f32], dst: &mut [f32]) {
    assert!(
        dst.len() + 1 >= 2 * src.len(),
        "spread_every_other: destination too short"
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; the kernel reads src below
        // src.len() and writes dst only at even indices below
        // 2·src.len() − 1 (masked), inside the lengths asserted above.
        Some(_) => unsafe { avx512::spread_every_other(src, dst) },
        _ => scalar::spread_every_other(src, dst),
    }
}

pub mod scalar {
    /// See [`super::spread_every_other`].
    pub fn spread_every_other(src: &[f32], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().step_by(2).zip(src) {
            *d = *s;
        }
    }

    /// See [`super::gather_every_other`].
    pub fn gather_every_other(src: &[f32], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().zip(src.iter().step_by(2)) {
            *d = *s;
        }
    }

    /// See [`super::add_to_every_other`].
    pub fn add_to_every_other(src: &[f32], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().step_by(2).zip(src) {
            *d += s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::super::small_gemm_avx512::first_lanes as first;
    use std::arch::x86_64::*;

    const LANES: usize = 16;

    /// Lane i takes lane 2i of the 32 values (a, b).
    const EVENS: [i32; LANES] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
    /// Lane 2i takes lane i of a (low half) or lane 8 + i (high half); the
    /// odd lanes' picks are masked off.
    const SPREAD_LOW: [i32; LANES] = [0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0];
    const SPREAD_HIGH: [i32; LANES] = [8, 0, 9, 0, 10, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15, 0];
    const EVEN_LANES: __mmask16 = 0x5555;

    /// # Safety
    /// The CPU runs AVX-512F and src.len() + 1 ≥ 2·dst.len().
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gather_every_other(src: &[f32], dst: &mut [f32]) {
        let evens = _mm512_loadu_si512(EVENS.as_ptr().cast());
        let (n, reach) = (dst.len(), 2 * dst.len()); // src read below reach − 1
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let mut t = 0;
        while t < n {
            let from = 2 * t;
            let lo = _mm512_maskz_loadu_ps(first(reach - 1 - from), s.add(from));
            let hi = _mm512_maskz_loadu_ps(
                first((reach - 1).saturating_sub(from + LANES)),
                s.add(from + LANES),
            );
            let v = _mm512_permutex2var_ps(lo, evens, hi);
            _mm512_mask_storeu_ps(d.add(t), first(n - t), v);
            t += LANES;
        }
    }

    /// # Safety
    /// The CPU runs AVX-512F and dst.len() + 1 ≥ 2·src.len().
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn spread_every_other(src: &[f32], dst: &mut [f32]) {
        let low = _mm512_loadu_si512(SPREAD_LOW.as_ptr().cast());
        let high = _mm512_loadu_si512(SPREAD_HIGH.as_ptr().cast());
        let (n, reach) = (src.len(), 2 * src.len()); // dst written below reach − 1
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let mut t = 0;
        while t < n {
            let v = _mm512_maskz_loadu_ps(first(n - t), s.add(t));
            let to = 2 * t;
            for (half, spread) in [(0, low), (LANES, high)] {
                let live = (reach - 1).saturating_sub(to + half);
                if live == 0 {
                    break;
                }
                let mask = first(live) & EVEN_LANES;
                let p = d.add(to + half);
                _mm512_mask_storeu_ps(p, mask, _mm512_permutexvar_ps(spread, v));
            }
            t += LANES;
        }
    }

    /// # Safety
    /// The CPU runs AVX-512F and dst.len() + 1 ≥ 2·src.len().
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn add_to_every_other(src: &[f32], dst: &mut [f32]) {
        let low = _mm512_loadu_si512(SPREAD_LOW.as_ptr().cast());
        let high = _mm512_loadu_si512(SPREAD_HIGH.as_ptr().cast());
        let (n, reach) = (src.len(), 2 * src.len()); // dst touched below reach − 1
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let mut t = 0;
        while t < n {
            let v = _mm512_maskz_loadu_ps(first(n - t), s.add(t));
            let to = 2 * t;
            for (half, spread) in [(0, low), (LANES, high)] {
                let live = (reach - 1).saturating_sub(to + half);
                if live == 0 {
                    break;
                }
                let mask = first(live) & EVEN_LANES;
                let p = d.add(to + half);
                let old = _mm512_maskz_loadu_ps(mask, p);
                let add = _mm512_permutexvar_ps(spread, v);
                _mm512_mask_storeu_ps(p, mask, _mm512_mask_add_ps(old, mask, old, add));
            }
            t += LANES;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.37).sin() * 3.0).collect()
    }

    /// Every length through two vectors and beyond, with the source or
    /// destination exactly as long as it must be and a little longer.
    #[test]
    fn match_the_scalar_twins_at_every_length() {
        for n in 0..70usize {
            for extra in [0, 1, 5] {
                let src = values((2 * n).saturating_sub(1) + extra);
                let mut got = vec![f32::NAN; n];
                let mut want = got.clone();
                gather_every_other(&src, &mut got);
                scalar::gather_every_other(&src, &mut want);
                assert_eq!(got, want, "gather n {n} extra {extra}");
                assert!(got.iter().all(|v| v.is_finite()));

                let src = values(n);
                let mut got = values((2 * n).saturating_sub(1) + extra);
                got.iter_mut().for_each(|v| *v = -*v);
                let mut want = got.clone();
                add_to_every_other(&src, &mut got);
                scalar::add_to_every_other(&src, &mut want);
                assert_eq!(got, want, "add n {n} extra {extra}");

                spread_every_other(&src, &mut got);
                scalar::spread_every_other(&src, &mut want);
                assert_eq!(got, want, "spread n {n} extra {extra}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "source too short")]
    fn gather_refuses_a_short_source() {
        gather_every_other(&[0.0; 4], &mut [0.0; 3]);
    }
}
