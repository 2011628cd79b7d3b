"""A 1-D convolutional autoencoder over each row's ordered features."""

from ..base import BaseDetector, store_params


class ConvAE(BaseDetector):
    """1-D convolutional autoencoder over each row's features, for rows
    whose feature order means something (a window of a series, a
    spectrum). ``hidden`` sets its channels; other parameters as in
    :class:`aedetect.AutoEncoder`."""

    _kind = "conv"

    def __init__(
        self,
        hidden=None,
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
