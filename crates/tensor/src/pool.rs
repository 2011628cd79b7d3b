//! Where parallel work runs: on rayon's pool, and only when it is large
//! enough to pay for the hand-off.
//!
//! A parallel pass started from a thread outside the pool (a program's main
//! thread) hands its work to the pool and sleeps on a lock until it is done:
//! a futex wake and a futex wait per pass. A training step runs about forty
//! passes, so [`on_pool`] moves a whole fit or scoring job onto a pool
//! thread once; its passes then split where they start, the other threads
//! stealing halves. Measured on `conv_ae/train_5k` with one thread
//! (Zen 5): the hand-offs were 22 % of the time.
//!
//! Serial stretches between passes leave the other threads idle; the
//! element-wise maps and per-channel passes of a batch therefore split too
//! ([`for_each_span`]) once they reach [`PARALLEL_MIN_VALUES`].

use rayon::prelude::*;

/// Values from which an element-wise pass splits across threads: 64k values
/// (256 KiB per operand) take tens of microseconds, well above what a pass
/// costs to start on a thread that is already in the pool.
pub const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// Values per task of a split element-wise pass (a multiple of every
/// vector width, so each task but the last runs no scalar tail).
const SPAN: usize = 1 << 14;

/// Runs `f` on a thread of rayon's pool: in place when called there
/// already, else handed over once (the caller waits). Same results either
/// way; only where the passes inside `f` start from changes.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
    }
}

/// Calls `f(start, span)` for consecutive spans of `values` covering
/// 0..values.len(), on every thread when there are at least
/// [`PARALLEL_MIN_VALUES`] of them. For maps whose every value depends only
/// on its own position: the split changes no bit.
pub(crate) fn for_each_span(values: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    for_each_span_of(values, 1, f)
}

/// [`for_each_span`] with every span a whole number of `unit` values (rows
/// of a batch, for a map that repeats along each row).
pub(crate) fn for_each_span_of(
    values: &mut [f32],
    unit: usize,
    f: impl Fn(usize, &mut [f32]) + Sync,
) {
    if values.len() < PARALLEL_MIN_VALUES || unit == 0 {
        return f(0, values);
    }
    let span = SPAN.div_ceil(unit) * unit;
    values
        .par_chunks_mut(span)
        .enumerate()
        .for_each(|(i, part)| f(i * span, part));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_every_value_once_in_place() {
        for n in [
            0,
            5,
            PARALLEL_MIN_VALUES - 1,
            PARALLEL_MIN_VALUES + 3,
            3 * SPAN + 1,
        ] {
            let mut v = vec![0.0f32; n];
            for_each_span(&mut v, |start, span| {
                for (i, x) in span.iter_mut().enumerate() {
                    *x += (start + i) as f32 + 1.0;
                }
            });
            assert!(
                v.iter().enumerate().all(|(i, x)| *x == i as f32 + 1.0),
                "{n}"
            );
        }
    }

    #[test]
    fn on_pool_runs_on_a_pool_thread_and_returns() {
        assert!(on_pool(|| rayon::current_thread_index().is_some()));
        // Nested: already there, so it runs in place.
        assert_eq!(on_pool(|| on_pool(|| 7)), 7);
    }
}
