//! Per-column operations on the rows of a row-major matrix (a bias added to
//! every row, a per-column affine map) and per-row reductions of differences.
//!
//! Rows are often narrower than a few vectors (the seed autoencoder's 6, 12
//! and 20), so working row by row would leave most lanes to scalar tails. A
//! row vector is therefore tiled: repeated until its length is a multiple of
//! both the row width and the 8 lanes, so a run of whole rows of that length
//! goes through at full vector width. Each value still sees exactly the
//! operations it would row by row, so the results are the same bits.

use super::elementwise::{load, store, LANES};
use super::widest::on_widest_for;
use wide::f32x8;

/// From this row width up, a bias is added (and a row standardized) row by
/// row at the widest vector width in use: at 1024×784, 44 µs against the
/// 8-lane tiles' 69 µs for the bias, 74 against 142 µs for standardizing
/// (Zen 5); at 48 wide, level or better. Narrower rows keep the tiles,
/// which fill whole vectors across rows: at 21 wide, a 16-lane vector and
/// five single values per row took up to twice the tiles' time.
const WIDE_ROW: usize = 32;
/// Longest tile kept (in vectors): rows up to 32 wide always tile; wider rows
/// are mostly whole vectors anyway.
const TILE_VECS: usize = 32;

/// A row vector repeated to a whole number of rows and of vectors.
struct Tile {
    vecs: [f32x8; TILE_VECS],
    /// Length in values: lcm(row width, 8).
    len: usize,
}

impl Tile {
    /// `None` when the repeat would be longer than [`TILE_VECS`] vectors or
    /// than `values`, the length of the matrix it is for (then building it
    /// would cost more than it saves).
    fn new(row: &[f32], values: usize) -> Option<Tile> {
        let len = lcm(row.len(), LANES);
        if row.is_empty() || len > TILE_VECS * LANES || len > values {
            return None;
        }
        let mut vecs = [f32x8::ZERO; TILE_VECS];
        let mut values = row.iter().cycle();
        for v in &mut vecs[..len / LANES] {
            let mut lanes = [0.0; LANES];
            lanes
                .iter_mut()
                .for_each(|l| *l = *values.next().expect("cycle"));
            *v = f32x8::new(lanes);
        }
        Some(Tile { vecs, len })
    }

    fn vecs(&self) -> &[f32x8] {
        &self.vecs[..self.len / LANES]
    }
}

fn lcm(a: usize, b: usize) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    if a == 0 {
        0
    } else {
        a / gcd(a, b) * b
    }
}

/// y[i, :] += bias for every row of an `rows × bias.len()` matrix.
pub fn add_row_vector(y: &mut [f32], bias: &[f32]) {
    let n = bias.len();
    assert!(
        n > 0 && y.len().is_multiple_of(n),
        "add_row_vector: {} values are not whole rows of {n}",
        y.len()
    );
    if n >= WIDE_ROW {
        // Rows of at least two 16-lane vectors: a plain loop per row, compiled
        // for the widest vectors in use (one add per value, the same bits).
        on_widest_for(
            y.len(),
            #[inline(always)]
            || {
                for row in y.chunks_exact_mut(n) {
                    for (v, b) in row.iter_mut().zip(bias) {
                        *v += *b;
                    }
                }
            },
        );
        return;
    }
    let len = y.len();
    let mut rest = &mut y[..];
    if let Some(t) = Tile::new(bias, len) {
        let mut runs = rest.chunks_exact_mut(t.len);
        for run in &mut runs {
            for (c, b) in run.chunks_exact_mut(LANES).zip(t.vecs()) {
                store(load(c) + *b, c);
            }
        }
        rest = runs.into_remainder();
    }
    for row in rest.chunks_exact_mut(n) {
        super::elementwise::add_assign(row, bias);
    }
}

/// `dst[i, j] = (src[i, j] − offset[j]) · factor[j]` — standardisation — and
/// whether every value of `src` was finite (checked in the same pass, so a
/// caller that must reject NaN reads its input once).
pub fn standardize_rows_into(src: &[f32], offset: &[f32], factor: &[f32], dst: &mut [f32]) -> bool {
    let n = offset.len();
    assert_eq!(factor.len(), n, "standardize: offset and factor differ");
    assert!(
        n > 0 && src.len().is_multiple_of(n),
        "standardize: {} values are not whole rows of {n}",
        src.len()
    );
    assert_eq!(
        src.len(),
        dst.len(),
        "standardize: source and destination differ"
    );
    if n >= WIDE_ROW {
        // Rows of at least two 16-lane vectors: a plain loop per row at the
        // widest width in use (the same subtract and multiply per value).
        return on_widest_for(
            src.len(),
            #[inline(always)]
            || {
                let mut finite = true;
                for (s, d) in src.chunks_exact(n).zip(dst.chunks_exact_mut(n)) {
                    finite &= standardize_row(s, offset, factor, d);
                }
                finite
            },
        );
    }
    let mut bad = f32x8::ZERO;
    let mut done = 0;
    if let Some(o) = Tile::new(offset, src.len()) {
        let f = Tile::new(factor, src.len()).expect("same width as offset");
        let runs = src.chunks_exact(o.len).zip(dst.chunks_exact_mut(o.len));
        for (s, d) in runs {
            let lanes = s.chunks_exact(LANES).zip(d.chunks_exact_mut(LANES));
            for ((sc, dc), (ov, fv)) in lanes.zip(o.vecs().iter().zip(f.vecs())) {
                let v = load(sc);
                bad |= !v.is_finite();
                store((v - *ov) * *fv, dc);
            }
        }
        done = src.len() / o.len * o.len;
    }
    let mut finite = !bad.any();
    for (s, d) in src[done..]
        .chunks_exact(n)
        .zip(dst[done..].chunks_exact_mut(n))
    {
        for (((d, s), o), f) in d.iter_mut().zip(s).zip(offset).zip(factor) {
            finite &= s.is_finite();
            *d = (s - o) * f;
        }
    }
    finite
}

