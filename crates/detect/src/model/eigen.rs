//! Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method:
//! repeated plane rotations J(p, q, θ) that zero one off-diagonal pair at a
//! time, A ← JᵀAJ, V ← VJ, until the off-diagonal mass is negligible. Slow
//! (O(d³) per sweep) but simple, accurate and unconditionally convergent —
//! right for the d ≤ a few hundred covariance matrices of tabular data.

/// Eigenvalues (descending) and the matching unit eigenvectors as the columns
/// of a row-major d×d matrix.
pub struct SymmetricEigen {
    pub values: Vec<f64>,
    pub vectors: Vec<f64>,
}

/// Decomposes the symmetric d×d matrix `a` (row-major; only symmetry of the
/// input is assumed, the upper triangle is used as given).
pub fn symmetric_eigen(a: &[f64], d: usize) -> SymmetricEigen {
    assert_eq!(a.len(), d * d, "symmetric_eigen: matrix size");
    let mut m = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    let total: f64 = m.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| m[p * d + q].powi(2))
            .sum();
        if off <= 1e-30 * total {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                // tan of the rotation angle that zeroes m[p][q]: the smaller root of
                // t² + 2θt − 1 = 0 with θ = (a_qq − a_pp) / (2 a_pq).
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    // columns p and q of M
                    let (mkp, mkq) = (m[k * d + p], m[k * d + q]);
                    m[k * d + p] = c * mkp - s * mkq;
                    m[k * d + q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    // rows p and q of M
                    let (mpk, mqk) = (m[p * d + k], m[q * d + k]);
                    m[p * d + k] = c * mpk - s * mqk;
                    m[q * d + k] = s * mpk + c * mqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| m[j * d + j].total_cmp(&m[i * d + i]));
    let values = order.iter().map(|&i| m[i * d + i]).collect();
    let mut vectors = vec![0.0; d * d];
    for (new, &old) in order.iter().enumerate() {
        for k in 0..d {
            vectors[k * d + new] = v[k * d + old];
        }
    }
    SymmetricEigen { values, vectors }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconstructs_a_random_symmetric_matrix() {
        let d = 7;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let v = ((i * 31 + j * 17) % 13) as f64 - 6.0;
                a[i * d + j] = v;
                a[j * d + i] = v;
            }
        }
        let e = symmetric_eigen(&a, d);
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        for i in 0..d {
            for j in 0..d {
                // V Λ Vᵀ = A and VᵀV = I
                let r: f64 = (0..d)
                    .map(|k| e.vectors[i * d + k] * e.values[k] * e.vectors[j * d + k])
                    .sum();
                assert!((r - a[i * d + j]).abs() < 1e-9, "A[{i}][{j}]");
                let o: f64 = (0..d)
                    .map(|k| e.vectors[k * d + i] * e.vectors[k * d + j])
                    .sum();
                assert!((o - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn diagonal_and_known_2x2() {
        let e = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((e.values[0] - 3.0).abs() < 1e-12 && (e.values[1] - 1.0).abs() < 1e-12);
        let e = symmetric_eigen(&[1.0, 0.0, 0.0, 5.0], 2);
        assert_eq!(e.values, vec![5.0, 1.0]);
    }
}
