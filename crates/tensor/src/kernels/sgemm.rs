//! Safe wrapper around matrixmultiply's strided sgemm micro-kernels.

/// A strided matrix operand: element (i, j) is at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl Strided<'_> {
    /// One past the largest index an `rows × cols` block touches.
    pub(crate) fn extent(&self, rows: usize, cols: usize) -> usize {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * self.rs + (cols - 1) * self.cs + 1
        }
    }
}

/// Panics unless A (m×k), B (k×n) and C (m×n at row stride `ldc`) lie
/// inside their storage: every kernel's check before its `unsafe` code.
pub(crate) fn check_operands(
    m: usize,
    k: usize,
    n: usize,
    a: &Strided<'_>,
    b: &Strided<'_>,
    c: &[f32],
    ldc: usize,
) {
    assert!(a.data.len() >= a.extent(m, k), "gemm: A too small");
    assert!(b.data.len() >= b.extent(k, n), "gemm: B too small");
    assert!(
        m == 0 || n == 0 || c.len() >= (m - 1) * ldc + n,
        "gemm: C too small"
    );
}

/// C (m×n, row-major, leading dimension n) = α·A(m×k)·B(k×n) + β·C.
///
/// # Panics
/// If any operand's storage is too small for the given sizes and strides.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm_block(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: Strided<'_>,
    b: Strided<'_>,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    check_operands(m, k, n, &a, &b, c, ldc);
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above prove every index the kernel reads in A and B
    // and writes in C lies inside the borrowed slices; `c` is borrowed mutably,
    // so nothing else aliases it.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            ldc as isize,
            1,
        );
    }
}