/// One row of [`standardize_rows_into`]; whether every value was finite.
/// The slices arrive as arguments so the loop vectorizes without overlap
/// checks.
#[inline(always)]
fn standardize_row(src: &[f32], offset: &[f32], factor: &[f32], dst: &mut [f32]) -> bool {
    let mut bad = false;
    for (((d, s), o), f) in dst.iter_mut().zip(src).zip(offset).zip(factor) {
        bad |= !s.is_finite();
        *d = (s - o) * f;
    }
    !bad
}

/// `out[i] = Σ_j (a[i, j] − b[i, j])²` for each row i of two `rows × cols`
/// matrices, summed in 8 interleaved lanes then a fixed-order tail.
pub fn squared_distance_rows_into(a: &[f32], b: &[f32], cols: usize, out: &mut [f32]) {
    assert_eq!(a.len(), b.len(), "squared_distance_rows: operands differ");
    assert_eq!(
        a.len(),
        out.len() * cols,
        "squared_distance_rows: matrix size"
    );
    if cols == 0 {
        out.fill(0.0);
        return;
    }
    for ((o, ar), br) in out
        .iter_mut()
        .zip(a.chunks_exact(cols))
        .zip(b.chunks_exact(cols))
    {
        let mut acc = f32x8::ZERO;
        let (mut ac, mut bc) = (ar.chunks_exact(LANES), br.chunks_exact(LANES));
        for (x, y) in (&mut ac).zip(&mut bc) {
            let d = load(x) - load(y);
            acc = d.mul_add(d, acc);
        }
        let mut s = acc.reduce_add();
        for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
            s += (x - y) * (x - y);
        }
        *o = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * 0.731).sin() * 3.0).collect()
    }

    /// Every width from 1 to 70 and row counts around the tile length: the
    /// tiled path and the row-by-row tail must give the scalar loop's bits.
    #[test]
    fn tiled_ops_equal_the_row_by_row_loops() {
        for n in 1..=70 {
            for rows in [1, 2, 3, 7, 8, 9, 17, 40] {
                let x = values(rows * n);
                let v = values(n + 3)[3..].to_vec();
                let f: Vec<f32> = v.iter().map(|a| 0.5 + a.abs()).collect();

                let mut got = x.clone();
                add_row_vector(&mut got, &v);
                let want: Vec<f32> = x.iter().enumerate().map(|(i, a)| a + v[i % n]).collect();
                assert_eq!(got, want, "add_row_vector n={n} rows={rows}");

                let mut got = vec![0.0; x.len()];
                assert!(standardize_rows_into(&x, &v, &f, &mut got));
                let want: Vec<f32> = x
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a - v[i % n]) * f[i % n])
                    .collect();
                assert_eq!(got, want, "standardize n={n} rows={rows}");
            }
        }
    }

    #[test]
    fn standardize_reports_non_finite_input_anywhere() {
        for n in [3, 12, 20] {
            for at in [0, 5, 37, 59] {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut x = values(60);
                    x[at] = bad;
                    let mut y = vec![0.0; 60];
                    let (o, f) = (vec![0.0; n], vec![1.0; n]);
                    assert!(!standardize_rows_into(&x, &o, &f, &mut y), "n={n} at={at}");
                }
            }
        }
        // Wide rows on the widest vectors: a bad value in any row, any lane.
        for at in [0, 17, 255, 399] {
            let mut x = values(400);
            x[at] = f32::NAN;
            let mut y = vec![0.0; 400];
            let (o, f) = (vec![0.5; 40], vec![2.0; 40]);
            assert!(!standardize_rows_into(&x, &o, &f, &mut y), "wide, at={at}");
            x[at] = 1.0;
            assert!(
                standardize_rows_into(&x, &o, &f, &mut y),
                "wide, all finite"
            );
        }
        let x = [f32::MAX, -f32::MAX];
        let mut y = [0.0; 2];
        // Finite input that overflows once scaled is still finite input.
        assert!(standardize_rows_into(&x, &[-f32::MAX], &[1.0], &mut y));
    }

    #[test]
    fn squared_distances() {
        for cols in [1, 7, 8, 9, 20, 33] {
            let a = values(5 * cols);
            let b: Vec<f32> = a.iter().map(|v| v * 0.5 - 1.0).collect();
            let mut out = vec![0.0; 5];
            squared_distance_rows_into(&a, &b, cols, &mut out);
            for (i, o) in out.iter().enumerate() {
                let want: f64 = (0..cols)
                    .map(|j| (a[i * cols + j] as f64 - b[i * cols + j] as f64).powi(2))
                    .sum();
                assert!(
                    (*o as f64 - want).abs() <= 1e-5 * want.max(1.0),
                    "{o} vs {want}"
                );
            }
        }
    }
}
