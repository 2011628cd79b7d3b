"""Input checks shared by every detector: what the engine accepts, and the
messages scikit-learn's users expect when it does not."""

import numpy as np


def feature_names(X):
    """Column names of a pandas DataFrame (or anything with string
    ``columns``), else None."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = [str(c) for c in columns]
    if not all(isinstance(c, str) for c in columns):
        return None
    return names


def as_matrix(X, n_features=None, image_shape=None, name="this detector"):
    """``X`` as a 2-D float32 or float64 NumPy array, without a copy where it
    already is one (C- or Fortran-ordered; the engine borrows C-ordered
    float32 rows and converts the rest once).

    Raises ValueError for an empty input, the wrong number of dimensions or
    features, or values that are not numbers. NaN and infinity are left for
    the engine, which names the row and column of the first one.
    ``image_shape`` (channels, height, width) also accepts a stack of images
    of that shape, (n, channels, height, width) or (n, height, width).
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "sparse input is not supported: pass a dense array (X.toarray())"
        )
    X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {X.dtype}")
    if X.dtype.kind in "biuOUS":
        # Objects and strings holding numbers convert; anything else raises
        # NumPy's own error naming the value.
        X = X.astype(np.float64)
    elif X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32)
    elif X.dtype.kind != "f":
        raise ValueError(f"X must hold numbers; its dtype is {X.dtype}")
    if image_shape is not None and X.ndim in (3, 4):
        c, h, w = image_shape
        if X.shape[1:] not in ((c, h, w), (h, w)) or (X.ndim == 3 and c != 1):
            raise ValueError(
                f"images of shape {X.shape[1:]}, but the model reads {c}×{h}×{w}"
            )
        X = X.reshape(X.shape[0], c * h * w)
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead. Reshape your data "
            "either using array.reshape(-1, 1) if your data has a single feature "
            "or array.reshape(1, -1) if it contains a single sample."
        )
    n, d = X.shape
    if n == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if d == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if n_features is not None and d != n_features:
        raise ValueError(
            f"X has {d} features, but {name} is expecting {n_features} features as input."
        )
    return X
