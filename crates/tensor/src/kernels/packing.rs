//! Packing for the blocked sgemm: copying a block of op(A) or op(B) into the
//! order the micro-kernel streams through, so its loads are contiguous and
//! every 16-value row of a B panel sits in one 64-byte cache line.
//!
//! ```text
//! op(A) block (mc×kc) → ⌈mc/MR⌉ panels; panel q, step p, row r at q·kc·MR + p·MR + r
//! op(B) block (kc×nc) → ⌈nc/NR⌉ panels; panel q, step p, col j at q·kc·NR + p·NR + j
//! ```
//! Rows and columns past the block's edge are packed as zeros, so the
//! micro-kernel never branches on them.

use super::cpu::Avx2Fma;
use super::sgemm::Strided;
use super::transpose::transpose_runs;
use super::widest::on_widest_for;

/// A reusable, 64-byte-aligned f32 buffer: packed panels start on a cache
/// line, so no vector load of the micro-kernel straddles two lines.
#[derive(Default)]
pub(crate) struct PackBuffer {
    storage: Vec<f32>,
    start: usize,
    len: usize,
}

impl PackBuffer {
    /// The first `len` values, growing the storage if needed (contents
    /// unspecified: packing overwrites all of them).
    pub(crate) fn take(&mut self, len: usize) -> &mut [f32] {
        const ALIGN_VALUES: usize = 64 / std::mem::size_of::<f32>();
        if self.storage.len() < len + ALIGN_VALUES {
            self.storage = vec![0.0; len + ALIGN_VALUES];
        }
        self.start = self.storage.as_ptr().align_offset(64).min(ALIGN_VALUES);
        self.len = len;
        &mut self.storage[self.start..self.start + len]
    }

    /// The values handed out by the last [`take`](Self::take).
    pub(crate) fn packed(&self) -> &[f32] {
        &self.storage[self.start..self.start + self.len]
    }
}

/// Values a packed op(A) block of mc rows and kc steps occupies, in panels
/// of `mr` rows.
pub(crate) fn a_len(mr: usize, mc: usize, kc: usize) -> usize {
    mc.div_ceil(mr) * mr * kc
}

/// Values a packed op(B) block of kc steps and nc columns occupies, in
/// panels of `nr` columns.
pub(crate) fn b_len(nr: usize, kc: usize, nc: usize) -> usize {
    nc.div_ceil(nr) * nr * kc
}

/// Packs op(A)[i0..i0+mc, p0..p0+kc] into `out` (length [`a_len`]) as
/// panels of `mr` rows.
pub(crate) fn pack_a(
    a: &Strided<'_>,
    mr: usize,
    i0: usize,
    mc: usize,
    p0: usize,
    kc: usize,
    out: &mut [f32],
) {
    assert_eq!(out.len(), a_len(mr, mc, kc), "pack_a: wrong buffer length");
    for (q, panel) in out.chunks_exact_mut(kc * mr).enumerate() {
        let rows = mr.min(mc - q * mr);
        // A panel's lanes are rows of op(A); its steps, columns.
        let lanes = Lanes {
            data: a.data,
            lane_stride: a.rs,
            step_stride: a.cs,
        };
        lanes.pack(mr, i0 + q * mr, rows, p0, panel);
    }
}

/// Packs panel `q` (columns j0 + q·nr ..) of the block
/// op(B)[p0..p0+kc, j0..j0+nc] into `panel` (kc·nr values): the edge
/// panel, and every panel of an op(B) whose columns are contiguous (read
/// through the register transposes). [`pack_b_panels`] packs the rest.
#[allow(clippy::too_many_arguments)]
fn pack_b_panel(
    b: &Strided<'_>,
    nr: usize,
    p0: usize,
    kc: usize,
    j0: usize,
    nc: usize,
    q: usize,
    panel: &mut [f32],
) {
    assert_eq!(panel.len(), kc * nr, "pack_b: wrong panel length");
    // A panel's lanes are columns of op(B); its steps, rows.
    let lanes = Lanes {
        data: b.data,
        lane_stride: b.cs,
        step_stride: b.rs,
    };
    lanes.pack(nr, j0 + q * nr, nr.min(nc - q * nr), p0, panel);
}

