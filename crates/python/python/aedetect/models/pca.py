"""PCA reconstruction error."""

from ..base import BaseDetector, store_params


class PCA(BaseDetector):
    """Principal components keeping 90 % of the training variance, closed
    form; a row's score is its squared distance to their span, per feature."""

    _kind = "pca"

    def __init__(self, contamination=0.1, seed=0, verbose=False):
        store_params(self, locals())
