"""Isolation Forest."""

from ..base import BaseDetector, store_params


class IForest(BaseDetector):
    """Isolation Forest (100 trees of 256 rows); a row's score is
    2^(−mean path length / c(256)), higher for rows isolated sooner."""

    _kind = "iforest"

    def __init__(self, contamination=0.1, seed=0, verbose=False):
        store_params(self, locals())
