//! L1 and L2 penalties on weights (biases are not penalised):
//!   P = λ₁·Σ|w| + λ₂·Σw²,   dP/dw = λ₁·sign(w) + 2λ₂·w

use crate::Parameters;
use aedetect_tensor::ops;

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
    pub fn apply(&self, params: &mut dyn Parameters) -> f32 {
        if self.is_zero() {
            return 0.0;
        }
        let mut total = 0.0f64;
        params.visit_params_mut(&mut |p| {
            if p.name == "weight" {
                ops::l1_l2_penalty(&p.value, &mut p.grad, self.l1, self.l2, &mut total);
            }
        });
        total as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Linear;
    use aedetect_tensor::Tensor;

    #[test]
    fn adds_gradient_to_weights_only() {
        let w = Tensor::from_vec(&[1, 3], vec![-2.0, 0.0, 3.0]);
        let mut l = Linear::from_params(w, Tensor::from_vec(&[1], vec![5.0]));
        let p = Penalty { l1: 0.1, l2: 0.01 }.apply(&mut l);
        // P = 0.1·(2 + 0 + 3) + 0.01·(4 + 0 + 9)
        assert!((p - 0.63).abs() < 1e-6);
        let g = l.weight.grad.to_vec();
        assert!((g[0] - (-0.1 - 0.04)).abs() < 1e-6);
        assert_eq!(g[1], 0.0);
        assert!((g[2] - (0.1 + 0.06)).abs() < 1e-6);
        assert_eq!(l.bias.grad.to_vec(), vec![0.0]);
    }
}
