//! Reductions over rows and columns of a row-major matrix.
//!
//! Every reduction visits values in one fixed order on one thread, so it is
//! bit-for-bit deterministic whatever the thread count.

use super::cpu::Simd;
use wide::f32x8;

const LANES: usize = 8;

/// `out[j] += Σ_i x[i, j]` for an `rows × cols` matrix — e.g. a bias gradient.
pub fn sum_cols_into(x: &[f32], rows: usize, cols: usize, out: &mut [f32]) {
    assert_eq!(x.len(), rows * cols, "sum_cols: matrix size");
    assert_eq!(out.len(), cols, "sum_cols: output size");
    for row in x.chunks_exact(cols) {
        super::elementwise::add_assign(out, row);
    }
}

/// Σ x, in 8 interleaved lanes then a fixed-order tail (deterministic).
pub fn sum(x: &[f32]) -> f32 {
    let mut acc = f32x8::ZERO;
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        acc += f32x8::new(c.try_into().expect("8 lanes"));
    }
    let mut s = acc.reduce_add();
    for v in chunks.remainder() {
        s += v;
    }
    s
}

/// Σ x², as `sum` does it.
pub fn sum_squares(x: &[f32]) -> f32 {
    let mut acc = f32x8::ZERO;
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        let v = f32x8::new(c.try_into().expect("8 lanes"));
        acc = v.mul_add(v, acc);
    }
    let mut s = acc.reduce_add();
    for v in chunks.remainder() {
        s += v * v;
    }
    s
}

/// Lanes of [`squared_distance`].
pub const DISTANCE_LANES: usize = 16;

/// Σ (a − b)², the exact squared distance a neighbour search reports: lane
/// l of 16 sums the terms i ≡ l (mod 16) in order, the lanes fold pairwise
/// (16 → 8 → 4 → 2 → 1, lane l taking lane l + half), then the tail adds in
/// order. Each lane is its own chain, so the bits are the same at every
/// vector width the loop is compiled for.
///
/// # Panics
/// If the slices differ in length.
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    squared_distances(a, [b])[0]
}

/// [`squared_distance`] from `a` to each of `N` rows at once, with the same
/// bits as one at a time: each distance is its own 16 chains in the same
/// order, on zmm or ymm vectors where the CPU has them
/// (`distance_avx512.rs`, `distance_avx2.rs`), and the N sets interleave so
/// that their additions overlap (one distance alone waits on its chains'
/// latency: at 784 features, 49 dependent additions).
///
/// # Panics
/// If the slices differ in length.
pub fn squared_distances<const N: usize>(a: &[f32], b: [&[f32]; N]) -> [f32; N] {
    assert!(
        b.iter().all(|b| b.len() == a.len()),
        "squared_distances: lengths"
    );
    let whole = a.len() / DISTANCE_LANES * DISTANCE_LANES;
    // Rows shorter than one vector stay inline. From one vector up the
    // kernel pays for its call: on 32-wide codes (the default detector's
    // neighbour search) the inline loop was 4.1 % of fitting shuttle, the
    // kernel 3.1 % (Zen 5, session 18).
    let simd = if whole == 0 { None } else { Simd::detect() };
    let mut out = match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F; every row is as long as `a`
        // (asserted above).
        Some(Simd::Avx512(_)) => unsafe { super::distance_avx512::folded_whole(a, b) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX2; every row is as long as `a`.
        Some(Simd::Avx2(_)) => unsafe { super::distance_avx2::folded_whole(a, b) },
        _ => b.map(|b| folded_whole_scalar(&a[..whole], &b[..whole])),
    };
    for (o, b) in out.iter_mut().zip(b) {
        for (x, y) in a[whole..].iter().zip(&b[whole..]) {
            let t = x - y;
            *o += t * t;
        }
    }
    out
}

/// The definition: lane l of 16 sums (a − b)² over i ≡ l (mod 16) in order,
/// then the lanes fold 16 → 8 → 4 → 2 → 1 (lane l taking lane l + half).
/// For slices of a whole number of 16s.
fn folded_whole_scalar(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = DISTANCE_LANES;
    let mut lanes = [0.0f32; L];
    for (x, y) in a.chunks_exact(L).zip(b.chunks_exact(L)) {
        for l in 0..L {
            let t = x[l] - y[l];
            lanes[l] += t * t;
        }
    }
    let mut half = L;
    while half > 1 {
        half /= 2;
        for l in 0..half {
            lanes[l] += lanes[l + half];
        }
    }
    lanes[0]
}

