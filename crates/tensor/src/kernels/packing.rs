//! Packing for the blocked sgemm: copying blocks of op(A) and op(B) into the
//! contiguous micro-panel order the micro-kernel streams through.
//!
//! op(A) block (mc×kc) → ⌈mc/MR⌉ panels, each kc steps of MR values
//!   (panel p, step k, row r) at p·kc·MR + k·MR + r
//! op(B) block (kc×nc) → ⌈nc/NR⌉ panels, each kc steps of NR values
//!   (panel p, step k, col j) at p·kc·NR + k·NR + j
//! Rows or columns past the edge are zero, so the kernel never branches on them.

use super::sgemm::Strided;
use rayon::prelude::*;

/// Packs op(A)[i0..i0+mc, p0..p0+kc] into `out` in MR-row panels.
pub(crate) fn pack_a<const MR: usize>(
    a: Strided<'_>,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
    out: &mut Vec<f32>,
) {
    let panels = mc.div_ceil(MR);
    out.clear();
    out.resize(panels * kc * MR, 0.0);
    for (panel, dst) in out.chunks_exact_mut(kc * MR).enumerate() {
        let rows = MR.min(mc - panel * MR);
        for r in 0..rows {
            let row = (i0 + panel * MR + r) * a.rs;
            for k in 0..kc {
                dst[k * MR + r] = a.data[row + (p0 + k) * a.cs];
            }
        }
    }
}

/// Packs op(B)[p0..p0+kc, j0..j0+nc] into `out` in NR-column panels, the
/// panels shared out over rayon's threads when `parallel`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pack_b<const NR: usize>(
    b: Strided<'_>,
    p0: usize,
    kc: usize,
    j0: usize,
    nc: usize,
    out: &mut Vec<f32>,
    parallel: bool,
) {
    let panels = nc.div_ceil(NR);
    out.clear();
    out.resize(panels * kc * NR, 0.0);
    let pack_panel = |(panel, dst): (usize, &mut [f32])| {
        let cols = NR.min(nc - panel * NR);
        let col0 = j0 + panel * NR;
        for k in 0..kc {
            let src = (p0 + k) * b.rs;
            let d = &mut dst[k * NR..k * NR + cols];
            if b.cs == 1 {
                d.copy_from_slice(&b.data[src + col0..src + col0 + cols]);
            } else {
                for (j, v) in d.iter_mut().enumerate() {
                    *v = b.data[src + (col0 + j) * b.cs];
                }
            }
        }
    };
    if parallel {
        out.par_chunks_exact_mut(kc * NR)
            .enumerate()
            .for_each(pack_panel);
    } else {
        out.chunks_exact_mut(kc * NR)
            .enumerate()
            .for_each(pack_panel);
    }
}
