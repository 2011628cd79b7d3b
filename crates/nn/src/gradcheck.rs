//! Finite-difference gradient checking for any layer, network or loss.
//!
//! For a layer, the scalar probed is L = Σ y ⊙ r with a fixed random r, so
//! dL/dy = r is what `backward` receives; every input and parameter value is
//! nudged by ±ε and the central difference (L(+ε) − L(−ε)) / 2ε is compared
//! with the analytic gradient. Sums are taken in f64 to keep the f32 forward's
//! rounding out of the difference.

use crate::{Layer, Loss, Mode};
use aedetect_tensor::{init, rng, Tensor};

/// The outcome of a check: the worst error relative to the allowed tolerance.
#[derive(Debug, Clone)]
pub struct GradReport {
    /// max over values of |analytic − numeric| / (atol + rtol·|numeric|); ≤ 1 passes.
    pub worst_ratio: f64,
    /// Which value was worst, e.g. `param 0 [5]: analytic 0.31 numeric 0.29`.
    pub worst: String,
    /// How many values were checked.
    pub checked: usize,
}

impl GradReport {
    pub fn passed(&self) -> bool {
        self.worst_ratio <= 1.0
    }
}

/// Tolerances: relative to each value, plus an absolute floor relative to the
/// largest gradient (so values near zero are judged on the tensor's scale).
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub eps: f32,
    pub rtol: f64,
    pub atol_frac: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            eps: 1e-2,
            rtol: 1e-2,
            atol_frac: 1e-3,
        }
    }
}

struct Tracker {
    pairs: Vec<(String, f64, f64)>,
}

impl Tracker {
    fn report(self, tol: Tolerance) -> GradReport {
        let scale = self
            .pairs
            .iter()
            .map(|p| p.2.abs().max(p.1.abs()))
            .fold(0.0, f64::max);
        let atol = tol.atol_frac * scale.max(1e-6);
        let mut worst = (0.0, String::new());
        for (label, a, n) in &self.pairs {
            let ratio = (a - n).abs() / (atol + tol.rtol * n.abs());
            if ratio > worst.0 || worst.1.is_empty() {
                worst = (ratio, format!("{label}: analytic {a:.6e} numeric {n:.6e}"));
            }
        }
        GradReport {
            worst_ratio: worst.0,
            worst: worst.1,
            checked: self.pairs.len(),
        }
    }
}

fn probe(layer: &mut dyn Layer, x: &Tensor, r: &Tensor) -> f64 {
    let y = layer.forward(x, Mode::Eval);
    y.data()
        .iter()
        .zip(r.data())
        .map(|(a, b)| *a as f64 * *b as f64)
        .sum()
}

/// Adds `delta` to the `index`-th value of the `slot`-th parameter.
fn nudge_param(layer: &mut dyn Layer, slot: usize, index: usize, delta: f32) {
    let mut s = 0;
    layer.visit_params_mut(&mut |p| {
        if s == slot {
            p.value.data_mut()[index] += delta;
        }
        s += 1;
    });
}

/// Checks a layer's input and parameter gradients at input `x`, in eval mode.
pub fn check_layer(layer: &mut dyn Layer, x: &Tensor, seed: u64, tol: Tolerance) -> GradReport {
    let out_shape = layer.forward(x, Mode::Eval).shape().to_vec();
    let mut r = Tensor::zeros(&out_shape);
    init::uniform(&mut r, -1.0, 1.0, &mut rng::seeded(seed));
    layer.zero_grad();
    layer.forward(x, Mode::Eval);
    let dx = layer.backward(&r).clone();
    let mut grads = Vec::new();
    layer.visit_params(&mut |p| grads.push(p.grad.clone()));

    let mut t = Tracker { pairs: Vec::new() };
    let eps = tol.eps;
    let mut xp = x.clone();
    for i in 0..x.len() {
        let orig = xp.data()[i];
        xp.data_mut()[i] = orig + eps;
        let up = probe(layer, &xp, &r);
        xp.data_mut()[i] = orig - eps;
        let down = probe(layer, &xp, &r);
        xp.data_mut()[i] = orig;
        t.pairs.push((
            format!("input [{i}]"),
            dx.data()[i] as f64,
            (up - down) / (2.0 * eps as f64),
        ));
    }
    for (slot, g) in grads.iter().enumerate() {
        for i in 0..g.len() {
            nudge_param(layer, slot, i, eps);
            let up = probe(layer, x, &r);
            nudge_param(layer, slot, i, -2.0 * eps);
            let down = probe(layer, x, &r);
            nudge_param(layer, slot, i, eps);
            t.pairs.push((
                format!("param {slot} [{i}]"),
                g.data()[i] as f64,
                (up - down) / (2.0 * eps as f64),
            ));
        }
    }
    t.report(tol)
}

/// Checks a loss's gradient with respect to its prediction.
pub fn check_loss(
    loss: &mut dyn Loss,
    pred: &Tensor,
    target: &Tensor,
    tol: Tolerance,
) -> GradReport {
    loss.forward(pred, target);
    let grad = loss.backward().clone();
    let mut t = Tracker { pairs: Vec::new() };
    let mut p = pred.clone();
    // The mean loss is small per element, so measure it in f64 from the
    // element-wise definition to avoid rounding in the difference.
    let eval = |loss: &dyn Loss, p: &Tensor| -> f64 {
        let s: f64 = p
            .data()
            .iter()
            .zip(target.data())
            .map(|(a, b)| loss.element(*a, *b) as f64)
            .sum();
        s / p.len() as f64
    };
    for i in 0..pred.len() {
        let orig = p.data()[i];
        p.data_mut()[i] = orig + tol.eps;
        let up = eval(loss, &p);
        p.data_mut()[i] = orig - tol.eps;
        let down = eval(loss, &p);
        p.data_mut()[i] = orig;
        t.pairs.push((
            format!("pred [{i}]"),
            grad.data()[i] as f64,
            (up - down) / (2.0 * tol.eps as f64),
        ));
    }
    t.report(tol)
}
