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

/// `image[c, …] += bias[c]` on one image's planes (a slice of
/// `bias.len()` planes): [`add_channels`] image by image, the same
/// additions, for a pass that already holds the image in cache.
pub fn add_channels_to_image(image: &mut [f32], bias: &[f32]) {
    if !bias.is_empty() && !image.is_empty() {
        assert_eq!(image.len() % bias.len(), 0, "add_channels_to_image: planes");
        k::add_channels(image, bias, image.len() / bias.len());
    }
}

/// `sums[c] = Σ image[c, …]`: one image's plane sums. Added into a bias
/// gradient image by image in order ([`add_image_sums`]), they give
/// [`add_channel_sums`]'s bits, which adds the same plane sums in the
/// same order.
pub fn image_channel_sums(image: &[f32], sums: &mut [f32]) {
    if sums.is_empty() {
        return;
    }
    assert_eq!(image.len() % sums.len(), 0, "image_channel_sums: planes");
    let plane = image.len() / sums.len();
    sums.fill(0.0);
    if plane > 0 {
        k::add_channel_sums(image, plane, sums);
    }
}

/// `out[c] += Σ_n sums[n, c]`, n = 0, 1, … in order: per-image plane sums
/// ([`image_channel_sums`]) into a bias gradient.
pub fn add_image_sums(sums: &[f32], out: &mut [f32]) {
    if out.is_empty() {
        return;
    }
    for image in sums.chunks_exact(out.len()) {
        for (o, s) in out.iter_mut().zip(image) {
            *o += s;
        }
    }
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

    /// Image by image, the bias and its gradient have the batch forms'
    /// bits: the same additions in the same order.
    #[test]
    fn image_by_image_gives_the_batch_bits() {
        let (n, c, plane) = (5, 3, 7 * 9);
        let values: Vec<f32> = (0..n * c * plane)
            .map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1.37e-3)
            .collect();
        let bias = Tensor::from_vec(&[c], vec![0.3, -1.7, 2.9e-4]);
        let mut batch = Tensor::from_vec(&[n, c, 7, 9], values.clone());
        add_channels(&mut batch, &bias);
        let mut images = values.clone();
        for image in images.chunks_exact_mut(c * plane) {
            add_channels_to_image(image, bias.data());
        }
        assert_eq!(batch.data(), &images[..]);

        let mut want = Tensor::from_vec(&[c], vec![0.1, 0.2, 0.3]);
        add_channel_sums(&Tensor::from_vec(&[n, c, 7, 9], values.clone()), &mut want);
        let mut sums = vec![f32::NAN; n * c];
        for (image, s) in values.chunks_exact(c * plane).zip(sums.chunks_exact_mut(c)) {
            image_channel_sums(image, s);
        }
        let mut got = vec![0.1, 0.2, 0.3];
        add_image_sums(&sums, &mut got);
        assert_eq!(want.data(), &got[..]);
    }
}
