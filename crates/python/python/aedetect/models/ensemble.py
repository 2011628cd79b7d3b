"""A seed ensemble of dense autoencoders."""

from ..base import BaseDetector, store_params


class Ensemble(BaseDetector):
    """``members`` dense autoencoders trained from different seeds; a row's
    score is the mean of their standardised reconstruction errors. Without
    ``hidden`` or ``dropout`` the members are wide (d-64-32-64-d, dropout
    0.2). ``views``: what the members read, "same" (the standardised rows;
    the default), "alternate" (every second member each feature's normal
    score among the training rows) or "normal-scores" (every member). Other
    parameters as in :class:`aedetect.AutoEncoder`."""

    _kind = "ensemble"

    def __init__(
        self,
        members=5,
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
        views=None,
    ):
        store_params(self, locals())
