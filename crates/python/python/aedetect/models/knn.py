"""Distance to the k-th nearest training row."""

from ..base import BaseDetector, store_params


class KNN(BaseDetector):
    """A row's score is its distance to the ``n_neighbors``-th nearest
    training row after standard scaling (what PyOD's ``KNN`` computes with
    ``method='largest'``), by exact distances through the engine's matrix
    product. The model keeps the training rows (a seeded subsample of
    65,536 beyond that)."""

    _kind = "knn"

    def __init__(self, n_neighbors=5, contamination=0.1, seed=0, verbose=False):
        store_params(self, locals())

    def _engine_options(self):
        options = super()._engine_options()
        options["neighbours"] = int(self.n_neighbors)
        return options
