//! Matrix products that read like their formulas.
//!
//! A [`Mat`] is a read-only matrix view of a tensor's values — the whole
//! tensor as `[rows, row_len]` ([`Tensor::mat`]), its transpose
//! ([`Tensor::t`], [`Mat::t`]) or one item of a batch ([`Tensor::item`]:
//! item n of `[N, a, b, …]` as `[a, b·…]`). A [`MatMut`] is the writable
//! twin. Products check shapes and then run the 10-argument [`gemm`] kernel
//! interface, so a backward pass is one line per formula:
//!
//! ```
//! # use aedetect_tensor::Tensor;
//! # let (x, w) = (Tensor::zeros(&[4, 3]), Tensor::zeros(&[2, 3]));
//! # let (mut y, mut dw) = (Tensor::zeros(&[4, 2]), Tensor::zeros(&[2, 3]));
//! # let dy = y.clone();
//! y.mat_mut().set_product(x.mat(), w.t()); // Y = X·Wᵀ
//! dw.mat_mut().add_product(dy.t(), x.mat()); // dW += dYᵀ·X
//! ```
//!
//! Views hold the values they show, never handing a raw slice out, so the
//! storage stays the tensor crate's business. [`Tensor::par_items_mut`]
//! gives one writable view per item of a batch at once, for work that runs
//! on every image in parallel.

use crate::gemm::{gemm, Trans};
use crate::Tensor;
use rayon::prelude::*;

/// A read-only `rows × cols` matrix view, possibly transposed.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    /// The stored values (row-major, before the transpose).
    data: &'a [f32],
    /// Rows and columns as stored (before the transpose).
    stored: (usize, usize),
    trans: Trans,
}

/// A writable `rows × cols` matrix view.
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
}

impl<'a> Mat<'a> {
    /// The transposed view (no copy).
    pub fn t(self) -> Mat<'a> {
        let trans = match self.trans {
            Trans::N => Trans::T,
            Trans::T => Trans::N,
        };
        Mat { trans, ..self }
    }

    /// Rows of the matrix this view shows (after any transpose).
    pub fn rows(&self) -> usize {
        match self.trans {
            Trans::N => self.stored.0,
            Trans::T => self.stored.1,
        }
    }

    /// Columns of the matrix this view shows (after any transpose).
    pub fn cols(&self) -> usize {
        match self.trans {
            Trans::N => self.stored.1,
            Trans::T => self.stored.0,
        }
    }

    /// The stored values (row-major, before the transpose).
    pub(crate) fn values(&self) -> &'a [f32] {
        self.data
    }
}

impl MatMut<'_> {
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub(crate) fn values_mut(&mut self) -> &mut [f32] {
        self.data
    }

    /// The same values, read-only.
    pub fn as_mat(&self) -> Mat<'_> {
        Mat {
            data: self.data,
            stored: (self.rows, self.cols),
            trans: Trans::N,
        }
    }

    /// A shorter-lived view of the same values (to pass on and use again).
    pub fn reborrow(&mut self) -> MatMut<'_> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// C = A·B
    pub fn set_product(self, a: Mat<'_>, b: Mat<'_>) {
        self.product(1.0, a, b, 0.0);
    }

    /// C += A·B
    pub fn add_product(self, a: Mat<'_>, b: Mat<'_>) {
        self.product(1.0, a, b, 1.0);
    }

    /// C −= A·B
    pub fn sub_product(self, a: Mat<'_>, b: Mat<'_>) {
        self.product(-1.0, a, b, 1.0);
    }

    /// C = α·A·B + β·C (with β = 0, C's old values are ignored, NaN included).
    ///
    /// # Panics
    /// If the shapes do not chain: A is m×k, B k×n and C m×n.
    pub fn product(mut self, alpha: f32, a: Mat<'_>, b: Mat<'_>, beta: f32) {
        let (m, k, n) = (a.rows(), a.cols(), b.cols());
        assert!(
            b.rows() == k && self.rows == m && self.cols == n,
            "product: C [{}, {}] = A [{m}, {k}] · B [{}, {n}] does not chain",
            self.rows,
            self.cols,
            b.rows()
        );
        gemm(
            a.trans,
            b.trans,
            m,
            n,
            k,
            alpha,
            a.values(),
            b.values(),
            beta,
            self.values_mut(),
        );
    }
}

