"""sgemm throughput of numpy's OpenBLAS on the shapes of benches/matmul.rs.

Run from the peers virtual environment with OpenBLAS's own kernel (the
environment of these machines forces its Haswell kernel otherwise):

    env -u OPENBLAS_CORETYPE python benches/peers/gemm_openblas.py

Prints one line per shape and thread count: GFLOP/s as the median of
repeated timed batches (2·M·K·N flops per product), the figure criterion's
`matmul/MxKxN/Tt` reports as elements/s.
"""

import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SHAPES = [
    (64, 20, 12),
    (64, 12, 20),
    (256, 784, 128),
    (256, 128, 32),
    (512, 512, 512),
    (1024, 1024, 1024),
    (2048, 2048, 2048),
]


def median_seconds(f, budget=2.0, batches=15):
    """Median time of one call, over batches sized to ~budget/batches s."""
    f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-7)
    reps = max(1, int(budget / batches / once))
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def main():
    info = [(i.get("internal_api"), i.get("architecture"), i.get("version")) for i in threadpool_info()]
    print(f"numpy {np.__version__}; BLAS {info}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    rng = np.random.default_rng(1)
    for m, k, n in SHAPES:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        for threads in (1, 2):
            with threadpool_limits(threads):
                s = median_seconds(lambda: np.matmul(a, b, out=out))
            print(f"openblas {m}x{k}x{n}/{threads}t {2 * m * k * n / s / 1e9:8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
