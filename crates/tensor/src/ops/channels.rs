//! A per-channel vector on batches `[N, C, …]`: convolution biases.

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

/// `y[n, c, …] += bias[c]`
pub fn add_channels(y: &mut Tensor, bias: &Tensor) {
    let plane = planes("add_channels", y, bias);
    if plane > 0 {
        k::add_channels(y.data_mut(), bias.data(), plane);
    }
}

/// `out[c] += Σ_{n, …} dy[n, c, …]` — a convolution's bias gradient.
pub fn add_channel_sums(dy: &Tensor, out: &mut Tensor) {
    let plane = planes("add_channel_sums", dy, out);
    if plane > 0 {
        k::add_channel_sums(dy.data(), plane, out.data_mut());
    }
}
