//! The tensor type: a shape and a contiguous row-major `Vec<f32>`.

use std::fmt;

/// An f32 tensor, row-major and contiguous. The first axis is the batch axis.
#[derive(Clone, PartialEq, Default)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        }
    }

    /// A tensor that takes ownership of `data`.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    pub fn from_vec(shape: &[usize], data: Vec<f32>) -> Self {
        let n: usize = shape.iter().product();
        assert_eq!(
            n,
            data.len(),
            "shape {shape:?} needs {n} values, got {}",
            data.len()
        );
        Tensor {
            shape: shape.to_vec(),
            data,
        }
    }

    /// Changes the shape in place, growing or shrinking the storage. Existing
    /// capacity is kept, so a buffer that once held the largest batch is never
    /// reallocated again: this is how layers size their caches on first use.
    /// Values are unspecified afterwards (callers overwrite them).
    pub fn resize(&mut self, shape: &[usize]) {
        // Compared element by element: slice equality of `usize` calls
        // libc's memcmp, 7 % of scoring one row through the seed network.
        let same = self.shape.len() == shape.len()
            && self
                .shape
                .iter()
                .zip(shape)
                .all(|(have, want)| have == want);
        if !same {
            self.shape.clear();
            self.shape.extend_from_slice(shape);
            self.data.resize(shape.iter().product(), 0.0);
        }
    }

    /// Reinterprets the same values with another shape of equal size.
    ///
    /// # Panics
    /// If the element counts differ.
    pub fn reshape(&mut self, shape: &[usize]) {
        let n: usize = shape.iter().product();
        assert_eq!(
            n,
            self.data.len(),
            "cannot reshape {:?} to {shape:?}",
            self.shape
        );
        self.shape.clear();
        self.shape.extend_from_slice(shape);
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Size of the first axis (the batch).
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Elements per row: the product of all axes but the first.
    pub fn row_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// A copy of the values, row-major.
    pub fn to_vec(&self) -> Vec<f32> {
        self.data.clone()
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[f32] {
        let w = self.row_len();
        &self.data[i * w..(i + 1) * w]
    }

    /// Borrowed values of rows `start..end` (a mini-batch view, no copy).
    pub fn rows_slice(&self, start: usize, end: usize) -> &[f32] {
        let w = self.row_len();
        &self.data[start * w..end * w]
    }

    /// Copies rows `start..end` of `src` into `self`, resizing it to fit.
    pub fn copy_rows_from(&mut self, src: &Tensor, start: usize, end: usize) {
        self.resize_rows_like(src, end - start);
        self.data.copy_from_slice(src.rows_slice(start, end));
    }

    /// Copies rows `idx` of `src`, in that order, into `self`, resizing it to
    /// fit (no allocation once it has held that many values).
    pub fn select_rows_from(&mut self, src: &Tensor, idx: &[usize]) {
        self.resize_rows_like(src, idx.len());
        let w = src.row_len();
        for (dst, &i) in self.data.chunks_exact_mut(w).zip(idx) {
            dst.copy_from_slice(src.row(i));
        }
    }

    /// A new tensor of rows `idx` of `self`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Tensor {
        let mut t = Tensor::default();
        t.select_rows_from(self, idx);
        t
    }

    /// Resizes to `src`'s shape with `rows` rows, without allocating a shape.
    fn resize_rows_like(&mut self, src: &Tensor, rows: usize) {
        let mut shape = [0usize; 8];
        let dims = src.shape.len();
        shape[..dims].copy_from_slice(&src.shape);
        shape[0] = rows;
        self.resize(&shape[..dims]);
    }

    /// Copies the values (and shape) of `src`, reusing storage.
    pub fn assign(&mut self, src: &Tensor) {
        self.resize(&src.shape);
        self.data.copy_from_slice(&src.data);
    }

    /// Sets every element to `v`.
    pub fn fill(&mut self, v: f32) {
        self.data.fill(v);
    }

    /// The values as bytes (little-endian f32 on every supported target), for saving.
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.data)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Tensor{:?} [", self.shape)?;
        for (i, v) in self.data.iter().take(SHOWN).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{v}")?;
        }
        if self.data.len() > SHOWN {
            write!(f, ", …")?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_keeps_capacity_for_smaller_batches() {
        let mut t = Tensor::zeros(&[64, 20]);
        let cap = t.data.capacity();
        t.resize(&[16, 20]);
        assert_eq!(t.len(), 320);
        t.resize(&[64, 20]);
        assert_eq!(t.data.capacity(), cap);
    }

    #[test]
    fn row_views() {
        let t = Tensor::from_vec(&[3, 2], vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(t.row(1), &[3., 4.]);
        assert_eq!(t.rows_slice(1, 3), &[3., 4., 5., 6.]);
        let mut b = Tensor::default();
        b.copy_rows_from(&t, 0, 2);
        assert_eq!(b.shape(), &[2, 2]);
        assert_eq!(b.data(), &[1., 2., 3., 4.]);
        let picked = t.select_rows(&[2, 0]);
        assert_eq!(picked.shape(), &[2, 2]);
        assert_eq!(picked.data(), &[5., 6., 1., 2.]);
    }
}
