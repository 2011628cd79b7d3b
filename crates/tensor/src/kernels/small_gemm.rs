//! A register-tiled kernel for products with a small op(B) or few rows of C
//! (the seed autoencoder's 64×20·20×12, a convolution's per-image
//! 32×144·144×49, one row through a Linear layer), where a general sgemm's
//! packing of both operands costs more than the arithmetic.
//!
//! C is computed one panel of [`PANEL`] columns at a time. op(B)'s k ×
//! PANEL slice is read in place where its rows are contiguous and the
//! kernel can mask its loads (AVX-512), else copied into a padded
//! buffer of whole vectors (rows by vector loads, columns by 8×8 register
//! transposes); op(A) is always read in place, through its strides or by
//! where each of its rows starts ([`ALines`]: a convolution's taps in an
//! image's planes, for its weight gradient). Each
//! register tile of C keeps its accumulators over the whole k loop (enough
//! independent FMA chains to hide the FMA latency), then C = α·acc + β·C is
//! written back. The tiles are per instruction set, each in its own file:
//! `small_gemm_avx512.rs` (16-lane zmm, masked edges) and
//! `small_gemm_avx2.rs` (8-lane ymm). Both compute each element as the same
//! chain of FMAs over k, so they give the same bits, whether op(B) was
//! packed or read in place.
//!
//! A single row of C is special, since each value of op(B) is then used
//! once. Read in place, it is one panel as wide as C (AVX-512 runs up to
//! eight vectors side by side). Stored by columns (a Linear layer's Wᵀ), it
//! is not packed at all: `small_gemm_one_row.rs` transposes eight columns
//! at a time in registers, with the same chain per element as the tiles.

use super::cpu::{Avx2Fma, Simd};
use super::sgemm::Strided;
use super::transpose::transpose_runs;
use crate::gemm::Gather;

/// Largest padded op(B) (k × round_up(n, 8)) that takes the kernel at any
/// row count: 32 KB, so an LSTM step's [x_t, h_{t−1}]·[W_ih, W_hh]ᵀ
/// (64×33·33×128 for the series default) is read in place instead of both
/// operands packed by matrixmultiply on every step (at 16 KB it went there:
/// 22 % of training; 5 % quicker training here, pinned, Zen 5). Whether a
/// shape takes it does not depend on the instruction set, so every machine
/// sends a product down the same path.
pub(crate) const MAX_B_VALUES: usize = 8192;
/// Rows of C up to which a product of any k and n takes the kernel: with so
/// few rows, packing op(A) as the blocked kernel does is not repaid, and its
/// 12-row tiles pad 16 or 32 rows by an eighth or more.
pub(crate) const NARROW_ROWS: usize = 32;
/// Columns of C (and of op(B)) per panel: two zmm or four ymm vectors, the
/// widest register tile.
const PANEL: usize = 32;

/// Whether this machine can run the kernel.
pub(crate) fn available() -> bool {
    Simd::detect().is_some()
}

/// Whether op(B) is small enough for the kernel at any number of rows.
pub(crate) fn fits(k: usize, n: usize) -> bool {
    k * n.div_ceil(8) * 8 <= MAX_B_VALUES
}

/// Whether a product of this shape takes the kernel: a small op(B), or few
/// rows of C.
pub(crate) fn takes(m: usize, k: usize, n: usize) -> bool {
    fits(k, n) || m <= NARROW_ROWS
}

/// Where op(B) (k×n) is: strided, or gathered from one buffer by where
/// each of its rows (or columns) starts ([`Gather`]: a convolution's taps
/// read in place from an image's phase planes, no column matrix built).
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Strided(Strided<'a>),
    Gathered(Gather<'a>),
}

impl Source<'_> {
    /// Panics unless op(B) (k×n) lies inside its storage.
    fn check(&self, k: usize, n: usize) {
        let inside = |data: &[f32], starts: &[usize], count: usize, run: usize| {
            assert_eq!(starts.len(), count, "gemm: one start per row or column");
            let last = starts.iter().max().map_or(0, |s| s + run);
            assert!(run == 0 || data.len() >= last, "gemm: B too small");
        };
        match *self {
            Source::Strided(b) => assert!(b.data.len() >= b.extent(k, n), "gemm: B too small"),
            Source::Gathered(Gather::Rows { data, starts }) => inside(data, starts, k, n),
            Source::Gathered(Gather::Cols { data, starts }) => inside(data, starts, n, k),
        }
    }
}

