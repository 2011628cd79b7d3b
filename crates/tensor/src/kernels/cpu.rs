//! Run-time CPU feature checks, done once per process, and the proof tokens
//! the `unsafe` SIMD kernels take.
//!
//! The instruction set the sgemm kernels use is the best this CPU runs, or a
//! lower one named by `AEDETECT_ISA` (`avx512`, `avx2` or `generic`; read
//! once, at the first product). Tests use it to keep the AVX2 path covered
//! on AVX-512 machines; a value naming a set the CPU lacks changes nothing.

use std::sync::OnceLock;

/// The instruction sets the sgemm kernels are written for, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// No hand-written kernel: matrixmultiply's (which picks its own).
    Generic,
    /// AVX2 + FMA: 8-lane ymm kernels.
    Avx2,
    /// AVX-512F: 16-lane zmm kernels with 32 registers and masks.
    Avx512,
}

impl Isa {
    /// The name `AEDETECT_ISA` takes and benches print.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Generic => "generic",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    fn parse(name: &str) -> Option<Isa> {
        [Isa::Generic, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// The best instruction set this CPU runs, whatever `AEDETECT_ISA` says.
pub fn detected_isa() -> Isa {
    static DETECTED: OnceLock<Isa> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            if avx2 && is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if avx2 {
                return Isa::Avx2;
            }
        }
        Isa::Generic
    })
}

/// The instruction set the sgemm kernels use: [`detected_isa`], lowered by
/// `AEDETECT_ISA` when that names a lower one.
pub fn isa() -> Isa {
    static CHOSEN: OnceLock<Isa> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let best = detected_isa();
        match std::env::var("AEDETECT_ISA")
            .ok()
            .as_deref()
            .and_then(Isa::parse)
        {
            Some(asked) => asked.min(best),
            None => best,
        }
    })
}

/// For test binaries: runs the current test binary again with
/// `AEDETECT_ISA` set to `lower` (skipping `this_test`, so it does not
/// recurse), so every other test in it also runs on the lower set's
/// kernels, and panics with the re-run's output unless all of them pass.
/// Does nothing where that would change nothing: `lower` is not below the
/// set in use here.
pub fn assert_test_binary_passes_on(lower: Isa, this_test: &str) {
    if lower >= isa() {
        eprintln!(
            "this machine already runs the {} (or a lower) path",
            lower.name()
        );
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args(["--skip", this_test, "--test-threads", "2"])
        .env("AEDETECT_ISA", lower.name())
        .output()
        .expect("re-running the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok"),
        "on the {} path:\n{stdout}{}",
        lower.name(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Proof that this CPU runs AVX2 and FMA and that they are in use: only
/// [`Avx2Fma::detect`] makes one.
#[derive(Clone, Copy)]
pub(crate) struct Avx2Fma(());

impl Avx2Fma {
    pub(crate) fn detect() -> Option<Self> {
        (isa() >= Isa::Avx2).then_some(Avx2Fma(()))
    }

    /// A token wherever the CPU runs AVX2 + FMA, even if `AEDETECT_ISA`
    /// chose another set: for tests that check every kernel.
    #[cfg(test)]
    pub(crate) fn supported() -> Option<Self> {
        (detected_isa() >= Isa::Avx2).then_some(Avx2Fma(()))
    }
}

/// Proof that this CPU runs AVX-512F (and AVX2 + FMA) and that it is in use:
/// only [`Avx512::detect`] makes one.
#[derive(Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    pub(crate) fn detect() -> Option<Self> {
        (isa() >= Isa::Avx512).then_some(Avx512(()))
    }

    /// The AVX2 + FMA proof this one implies: [`detected_isa`] reports
    /// AVX-512 only where AVX2 and FMA are there too.
    pub(crate) fn avx2(self) -> Avx2Fma {
        Avx2Fma(())
    }

    /// A token wherever the CPU runs AVX-512F, even if `AEDETECT_ISA` chose
    /// another set: for tests that check every kernel.
    #[cfg(test)]
    pub(crate) fn supported() -> Option<Self> {
        (detected_isa() >= Isa::Avx512).then_some(Avx512(()))
    }
}

/// Whether the CPU has the x86 extension `$feature` (a literal
/// `is_x86_feature_detected!` knows), asked once per process; false off
/// x86-64. For the extensions a proof token adds to AVX-512.
macro_rules! has_x86_feature {
    ($feature:tt) => {{
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                is_x86_feature_detected!($feature)
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        })
    }};
}

/// Proof that this CPU runs AVX-512F with the BF16 extension (`vdpbf16ps`,
/// Zen 4 and later, Sapphire Rapids) and that AVX-512 is in use: only
/// [`Avx512Bf16::detect`] makes one.
#[derive(Clone, Copy)]
pub(crate) struct Avx512Bf16(());

impl Avx512Bf16 {
    pub(crate) fn detect() -> Option<Self> {
        (has_x86_feature!("avx512bf16") && Avx512::detect().is_some()).then_some(Avx512Bf16(()))
    }
}

/// Proof that this CPU runs AVX-512F with the VNNI extension (`vpdpbusd`,
/// Ice Lake and Zen 4 and later) and that AVX-512 is in use: only
/// [`Avx512Vnni::detect`] makes one.
#[derive(Clone, Copy)]
pub(crate) struct Avx512Vnni(());

impl Avx512Vnni {
    pub(crate) fn detect() -> Option<Self> {
        (has_x86_feature!("avx512vnni") && Avx512::detect().is_some()).then_some(Avx512Vnni(()))
    }
}

/// The hand-written kernels this process uses, with the proof of their
/// instruction set: AVX-512 where chosen, else AVX2 + FMA. The blocked and
/// the small sgemm dispatch on it.
#[derive(Clone, Copy)]
pub(crate) enum Simd {
    Avx512(Avx512),
    Avx2(Avx2Fma),
}

impl Simd {
    /// `None` where neither set is chosen (matrixmultiply runs instead).
    pub(crate) fn detect() -> Option<Self> {
        Avx512::detect()
            .map(Simd::Avx512)
            .or_else(|| Avx2Fma::detect().map(Simd::Avx2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_runs_lowest_first() {
        for isa in [Isa::Generic, Isa::Avx2, Isa::Avx512] {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
        }
        assert_eq!(Isa::parse(" AVX2 "), Some(Isa::Avx2));
        assert_eq!(Isa::parse("sse"), None);
        assert!(Isa::Generic < Isa::Avx2 && Isa::Avx2 < Isa::Avx512);
    }

    #[test]
    fn the_chosen_set_never_exceeds_the_detected_one() {
        assert!(isa() <= detected_isa());
        assert_eq!(Avx2Fma::detect().is_some(), isa() >= Isa::Avx2);
        assert_eq!(Avx512::detect().is_some(), isa() >= Isa::Avx512);
    }
}
