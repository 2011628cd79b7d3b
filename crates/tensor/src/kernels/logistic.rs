//! Binary cross-entropy on logits, a row at a time on the exp kernels (16
//! or 8 lanes), else 8 lanes of `wide::f32x8`, with a scalar twin for row
//! tails and tests.
//!
//! For a logit x and target t, with e = e^(−|x|) ∈ (0, 1]:
//!   ℓ = max(x, 0) − x·t + ln(1 + e)          (never exponentiates x > 0)
//!   dℓ/dx = σ(x) − t,  σ(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) below
//! On AVX2 + FMA and AVX-512 the whole row runs on the exp kernels
//! (`exp_avx2.rs`, `exp_avx512.rs`: polynomial exp and log, the same bits
//! on both), each row's ℓ summed in f64 over 8 lanes side by side; where
//! neither set runs, `wide`'s polynomial exp and log (within a few ulp of
//! libm's). Either way a value's ℓ depends only on the value, never on
//! where a vector boundary falls; on the exp kernels the training and
//! scoring passes also give a row the same mean.

use super::cpu::Simd;
use super::elementwise::{load, store, LANES};
use crate::pool::PARALLEL_MIN_VALUES;
use rayon::prelude::*;
use wide::{f32x8, CmpGe};

/// Σ ℓ over one row on the exp kernel of the instruction set in use (and,
/// with `GRAD`, grad = (σ − t)·scale); `None` where there is none.
fn row_on_exp_kernel<const GRAD: bool>(
    pred: &[f32],
    target: &[f32],
    grad: &mut [f32],
    scale: f32,
) -> Option<f64> {
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        Some(Simd::Avx512(_)) => {
            // SAFETY: the token proves AVX-512F (the kernel's only feature).
            let sum = unsafe { super::exp_avx512::bce_row::<GRAD>(pred, target, grad, scale) };
            Some(sum)
        }
        #[cfg(target_arch = "x86_64")]
        Some(Simd::Avx2(_)) => {
            // SAFETY: the token proves AVX2 and FMA (the kernel's features).
            let sum = unsafe { super::exp_avx2::bce_row::<GRAD>(pred, target, grad, scale) };
            Some(sum)
        }
        _ => None,
    }
}

/// (ℓ, dℓ/dx) for 8 logits and targets.
#[inline(always)]
fn bce_and_gradient(x: f32x8, t: f32x8) -> (f32x8, f32x8) {
    let one = f32x8::splat(1.0);
    let e = (-x.abs()).exp();
    let one_plus_e = one + e;
    let loss = x.max(f32x8::ZERO) - x * t + one_plus_e.ln();
    let r = one / one_plus_e;
    let sigmoid = x.cmp_ge(f32x8::ZERO).blend(r, e * r);
    (loss, sigmoid - t)
}

/// The training pass: `grad` gets dℓ/dx divided by the element count (the
/// gradient of the mean), `per_row` each row's mean ℓ (summed in f64, in
/// order); returns the mean ℓ over all elements.
pub fn bce_logits_rows(
    pred: &[f32],
    target: &[f32],
    width: usize,
    grad: &mut [f32],
    per_row: &mut [f32],
) -> f32 {
    assert!(
        pred.len() == target.len() && pred.len() == grad.len(),
        "loss: prediction, target and gradient differ in length"
    );
    let width = width.max(1);
    let inv_count = 1.0 / (pred.len().max(1) as f32);
    let scale = f32x8::splat(inv_count);
    let mut total = 0.0f64;
    let rows = pred.chunks_exact(width).zip(target.chunks_exact(width));
    let outs = grad.chunks_exact_mut(width).zip(per_row.iter_mut());
    for ((p_row, t_row), (g_row, mean)) in rows.zip(outs) {
        if let Some(row_sum) = row_on_exp_kernel::<true>(p_row, t_row, g_row, inv_count) {
            *mean = (row_sum / width as f64) as f32;
            total += row_sum;
            continue;
        }
        let mut row_sum = 0.0f64;
        let mut ps = p_row.chunks_exact(LANES);
        let mut ts = t_row.chunks_exact(LANES);
        let mut gs = g_row.chunks_exact_mut(LANES);
        for ((p, t), g) in (&mut ps).zip(&mut ts).zip(&mut gs) {
            let (l, d) = bce_and_gradient(load(p), load(t));
            store(d * scale, g);
            row_sum += l.to_array().iter().map(|v| *v as f64).sum::<f64>();
        }
        let tails = ps.remainder().iter().zip(ts.remainder());
        for ((p, t), g) in tails.zip(gs.into_remainder()) {
            row_sum += scalar::bce_logits(*p, *t) as f64;
            *g = (scalar::sigmoid(*p) - t) * inv_count;
        }
        *mean = (row_sum / width as f64) as f32;
        total += row_sum;
    }
    (total * inv_count as f64) as f32
}