/// Where op(A)'s values lie: element (r, p) at `data()[at(r, p)]`. The
/// tiles broadcast A's values one at a time, so any layout reads as well
/// as another; a gathered A saves copying a convolution's taps out of its
/// planes for a weight gradient.
pub(super) trait ALines: Copy {
    fn data(&self) -> &[f32];
    fn at(&self, r: usize, p: usize) -> usize;
    /// Panics unless every element of an m×k op(A) lies inside `data()`.
    fn check(&self, m: usize, k: usize);
}

impl ALines for Strided<'_> {
    fn data(&self) -> &[f32] {
        self.data
    }
    #[inline(always)]
    fn at(&self, r: usize, p: usize) -> usize {
        r * self.rs + p * self.cs
    }
    fn check(&self, m: usize, k: usize) {
        assert!(self.data.len() >= self.extent(m, k), "gemm: A too small");
    }
}

/// op(A) gathered by where each row starts (`Gather::Rows`: element (r, p)
/// at `data[starts[r] + p]`) or each column (`Gather::Cols`: at
/// `data[starts[p] + r]`).
#[derive(Clone, Copy)]
pub(super) struct GatheredA<'a>(Gather<'a>);

impl ALines for GatheredA<'_> {
    fn data(&self) -> &[f32] {
        match self.0 {
            Gather::Rows { data, .. } | Gather::Cols { data, .. } => data,
        }
    }
    #[inline(always)]
    fn at(&self, r: usize, p: usize) -> usize {
        match self.0 {
            Gather::Rows { starts, .. } => starts[r] + p,
            Gather::Cols { starts, .. } => starts[p] + r,
        }
    }
    fn check(&self, m: usize, k: usize) {
        let (starts, count, run) = match self.0 {
            Gather::Rows { starts, .. } => (starts, m, k),
            Gather::Cols { starts, .. } => (starts, k, m),
        };
        assert_eq!(starts.len(), count, "gemm: one start per line of A");
        let last = starts.iter().max().map_or(0, |s| s + run);
        assert!(run == 0 || self.data().len() >= last, "gemm: A too small");
    }
}

/// C (m×n, leading dimension ldc) = α·op(A)·op(B) + β·C. Returns `false`
/// (doing nothing) when the CPU lacks AVX2/FMA.
#[allow(clippy::too_many_arguments)]
pub(crate) fn small_gemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Source<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> bool {
    match Simd::detect() {
        Some(kernel) => {
            small_gemm_on(kernel, m, k, n, alpha, a, b, beta, c, ldc);
            true
        }
        None => false,
    }
}

/// [`small_gemm`] with op(A) gathered ([`GatheredA`]): each element the
/// same chain of FMAs as with op(A) copied out first. Returns `false`
/// (doing nothing) when the CPU lacks AVX2/FMA.
#[allow(clippy::too_many_arguments)]
pub(crate) fn small_gemm_gathered_a(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Gather<'_>,
    b: Source<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) -> bool {
    match Simd::detect() {
        Some(kernel) => {
            small_gemm_on(kernel, m, k, n, alpha, GatheredA(a), b, beta, c, ldc);
            true
        }
        None => false,
    }
}

