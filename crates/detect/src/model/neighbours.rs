//! Exact k-nearest-neighbour search through our GEMM, in bounded memory.
//!
//! For query rows q and reference rows r (both d features),
//!   ‖q − r‖² = ‖q‖² + ‖r‖² − 2·q·rᵀ,
//! so one block of queries against one tile of references is a matrix
//! product: C = −2·Q·Rᵀ. ‖q‖² is the same for every candidate of a row, so
//! ranking needs only C + ‖r‖²; each row keeps its k smallest while the
//! tiles go by. Most candidates lose to the row's current k-th best, so the
//! scan tests a run of 16 at once and looks closer only at a run holding a
//! winner (a comparison the compiler turns into SIMD). The k winners' distances are
//! then recomputed directly as Σ (q − r)², which the expansion's rounding
//! (‖q‖² and ‖r‖² large, their difference small) cannot spoil.
//!
//! Memory: one [rows, TILE] block of C, whatever the reference size. Work
//! is spread over the thread pool twice per tile: the product by the GEMM,
//! the top-k scan by rows. A row's result depends only on that row, so it is
//! the same bits for any thread count and any block of queries around it.

use aedetect_tensor::{gemm, Tensor, Trans};
use rayon::prelude::*;

/// Reference rows per tile of C: 1,024 query rows × 256 references is
/// 1 MiB, half a core's L2 on each of two cores.
pub const TILE: usize = 256;

/// Candidates the scan tests at once.
const RUN: usize = 16;

/// Below this many entries of C per tile, the top-k scan stays on the
/// calling thread (waking a second one costs more).
const PARALLEL_MIN_ENTRIES: usize = 1 << 15;

/// ‖r‖² of every reference row, into `out`.
pub fn squared_norms(reference: &Tensor, out: &mut Vec<f32>) {
    out.clear();
    out.extend(
        reference
            .data()
            .chunks_exact(reference.row_len())
            .map(|r| r.iter().map(|v| v * v).sum::<f32>()),
    );
}

/// The buffers of a search; reused from call to call.
#[derive(Default)]
pub struct NeighbourSearch {
    /// [rows, TILE]: −2·q·r for the current tile.
    tile: Vec<f32>,
    /// [rows, k]: each row's best ranking keys so far (‖r‖² − 2·q·r),
    /// ascending.
    best: Vec<f32>,
    /// [rows, k]: their reference rows.
    index: Vec<u32>,
}

impl NeighbourSearch {
    /// For each row of `query`, the Euclidean distances to its `k` nearest
    /// rows of `reference` in ascending order, into `out` ([rows, k]).
    /// `norms` holds [`squared_norms`] of `reference`.
    ///
    /// # Panics
    /// If the rows are empty or of different widths, `k` is 0 or exceeds the reference rows, or
    /// `norms` does not match.
    pub fn nearest(
        &mut self,
        reference: &Tensor,
        norms: &[f32],
        query: &Tensor,
        k: usize,
        out: &mut Vec<f32>,
    ) {
        let (n, d, rows) = (reference.rows(), reference.row_len(), query.rows());
        assert!(
            d > 0 && query.row_len() == d && norms.len() == n && (1..=n).contains(&k),
            "neighbour search: {rows}×{} queries, {n}×{d} references, {} norms, k = {k}",
            query.row_len(),
            norms.len()
        );
        assert!(n <= u32::MAX as usize, "at most 2³² reference rows");
        self.best.clear();
        self.best.resize(rows * k, f32::INFINITY);
        self.index.clear();
        self.index.resize(rows * k, 0);
        self.tile.resize(rows * TILE.min(n), 0.0);
        for start in (0..n).step_by(TILE) {
            let width = TILE.min(n - start);
            let tile = &mut self.tile[..rows * width];
            gemm(
                Trans::N,
                Trans::T,
                rows,
                width,
                d,
                -2.0,
                query.data(),
                reference.rows_slice(start, start + width),
                0.0,
                tile,
            );
            let norms = &norms[start..start + width];
            let scan = |((c, best), index): ((&[f32], &mut [f32]), &mut [u32])| {
                keep_smallest(c, norms, start as u32, best, index)
            };
            if rows * width >= PARALLEL_MIN_ENTRIES {
                tile.par_chunks_exact(width)
                    .zip(self.best.par_chunks_exact_mut(k))
                    .zip(self.index.par_chunks_exact_mut(k))
                    .for_each(scan);
            } else {
                tile.chunks_exact(width)
                    .zip(self.best.chunks_exact_mut(k))
                    .zip(self.index.chunks_exact_mut(k))
                    .for_each(scan);
            }
        }
        out.clear();
        out.resize(rows * k, 0.0);
        let exact = |((q, o), index): ((&[f32], &mut [f32]), &[u32])| {
            for (o, &i) in o.iter_mut().zip(index) {
                *o = squared_distance(q, reference.row(i as usize));
            }
            o.sort_unstable_by(f32::total_cmp);
            o.iter_mut().for_each(|v| *v = v.sqrt());
        };
        if rows * k * d >= PARALLEL_MIN_ENTRIES {
            query
                .data()
                .par_chunks_exact(d)
                .zip(out.par_chunks_exact_mut(k))
                .zip(self.index.par_chunks_exact(k))
                .for_each(exact);
        } else {
            query
                .data()
                .chunks_exact(d)
                .zip(out.chunks_exact_mut(k))
                .zip(self.index.chunks_exact(k))
                .for_each(exact);
        }
    }
}

