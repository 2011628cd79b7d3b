//! Inverted dropout: in training, each value is kept with probability 1 − p
//! and scaled by 1/(1 − p), so eval mode (identity) needs no rescaling.
//!   y = x ⊙ m,  m_i ∈ {0, 1/(1−p)};   dx = dy ⊙ m

use crate::{Layer, Mode, Parameters};
use aedetect_tensor::{init, ops, rng, Rng, Tensor};

pub struct Dropout {
    pub p: f32,
    rng: Rng,
    mask: Tensor,
    y: Tensor,
    dx: Tensor,
}

impl Dropout {
    /// Dropout with drop probability `p` ∈ [0, 1), its masks drawn from `seed`.
    ///
    /// # Panics
    /// If `p` is outside [0, 1).
    pub fn new(p: f32, seed: u64) -> Self {
        assert!(
            (0.0..1.0).contains(&p),
            "dropout probability must be in [0, 1), got {p}"
        );
        Dropout {
            p,
            rng: rng::seeded(seed),
            mask: Tensor::default(),
            y: Tensor::default(),
            dx: Tensor::default(),
        }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> &Tensor {
        self.y.assign(x);
        self.mask.resize(x.shape());
        if mode != Mode::Train || self.p == 0.0 {
            self.mask.fill(1.0);
            return &self.y;
        }
        init::dropout_mask(&mut self.mask, self.p, &mut self.rng);
        ops::mul_assign(&mut self.y, &self.mask);
        &self.y
    }

    fn backward(&mut self, dy: &Tensor) -> &Tensor {
        assert_eq!(dy.shape(), self.mask.shape(), "Dropout backward: dy shape");
        self.dx.assign(dy);
        ops::mul_assign(&mut self.dx, &self.mask);
        &self.dx
    }

    fn describe(&self) -> String {
        format!("Dropout({})", self.p)
    }
}

impl Parameters for Dropout {}
