//! Reductions over rows and columns of a row-major matrix.
//!
//! Every reduction visits values in one fixed order on one thread, so it is
//! bit-for-bit deterministic whatever the thread count.

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
}
