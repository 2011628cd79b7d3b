//! A per-channel vector on batches `[N, C, …]` or on one image `[C, …]`:
//! convolution biases and their gradients.

use crate::kernels::channels as k;
use crate::Tensor;

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

/// `image[c, …] += bias[c]` on one image's planes (a slice of
/// `bias.len()` planes), for a pass that already holds the image in cache:
/// image by image, the same additions as over the whole batch.
pub fn add_channels_to_image(image: &mut [f32], bias: &[f32]) {
    if !bias.is_empty() && !image.is_empty() {
        assert_eq!(image.len() % bias.len(), 0, "add_channels_to_image: planes");
        k::add_channels(image, bias, image.len() / bias.len());
    }
}

/// `sums[c] = Σ image[c, …]`: one image's plane sums. Added into a bias
/// gradient image by image in order ([`add_image_sums`]), they give the
/// bits of summing the whole batch's planes channel by channel in image
/// order: the same plane sums, added in the same order.
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

    /// Image by image, the bias and its gradient have the bits of the
    /// serial kernels over the whole batch: the same additions in the same
    /// order.
    #[test]
    fn image_by_image_gives_the_batch_bits() {
        let (n, c, plane) = (5, 3, 7 * 9);
        let values: Vec<f32> = (0..n * c * plane)
            .map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1.37e-3)
            .collect();
        let bias = [0.3, -1.7, 2.9e-4];
        let mut batch = values.clone();
        k::add_channels(&mut batch, &bias, plane);
        let mut images = values.clone();
        for image in images.chunks_exact_mut(c * plane) {
            add_channels_to_image(image, &bias);
        }
        assert_eq!(batch, images);

        let mut want = vec![0.1, 0.2, 0.3];
        k::add_channel_sums(&values, plane, &mut want);
        let mut sums = vec![f32::NAN; n * c];
        for (image, s) in values.chunks_exact(c * plane).zip(sums.chunks_exact_mut(c)) {
            image_channel_sums(image, s);
        }
        let mut got = vec![0.1, 0.2, 0.3];
        add_image_sums(&sums, &mut got);
        assert_eq!(want, got);
    }
}
