//! Element-wise kernels, each with a scalar reference twin (`scalar::*`)
//! used by the tests.
//!
//! Maps whose scalar form is exact (add, multiply, scale, the ReLU family)
//! are plain loops compiled for the widest vectors in use (`widest.rs`:
//! 16 lanes under AVX-512F). The others run on 8-lane `wide::f32x8` with a
//! scalar tail; `wide` lowers to what the build targets (SSE2 for a default
//! x86-64 build), so its code here is safe. exp, σ and tanh, which are
//! arithmetic-bound, run instead on the exp kernels of the chosen
//! instruction set (`exp_avx512.rs`, `exp_avx2.rs`: the same bits on both;
//! the call into them, under the instruction set's proof token, is this
//! file's one `unsafe`), and on `wide` only where neither runs.

use super::cpu::Simd;
use super::exp_poly::Op;
use super::widest::on_widest_for;
use wide::{f32x8, CmpGt};

pub(super) const LANES: usize = 8;

#[inline(always)]
pub(super) fn load(s: &[f32]) -> f32x8 {
    f32x8::new(s[..LANES].try_into().expect("8 lanes"))
}

#[inline(always)]
pub(super) fn store(v: f32x8, d: &mut [f32]) {
    d[..LANES].copy_from_slice(&v.to_array());
}

/// Applies `vec` to each full 8-lane chunk of `(x, y)` and `tail` to the rest,
/// writing into `y`.
#[inline(always)]
fn map2(
    x: &[f32],
    y: &mut [f32],
    vec: impl Fn(f32x8, f32x8) -> f32x8,
    tail: impl Fn(f32, f32) -> f32,
) {
    assert_eq!(x.len(), y.len(), "element-wise operands differ in length");
    let mut xs = x.chunks_exact(LANES);
    let mut ys = y.chunks_exact_mut(LANES);
    for (xc, yc) in (&mut xs).zip(&mut ys) {
        let r = vec(load(xc), load(yc));
        store(r, yc);
    }
    for (xv, yv) in xs.remainder().iter().zip(ys.into_remainder()) {
        *yv = tail(*xv, *yv);
    }
}

/// Applies `vec` to each full 8-lane chunk of `(a, b)` and `tail` to the
/// rest, writing into `y`: a local gradient `dx = f(cache, dy)` in one pass.
#[inline(always)]
fn map3(
    a: &[f32],
    b: &[f32],
    y: &mut [f32],
    vec: impl Fn(f32x8, f32x8) -> f32x8,
    tail: impl Fn(f32, f32) -> f32,
) {
    assert!(
        a.len() == b.len() && b.len() == y.len(),
        "element-wise operands differ in length"
    );
    let mut as_ = a.chunks_exact(LANES);
    let mut bs = b.chunks_exact(LANES);
    let mut ys = y.chunks_exact_mut(LANES);
    for ((ac, bc), yc) in (&mut as_).zip(&mut bs).zip(&mut ys) {
        store(vec(load(ac), load(bc)), yc);
    }
    let rest = as_.remainder().iter().zip(bs.remainder());
    for ((av, bv), yv) in rest.zip(ys.into_remainder()) {
        *yv = tail(*av, *bv);
    }
}

/// `y[i] = f(x[i], y[i])` as a plain loop compiled for the widest vectors
/// in use (`widest::on_widest`; as built below `WIDEST_MIN` values): for
/// maps whose scalar form is exact, so every width gives the same bits.
#[inline(always)]
fn zip_map(x: &[f32], y: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    assert_eq!(x.len(), y.len(), "element-wise operands differ in length");
    on_widest_for(
        x.len(),
        #[inline(always)]
        || {
            for (x, y) in x.iter().zip(y.iter_mut()) {
                *y = f(*x, *y);
            }
        },
    );
}

/// `y[i] = f(a[i], b[i])`, as [`zip_map`]: a local gradient
/// `dx = f(cache, dy)` in one pass.
#[inline(always)]
fn zip_map3(a: &[f32], b: &[f32], y: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    assert!(
        a.len() == b.len() && b.len() == y.len(),
        "element-wise operands differ in length"
    );
    on_widest_for(
        y.len(),
        #[inline(always)]
        || {
            for ((a, b), y) in a.iter().zip(b).zip(y.iter_mut()) {
                *y = f(*a, *b);
            }
        },
    );
}

