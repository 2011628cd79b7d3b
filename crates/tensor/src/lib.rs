//! `aedetect-tensor`: the numbers under aedetect.
//!
//! * [`Tensor`] — an f32 array with a shape, row-major and contiguous, with
//!   cheap borrowed views of a range of rows (a mini-batch).
//! * [`gemm()`] — C = α·op(A)·op(B) + β·C on our AVX2 + FMA kernels (a blocked
//!   6×16 micro-kernel for large products, a register-tiled one for small),
//!   matrixmultiply's strided kernels elsewhere; split across cores with
//!   rayon for large products.
//! * [`matmul`] — shape-checked products of matrix views, `dW += dYᵀ·X` as
//!   `dw.mat_mut().add_product(dy.t(), x.mat())`, over the `gemm` kernel.
//! * [`ops`] — every other operation on tensors (activations, losses,
//!   optimizer updates, the VAE latent, reductions), on SIMD kernels.
//! * [`init`] — seeded initialisers (PyTorch's Kaiming-uniform default, Xavier, normal).
//! * [`conv`] — im2col / col2im for 1-D and 2-D convolutions.
//! * [`pool`] — where parallel passes run, and when a batch splits.
//!
//! Everything device-specific sits in [`kernels`]; the rest of the workspace calls
//! only the safe functions re-exported here, which is the seam a CUDA backend
//! plugs into.

pub mod conv;
pub mod gemm;
pub mod init;
pub mod kernels;
pub mod matmul;
pub mod ops;
pub mod pool;
pub mod rng;
mod tensor;

pub use conv::ConvGeom;
pub use gemm::{gemm, gemm_gathered_ab, Gather, Trans};
pub use kernels::cpu::{assert_test_binary_passes_on, detected_isa, isa, Isa};
pub use matmul::{Mat, MatMut};
pub use rng::Rng;
pub use tensor::Tensor;
