"""scikit-learn compatibility: its estimator checks, clone, Pipeline and
GridSearchCV.

The checks run on every detector class. Those deliberately expected to fail
are listed in EXPECTED_FAILURES with the reason; every other check must pass.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import aedetect

# Small settings so the checks' many fits stay quick.
ESTIMATORS = [
    aedetect.AutoEncoder(epochs=2),
    aedetect.Ensemble(members=2, epochs=1),
    aedetect.AEKNN(epochs=1),
    aedetect.VAE(epochs=2),
    aedetect.ConvAE(epochs=1),
    aedetect.PCA(),
    aedetect.IForest(),
    aedetect.KNN(n_neighbors=3),
    aedetect.Recommended(epochs=1),
]

# Checks each detector deliberately fails, with the reason.
EXPECTED_FAILURES = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_copies_parameters_not_the_fit(blobs):
    X, _ = blobs
    det = aedetect.AutoEncoder(hidden=[4, 2], epochs=3, contamination=0.05).fit(X)
    twin = clone(det)
    assert twin.get_params() == det.get_params()
    assert not hasattr(twin, "detector_")
    twin.set_params(hidden=[5, 3], contamination=0.2)
    assert twin.hidden == [5, 3] and det.hidden == [4, 2]


def test_in_a_pipeline(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), aedetect.PCA()).fit(X[y == 0])
    scores = pipe.decision_function(X)
    assert roc_auc_score(y, scores) > 0.9
    assert set(np.unique(pipe.predict(X))) <= {0, 1}


def test_grid_search_picks_by_a_label_aware_score(blobs):
    X, y = blobs

    def auc(est, X, y):
        return roc_auc_score(y, est.decision_function(X))

    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        aedetect.KNN(), {"n_neighbors": [1, 5, 20]}, scoring=auc, cv=folds
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["n_neighbors"] in (1, 5, 20)
    assert search.best_estimator_.n_features_in_ == X.shape[1]
    assert len(search.cv_results_["mean_test_score"]) == 3
