//! Run-time CPU feature checks, done once per process.

/// Whether this CPU runs AVX2 and FMA instructions (the hand-written sgemm
/// kernels' requirement). Checked once; on other architectures always false.
pub(crate) fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static OK: OnceLock<bool> = OnceLock::new();
        *OK.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
