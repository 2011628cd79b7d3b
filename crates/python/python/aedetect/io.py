"""Opening model files: ``aedetect.load`` gives back a fitted detector,
whether the file was written by ``save`` here or by ``aedetect train``."""

import json

import numpy as np

from . import _native
from .base import _INFO_CLASS, _INFO_PARAMS, _INFO_SCORES
from .models.ae_knn import AEKNN
from .models.auto_encoder import AutoEncoder
from .models.conv_ae import ConvAE
from .models.ensemble import Ensemble
from .models.iforest import IForest
from .models.image_ae import ImageAutoEncoder
from .models.knn import KNN
from .models.pca import PCA
from .models.recommended import Recommended
from .models.series import SeriesDetector
from .models.vae import VAE

CLASSES = {
    c.__name__: c
    for c in (
        Recommended,
        AutoEncoder,
        Ensemble,
        AEKNN,
        VAE,
        ConvAE,
        ImageAutoEncoder,
        PCA,
        IForest,
        KNN,
        SeriesDetector,
    )
}

# The class for a file the CLI wrote, by the model kind it records.
_BY_KIND = {
    "dense": AutoEncoder,
    "ensemble": Ensemble,
    "ae_knn": AEKNN,
    "vae": VAE,
    "conv": ConvAE,
    "conv2d": ImageAutoEncoder,
    "pca": PCA,
    "iforest": IForest,
    "knn": KNN,
}


def load(path):
    """The detector saved in the model file ``path``, fitted: it scores
    exactly as the detector that was saved, and as ``aedetect score`` with
    the same file.

    A file saved from Python comes back as its class with its parameters.
    A file from ``aedetect train`` comes back as the class of its model kind
    with default parameters, its threshold as the CLI calibrated it, and no
    training scores (so no ``decision_scores_``, ``labels_`` or
    ``predict_proba``, which need them).
    """
    return _from_native(_native.Detector.load(str(path)))


def _from_native(detector):
    info = detector.info
    name = info.get(_INFO_CLASS)
    if name in CLASSES:
        est = CLASSES[name](**json.loads(info.get(_INFO_PARAMS, "{}")))
    elif detector.is_series:
        est = _cli_series(detector)
    else:
        est = _cli_class(detector)()
        if detector.image_shape is not None and "image_shape" in est.get_params():
            est.set_params(image_shape=detector.image_shape)
    est.detector_ = detector
    est.n_features_in_ = detector.features_in
    if detector.is_series:
        # A series model reads windows; X holds one value per column.
        series = json.loads(detector.series)
        est.n_features_in_ = len(series["columns"])
        est.feature_names_in_ = np.asarray(series["columns"], dtype=object)
    elif detector.feature_names:
        est.feature_names_in_ = np.asarray(detector.feature_names, dtype=object)
    if detector.threshold is not None:
        est.threshold_ = float(detector.threshold)
    if _INFO_SCORES in info:
        s = json.loads(info[_INFO_SCORES])
        est._score_range = (s["min"], s["max"])
        est._mu, est._sigma = s["mean"], s["std"]
    return est


def _cli_series(detector):
    """A SeriesDetector with the windows, smoothing, cooldown, recent rows and model
    kind of a file ``aedetect train --time-col`` wrote."""
    s = json.loads(detector.series)
    kind = json.loads(detector.config)["kind"]
    return SeriesDetector(
        model=kind if kind in ("dense", "conv", "lstm") else "best",
        window=s["window"],
        smooth=s["smooth"],
        cooldown=s["cooldown"],
        recent_rows=s["recent_rows"],
        calendar=s["calendar"],
        threshold=detector.info.get("threshold_rule", "max+4spread"),
    )


def _cli_class(detector):
    config = json.loads(detector.config)
    kind = config["kind"]
    if kind == "ensemble" and config["base"]["kind"] == "ae_knn":
        return Recommended
    if kind not in _BY_KIND:
        raise ValueError(f"no Python class reads model kind {kind!r}")
    return _BY_KIND[kind]