/// [`small_gemm`] on the given tiles.
#[allow(clippy::too_many_arguments)]
fn small_gemm_on<A: ALines>(
    kernel: Simd,
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: A,
    b: Source<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    // A and C against their storage; B's own check covers each form.
    a.check(m, k);
    assert!(
        m == 0 || n == 0 || c.len() >= (m - 1) * ldc + n,
        "gemm: C too small"
    );
    b.check(k, n);
    if m == 0 || n == 0 {
        return;
    }
    // One row of C from op(B) stored by columns: each value of op(B) is
    // used once, so it is transposed in registers instead of packed.
    if m == 1 {
        match b {
            Source::Strided(b) if b.cs != 1 && b.rs == 1 => {
                one_row(kernel, k, n, alpha, beta, a, b.data, Every(b.cs), c);
                return;
            }
            Source::Gathered(Gather::Cols { data, starts }) => {
                let cols = Table { starts, col0: 0 };
                one_row(kernel, k, n, alpha, beta, a, data, cols, c);
                return;
            }
            _ => {}
        }
    }
    let avx512 = matches!(kernel, Simd::Avx512(_));
    let lanes = if avx512 { 16 } else { 8 };
    // AVX-512's masked loads read rows of op(B) in place. One row of C is
    // then one panel as wide as C: the tiles run up to eight vectors of
    // columns side by side (with one row, a 32-column panel's two FMA
    // chains would wait on each other's latency through the whole of k).
    if avx512 {
        let panel = if m == 1 { n.max(1) } else { PANEL };
        match b {
            Source::Strided(b) if b.cs == 1 => {
                for j0 in (0..n).step_by(panel) {
                    let width = panel.min(n - j0);
                    let values = b.data.get(j0..).unwrap_or(&[]);
                    let rows = Every(b.rs);
                    run(
                        kernel,
                        m,
                        k,
                        width,
                        alpha,
                        beta,
                        a,
                        values,
                        rows,
                        &mut c[j0..],
                        ldc,
                    );
                }
                return;
            }
            Source::Gathered(Gather::Rows { data, starts }) => {
                for j0 in (0..n).step_by(panel) {
                    let width = panel.min(n - j0);
                    let rows = Table { starts, col0: j0 };
                    run(
                        kernel,
                        m,
                        k,
                        width,
                        alpha,
                        beta,
                        a,
                        data,
                        rows,
                        &mut c[j0..],
                        ldc,
                    );
                }
                return;
            }
            _ => {}
        }
    }
    // Anything else is packed into whole vectors first, a panel at a time.
    PACKED.with_borrow_mut(|buffer| {
        for j0 in (0..n).step_by(PANEL) {
            let width = PANEL.min(n - j0);
            let np = width.div_ceil(lanes) * lanes;
            if buffer.len() < k * np {
                buffer.resize(k * np, 0.0);
            }
            let packed = &mut buffer[..k * np];
            pack_panel(kernel, &b, j0, width, k, np, packed);
            let rows = Every(np);
            run(
                kernel,
                m,
                k,
                width,
                alpha,
                beta,
                a,
                packed,
                rows,
                &mut c[j0..],
                ldc,
            );
        }
    });
}

/// One panel of C (m × width, from its first column) through the kernel's
/// tiles, op(B)'s row p read from `b` at `rows.at(p)`.
#[allow(clippy::too_many_arguments)]
fn run<S: Starts, A: ALines>(
    kernel: Simd,
    m: usize,
    k: usize,
    width: usize,
    alpha: f32,
    beta: f32,
    a: A,
    b: &[f32],
    rows: S,
    c: &mut [f32],
    ldc: usize,
) {
    // Every row the tiles read must lie in `b`: packed panels by their
    // size, in-place ones by the same bound `Source::check` proved.
    let reach = match kernel {
        Simd::Avx512(_) => width,
        Simd::Avx2(_) => width.div_ceil(8) * 8,
    };
    assert!(
        k == 0 || rows.last(k) + reach <= b.len(),
        "small gemm: panel outside op(B)"
    );
    let o = Operands {
        k,
        n: width,
        rows,
        alpha,
        beta,
        a,
        b,
    };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the kernel's token proves its instruction set. It reads op(B)
    // row p at b[rows.at(p) + j] only for j < width (AVX-512: masked
    // loads) or j < width rounded up to whole 8-lane vectors (AVX2, packed
    // panels only), inside `b` by the assert above. It reads A within the
    // extent `ALines::check` asserted and writes C only at (i, j) with
    // i < m, j < width, inside C's asserted length.
    unsafe {
        match kernel {
            Simd::Avx512(_) => super::small_gemm_avx512::kernel(m, &o, c, ldc),
            Simd::Avx2(_) => super::small_gemm_avx2::kernel(m, &o, c, ldc),
        }
    }
}

