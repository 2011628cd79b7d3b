//! A screen for exact nearest-neighbour search: dot products of rows rounded
//! to bfloat16, with a proven error bound, so that a search can set aside
//! every pair that cannot be among the nearest and compute exact distances
//! only for the few that may.
//!
//! For a query q and a reference r (d features), the kernel sums the
//! products of their bf16 roundings q̃, r̃ (8 significant bits) in f32:
//! D̃ ≈ q̃·r̃. Splitting q·r − q̃·r̃ = (q − q̃)·r + q̃·(r − r̃) and bounding each
//! part by Cauchy–Schwarz with the rows' *actual* rounding residuals
//! ‖Δq‖ = ‖q − q̃‖ (kept per row when packing; about a third of the
//! worst-case 2⁻⁸·‖q‖ on random data, 0 where the values are bf16 already,
//! such as small integers), and the f32 sum's rounding by (d + 2)·2⁻²⁴ of
//! Σ|q̃ᵢ·r̃ᵢ| ≤ ‖q̃‖·‖r̃‖:
//!
//!   |D̃ − q·r| ≤ ‖Δq‖·‖r‖ + ‖q̃‖·‖Δr‖ + γ·‖q̃‖·‖r̃‖ + δ,
//!   ‖q̃‖ ≤ ‖q‖ + ‖Δq‖,  γ = [`accumulation_error`]`(d)`,  δ = [`ABSOLUTE_ERROR`].
//!
//! Values under 2⁻⁶⁰ are packed as 0 (their residual counts them), so the
//! hardware's flushing of bf16 denormals never applies; δ covers its
//! flushing of tiny sums. It holds for d ≤ [`MAX_WIDTH`] and ‖q‖², ‖r‖² ≤
//! [`MAX_SQUARED_NORM`] (no sum can overflow). The tests check it on every
//! shape class and on values spread over many magnitudes.
//!
//! [`screen`] computes D̃ for every pair and, in the same pass, the key and
//! width a search gives it, reporting only the pairs whose lower end is at or
//! below their row's threshold: 12 × 32 pairs per kernel call (1 or 4 × 32
//! for a search of a few rows; `dot_screen_avx512.rs`), none of them written
//! to memory unless one passes. Needs AVX-512 with BF16 ([`available`]; Zen 4 and later); a
//! search without it takes the f32 product path.

use super::cpu::Avx512Bf16;
use super::dot_screen_avx512::{PanelTerms, RowTerms, QUERY_ROWS, REFERENCE_LANES};

/// The widest rows the error bound is stated for (2²⁰ features).
pub const MAX_WIDTH: usize = 1 << 20;

/// The largest squared norm of a row the bound holds for: 2¹⁰⁰.
pub const MAX_SQUARED_NORM: f32 = 1.267_650_6e30;

/// δ of the bound: 2⁻⁴⁸.
pub const ABSOLUTE_ERROR: f32 = 3.552_713_7e-15;

/// Magnitudes below this (2⁻⁶⁰) are packed as 0.
const FLUSH_BELOW: f32 = 8.673_617e-19;

/// γ of the bound for rows of `width` features: (width + 2)·2⁻²³, twice
/// the f32 sum's (width + 2)·2⁻²⁴, so the f32 evaluation of the bound itself
/// needs no further care.
pub fn accumulation_error(width: usize) -> f32 {
    assert!(width <= MAX_WIDTH, "the bound holds for up to 2²⁰ features");
    ((width as f64 + 2.0) * 2f64.powi(-23)) as f32
}

/// Whether this CPU runs the screen (AVX-512 BF16, and AVX-512 in use).
pub fn available() -> bool {
    Avx512Bf16::detect().is_some()
}

