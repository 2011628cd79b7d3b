//! What the blocked sgemm asks of a micro-kernel: one MR×NR tile of C over a
//! packed k-panel of A and one of B, plus the block sizes that suit it.
//!
//! Two implementations, one per instruction set, each in its own file:
//! `microkernel_avx2.rs` (6×16 in 12 ymm accumulators) and
//! `microkernel_avx512.rs` (12×32 in 24 zmm accumulators). Each is a proof
//! token type ([`super::cpu::Avx2Fma`], [`super::cpu::Avx512`]): holding one
//! proves the CPU runs the kernel's instructions.
//!
//! Every kernel computes each element of C as the same chain
//! acc ← fma(a_p, b_p, acc) for p in order, then α·acc, then fma(C, β, ·), so
//! a tile's size or edge never changes a result's bits.

/// One register tile of C and the blocking around it.
pub(crate) trait MicroKernel: Copy + Send + Sync {
    /// Rows of a tile (values of A broadcast per step of k).
    const MR: usize;
    /// Columns of a tile (values of B loaded per step of k).
    const NR: usize;
    /// Most steps of k per block (the panels' depth).
    const KC: usize;
    /// Most rows of op(A) packed at a time (the A block kept in L2).
    const MC: usize;
    /// Most columns of op(B) packed at a time (the B block kept in L3).
    const NC: usize;

    /// C[0..rows, 0..cols] = α·Σₚ a[p]ᵀ·b[p] + β·C over kc steps, where step
    /// p of the packed panels is `a[p·MR..(p+1)·MR]` (one value per tile
    /// row) and `b[p·NR..(p+1)·NR]` (one per tile column); C has row stride
    /// `ldc`. β = 0 never reads C.
    ///
    /// # Panics
    /// Through [`check_tile`]: short panels, an empty or oversized tile, or
    /// a C too short for it.
    #[allow(clippy::too_many_arguments)]
    fn tile(
        self,
        kc: usize,
        a: &[f32],
        b: &[f32],
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    );

    /// [`tile`](Self::tile) with op(A) read where it lies, unpacked: row r,
    /// step p at `a[r·lda + p]` (row-major A, so a panel's rows are `lda`
    /// apart). The same FMAs in the same order, so the same bits; the packing
    /// of A, a transpose of every block, is skipped.
    ///
    /// # Panics
    /// Through [`check_tile_in_place`].
    #[allow(clippy::too_many_arguments)]
    fn tile_in_place(
        self,
        kc: usize,
        a: &[f32],
        lda: usize,
        b: &[f32],
        alpha: f32,
        beta: f32,
        c: &mut [f32],
        ldc: usize,
        rows: usize,
        cols: usize,
    );
}

/// The bounds every micro-kernel asserts before its `unsafe` code: panels of
/// kc steps, a tile of 1..=mr rows and 1..=nr columns, and C long enough.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_tile(
    (mr, nr): (usize, usize),
    kc: usize,
    a: &[f32],
    b: &[f32],
    c: &[f32],
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    assert!(
        a.len() >= kc * mr && b.len() >= kc * nr,
        "micro-kernel: short panel"
    );
    check_c_tile((mr, nr), c, ldc, rows, cols);
}

/// [`check_tile`]'s bounds for [`MicroKernel::tile_in_place`]: A holds rows
/// 0..rows of kc steps each, `lda` apart.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_tile_in_place(
    (mr, nr): (usize, usize),
    kc: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &[f32],
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    check_c_tile((mr, nr), c, ldc, rows, cols);
    assert!(a.len() >= (rows - 1) * lda + kc, "micro-kernel: short A");
    assert!(b.len() >= kc * nr, "micro-kernel: short panel");
}

/// What both checks ask of the tile: 1..=mr rows and 1..=nr columns, and C
/// long enough to hold them `ldc` apart.
fn check_c_tile((mr, nr): (usize, usize), c: &[f32], ldc: usize, rows: usize, cols: usize) {
    assert!((1..=mr).contains(&rows) && (1..=nr).contains(&cols));
    assert!(
        c.len() >= (rows - 1) * ldc + cols,
        "micro-kernel: C too small"
    );
}

/// The C tile is needed only after a micro-kernel's k loop: its rows are
/// fetched into L1 while the loop runs. `c` holds the tile, (rows − 1)·ldc +
/// cols values (the kernels' checks asserted it).
#[inline(always)]
pub(crate) fn prefetch_c(c: &[f32], ldc: usize, rows: usize, cols: usize) {
    debug_assert!(rows >= 1 && cols >= 1 && c.len() >= (rows - 1) * ldc + cols);
    #[cfg(target_arch = "x86_64")]
    for r in 0..rows {
        let row = &c[r * ldc..r * ldc + cols];
        // SAFETY: a prefetch reads nothing and never faults; both addresses
        // lie inside `row`.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().cast());
            _mm_prefetch::<_MM_HINT_T0>(row.as_ptr().add(cols - 1).cast());
        }
    }
}
