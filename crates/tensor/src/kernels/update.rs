//! Parameter updates of the optimizers and the weight penalty, element by
//! element. The formulas are stated where they are chosen (`nn::optim`);
//! these loops apply them in one pass over each parameter tensor.

/// The coefficients of one Adam step (PyTorch's update; see `nn::optim::Adam`).
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    /// AdamW: decay θ directly instead of adding λθ to the gradient.
    pub decoupled: bool,
    /// lr / (1 − β₁ᵗ)
    pub step_size: f32,
    /// √(1 − β₂ᵗ)
    pub bias_correction2_sqrt: f32,
}

/// One Adam step over θ with gradient g and moments m, v (all one length).
pub fn adam(theta: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], c: &AdamStep) {
    assert!(
        theta.len() == grad.len() && theta.len() == m.len() && theta.len() == v.len(),
        "adam: parameter, gradient and moments differ in length"
    );
    let (b1, b2, wd, lr) = (c.beta1, c.beta2, c.weight_decay, c.lr);
    for (((p, &g), m), v) in theta.iter_mut().zip(grad).zip(m).zip(v) {
        let g = if c.decoupled {
            *p *= 1.0 - lr * wd;
            g
        } else {
            g + wd * *p
        };
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        *p -= c.step_size * *m / (v.sqrt() / c.bias_correction2_sqrt + c.eps);
    }
}

/// The coefficients of one SGD step (PyTorch's `SGD`; see `nn::optim::Sgd`).
#[derive(Clone, Copy, Debug)]
pub struct SgdStep {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    /// The first step starts the momentum buffer at g.
    pub first: bool,
}

/// One SGD step over θ with gradient g and momentum buffer b.
pub fn sgd(theta: &mut [f32], grad: &[f32], buf: &mut [f32], c: &SgdStep) {
    assert!(
        theta.len() == grad.len() && theta.len() == buf.len(),
        "sgd: parameter, gradient and momentum differ in length"
    );
    let (lr, mu) = (c.lr, c.momentum);
    for ((p, &g), b) in theta.iter_mut().zip(grad).zip(buf) {
        let g = g + c.weight_decay * *p;
        if mu == 0.0 {
            *p -= lr * g;
            continue;
        }
        *b = if c.first { g } else { mu * *b + g };
        *p -= lr * if c.nesterov { g + mu * *b } else { *b };
    }
}

/// Adds λ₁·sign(w) + 2λ₂·w to each gradient and λ₁|w| + λ₂w² to `total`.
pub fn l1_l2_penalty(w: &[f32], grad: &mut [f32], l1: f32, l2: f32, total: &mut f64) {
    assert_eq!(w.len(), grad.len(), "penalty: weight and gradient differ");
    for (w, g) in w.iter().zip(grad) {
        *total += (l1 * w.abs() + l2 * w * w) as f64;
        *g += l1 * w.signum() * (*w != 0.0) as u8 as f32 + 2.0 * l2 * w;
    }
}