/// Rows rounded to bf16 and laid out for the kernel: panels of 12 queries
/// (of 1 or 4 where there are no more) or 32 references; within a panel,
/// for each pair of features, one u32 per row holding the pair (first
/// feature in the low half), an odd width's last pair padded with 0, and
/// rows past the end all 0.
#[derive(Clone, Debug, Default)]
pub struct Bf16Panels {
    data: Vec<u32>,
    /// ‖x − x̃‖ per row, rounded up.
    residuals: Vec<f32>,
    rows: usize,
    width: usize,
    height: usize,
}

impl Bf16Panels {
    /// Packs `x` (rows of `width` values) as references, reusing the buffer.
    pub fn pack_references(&mut self, x: &[f32], width: usize) {
        self.pack(x, width, REFERENCE_LANES);
    }

    /// Packs `x` (rows of `width` values) as queries, reusing the buffer:
    /// one or up to four rows in a panel of their own size (a live row is
    /// not computed twelve times), more in panels of 12.
    pub fn pack_queries(&mut self, x: &[f32], width: usize) {
        assert!(width > 0, "rows of 0 values");
        let height = match x.len() / width {
            0 | 1 => 1,
            2..=4 => 4,
            _ => QUERY_ROWS,
        };
        self.pack(x, width, height);
    }

    /// Rows packed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// ‖x − x̃‖ of each row: the distance from the row to its bf16 rounding
    /// (an upper bound, within 2⁻²⁰ of it).
    pub fn residuals(&self) -> &[f32] {
        &self.residuals
    }

    /// Features per row.
    pub fn width(&self) -> usize {
        self.width
    }

    fn pairs(&self) -> usize {
        self.width.div_ceil(2)
    }

    fn panels(&self) -> usize {
        self.rows.div_ceil(self.height)
    }

    fn panel(&self, p: usize) -> &[u32] {
        let len = self.pairs() * self.height;
        &self.data[p * len..(p + 1) * len]
    }

    fn pack(&mut self, x: &[f32], width: usize, height: usize) {
        assert!(
            width > 0 && x.len().is_multiple_of(width),
            "{} values are not rows of {width}",
            x.len()
        );
        let (rows, pairs) = (x.len() / width, width.div_ceil(2));
        self.data.clear();
        self.data.resize(rows.div_ceil(height) * pairs * height, 0);
        self.residuals.clear();
        for (i, row) in x.chunks_exact(width).enumerate() {
            let panel = &mut self.data[i / height * pairs * height..][..pairs * height];
            let mut residual = 0.0f64;
            for (s, pair) in row.chunks(2).enumerate() {
                let mut word = 0;
                for (half, &v) in pair.iter().enumerate() {
                    let b = bf16(v);
                    residual += (f64::from(v) - f64::from(f32::from_bits(b << 16))).powi(2);
                    word |= b << (16 * half);
                }
                panel[s * height + i % height] = word;
            }
            // f64 holds each squared residual exactly enough that 2⁻²⁰ of
            // room makes the f32 an upper bound.
            self.residuals
                .push((residual.sqrt() * (1.0 + 2f64.powi(-20))) as f32);
        }
        (self.rows, self.width, self.height) = (rows, width, height);
    }
}

/// `v` rounded to the nearest bf16 (ties to even), as the low 16 bits;
/// magnitudes under 2⁻⁶⁰ become 0. For finite `v`.
fn bf16(v: f32) -> u32 {
    if v.abs() < FLUSH_BELOW {
        return 0;
    }
    let bits = v.to_bits();
    (bits + 0x7fff + ((bits >> 16) & 1)) >> 16
}

/// Per reference j: the key's base (a search passes ‖r‖²), the two norms
/// the width scales (a search passes ‖r‖ and ‖Δr‖) and an additive
/// widening.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceTerms<'a> {
    pub base: &'a [f32],
    pub norm: &'a [f32],
    pub residual: &'a [f32],
    pub slack: &'a [f32],
}

