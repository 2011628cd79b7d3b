"""Anomalies in a time series: trailing windows, smoothed scores and
alarms, as ``aedetect train --time-col`` and ``aedetect score`` give them."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _native
from .._progress import ProgressBar
from .._validation import as_matrix, feature_names
from ..base import BaseDetector, store_params


class SeriesDetector(BaseDetector):
    """An autoencoder over trailing windows of a series.

    The score at a row reads that row and the ``window - 1`` rows before it,
    never a later one, so the same model scores a whole array or a live
    feed (:meth:`stream`). ``fit`` trains on the normal stretch at the
    start of the series it is given: its first ``train_rows`` rows, or
    ``train_fraction`` of them, or all of them when neither is set; a fifth
    of the stretch's windows, held out in blocks across it, set the
    threshold.

    Scores are per row: ``decision_function`` gives the smoothed score (the
    trailing mean of ``smooth`` window errors), NaN for the first
    ``window - 1`` rows, which have no full window, and for the
    ``window - 1`` rows after each gap. ``predict`` gives the
    alarms: rows whose smoothed score is above ``threshold_`` and above
    every smoothed score of the ``cooldown`` rows before them, and over
    1.05 times the 98.5th percentile of the last ``recent_rows`` rows',
    unless an alarm before silences them (while the score stays above
    ``threshold_``, ``cooldown`` rows at most): one alarm per excursion. ``predict_proba`` gives the level
    s / (s + ``threshold_``) of the smoothed score s as the outlier column:
    in [0, 1), ½ at the threshold in every series.

    Parameters
    ----------
    model : str, default "best"
        ``best`` (best on NAB: the LSTM autoencoder on values alone; with
        calendar features the 1-D convolutional one), ``lstm``, ``conv``
        (the 1-D convolutional window autoencoder, about 4× quicker to
        train) or ``dense``, as ``aedetect train --model``.
    window, smooth : int, default 32 and 8
    cooldown : int or None
        Rows a new alarm must top, and an alarm silences at most;
        None: ``window + smooth - 1``.
    recent_rows : int, default 4096
        An alarm's smoothed score must also be over 1.05 times the 98.5th
        percentile of the last ``recent_rows`` rows' (once 100 are scored),
        so a part of the day the normal stretch never held alarms only until
        it is usual. 0: not ranked; at most 2**20.
    calendar : bool or None, default None
        Add hour-of-day and day-of-week features (needs ``timestamps``).
        None: as ``aedetect train``, the ``best`` model adds them where
        the timestamped normal stretch spans two weeks or more.
    threshold : str, default "max+2spread"
        The rule on the held-out windows' smoothed scores (``p99``, …).
        ``max+Kspread`` widens K where fewer than ``8 * window`` windows
        are held out (up to 4×), as ``aedetect train`` does.
    gap_factor : float, default 0.0
        A step between rows longer than ``gap_factor`` times the normal
        stretch's usual longest step (its 99th percentile) is a gap: no
        window spans it, and the series starts anew after it (4 suits holes
        that are outages of the recording). 0: windows span every step,
        since a hole can be the event itself.
    train_rows, train_fraction : the normal stretch (default: all of X).
    hidden, epochs, batch_size, lr, seed, verbose : as for AutoEncoder.

    Unlike PyOD's detectors there is no ``contamination``: a series'
    threshold comes from its normal stretch, not from a share of its rows.

    Timestamps (``timestamps=`` or a pandas DatetimeIndex on ``X``) are
    numpy datetime64, pandas timestamps, ``datetime`` objects or text such
    as ``2014-07-01 00:00:00``, in increasing order; without them rows are
    taken as evenly spaced.
    """

    _kind = "best"

    def __init__(
        self,
        model="best",
        window=32,
        smooth=8,
        cooldown=None,
        recent_rows=4096,
        calendar=None,
        threshold="max+2spread",
        gap_factor=0.0,
        train_rows=None,
        train_fraction=None,
        hidden=None,
        epochs=50,
        batch_size=64,
        lr=1e-3,
        seed=0,
        verbose=False,
    ):
        store_params(self, locals())

    # --- fitting ---------------------------------------------------------
    def fit(self, X, y=None, timestamps=None):
        """Trains on the normal stretch at the start of the series ``X``
        (rows in time order, one column per value); ``y`` is ignored.
        Sets ``decision_scores_`` and ``labels_`` for every row of X."""
        self._check_params()
        names = feature_names(X)
        stamps = _stamps(X, timestamps)
        X = _series_matrix(X)
        n = X.shape[0]
        if self.train_rows is not None:
            rows = int(self.train_rows)
        elif self.train_fraction is not None:
            rows = int(round(n * float(self.train_fraction)))
        else:
            rows = n
        if not 0 < rows <= n:
            raise ValueError(f"the normal stretch of {rows} rows is not within the {n} rows of X")
        bar = ProgressBar(f"fit {type(self).__name__}") if self.verbose else None
        try:
            self.detector_ = _native.fit_series(
                X,
                stamps,
                self.model,
                train_rows=rows,
                window=int(self.window),
                smooth=int(self.smooth),
                cooldown=None if self.cooldown is None else int(self.cooldown),
                recent_rows=int(self.recent_rows),
                calendar=None if self.calendar is None else bool(self.calendar),
                threshold=str(self.threshold),
                gap_factor=float(self.gap_factor),
                hidden=None if self.hidden is None else [int(h) for h in self.hidden],
                epochs=int(self.epochs),
                batch_size=int(self.batch_size),
                lr=float(self.lr),
                seed=int(self.seed),
                columns=names,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        self.threshold_ = float(self.detector_.threshold)
        columns = _native.SeriesStream(self.detector_).push(X, stamps)
        self.decision_scores_ = columns[1]
        self.labels_ = columns[4].astype(int)
        self.detector_.set_info(self._info())
        return self

    # --- scoring ---------------------------------------------------------
    def score_frame(self, X, timestamps=None):
        """Every column ``aedetect score`` writes for the rows of ``X``,
        scored as one series from its first row: a dict of arrays
        ``score``, ``smoothed``, ``level``, ``peak``, ``flag``,
        ``strength`` and ``stands_out`` (:meth:`SeriesStream.push`)."""
        return self.stream().push(X, timestamps)

    def decision_function(self, X, timestamps=None):
        """The smoothed score of each row of the series ``X`` (NaN for the
        first ``window - 1`` rows)."""
        return self.score_frame(X, timestamps)["smoothed"]

    def predict(self, X, timestamps=None):
        """1 for a row that raises an alarm, else 0."""
        return self.score_frame(X, timestamps)["flag"].astype(int)

    def predict_proba(self, X, timestamps=None):
        """[1 − level, level] per row: the level of smoothed score s is
        s / (s + ``threshold_``), ½ at the threshold and still ranking far
        past it (NaN before the first full window)."""
        level = self.score_frame(X, timestamps)["level"]
        return np.column_stack([1.0 - level, level])

    def fit_predict(self, X, y=None, timestamps=None):
        """``fit(X)``, then the alarms on X."""
        return self.fit(X, y, timestamps=timestamps).labels_

    def stream(self):
        """A scorer that takes the series' rows in order, a few at a time
        (a live feed): ``stream().push(rows)`` gives the same numbers as
        scoring all the rows at once."""
        check_is_fitted(self, "detector_")
        return SeriesStream(self)

    # --- for the base class -----------------------------------------------
    def _check_params(self):
        if self.train_rows is not None and self.train_fraction is not None:
            raise ValueError("give train_rows or train_fraction, not both")
        if self.train_fraction is not None and not 0.0 < self.train_fraction <= 1.0:
            raise ValueError(f"train_fraction must be in (0, 1], got {self.train_fraction!r}")
        if not 0 <= self.recent_rows <= 1 << 20:
            raise ValueError(f"recent_rows must be from 0 to 2**20, got {self.recent_rows!r}")
        if not (self.gap_factor == 0 or 1.0 <= self.gap_factor <= 1e6):
            raise ValueError(f"gap_factor must be 0 or from 1 to 1e6, got {self.gap_factor!r}")

    def _info(self):
        # Its threshold rule is the engine's own entry (``threshold``).
        return self._class_info()


class SeriesStream:
    """Rows of a series scored in order by a fitted :class:`SeriesDetector`,
    keeping the rows before them as context."""

    def __init__(self, detector):
        self._detector = detector
        self._native = _native.SeriesStream(detector.detector_)

    @property
    def rows(self):
        """Rows pushed so far."""
        return self._native.rows

    def push(self, X, timestamps=None):
        """Scores the next rows; returns a dict of arrays ``score``,
        ``smoothed``, ``level`` (NaN before the series' first full window),
        ``peak``, ``flag``, ``strength`` (the level of the larger of
        ``score`` and ``smoothed``; ``np.where(flag, strength, 0)`` is the
        anomaly score ``aedetect score --nab`` writes for NAB's scorer) and
        ``stands_out`` (the smoothed score is over 1.05 times the 98.5th
        percentile of the last ``recent_rows`` rows'; an alarm is a peak
        that stands out)."""
        stamps = _stamps(X, timestamps)
        X = _series_matrix(X, self._detector.n_features_in_)
        score, smoothed, level, peak, flag, strength, stands_out = self._native.push(X, stamps)
        return {
            "score": score,
            "smoothed": smoothed,
            "level": level,
            "peak": peak,
            "flag": flag,
            "strength": strength,
            "stands_out": stands_out,
        }


def _series_matrix(X, n_features=None):
    """A series as rows × columns; a 1-D series is one column."""
    X = np.asarray(X) if not hasattr(X, "columns") else X
    if getattr(X, "ndim", 2) == 1:
        X = np.asarray(X).reshape(-1, 1)
    return as_matrix(X, n_features, None, "SeriesDetector")


def _stamps(X, timestamps):
    """The rows' timestamps as text the engine parses, or None."""
    if timestamps is None:
        index = getattr(X, "index", None)
        if index is None or not hasattr(index, "tz"):
            return None  # no DatetimeIndex
        timestamps = index
    if hasattr(timestamps, "tz") and timestamps.tz is not None:
        return [t.isoformat() for t in timestamps]  # keeps the offset
    values = np.asarray(timestamps)
    if values.dtype.kind == "M":
        return list(np.datetime_as_string(values.astype("datetime64[us]"), unit="us"))
    return [t.isoformat() if hasattr(t, "isoformat") else str(t) for t in values]
