//! Copies between a contiguous run and every other value of a row: the
//! inner loops of a stride-2 convolution's layouts (`conv.rs`: im2col and
//! col2im read or add onto every other pixel of an input row; an image's
//! phase planes take its even and odd pixels apart and put them back,
//! a whole row at once with [`deinterleave`] and [`interleave`]), and the
//! copies of short rows between two row lengths ([`pad_rows`],
//! [`compact_rows`]: a product's operand onto its grid and back).
//!
//! The rows are short (7 to 28 values on 28×28 images): a library memmove
//! or memset per row, or one masked call per phase, cost more than the
//! values moved, so each kernel takes whole rows, and every row of many.
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

/// evens[t] = src[2t], odds[t] = src[2t + 1]: a row's even and odd values
/// apart, in one pass.
///
/// # Panics
/// Unless evens.len() + odds.len() = src.len() and evens.len() is odds.len()
/// or odds.len() + 1.
pub fn deinterleave(src: &[f32], evens: &mut [f32], odds: &mut [f32]) {
    assert!(
        halves_fit(src.len(), evens.len(), odds.len()),
        "deinterleave: {} values into {} and {}",
        src.len(),
        evens.len(),
        odds.len()
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; the kernel reads src below
        // src.len() and writes evens and odds below their lengths (masked),
        // which the assertion ties together.
        Some(_) => unsafe { avx512::deinterleave(src, evens, odds) },
        _ => scalar::deinterleave(src, evens, odds),
    }
}

/// Whether `evens` and `odds` values are a row of `n`'s even and odd
/// values: they add up to n, and there are as many evens as odds or one more.
fn halves_fit(n: usize, evens: usize, odds: usize) -> bool {
    evens + odds == n && (odds..=odds + 1).contains(&evens)
}

/// dst[2t] = evens[t], dst[2t + 1] = odds[t]: the inverse of
/// [`deinterleave`].
///
/// # Panics
/// Unless evens.len() + odds.len() = dst.len() and evens.len() is odds.len()
/// or odds.len() + 1.
pub fn interleave(evens: &[f32], odds: &[f32], dst: &mut [f32]) {
    assert!(
        halves_fit(dst.len(), evens.len(), odds.len()),
        "interleave: {} and {} values into {}",
        evens.len(),
        odds.len(),
        dst.len()
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; the kernel reads evens and odds
        // below their lengths and writes dst below dst.len() (masked).
        Some(_) => unsafe { avx512::interleave(evens, odds, dst) },
        _ => scalar::interleave(evens, odds, dst),
    }
}

/// Rows of `width` values, back to back in `src`, onto rows of `stride`
/// values in `dst`, each followed by stride − width zeros.
///
/// # Panics
/// Unless 1 ≤ width ≤ stride and the slices hold the same number of rows.
pub fn pad_rows(src: &[f32], width: usize, dst: &mut [f32], stride: usize) {
    assert!(
        (1..=stride).contains(&width) && src.len() * stride == dst.len() * width,
        "pad_rows: {} values in rows of {width} onto {} in rows of {stride}",
        src.len(),
        dst.len()
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; row r is read below
        // (r + 1)·width ≤ src.len() and written below (r + 1)·stride ≤
        // dst.len() (masked), for the rows the assertion counts.
        Some(_) => unsafe { avx512::pad_rows(src, width, dst, stride) },
        _ => scalar::pad_rows(src, width, dst, stride),
    }
}

/// The first `width` values of each row of `stride` values in `src`, back
/// to back in `dst`: the inverse of [`pad_rows`].
///
/// # Panics
/// Unless 1 ≤ width ≤ stride and the slices hold the same number of rows.
pub fn compact_rows(src: &[f32], stride: usize, dst: &mut [f32], width: usize) {
    assert!(
        (1..=stride).contains(&width) && dst.len() * stride == src.len() * width,
        "compact_rows: {} values in rows of {stride} into {} in rows of {width}",
        src.len(),
        dst.len()
    );
    match Avx512::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; row r is read below
        // r·stride + width ≤ src.len() and written below (r + 1)·width ≤
        // dst.len() (masked), for the rows the assertion counts.
        Some(_) => unsafe { avx512::compact_rows(src, stride, dst, width) },
        _ => scalar::compact_rows(src, stride, dst, width),
    }
}

