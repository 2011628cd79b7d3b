//! A screen for exact nearest-neighbour search: dot products of rows
//! rounded to a few bits, with a proven error bound, so that a search can
//! set aside every pair that cannot be among the nearest and compute exact
//! distances only for the few that may.
//!
//! Two roundings ([`Rounding`]), each with its kernel:
//! - **bf16** (8 significant bits per value; `vdpbf16ps`, AVX-512 BF16): the
//!   f32 sum of the products of q̃, r̃ (`dot_screen_avx512.rs`);
//! - **int8** (one scale per row, s = max|x|/127, x̃ = s·Q with integers
//!   |Qᵢ| ≤ 127; `vpdpbusd`, AVX-512 VNNI): the exact integer sum P = Q_q·Q_r,
//!   then D̃ = s_q·s_r·P in f32 (`dot_screen_int8_avx512.rs`). Twice bf16's
//!   multiply-adds per instruction, and about 8× its rounding on random
//!   rows: more pairs pass, each costing an exact distance.
//!
//! For a query q and a reference r (d features), D̃ ≈ q̃·r̃. Splitting
//! q·r − q̃·r̃ = (q − q̃)·r + q̃·(r − r̃) and bounding each part by
//! Cauchy–Schwarz with the rows' *actual* rounding residuals ‖Δq‖ = ‖q − q̃‖
//! (kept per row when packing; for bf16 about a third of the worst-case
//! 2⁻⁸·‖q‖ on random data, 0 where the values are bf16 already, such as
//! small integers), and the arithmetic's rounding by γ of Σ|q̃ᵢ·r̃ᵢ| ≤ ‖q̃‖·‖r̃‖:
//!
//!   |D̃ − q·r| ≤ ‖Δq‖·‖r‖ + ‖q̃‖·‖Δr‖ + γ·‖q̃‖·‖r̃‖ + δ,
//!   ‖q̃‖ ≤ ‖q‖ + ‖Δq‖,  γ = [`Rounding::accumulation_error`],  δ = [`ABSOLUTE_ERROR`].
//!
//! bf16's γ is the f32 sum's, (d + 2)·2⁻²⁴ (twice it, for room); int8's
//! sum is exact, and γ = 2⁻²² covers the three roundings of s_q·(s_r·P).
//! Values (bf16) or rows (int8, by their largest value) under 2⁻⁶⁰ are
//! packed as 0 (their residual counts them), so the hardware's flushing of
//! bf16 denormals never applies; δ covers its flushing, and underflow, of
//! tiny results. It holds for d ≤ [`Rounding::max_width`] and ‖q‖², ‖r‖² ≤
//! [`MAX_SQUARED_NORM`] (no sum can overflow). The tests check it for both
//! roundings on every shape class and on values spread over many magnitudes.
//!
//! [`screen`] computes D̃ for every pair and, in the same pass, the key and
//! width a search gives it, reporting only the pairs whose lower end is at or
//! below their row's threshold: 12 × 32 pairs per kernel call (1 or 4 × 32
//! for a search of a few rows), none of them written to memory unless one
//! passes. A search on a CPU with neither extension takes the f32 product
//! path.

use super::cpu::{Avx512Bf16, Avx512Vnni};
use super::dot_screen_avx512::{PanelTerms, RowTerms, QUERY_ROWS, REFERENCE_LANES};
use super::dot_screen_int8_avx512::Int8Terms;
use super::widest::on_widest_for;

/// The largest squared norm of a row the bound holds for: 2¹⁰⁰.
pub const MAX_SQUARED_NORM: f32 = 1.267_650_6e30;

/// δ of the bound: 2⁻⁴⁸.
pub const ABSOLUTE_ERROR: f32 = 3.552_713_7e-15;

/// Magnitudes below this (2⁻⁶⁰) are packed as 0.
const FLUSH_BELOW: f32 = 8.673_617e-19;

/// From this many features, a search screens in int8 where the CPU has
/// VNNI. Below it the integer sums' epilogue (4 features a step, not 2) and
/// the extra exact distances cost more than the faster products save;
/// measured on Zen 5 with `benches/knn.rs` (BENCHMARKS.md, session 17).
pub const INT8_MIN_WIDTH: usize = 64;

