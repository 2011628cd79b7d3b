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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Values from which an element-wise pass splits across threads: 64k values
/// (256 KiB per operand) take tens of microseconds, well above what a pass
/// costs to start on a thread that is already in the pool.
pub const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// Values per task of a split element-wise pass (a multiple of every
/// vector width, so each task but the last runs no scalar tail).
const SPAN: usize = 1 << 14;

/// Runs `f` on a thread of rayon's pool: in place when called there
/// already, else handed over once (the caller waits), with a second thread
/// of the pool kept awake ([`keep_awake`]) until `f` returns. Same results
/// either way; only where the passes inside `f` start from changes.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f();
    }
    let done = AtomicBool::new(false);
    let runner = AtomicUsize::new(usize::MAX);
    let (result, ()) = rayon::join(
        || {
            runner.store(
                rayon::current_thread_index().unwrap_or(usize::MAX),
                Ordering::Release,
            );
            // Set even if `f` panics: the join waits for the other side.
            let _finished = SetOnDrop(&done);
            f()
        },
        || {
            // The join pushed this side first, so any thread that steals
            // from `f`'s thread takes it before anything `f` splits off.
            // `f`'s own thread runs it only after `f` (then `done` is set)
            // or while `f` waits on work it did not split off (another
            // pool's, say): spinning there would wait for itself.
            if rayon::current_thread_index() != Some(runner.load(Ordering::Acquire)) {
                keep_awake(&done);
            }
        },
    );
    result
}

/// Takes the passes `f` splits off while `done` is unset, instead of
/// sleeping between them. An idle pool thread sleeps after a few dozen
/// rounds without work, and waking it costs the thread that splits a pass
/// a futex call (an inter-processor interrupt under a hypervisor): on
/// `conv_ae/train_5k`, whose step runs about forty passes separated by
/// short serial stretches, the wake path was 14 % of the splitting
/// thread's time (Zen 5 VM). OpenMP's threads spin the same way between
/// parallel regions. The spin is a pause between attempts, so a sibling
/// hyperthread keeps most of the core.
fn keep_awake(done: &AtomicBool) {
    while !done.load(Ordering::Acquire) {
        if rayon::yield_now() != Some(rayon::Yield::Executed) {
            for _ in 0..IDLE_PAUSES {
                std::hint::spin_loop();
            }
        }
    }
}

/// Pauses between two looks for work in [`keep_awake`].
const IDLE_PAUSES: usize = 32;

/// Sets its flag when dropped.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
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
        // Its passes still split and finish.
        let mut v = vec![1.0f32; 4 * PARALLEL_MIN_VALUES];
        on_pool(|| for_each_span(&mut v, |_, s| s.iter_mut().for_each(|x| *x *= 2.0)));
        assert!(v.iter().all(|x| *x == 2.0));
    }

    /// Work inside that waits on another pool lets `f`'s own thread look
    /// for work meanwhile, which can be the awake side of the join: it
    /// must return, not spin until `f` (below it on the stack) is done.
    #[test]
    fn waiting_on_another_pool_inside_on_pool_finishes() {
        let other = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for _ in 0..20 {
            let sum = on_pool(|| other.install(|| (0..1000u64).sum::<u64>()));
            assert_eq!(sum, 499_500);
        }
    }

    /// A panic inside still releases the awake thread and reaches the
    /// caller, rather than leaving the join waiting forever.
    #[test]
    fn a_panic_inside_on_pool_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| on_pool(|| panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(on_pool(|| 3), 3);
    }
}
