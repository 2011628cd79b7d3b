//! Reductions over rows and columns of a row-major matrix.
//!
//! Every reduction visits values in one fixed order on one thread, so it is
//! bit-for-bit deterministic whatever the thread count.

use super::widest::on_widest_for;
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
    assert_eq!(a.len(), b.len(), "squared_distance: lengths");
    on_widest_for(
        a.len(),
        #[inline(always)]
        || squared_distance_scalar(a, b),
    )
}

#[inline(always)]
fn squared_distance_scalar(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = DISTANCE_LANES;
    let mut lanes = [0.0f32; L];
    let (mut ca, mut cb) = (a.chunks_exact(L), b.chunks_exact(L));
    for (x, y) in (&mut ca).zip(&mut cb) {
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
    let mut s = lanes[0];
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        let t = x - y;
        s += t * t;
    }
    s
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

    /// The definition, lane by lane, on every width; tails of 0 to 15.
    #[test]
    fn squared_distance_is_its_lanes_folded_on_every_width() {
        use crate::kernels::widest::on_every_width;
        for len in [0, 1, 15, 16, 17, 33, 100, 784] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let whole = len / 16 * 16;
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
            let want = (whole..len).fold(folded[0], |s, i| s + (a[i] - b[i]) * (a[i] - b[i]));
            for (isa, got) in on_every_width(|| squared_distance_scalar(&a, &b)) {
                assert_eq!(got.to_bits(), want.to_bits(), "{isa}, length {len}");
            }
            assert_eq!(squared_distance(&a, &b).to_bits(), want.to_bits());
        }
    }
}
