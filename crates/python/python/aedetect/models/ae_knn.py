"""One autoencoder scored by reconstruction error and code distance."""

from ..base import BaseDetector, store_params


class AEKNN(BaseDetector):
    """A wide dropout autoencoder (d-64-32-64-d) whose score adds, to the
    reconstruction error, the distance of the row's code to its 5th nearest
    of at most 8,192 training codes: one member of
    :class:`aedetect.Recommended`, trained for 2,500 optimizer steps whatever
    ``epochs`` says. ``hidden`` and ``dropout`` shape it; other parameters as
    in :class:`aedetect.AutoEncoder`."""

    _kind = "ae-knn"

    def __init__(
        self,
        hidden=None,
        dropout=None,
        loss=None,
        contamination=0.1,
        epochs=50,
        batch_size=64,
        lr=1e-3,
        robust=0.0,
        seed=0,
        verbose=False,
    ):
        store_params(self, locals())
