//! Device kernels: the only place in the workspace with `unsafe` or SIMD code.
//!
//! Each file holds one kernel family behind safe functions over slices.
//! Every SIMD kernel has a scalar twin that the tests use as the reference.
//! A CUDA backend adds a sibling implementation of these same functions
//! behind the `cuda` feature; code above this crate never names a device.

pub(crate) mod blocked_gemm;
pub mod chacha;
pub mod channels;
pub mod cpu;
mod distance_avx2;
mod distance_avx512;
pub mod dot_screen;
mod dot_screen_avx512;
mod dot_screen_int8_avx512;
pub mod elementwise;
mod exp_avx2;
mod exp_avx512;
mod exp_poly;
pub mod latent;
pub mod logistic;
pub mod lstm_step;
mod lstm_step_avx512;
mod microkernel;
mod microkernel_avx2;
mod microkernel_avx512;
mod packing;
pub mod pointwise;
pub mod prefetch;
pub mod reduce;
pub mod rowwise;
pub(crate) mod sgemm;
pub(crate) mod small_gemm;
mod small_gemm_avx2;
mod small_gemm_avx512;
mod small_gemm_one_row;
pub mod strided;
pub mod transpose;
pub mod update;
pub(crate) mod widest;
