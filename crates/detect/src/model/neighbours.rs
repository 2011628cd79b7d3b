//! Exact k-nearest-neighbour search in bounded memory, by two paths that
//! give the same answer: each query row's k smallest squared distances
//! Σ (q − r)² (`reduce::squared_distance`, a fixed order), ascending.
//!
//! **Screened** (CPUs with AVX-512 BF16 or VNNI: Zen 4 and later). Ranking
//! needs only key(r) = ‖r‖² − 2·q·r (‖q‖² is the same for every candidate).
//! The tensor crate's dot screen computes q·r from roundings q̃, r̃ of the
//! rows, with a proven bound on its error: bf16 at twice the f32 rate, or,
//! from `INT8_MIN_WIDTH` (64) features, 8-bit integers at twice that again
//! with a wider bound (`Rounding::for_width`). So each pair gets an interval
//! [key − w, key + w] that holds its true key, widened further to cover the
//! rounding of the exact distances that decide in the end:
//!   w = 2(‖Δq‖·‖r‖ + ‖q̃‖·‖Δr‖ + γ‖q̃‖·‖r̃‖) + η(‖q‖² + ‖r‖²) + small terms,
//! with ‖Δq‖ = ‖q − q̃‖ (on random data about 2⁻¹⁰·‖q‖ in bf16, 2⁻⁷ in
//! int8), γ ≈ d·2⁻²³ (bf16) or 2⁻²² (int8) and η = (d + 64)·2⁻²¹.
//! Each row keeps the k smallest upper ends seen (τ, the k-th, is then above
//! k true keys), and a pair whose lower end is above τ cannot be among the
//! k nearest: the screen drops it without writing anything. The few pairs
//! left (about k·ln(n/k) per row on random data in bf16) get exact
//! distances, in batches of [`candidate_cap`], nearest-looking first: once k
//! are exact, τ is the k-th exact key, and the rest of the batch stops at
//! the first lower end past it. The k smallest exact distances among the
//! candidates are then the k smallest of all: the answer does not depend
//! on which pairs the screen let through, so it has the same bits for any
//! block or thread count, and in either rounding. A row whose k nearest are
//! all at distance 0 stops there: copies of the query, which no bound can
//! tell from it, cannot change the answer.
//!
//! **Product** (everywhere else, and for rows too large for the bound): for
//! query rows q and reference rows r, ‖q − r‖² = ‖q‖² + ‖r‖² − 2·q·rᵀ, so one
//! block of queries against one tile of references is a matrix product C =
//! −2·Q·Rᵀ through our GEMM; each row keeps its k smallest C + ‖r‖² while
//! the tiles go by. Most candidates lose to the row's current k-th best, so
//! the scan tests a run of 16 at once and looks closer only at a run holding
//! a winner. Its k winners' distances are then recomputed exactly. Memory:
//! one [rows, TILE] block of C, whatever the reference size. Here the
//! winners are chosen by the expansion's f32 rounding, so on a near tie
//! (two distances within a few ulps of ‖q‖² + ‖r‖²) the two paths can
//! report different neighbours' distances.

use aedetect_tensor::kernels::dot_screen::{
    self, QueryTerms, ReferenceTerms, Rounding, ScreenPanels, ABSOLUTE_ERROR, MAX_SQUARED_NORM,
};
use aedetect_tensor::kernels::prefetch::prefetch;
use aedetect_tensor::kernels::reduce::{squared_distance, squared_distances};
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

/// Query rows per task of the screened path: 8 of the screen's 12-row
/// panels, whose bf16 rows (150 KiB at 784 features) stay in L2 while every
/// panel of references goes by.
const SCREEN_BLOCK: usize = 96;

/// Below this many multiply-adds the screened path stays on the calling
/// thread.
const SCREEN_PARALLEL_MIN: usize = 1 << 22;

/// Candidates a row of the screened path holds before it computes their
/// exact distances (which also tightens its τ, so fewer follow).
fn candidate_cap(k: usize) -> usize {
    8 * k + 64
}

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

