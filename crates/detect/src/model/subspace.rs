//! The leading eigenvectors of a covariance without forming it: randomized
//! subspace iteration (Halko, Martinsson & Tropp, 2011, algorithm 4.4) on
//! the centred rows X (n × d), every product through the engine's GEMM:
//!   V ← Ω, l Gaussian rows of length d
//!   repeat: V ← orth(V);  V ← (X·Vᵀ)ᵀ·X          (V ← V·XᵀX, O(n·d·l))
//!   V ← orth(V);  Z = X·Vᵀ;  B = ZᵀZ / (n − 1)     (l × l)
//!   B = W·Λ·Wᵀ (Jacobi: l is small)  ⇒  C ≈ (Wᵀ·V)ᵀ · Λ · (Wᵀ·V)
//! Each pass costs O(n·d·l), where the full eigen-decomposition of the d × d
//! covariance costs O(d³) per Jacobi sweep; the leading eigenvalues come out
//! accurate because each pass raises the spectrum's gaps to a higher power.

use super::eigen::symmetric_eigen;
use aedetect_tensor::{init, rng, Tensor};

/// The top `l` eigenpairs found: eigenvalues descending, and the unit
/// eigenvectors as the rows of `vectors` (`[l, d]`).
pub(crate) struct Leading {
    pub values: Vec<f64>,
    pub vectors: Tensor,
}

/// Power passes: three make the leading l − 8 eigenvectors accurate to
/// a few digits on any spectrum with some decay.
const PASSES: usize = 3;

/// The `l` leading eigenpairs of XᵀX / (n − 1) for centred rows `x`.
pub(crate) fn leading_eigen(x: &Tensor, l: usize, seed: u64) -> Leading {
    let (n, d) = (x.rows(), x.row_len());
    let l = l.clamp(1, d);
    let mut v = Tensor::zeros(&[l, d]);
    init::normal(&mut v, 0.0, 1.0, &mut rng::seeded(seed));
    let mut z = Tensor::zeros(&[n, l]);
    for _ in 0..PASSES {
        orthonormalize_rows(&mut v);
        z.mat_mut().set_product(x.mat(), v.t()); // Z = X·Vᵀ
        v.mat_mut().set_product(z.t(), x.mat()); // V = Zᵀ·X = V·XᵀX
    }
    orthonormalize_rows(&mut v);
    z.mat_mut().set_product(x.mat(), v.t());
    let mut b = Tensor::zeros(&[l, l]);
    b.mat_mut().set_product(z.t(), z.mat()); // B = ZᵀZ
    let scale = 1.0 / (n.max(2) - 1) as f64;
    let bd = b.data();
    let b64: Vec<f64> = (0..l * l)
        .map(|ij| {
            let (i, j) = (ij / l, ij % l);
            (bd[i * l + j] as f64 + bd[j * l + i] as f64) * 0.5 * scale
        })
        .collect();
    let e = symmetric_eigen(&b64, l);
    // Eigenvector c of C is Σ_i W[i, c] · V[i, :]: the rows of Wᵀ·V.
    let w = Tensor::from_vec(&[l, l], e.vectors.iter().map(|v| *v as f32).collect());
    let mut vectors = Tensor::zeros(&[l, d]);
    vectors.mat_mut().set_product(w.t(), v.mat());
    Leading {
        values: e.values,
        vectors,
    }
}

/// Modified Gram–Schmidt on the rows, twice ("twice is enough"), in f64; a
/// row left with no length of its own (the data has lower rank) becomes zero.
fn orthonormalize_rows(v: &mut Tensor) {
    let d = v.row_len();
    let mut rows: Vec<Vec<f64>> = v
        .data()
        .chunks_exact(d)
        .map(|r| r.iter().map(|x| *x as f64).collect())
        .collect();
    for _ in 0..2 {
        for i in 0..rows.len() {
            let (done, rest) = rows.split_at_mut(i);
            let row = &mut rest[0];
            for q in done.iter() {
                let dot: f64 = row.iter().zip(q).map(|(a, b)| a * b).sum();
                row.iter_mut().zip(q).for_each(|(a, b)| *a -= dot * b);
            }
            let norm = row.iter().map(|a| a * a).sum::<f64>().sqrt();
            let inv = if norm > 1e-30 { 1.0 / norm } else { 0.0 };
            row.iter_mut().for_each(|a| *a *= inv);
        }
    }
    for (out, r) in v.data_mut().chunks_exact_mut(d).zip(&rows) {
        out.iter_mut().zip(r).for_each(|(o, a)| *o = *a as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the exact decomposition: a covariance with a decaying
    /// spectrum, its leading eigenvalues and the subspace they span.
    #[test]
    fn leading_pairs_match_the_exact_decomposition() {
        let (n, d, rank) = (400, 40, 12);
        let mut r = rng::seeded(3);
        let mut factors = Tensor::zeros(&[n, rank]);
        init::normal(&mut factors, 0.0, 1.0, &mut r);
        // Factor j scaled by 0.7^j: a decaying spectrum, plus small noise.
        for row in factors.data_mut().chunks_exact_mut(rank) {
            row.iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v *= 0.7f32.powi(j as i32));
        }
        let mut mix = Tensor::zeros(&[rank, d]);
        init::normal(&mut mix, 0.0, 1.0, &mut r);
        let mut x = Tensor::zeros(&[n, d]);
        init::normal(&mut x, 0.0, 0.01, &mut r);
        x.mat_mut().add_product(factors.mat(), mix.mat());
        // Centre.
        for j in 0..d {
            let m = (0..n).map(|i| x.data()[i * d + j]).sum::<f32>() / n as f32;
            (0..n).for_each(|i| x.data_mut()[i * d + j] -= m);
        }
        let xd = x.data();
        let mut cov = vec![0.0f64; d * d];
        for row in xd.chunks_exact(d) {
            for a in 0..d {
                for b in 0..d {
                    cov[a * d + b] += row[a] as f64 * row[b] as f64 / (n - 1) as f64;
                }
            }
        }
        let exact = symmetric_eigen(&cov, d);
        let got = leading_eigen(&x, 16, 9);
        for k in 0..8 {
            let (a, b) = (got.values[k], exact.values[k]);
            assert!((a - b).abs() <= 1e-3 * exact.values[0], "λ{k}: {a} vs {b}");
            // |⟨u_k, v_k⟩| ≈ 1: the same direction (up to sign).
            let dot: f64 = (0..d)
                .map(|j| got.vectors.data()[k * d + j] as f64 * exact.vectors[j * d + k])
                .sum();
            assert!(dot.abs() > 0.999, "eigenvector {k}: |cos| = {}", dot.abs());
        }
    }
}
