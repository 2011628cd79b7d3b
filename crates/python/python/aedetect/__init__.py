"""aedetect: anomaly detection by autoencoders on a from-scratch Rust
engine, with PyOD's interface.

>>> import numpy as np, aedetect
>>> X = np.random.default_rng(0).normal(size=(500, 8)).astype(np.float32)
>>> det = aedetect.AutoEncoder(epochs=5).fit(X)
>>> det.predict(X).mean()  # doctest: +SKIP
0.1

Every detector has ``fit(X)``, ``decision_function(X)``, ``predict(X)``,
``predict_proba(X)``, ``decision_scores_``, ``threshold_``, ``labels_`` and
``contamination``, and scikit-learn's ``get_params`` / ``set_params``.
``save(path)`` writes the same ``.safetensors`` file as ``aedetect train``;
``aedetect.load(path)`` opens either. ``SeriesDetector`` scores a time
series row by row (trailing windows, smoothed scores, alarms).
"""

from . import _native
from .base import BaseDetector
from .io import load
from .models.ae_knn import AEKNN
from .models.auto_encoder import AutoEncoder
from .models.conv_ae import ConvAE
from .models.ensemble import Ensemble
from .models.iforest import IForest
from .models.image_ae import ImageAutoEncoder
from .models.knn import KNN
from .models.pca import PCA
from .models.recommended import Recommended
from .models.series import SeriesDetector, SeriesStream
from .models.vae import VAE

__version__ = _native.__version__

set_threads = _native.set_threads
threads = _native.threads
protocol_split = _native.protocol_split

__all__ = [
    "AEKNN",
    "AutoEncoder",
    "BaseDetector",
    "ConvAE",
    "Ensemble",
    "IForest",
    "ImageAutoEncoder",
    "KNN",
    "PCA",
    "Recommended",
    "SeriesDetector",
    "SeriesStream",
    "VAE",
    "load",
    "protocol_split",
    "set_threads",
    "threads",
]
