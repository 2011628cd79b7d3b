"""The interface every detector shares: PyOD's (``fit``,
``decision_function``, ``predict``, ``predict_proba``, ``decision_scores_``,
``threshold_``, ``labels_``, ``contamination``) on scikit-learn's
``BaseEstimator`` (``get_params`` / ``set_params``, so ``clone``,
``Pipeline`` and ``GridSearchCV`` work).

A subclass names its engine model kind (``_kind``) and lists its
constructor parameters; fitting, scoring, thresholds, saving and pickling
are all here.
"""

import json
from math import erf, sqrt

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _native
from ._progress import ProgressBar
from ._validation import as_matrix, feature_names

# Parameters that shape training rather than the model, passed to the
# engine's fit as they are.
_TRAINING = ("epochs", "batch_size", "lr", "robust", "seed")
# Parameters that shape the model (ModelOptions in the engine).
_MODEL = ("hidden", "dropout", "loss", "members", "neighbours", "views")
# Model-file info keys this package writes.
_INFO_CLASS = "python.class"
_INFO_PARAMS = "python.params"
_INFO_SCORES = "python.train_scores"


def store_params(estimator, arguments):
    """Keeps a constructor's arguments (its ``locals()``) as attributes of
    the same names, unchanged, as scikit-learn's ``get_params`` expects."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class BaseDetector(BaseEstimator):
    """Base class of aedetect's detectors, with PyOD's interface.

    Parameters common to every detector:

    contamination : float in (0, 0.5], default 0.1
        The expected share of anomalies in the data ``fit`` sees:
        ``threshold_`` is the ``1 - contamination`` quantile of the training
        scores, as in PyOD.
    seed : int, default 0
        The same seed and thread count give the same model, bit for bit.
    verbose : bool, default False
        A progress bar on standard error while training.
    """

    # The engine's model kind (`aedetect train --model KIND`).
    _kind = None

    # --- fitting ---------------------------------------------------------
    def fit(self, X, y=None):
        """Fits the detector on ``X`` (rows, features); ``y`` is ignored
        (unsupervised, as in PyOD). Returns ``self``."""
        self._check_params()
        names = feature_names(X)
        X = self._matrix(X)
        if X.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 rows to fit; got n_samples = {X.shape[0]}"
            )
        bar = ProgressBar(f"fit {type(self).__name__}") if self.verbose else None
        try:
            detector = _native.Detector.fit(
                X,
                self._kind,
                **self._engine_options(),
                image_shape=self._image_shape(),
                features=names,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        self.detector_ = detector
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        # The default's fit has already scored its training rows (the same
        # values `score` gives); other kinds score them now.
        scores = detector.take_training_scores()
        self.decision_scores_ = scores if scores is not None else detector.score(X)
        self._process_decision_scores()
        detector.threshold = self.threshold_
        detector.set_info(self._info())
        return self

    def _process_decision_scores(self):
        """``threshold_`` and ``labels_`` from ``decision_scores_``, as
        PyOD sets them. The threshold is rounded to float32, the precision
        the engine compares in, so Python and the CLI flag the same rows."""
        scores = self.decision_scores_
        t = np.percentile(scores, 100.0 * (1.0 - self.contamination))
        self.threshold_ = float(np.float32(t))
        self.labels_ = (scores > self.threshold_).astype(int)
        self._mu = float(np.mean(scores))
        self._sigma = float(np.std(scores))
        self._score_range = (float(np.min(scores)), float(np.max(scores)))

    # --- scoring ---------------------------------------------------------
    def decision_function(self, X):
        """Anomaly scores of the rows of ``X``: higher is more anomalous
        (the reconstruction error for an autoencoder)."""
        check_is_fitted(self, "detector_")
        return self.detector_.score(self._matrix(X, self.n_features_in_))

    def predict(self, X, return_confidence=False):
        """1 for a row scoring above ``threshold_`` (an outlier), else 0."""
        scores = self.decision_function(X)
        labels = (scores > self.threshold_).astype(int)
        if return_confidence:
            return labels, self._confidence(scores, labels)
        return labels

    def predict_proba(self, X, method="linear", return_confidence=False):
        """Probabilities of [inlier, outlier] per row, as PyOD computes
        them from the training scores: ``linear`` maps the training scores'
        range to [0, 1] (clipped), ``unify`` applies the Gaussian CDF of the
        standardised score."""
        scores = self.decision_function(X)
        p = self._outlier_probability(scores, method)
        proba = np.column_stack([1.0 - p, p])
        if return_confidence:
            labels = (scores > self.threshold_).astype(int)
            return proba, self._confidence(scores, labels)
        return proba

    def fit_predict(self, X, y=None):
        """``fit(X)``, then the training rows' labels."""
        return self.fit(X, y).labels_

    def _outlier_probability(self, scores, method):
        if not hasattr(self, "_score_range"):
            raise ValueError(
                "predict_proba needs the training scores' range, which this model "
                "file does not hold (it was trained by the CLI); use "
                "decision_function and threshold_"
            )
        if method == "linear":
            lo, hi = self._score_range
            span = hi - lo if hi > lo else 1.0
            return np.clip((scores - lo) / span, 0.0, 1.0)
        if method == "unify":
            sigma = self._sigma if self._sigma > 0 else 1.0
            z = (scores - self._mu) / (sigma * sqrt(2.0))
            return np.clip(np.array([erf(v) for v in z]), 0.0, 1.0)
        raise ValueError(f"method must be 'linear' or 'unify', not {method!r}")

    def _confidence(self, scores, labels):
        """PyOD's confidence in each label: with n training scores of which
        k lie at or below a score, the outlier probability (k + 1)/(n + 2)
        puts the score above the contamination's order statistic with
        probability 1 − BinomCDF(n − ⌊n·contamination⌋; n, (k + 1)/(n + 2));
        the confidence in a 0 label is one minus that."""
        from scipy.stats import binom  # scikit-learn depends on SciPy

        if not hasattr(self, "decision_scores_"):
            raise ValueError(
                "return_confidence needs the training scores, which a loaded model does not hold"
            )
        n = len(self.decision_scores_)
        k = np.searchsorted(np.sort(self.decision_scores_), scores, side="right")
        p = 1.0 - binom.cdf(n - int(n * self.contamination), n, (k + 1) / (n + 2))
        return np.where(labels == 1, p, 1.0 - p)

    # --- files -------------------------------------------------------------
    def save(self, path):
        """Writes the model file ``path`` atomically: the same
        ``.safetensors`` file ``aedetect train`` writes, so
        ``aedetect score --model PATH`` scores with it."""
        check_is_fitted(self, "detector_")
        self.detector_.save(str(path))

    def __getstate__(self):
        state = self.__dict__.copy()
        if "detector_" in state:
            state["detector_"] = bytes(state["detector_"].to_bytes())
        return state

    def __setstate__(self, state):
        if isinstance(state.get("detector_"), bytes):
            state["detector_"] = _native.Detector.from_bytes(state["detector_"])
        self.__dict__.update(state)

    # --- for subclasses ---------------------------------------------------
    def _check_params(self):
        if not (0.0 < self.contamination <= 0.5):
            raise ValueError(
                f"contamination must be in (0, 0.5], got {self.contamination!r}"
            )

    def _image_shape(self):
        return None

    def _matrix(self, X, n_features=None):
        return as_matrix(X, n_features, self._image_shape(), type(self).__name__)

    def _engine_options(self):
        params = self.get_params(deep=False)
        options = {k: params[k] for k in _TRAINING + _MODEL if k in params}
        if options.get("hidden") is not None:
            options["hidden"] = [int(h) for h in options["hidden"]]
        return options

    def _info(self):
        """Facts for the model file: which class made it, its parameters,
        and the training scores' summary that ``predict_proba`` needs."""
        lo, hi = self._score_range
        return {
            **self._class_info(),
            _INFO_SCORES: json.dumps(
                {"min": lo, "max": hi, "mean": self._mu, "std": self._sigma}
            ),
            "threshold_rule": f"contamination {self.contamination} of the training scores",
        }

    def _class_info(self):
        """The facts every class writes: itself, its parameters (so that
        ``aedetect.load`` rebuilds it), the rows it saw and its seed."""
        params = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.get_params(deep=False).items()
        }
        return {
            _INFO_CLASS: type(self).__name__,
            _INFO_PARAMS: json.dumps(params),
            "rows": str(len(self.decision_scores_)),
            "seed": str(self.seed),
            "trained_by": "aedetect Python package",
        }