/// Per query row i: the scales of the width's two norm terms and an
/// additive widening.
#[derive(Clone, Copy, Debug)]
pub struct QueryTerms<'a> {
    pub scale: &'a [f32],
    pub residual_scale: &'a [f32],
    pub slack: &'a [f32],
}

/// A pair that passed the screen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Query row.
    pub row: usize,
    /// Reference row.
    pub reference: usize,
    /// base_j − 2·D̃.
    pub key: f32,
    /// scale_i·norm_j + residual_scale_i·residual_j + slack_j + slack_i.
    pub width: f32,
}

/// For every query row i and reference row j, with D̃ the bf16 dot above:
///   key = base_j − 2·D̃,
///   width = scale_i·norm_j + residual_scale_i·residual_j + slack_j + slack_i,
/// calls `sink(hit, &mut thresholds[i])` for each pair with
/// key − width ≤ thresholds[i]. Pairs go by in tiles of 12 rows × 32
/// references (references outermost), and a tile reads its rows'
/// thresholds when it starts: a sink that lowers one screens out the
/// following tiles' pairs, while its own tile's may still be offered.
/// Each D̃ is the same chain of operations wherever its row and reference
/// sit in their panels, so it has the same bits for any block of rows.
///
/// # Panics
/// If the CPU lacks the kernel ([`available`]), the two sides' widths
/// differ, or a term slice does not have one value per row.
pub fn screen(
    queries: &Bf16Panels,
    query_terms: QueryTerms<'_>,
    thresholds: &mut [f32],
    references: &Bf16Panels,
    reference_terms: ReferenceTerms<'_>,
    mut sink: impl FnMut(Hit, &mut f32),
) {
    let cpu = Avx512Bf16::detect().expect("the dot screen needs AVX-512 BF16");
    let (rows, n) = (queries.rows, references.rows);
    assert!(
        [1, 4, QUERY_ROWS].contains(&queries.height) && references.height == REFERENCE_LANES,
        "queries and references must be packed as such"
    );
    assert_eq!(
        queries.width, references.width,
        "query and reference widths"
    );
    assert!(
        query_terms.scale.len() == rows
            && query_terms.residual_scale.len() == rows
            && query_terms.slack.len() == rows
            && thresholds.len() == rows,
        "two scales, a slack and a threshold per query row"
    );
    assert!(
        [
            reference_terms.base,
            reference_terms.norm,
            reference_terms.residual,
            reference_terms.slack
        ]
        .iter()
        .all(|t| t.len() == n),
        "a base, two norms and a slack per reference row"
    );
    let pairs = queries.pairs();
    let mut keys = [0.0; QUERY_ROWS * REFERENCE_LANES];
    let mut widths = [0.0; QUERY_ROWS * REFERENCE_LANES];
    // Only the last panel can be short; its terms go here, beside zeros.
    let mut padded = [[0.0; REFERENCE_LANES]; 4];
    for rp in 0..references.panels() {
        let first = rp * REFERENCE_LANES;
        let lanes = REFERENCE_LANES.min(n - first);
        // A full panel's terms are read where they lie.
        let span = first..first + lanes;
        let terms = [
            reference_terms.base,
            reference_terms.norm,
            reference_terms.residual,
            reference_terms.slack,
        ];
        if lanes < REFERENCE_LANES {
            for (p, t) in padded.iter_mut().zip(terms) {
                p[..lanes].copy_from_slice(&t[span.clone()]);
            }
        }
        let [pb, pn, pr, ps] = &padded;
        let panel = PanelTerms {
            base: whole_panel(terms[0], first).unwrap_or(pb),
            norm: whole_panel(terms[1], first).unwrap_or(pn),
            residual: whole_panel(terms[2], first).unwrap_or(pr),
            slack: whole_panel(terms[3], first).unwrap_or(ps),
            live: if lanes == 32 { !0 } else { (1 << lanes) - 1 },
        };
        let r = references.panel(rp);
        for qp in 0..queries.panels() {
            let start = qp * queries.height;
            let live = start..rows.min(start + queries.height);
            let terms = RowTerms {
                scale: &query_terms.scale[live.clone()],
                residual_scale: &query_terms.residual_scale[live.clone()],
                slack: &query_terms.slack[live.clone()],
                threshold: &thresholds[live.clone()],
            };
            let q = queries.panel(qp);
            let masks = match queries.height {
                1 => tile::<1>(cpu, pairs, q, r, &panel, &terms, &mut keys, &mut widths),
                4 => tile::<4>(cpu, pairs, q, r, &panel, &terms, &mut keys, &mut widths),
                _ => tile::<QUERY_ROWS>(cpu, pairs, q, r, &panel, &terms, &mut keys, &mut widths),
            };
            for (i, &mask) in masks.iter().enumerate().take(live.len()) {
                let mut mask = mask;
                while mask != 0 {
                    let lane = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let at = i * REFERENCE_LANES + lane;
                    let hit = Hit {
                        row: start + i,
                        reference: first + lane,
                        key: keys[at],
                        width: widths[at],
                    };
                    sink(hit, &mut thresholds[start + i]);
                }
            }
        }
    }
}