/// y += x
pub fn add_assign(y: &mut [f32], x: &[f32]) {
    zip_map(x, y, |x, y| y + x);
}

/// y *= x
pub fn mul_assign(y: &mut [f32], x: &[f32]) {
    zip_map(x, y, |x, y| y * x);
}

/// y += a·x
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    let av = f32x8::splat(a);
    map2(x, y, |x, y| x.mul_add(av, y), |x, y| x.mul_add(a, y));
}

/// y *= a
pub fn scale(y: &mut [f32], a: f32) {
    on_widest_for(
        y.len(),
        #[inline(always)]
        || y.iter_mut().for_each(|v| *v *= a),
    );
}

/// y = max(x, 0), written as the comparison (x > 0 ? x : 0) so a NaN or
/// −0 gives +0 at every width, as SSE's and AVX's max instructions do.
pub fn relu(x: &[f32], y: &mut [f32]) {
    zip_map(x, y, |x, _| if x > 0.0 { x } else { 0.0 });
}

/// dx = dy where y > 0, else 0: ReLU's local gradient, the forward output
/// `y` as the mask.
pub fn relu_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    zip_map3(y, dy, dx, |y, d| if y > 0.0 { d } else { 0.0 });
}

/// y = x where x > 0, else slope·x
pub fn leaky_relu(x: &[f32], y: &mut [f32], slope: f32) {
    zip_map(x, y, |x, _| if x > 0.0 { x } else { slope * x });
}

/// dx = dy where x > 0, else slope·dy
pub fn leaky_relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32], slope: f32) {
    zip_map3(x, dy, dx, |x, d| if x > 0.0 { d } else { slope * d });
}

/// `wide`'s exp returns 0 outside |x| < 87.3, so arguments are kept inside.
const EXP_LIMIT: f32 = 87.0;

/// y = OP(x) on the exp kernel of the instruction set in use; `false`
/// (nothing done) where there is none.
fn on_exp_kernel<const OP: u8>(x: &[f32], y: &mut [f32]) -> bool {
    assert_eq!(x.len(), y.len(), "element-wise operands differ in length");
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F (the kernel's only feature).
        Some(Simd::Avx512(_)) => unsafe { super::exp_avx512::map::<OP>(x, y) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX2 and FMA (the kernel's features).
        Some(Simd::Avx2(_)) => unsafe { super::exp_avx2::map::<OP>(x, y) },
        _ => return false,
    }
    true
}

/// y = exp(x). Arguments beyond ±87 (where the SIMD exp is not valid) take
/// the scalar exp, so that large inputs give inf, not 0.
pub fn exp(x: &[f32], y: &mut [f32]) {
    if on_exp_kernel::<{ Op::EXP }>(x, y) {
        return;
    }
    let lim = f32x8::splat(EXP_LIMIT);
    map2(
        x,
        y,
        |x, _| {
            if x.abs().cmp_gt(lim).any() {
                f32x8::new(x.to_array().map(f32::exp))
            } else {
                x.exp()
            }
        },
        |x, _| x.exp(),
    );
}

/// y = 1 / (1 + exp(−x)). The argument of exp is clamped to ±87, where the
/// result is already 0 or 1 to f32 precision, so the SIMD exp stays valid.
pub fn sigmoid(x: &[f32], y: &mut [f32]) {
    if on_exp_kernel::<{ Op::SIGMOID }>(x, y) {
        return;
    }
    let one = f32x8::ONE;
    let lim = f32x8::splat(EXP_LIMIT);
    map2(
        x,
        y,
        |x, _| one / (one + (-x).max(-lim).min(lim).exp()),
        |x, _| 1.0 / (1.0 + (-x).clamp(-EXP_LIMIT, EXP_LIMIT).exp()),
    );
}

/// dx = dy·y·(1 − y), sigmoid's local gradient from its output y
pub fn sigmoid_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let one = f32x8::ONE;
    map3(
        y,
        dy,
        dx,
        |y, d| d * y * (one - y),
        |y, d| d * y * (1.0 - y),
    );
}

/// dx = dy·(1 − y²), tanh's local gradient from its output y
pub fn tanh_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let one = f32x8::ONE;
    map3(
        y,
        dy,
        dx,
        |y, d| d * (one - y * y),
        |y, d| d * (1.0 - y * y),
    );
}