/// C's one row (n values) = α·op(A)·op(B) + β·C, op(B)'s column j at
/// `b[cols.at(j) ..][..k]` (see `small_gemm_one_row.rs`).
#[allow(clippy::too_many_arguments)]
fn one_row<S: Starts, A: ALines>(
    kernel: Simd,
    k: usize,
    n: usize,
    alpha: f32,
    beta: f32,
    a: A,
    b: &[f32],
    cols: S,
    c: &mut [f32],
) {
    // Every column the kernel reads must lie in `b` (as `Source::check`
    // proved for the source it came from).
    assert!(
        k == 0 || cols.last(n) + k <= b.len(),
        "small gemm: a column outside op(B)"
    );
    let cpu = avx2(kernel);
    let o = Operands {
        k,
        n,
        rows: cols,
        alpha,
        beta,
        a,
        b,
    };
    let _ = (cpu, &o, &c);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `cpu` proves AVX2 and FMA. The kernel reads column j of
    // op(B) at b[cols.at(j) + p] for p < k only (the last k % 8 through
    // masked loads), inside `b` by the assert above; row 0 of op(A)
    // within the extent `ALines::check` asserted in `small_gemm_on`; and writes C[0..n),
    // inside C's asserted length.
    unsafe {
        super::small_gemm_one_row::one_row(&o, c)
    }
}

/// Where line p of op(B) starts in its buffer: row p of a panel, or
/// column p for the one-row path.
pub(super) trait Starts: Copy {
    fn at(&self, p: usize) -> usize;
    /// The largest start of lines 0..k (k ≥ 1).
    fn last(&self, k: usize) -> usize;
}

/// Rows at a fixed stride: a packed panel, or strided op(B) in place.
#[derive(Clone, Copy)]
pub(super) struct Every(usize);

impl Starts for Every {
    #[inline(always)]
    fn at(&self, p: usize) -> usize {
        p * self.0
    }
    fn last(&self, k: usize) -> usize {
        (k - 1) * self.0
    }
}

/// Rows gathered by a table of starts, panel `col0` columns in.
#[derive(Clone, Copy)]
pub(super) struct Table<'a> {
    starts: &'a [usize],
    col0: usize,
}

impl Starts for Table<'_> {
    #[inline(always)]
    fn at(&self, p: usize) -> usize {
        self.starts[p] + self.col0
    }
    fn last(&self, k: usize) -> usize {
        self.starts[..k].iter().max().map_or(0, |s| s + self.col0)
    }
}

/// Copies columns j0..j0 + width of op(B) (k rows) into `packed` (k rows of
/// `np` values; what lies past `width` is never written to C).
fn pack_panel(
    kernel: Simd,
    b: &Source<'_>,
    j0: usize,
    width: usize,
    k: usize,
    np: usize,
    packed: &mut [f32],
) {
    assert!(packed.len() == k * np && width <= np);
    match *b {
        Source::Strided(b) if b.cs == 1 => {
            let panel = Strided {
                data: b.data.get(j0..).unwrap_or(&[]),
                ..b
            };
            pack_rows(kernel, &panel, k, width, np, packed);
        }
        Source::Strided(b) => {
            assert_eq!(b.rs, 1, "gemm: op(B) must have unit row or column stride");
            let starts = |j: usize| j * b.cs;
            pack_columns(kernel, b.data, starts, j0, width, k, np, packed);
        }
        Source::Gathered(Gather::Rows { data, starts }) => {
            for (row, &start) in packed.chunks_exact_mut(np).zip(starts) {
                row[..width].copy_from_slice(&data[start + j0..start + j0 + width]);
            }
        }
        Source::Gathered(Gather::Cols { data, starts }) => {
            pack_columns(kernel, data, |j| starts[j], j0, width, k, np, packed);
        }
    }
}

