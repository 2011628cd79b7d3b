//! Losses element by element: a scalar function of (prediction, target)
//! applied over two matrices, with its gradient and per-row means. The
//! function itself — the loss's formula — is the caller's (`nn::loss`).

use super::widest::on_widest_for;

/// For each element: (ℓ, dℓ/dp) = `elem(p, t)`; `grad` gets dℓ/dp divided
/// by the element count (the gradient of the mean), `per_row` each row's
/// mean of ℓ; returns the mean of ℓ over all. Sums run in f64, so a large
/// batch loses no precision; each row's in [`SUM_LANES`] interleaved lanes
/// folded in a fixed order, so the loop vectorizes (at the widest width in
/// use, with the same bits at every width) instead of waiting on one chain
/// of f64 adds per element.
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
        let row_sum = on_widest_for(
            width,
            #[inline(always)]
            || row_loss(p_row, t_row, g_row, inv_count, &elem),
        );
        *mean = (row_sum / width as f64) as f32;
        total += row_sum;
    }
    (total * inv_count as f64) as f32
}

/// Lanes of a row's f64 loss sum: element j goes to lane j mod 8.
pub const SUM_LANES: usize = 8;

/// One row of [`loss_rows`]: writes dℓ/dp · `inv_count` into `g` and
/// returns Σℓ, lane sums folded as ((0+4)+(2+6)) + ((1+5)+(3+7)).
#[inline(always)]
fn row_loss(
    p: &[f32],
    t: &[f32],
    g: &mut [f32],
    inv_count: f32,
    elem: &impl Fn(f32, f32) -> (f32, f32),
) -> f64 {
    const L: usize = SUM_LANES;
    let mut lanes = [0.0f64; L];
    let (pc, pt) = p.as_chunks::<L>();
    let (tc, tt) = t.as_chunks::<L>();
    let (gc, gt) = g.as_chunks_mut::<L>();
    for ((p, t), g) in pc.iter().zip(tc).zip(gc.iter_mut()) {
        for j in 0..L {
            let (l, d) = elem(p[j], t[j]);
            lanes[j] += l as f64;
            g[j] = d * inv_count;
        }
    }
    for (j, ((p, t), g)) in pt.iter().zip(tt).zip(gt.iter_mut()).enumerate() {
        let (l, d) = elem(*p, *t);
        lanes[j] += l as f64;
        *g = d * inv_count;
    }
    ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
        + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::widest::on_every_width;

    /// Rows of 1 to 40 values (whole lane groups and tails): gradients are
    /// the element formula's, row means the lane sums folded as documented
    /// (within f64 rounding of the plain sum), the same bits at every width.
    #[test]
    fn loss_rows_sum_in_lanes_with_the_same_bits_at_every_width() {
        let elem = |p: f32, t: f32| ((p - t) * (p - t), 2.0 * (p - t));
        for width in [1, 7, 8, 9, 16, 20, 40] {
            let rows = 3;
            let p: Vec<f32> = (0..rows * width).map(|i| (i as f32 * 0.37).sin()).collect();
            let t: Vec<f32> = (0..rows * width).map(|i| (i as f32 * 0.11).cos()).collect();
            let (mut g, mut per_row) = (vec![0.0; p.len()], vec![0.0; rows]);
            let mean = loss_rows(&p, &t, width, &mut g, &mut per_row, elem);
            // One row's loop compiled at each width (inlined into each).
            let runs = on_every_width(|| {
                let mut g = vec![0.0; p.len()];
                let sums: Vec<f64> = (0..rows)
                    .map(|r| {
                        let at = r * width..(r + 1) * width;
                        let (p, t) = (&p[at.clone()], &t[at.clone()]);
                        row_loss(p, t, &mut g[at], 1.0 / (rows * width) as f32, &elem)
                    })
                    .collect();
                (g, sums)
            });
            let inv = 1.0 / p.len() as f32;
            for (i, g) in g.iter().enumerate() {
                assert_eq!(*g, elem(p[i], t[i]).1 * inv);
            }
            for (r, m) in per_row.iter().enumerate() {
                let mut lanes = [0.0f64; SUM_LANES];
                for j in 0..width {
                    let i = r * width + j;
                    lanes[j % SUM_LANES] += elem(p[i], t[i]).0 as f64;
                }
                let l = lanes;
                let folded = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
                assert_eq!(*m, (folded / width as f64) as f32, "width {width} row {r}");
            }
            let plain: f64 = p.iter().zip(&t).map(|(p, t)| elem(*p, *t).0 as f64).sum();
            assert!((mean as f64 - plain / p.len() as f64).abs() < 1e-6);
            for (name, (run_g, sums)) in &runs {
                let means = sums.iter().map(|s| (s / width as f64) as f32);
                let same = run_g
                    .iter()
                    .zip(&g)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
                    && means.zip(&per_row).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{name}, width {width}: other bits");
            }
        }
    }
}
