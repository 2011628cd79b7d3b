//! Models that draw: a latent space to sample from and to walk through
//! (the VAE). Detection never needs it; it shows what a model has learned
//! "normal" to look like.

use aedetect_tensor::{init, rng, Tensor};

/// A model with a decoder from a latent space whose prior is N(0, I).
/// Rows in and out are in the model's scaled units; [`crate::Detector`]
/// maps them from and to the data's.
pub trait Generative {
    /// Width of a latent code.
    fn latent(&self) -> usize;

    /// The latent mean μ(x) of each scaled row: [n, latent].
    fn encode(&mut self, x: &Tensor) -> Tensor;

    /// Decodes latent codes [n, latent] to rows (probabilities for a model
    /// trained with BCE on logits).
    fn decode(&mut self, z: &Tensor) -> Tensor;

    /// `n` rows decoded from z ~ N(0, I) drawn with `seed`: the same seed
    /// draws the same rows.
    fn sample(&mut self, n: usize, seed: u64) -> Tensor {
        let mut z = Tensor::zeros(&[n, self.latent()]);
        init::normal(&mut z, 0.0, 1.0, &mut rng::seeded(seed));
        self.decode(&z)
    }

    /// `steps` rows decoded from evenly spaced points of the straight line
    /// between the latent means of the two rows of `ends` ([2, d]), both
    /// ends included: z_s = (1 − t)·μ(a) + t·μ(b), t = s / (steps − 1).
    fn interpolate(&mut self, ends: &Tensor, steps: usize) -> Tensor {
        assert_eq!(ends.rows(), 2, "interpolation runs between two rows");
        let mu = self.encode(ends);
        let (a, b) = mu.data().split_at(self.latent());
        let mut z = Tensor::zeros(&[steps, self.latent()]);
        for (s, row) in z.data_mut().chunks_exact_mut(a.len()).enumerate() {
            let t = if steps > 1 {
                s as f32 / (steps - 1) as f32
            } else {
                0.0
            };
            for ((v, &p), &q) in row.iter_mut().zip(a).zip(b) {
                *v = (1.0 - t) * p + t * q;
            }
        }
        self.decode(&z)
    }
}