/// y = tanh(x), as 1 − 2 / (exp(2x) + 1) with x clamped to ±20 (tanh is ±1
/// in f32 from about ±9, and 2x stays inside the SIMD exp's range).
pub fn tanh(x: &[f32], y: &mut [f32]) {
    if on_exp_kernel::<{ Op::TANH }>(x, y) {
        return;
    }
    let one = f32x8::ONE;
    let two = f32x8::splat(2.0);
    let lim = f32x8::splat(20.0);
    map2(
        x,
        y,
        |x, _| one - two / ((x.max(-lim).min(lim) * two).exp() + one),
        |x, _| x.tanh(),
    );
}

/// An LSTM's gate activations over rows of 4·h pre-activations
/// [i, f, g, o]: σ on i, f and o, tanh on g, each value exactly as
/// [`sigmoid`] and [`tanh`] give it, in one call for a whole block of rows.
///
/// # Panics
/// If the slices differ in length or are not whole rows of 4·h values.
pub fn lstm_gates(pre: &[f32], gates: &mut [f32], h: usize) {
    assert!(
        pre.len() == gates.len() && h > 0 && pre.len().is_multiple_of(4 * h),
        "lstm gates: {} and {} values are not rows of 4·{h}",
        pre.len(),
        gates.len()
    );
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F (the kernel's only feature).
        Some(Simd::Avx512(_)) => unsafe { super::exp_avx512::lstm_gates(pre, gates, h) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX2 and FMA (the kernel's features).
        Some(Simd::Avx2(_)) => unsafe { super::exp_avx2::lstm_gates(pre, gates, h) },
        _ => {
            for (p, g) in pre.chunks_exact(4 * h).zip(gates.chunks_exact_mut(4 * h)) {
                sigmoid(&p[..2 * h], &mut g[..2 * h]);
                tanh(&p[2 * h..3 * h], &mut g[2 * h..3 * h]);
                sigmoid(&p[3 * h..], &mut g[3 * h..]);
            }
        }
    }
}

/// The buffers of one step of [`lstm_cell`], for n rows at once.
pub struct LstmCellStep<'a> {
    /// The step's gate pre-activations [a_i, a_f, a_g, a_o], rows of 4h.
    pub pre: &'a [f32],
    /// Out: the activated gates [i, f, g, o], rows of 4h.
    pub gates: &'a mut [f32],
    /// c_{t−1}, rows of h.
    pub c_prev: &'a [f32],
    /// Out: c_t, tanh(c_t) and h_t, rows of h.
    pub c_next: &'a mut [f32],
    pub tanh_c: &'a mut [f32],
    pub h_next: &'a mut [f32],
}

impl LstmCellStep<'_> {
    /// The step's rows n (`c_prev.len() / h`).
    ///
    /// # Panics
    /// If a buffer does not hold n rows of its width (4h or h).
    pub(super) fn rows(&self, h: usize) -> usize {
        let n = self.c_prev.len() / h.max(1);
        let rows_of = |len: usize, width: usize| h > 0 && len == n * width;
        assert!(
            rows_of(self.pre.len(), 4 * h)
                && rows_of(self.gates.len(), 4 * h)
                && rows_of(self.c_prev.len(), h)
                && rows_of(self.c_next.len(), h)
                && rows_of(self.tanh_c.len(), h)
                && rows_of(self.h_next.len(), h),
            "lstm cell: buffers are not {n} rows of 4·{h} and {h} values"
        );
        n
    }
}

