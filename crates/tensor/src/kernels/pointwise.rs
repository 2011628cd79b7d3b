//! Losses element by element: a scalar function of (prediction, target)
//! applied over two matrices, with its gradient and per-row means. The
//! function itself — the loss's formula — is the caller's (`nn::loss`).

/// For each element: (ℓ, dℓ/dp) = `elem(p, t)`; `grad` gets dℓ/dp divided
/// by the element count (the gradient of the mean), `per_row` each row's
/// mean of ℓ; returns the mean of ℓ over all. Sums run in f64, so a large
/// batch loses no precision.
pub fn loss_rows(
    pred: &[f32],
    target: &[f32],
    width: usize,
    grad: &mut [f32],
    per_row: &mut [f32],
    elem: impl Fn(f32, f32) -> (f32, f32),
) -> f32 {
    assert!(
        pred.len() == target.len() && pred.len() == grad.len(),
        "loss: prediction, target and gradient differ in length"
    );
    let width = width.max(1);
    let inv_count = 1.0 / (pred.len().max(1) as f32);
    let mut total = 0.0f64;
    let rows = pred.chunks_exact(width).zip(target.chunks_exact(width));
    let outs = grad.chunks_exact_mut(width).zip(per_row.iter_mut());
    for ((p_row, t_row), (g_row, mean)) in rows.zip(outs) {
        let mut row_sum = 0.0f64;
        for ((p, t), g) in p_row.iter().zip(t_row).zip(g_row.iter_mut()) {
            let (l, d) = elem(*p, *t);
            row_sum += l as f64;
            *g = d * inv_count;
        }
        *mean = (row_sum / width as f64) as f32;
        total += row_sum;
    }
    (total * inv_count as f64) as f32
}

/// Each row's mean of `elem(p, t)`, summed in f32 in order (scoring: no
/// gradient).
pub fn mean_rows(
    pred: &[f32],
    target: &[f32],
    width: usize,
    out: &mut [f32],
    elem: impl Fn(f32, f32) -> f32,
) {
    assert_eq!(pred.len(), target.len(), "row means: operands differ");
    let width = width.max(1);
    let rows = pred.chunks_exact(width).zip(target.chunks_exact(width));
    for (o, (p, t)) in out.iter_mut().zip(rows) {
        let sum: f32 = p.iter().zip(t).map(|(p, t)| elem(*p, *t)).sum();
        *o = sum / width as f32;
    }
}

/// Each row's mean square, summed in f32 in order.
pub fn mean_square_rows(x: &[f32], width: usize, out: &mut [f32]) {
    let width = width.max(1);
    for (o, r) in out.iter_mut().zip(x.chunks_exact(width)) {
        *o = r.iter().map(|e| e * e).sum::<f32>() / width as f32;
    }
}