/// `out[i] = Σ_j x[i, j]` for each row i.
pub fn sum_rows_into(x: &[f32], cols: usize, out: &mut [f32]) {
    assert_eq!(x.len(), out.len() * cols, "sum_rows: matrix size");
    for (o, row) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = sum(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        let x: Vec<f32> = (0..30).map(|i| i as f32).collect();
        assert_eq!(sum(&x), 435.0);
        assert_eq!(sum_squares(&x[..3]), 5.0);
        let mut cols = vec![0.0; 5];
        sum_cols_into(&x, 6, 5, &mut cols);
        assert_eq!(cols, vec![75.0, 81.0, 87.0, 93.0, 99.0]);
        let mut rows = vec![0.0; 6];
        sum_rows_into(&x, 5, &mut rows);
        assert_eq!(rows, vec![10.0, 35.0, 60.0, 85.0, 110.0, 135.0]);
    }

    /// The definition, lane by lane: each lane's chain, the fold, the tail.
    fn definition(a: &[f32], b: &[f32]) -> f32 {
        let whole = a.len() / 16 * 16;
        let mut lanes = [0.0f32; 16];
        for i in 0..whole {
            let t = a[i] - b[i];
            lanes[i % 16] += t * t;
        }
        let folded = [8, 4, 2, 1].iter().fold(lanes, |mut l, &h| {
            for j in 0..h {
                l[j] += l[j + h];
            }
            l
        });
        (whole..a.len()).fold(folded[0], |s, i| s + (a[i] - b[i]) * (a[i] - b[i]))
    }

    /// The definition's bits from one distance and from 4 or 8 at once, on
    /// each kernel this CPU runs (zmm, ymm, scalar); tails of 0 to 15.
    #[test]
    fn squared_distances_have_the_definitions_bits_on_every_kernel() {
        use super::super::cpu::{Avx2Fma, Avx512};
        for len in [0, 1, 15, 16, 17, 33, 100, 784] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
            let rows: Vec<Vec<f32>> = (0..8)
                .map(|r| {
                    (0..len)
                        .map(|i| ((i * (r + 2)) as f32 * 0.11).cos())
                        .collect()
                })
                .collect();
            let want: Vec<u32> = rows.iter().map(|b| definition(&a, b).to_bits()).collect();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let one: Vec<f32> = rows.iter().map(|b| squared_distance(&a, b)).collect();
            assert_eq!(bits(&one), want, "one at a time, {len} values");
            let four = squared_distances(&a, std::array::from_fn::<_, 4, _>(|c| &rows[c][..]));
            assert_eq!(bits(&four), want[..4], "four at once, {len} values");
            let eight = squared_distances(&a, std::array::from_fn::<_, 8, _>(|c| &rows[c][..]));
            assert_eq!(bits(&eight), want, "eight at once, {len} values");
            // Each kernel on the whole 16s, against the scalar fold.
            let whole = len / 16 * 16;
            let b: [&[f32]; 8] = std::array::from_fn(|c| &rows[c][..whole]);
            let scalar = b.map(|b| folded_whole_scalar(&a[..whole], b));
            #[cfg(target_arch = "x86_64")]
            if Avx512::supported().is_some() {
                // SAFETY: the CPU runs AVX-512F (checked); rows as long as `a`.
                let got = unsafe { super::super::distance_avx512::folded_whole(&a[..whole], b) };
                assert_eq!(bits(&got), bits(&scalar), "zmm, {len} values");
            }
            #[cfg(target_arch = "x86_64")]
            if Avx2Fma::supported().is_some() {
                // SAFETY: the CPU runs AVX2 (checked); rows as long as `a`.
                let got = unsafe { super::super::distance_avx2::folded_whole(&a[..whole], b) };
                assert_eq!(bits(&got), bits(&scalar), "ymm, {len} values");
            }
        }
    }
}
