//! ChaCha8's keystream, sixteen blocks at a time: the same words as the
//! workspace's generator (`rand_chacha`'s `ChaCha8Rng`) gives at the same
//! position, for bulk draws such as dropout masks.
//!
//! A ChaCha block is 16 words of state (4 constants, the 8 key words, a
//! 64-bit block counter, a 64-bit stream number), 8 rounds of quarter
//! rounds, then the input added back:
//!
//! ```text
//! QR(a, b, c, d):  a += b; d ^= a; d <<<= 16;   c += d; b ^= c; b <<<= 12;
//!                  a += b; d ^= a; d <<<= 8;    c += d; b ^= c; b <<<= 7;
//! round pair:      QR on the columns (0,4,8,12) … (3,7,11,15),
//!                  then on the diagonals (0,5,10,15) … (3,4,9,14)
//! ```
//!
//! Here each of the 16 state words is an array of 16 lanes, one per block,
//! so every step is one lane-wise operation the compiler turns into a
//! single 16-lane instruction (`vprold` for the rotations) where AVX-512F
//! runs (`widest::on_widest`). `rand_chacha` runs four blocks at a time on
//! AVX2, rotating with shuffles; dropout masks drawn through it were 14.5 %
//! of the tabular default's fit on cardio (Zen 5).

use super::cpu::Simd;
use super::widest::on_widest;

/// Blocks per call of [`Keystream::blocks`].
pub const BLOCKS: usize = 16;
/// Words per block.
pub const BLOCK_WORDS: usize = 16;
/// Words per call of [`Keystream::blocks`].
pub const WORDS: usize = BLOCKS * BLOCK_WORDS;

/// "expand 32-byte k", the first four words of every block.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Round pairs of ChaCha8.
const DOUBLE_ROUNDS: usize = 4;

/// One key and stream of ChaCha8: what a generator's words depend on
/// besides their position.
#[derive(Clone, Copy, Debug)]
pub struct Keystream {
    key: [u32; 8],
    stream: u64,
}

/// One state word across the 16 blocks.
type Lanes = [u32; BLOCKS];

impl Keystream {
    /// The keystream of a 32-byte key (little-endian words, as ChaCha reads
    /// it) and a stream number.
    pub fn new(key: [u8; 32], stream: u64) -> Self {
        Keystream {
            key: std::array::from_fn(|i| {
                u32::from_le_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]])
            }),
            stream,
        }
    }

    /// The 16 blocks from block counter `first` on (wrapping at 2⁶⁴, as the
    /// counter does): word w of block first + j at `out[16·j + w]`.
    pub fn blocks(&self, first: u64, out: &mut [u32; WORDS]) {
        let input = self.input(first);
        #[cfg(target_arch = "x86_64")]
        if let Some(Simd::Avx512(_)) = Simd::detect() {
            // SAFETY: the token proves the CPU runs AVX-512F; the kernel
            // reads `input` and writes `out`, both fixed-size arrays.
            unsafe { avx512::blocks(&input, out) };
            return;
        }
        on_widest(
            #[inline(always)]
            || blocks_portable(&input, out),
        )
    }

    /// The 16 input states, word by word across the blocks.
    fn input(&self, first: u64) -> [Lanes; 16] {
        let splat = |v: u32| -> Lanes { [v; BLOCKS] };
        let counter: [u64; BLOCKS] = std::array::from_fn(|j| first.wrapping_add(j as u64));
        let input: [Lanes; 16] = [
            splat(SIGMA[0]),
            splat(SIGMA[1]),
            splat(SIGMA[2]),
            splat(SIGMA[3]),
            splat(self.key[0]),
            splat(self.key[1]),
            splat(self.key[2]),
            splat(self.key[3]),
            splat(self.key[4]),
            splat(self.key[5]),
            splat(self.key[6]),
            splat(self.key[7]),
            counter.map(|c| c as u32),
            counter.map(|c| (c >> 32) as u32),
            splat(self.stream as u32),
            splat((self.stream >> 32) as u32),
        ];
        input
    }
}

