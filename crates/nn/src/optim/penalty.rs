//! L1 and L2 penalties on weights (biases are not penalised):
//!   P = λ₁·Σ|w| + λ₂·Σw²,   dP/dw = λ₁·sign(w) + 2λ₂·w

use crate::Layer;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Penalty {
    pub l1: f32,
    pub l2: f32,
}

impl Penalty {
    pub fn is_zero(&self) -> bool {
        self.l1 == 0.0 && self.l2 == 0.0
    }

    /// Adds dP/dw to every weight's gradient and returns P.
    pub fn apply(&self, model: &mut dyn Layer) -> f32 {
        if self.is_zero() {
            return 0.0;
        }
        let mut total = 0.0f64;
        model.visit_params_mut(&mut |p| {
            if p.name != "weight" {
                return;
            }
            for (w, g) in p.value.data().iter().zip(p.grad.data_mut()) {
                total += (self.l1 * w.abs() + self.l2 * w * w) as f64;
                *g += self.l1 * w.signum() * (*w != 0.0) as u8 as f32 + 2.0 * self.l2 * w;
            }
        });
        total as f32
    }
}