/// Copies op(B) (k×n) with contiguous rows into `packed` (k rows of `np`
/// values, zero past n) with the kernel's own vector loads.
fn pack_rows(kernel: Simd, b: &Strided<'_>, k: usize, n: usize, np: usize, packed: &mut [f32]) {
    assert_eq!(b.cs, 1, "pack_rows: op(B) rows must be contiguous");
    assert!(packed.len() == k * np && n <= np);
    assert!(b.data.len() >= b.extent(k, n), "pack_rows: op(B) too small");
    let _ = (avx2(kernel), b.data, b.rs);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the token proves AVX2 and FMA; row p reads b[p·rs .. p·rs + n),
    // inside the extent asserted above (the masked loads leave lanes ≥ n
    // untouched), and writes packed[p·np .. (p + 1)·np), inside its
    // asserted length k·np.
    unsafe {
        super::small_gemm_avx2::pack_rows(b.data, b.rs, k, n, np, packed)
    }
}

/// Copies columns j0..j0 + width of op(B), stored with contiguous columns
/// (column j is data[start(j) .. start(j) + k]: Bᵀ row-major, e.g. a
/// Linear layer's weight, or a convolution's taps), into `packed` (k rows
/// of `np` ≥ width values; the lanes past width keep what they held). Whole 8×8 blocks go through a
/// register transpose; the ragged edges of k and width are copied one
/// value at a time.
#[allow(clippy::too_many_arguments)]
fn pack_columns(
    kernel: Simd,
    data: &[f32],
    start: impl Fn(usize) -> usize,
    j0: usize,
    width: usize,
    k: usize,
    np: usize,
    packed: &mut [f32],
) {
    const BLOCK: usize = 8;
    let cpu = avx2(kernel);
    let (full_k, full_w) = (k / BLOCK * BLOCK, width / BLOCK * BLOCK);
    for jj in (0..full_w).step_by(BLOCK) {
        let cols: [&[f32]; BLOCK] = std::array::from_fn(|l| &data[start(j0 + jj + l)..]);
        for p in (0..full_k).step_by(BLOCK) {
            transpose_runs::<8>(
                cpu,
                cols.map(|col| &col[p..p + BLOCK]),
                &mut packed[p * np + jj..],
                np,
            );
        }
    }
    // The ragged right edge for every p, and every column for the ragged
    // tail of k, a packed row at a time from the columns' starts. Lanes
    // past `width` are left as they are: each lane of a tile is its own
    // column of C, and no tile writes a column past the panel's width.
    let mut starts = [0; PANEL];
    for (jj, s) in starts.iter_mut().enumerate().take(width) {
        *s = start(j0 + jj);
    }
    for (p, row) in packed.chunks_exact_mut(np).enumerate() {
        let first = if p < full_k { full_w } else { 0 };
        for (v, s) in row[first..width].iter_mut().zip(&starts[first..width]) {
            *v = data[s + p];
        }
    }
}

/// The AVX2 + FMA proof every kernel's token carries (packing uses AVX2's
/// loads and transposes under either set).
fn avx2(kernel: Simd) -> Avx2Fma {
    match kernel {
        Simd::Avx512(cpu) => cpu.avx2(),
        Simd::Avx2(cpu) => cpu,
    }
}