/// The scoring pass: each row's mean ℓ into `out`, summed in f32 in order;
/// no gradient. Blocks from [`PARALLEL_MIN_VALUES`] up run on all threads
/// of the rayon pool (each row is computed alone, so the bits do not
/// change).
pub fn bce_logits_row_means(pred: &[f32], target: &[f32], width: usize, out: &mut [f32]) {
    assert_eq!(pred.len(), target.len(), "row means: operands differ");
    let width = width.max(1);
    let rows = out.len().min(pred.len() / width);
    let threads = rayon::current_num_threads();
    if pred.len() < PARALLEL_MIN_VALUES || threads == 1 || rows < 2 {
        row_means_on_this_thread(pred, target, width, out);
        return;
    }
    let per_task = rows.div_ceil(threads);
    out[..rows]
        .par_chunks_mut(per_task)
        .zip(pred.par_chunks(per_task * width))
        .zip(target.par_chunks(per_task * width))
        .for_each(|((o, p), t)| row_means_on_this_thread(p, t, width, o));
}

fn row_means_on_this_thread(pred: &[f32], target: &[f32], width: usize, out: &mut [f32]) {
    let rows = pred.chunks_exact(width).zip(target.chunks_exact(width));
    for (o, (p_row, t_row)) in out.iter_mut().zip(rows) {
        if let Some(sum) = row_on_exp_kernel::<false>(p_row, t_row, &mut [], 0.0) {
            *o = (sum / width as f64) as f32;
            continue;
        }
        let mut sum = 0.0f32;
        let mut ps = p_row.chunks_exact(LANES);
        let mut ts = t_row.chunks_exact(LANES);
        for (p, t) in (&mut ps).zip(&mut ts) {
            let (l, _) = bce_and_gradient(load(p), load(t));
            sum = l.to_array().iter().fold(sum, |s, v| s + v);
        }
        for (p, t) in ps.remainder().iter().zip(ts.remainder()) {
            sum += scalar::bce_logits(*p, *t);
        }
        *o = sum / width as f32;
    }
}

/// The scalar twins: the row tails' arithmetic and the tests' reference.
pub mod scalar {
    /// ℓ = max(x, 0) − x·t + ln(1 + e^(−|x|)).
    pub fn bce_logits(x: f32, t: f32) -> f32 {
        x.max(0.0) - x * t + (-x.abs()).exp().ln_1p()
    }

