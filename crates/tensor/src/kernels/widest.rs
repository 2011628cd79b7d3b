//! Plain scalar loops compiled for the widest vectors this CPU runs.
//!
//! The workspace is built for the x86-64 baseline, whose vectors are SSE2's
//! four lanes. [`on_widest`] runs a closure inside a function compiled with
//! AVX-512F (or AVX2 + FMA) enabled, so the compiler's vectorizer turns its
//! loops into 16- (or 8-) lane code: no intrinsics, one body for every
//! instruction set.
//!
//! Only for work where each output element is its own chain of IEEE
//! operations (element-wise maps, the optimizer's update, an LSTM cell's
//! gradients): the compiler vectorizes such a loop without reordering
//! anything, and Rust never fuses a multiply and an add on its own, so the
//! bits are the same on every path. A reduction comes here only with its
//! order written out (a loss's row sums in eight explicit lanes, an AND of
//! finite flags); the others, whose order the width would change, stay on
//! their own kernels.
//!
//! Measured on Zen 5, one core, best of 300 (AVX-512 against `wide`'s SSE2
//! form): bias added to 1024×784 rows 69 → 44 µs, ReLU 82 → 62 µs, its
//! backward 109 → 86 µs; at 256×256, 2.2–2.8× quicker. Adam over 784×256
//! parameters: 136 µs (SSE2), 72 µs (AVX2), 35 µs (AVX-512).

use super::cpu::Simd;

/// `f()`, compiled with the instruction set in use (`cpu::isa`) where that
/// is AVX-512F or AVX2 + FMA, else as built. `f` should be straight-line
/// element-wise loops, and marked `#[inline(always)]` at the call
/// (`on_widest(#[inline(always)] || …)`): it must be inlined into the wider
/// function to be vectorized there, and the compiler's own choice is not to
/// inline a large loop body with three callers.
#[inline(always)]
pub(crate) fn on_widest<R>(f: impl FnOnce() -> R) -> R {
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves the CPU runs AVX-512F; `f` is safe code.
        Some(Simd::Avx512(_)) => unsafe { x86::avx512(f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves the CPU runs AVX2 and FMA; `f` is safe code.
        Some(Simd::Avx2(_)) => unsafe { x86::avx2(f) },
        _ => f(),
    }
}

/// Below this many values a loop runs as built, inlined where it is
/// called: the call into the wider function and the 16-lane loop's scalar
/// remainder cost more than the wider vectors save (the seed autoencoder
/// scored one row 5–10 % slower with its 6- and 12-value ReLUs sent there).
pub(crate) const WIDEST_MIN: usize = 64;

/// [`on_widest`] for a loop over `len` values: as built below
/// [`WIDEST_MIN`].
#[inline(always)]
pub(crate) fn on_widest_for<R>(len: usize, f: impl FnOnce() -> R) -> R {
    if len < WIDEST_MIN {
        f()
    } else {
        on_widest(f)
    }
}

/// For tests: `f()` compiled for every instruction set this CPU runs,
/// whatever `AEDETECT_ISA` chose, with the set's name.
#[cfg(test)]
pub(crate) fn on_every_width<R>(f: impl Fn() -> R) -> Vec<(&'static str, R)> {
    use super::cpu::{Avx2Fma, Avx512};
    let mut out = vec![("baseline", f())];
    #[cfg(target_arch = "x86_64")]
    if Avx512::supported().is_some() {
        // SAFETY: the CPU runs AVX-512F (checked on the line above).
        out.push(("avx512", unsafe { x86::avx512(&f) }));
    }
    #[cfg(target_arch = "x86_64")]
    if Avx2Fma::supported().is_some() {
        // SAFETY: the CPU runs AVX2 and FMA (checked on the line above).
        out.push(("avx2", unsafe { x86::avx2(&f) }));
    }
    out
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    /// # Safety
    /// The CPU runs AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// # Safety
    /// The CPU runs AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}
