//! The AVX-512 BF16 kernel of the dot-product screen (`dot_screen.rs`): one
//! tile of 12 query rows × 32 reference rows; and the epilogue it shares
//! with the int8 kernel (`dot_screen_int8_avx512.rs`).
//!
//! Each step takes one pair of features: 2 vectors of 16 reference pairs
//! are loaded and 12 query pairs broadcast (folded into the instruction as
//! memory operands) for 24 `vdpbf16ps`, each adding two bf16 products per
//! lane into an f32 sum. On Zen 5 two of them issue per cycle, as for f32
//! FMAs, but each does twice the multiply-adds: 434 against 240 GFLOP/s on
//! one core, measured with independent chains. 24 chains cover the latency.
//!
//! The tile's 384 sums never leave registers: the epilogue turns each into
//! a key and a width, compares key − width with its row's threshold, and
//! writes keys and widths out only for rows with a lane below it.

/// Query rows of a full tile (pairs broadcast per step). A search of one to
/// four rows packs them in panels of 1 or 4 and runs the same kernel with
/// that many rows, instead of computing 12 and keeping a few (`ROWS`).
pub(super) const QUERY_ROWS: usize = 12;
/// Reference rows of a tile (two 16-lane vectors of pairs per step).
pub(super) const REFERENCE_LANES: usize = 32;

/// The terms of one panel of references: key base, the two norms the width
/// scales and a widening per lane (read in place for a full panel; the last
/// one's are copied and padded with 0), and the mask of live lanes.
pub(super) struct PanelTerms<'a> {
    pub base: &'a [f32; REFERENCE_LANES],
    pub norm: &'a [f32; REFERENCE_LANES],
    pub residual: &'a [f32; REFERENCE_LANES],
    pub slack: &'a [f32; REFERENCE_LANES],
    pub live: u32,
}

/// The terms of one panel's live query rows (all four of one length, at
/// most 12): the scales of the two norms, a widening and the threshold.
pub(super) struct RowTerms<'a> {
    pub scale: &'a [f32],
    pub residual_scale: &'a [f32],
    pub slack: &'a [f32],
    pub threshold: &'a [f32],
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx512 {
    use super::{PanelTerms, RowTerms, QUERY_ROWS, REFERENCE_LANES};
    use std::arch::x86_64::*;

    pub(in super::super) const LANES: usize = 16;
    pub(in super::super) const VECTORS: usize = REFERENCE_LANES / LANES;

    /// Sums the tile's dots over `pairs` steps, then for each live row i and
    /// live lane j:
    ///   key = base_j − 2·dot,
    ///   width = scale_i·norm_j + residual_scale_i·residual_j + slack_j + slack_i;
    /// bit j of the returned mask i is set where key − width ≤ threshold_i,
    /// and then row i's keys and widths are in `keys[32·i..]` and
    /// `widths[32·i..]` (other rows' are left as they were).
    ///
    /// # Safety
    /// The CPU runs AVX-512F and AVX512-BF16; ROWS ≤ 12; `q` points to
    /// pairs·ROWS readable u32 and `r` to pairs·32. The caller asserts both. (The row terms are
    /// slices: indexing checks them.)
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(in super::super) unsafe fn tile<const ROWS: usize>(
        pairs: usize,
        q: *const u32,
        r: *const u32,
        panel: &PanelTerms<'_>,
        rows: &RowTerms<'_>,
        keys: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
        widths: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
    ) -> [u32; QUERY_ROWS] {
        let mut acc = [[_mm512_setzero_ps(); VECTORS]; ROWS];
        let (mut qp, mut rp) = (q, r);
        for _ in 0..pairs {
            let mut b = [_mm512_setzero_ps(); VECTORS];
            for (v, b) in b.iter_mut().enumerate() {
                *b = _mm512_loadu_ps(rp.add(v * LANES) as *const f32);
            }
            for (i, acc_i) in acc.iter_mut().enumerate() {
                // SAFETY (transmutes): __m512i, __m512 and __m512bh are all
                // 64 bytes of plain bits; this reinterprets, it converts nothing.
                let a: __m512bh = std::mem::transmute(_mm512_set1_epi32(*qp.add(i) as i32));
                for (acc_iv, b) in acc_i.iter_mut().zip(&b) {
                    let b: __m512bh = std::mem::transmute(*b);
                    *acc_iv = _mm512_dpbf16_ps(*acc_iv, a, b);
                }
            }
            qp = qp.add(ROWS);
            rp = rp.add(REFERENCE_LANES);
        }
        let terms = PanelVectors::load(panel);
        let minus_two = _mm512_set1_ps(-2.0);
        let mut masks = [0u32; QUERY_ROWS];
        for (i, acc_i) in acc.iter().enumerate().take(rows.threshold.len()) {
            let key = [
                _mm512_fmadd_ps(acc_i[0], minus_two, terms.base[0]),
                _mm512_fmadd_ps(acc_i[1], minus_two, terms.base[1]),
            ];
            masks[i] = terms.select(i, key, rows, keys, widths);
        }
        masks
    }

    /// A panel's reference terms in registers, for the epilogue of a tile.
    pub(in super::super) struct PanelVectors {
        pub base: [__m512; VECTORS],
        norm: [__m512; VECTORS],
        residual: [__m512; VECTORS],
        slack: [__m512; VECTORS],
        live: [__mmask16; VECTORS],
    }

    impl PanelVectors {
        #[target_feature(enable = "avx512f")]
        #[inline]
        pub(in super::super) unsafe fn load(panel: &PanelTerms<'_>) -> Self {
            let load = |v: &[f32; REFERENCE_LANES]| {
                [
                    _mm512_loadu_ps(v.as_ptr()),
                    _mm512_loadu_ps(v.as_ptr().add(LANES)),
                ]
            };
            PanelVectors {
                base: load(panel.base),
                norm: load(panel.norm),
                residual: load(panel.residual),
                slack: load(panel.slack),
                live: [panel.live as __mmask16, (panel.live >> LANES) as __mmask16],
            }
        }

        /// Row i of the tile, given its keys: its widths, and the mask of
        /// live lanes with key − width ≤ threshold_i; where any, the keys
        /// and widths are stored at `32·i`.
        #[target_feature(enable = "avx512f")]
        #[inline]
        pub(in super::super) unsafe fn select(
            &self,
            i: usize,
            key: [__m512; VECTORS],
            rows: &RowTerms<'_>,
            keys: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
            widths: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
        ) -> u32 {
            let scale = _mm512_set1_ps(rows.scale[i]);
            let residual_scale = _mm512_set1_ps(rows.residual_scale[i]);
            let row_slack = _mm512_set1_ps(rows.slack[i]);
            let threshold = _mm512_set1_ps(rows.threshold[i]);
            let mut width = [_mm512_setzero_ps(); VECTORS];
            let mut mask = 0u32;
            for v in 0..VECTORS {
                let slack = _mm512_add_ps(self.slack[v], row_slack);
                let slack = _mm512_fmadd_ps(residual_scale, self.residual[v], slack);
                width[v] = _mm512_fmadd_ps(scale, self.norm[v], slack);
                let lower = _mm512_sub_ps(key[v], width[v]);
                let below = _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(self.live[v], lower, threshold);
                mask |= (below as u32) << (v * LANES);
            }
            if mask != 0 {
                let at = i * REFERENCE_LANES;
                for v in 0..VECTORS {
                    _mm512_storeu_ps(keys.as_mut_ptr().add(at + v * LANES), key[v]);
                    _mm512_storeu_ps(widths.as_mut_ptr().add(at + v * LANES), width[v]);
                }
            }
            mask
        }
    }
}
