"""The detector that does best across data sets: the CLI's ``--model best``."""

from ..base import BaseDetector, store_params


class Recommended(BaseDetector):
    """Four wide dropout autoencoders (d-64-32-64-d), each trained for 2,500
    optimizer steps whatever the data's size (``epochs`` does not apply to
    rows) and scored by its reconstruction error plus the distance of its
    code to the 5th nearest of at most 8,192 training codes (RESULTS.md).
    Members 2 and 4 read each feature's normal
    score among the training rows (rank, then the normal quantile), the
    others its standardised value; each member's score counts as its normal
    score among that member's training scores, and those are averaged. With
    ``image_shape`` the rows are images and the members are convolutional
    autoencoders reading the pixels.

    Parameters
    ----------
    image_shape : (channels, height, width) or None
        Rows are images of this shape (channel-major pixels in [0, 1]); ``X``
        may then also be a stack (n, channels, height, width).
    views : {None, "same", "alternate", "normal-scores"}
        What the members read: None is the engine's choice ("alternate" for
        rows, "same" for images); "same" is every member the standardised
        rows, "normal-scores" every member the normal scores.
    contamination, epochs, batch_size, lr, robust, seed, verbose
        See :class:`aedetect.AutoEncoder`.
    """

    _kind = "best"

    def __init__(
        self,
        image_shape=None,
        contamination=0.1,
        epochs=50,
        batch_size=64,
        lr=1e-3,
        robust=0.0,
        seed=0,
        verbose=False,
        views=None,
    ):
        store_params(self, locals())

    def _image_shape(self):
        return None if self.image_shape is None else tuple(self.image_shape)
