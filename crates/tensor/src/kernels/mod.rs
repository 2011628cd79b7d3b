//! Device kernels: the only place in the workspace with `unsafe` or SIMD code.
//!
//! Each file holds one kernel family behind safe functions. Every SIMD kernel
//! has a scalar twin that the tests use as the reference. A CUDA backend adds a
//! sibling implementation of these same functions behind the `cuda` feature;
//! code above this module never names a device.

pub(crate) mod blocked_gemm;
mod cpu;
pub mod elementwise;
mod microkernel;
mod packing;
pub mod reduce;
pub mod rowwise;
pub(crate) mod sgemm;
pub(crate) mod small_gemm;