pub mod scalar {
    /// See [`super::deinterleave`].
    pub fn deinterleave(src: &[f32], evens: &mut [f32], odds: &mut [f32]) {
        for (d, s) in evens.iter_mut().zip(src.iter().step_by(2)) {
            *d = *s;
        }
        for (d, s) in odds.iter_mut().zip(src.iter().skip(1).step_by(2)) {
            *d = *s;
        }
    }

    /// See [`super::interleave`].
    pub fn interleave(evens: &[f32], odds: &[f32], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().step_by(2).zip(evens) {
            *d = *s;
        }
        for (d, s) in dst.iter_mut().skip(1).step_by(2).zip(odds) {
            *d = *s;
        }
    }

    /// See [`super::pad_rows`].
    pub fn pad_rows(src: &[f32], width: usize, dst: &mut [f32], stride: usize) {
        for (s, d) in src.chunks_exact(width).zip(dst.chunks_exact_mut(stride)) {
            let (live, unused) = d.split_at_mut(width);
            live.copy_from_slice(s);
            unused.fill(0.0);
        }
    }

    /// See [`super::compact_rows`].
    pub fn compact_rows(src: &[f32], stride: usize, dst: &mut [f32], width: usize) {
        for (s, d) in src.chunks_exact(stride).zip(dst.chunks_exact_mut(width)) {
            d.copy_from_slice(&s[..width]);
        }
    }
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