/// Merges one row of C + ‖r‖² (candidates `first`, `first + 1`, …) into
/// that row's ascending top-k. Ties keep the earlier reference row. NaN
/// never enters (a reference row with a NaN is refused on loading).
fn keep_smallest(c: &[f32], norms: &[f32], first: u32, best: &mut [f32], index: &mut [u32]) {
    let k = best.len();
    let mut worst = best[k - 1];
    let mut insert = |j: usize, v: f32, worst: &mut f32| {
        let mut at = k - 1;
        while at > 0 && best[at - 1] > v {
            best[at] = best[at - 1];
            index[at] = index[at - 1];
            at -= 1;
        }
        best[at] = v;
        index[at] = first + j as u32;
        *worst = best[k - 1];
    };
    let whole = c.len() / RUN * RUN;
    for (run, (c, n)) in c[..whole]
        .chunks_exact(RUN)
        .zip(norms[..whole].chunks_exact(RUN))
        .enumerate()
    {
        // Branch-free over the run, so it vectorises.
        let wins = c
            .iter()
            .zip(n)
            .fold(false, |any, (c, n)| any | (c + n < worst));
        if wins {
            for (i, (c, n)) in c.iter().zip(n).enumerate() {
                let v = c + n;
                if v < worst {
                    insert(run * RUN + i, v, &mut worst);
                }
            }
        }
    }
    for (j, (c, n)) in c.iter().zip(norms).enumerate().skip(whole) {
        let v = c + n;
        if v < worst {
            insert(j, v, &mut worst);
        }
    }
}

/// Σ (a − b)², summed in f32 in a fixed order.
fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let t = x - y;
            t * t
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aedetect_tensor::{init, rng};

    fn random(rows: usize, d: usize, seed: u64) -> Tensor {
        let mut x = Tensor::zeros(&[rows, d]);
        init::uniform(&mut x, -2.0, 2.0, &mut rng::seeded(seed));
        x
    }

    /// Every distance, sorted: the definition the search must match.
    fn brute_force(reference: &Tensor, query: &Tensor, k: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for q in 0..query.rows() {
            let mut all: Vec<f32> = (0..reference.rows())
                .map(|r| squared_distance(query.row(q), reference.row(r)).sqrt())
                .collect();
            all.sort_by(f32::total_cmp);
            out.extend_from_slice(&all[..k]);
        }
        out
    }

    fn search(reference: &Tensor, query: &Tensor, k: usize) -> Vec<f32> {
        let mut norms = Vec::new();
        squared_norms(reference, &mut norms);
        let mut out = Vec::new();
        NeighbourSearch::default().nearest(reference, &norms, query, k, &mut out);
        out
    }

    /// Shapes across the tile edge (TILE ± 1, several tiles), one row and
    /// many, narrow and wide rows, k from 1 to all references.
    #[test]
    fn matches_brute_force_on_every_shape_class() {
        for (n, d, rows, k) in [
            (1, 1, 1, 1),
            (7, 3, 5, 7),
            (TILE - 1, 6, 33, 5),
            (TILE, 6, 1, 5),
            (TILE + 1, 21, 40, 5),
            (3 * TILE + 17, 9, 129, 10),
            (600, 100, 70, 1),
        ] {
            let reference = random(n, d, n as u64);
            let query = random(rows, d, 1000 + rows as u64);
            let got = search(&reference, &query, k);
            let want = brute_force(&reference, &query, k);
            assert_eq!(got, want, "n {n} d {d} rows {rows} k {k}");
        }
    }

    /// A query equal to a reference row is at distance exactly 0, even
    /// where ‖q‖² is large (the expansion alone would leave rounding).
    #[test]
    fn a_reference_row_is_its_own_nearest_at_zero() {
        let mut reference = random(300, 12, 3);
        reference.data_mut().iter_mut().for_each(|v| *v += 1000.0);
        let query = reference.select_rows(&[0, 150, 299]);
        let got = search(&reference, &query, 1);
        assert_eq!(got, vec![0.0; 3]);
    }

    /// The same bits on 1 and 3 threads, and whether a row is scored alone
    /// or in a block.
    #[test]
    fn same_bits_for_any_thread_count_or_block() {
        let reference = random(2000, 17, 5);
        let query = random(300, 17, 6);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| search(&reference, &query, 5))
        };
        let one = run(1);
        assert_eq!(one, run(3));
        let alone = search(&reference, &query.select_rows(&[123]), 5);
        assert_eq!(alone, one[123 * 5..124 * 5]);
    }
}
