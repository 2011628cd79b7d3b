//! The exp and log approximations the SIMD kernels share (`exp_avx512.rs`,
//! `exp_avx2.rs`). exp is Cephes' expf. x = n·ln 2 + r with n = round(x / ln 2),
//! ln 2 split into a short high part (n·LN2_HI is exact) and a low part,
//! so r is exact to f32; then e^r ≈ 1 + r + r²·p(r) with a degree-5
//! polynomial p, and 2^n is written into the exponent bits. Within 2 ulp of
//! e^x on [−87, 88], where 2^n stays a normal number.
//!
//! σ and tanh are built on it exactly as the scalar code writes them:
//! σ(x) = 1 / (1 + e^(−x)) with −x clamped to ±87 (σ is already 0 or 1 to
//! f32 precision there), tanh(x) = 1 − 2 / (e^(2x) + 1) with x clamped to
//! ±20 (tanh is ±1 in f32 from about ±9).
//!
//! ln w, needed only for w = 1 + e^(−|x|) ∈ (1, 2] (binary cross-entropy
//! on logits), is Cephes' logf on that range: w = 2^k·(1 + z) with k = 1
//! from √2 up (so −0.29 ≤ z < 0.42), ln(1 + z) ≈ z − z²/2 + z³·q(z) with a
//! degree-8 q, and k·ln 2 added in the same two parts as exp's.

/// Which function a kernel maps (a const generic, so each is its own loop).
pub(super) struct Op;

impl Op {
    pub(super) const EXP: u8 = 0;
    pub(super) const SIGMOID: u8 = 1;
    pub(super) const TANH: u8 = 2;
}

pub(super) const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 0.693359375: nine significant bits, so n·LN2_HI is exact for |n| < 2¹⁵.
pub(super) const LN2_HI: f32 = 355.0 / 512.0;
pub(super) const LN2_LO: f32 = -2.121_944_4e-4;
/// p(r), highest power first (Horner's rule).
pub(super) const POLY: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    0.166_666_65,
    0.5,
];
/// |x| beyond which exp leaves the polynomial for libm.
pub(super) const EXP_LIMIT: f32 = 87.0;
pub(super) const SIGMOID_LIMIT: f32 = 87.0;
pub(super) const TANH_LIMIT: f32 = 20.0;
/// q(z) of ln(1 + z), highest power first.
pub(super) const LN_POLY: [f32; 9] = [
    7.037_683_6e-2,
    -1.151_461e-1,
    1.167_699_9e-1,
    -1.242_014_1e-1,
    1.424_932_3e-1,
    -1.666_805_8e-1,
    2.000_071_4e-1,
    -2.499_999_4e-1,
    0.333_333_3,
];
pub(super) const SQRT2: f32 = std::f32::consts::SQRT_2;
/// Lanes whose losses are summed side by side before the lanes are added
/// in order: 8 on either instruction set (AVX-512 adds its two halves in
/// turn), so the sums have the same bits on both.
pub(super) const SUM_LANES: usize = 8;
