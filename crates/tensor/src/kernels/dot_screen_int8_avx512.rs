//! The AVX-512 VNNI kernel of the dot-product screen (`dot_screen.rs`) for
//! rows rounded to 8-bit integers: one tile of 12 query rows × 32
//! reference rows, laid out as the bf16 kernel's with four features in
//! each u32 instead of two.
//!
//! Each step takes four features: 2 vectors of 16 references' four signed
//! bytes are loaded and 12 queries' four unsigned bytes broadcast, for 24
//! `vpdpbusd`, each adding four byte products per lane into an i32 sum. On
//! Zen 5 two issue per cycle, like `vdpbf16ps`, with twice its
//! multiply-adds: 470 G per second on one core with independent chains.
//! The sums are exact integers; a query's bytes are its values plus 128
//! (the instruction wants one side unsigned), which adds 128·Σ R to every
//! reference's sum, taken off again in the epilogue.
//!
//! The epilogue turns each sum into D̃ = s_q·(s_r·P) and a key
//! base − 2·D̃, then selects as the bf16 kernel does: 4 operations more per
//! vector, which at 4 features a step weigh more on narrow rows.

use super::dot_screen_avx512::{PanelTerms, RowTerms, QUERY_ROWS, REFERENCE_LANES};

/// What the int8 epilogue needs beyond the bf16 one: per reference lane,
/// its scale s_r and its offset 128·Σ R; per live query row, its scale s_q.
pub(super) struct Int8Terms<'a> {
    pub scale: &'a [f32; REFERENCE_LANES],
    pub offset: &'a [i32; REFERENCE_LANES],
    pub query_scale: &'a [f32],
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx512 {
    use super::super::dot_screen_avx512::avx512::{PanelVectors, LANES, VECTORS};
    use super::{Int8Terms, PanelTerms, RowTerms, QUERY_ROWS, REFERENCE_LANES};
    use std::arch::x86_64::*;

    /// Sums the tile's integer dots P over `quads` steps, then for each live
    /// row i and live lane j:
    ///   D̃ = s_q,i·(s_r,j·(P − offset_j)),  key = base_j − 2·D̃,
    /// and selects with the bf16 kernel's widths and thresholds (its `tile`).
    ///
    /// # Safety
    /// The CPU runs AVX-512F and AVX512-VNNI; ROWS ≤ 12; `q` points to
    /// quads·ROWS readable u32 and `r` to quads·32. The caller asserts both.
    #[target_feature(enable = "avx512f,avx512vnni")]
    #[allow(clippy::too_many_arguments)]
    pub(in super::super) unsafe fn tile<const ROWS: usize>(
        quads: usize,
        q: *const u32,
        r: *const u32,
        panel: &PanelTerms<'_>,
        int8: &Int8Terms<'_>,
        rows: &RowTerms<'_>,
        keys: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
        widths: &mut [f32; QUERY_ROWS * REFERENCE_LANES],
    ) -> [u32; QUERY_ROWS] {
        let mut acc = [[_mm512_setzero_si512(); VECTORS]; ROWS];
        let (mut qp, mut rp) = (q, r);
        for _ in 0..quads {
            let mut b = [_mm512_setzero_si512(); VECTORS];
            for (v, b) in b.iter_mut().enumerate() {
                *b = _mm512_loadu_si512(rp.add(v * LANES) as *const __m512i);
            }
            for (i, acc_i) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_epi32(*qp.add(i) as i32);
                for (acc_iv, b) in acc_i.iter_mut().zip(&b) {
                    *acc_iv = _mm512_dpbusd_epi32(*acc_iv, a, *b);
                }
            }
            qp = qp.add(ROWS);
            rp = rp.add(REFERENCE_LANES);
        }
        let terms = PanelVectors::load(panel);
        let scale = [
            _mm512_loadu_ps(int8.scale.as_ptr()),
            _mm512_loadu_ps(int8.scale.as_ptr().add(LANES)),
        ];
        let offset = [
            _mm512_loadu_si512(int8.offset.as_ptr() as *const __m512i),
            _mm512_loadu_si512(int8.offset.as_ptr().add(LANES) as *const __m512i),
        ];
        let minus_two = _mm512_set1_ps(-2.0);
        let mut masks = [0u32; QUERY_ROWS];
        for (i, acc_i) in acc.iter().enumerate().take(rows.threshold.len()) {
            let query_scale = _mm512_set1_ps(int8.query_scale[i]);
            let mut key = [_mm512_setzero_ps(); VECTORS];
            for v in 0..VECTORS {
                let p = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc_i[v], offset[v]));
                let dot = _mm512_mul_ps(_mm512_mul_ps(p, scale[v]), query_scale);
                key[v] = _mm512_fmadd_ps(dot, minus_two, terms.base[v]);
            }
            masks[i] = terms.select(i, key, rows, keys, widths);
        }
        masks
    }
}
