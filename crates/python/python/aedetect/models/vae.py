"""A variational autoencoder scored by the reconstruction of its mean code."""

from ..base import BaseDetector, store_params


class VAE(BaseDetector):
    """Variational autoencoder (Gaussian code, reparameterised, trained on
    reconstruction + KL); a row's score is the reconstruction error of the
    decoded mean code. With ``image_shape`` it is convolutional and trains
    with BCE on pixels in [0, 1].

    Parameters
    ----------
    hidden : list of int or None
        The dense widths, then the latent size (e.g. ``[64, 8]``).
    loss : 'mse', 'bce' or None
    image_shape : (channels, height, width) or None
    Other parameters as in :class:`aedetect.AutoEncoder`.
    """

    _kind = "vae"

    def __init__(
        self,
        hidden=None,
        loss=None,
        image_shape=None,
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
        return None if self.image_shape is None else tuple(self.image_shape)