/// How the screen rounds rows (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rounding {
    /// bfloat16, summed in f32 (AVX-512 BF16).
    #[default]
    Bf16,
    /// 8-bit integers on one scale per row, summed exactly (AVX-512 VNNI).
    Int8,
}

impl Rounding {
    /// Both roundings.
    pub const ALL: [Rounding; 2] = [Rounding::Bf16, Rounding::Int8];

    /// Whether this CPU runs this rounding's kernel (and AVX-512 is in use).
    pub fn available(self) -> bool {
        match self {
            Rounding::Bf16 => Avx512Bf16::detect().is_some(),
            Rounding::Int8 => Avx512Vnni::detect().is_some(),
        }
    }

    /// The rounding a search of rows of `width` features screens with on
    /// this CPU, if any: int8 from [`INT8_MIN_WIDTH`] features, bf16 below
    /// (each where available and within its width).
    pub fn for_width(width: usize) -> Option<Rounding> {
        let fits = |r: Rounding| r.available() && width <= r.max_width();
        let int8 = width >= INT8_MIN_WIDTH || !fits(Rounding::Bf16);
        if int8 && fits(Rounding::Int8) {
            Some(Rounding::Int8)
        } else {
            fits(Rounding::Bf16).then_some(Rounding::Bf16)
        }
    }

    /// The widest rows the bound is stated for: 2²⁰ features in bf16; 2¹⁶
    /// in int8 (where 2¹⁶ sums of byte products, 255·127 at most, still
    /// fit an i32).
    pub fn max_width(self) -> usize {
        match self {
            Rounding::Bf16 => 1 << 20,
            Rounding::Int8 => 1 << 16,
        }
    }

    /// γ of the bound for rows of `width` features. bf16: (width + 2)·2⁻²³,
    /// twice the f32 sum's (width + 2)·2⁻²⁴, so the f32 evaluation of the
    /// bound itself needs no further care. int8: 2⁻²², over the 3·2⁻²⁴ of
    /// converting the exact sum and scaling it twice.
    ///
    /// # Panics
    /// Past [`Rounding::max_width`].
    pub fn accumulation_error(self, width: usize) -> f32 {
        assert!(
            width <= self.max_width(),
            "the bound holds for up to {} features",
            self.max_width()
        );
        match self {
            Rounding::Bf16 => ((width as f64 + 2.0) * 2f64.powi(-23)) as f32,
            Rounding::Int8 => 2f32.powi(-22),
        }
    }

    /// Features in one u32 of a panel.
    fn per_word(self) -> usize {
        match self {
            Rounding::Bf16 => 2,
            Rounding::Int8 => 4,
        }
    }
}

/// Whether this CPU runs either screen.
pub fn available() -> bool {
    Rounding::ALL.iter().any(|r| r.available())
}

/// Rows rounded and laid out for the kernel: panels of 12 queries (of 1 or
/// 4 where there are no more) or 32 references; within a panel, for each
/// step (2 features in bf16, 4 in int8), one u32 per row holding the
/// step's features (the first in the low bits), a last step short of
/// features padded with 0, and rows past the end all 0. In int8, a query's
/// bytes are Q + 128 and a reference's Q as two's complement; each row has
/// its scale s (0 past the end), and a reference its offset 128·ΣQ.
#[derive(Clone, Debug, Default)]
pub struct ScreenPanels {
    rounding: Rounding,
    data: Vec<u32>,
    /// ‖x − x̃‖ per row, rounded up.
    residuals: Vec<f32>,
    /// int8: s per row, padded with 0 to whole panels.
    scales: Vec<f32>,
    /// int8 references: 128·ΣQ per row, padded with 0 to whole panels.
    offsets: Vec<i32>,
    /// One row's rounded values, padded with zeros to whole steps: bf16
    /// bits, or int8 bytes (a query's already + 128). Kept, so that packing
    /// allocates nothing once the buffers are large enough.
    codes: Vec<u32>,
    rows: usize,
    width: usize,
    height: usize,
}

impl ScreenPanels {
    /// Packs `x` (rows of `width` values) as references, reusing the buffer.
    pub fn pack_references(&mut self, x: &[f32], width: usize, rounding: Rounding) {
        self.pack(x, width, REFERENCE_LANES, rounding, false);
    }

