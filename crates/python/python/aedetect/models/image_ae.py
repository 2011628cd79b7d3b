"""The 2-D convolutional autoencoder for images."""

from ..base import BaseDetector, store_params


class ImageAutoEncoder(BaseDetector):
    """Stride-2 Conv2d encoder, linear bottleneck, ConvTranspose2d decoder;
    trained with BCE on logits for pixels in [0, 1] (``loss='mse'`` for
    squared error). ``X`` is rows of channel-major pixels or a stack of
    images (n, channels, height, width), or (n, height, width) for
    grayscale.

    Parameters
    ----------
    image_shape : (channels, height, width), default (1, 28, 28)
    hidden : list of int or None
        The channels, then the latent size (default ``[16, 32, 32]``).
    dropout : float or None
        Dropout in the encoder while training.
    Other parameters as in :class:`aedetect.AutoEncoder`.
    """

    _kind = "conv2d"

    def __init__(
        self,
        image_shape=(1, 28, 28),
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

    def _image_shape(self):
        return tuple(self.image_shape)
