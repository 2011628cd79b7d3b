//! Seeded random fills: parameter initialisers, noise and dropout masks.

use crate::kernels::chacha::{Keystream, BLOCKS, BLOCK_WORDS, WORDS};
use crate::kernels::widest::on_widest_for;
use crate::rng::Rng;
use crate::Tensor;
use rand::Rng as _;
use rand_distr::{Distribution, Normal};

/// PyTorch's default for Linear and Conv weights: Kaiming-uniform with
/// a = √5, i.e. bound = gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3),
/// which simplifies to U(−1/√fan_in, 1/√fan_in). PyTorch draws biases from the
/// same bound, so [`uniform_fan_in`] serves both.
pub fn uniform_fan_in(out: &mut Tensor, fan_in: usize, rng: &mut Rng) {
    let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// Kaiming (He) uniform for ReLU networks: U(−b, b) with b = √(6/fan_in).
pub fn kaiming_uniform_relu(out: &mut Tensor, fan_in: usize, rng: &mut Rng) {
    let bound = (6.0 / fan_in.max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// Xavier (Glorot) uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)).
pub fn xavier_uniform(out: &mut Tensor, fan_in: usize, fan_out: usize, gain: f32, rng: &mut Rng) {
    let bound = gain * (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
    uniform(out, -bound, bound, rng);
}

/// U(lo, hi) element-wise.
pub fn uniform(out: &mut Tensor, lo: f32, hi: f32, rng: &mut Rng) {
    for v in out.data_mut() {
        *v = if lo < hi {
            rng.random_range(lo..hi)
        } else {
            lo
        };
    }
}

/// N(mean, std²) element-wise.
pub fn normal(out: &mut Tensor, mean: f32, std: f32, rng: &mut Rng) {
    let d = Normal::new(mean, std.max(0.0)).expect("finite std");
    for v in out.data_mut() {
        *v = d.sample(rng);
    }
}

/// A dropout mask: each value is 0 with probability `p`, else 1/(1 − p)
/// (inverted dropout), drawn in order from `rng`.
///
/// Each value takes 16 random bits u, value e the low half of the
/// generator's word e/2 from its position for even e and the high half for
/// odd e (the little-endian byte pairs of `fill_bytes`), and is dropped
/// when u < round(p·2¹⁶): p is kept to 1/65,536. The words come 16 blocks
/// at a time from [`Keystream`], and the generator is then moved past the
/// ⌈n/2⌉ words used, so it continues exactly as if it had handed them out.
/// A mask of a wide layer is drawn on every training step, so this is on
/// the hot path: one `random::<f32>()` and an unpredictable branch per
/// value took a third of a small autoencoder's step, and the bytes through
/// `fill_bytes` still 14.5 % of the tabular default's fit (cardio, Zen 5).
pub fn dropout_mask(mask: &mut Tensor, p: f32, rng: &mut Rng) {
    let keep_bits = (1.0 / (1.0 - p)).to_bits();
    let cut = (f64::from(p) * 65536.0).round() as u32;
    let start = rng.get_word_pos();
    let keys = Keystream::new(rng.get_seed(), rng.get_stream());
    let out = mask.data_mut();
    let mut block = (start / BLOCK_WORDS as u128) as u64;
    // Halves of the first group's words already handed out.
    let mut skip = 2 * (start % BLOCK_WORDS as u128) as usize;
    let mut words = [0u32; WORDS];
    let mut halves = [0u16; 2 * WORDS];
    let mut done = 0;
    while done < out.len() {
        keys.blocks(block, &mut words);
        let take = (2 * WORDS - skip).min(out.len() - done);
        on_widest_for(
            take,
            #[inline(always)]
            || {
                for (pair, w) in halves.chunks_exact_mut(2).zip(&words) {
                    pair[0] = *w as u16;
                    pair[1] = (*w >> 16) as u16;
                }
                // keep's bits where u ≥ cut, else 0.0's: a compare and an
                // AND per lane (a select compiled to a gather from {0, keep}).
                for (m, &u) in out[done..done + take].iter_mut().zip(&halves[skip..]) {
                    let kept = u32::from(u32::from(u) >= cut).wrapping_neg();
                    *m = f32::from_bits(keep_bits & kept);
                }
            },
        );
        done += take;
        skip = 0;
        block = block.wrapping_add(BLOCKS as u64);
    }
    rng.set_word_pos(start + out.len().div_ceil(2) as u128);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_masks_drop_at_rate_p_and_repeat_from_a_seed() {
        for p in [0.0f32, 0.1, 0.2, 0.5, 0.9] {
            let mut a = Tensor::zeros(&[50_001]);
            let mut b = Tensor::zeros(&[50_001]);
            dropout_mask(&mut a, p, &mut crate::rng::seeded(3));
            dropout_mask(&mut b, p, &mut crate::rng::seeded(3));
            assert_eq!(a, b);
            let keep = 1.0 / (1.0 - p);
            assert!(a.data().iter().all(|&v| v == 0.0 || v == keep));
            let dropped = a.data().iter().filter(|&&v| v == 0.0).count() as f32 / 50_001.0;
            // 4.5 standard deviations of a binomial share.
            let sd = (p * (1.0 - p) / 50_001.0).sqrt();
            assert!(
                (dropped - p).abs() <= 4.5 * sd + 1e-6,
                "p {p}: dropped {dropped}"
            );
        }
        // The next mask differs: the generator moves on.
        let mut rng = crate::rng::seeded(5);
        let (mut a, mut b) = (Tensor::zeros(&[256]), Tensor::zeros(&[256]));
        dropout_mask(&mut a, 0.5, &mut rng);
        dropout_mask(&mut b, 0.5, &mut rng);
        assert_ne!(a, b);
    }

    /// The mask as `fill_bytes` drew it (the form before the keystream):
    /// 16 bits per value, little-endian pairs, 64 values per draw.
    fn dropout_mask_by_bytes(mask: &mut Tensor, p: f32, rng: &mut Rng) {
        use rand::RngCore as _;
        let keep = 1.0 / (1.0 - p);
        let cut = (f64::from(p) * 65536.0).round() as u32;
        let mut bytes = [0u8; 128];
        for chunk in mask.data_mut().chunks_mut(64) {
            let bytes = &mut bytes[..2 * chunk.len()];
            rng.fill_bytes(bytes);
            for (m, b) in chunk.iter_mut().zip(bytes.chunks_exact(2)) {
                let u = u32::from(u16::from_le_bytes([b[0], b[1]]));
                *m = if u < cut { 0.0 } else { keep };
            }
        }
    }

    #[test]
    fn dropout_masks_are_the_generators_bytes_and_leave_it_where_they_did() {
        use rand::RngCore as _;
        // Sizes below, at and across the 512 values of one keystream call;
        // generators left mid-block, mid-buffer and on a boundary by an
        // odd number of earlier words.
        for (size, earlier) in [
            (1, 0),
            (7, 1),
            (64, 3),
            (511, 16),
            (513, 5),
            (4096, 63),
            (10_001, 64),
        ] {
            for p in [0.0f32, 0.2, 0.5] {
                let mut ours = crate::rng::seeded(size as u64);
                let mut theirs = ours.clone();
                for _ in 0..earlier {
                    ours.next_u32();
                    theirs.next_u32();
                }
                let (mut a, mut b) = (Tensor::zeros(&[size]), Tensor::zeros(&[size]));
                dropout_mask(&mut a, p, &mut ours);
                dropout_mask_by_bytes(&mut b, p, &mut theirs);
                assert_eq!(a, b, "{size} values after {earlier} words, p {p}");
                assert_eq!(
                    ours.next_u64(),
                    theirs.next_u64(),
                    "{size}: the generator moved on alike"
                );
            }
        }
    }

    #[test]
    fn bounds_and_seeding() {
        let mut a = Tensor::zeros(&[1000]);
        let mut b = Tensor::zeros(&[1000]);
        uniform_fan_in(&mut a, 25, &mut crate::rng::seeded(7));
        uniform_fan_in(&mut b, 25, &mut crate::rng::seeded(7));
        assert_eq!(a, b);
        assert!(a.data().iter().all(|v| v.abs() < 0.2));
        assert!(a.data().iter().any(|v| v.abs() > 0.19));
        normal(&mut a, 1.0, 0.5, &mut crate::rng::seeded(1));
        let mean: f32 = a.data().iter().sum::<f32>() / 1000.0;
        assert!((mean - 1.0).abs() < 0.05);
    }
}