/// One step of an LSTM's cell, for n rows at once (the equations are
/// `nn::layers::lstm`'s):
///   i, f, o = σ(a_i, a_f, a_o)   g = tanh(a_g)       (as [`lstm_gates`])
///   c_t = f ⊙ c_{t−1} + i ⊙ g    h_t = o ⊙ tanh(c_t)  (tanh as [`tanh`])
/// Each value is its own chain of operations, the same at every vector
/// width, so a row gives the same bits alone or in a block.
///
/// # Panics
/// If a buffer does not hold n rows of its width (n = `c_prev.len() / h`).
pub fn lstm_cell(s: LstmCellStep<'_>, h: usize) {
    s.rows(h);
    match Simd::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX-512F (the kernel's only feature).
        Some(Simd::Avx512(_)) => unsafe { super::exp_avx512::lstm_cell(s, h) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the token proves AVX2 and FMA (the kernel's features).
        Some(Simd::Avx2(_)) => unsafe { super::exp_avx2::lstm_cell(s, h) },
        _ => {
            lstm_gates(s.pre, s.gates, h);
            for (row, g) in s.gates.chunks_exact(4 * h).enumerate() {
                let at = row * h;
                for j in 0..h {
                    s.c_next[at + j] = g[h + j] * s.c_prev[at + j] + g[j] * g[2 * h + j];
                }
            }
            tanh(s.c_next, s.tanh_c);
            for (row, g) in s.gates.chunks_exact(4 * h).enumerate() {
                let at = row * h;
                for j in 0..h {
                    s.h_next[at + j] = g[3 * h + j] * s.tanh_c[at + j];
                }
            }
        }
    }
}

/// The buffers of one step of [`lstm_cell_backward`], for n rows at once.
pub struct LstmCellGrads<'a> {
    /// The step's activated gates [i, f, g, o], rows of 4h (as
    /// [`lstm_gates`] writes them).
    pub gates: &'a [f32],
    /// c_{t−1} and tanh(c_t), rows of h.
    pub c_prev: &'a [f32],
    pub tanh_c: &'a [f32],
    /// dy_t: row r's h values start at `dy[r·dy_stride]` (a [N, T, H]
    /// output seen at one step).
    pub dy: &'a [f32],
    pub dy_stride: usize,
    /// dh carried from step t + 1 (rows of h).
    pub dh_next: &'a [f32],
    /// dc carried from step t + 1 in, dc carried to step t − 1 out.
    pub dc: &'a mut [f32],
    /// Out: da_t, rows of 4h in gate order.
    pub da: &'a mut [f32],
}

/// One step of an LSTM's backward through its cell and gates, element by
/// element (the equations are `nn::layers::lstm`'s, in its order):
///   dh = dy_t + dh_next
///   dc = dh ⊙ o ⊙ (1 − tanh²c_t) + dc_next
///   da_i = dc ⊙ g ⊙ i(1 − i)      da_f = dc ⊙ c_{t−1} ⊙ f(1 − f)
///   da_g = dc ⊙ i ⊙ (1 − g²)      da_o = dh ⊙ tanh c_t ⊙ o(1 − o)
///   dc_next ← dc ⊙ f
/// Each output is its own chain of operations, so the loop runs at the
/// widest vector width in use with the same bits as the scalar form.
///
/// # Panics
/// If a buffer does not hold n rows of its width (n = `dc.len() / h`).
pub fn lstm_cell_backward(b: LstmCellGrads<'_>, h: usize) {
    let n = b.dc.len() / h.max(1);
    let rows_of = |len: usize, width: usize| h > 0 && len == n * width;
    assert!(
        rows_of(b.dc.len(), h)
            && rows_of(b.gates.len(), 4 * h)
            && rows_of(b.da.len(), 4 * h)
            && rows_of(b.c_prev.len(), h)
            && rows_of(b.tanh_c.len(), h)
            && rows_of(b.dh_next.len(), h)
            && b.dy_stride >= h
            && n.checked_sub(1)
                .is_none_or(|last| b.dy.len() >= last * b.dy_stride + h),
        "lstm cell backward: buffers are not {n} rows of the hidden width {h}"
    );
    on_widest_for(
        n * h,
        #[inline(always)]
        || {
            for row in 0..n {
                let a = &b.gates[row * 4 * h..(row + 1) * 4 * h];
                let (i, f, g, o) = (&a[..h], &a[h..2 * h], &a[2 * h..3 * h], &a[3 * h..]);
                let at = row * h..(row + 1) * h;
                let (c_prev, tanh_c) = (&b.c_prev[at.clone()], &b.tanh_c[at.clone()]);
                let (dh_next, dc) = (&b.dh_next[at.clone()], &mut b.dc[at]);
                let dy = &b.dy[row * b.dy_stride..row * b.dy_stride + h];
                let out = &mut b.da[row * 4 * h..(row + 1) * 4 * h];
                let (da_i, rest) = out.split_at_mut(h);
                let (da_f, rest) = rest.split_at_mut(h);
                let (da_g, da_o) = rest.split_at_mut(h);
                cell_row(
                    [i, f, g, o],
                    [c_prev, tanh_c, dh_next, dy],
                    dc,
                    [da_i, da_f, da_g, da_o],
                );
            }
        },
    );
}

/// One row of [`lstm_cell_backward`]. Its own function so that the slices
/// arrive as arguments, which tells the compiler they do not overlap: the
/// loop then vectorizes without a run-time overlap check per row (which,
/// for the struct's fields, cost more than the loop at h = 32).
#[inline(always)]
fn cell_row(
    [i, f, g, o]: [&[f32]; 4],
    [c_prev, tanh_c, dh_next, dy]: [&[f32]; 4],
    dc: &mut [f32],
    [da_i, da_f, da_g, da_o]: [&mut [f32]; 4],
) {
    let h = dc.len();
    let (i, f, g, o) = (&i[..h], &f[..h], &g[..h], &o[..h]);
    let (c_prev, tanh_c, dh_next, dy) = (&c_prev[..h], &tanh_c[..h], &dh_next[..h], &dy[..h]);
    let (da_i, da_f, da_g, da_o) = (
        &mut da_i[..h],
        &mut da_f[..h],
        &mut da_g[..h],
        &mut da_o[..h],
    );
    for j in 0..h {
        let tc = tanh_c[j];
        let dh = dy[j] + dh_next[j];
        let dc_j = dh * o[j] * (1.0 - tc * tc) + dc[j];
        da_i[j] = dc_j * g[j] * i[j] * (1.0 - i[j]);
        da_f[j] = dc_j * c_prev[j] * f[j] * (1.0 - f[j]);
        da_g[j] = dc_j * i[j] * (1.0 - g[j] * g[j]);
        da_o[j] = dh * tc * o[j] * (1.0 - o[j]);
        dc[j] = dc_j * f[j];
    }
}

/// Scalar twins, the reference for tests.
pub mod scalar {
    pub fn relu(x: &[f32], y: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = x.max(0.0);
        }
    }
    pub fn sigmoid(x: &[f32], y: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = (1.0 / (1.0 + (-*x as f64).exp())) as f32;
        }
    }
    pub fn exp(x: &[f32], y: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = (*x as f64).exp() as f32;
        }
    }
    pub fn tanh(x: &[f32], y: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = (*x as f64).tanh() as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<f32> {
        // 67 values: several full vectors plus a tail, spanning the saturated ends.
        (0..67)
            .map(|i| (i as f32 - 33.0) * 0.37 + if i == 66 { 80.0 } else { 0.0 })
            .collect()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        for (x, y) in a.iter().zip(b) {
            assert!(
                x == y || (x - y).abs() <= tol * (1.0 + y.abs()),
                "{x} vs {y}"
            );
        }
    }

    #[test]
    fn simd_matches_scalar() {
        let x = inputs();
        let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        relu(&x, &mut a);
        scalar::relu(&x, &mut b);
        assert_eq!(a, b);
        sigmoid(&x, &mut a);
        scalar::sigmoid(&x, &mut b);
        close(&a, &b, 1e-6);
        exp(&x, &mut a);
        scalar::exp(&x, &mut b);
        close(&a, &b, 1e-6);
        exp(&[100.0; 9], &mut a[..9]);
        assert!(a[..9].iter().all(|v| v.is_infinite()));
        tanh(&x, &mut a);
        scalar::tanh(&x, &mut b);
        close(&a, &b, 1e-6);
    }

    /// Both exp kernels against the f64 reference on arguments across and
    /// past each function's range, at every tail length; and against each
    /// other, bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn exp_kernels_match_the_reference_and_each_other_bit_for_bit() {
        use crate::kernels::cpu::{Avx2Fma, Avx512};
        let (avx2, avx512) = (Avx2Fma::supported(), Avx512::supported());
        if avx2.is_none() {
            eprintln!("no AVX2 here: the exp kernels are not used, nothing to check");
            return;
        }
        // 0, ±tiny, ±denormal-producing, saturating and non-finite-producing
        // arguments, then a sweep of −110..110.
        let mut x = vec![
            0.0, -0.0, 1e-30, -1e-7, 86.9, 87.5, 88.5, -87.5, -100.0, 200.0,
        ];
        x.extend((0..4001).map(|i| (i as f32 - 2000.0) * 0.055));
        type Map = fn(&[f32], &mut [f32]);
        let ops: [(u8, Map); 3] = [
            (Op::EXP, scalar::exp),
            (Op::SIGMOID, scalar::sigmoid),
            (Op::TANH, scalar::tanh),
        ];
        for (op, reference) in ops {
            let mut want = vec![0.0; x.len()];
            reference(&x, &mut want);
            for len in (0..40).chain([x.len()]) {
                let (x, want) = (&x[x.len() - len..], &want[want.len() - len..]);
                let mut got2 = vec![f32::NAN; len];
                // SAFETY: the token proves AVX2 and FMA.
                unsafe {
                    match op {
                        Op::EXP => super::super::exp_avx2::map::<{ Op::EXP }>(x, &mut got2),
                        Op::SIGMOID => super::super::exp_avx2::map::<{ Op::SIGMOID }>(x, &mut got2),
                        _ => super::super::exp_avx2::map::<{ Op::TANH }>(x, &mut got2),
                    }
                }
                for ((g, w), xv) in got2.iter().zip(want).zip(x) {
                    let tol = if op == Op::EXP {
                        3e-7 * w.abs() + 1e-37
                    } else {
                        3e-7
                    };
                    assert!(
                        g == w || (g - w).abs() <= tol,
                        "op {op} at {xv}: {g} against {w}"
                    );
                }
                if avx512.is_some() {
                    let mut got16 = vec![f32::NAN; len];
                    // SAFETY: the token proves AVX-512F.
                    unsafe {
                        match op {
                            Op::EXP => super::super::exp_avx512::map::<{ Op::EXP }>(x, &mut got16),
                            Op::SIGMOID => {
                                super::super::exp_avx512::map::<{ Op::SIGMOID }>(x, &mut got16)
                            }
                            _ => super::super::exp_avx512::map::<{ Op::TANH }>(x, &mut got16),
                        }
                    }
                    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got16), bits(&got2), "op {op}, {len} values");
                }
            }
        }
    }

    #[test]
    fn lstm_cell_backward_gives_the_scalar_equations_bits() {
        // n·h below and above the wide path's threshold; dy strided.
        for (n, h, stride) in [(3, 5, 7), (4, 32, 96), (2, 40, 40)] {
            let v = |len: usize, k: f32| -> Vec<f32> {
                (0..len).map(|i| ((i as f32 + k) * 0.618).sin()).collect()
            };
            let gates: Vec<f32> = v(n * 4 * h, 1.0).iter().map(|x| 0.5 + 0.4 * x).collect();
            let (c_prev, tanh_c, dh_next) = (v(n * h, 2.0), v(n * h, 3.0), v(n * h, 4.0));
            let dy = v((n - 1) * stride + h, 5.0);
            let dc0 = v(n * h, 6.0);
            let (mut dc, mut da) = (dc0.clone(), vec![f32::NAN; n * 4 * h]);
            lstm_cell_backward(
                LstmCellGrads {
                    gates: &gates,
                    c_prev: &c_prev,
                    tanh_c: &tanh_c,
                    dy: &dy,
                    dy_stride: stride,
                    dh_next: &dh_next,
                    dc: &mut dc,
                    da: &mut da,
                },
                h,
            );
            for r in 0..n {
                for j in 0..h {
                    let k = r * h + j;
                    let gate = |q: usize| gates[r * 4 * h + q * h + j];
                    let (i, f, g, o) = (gate(0), gate(1), gate(2), gate(3));
                    let tc = tanh_c[k];
                    let dh = dy[r * stride + j] + dh_next[k];
                    let dcj = dh * o * (1.0 - tc * tc) + dc0[k];
                    let want = [
                        dcj * g * i * (1.0 - i),
                        dcj * c_prev[k] * f * (1.0 - f),
                        dcj * i * (1.0 - g * g),
                        dh * tc * o * (1.0 - o),
                    ];
                    for (q, w) in want.iter().enumerate() {
                        let got = da[r * 4 * h + q * h + j];
                        assert_eq!(got.to_bits(), w.to_bits(), "n {n} h {h} gate {q}");
                    }
                    assert_eq!(dc[k].to_bits(), (dcj * f).to_bits());
                }
            }
        }
    }

    /// The gates of two rows of h = 5 (a vector and a tail per quarter):
    /// each value exactly as σ or tanh alone gives it.
    #[test]
    fn lstm_gates_are_sigmoid_and_tanh_by_quarter() {
        let h = 5;
        let pre: Vec<f32> = (0..8 * h).map(|i| (i as f32 - 20.0) * 0.41).collect();
        let mut got = vec![f32::NAN; pre.len()];
        lstm_gates(&pre, &mut got, h);
        let mut want = vec![f32::NAN; pre.len()];
        for (p, w) in pre.chunks(4 * h).zip(want.chunks_mut(4 * h)) {
            sigmoid(&p[..2 * h], &mut w[..2 * h]);
            tanh(&p[2 * h..3 * h], &mut w[2 * h..3 * h]);
            sigmoid(&p[3 * h..], &mut w[3 * h..]);
        }
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    /// The fused cell step gives the bits of its equations computed one
    /// slice at a time, for widths with a tail at 8 and 16 lanes, and for
    /// one row or several.
    #[test]
    fn lstm_cell_is_its_equations_bit_for_bit() {
        for (n, h) in [(1, 32), (3, 20), (2, 5)] {
            let pre: Vec<f32> = (0..n * 4 * h)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.13)
                .collect();
            let c_prev: Vec<f32> = (0..n * h)
                .map(|i| ((i * 11 % 23) as f32 - 11.0) * 0.3)
                .collect();
            let mut gates = vec![f32::NAN; n * 4 * h];
            let (mut c, mut tc, mut hn) = (
                vec![f32::NAN; n * h],
                vec![f32::NAN; n * h],
                vec![f32::NAN; n * h],
            );
            lstm_cell(
                LstmCellStep {
                    pre: &pre,
                    gates: &mut gates,
                    c_prev: &c_prev,
                    c_next: &mut c,
                    tanh_c: &mut tc,
                    h_next: &mut hn,
                },
                h,
            );
            let mut want_gates = vec![f32::NAN; n * 4 * h];
            lstm_gates(&pre, &mut want_gates, h);
            let mut want_c = vec![0.0; n * h];
            for (r, g) in want_gates.chunks(4 * h).enumerate() {
                for j in 0..h {
                    want_c[r * h + j] = g[h + j] * c_prev[r * h + j] + g[j] * g[2 * h + j];
                }
            }
            let mut want_tc = vec![0.0; n * h];
            tanh(&want_c, &mut want_tc);
            let want_h: Vec<f32> = (0..n * h)
                .map(|k| want_gates[k / h * 4 * h + 3 * h + k % h] * want_tc[k])
                .collect();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&gates), bits(&want_gates), "gates, n {n}, h {h}");
            assert_eq!(bits(&c), bits(&want_c), "c, n {n}, h {h}");
            assert_eq!(bits(&tc), bits(&want_tc), "tanh c, n {n}, h {h}");
            assert_eq!(bits(&hn), bits(&want_h), "h, n {n}, h {h}");
        }
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        let x = [
            -1000.0,
            -100.0,
            100.0,
            1000.0,
            0.0,
            1.0,
            -1.0,
            3.0,
            f32::MAX,
        ];
        let mut y = [0.0; 9];
        sigmoid(&x, &mut y);
        assert!(y.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
        assert!(y[0] < 1e-30, "{y:?}");
        assert_eq!(y[3], 1.0);
    }

    #[test]
    fn axpy_and_masks() {
        let x: Vec<f32> = (0..19).map(|i| i as f32 - 9.0).collect();
        let mut y = vec![1.0; 19];
        axpy(2.0, &x, &mut y);
        assert!(y.iter().zip(&x).all(|(y, x)| *y == 1.0 + 2.0 * x));
        let mut d = vec![f32::NAN; 19];
        relu_backward(&x, &[1.0; 19], &mut d);
        assert!(d
            .iter()
            .zip(&x)
            .all(|(d, x)| *d == if *x > 0.0 { 1.0 } else { 0.0 }));
    }
}
