"""scikit-learn's exact kNN on the shapes of benches/knn.rs.

Run from the peers virtual environment, on the bench's thread count:

    env -u OPENBLAS_CORETYPE python benches/peers/knn_sklearn.py

For 10,000 reference rows and 10,000 query rows of d standard-normal
features (d = 6, 36, 100, 784), times `NearestNeighbors(n_neighbors=5)
.kneighbors(queries)` with the algorithm scikit-learn picks (`auto`: a k-d
tree for narrow data, brute force through BLAS for wide) and with `brute`
forced, on 2 threads (n_jobs=2 and a 2-thread BLAS). Prints query rows per
second as the median of timed repeats, the figure criterion's
`knn/score_10k/dD` reports as elements/s.
"""

import os

import numpy as np
import sklearn
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from timing import median_seconds

ROWS = 10_000
THREADS = 2


def main():
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}, {THREADS} threads")
    for d in (6, 36, 100, 784):
        reference = np.random.default_rng(1).standard_normal((ROWS, d)).astype(np.float32)
        queries = np.random.default_rng(2).standard_normal((ROWS, d)).astype(np.float32)
        for algorithm in ("auto", "brute"):
            nn = NearestNeighbors(n_neighbors=5, algorithm=algorithm, n_jobs=THREADS).fit(reference)
            with threadpool_limits(THREADS):
                s = median_seconds(lambda: nn.kneighbors(queries), 5)
            print(f"sklearn knn/score_10k/d{d} {algorithm:5} ({nn._fit_method:7}) "
                  f"{ROWS / s / 1e3:9.1f} K rows/s  ({s * 1e3:8.1f} ms)")


if __name__ == "__main__":
    main()