    /// σ(x) without overflow: e^(−|x|) is at most 1.
    pub fn sigmoid(x: f32) -> f32 {
        let e = (-x.abs()).exp();
        if x >= 0.0 {
            1.0 / (1.0 + e)
        } else {
            e / (1.0 + e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits from −200 to 200 (saturated, moderate and near-zero ones),
    /// targets in [0, 1], 3 rows of 13 (a vector and a tail each).
    fn cases() -> (Vec<f32>, Vec<f32>) {
        let x: Vec<f32> = (0..39)
            .map(|i| match i % 13 {
                0 => -200.0,
                1 => 200.0,
                2 => 0.0,
                3 => -1e-6,
                4 => 30.0,
                j => (j as f32 - 8.0) * 1.7 + i as f32 * 0.01,
            })
            .collect();
        let t: Vec<f32> = (0..39).map(|i| (i % 5) as f32 / 4.0).collect();
        (x, t)
    }

    #[test]
    fn vector_lanes_match_the_scalar_formula() {
        let (x, t) = cases();
        let (mut grad, mut per_row) = (vec![0.0; 39], vec![0.0; 3]);
        let mean = bce_logits_rows(&x, &t, 13, &mut grad, &mut per_row);
        let mut scored = vec![0.0; 3];
        bce_logits_row_means(&x, &t, 13, &mut scored);
        let mut total = 0.0f64;
        for (r, (xr, tr)) in x.chunks(13).zip(t.chunks(13)).enumerate() {
            let want: f64 = xr
                .iter()
                .zip(tr)
                .map(|(x, t)| scalar::bce_logits(*x, *t) as f64)
                .sum();
            total += want;
            let want = want / 13.0;
            let tol = 1e-6 * (1.0 + want.abs());
            assert!(
                (per_row[r] as f64 - want).abs() < tol,
                "row {r}: {} vs {want}",
                per_row[r]
            );
            assert!(
                (scored[r] as f64 - want).abs() < tol,
                "row {r}: {} vs {want}",
                scored[r]
            );
        }
        assert!((mean as f64 - total / 39.0).abs() < 1e-6 * (1.0 + total.abs()));
        for (i, g) in grad.iter().enumerate() {
            let want = (scalar::sigmoid(x[i]) - t[i]) / 39.0;
            assert!((g - want).abs() < 1e-7, "element {i}: {g} vs {want}");
        }
        assert!(grad.iter().chain(&per_row).all(|v| v.is_finite()));
    }

    /// Both exp kernels: the reference's ℓ sum and gradient at every tail
    /// length, the same bits as each other, and the same row mean from the
    /// training and the scoring pass.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn exp_kernels_match_the_reference_and_each_other_bit_for_bit() {
        use crate::kernels::cpu::{Avx2Fma, Avx512};
        if Avx2Fma::supported().is_none() {
            eprintln!("no AVX2 here: the exp kernels are not used, nothing to check");
            return;
        }
        let avx512 = Avx512::supported().is_some();
        let x: Vec<f32> = (0..300)
            .map(|i| match i % 17 {
                0 => -200.0,
                1 => 200.0,
                2 => 0.0,
                3 => -1e-6,
                4 => 0.3466,
                j => (j as f32 - 9.0) * 2.3 + i as f32 * 0.013,
            })
            .collect();
        let t: Vec<f32> = (0..300).map(|i| (i % 7) as f32 / 6.0).collect();
        // Each value's ℓ alone, against libm's.
        for (xv, tv) in x.iter().zip(&t) {
            let want = scalar::bce_logits(*xv, *tv) as f64;
            // SAFETY: the token proves AVX2 and FMA.
            let got =
                unsafe { crate::kernels::exp_avx2::bce_row::<false>(&[*xv], &[*tv], &mut [], 0.0) };
            assert!(
                (got - want).abs() <= 3e-7 * (1.0 + want.abs()),
                "ℓ({xv}, {tv}): {got} against {want}"
            );
        }
        for len in (0..40).chain([299, 300]) {
            let (x, t) = (&x[..len], &t[..len]);
            let want: f64 = x
                .iter()
                .zip(t)
                .map(|(x, t)| scalar::bce_logits(*x, *t) as f64)
                .sum();
            let mut g2 = vec![f32::NAN; len];
            // SAFETY: the token proves AVX2 and FMA.
            let s2 = unsafe { crate::kernels::exp_avx2::bce_row::<true>(x, t, &mut g2, 0.5) };
            // SAFETY: as above.
            let plain = unsafe { crate::kernels::exp_avx2::bce_row::<false>(x, t, &mut [], 0.0) };
            assert_eq!(
                s2.to_bits(),
                plain.to_bits(),
                "{len}: the passes' sums differ"
            );
            assert!(
                (s2 - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{len} values: {s2} against {want}"
            );
            for (i, g) in g2.iter().enumerate() {
                let w = (scalar::sigmoid(x[i]) - t[i]) * 0.5;
                assert!((g - w).abs() < 1e-7, "{len}, element {i}: {g} vs {w}");
            }
            if avx512 {
                let mut g16 = vec![f32::NAN; len];
                // SAFETY: the token proves AVX-512F.
                let s16 =
                    unsafe { crate::kernels::exp_avx512::bce_row::<true>(x, t, &mut g16, 0.5) };
                assert_eq!(s16.to_bits(), s2.to_bits(), "{len} values: sums differ");
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&g16), bits(&g2), "{len} values: gradients differ");
            }
        }
    }

    #[test]
    fn scoring_gives_the_same_bits_on_any_thread_count() {
        let (width, rows) = (101, 700);
        let x: Vec<f32> = (0..width * rows)
            .map(|i| ((i * 37) % 200) as f32 / 10.0 - 10.0)
            .collect();
        let t: Vec<f32> = (0..width * rows).map(|i| (i % 3) as f32 / 2.0).collect();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = vec![0.0; rows];
            pool.install(|| bce_logits_row_means(&x, &t, width, &mut out));
            out
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        assert!(one.iter().all(|v| v.is_finite() && *v > 0.0));
    }
}
