//! A per-channel vector on batches `[N, C, …]`: convolution biases.

use crate::kernels::channels as k;
use crate::pool::{for_each_span_of, PARALLEL_MIN_VALUES};
use crate::Tensor;
use rayon::prelude::*;

/// Channels and values per channel plane of `y`, checked against `bias`.
fn planes(op: &str, y: &Tensor, bias: &Tensor) -> usize {
    let s = y.shape();
    assert!(
        s.len() >= 2 && s[1] == bias.len(),
        "{op}: {} channel values for a tensor of shape {s:?}",
        bias.len()
    );
    s[2..].iter().product()
}

/// `y[n, c, …] = bias[c]`
pub fn fill_channels(y: &mut Tensor, bias: &Tensor) {
    let plane = planes("fill_channels", y, bias);
    if plane > 0 {
        k::fill_channels(y.data_mut(), bias.data(), plane);
    }
}

/// `y[n, c, …] += bias[c]`; a large batch in runs of whole images on
/// every thread.
pub fn add_channels(y: &mut Tensor, bias: &Tensor) {
    let plane = planes("add_channels", y, bias);
    if plane == 0 || bias.is_empty() {
        return;
    }
    let image = plane * bias.len();
    for_each_span_of(y.data_mut(), image, |_, images| {
        k::add_channels(images, bias.data(), plane)
    });
}

/// `out[c] += Σ_{n, …} dy[n, c, …]` — a convolution's bias gradient. A
/// large batch sums its channels on every thread, each in the serial
/// order, so the bits do not depend on the split.
pub fn add_channel_sums(dy: &Tensor, out: &mut Tensor) {
    let plane = planes("add_channel_sums", dy, out);
    if plane == 0 {
        return;
    }
    if dy.len() < PARALLEL_MIN_VALUES {
        return k::add_channel_sums(dy.data(), plane, out.data_mut());
    }
    let channels = out.len();
    out.data_mut()
        .par_iter_mut()
        .enumerate()
        .for_each(|(c, o)| k::add_channel_sum(dy.data(), plane, channels, c, o));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch past the split gives the serial kernels' bits: the sums
    /// are of values whose order of addition shows in the result.
    #[test]
    fn split_batches_give_the_serial_bits() {
        let (n, c, plane) = (37, 3, 29 * 31);
        assert!(n * c * plane >= PARALLEL_MIN_VALUES);
        let values: Vec<f32> = (0..n * c * plane)
            .map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1.37e-3)
            .collect();
        let bias = Tensor::from_vec(&[c], vec![0.3, -1.7, 2.9e-4]);
        let mut y = Tensor::from_vec(&[n, c, 29, 31], values.clone());
        add_channels(&mut y, &bias);
        let mut want = values.clone();
        k::add_channels(&mut want, bias.data(), plane);
        assert_eq!(y.data(), &want[..]);

        let dy = Tensor::from_vec(&[n, c, 29, 31], values);
        let mut sums = Tensor::from_vec(&[c], vec![0.1, 0.2, 0.3]);
        add_channel_sums(&dy, &mut sums);
        let mut want = vec![0.1, 0.2, 0.3];
        k::add_channel_sums(dy.data(), plane, &mut want);
        assert_eq!(sums.data(), &want[..]);
    }
}