/// The rounds for every block, lane by lane, then each block's words
/// written out in order: the twin of the AVX-512 kernel, and the path
/// where it does not run (compiled for the widest vectors there).
#[inline(always)]
fn blocks_portable(input: &[Lanes; 16], out: &mut [u32; WORDS]) {
    let mut x = *input;
    for _ in 0..DOUBLE_ROUNDS {
        quarter_round(&mut x, 0, 4, 8, 12);
        quarter_round(&mut x, 1, 5, 9, 13);
        quarter_round(&mut x, 2, 6, 10, 14);
        quarter_round(&mut x, 3, 7, 11, 15);
        quarter_round(&mut x, 0, 5, 10, 15);
        quarter_round(&mut x, 1, 6, 11, 12);
        quarter_round(&mut x, 2, 7, 8, 13);
        quarter_round(&mut x, 3, 4, 9, 14);
    }
    for (w, (xw, iw)) in x.iter().zip(input).enumerate() {
        for j in 0..BLOCKS {
            out[BLOCK_WORDS * j + w] = xw[j].wrapping_add(iw[j]);
        }
    }
}

/// ChaCha's quarter round on words a, b, c, d of every block.
#[inline(always)]
fn quarter_round(x: &mut [Lanes; 16], a: usize, b: usize, c: usize, d: usize) {
    let (mut va, mut vb, mut vc, mut vd) = (x[a], x[b], x[c], x[d]);
    let step = |p: &mut Lanes, q: &Lanes, r: &mut Lanes, bits: u32| {
        for j in 0..BLOCKS {
            p[j] = p[j].wrapping_add(q[j]);
            r[j] = (r[j] ^ p[j]).rotate_left(bits);
        }
    };
    step(&mut va, &vb, &mut vd, 16);
    step(&mut vc, &vd, &mut vb, 12);
    step(&mut va, &vb, &mut vd, 8);
    step(&mut vc, &vd, &mut vb, 7);
    (x[a], x[b], x[c], x[d]) = (va, vb, vc, vd);
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Lanes, BLOCK_WORDS, DOUBLE_ROUNDS, WORDS};
    use std::arch::x86_64::*;

    /// [`super::blocks_portable`] on zmm registers: one register per state
    /// word (a lane per block), `vprold` for the rotations, then a 16×16
    /// transpose in registers so each block's words are stored in order
    /// (the portable form's stores compile to a scatter).
    ///
    /// # Safety
    /// The CPU runs AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn blocks(input: &[Lanes; 16], out: &mut [u32; WORDS]) {
        let s: [__m512i; 16] =
            std::array::from_fn(|w| _mm512_loadu_si512(input[w].as_ptr().cast()));
        let mut x = s;
        macro_rules! qr {
            ($a:expr, $b:expr, $c:expr, $d:expr) => {
                x[$a] = _mm512_add_epi32(x[$a], x[$b]);
                x[$d] = _mm512_rol_epi32::<16>(_mm512_xor_si512(x[$d], x[$a]));
                x[$c] = _mm512_add_epi32(x[$c], x[$d]);
                x[$b] = _mm512_rol_epi32::<12>(_mm512_xor_si512(x[$b], x[$c]));
                x[$a] = _mm512_add_epi32(x[$a], x[$b]);
                x[$d] = _mm512_rol_epi32::<8>(_mm512_xor_si512(x[$d], x[$a]));
                x[$c] = _mm512_add_epi32(x[$c], x[$d]);
                x[$b] = _mm512_rol_epi32::<7>(_mm512_xor_si512(x[$b], x[$c]));
            };
        }
        for _ in 0..DOUBLE_ROUNDS {
            qr!(0, 4, 8, 12);
            qr!(1, 5, 9, 13);
            qr!(2, 6, 10, 14);
            qr!(3, 7, 11, 15);
            qr!(0, 5, 10, 15);
            qr!(1, 6, 11, 12);
            qr!(2, 7, 8, 13);
            qr!(3, 4, 9, 14);
        }
        let r: [__m512i; 16] = std::array::from_fn(|w| _mm512_add_epi32(x[w], s[w]));
        // Pairs of rows interleaved by 32 and then 64 bits: within each
        // 128-bit lane L of a group of four rows 4g..4g+3, b[4g + k] holds
        // column 4L + k of those rows.
        let a: [__m512i; 16] = std::array::from_fn(|i| {
            let (lo, hi) = (r[i & !1], r[i | 1]);
            if i % 2 == 0 {
                _mm512_unpacklo_epi32(lo, hi)
            } else {
                _mm512_unpackhi_epi32(lo, hi)
            }
        });
        let b: [__m512i; 16] = std::array::from_fn(|i| {
            let (g, k) = (i / 4 * 4, i % 4);
            let (lo, hi) = (a[g + k / 2], a[g + 2 + k / 2]);
            if k % 2 == 0 {
                _mm512_unpacklo_epi64(lo, hi)
            } else {
                _mm512_unpackhi_epi64(lo, hi)
            }
        });
        // Then the 128-bit lanes gathered across the four groups: column
        // 4L + k is lane L of b[k], b[4 + k], b[8 + k], b[12 + k].
        const EVEN: i32 = 0b10_00_10_00;
        const ODD: i32 = 0b11_01_11_01;
        for k in 0..4 {
            let lo01 = _mm512_shuffle_i32x4::<EVEN>(b[k], b[4 + k]);
            let hi01 = _mm512_shuffle_i32x4::<ODD>(b[k], b[4 + k]);
            let lo23 = _mm512_shuffle_i32x4::<EVEN>(b[8 + k], b[12 + k]);
            let hi23 = _mm512_shuffle_i32x4::<ODD>(b[8 + k], b[12 + k]);
            let columns = [
                _mm512_shuffle_i32x4::<EVEN>(lo01, lo23),
                _mm512_shuffle_i32x4::<EVEN>(hi01, hi23),
                _mm512_shuffle_i32x4::<ODD>(lo01, lo23),
                _mm512_shuffle_i32x4::<ODD>(hi01, hi23),
            ];
            for (l, column) in columns.into_iter().enumerate() {
                let block = 4 * l + k;
                _mm512_storeu_si512(out.as_mut_ptr().add(BLOCK_WORDS * block).cast(), column);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore as _, SeedableRng as _};

    /// The words of `ChaCha8Rng` from word position `pos` on, one by one.
    fn generator_words(seed: [u8; 32], stream: u64, pos: u128, n: usize) -> Vec<u32> {
        let mut rng = rand_chacha::ChaCha8Rng::from_seed(seed);
        rng.set_stream(stream);
        rng.set_word_pos(pos);
        (0..n).map(|_| rng.next_u32()).collect()
    }

    #[test]
    fn the_generators_words_at_any_block_and_stream() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5a);
        // Block 0, an arbitrary block, and a run across the counter's low
        // word (2³² − 3 …) and across its wrap at 2⁶⁴.
        for (stream, first) in [
            (0, 0),
            (7, 1234),
            (u64::MAX, (1 << 32) - 3),
            (3, u64::MAX - 5),
        ] {
            let mut got = [0u32; WORDS];
            Keystream::new(seed, stream).blocks(first, &mut got);
            let want = if first > u64::MAX - BLOCKS as u64 {
                // Past the wrap the generator starts over at block 0.
                let head = (u64::MAX - first + 1) as usize;
                let mut w = generator_words(seed, stream, u128::from(first) * 16, head * 16);
                w.extend(generator_words(seed, stream, 0, (BLOCKS - head) * 16));
                w
            } else {
                generator_words(seed, stream, u128::from(first) * 16, WORDS)
            };
            assert!(got[..] == want[..], "stream {stream}, block {first}");
        }
    }

    #[test]
    fn every_width_and_the_kernel_give_the_same_words() {
        let keys = Keystream::new([9; 32], 1);
        let input = keys.input(77);
        let runs = super::super::widest::on_every_width(|| {
            let mut out = [0u32; WORDS];
            blocks_portable(&input, &mut out);
            out
        });
        let mut dispatched = [0u32; WORDS];
        keys.blocks(77, &mut dispatched);
        for (name, out) in &runs {
            assert!(out == &dispatched, "{name}");
        }
        assert_eq!(
            dispatched[..16],
            generator_words([9; 32], 1, 77 * 16, 16)[..]
        );
    }
}