impl Tensor {
    /// The tensor as a `[rows, row_len]` matrix.
    pub fn mat(&self) -> Mat<'_> {
        Mat {
            data: self.data(),
            stored: (self.rows(), self.row_len()),
            trans: Trans::N,
        }
    }

    /// The transpose of [`Tensor::mat`].
    pub fn t(&self) -> Mat<'_> {
        self.mat().t()
    }

    /// Item `n` of a batch `[N, a, b, …]` as an `[a, b·…]` matrix (an image's
    /// channels × pixels, a sample's rows × columns).
    ///
    /// # Panics
    /// If `n` is out of range or the tensor has fewer than two axes.
    pub fn item(&self, n: usize) -> Mat<'_> {
        let (offset, stored) = self.item_span(n);
        Mat {
            data: &self.data()[offset..offset + stored.0 * stored.1],
            stored,
            trans: Trans::N,
        }
    }

    /// Writable twin of [`Tensor::mat`].
    pub fn mat_mut(&mut self) -> MatMut<'_> {
        let (rows, cols) = (self.rows(), self.row_len());
        MatMut {
            data: self.data_mut(),
            rows,
            cols,
        }
    }

    /// Writable twin of [`Tensor::item`].
    pub fn item_mut(&mut self, n: usize) -> MatMut<'_> {
        let (offset, (rows, cols)) = self.item_span(n);
        MatMut {
            data: &mut self.data_mut()[offset..offset + rows * cols],
            rows,
            cols,
        }
    }

    /// Every item of a batch `[N, a, b, …]` as a writable `[a, b·…]` view,
    /// for the rayon pool: `y.par_items_mut().enumerate().for_each(|(n, y_n)| …)`.
    ///
    /// # Panics
    /// If the tensor has fewer than two axes or its items hold no values.
    pub fn par_items_mut(&mut self) -> impl IndexedParallelIterator<Item = MatMut<'_>> {
        let shape = self.shape();
        assert!(
            shape.len() >= 2 && self.row_len() > 0,
            "items of a tensor of shape {shape:?}"
        );
        let (rows, cols) = (shape[1], shape[2..].iter().product::<usize>());
        self.data_mut()
            .par_chunks_mut(rows * cols)
            .map(move |data| MatMut { data, rows, cols })
    }

    /// Offset and `[a, b·…]` shape of item `n`.
    fn item_span(&self, n: usize) -> (usize, (usize, usize)) {
        let shape = self.shape();
        assert!(
            shape.len() >= 2 && n < shape[0],
            "item {n} of a tensor of shape {shape:?}"
        );
        let rows = shape[1];
        let cols = shape[2..].iter().product();
        (n * self.row_len(), (rows, cols))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::gemm_reference;

    fn counting(shape: &[usize]) -> Tensor {
        let n = shape.iter().product::<usize>();
        Tensor::from_vec(shape, (0..n).map(|i| (i as f32 * 0.37).sin()).collect())
    }

    #[test]
    fn products_equal_the_kernel_call_they_stand_for() {
        let (x, w) = (counting(&[5, 3]), counting(&[4, 3]));
        let mut y = Tensor::zeros(&[5, 4]);
        y.mat_mut().set_product(x.mat(), w.t());
        let mut want = vec![0.0; 20];
        gemm_reference(
            Trans::N,
            Trans::T,
            5,
            4,
            3,
            1.0,
            x.data(),
            w.data(),
            0.0,
            &mut want,
        );
        for (a, b) in y.data().iter().zip(&want) {
            assert!((a - b).abs() < 1e-6);
        }
        // dW += dYᵀ·X accumulates.
        let mut dw = Tensor::from_vec(&[4, 3], vec![1.0; 12]);
        dw.mat_mut().add_product(y.t(), x.mat());
        let mut want = vec![1.0; 12];
        gemm_reference(
            Trans::T,
            Trans::N,
            4,
            3,
            5,
            1.0,
            y.data(),
            x.data(),
            1.0,
            &mut want,
        );
        for (a, b) in dw.data().iter().zip(&want) {
            assert!((a - b).abs() < 1e-5);
        }
    }

    #[test]
    fn items_are_the_batch_entries() {
        let x = counting(&[3, 2, 2, 2]);
        let w = counting(&[5, 2]);
        let mut y = Tensor::zeros(&[3, 5, 4]);
        for n in 0..3 {
            y.item_mut(n).set_product(w.mat(), x.item(n));
        }
        // The view is the kernel call on that item's values, bit for bit.
        let mut want = vec![0.0; 20];
        gemm(
            Trans::N,
            Trans::N,
            5,
            4,
            2,
            1.0,
            w.data(),
            &x.data()[16..],
            0.0,
            &mut want,
        );
        assert_eq!(&y.data()[40..], &want[..]);
        assert_eq!(
            (x.item(1).rows(), x.item(1).cols(), x.item(1).t().rows()),
            (2, 4, 4)
        );
    }

    /// The parallel views are the items, each writable on its own.
    #[test]
    fn parallel_items_are_the_items() {
        let w = counting(&[5, 2]);
        let x = counting(&[3, 2, 4]);
        let mut serial = Tensor::zeros(&[3, 5, 4]);
        for n in 0..3 {
            serial.item_mut(n).set_product(w.mat(), x.item(n));
        }
        let mut parallel = Tensor::zeros(&[3, 5, 4]);
        parallel
            .par_items_mut()
            .enumerate()
            .for_each(|(n, y)| y.set_product(w.mat(), x.item(n)));
        assert_eq!(parallel.data(), serial.data());
        assert_eq!(Tensor::zeros(&[0, 5, 4]).par_items_mut().count(), 0);
    }

    #[test]
    #[should_panic(expected = "does not chain")]
    fn mismatched_shapes_are_refused() {
        let (a, b) = (Tensor::zeros(&[2, 3]), Tensor::zeros(&[2, 3]));
        let mut c = Tensor::zeros(&[2, 2]);
        c.mat_mut().set_product(a.mat(), b.mat());
    }
}