/// η of the widening for rows of `d` features: (d + 64)·2⁻²¹. It covers
/// the f32 rounding of ‖r‖², of the key and of the exact distances the
/// answer is chosen by (each within d·2⁻²⁴ of its size), with room.
fn rounding_margin(d: usize) -> f32 {
    ((d as f64 + 64.0) * 2f64.powi(-21)) as f32
}

/// What a search needs of the reference rows besides the rows: ‖r‖² and,
/// where the screen runs, the rows in bf16 with the terms of their widths.
/// Build it again whenever the references change.
#[derive(Clone, Debug, Default)]
pub struct ReferenceIndex {
    squared_norms: Vec<f32>,
    screen: Option<ScreenIndex>,
}

#[derive(Clone, Debug)]
struct ScreenIndex {
    panels: ScreenPanels,
    /// ‖r‖.
    norms: Vec<f32>,
    /// η‖r‖² + 2δ.
    slack: Vec<f32>,
}

impl ReferenceIndex {
    /// The index of `reference`'s rows; the screen's part only where the
    /// CPU runs it and the rows are within its bound.
    pub fn build(reference: &Tensor) -> Self {
        Self::build_with(reference, Rounding::for_width(reference.row_len()))
    }

    /// The index with the screen's part in `rounding` (none without one),
    /// where the rows are within its bound. Tests hold every rounding the
    /// CPU runs to one answer with it.
    pub(crate) fn build_with(reference: &Tensor, rounding: Option<Rounding>) -> Self {
        let mut squared = Vec::new();
        squared_norms(reference, &mut squared);
        let d = reference.row_len();
        let rounding = rounding.filter(|r| {
            r.available() && d <= r.max_width() && squared.iter().all(|&s| s <= MAX_SQUARED_NORM)
        });
        let screen = rounding.map(|rounding| {
            let mut panels = ScreenPanels::default();
            panels.pack_references(reference.data(), d, rounding);
            let eta = rounding_margin(d);
            let norms: Vec<f32> = squared.iter().map(|s| s.sqrt()).collect();
            let slack = squared
                .iter()
                .map(|s| eta * s + 2.0 * ABSOLUTE_ERROR)
                .collect();
            ScreenIndex {
                panels,
                norms,
                slack,
            }
        });
        ReferenceIndex {
            squared_norms: squared,
            screen,
        }
    }

    /// ‖r‖² of every reference row.
    pub fn squared_norms(&self) -> &[f32] {
        &self.squared_norms
    }

    /// Whether searches against these rows take the screened path (for
    /// queries within the bound).
    pub fn screened(&self) -> bool {
        self.screen.is_some()
    }

    /// The screen's rounding, where searches take the screened path.
    pub fn rounding(&self) -> Option<Rounding> {
        self.screen.as_ref().map(|s| s.panels.rounding())
    }
}

/// The buffers of a search; reused from call to call.
#[derive(Default)]
pub struct NeighbourSearch {
    /// [rows, TILE]: −2·q·r for the current tile (product path).
    tile: Vec<f32>,
    /// [rows, k]: each row's best ranking keys so far (‖r‖² − 2·q·r),
    /// ascending (product path).
    best: Vec<f32>,
    /// [rows, k]: their reference rows (product path).
    index: Vec<u32>,
    /// ‖q‖² of the queries (screened path).
    query_norms: Vec<f32>,
    /// One block's buffers when the screened path runs on this thread.
    block: ScreenBlock,
}