    /// Packs `x` (rows of `width` values) as queries, reusing the buffer:
    /// one or up to four rows in a panel of their own size (a live row is
    /// not computed twelve times), more in panels of 12.
    pub fn pack_queries(&mut self, x: &[f32], width: usize, rounding: Rounding) {
        assert!(width > 0, "rows of 0 values");
        let height = match x.len() / width {
            0 | 1 => 1,
            2..=4 => 4,
            _ => QUERY_ROWS,
        };
        self.pack(x, width, height, rounding, true);
    }

    /// Rows packed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// How the rows were rounded.
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }

    /// ‖x − x̃‖ of each row: the distance from the row to its rounding (an
    /// upper bound, within 2⁻²⁰ of it).
    pub fn residuals(&self) -> &[f32] {
        &self.residuals
    }

    /// Features per row.
    pub fn width(&self) -> usize {
        self.width
    }

    fn steps(&self) -> usize {
        self.width.div_ceil(self.rounding.per_word())
    }

    fn panels(&self) -> usize {
        self.rows.div_ceil(self.height)
    }

    fn panel(&self, p: usize) -> &[u32] {
        let len = self.steps() * self.height;
        &self.data[p * len..(p + 1) * len]
    }

    fn pack(&mut self, x: &[f32], width: usize, height: usize, rounding: Rounding, query: bool) {
        assert!(
            width > 0 && x.len().is_multiple_of(width),
            "{} values are not rows of {width}",
            x.len()
        );
        let per_word = rounding.per_word();
        let (rows, steps) = (x.len() / width, width.div_ceil(per_word));
        let padded_rows = rows.div_ceil(height) * height;
        self.data.clear();
        self.data.resize(padded_rows * steps, 0);
        self.residuals.clear();
        self.scales.clear();
        self.offsets.clear();
        let mut codes = std::mem::take(&mut self.codes);
        codes.clear();
        codes.resize(steps * per_word, 0);
        for (i, row) in x.chunks_exact(width).enumerate() {
            let (squared_residual, scale, sum) = match rounding {
                Rounding::Bf16 => (round_bf16(row, &mut codes[..width]), 0.0, 0),
                Rounding::Int8 => {
                    let scale = int8_scale(row);
                    let (residual, sum) = round_int8(row, scale, query, &mut codes[..width]);
                    if query {
                        // The padded features are Q = 0 too: byte 128.
                        codes[width..].fill(0x80);
                    }
                    (residual, scale, sum)
                }
            };
            let panel = &mut self.data[i / height * steps * height..][..steps * height];
            let shift = 32 / per_word;
            for (s, step) in codes.chunks_exact(per_word).enumerate() {
                panel[s * height + i % height] = step
                    .iter()
                    .enumerate()
                    .fold(0, |word, (at, &c)| word | c << (shift * at));
            }
            // f64 holds each squared residual exactly enough that 2⁻²⁰ of
            // room makes the f32 an upper bound.
            self.residuals
                .push((squared_residual.sqrt() * (1.0 + 2f64.powi(-20))) as f32);
            if rounding == Rounding::Int8 {
                self.scales.push(scale);
                self.offsets.push(128 * sum);
            }
        }
        if rounding == Rounding::Int8 {
            self.scales.resize(padded_rows, 0.0);
            self.offsets.resize(padded_rows, 0);
        }
        self.codes = codes;
        (self.rows, self.width, self.height, self.rounding) = (rows, width, height, rounding);
    }
}

/// Each value of `row` rounded to bf16, its bits into `codes`; returns
/// Σ (x − x̃)² in f64.
fn round_bf16(row: &[f32], codes: &mut [u32]) -> f64 {
    on_widest_for(row.len(), || {
        let mut residual = 0.0f64;
        for (c, &v) in codes.iter_mut().zip(row) {
            *c = bf16(v);
            residual += (f64::from(v) - f64::from(f32::from_bits(*c << 16))).powi(2);
        }
        residual
    })
}

/// The int8 scale of a row: max|x|/127, or 0 where that is under 2⁻⁶⁰.
fn int8_scale(row: &[f32]) -> f32 {
    let largest = on_widest_for(row.len(), || row.iter().fold(0.0f32, |m, v| m.max(v.abs())));
    if largest < FLUSH_BELOW {
        0.0
    } else {
        largest / 127.0
    }
}