thread_local! {
    /// A panel of op(B) packed for the kernel: one buffer per thread, grown
    /// to the largest k × panel it has packed, then reused.
    static PACKED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The operands of one panel, shared by every tile.
pub(super) struct Operands<'a, S, A> {
    pub k: usize,
    /// Columns of the panel (≤ [`PANEL`]).
    pub n: usize,
    /// Where row p of the panel starts in `b`.
    pub rows: S,
    pub alpha: f32,
    pub beta: f32,
    /// op(A), read in place ([`ALines`]).
    pub a: A,
    pub b: &'a [f32],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::cases::for_each_case;
    use crate::kernels::cpu::{Avx2Fma, Avx512};

    /// Every kernel this CPU runs, whatever `AEDETECT_ISA` chose, by name.
    fn every_kernel() -> Vec<(&'static str, Simd)> {
        [
            Avx2Fma::supported().map(|k| ("avx2", Simd::Avx2(k))),
            Avx512::supported().map(|k| ("avx512", Simd::Avx512(k))),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    #[test]
    fn matches_reference_on_awkward_shapes_with_every_kernel() {
        let kernels = every_kernel();
        if kernels.is_empty() {
            eprintln!("no AVX2/FMA here: the small kernel is not used, nothing to check");
            return;
        }
        let shapes = [
            (1, 1, 1),
            (64, 20, 12),
            (12, 64, 20),
            (5, 3, 8),
            (7, 9, 16),
            (9, 4, 17),
            (4, 30, 24),
            (3, 2, 40),
            (6, 5, 7),
            (2, 3, 13),
            (13, 7, 33),
            (11, 2, 64),
            // An LSTM step's product: many rows, op(B) past the old 16 KB
            // limit and inside the 32 KB one.
            (64, 33, 128),
            // Few rows, several panels, ragged 8×8 transpose blocks in k
            // and n; the first three with op(B) beyond MAX_B_VALUES.
            (1, 1568, 32),
            (1, 32, 1568),
            (3, 300, 70),
            (32, 144, 49),
            (32, 49, 144),
            (17, 9, 200),
            (2, 19, 33),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)];
        for_each_case(9, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let mut first: Option<Vec<f32>> = None;
            for &(name, kernel) in &kernels {
                let mut c = case.c0.clone();
                assert!(
                    takes(m, k, n),
                    "shape {m}x{k}x{n} should take the small kernel"
                );
                small_gemm_on(
                    kernel,
                    m,
                    k,
                    n,
                    case.alpha,
                    am,
                    Source::Strided(bm),
                    case.beta,
                    &mut c,
                    n,
                );
                case.assert_close(&c, &format!(" {name}"));
                // Every element is the same chain of FMAs in both kernels.
                let first = first.get_or_insert_with(|| c.clone());
                assert!(first == &c, "{m}x{k}x{n} {name}: other bits than avx2");
            }
        });
    }

    /// A rows × cols matrix laid out twice for gathering, with gaps
    /// between the runs (NaN, so a read past a run shows): by rows, 3
    /// values apart, and by columns, 5 apart.
    struct Spread {
        row_starts: Vec<usize>,
        by_rows: Vec<f32>,
        col_starts: Vec<usize>,
        by_cols: Vec<f32>,
    }

    impl Spread {
        fn new(rows: usize, cols: usize, value: impl Fn(usize, usize) -> f32) -> Self {
            let row_starts: Vec<usize> = (0..rows).map(|r| r * (cols + 3)).collect();
            let mut by_rows = vec![f32::NAN; rows * (cols + 3)];
            let col_starts: Vec<usize> = (0..cols).map(|c| c * (rows + 5)).collect();
            let mut by_cols = vec![f32::NAN; cols * (rows + 5)];
            for r in 0..rows {
                for c in 0..cols {
                    by_rows[row_starts[r] + c] = value(r, c);
                    by_cols[col_starts[c] + r] = value(r, c);
                }
            }
            Spread {
                row_starts,
                by_rows,
                col_starts,
                by_cols,
            }
        }

        /// The matrix gathered by its rows' starts and by its columns'.
        fn gathers(&self) -> [Gather<'_>; 2] {
            [
                Gather::Rows {
                    data: &self.by_rows,
                    starts: &self.row_starts,
                },
                Gather::Cols {
                    data: &self.by_cols,
                    starts: &self.col_starts,
                },
            ]
        }
    }

    /// op(B) gathered by row or column starts (with gaps between the runs)
    /// gives the same bits as the same op(B) strided, on every kernel.
    #[test]
    fn gathered_sources_match_the_strided_product_bit_for_bit() {
        let kernels = every_kernel();
        let shapes = [
            (3, 9, 40),
            (32, 144, 56),
            (16, 56, 144),
            (5, 17, 33),
            (1, 0, 5),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0)];
        for_each_case(4, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let b = Spread::new(k, n, |p, j| bm.data[p * bm.rs + j * bm.cs]);
            for &(_, kernel) in &kernels {
                let mut want = case.c0.clone();
                let strided = Source::Strided(bm);
                small_gemm_on(
                    kernel, m, k, n, case.alpha, am, strided, case.beta, &mut want, n,
                );
                for source in b.gathers().map(Source::Gathered) {
                    let mut c = case.c0.clone();
                    small_gemm_on(
                        kernel, m, k, n, case.alpha, am, source, case.beta, &mut c, n,
                    );
                    assert!(c == want, "{m}x{k}x{n}: gathered gives other bits");
                }
            }
        });
    }

    /// op(A) gathered by row or column starts (with gaps between the runs)
    /// gives the same bits as the same op(A) strided, on every kernel and
    /// every form of op(B), one row of C included.
    #[test]
    fn gathered_a_matches_the_strided_product_bit_for_bit() {
        let kernels = every_kernel();
        let shapes = [
            (144, 56, 32),
            (9, 210, 16),
            (5, 17, 33),
            (1, 40, 20),
            (3, 0, 5),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0)];
        for_each_case(4, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            let a = Spread::new(m, k, |r, p| am.data[r * am.rs + p * am.cs]);
            for &(_, kernel) in &kernels {
                let strided = Source::Strided(bm);
                let mut want = case.c0.clone();
                small_gemm_on(
                    kernel, m, k, n, case.alpha, am, strided, case.beta, &mut want, n,
                );
                for a in a.gathers().map(GatheredA) {
                    let mut c = case.c0.clone();
                    small_gemm_on(
                        kernel, m, k, n, case.alpha, a, strided, case.beta, &mut c, n,
                    );
                    assert!(c == want, "{m}x{k}x{n}: gathered A gives other bits");
                }
            }
        });
    }

    /// A row computed alone (by columns: transposed in registers, never
    /// packed; by rows: one panel as wide as C) has the bits it has inside
    /// a product of several rows.
    #[test]
    fn one_row_alone_has_the_bits_it_has_among_others() {
        let kernels = every_kernel();
        let shapes = [
            (5, 20, 12),
            (5, 12, 6),
            (5, 6, 20),
            (5, 1, 1),
            (5, 0, 9),
            (5, 8, 8),
            (5, 9, 33),
            (5, 17, 40),
            (5, 1568, 32),
            (5, 31, 65),
            (5, 33, 300),
        ];
        let scalars = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)];
        for_each_case(11, &shapes, &scalars, |case| {
            let (am, bm) = case.operands();
            let (m, k, n) = (case.m, case.k, case.n);
            // The same op(B) gathered by column starts, 3 values apart.
            let col_starts: Vec<usize> = (0..n).map(|j| j * (k + 3)).collect();
            let mut by_cols = vec![f32::NAN; n * (k + 3)];
            for j in 0..n {
                for p in 0..k {
                    by_cols[col_starts[j] + p] = bm.data[p * bm.rs + j * bm.cs];
                }
            }
            let gathered = Source::Gathered(Gather::Cols {
                data: &by_cols,
                starts: &col_starts,
            });
            for &(_, kernel) in &kernels {
                let mut all = case.c0.clone();
                small_gemm_on(
                    kernel,
                    m,
                    k,
                    n,
                    case.alpha,
                    am,
                    Source::Strided(bm),
                    case.beta,
                    &mut all,
                    n,
                );
                case.assert_close(&all, "");
                for source in [Source::Strided(bm), gathered] {
                    for i in 0..m {
                        let row = Strided {
                            data: am.data.get(i * am.rs..).unwrap_or(&[]),
                            ..am
                        };
                        let mut c = case.c0[i * n..(i + 1) * n].to_vec();
                        small_gemm_on(
                            kernel, 1, k, n, case.alpha, row, source, case.beta, &mut c, n,
                        );
                        assert!(
                            c[..] == all[i * n..(i + 1) * n],
                            "{m}x{k}x{n} {:?}{:?}: row {i} alone has other bits",
                            case.ta,
                            case.tb
                        );
                    }
                }
            }
        });
    }

    #[test]
    #[should_panic(expected = "B too small")]
    fn a_start_past_the_buffer_is_refused() {
        let a = [1.0; 4];
        let am = Strided {
            data: &a,
            rs: 2,
            cs: 1,
        };
        let data = [0.0; 10];
        let source = Source::Gathered(Gather::Rows {
            data: &data,
            starts: &[0, 8],
        });
        let mut c = [0.0; 6];
        let kernel = Simd::detect().unwrap_or(Simd::Avx2(Avx2Fma::supported().expect("AVX2")));
        small_gemm_on(kernel, 2, 2, 3, 1.0, am, source, 0.0, &mut c, 3);
    }
}