impl NeighbourSearch {
    /// For each row of `query`, the Euclidean distances to its `k` nearest
    /// rows of `reference` in ascending order, into `out` ([rows, k]).
    /// `index` is [`ReferenceIndex::build`] of `reference`.
    ///
    /// # Panics
    /// If the rows are empty or of different widths, `k` is 0 or exceeds the
    /// reference rows, or `index` does not match.
    pub fn nearest(
        &mut self,
        reference: &Tensor,
        index: &ReferenceIndex,
        query: &Tensor,
        k: usize,
        out: &mut Vec<f32>,
    ) {
        let (n, d, rows) = (reference.rows(), reference.row_len(), query.rows());
        assert!(
            d > 0 && query.row_len() == d && index.squared_norms.len() == n && (1..=n).contains(&k),
            "neighbour search: {rows}×{} queries, {n}×{d} references, {} norms, k = {k}",
            query.row_len(),
            index.squared_norms.len()
        );
        assert!(n <= u32::MAX as usize, "at most 2³² reference rows");
        if let Some(screen) = &index.screen {
            squared_norms(query, &mut self.query_norms);
            if self.query_norms.iter().all(|&s| s <= MAX_SQUARED_NORM) {
                return self.nearest_screened(reference, index, screen, query, k, out);
            }
        }
        self.nearest_by_product(reference, &index.squared_norms, query, k, out);
    }

    /// The screened path (module docs).
    fn nearest_screened(
        &mut self,
        reference: &Tensor,
        index: &ReferenceIndex,
        screen: &ScreenIndex,
        query: &Tensor,
        k: usize,
        out: &mut Vec<f32>,
    ) {
        let (n, d, rows) = (reference.rows(), reference.row_len(), query.rows());
        out.clear();
        out.resize(rows * k, 0.0);
        let terms = ReferenceTerms {
            base: &index.squared_norms,
            norm: &screen.norms,
            residual: screen.panels.residuals(),
            slack: &screen.slack,
        };
        let search = |block: &mut ScreenBlock, ((q, norms), o): ((&[f32], &[f32]), &mut [f32])| {
            block.search(q, norms, reference, &screen.panels, terms, k, o)
        };
        let blocks = query
            .data()
            .chunks(SCREEN_BLOCK * d)
            .zip(self.query_norms.chunks(SCREEN_BLOCK))
            .zip(out.chunks_mut(SCREEN_BLOCK * k));
        if rows > SCREEN_BLOCK && rows * n * d >= SCREEN_PARALLEL_MIN {
            query
                .data()
                .par_chunks(SCREEN_BLOCK * d)
                .zip(self.query_norms.par_chunks(SCREEN_BLOCK))
                .zip(out.par_chunks_mut(SCREEN_BLOCK * k))
                .for_each_init(ScreenBlock::default, search);
        } else {
            let block = &mut self.block;
            blocks.for_each(|b| search(block, b));
        }
    }