/// The 32 values of `t` from `first`, where there are that many.
fn whole_panel(t: &[f32], first: usize) -> Option<&[f32; REFERENCE_LANES]> {
    t.get(first..first + REFERENCE_LANES)?.try_into().ok()
}

/// One tile of ROWS query rows through the kernel, after checking the
/// panels' lengths.
#[allow(clippy::too_many_arguments)]
fn tile<const ROWS: usize>(
    cpu: Avx512Bf16,
    pairs: usize,
    q: &[u32],
    r: &[u32],
    panel: &PanelTerms<'_>,
    rows: &RowTerms<'_>,
    keys: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
    widths: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
) -> [u32; QUERY_ROWS] {
    let _ = cpu;
    assert!(ROWS <= QUERY_ROWS && q.len() == pairs * ROWS && r.len() == pairs * REFERENCE_LANES);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `cpu` proves AVX-512F and AVX512-BF16; the kernel reads
    // pairs·ROWS values from `q` and pairs·32 from `r`, the lengths asserted.
    unsafe {
        super::dot_screen_avx512::avx512::tile::<ROWS>(
            pairs,
            q.as_ptr(),
            r.as_ptr(),
            panel,
            rows,
            keys,
            widths,
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("Avx512Bf16 cannot exist off x86_64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{init, rng, Tensor};

    /// Rows whose values spread over many magnitudes (uniform times 2^e
    /// for e in −20..20), some exactly 0 and some tiny enough to flush.
    fn spread(rows: usize, d: usize, seed: u64) -> Vec<f32> {
        let mut x = Tensor::zeros(&[rows, d]);
        init::uniform(&mut x, -1.0, 1.0, &mut rng::seeded(seed));
        let mut e = Tensor::zeros(&[rows, d]);
        init::uniform(&mut e, -20.0, 20.0, &mut rng::seeded(seed + 1));
        x.data()
            .iter()
            .zip(e.data())
            .enumerate()
            .map(|(i, (v, e))| match i % 17 {
                0 => 0.0,
                1 => v * 1e-30,
                _ => v * e.floor().exp2(),
            })
            .collect()
    }

    /// D̃ for every pair: the screen with every threshold infinite and zero
    /// terms reports all pairs, with key = −2·D̃ exactly.
    fn all_dots(q: &[f32], r: &[f32], d: usize) -> Vec<f32> {
        let (rows, n) = (q.len() / d, r.len() / d);
        let (mut qp, mut rp) = (Bf16Panels::default(), Bf16Panels::default());
        qp.pack_queries(q, d);
        rp.pack_references(r, d);
        let zeros_q = vec![0.0; rows];
        let zeros_r = vec![0.0; n];
        let mut thresholds = vec![f32::INFINITY; rows];
        let mut dots = vec![f32::NAN; rows * n];
        let mut seen = 0;
        screen(
            &qp,
            QueryTerms {
                scale: &zeros_q,
                residual_scale: &zeros_q,
                slack: &zeros_q,
            },
            &mut thresholds,
            &rp,
            ReferenceTerms {
                base: &zeros_r,
                norm: &zeros_r,
                residual: &zeros_r,
                slack: &zeros_r,
            },
            |hit, _| {
                assert!(dots[hit.row * n + hit.reference].is_nan(), "{hit:?} twice");
                assert_eq!(hit.width, 0.0);
                dots[hit.row * n + hit.reference] = -hit.key / 2.0;
                seen += 1;
            },
        );
        assert_eq!(seen, rows * n);
        dots
    }

    fn norm(v: &[f32]) -> f64 {
        v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt()
    }

    /// ‖x − x̃‖ computed apart from the packing: each value through the
    /// definition of rounding to the nearest of 8 significant bits.
    fn residual(row: &[f32]) -> f64 {
        row.iter()
            .map(|&v| {
                let v = f64::from(v);
                if v.abs() < f64::from(FLUSH_BELOW) {
                    return v * v;
                }
                let ulp = 2f64.powi(v.abs().log2().floor() as i32 - 7);
                let r = (v / ulp).round_ties_even() * ulp;
                (v - r).powi(2)
            })
            .sum::<f64>()
            .sqrt()
    }

    /// Every dot within the stated bound of the exact one, on shapes across
    /// the panel edges (12 ± 1 rows, 32 ± 1 references), odd and even
    /// widths, and one wide as an image; the packed residuals bound the
    /// rounding from above and within 2⁻¹⁹ of it.
    #[test]
    fn every_dot_is_within_the_bound() {
        if !available() {
            eprintln!("no AVX-512 BF16 here: nothing to check");
            return;
        }
        for (rows, n, d) in [
            (1, 1, 1),
            (3, 33, 5),
            (4, 40, 100),
            (11, 31, 2),
            (12, 32, 3),
            (13, 33, 7),
            (25, 65, 36),
            (5, 40, 784),
        ] {
            let q = spread(rows, d, d as u64);
            let r = spread(n, d, 100 + d as u64);
            let dots = all_dots(&q, &r, d);
            let (mut qp, mut rp) = (Bf16Panels::default(), Bf16Panels::default());
            qp.pack_queries(&q, d);
            rp.pack_references(&r, d);
            for (x, packed) in [(&q, &qp), (&r, &rp)] {
                for (row, &got) in x.chunks_exact(d).zip(packed.residuals()) {
                    let want = residual(row);
                    let got = f64::from(got);
                    assert!(got >= want && got <= want * (1.0 + 2f64.powi(-19)) + 1e-300);
                }
            }
            let gamma = f64::from(accumulation_error(d));
            let delta = f64::from(ABSOLUTE_ERROR);
            for (i, qi) in q.chunks_exact(d).enumerate() {
                for (j, rj) in r.chunks_exact(d).enumerate() {
                    let exact: f64 = qi
                        .iter()
                        .zip(rj)
                        .map(|(a, b)| f64::from(*a) * f64::from(*b))
                        .sum();
                    let (dq, dr) = (f64::from(qp.residuals()[i]), f64::from(rp.residuals()[j]));
                    let (nq, nr) = (norm(qi), norm(rj));
                    let bound = dq * nr + (nq + dq) * dr + gamma * (nq + dq) * (nr + dr) + delta;
                    let got = f64::from(dots[i * n + j]);
                    assert!(
                        (got - exact).abs() <= bound,
                        "{rows}×{n}×{d} pair ({i}, {j}): {got} vs {exact}, bound {bound}"
                    );
                }
            }
        }
    }

    /// The bound is not loose by orders of magnitude: on rows of ones the
    /// screen is exact, and on random rows it is off by more than 0.
    #[test]
    fn dots_round_as_bf16() {
        if !available() {
            return;
        }
        let d = 64;
        let ones = vec![1.0; d];
        assert_eq!(all_dots(&ones, &ones, d), vec![d as f32]);
        let third = vec![1.0 / 3.0; d];
        let got = all_dots(&third, &ones, d)[0];
        assert!(got != d as f32 / 3.0 && (got - d as f32 / 3.0).abs() < 0.01 * d as f32);
    }

    /// A row's dots have the same bits alone as in a block, wherever it
    /// sits in its panel and whatever the panel's height.
    #[test]
    fn a_rows_dots_do_not_depend_on_its_block() {
        if !available() {
            return;
        }
        let d = 37;
        let (q, r) = (spread(30, d, 1), spread(70, d, 2));
        let all = all_dots(&q, &r, d);
        // Alone (a panel of 1), with two others (a panel of 4) and in the
        // block's panels of 12.
        for i in [0, 11, 12, 29] {
            let alone = all_dots(&q[i * d..(i + 1) * d], &r, d);
            assert_eq!(alone, all[i * 70..(i + 1) * 70], "row {i}");
        }
        let three = all_dots(&q[11 * d..14 * d], &r, d);
        assert_eq!(three, all[11 * 70..14 * 70]);
    }

    /// Exactly the pairs with key − width ≤ threshold are offered, with the
    /// key and width the definition gives.
    #[test]
    fn reports_exactly_the_pairs_below_their_threshold() {
        if !available() {
            return;
        }
        let (rows, n, d) = (14, 45, 9);
        let (q, r) = (spread(rows, d, 3), spread(n, d, 4));
        let dots = all_dots(&q, &r, d);
        let (mut qp, mut rp) = (Bf16Panels::default(), Bf16Panels::default());
        qp.pack_queries(&q, d);
        rp.pack_references(&r, d);
        let base: Vec<f32> = (0..n).map(|j| j as f32 * 0.5).collect();
        let norm: Vec<f32> = (0..n).map(|j| (j % 5) as f32).collect();
        let residual: Vec<f32> = (0..n).map(|j| (j % 4) as f32 * 0.3).collect();
        let slack: Vec<f32> = (0..n).map(|j| (j % 3) as f32 * 0.25).collect();
        let scale: Vec<f32> = (0..rows).map(|i| i as f32 * 0.1).collect();
        let residual_scale: Vec<f32> = (0..rows).map(|i| (i % 3) as f32 * 0.7).collect();
        let row_slack: Vec<f32> = (0..rows).map(|i| (i % 2) as f32).collect();
        let thresholds: Vec<f32> = (0..rows).map(|i| i as f32 * 2.0 - 5.0).collect();
        let mut offered = Vec::new();
        screen(
            &qp,
            QueryTerms {
                scale: &scale,
                residual_scale: &residual_scale,
                slack: &row_slack,
            },
            &mut thresholds.clone(),
            &rp,
            ReferenceTerms {
                base: &base,
                norm: &norm,
                residual: &residual,
                slack: &slack,
            },
            |hit, _| offered.push(hit),
        );
        let mut want = Vec::new();
        for rp in 0..n.div_ceil(32) {
            for i in 0..rows {
                for j in rp * 32..n.min(rp * 32 + 32) {
                    let key = dots[i * n + j].mul_add(-2.0, base[j]);
                    let slack = residual_scale[i].mul_add(residual[j], slack[j] + row_slack[i]);
                    let width = scale[i].mul_add(norm[j], slack);
                    if key - width <= thresholds[i] {
                        want.push(Hit {
                            row: i,
                            reference: j,
                            key,
                            width,
                        });
                    }
                }
            }
        }
        offered.sort_by_key(|h| (h.reference / 32, h.row, h.reference));
        assert!(!want.is_empty() && want.len() < rows * n);
        assert_eq!(offered, want);
    }
}