/// Packs panels `first..first + panels.len() / (kc·nr)` of the block
/// op(B)[p0..p0+kc, j0..j0+nc] into `panels`, as [`pack_b_panel`] packs
/// each. Where op(B) is row-major and the panels are whole, it walks op(B)
/// row by row, each row's columns for all the panels in one contiguous
/// read, instead of panel by panel: a panel's kc rows lie a row stride
/// apart (4 KB at n = 1024: a page each, which the prefetchers do not
/// follow), and reading them panel after panel walks every page of the
/// block once per panel.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pack_b_panels(
    b: &Strided<'_>,
    nr: usize,
    p0: usize,
    kc: usize,
    j0: usize,
    nc: usize,
    first: usize,
    panels: &mut [f32],
) {
    if kc == 0 {
        return;
    }
    let count = panels.len() / (kc * nr);
    assert_eq!(panels.len(), count * kc * nr, "pack_b: wrong panels length");
    // The whole panels row by row (where op(B)'s rows are contiguous), then
    // the edge panel, if this share holds it, on its own.
    let whole = if b.cs == 1 {
        (nc / nr).saturating_sub(first).min(count)
    } else {
        0
    };
    let (rows_first, rest) = panels.split_at_mut(whole * kc * nr);
    match (whole, nr) {
        (0, _) => {}
        (_, 16) => rows_into_panels::<16>(b, p0, kc, j0 + first * nr, whole, rows_first),
        (_, 32) => rows_into_panels::<32>(b, p0, kc, j0 + first * nr, whole, rows_first),
        _ => unreachable!("no micro-kernel has B panels {nr} wide"),
    }
    for (q, panel) in rest.chunks_exact_mut(kc * nr).enumerate() {
        pack_b_panel(b, nr, p0, kc, j0, nc, first + whole + q, panel);
    }
}

/// Row p of op(B)'s columns j..j + count·W, W at a time into `count` panels
/// of kc steps: panel q's step p gets columns j + q·W .. j + (q + 1)·W.
fn rows_into_panels<const W: usize>(
    b: &Strided<'_>,
    p0: usize,
    kc: usize,
    j: usize,
    count: usize,
    panels: &mut [f32],
) {
    on_widest_for(
        panels.len(),
        #[inline(always)]
        || {
            for p in 0..kc {
                let start = (p0 + p) * b.rs + j;
                let row = b.data[start..start + count * W].as_chunks::<W>().0;
                for (q, values) in row.iter().enumerate() {
                    let at = (q * kc + p) * W;
                    panels[at..at + W].copy_from_slice(values);
                }
            }
        },
    );
}

/// A matrix seen as lanes (the rows of op(A) or columns of op(B) that one
/// panel interleaves) walked in steps (along k): lane l, step p at
/// `data[l·lane_stride + p·step_stride]`.
struct Lanes<'a> {
    data: &'a [f32],
    lane_stride: usize,
    step_stride: usize,
}

