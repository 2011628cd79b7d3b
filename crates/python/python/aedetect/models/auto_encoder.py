"""A dense autoencoder scored by its reconstruction error."""

from ..base import BaseDetector, store_params


class AutoEncoder(BaseDetector):
    """Dense ReLU autoencoder trained on the rows ``fit`` sees (all taken as
    normal) with Adam; a row's score is its reconstruction error.

    Parameters
    ----------
    hidden : list of int or None
        Encoder widths, mirrored for the decoder (default: sized to the
        data, d/2 then d/4, at least 4 and 2).
    dropout : float or None
        Dropout after each encoder activation while training.
    loss : 'mse', 'bce' or None
        Reconstruction loss (``bce``: on logits, with min-max scaling).
    contamination : float in (0, 0.5], default 0.1
        Share of anomalies expected in the training data; sets ``threshold_``.
    epochs : int, default 50
    batch_size : int, default 64
    lr : float, default 1e-3
        Adam's learning rate.
    robust : float in [0, 0.5), default 0
        Drop each batch's worst-reconstructed share from the loss, so a few
        anomalies in the training data are not learned.
    seed : int, default 0
    verbose : bool, default False
        A progress bar on standard error while training.
    """

    _kind = "dense"

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
