//! Per-channel work on batches of planes `[N, C, plane]` (images, sequences):
//! a convolution's bias and its gradient.

use super::reduce::sum;

/// Sets every value of plane (n, c) to `bias[c]`.
pub fn fill_channels(y: &mut [f32], bias: &[f32], plane: usize) {
    for (p, b) in y.chunks_exact_mut(plane).zip(bias.iter().cycle()) {
        p.fill(*b);
    }
}

/// Adds `bias[c]` to every value of plane (n, c).
pub fn add_channels(y: &mut [f32], bias: &[f32], plane: usize) {
    for (p, b) in y.chunks_exact_mut(plane).zip(bias.iter().cycle()) {
        for v in p {
            *v += b;
        }
    }
}

/// `out[c] += Σ plane (n, c)` for n = 0, 1, … in order.
pub fn add_channel_sums(dy: &[f32], plane: usize, out: &mut [f32]) {
    for (p, o) in dy.chunks_exact(plane).zip((0..out.len()).cycle()) {
        out[o] += sum(p);
    }
}
