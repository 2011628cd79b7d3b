//! The one random generator type of the workspace.
//!
//! ChaCha8 is specified bit for bit (unlike `StdRng`, which may change between
//! `rand` releases), so a seed names the same model on every machine and version.

/// Seeded random generator used for initialisation, shuffling, dropout and noise.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator from a seed.
pub fn seeded(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}
