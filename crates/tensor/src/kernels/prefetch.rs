//! Software prefetch of a slice: for code that knows which scattered rows it
//! reads next (a neighbour search's candidates, each a row of a matrix far
//! larger than the caches) before the hardware's prefetcher can.

/// Asks the CPU to bring `data`'s cache lines towards L1. A hint: it changes
/// nothing, may be ignored, and does nothing off x86-64.
#[inline]
pub fn prefetch(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(16) {
        // SAFETY: a prefetch never faults and writes nothing; the address is
        // inside `data`, and SSE (which has the instruction) is part of
        // x86-64's baseline.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(line.as_ptr() as *const i8);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}