    /// Lane i takes lane 2i + 1 of the 32 values (a, b).
    const ODDS: [i32; LANES] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];
    /// Lane 2i takes lane i of a, lane 2i + 1 lane i of b: the low eight
    /// pairs, then the high eight.
    const ZIP_LOW: [i32; LANES] = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
    const ZIP_HIGH: [i32; LANES] = [8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31];

    /// # Safety
    /// The CPU runs AVX-512F and evens.len() + odds.len() = src.len().
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn deinterleave(src: &[f32], evens: &mut [f32], odds: &mut [f32]) {
        let (even_lanes, odd_lanes) = (
            _mm512_loadu_si512(EVENS.as_ptr().cast()),
            _mm512_loadu_si512(ODDS.as_ptr().cast()),
        );
        let (n, ne, no) = (src.len(), evens.len(), odds.len());
        let (s, e, o) = (src.as_ptr(), evens.as_mut_ptr(), odds.as_mut_ptr());
        let mut t = 0;
        while t < ne {
            let from = 2 * t;
            let lo = _mm512_maskz_loadu_ps(first(n - from), s.add(from));
            // Masked-off lanes are not read; the address may pass the end.
            let hi = _mm512_maskz_loadu_ps(
                first(n.saturating_sub(from + LANES)),
                s.wrapping_add(from + LANES),
            );
            _mm512_mask_storeu_ps(
                e.add(t),
                first(ne - t),
                _mm512_permutex2var_ps(lo, even_lanes, hi),
            );
            _mm512_mask_storeu_ps(
                o.wrapping_add(t),
                first(no.saturating_sub(t)),
                _mm512_permutex2var_ps(lo, odd_lanes, hi),
            );
            t += LANES;
        }
    }

    /// # Safety
    /// The CPU runs AVX-512F and evens.len() + odds.len() = dst.len().
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn interleave(evens: &[f32], odds: &[f32], dst: &mut [f32]) {
        let (low, high) = (
            _mm512_loadu_si512(ZIP_LOW.as_ptr().cast()),
            _mm512_loadu_si512(ZIP_HIGH.as_ptr().cast()),
        );
        let (n, ne, no) = (dst.len(), evens.len(), odds.len());
        let (e, o, d) = (evens.as_ptr(), odds.as_ptr(), dst.as_mut_ptr());
        let mut t = 0;
        while t < ne {
            let a = _mm512_maskz_loadu_ps(first(ne - t), e.add(t));
            let b = _mm512_maskz_loadu_ps(first(no.saturating_sub(t)), o.wrapping_add(t));
            let to = 2 * t;
            _mm512_mask_storeu_ps(d.add(to), first(n - to), _mm512_permutex2var_ps(a, low, b));
            _mm512_mask_storeu_ps(
                d.wrapping_add(to + LANES),
                first(n.saturating_sub(to + LANES)),
                _mm512_permutex2var_ps(a, high, b),
            );
            t += LANES;
        }
    }

    /// # Safety
    /// The CPU runs AVX-512F, 0 < width ≤ stride and src holds as many rows
    /// of `width` as dst of `stride`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pad_rows(src: &[f32], width: usize, dst: &mut [f32], stride: usize) {
        let rows = src.len() / width;
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        for r in 0..rows {
            let (from, to) = (s.add(r * width), d.add(r * stride));
            let mut j = 0;
            while j < stride {
                // Past `width` the load is masked to zeros: the unused tail.
                let v = _mm512_maskz_loadu_ps(first(width.saturating_sub(j)), from.wrapping_add(j));
                _mm512_mask_storeu_ps(to.add(j), first(stride - j), v);
                j += LANES;
            }
        }
    }

    /// # Safety
    /// The CPU runs AVX-512F, 0 < width ≤ stride and dst holds as many rows
    /// of `width` as src of `stride`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn compact_rows(src: &[f32], stride: usize, dst: &mut [f32], width: usize) {
        let rows = dst.len() / width;
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        for r in 0..rows {
            let (from, to) = (s.add(r * stride), d.add(r * width));
            let mut j = 0;
            while j < width {
                let mask = first(width - j);
                _mm512_mask_storeu_ps(to.add(j), mask, _mm512_maskz_loadu_ps(mask, from.add(j)));
                j += LANES;
            }
        }
    }

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

    /// Every row length through two vectors and beyond, odd and even.
    #[test]
    fn interleaving_matches_the_scalar_twins_and_round_trips() {
        for n in 0..70usize {
            let (ne, no) = (n.div_ceil(2), n / 2);
            let src = values(n);
            let (mut e, mut o) = (vec![f32::NAN; ne], vec![f32::NAN; no]);
            let (mut we, mut wo) = (e.clone(), o.clone());
            deinterleave(&src, &mut e, &mut o);
            scalar::deinterleave(&src, &mut we, &mut wo);
            assert_eq!((&e, &o), (&we, &wo), "deinterleave {n}");
            assert!(e.iter().step_by(3).all(|v| src.contains(v)));
            let mut back = vec![f32::NAN; n];
            let mut want = back.clone();
            interleave(&e, &o, &mut back);
            scalar::interleave(&e, &o, &mut want);
            assert_eq!(back, want, "interleave {n}");
            assert_eq!(back, src, "round trip {n}");
        }
    }

    #[test]
    fn padded_rows_match_the_scalar_twins_and_compact_back() {
        for width in 1..40usize {
            for extra in [0, 1, 7, 16, 17] {
                let stride = width + extra;
                for rows in [1, 3] {
                    let src = values(rows * width);
                    let mut got = vec![f32::NAN; rows * stride];
                    let mut want = got.clone();
                    pad_rows(&src, width, &mut got, stride);
                    scalar::pad_rows(&src, width, &mut want, stride);
                    assert_eq!(got, want, "pad {width} into {stride}");
                    assert!(got
                        .chunks(stride)
                        .all(|r| r[width..].iter().all(|&v| v == 0.0)));
                    let mut back = vec![f32::NAN; rows * width];
                    compact_rows(&got, stride, &mut back, width);
                    assert_eq!(back, src, "compact {stride} to {width}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "deinterleave")]
    fn deinterleave_refuses_halves_that_do_not_fit() {
        deinterleave(&[0.0; 5], &mut [0.0; 2], &mut [0.0; 3]);
    }

    #[test]
    #[should_panic(expected = "source too short")]
    fn gather_refuses_a_short_source() {
        gather_every_other(&[0.0; 4], &mut [0.0; 3]);
    }
}