impl Lanes<'_> {
    /// [`Self::pack_w`] for a panel width of the micro-kernels (6, 12, 16
    /// or 32), so each gets fixed-size copies.
    fn pack(&self, width: usize, first: usize, live: usize, p0: usize, panel: &mut [f32]) {
        match width {
            6 => self.pack_w::<6>(first, live, p0, panel),
            12 => self.pack_w::<12>(first, live, p0, panel),
            16 => self.pack_w::<16>(first, live, p0, panel),
            32 => self.pack_w::<32>(first, live, p0, panel),
            _ => unreachable!("no micro-kernel has panels {width} wide"),
        }
    }

    /// Writes lanes first..first+live, steps p0.. into `panel` as steps of W
    /// values (lanes past `live` zero), as many steps as `panel` holds.
    fn pack_w<const W: usize>(&self, first: usize, live: usize, p0: usize, panel: &mut [f32]) {
        let steps = panel.as_chunks_mut::<W>().0;
        let kc = steps.len();
        let at = |l: usize, p: usize| (first + l) * self.lane_stride + (p0 + p) * self.step_stride;
        if live == W && self.step_stride == 1 {
            // Each lane is contiguous along k: blocks of 8 steps through the
            // register transposes, 8 lanes at a time and then 4 (a 12-row
            // panel is 8 + 4, a 6-row one 4 + 2); the rest (the last lanes
            // of a 6-row panel, the last steps) one value at a time.
            let (whole_steps, whole_lanes) = match Avx2Fma::detect() {
                Some(cpu) => {
                    let (ks, l8, l4) = (kc / 8 * 8, W / 8 * 8, W / 4 * 4);
                    let flat = steps.as_flattened_mut();
                    for p in (0..ks).step_by(8) {
                        for l in (0..l8).step_by(8) {
                            let rows = std::array::from_fn(|q| {
                                let start = at(l + q, p);
                                &self.data[start..start + 8]
                            });
                            transpose_runs::<8>(cpu, rows, &mut flat[p * W + l..], W);
                        }
                        for l in (l8..l4).step_by(4) {
                            let rows = std::array::from_fn(|q| {
                                let start = at(l + q, p);
                                &self.data[start..start + 8]
                            });
                            transpose_runs::<4>(cpu, rows, &mut flat[p * W + l..], W);
                        }
                    }
                    (ks, l4)
                }
                None => (0, 0),
            };
            for (p, step) in steps.iter_mut().enumerate() {
                let first_lane = if p < whole_steps { whole_lanes } else { 0 };
                for (l, v) in step.iter_mut().enumerate().skip(first_lane) {
                    *v = self.data[at(l, p)];
                }
            }
        } else if live == W && self.lane_stride == 1 {
            // Each step is contiguous: a fixed-size copy (vector moves, not
            // a memcpy call), at the widest width in use (two zmm moves per
            // 32-wide step where SSE2 took eight).
            on_widest_for(
                steps.len() * W,
                #[inline(always)]
                || {
                    for (p, step) in steps.iter_mut().enumerate() {
                        *step = self.data[at(0, p)..at(0, p) + W].as_chunks::<W>().0[0];
                    }
                },
            );
        } else {
            // An edge panel, or a matrix with no unit stride.
            for (p, step) in steps.iter_mut().enumerate() {
                *step = std::array::from_fn(|l| if l < live { self.data[at(l, p)] } else { 0.0 });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_start_on_a_cache_line() {
        let mut buf = PackBuffer::default();
        for len in [1, 100, 5000, 3] {
            let ptr = buf.take(len).as_ptr() as usize;
            assert_eq!(ptr % 64, 0);
            assert_eq!(buf.packed().len(), len);
        }
    }

    #[test]
    fn packed_panels_hold_the_block_with_zero_edges() {
        const MR: usize = 6;
        const NR: usize = 16;
        // A 7×5 matrix, both layouts, packed from (1, 2) as a 6×3 block.
        let m: Vec<f32> = (0..35).map(|v| v as f32).collect();
        let at: Vec<f32> = (0..35).map(|i| m[(i % 7) * 5 + i / 7]).collect();
        let value = |i: usize, p: usize| m[i * 5 + p];
        for a in [
            Strided {
                data: &m,
                rs: 5,
                cs: 1,
            },
            Strided {
                data: &at,
                rs: 1,
                cs: 7,
            },
        ] {
            let mut out = vec![f32::NAN; a_len(MR, 6, 3)];
            pack_a(&a, MR, 1, 6, 2, 3, &mut out);
            for p in 0..3 {
                for r in 0..MR {
                    assert_eq!(out[p * MR + r], value(1 + r, 2 + p));
                }
            }
            let mut out = vec![f32::NAN; a_len(MR, 4, 3)];
            pack_a(&a, MR, 3, 4, 2, 3, &mut out);
            for p in 0..3 {
                for r in 0..MR {
                    let want = if r < 4 { value(3 + r, 2 + p) } else { 0.0 };
                    assert_eq!(out[p * MR + r], want);
                }
            }
        }
        // The same matrix as B (7 steps × 5 columns): columns 1..4 of steps 2..5.
        for b in [
            Strided {
                data: &m,
                rs: 5,
                cs: 1,
            },
            Strided {
                data: &at,
                rs: 1,
                cs: 7,
            },
        ] {
            let mut panel = vec![f32::NAN; 3 * NR];
            pack_b_panel(&b, NR, 2, 3, 1, 4, 0, &mut panel);
            for p in 0..3 {
                for j in 0..NR {
                    let want = if j < 4 { value(2 + p, 1 + j) } else { 0.0 };
                    assert_eq!(panel[p * NR + j], want);
                }
            }
        }
    }

    /// Panels packed row by row, in any share of the block (the threads'
    /// splits, an edge panel included or not), hold what packing each panel
    /// alone gives: for both B panel widths (AVX2's 16, AVX-512's 32), both
    /// layouts of op(B), and blocks that start inside the matrix.
    #[test]
    fn panels_packed_row_by_row_match_each_panel_packed_alone() {
        let (k, n) = (23, 150);
        let m: Vec<f32> = (0..k * n).map(|v| v as f32 * 0.5 - 7.0).collect();
        let t: Vec<f32> = (0..k * n).map(|i| m[(i % k) * n + i / k]).collect();
        for nr in [16, 32] {
            for b in [
                Strided {
                    data: &m,
                    rs: n,
                    cs: 1,
                },
                Strided {
                    data: &t,
                    rs: 1,
                    cs: k,
                },
            ] {
                for (p0, kc, j0, nc) in [(0, k, 0, n), (3, 17, 5, 140), (1, 1, 7, nr * 3)] {
                    let panels = nc.div_ceil(nr);
                    let mut want = vec![f32::NAN; b_len(nr, kc, nc)];
                    for (q, panel) in want.chunks_exact_mut(kc * nr).enumerate() {
                        pack_b_panel(&b, nr, p0, kc, j0, nc, q, panel);
                    }
                    for share in [panels, panels.div_ceil(2), panels.div_ceil(3), 1] {
                        let mut got = vec![f32::NAN; want.len()];
                        for (s, part) in got.chunks_mut(share * kc * nr).enumerate() {
                            pack_b_panels(&b, nr, p0, kc, j0, nc, s * share, part);
                        }
                        assert_eq!(
                            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                            "nr {nr}, rs {}, block ({p0}, {kc}, {j0}, {nc}), share {share}",
                            b.rs
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn register_transposed_panels_match_the_index_formula_at_every_width() {
        // Row-major A (lanes contiguous along k), so full panels go through
        // the 8×8 and 4×8 transposes; k = 21 leaves 5 steps one at a time.
        let (m, k) = (40, 21);
        let a: Vec<f32> = (0..m * k).map(|v| v as f32).collect();
        let a = Strided {
            data: &a,
            rs: k,
            cs: 1,
        };
        for mr in [6, 12, 16, 32] {
            let (i0, mc, p0, kc) = (3, 35, 0, k);
            let mut out = vec![f32::NAN; a_len(mr, mc, kc)];
            pack_a(&a, mr, i0, mc, p0, kc, &mut out);
            for (q, panel) in out.chunks_exact(kc * mr).enumerate() {
                for p in 0..kc {
                    for r in 0..mr {
                        let row = q * mr + r;
                        let want = if row < mc {
                            ((i0 + row) * k + p0 + p) as f32
                        } else {
                            0.0
                        };
                        assert_eq!(
                            panel[p * mr + r],
                            want,
                            "mr {mr} panel {q} step {p} row {r}"
                        );
                    }
                }
            }
        }
    }
}