    /// The product path (module docs). Public to the crate so tests can
    /// hold both paths to one answer on machines that screen.
    pub(crate) fn nearest_by_product(
        &mut self,
        reference: &Tensor,
        norms: &[f32],
        query: &Tensor,
        k: usize,
        out: &mut Vec<f32>,
    ) {
        let (n, d, rows) = (reference.rows(), reference.row_len(), query.rows());
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

/// The buffers of one block of queries on the screened path.
#[derive(Default)]
struct ScreenBlock {
    panels: ScreenPanels,
    /// The scale of the width's ‖r‖ term per row: 2(‖Δq‖ + γ‖q̃‖).
    scale: Vec<f32>,
    /// The scale of its ‖Δr‖ term: 2(1 + γ)‖q̃‖.
    residual_scale: Vec<f32>,
    /// η‖q‖² + 2δ per row.
    slack: Vec<f32>,
    /// τ per row.
    thresholds: Vec<f32>,
    rows: Vec<RowSearch>,
}

impl ScreenBlock {
    /// The k nearest distances of each row of `q` (rows of `norms.len()`),
    /// ascending, into `out`.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &mut self,
        q: &[f32],
        norms: &[f32],
        reference: &Tensor,
        references: &ScreenPanels,
        terms: ReferenceTerms<'_>,
        k: usize,
        out: &mut [f32],
    ) {
        let (rows, d) = (norms.len(), reference.row_len());
        let rounding = references.rounding();
        let (gamma, eta) = (rounding.accumulation_error(d), rounding_margin(d));
        // 2⁻²⁰ of room covers the f32 evaluation of the width, and
        // 2⁻²⁰·‖q‖ (times ‖r‖) the key's own rounding. The f32 norms the
        // width scales are low by at most d·2⁻²⁴ of themselves, which moves
        // it by far less than η's spare: η is (8d + 512)·2⁻²⁴ where the
        // roundings it is for need (3d + 1)·2⁻²⁴.
        let room = 1.0 + 2f32.powi(-20);
        self.panels.pack_queries(q, d, rounding);
        self.scale.clear();
        self.residual_scale.clear();
        self.slack.clear();
        for (&s, &residual) in norms.iter().zip(self.panels.residuals()) {
            let norm = s.sqrt();
            let rounded = norm + residual;
            let scale = 2.0 * (residual + gamma * rounded) * room + 2f32.powi(-20) * norm;
            self.scale.push(scale);
            self.residual_scale
                .push(2.0 * (1.0 + gamma) * rounded * room);
            self.slack.push(eta * s + 2.0 * ABSOLUTE_ERROR);
        }
        self.thresholds.clear();
        self.thresholds.resize(rows, f32::INFINITY);
        self.rows
            .resize_with(rows.max(self.rows.len()), RowSearch::default);
        let states = &mut self.rows[..rows];
        states.iter_mut().for_each(|r| r.reset(k));
        let cap = candidate_cap(k);
        dot_screen::screen(
            &self.panels,
            QueryTerms {
                scale: &self.scale,
                residual_scale: &self.residual_scale,
                slack: &self.slack,
            },
            &mut self.thresholds,
            references,
            terms,
            |hit, threshold| {
                let row = &mut states[hit.row];
                let lower = hit.key - hit.width;
                if lower > *threshold {
                    return; // τ fell earlier in this tile
                }
                row.candidates.push((hit.reference as u32, lower));
                row.offer_upper(hit.key + hit.width, threshold);
                if row.candidates.len() >= cap {
                    let qi = &q[hit.row * d..(hit.row + 1) * d];
                    row.resolve(qi, norms[hit.row], reference, eta, threshold);
                }
            },
        );
        for (i, (row, o)) in states.iter_mut().zip(out.chunks_exact_mut(k)).enumerate() {
            let qi = &q[i * d..(i + 1) * d];
            row.resolve(qi, norms[i], reference, eta, &mut self.thresholds[i]);
            for (o, &(s, _)) in o.iter_mut().zip(&row.exact) {
                *o = s.sqrt();
            }
        }
    }
}

/// One query row's state on the screened path.
#[derive(Default)]
struct RowSearch {
    /// The k smallest upper ends offered, ascending.
    upper: Vec<f32>,
    /// Pairs that passed and are not yet resolved: (reference, lower end).
    candidates: Vec<(u32, f32)>,
    /// The k smallest exact squared distances so far, with their reference
    /// rows, ascending by (distance, row).
    exact: Vec<(f32, u32)>,
}

impl RowSearch {
    fn reset(&mut self, k: usize) {
        self.upper.clear();
        self.upper.resize(k, f32::INFINITY);
        self.candidates.clear();
        self.exact.clear();
    }

    /// Keeps `upper` if it is among the k smallest; τ is then at most the
    /// k-th of them.
    fn offer_upper(&mut self, upper: f32, threshold: &mut f32) {
        let k = self.upper.len();
        if upper < self.upper[k - 1] {
            let mut at = k - 1;
            while at > 0 && self.upper[at - 1] > upper {
                self.upper[at] = self.upper[at - 1];
                at -= 1;
            }
            self.upper[at] = upper;
            *threshold = threshold.min(self.upper[k - 1]);
        }
    }

