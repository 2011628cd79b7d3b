"""The one timing rule every peer script uses, so their figures compare with
each other and with criterion's: one warm-up call (allocator, thread pool,
first touch), then the median of `repeats` timed calls."""

import statistics
import time


def median_seconds(f, repeats):
    """Median wall-clock seconds of `repeats` calls of `f`, after one
    untimed call."""
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