/// Each value of `row` as the nearest integer multiple Q of `scale` (|Q| ≤
/// 127), its byte into `codes` (Q + 128 for a query, two's complement for a
/// reference); returns Σ (x − s·Q)² in f64 (s·Q is exact there: 24 + 8
/// bits) and ΣQ. Any such Q keeps the bound, since the residual is the
/// rounding's own; nearest keeps it small.
fn round_int8(row: &[f32], scale: f32, query: bool, codes: &mut [u32]) -> (f64, i32) {
    let inverse = if scale == 0.0 { 0.0 } else { 1.0 / scale };
    // Adding and taking off 1.5·2²³ rounds to the nearest integer (ties to
    // even) for |x| ≤ 2²², in plain arithmetic the vectorizer takes.
    const ROUND: f32 = 12_582_912.0;
    let flip = if query { 0x80 } else { 0 };
    on_widest_for(row.len(), || {
        let (mut residual, mut sum) = (0.0f64, 0i32);
        for (c, &v) in codes.iter_mut().zip(row) {
            let q = ((v * inverse + ROUND) - ROUND).clamp(-127.0, 127.0);
            residual += (f64::from(v) - f64::from(scale) * f64::from(q)).powi(2);
            let q = q as i32;
            sum += q;
            *c = (q as u32 & 0xff) ^ flip;
        }
        (residual, sum)
    })
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

/// For every query row i and reference row j, with D̃ the rounded dot above:
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
/// If the CPU lacks the rounding's kernel ([`Rounding::available`]), the
/// two sides' widths or roundings differ, or a term slice does not have one
/// value per row.
pub fn screen(
    queries: &ScreenPanels,
    query_terms: QueryTerms<'_>,
    thresholds: &mut [f32],
    references: &ScreenPanels,
    reference_terms: ReferenceTerms<'_>,
    mut sink: impl FnMut(Hit, &mut f32),
) {
    let rounding = queries.rounding;
    // The kernel's proof, once per screen (not per tile).
    let cpu = match rounding {
        Rounding::Bf16 => Avx512Bf16::detect().map(ScreenCpu::Bf16),
        Rounding::Int8 => Avx512Vnni::detect().map(ScreenCpu::Int8),
    }
    .unwrap_or_else(|| panic!("this CPU lacks the {rounding:?} screen"));
    let (rows, n) = (queries.rows, references.rows);
    assert!(
        [1, 4, QUERY_ROWS].contains(&queries.height) && references.height == REFERENCE_LANES,
        "queries and references must be packed as such"
    );
    assert_eq!(
        (queries.width, queries.rounding),
        (references.width, references.rounding),
        "query and reference widths and roundings"
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
    let steps = queries.steps();
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
        // int8 only: the panel's scales and offsets (padded to whole panels).
        let int8_panel = (rounding == Rounding::Int8).then(|| {
            let span = first..first + REFERENCE_LANES;
            (
                <&[f32; REFERENCE_LANES]>::try_from(&references.scales[span.clone()]).unwrap(),
                <&[i32; REFERENCE_LANES]>::try_from(&references.offsets[span]).unwrap(),
            )
        });
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
            let kernel = match cpu {
                ScreenCpu::Bf16(cpu) => Kernel::Bf16(cpu),
                ScreenCpu::Int8(cpu) => {
                    let (scale, offset) = int8_panel.expect("int8 panels have int8 terms");
                    Kernel::Int8(
                        cpu,
                        Int8Terms {
                            scale,
                            offset,
                            query_scale: &queries.scales[live.clone()],
                        },
                    )
                }
            };
            let tile = Tile {
                steps,
                q,
                r,
                panel: &panel,
                kernel,
                rows: &terms,
            };
            let masks = match queries.height {
                1 => tile.run::<1>(&mut keys, &mut widths),
                4 => tile.run::<4>(&mut keys, &mut widths),
                _ => tile.run::<QUERY_ROWS>(&mut keys, &mut widths),
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

/// The proof that this CPU runs the screen's kernel.
#[derive(Clone, Copy)]
enum ScreenCpu {
    Bf16(Avx512Bf16),
    Int8(Avx512Vnni),
}

/// A tile's kernel, with its proof, and for int8 the terms beyond bf16's.
enum Kernel<'a> {
    Bf16(Avx512Bf16),
    Int8(Avx512Vnni, Int8Terms<'a>),
}

/// One tile's operands: `steps` words per row of the query and reference
/// panels, the panel's and rows' terms, and its kernel.
struct Tile<'a> {
    steps: usize,
    q: &'a [u32],
    r: &'a [u32],
    panel: &'a PanelTerms<'a>,
    kernel: Kernel<'a>,
    rows: &'a RowTerms<'a>,
}

impl Tile<'_> {
    /// The tile through its kernel, after checking the panels' lengths.
    fn run<const ROWS: usize>(
        &self,
        keys: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
        widths: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
    ) -> [u32; QUERY_ROWS] {
        let steps = self.steps;
        assert!(
            ROWS <= QUERY_ROWS
                && self.q.len() == steps * ROWS
                && self.r.len() == steps * REFERENCE_LANES
        );
        #[cfg(target_arch = "x86_64")]
        match &self.kernel {
            Kernel::Bf16(_cpu) => {
                // SAFETY: `_cpu` proves AVX-512F and AVX512-BF16; the kernel
                // reads steps·ROWS values from `q` and steps·32 from `r`, the
                // lengths asserted.
                unsafe {
                    super::dot_screen_avx512::avx512::tile::<ROWS>(
                        steps,
                        self.q.as_ptr(),
                        self.r.as_ptr(),
                        self.panel,
                        self.rows,
                        keys,
                        widths,
                    )
                }
            }
            Kernel::Int8(_cpu, int8) => {
                assert_eq!(int8.query_scale.len(), self.rows.threshold.len());
                // SAFETY: `_cpu` proves AVX-512F and AVX512-VNNI; the kernel
                // reads steps·ROWS values from `q` and steps·32 from `r`, the
                // lengths asserted.
                unsafe {
                    super::dot_screen_int8_avx512::avx512::tile::<ROWS>(
                        steps,
                        self.q.as_ptr(),
                        self.r.as_ptr(),
                        self.panel,
                        int8,
                        self.rows,
                        keys,
                        widths,
                    )
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no screen runs off x86_64")
    }
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

    /// The roundings this CPU runs.
    fn roundings() -> Vec<Rounding> {
        let here: Vec<Rounding> = Rounding::ALL
            .into_iter()
            .filter(|r| r.available())
            .collect();
        if here.is_empty() {
            eprintln!("no AVX-512 BF16 or VNNI here: nothing to check");
        }
        here
    }

    /// D̃ for every pair: the screen with every threshold infinite and zero
    /// terms reports all pairs, with key = −2·D̃ exactly.
    fn all_dots(q: &[f32], r: &[f32], d: usize, rounding: Rounding) -> Vec<f32> {
        let (rows, n) = (q.len() / d, r.len() / d);
        let (mut qp, mut rp) = (ScreenPanels::default(), ScreenPanels::default());
        qp.pack_queries(q, d, rounding);
        rp.pack_references(r, d, rounding);
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
    /// definition of rounding to the nearest of 8 significant bits (bf16)
    /// or to the nearest multiple of max|x|/127 (int8).
    fn residual(row: &[f32], rounding: Rounding) -> f64 {
        if rounding == Rounding::Int8 {
            let largest = row.iter().map(|v| v.abs()).fold(0.0, f32::max);
            let scale = f64::from(largest / 127.0);
            return row
                .iter()
                .map(|&v| {
                    let v = f64::from(v);
                    if f64::from(largest) < f64::from(FLUSH_BELOW) {
                        return v * v;
                    }
                    (v - (v / scale).round() * scale).powi(2)
                })
                .sum::<f64>()
                .sqrt();
        }
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
        for rounding in roundings() {
            every_dot_is_within_the_bound_in(rounding);
        }
    }

    fn every_dot_is_within_the_bound_in(rounding: Rounding) {
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
            let dots = all_dots(&q, &r, d, rounding);
            let (mut qp, mut rp) = (ScreenPanels::default(), ScreenPanels::default());
            qp.pack_queries(&q, d, rounding);
            rp.pack_references(&r, d, rounding);
            for (x, packed) in [(&q, &qp), (&r, &rp)] {
                for (row, &got) in x.chunks_exact(d).zip(packed.residuals()) {
                    let want = residual(row, rounding);
                    let got = f64::from(got);
                    assert!(got >= want && got <= want * (1.0 + 2f64.powi(-19)) + 1e-300);
                }
            }
            let gamma = f64::from(rounding.accumulation_error(d));
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
                        "{rounding:?} {rows}×{n}×{d} pair ({i}, {j}): {got} vs {exact}, bound {bound}"
                    );
                }
            }
        }
    }

    /// The bound is not loose by orders of magnitude: on rows of ones the
    /// screen is exact, and on random rows it is off by more than 0.
    #[test]
    fn dots_round_as_bf16() {
        if !Rounding::Bf16.available() {
            return;
        }
        let d = 64;
        let ones = vec![1.0; d];
        assert_eq!(all_dots(&ones, &ones, d, Rounding::Bf16), vec![d as f32]);
        let third = vec![1.0 / 3.0; d];
        let got = all_dots(&third, &ones, d, Rounding::Bf16)[0];
        assert!(got != d as f32 / 3.0 && (got - d as f32 / 3.0).abs() < 0.01 * d as f32);
    }

    /// In int8, rows of integers up to ±127 that reach 127 have scale 1 and
    /// exact dots, on both sides of the query's +128; a row of thirds does
    /// not, and is off by under one of its 127 steps per feature.
    #[test]
    fn dots_round_as_int8() {
        if !Rounding::Int8.available() {
            return;
        }
        let d = 37;
        let q: Vec<f32> = (0..d).map(|i| (i as f32 * 7.0) % 255.0 - 127.0).collect();
        let r: Vec<f32> = (0..d).map(|i| 127.0 - (i as f32 * 11.0) % 255.0).collect();
        assert!(q.contains(&-127.0) && r.contains(&127.0));
        let exact: f32 = q.iter().zip(&r).map(|(a, b)| a * b).sum();
        assert_eq!(all_dots(&q, &r, d, Rounding::Int8), vec![exact]);
        let third: Vec<f32> = (0..d).map(|i| i as f32 / 3.0).collect();
        let ones = vec![1.0; d];
        let want: f32 = third.iter().sum();
        let got = all_dots(&third, &ones, d, Rounding::Int8)[0];
        let step = third[d - 1] / 127.0;
        assert!(got != want && (got - want).abs() < step * d as f32 / 2.0);
    }

    /// A row's dots have the same bits alone as in a block, wherever it
    /// sits in its panel and whatever the panel's height.
    #[test]
    fn a_rows_dots_do_not_depend_on_its_block() {
        for rounding in roundings() {
            a_rows_dots_do_not_depend_on_its_block_in(rounding);
        }
    }

    fn a_rows_dots_do_not_depend_on_its_block_in(rounding: Rounding) {
        let d = 37;
        let (q, r) = (spread(30, d, 1), spread(70, d, 2));
        let all = all_dots(&q, &r, d, rounding);
        // Alone (a panel of 1), with two others (a panel of 4) and in the
        // block's panels of 12.
        for i in [0, 11, 12, 29] {
            let alone = all_dots(&q[i * d..(i + 1) * d], &r, d, rounding);
            assert_eq!(alone, all[i * 70..(i + 1) * 70], "row {i}");
        }
        let three = all_dots(&q[11 * d..14 * d], &r, d, rounding);
        assert_eq!(three, all[11 * 70..14 * 70]);
    }

    /// Exactly the pairs with key − width ≤ threshold are offered, with the
    /// key and width the definition gives.
    #[test]
    fn reports_exactly_the_pairs_below_their_threshold() {
        for rounding in roundings() {
            reports_exactly_the_pairs_below_their_threshold_in(rounding);
        }
    }

    fn reports_exactly_the_pairs_below_their_threshold_in(rounding: Rounding) {
        let (rows, n, d) = (14, 45, 9);
        let (q, r) = (spread(rows, d, 3), spread(n, d, 4));
        let dots = all_dots(&q, &r, d, rounding);
        let (mut qp, mut rp) = (ScreenPanels::default(), ScreenPanels::default());
        qp.pack_queries(&q, d, rounding);
        rp.pack_references(&r, d, rounding);
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