    /// Exact distances for the candidates still below τ, nearest-looking
    /// first, merged into the k best; once there are k, τ is at most the
    /// k-th exact key, widened by η for the rounding of ‖q‖² and of the
    /// distances (module docs), and the candidates left whose lower end is
    /// past it are dropped unread.
    fn resolve(
        &mut self,
        q: &[f32],
        query_norm: f32,
        reference: &Tensor,
        eta: f32,
        threshold: &mut f32,
    ) {
        let k = self.upper.len();
        self.candidates.retain(|&(_, lower)| lower <= *threshold);
        // Nearest-looking first: once k are exact, τ is the k-th exact key
        // (tighter than the k-th upper end by about the width), and in this
        // order the first candidate whose lower end is past τ ends the
        // batch. At 784 random features in int8 that halves the distances
        // computed.
        self.candidates.sort_unstable_by(|a, b| a.1.total_cmp(&b.1));
        // The rows are scattered over a matrix far larger than the caches:
        // ask for the start of each (8 cache lines; the hardware's
        // prefetcher follows a run from there) a few candidates ahead of its
        // turn. Four distances at a time, so that their chains of additions
        // overlap.
        const AHEAD: usize = 8;
        const AT_ONCE: usize = 4;
        const PREFETCHED: usize = 128;
        let d = q.len();
        let prefetch_row = |j: u32| prefetch(&reference.row(j as usize)[..d.min(PREFETCHED)]);
        for &(j, _) in self.candidates.iter().take(AHEAD) {
            prefetch_row(j);
        }
        let mut t = 0;
        while t < self.candidates.len() && self.candidates[t].1 <= *threshold {
            for &(j, _) in self.candidates.iter().skip(t + AHEAD).take(AT_ONCE) {
                prefetch_row(j);
            }
            let group = &self.candidates[t..self.candidates.len().min(t + AT_ONCE)];
            if let Ok(group) = <&[(u32, f32); AT_ONCE]>::try_from(group) {
                let rows = group.map(|(j, _)| reference.row(j as usize));
                for (s, &(j, _)) in squared_distances(q, rows).iter().zip(group) {
                    keep_exact(&mut self.exact, k, (*s, j));
                }
            } else {
                for &(j, _) in group {
                    let s = squared_distance(q, reference.row(j as usize));
                    keep_exact(&mut self.exact, k, (s, j));
                }
            }
            t += group.len();
            if self.exact.len() == k {
                let s = self.exact[k - 1].0;
                if s == 0.0 {
                    // k rows at distance 0 (copies of the query): none is
                    // nearer, and the answer is distances, not rows, so
                    // nothing left can change it. Tables of discrete values
                    // have hundreds of such copies, and every one passes the
                    // screen (23_mammography's codes: 620 exact distances
                    // per row, 44 with this stop).
                    *threshold = f32::NEG_INFINITY;
                    break;
                }
                let key = s - query_norm + 4.0 * eta * (s + query_norm) + 4.0 * ABSOLUTE_ERROR;
                *threshold = threshold.min(key);
            }
        }
        self.candidates.clear();
    }
}

/// Merges `entry` into `exact`, the k smallest (distance, row) so far in
/// ascending order.
fn keep_exact(exact: &mut Vec<(f32, u32)>, k: usize, entry: (f32, u32)) {
    if exact.len() == k && entry >= exact[k - 1] {
        return;
    }
    if exact.len() < k {
        exact.push(entry);
    }
    let mut at = exact.len() - 1;
    while at > 0 && exact[at - 1] > entry {
        exact[at] = exact[at - 1];
        at -= 1;
    }
    exact[at] = entry;
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

    /// The search with the index this CPU builds, after checking that an
    /// index in each rounding the CPU runs gives the same bits.
    fn search(reference: &Tensor, query: &Tensor, k: usize) -> Vec<f32> {
        let run = |index: &ReferenceIndex| {
            let mut out = Vec::new();
            NeighbourSearch::default().nearest(reference, index, query, k, &mut out);
            out
        };
        let default = run(&ReferenceIndex::build(reference));
        for rounding in Rounding::ALL.into_iter().filter(|r| r.available()) {
            let index = ReferenceIndex::build_with(reference, Some(rounding));
            assert_eq!(run(&index), default, "{rounding:?} screen");
        }
        default
    }

    fn search_by_product(reference: &Tensor, query: &Tensor, k: usize) -> Vec<f32> {
        let index = ReferenceIndex::build(reference);
        let mut out = Vec::new();
        NeighbourSearch::default().nearest_by_product(
            reference,
            index.squared_norms(),
            query,
            k,
            &mut out,
        );
        out
    }

    /// Shapes across the tile and panel edges (TILE ± 1, several tiles;
    /// 12-row and 32-reference panels, blocks of 96 queries), one row and
    /// many, narrow and wide rows, k from 1 to all references: both paths.
    #[test]
    fn matches_brute_force_on_every_shape_class() {
        assert_eq!(
            ReferenceIndex::build(&random(3, 2, 0)).screened(),
            dot_screen::available()
        );
        for (n, d, rows, k) in [
            (1, 1, 1, 1),
            (7, 3, 5, 7),
            (33, 2, 13, 32),
            (TILE - 1, 6, 33, 5),
            (TILE, 6, 1, 5),
            (TILE + 1, 21, 40, 5),
            (3 * TILE + 17, 9, 129, 10),
            (600, 100, 70, 1),
            (1000, 40, 250, 5),
        ] {
            let reference = random(n, d, n as u64);
            let query = random(rows, d, 1000 + rows as u64);
            let want = brute_force(&reference, &query, k);
            assert_eq!(
                search(&reference, &query, k),
                want,
                "n {n} d {d} rows {rows} k {k}"
            );
            let product = search_by_product(&reference, &query, k);
            assert_eq!(product, want, "product path: n {n} d {d} rows {rows} k {k}");
        }
    }

    /// References in tight clusters far from the origin: bf16 cannot tell a
    /// cluster's rows apart, so most pairs pass the screen and rows resolve
    /// their candidates many times over; the answer is still exact.
    #[test]
    fn exact_where_the_screen_passes_almost_everything() {
        let (n, d) = (2000, 12);
        let noise = random(n, d, 7);
        let mut reference = Tensor::zeros(&[n, d]);
        for (i, (r, e)) in reference
            .data_mut()
            .chunks_exact_mut(d)
            .zip(noise.data().chunks_exact(d))
            .enumerate()
        {
            for (j, (v, e)) in r.iter_mut().zip(e).enumerate() {
                *v = 50.0 + ((i % 3) * 7 + j) as f32 + 1e-3 * e;
            }
        }
        let mut query = reference.select_rows(&[0, 1, 2, 500, 1999]);
        query.data_mut().iter_mut().for_each(|v| *v += 2e-4);
        for k in [1, 5, 100] {
            assert_eq!(
                search(&reference, &query, k),
                brute_force(&reference, &query, k),
                "k {k}"
            );
        }
    }

    /// Hundreds of copies of each query among the references: the search
    /// stops a row once k of them are found, and the answer is still the
    /// brute-force one (k zeros, or fewer copies than k and then the
    /// nearest others).
    #[test]
    fn copies_of_the_query_end_its_search_with_the_same_answer() {
        let d = 6;
        let distinct = random(7, d, 12);
        let picks: Vec<usize> = (0..700).map(|i| (i * 5) % 7).collect();
        let mut reference = distinct.select_rows(&picks);
        reference.data_mut()[..d].iter_mut().for_each(|v| *v += 0.5);
        let query = distinct.select_rows(&[0, 3, 6]);
        for k in [1, 5, 99, 100, 101, 150] {
            assert_eq!(
                search(&reference, &query, k),
                brute_force(&reference, &query, k),
                "k {k}"
            );
        }
    }

    /// Rows beyond the screen's bound (‖r‖² over 2¹⁰⁰) take the product
    /// path, and queries beyond it too.
    #[test]
    fn rows_too_large_for_the_screen_take_the_product_path() {
        let mut big = random(300, 4, 8);
        big.data_mut().iter_mut().for_each(|v| *v *= 1e15);
        assert!(!ReferenceIndex::build(&big).screened());
        let query = random(20, 4, 9);
        assert_eq!(search(&big, &query, 3), brute_force(&big, &query, 3));
        let reference = random(300, 4, 10);
        let mut far = random(20, 4, 11);
        far.data_mut()[0] = 2e15;
        assert_eq!(
            search(&reference, &far, 3),
            brute_force(&reference, &far, 3)
        );
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
