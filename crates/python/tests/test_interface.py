"""PyOD's interface on every detector: attributes after fit, thresholds,
labels, probabilities, input layouts and dtypes, errors, determinism,
pickling, the progress bar and the GIL."""

import io
import pickle
import threading
import time

import numpy as np
import pytest

import aedetect
from aedetect import _native
from aedetect._progress import ProgressBar

# Every detector, small enough to train in well under a second.
FAST = {
    "AutoEncoder": lambda: aedetect.AutoEncoder(epochs=3),
    "Ensemble": lambda: aedetect.Ensemble(members=2, epochs=2),
    "AEKNN": lambda: aedetect.AEKNN(epochs=2),
    "VAE": lambda: aedetect.VAE(epochs=3),
    "ConvAE": lambda: aedetect.ConvAE(epochs=2),
    "PCA": lambda: aedetect.PCA(),
    "IForest": lambda: aedetect.IForest(),
    "KNN": lambda: aedetect.KNN(n_neighbors=3),
    "Recommended": lambda: aedetect.Recommended(epochs=1),
}


@pytest.mark.parametrize("name", sorted(FAST))
def test_fit_sets_pyod_attributes(name, blobs):
    X, _ = blobs
    det = FAST[name]()
    assert det.fit(X) is det
    n = len(X)
    assert det.decision_scores_.shape == (n,)
    assert det.decision_scores_.dtype == np.float64
    assert det.labels_.shape == (n,)
    assert set(np.unique(det.labels_)) <= {0, 1}
    # PyOD's threshold: the (1 - contamination) quantile of the training
    # scores, so about a tenth of the training rows lie above it.
    assert det.labels_.mean() == pytest.approx(det.contamination, abs=0.02)
    assert np.array_equal(det.labels_, (det.decision_scores_ > det.threshold_).astype(int))
    assert det.n_features_in_ == X.shape[1]
    assert np.array_equal(det.predict(X), det.labels_)
    assert np.array_equal(det.decision_function(X), det.decision_scores_)


def test_scores_rank_the_anomalies_first(blobs):
    X, y = blobs
    from sklearn.metrics import roc_auc_score

    det = aedetect.AutoEncoder(epochs=20).fit(X[y == 0])
    assert roc_auc_score(y, det.decision_function(X)) > 0.95


def test_contamination_moves_the_threshold(blobs):
    X, _ = blobs
    low = aedetect.PCA(contamination=0.05).fit(X)
    high = aedetect.PCA(contamination=0.3).fit(X)
    assert high.threshold_ < low.threshold_
    assert high.labels_.mean() == pytest.approx(0.3, abs=0.02)
    with pytest.raises(ValueError, match="contamination"):
        aedetect.PCA(contamination=0.7).fit(X)


def test_predict_proba_is_pyods(blobs):
    X, _ = blobs
    det = aedetect.AutoEncoder(epochs=3).fit(X)
    p = det.predict_proba(X)
    assert p.shape == (len(X), 2)
    assert np.allclose(p.sum(axis=1), 1.0)
    lo, hi = det.decision_scores_.min(), det.decision_scores_.max()
    assert np.allclose(p[:, 1], (det.decision_scores_ - lo) / (hi - lo))
    u = det.predict_proba(X, method="unify")
    assert np.all((0 <= u) & (u <= 1))
    assert np.all(np.diff(u[np.argsort(det.decision_scores_), 1]) >= 0), "monotone in the score"
    with pytest.raises(ValueError, match="linear"):
        det.predict_proba(X, method="softmax")
    labels, confidence = det.predict(X, return_confidence=True)
    assert np.array_equal(labels, det.labels_)
    assert np.all((0 <= confidence) & (confidence <= 1))


def test_layouts_and_dtypes_score_the_same(blobs):
    X, _ = blobs
    det = aedetect.AutoEncoder(epochs=3).fit(X)
    want = det.decision_function(X)
    assert _native.borrows_rows(X), "C-ordered float32 is scored without a copy"
    for variant in (
        np.asfortranarray(X),
        X.astype(np.float64),
        np.asfortranarray(X.astype(np.float64)),
        X.tolist(),
    ):
        assert np.array_equal(det.decision_function(variant), want)
    assert not _native.borrows_rows(np.asfortranarray(X))
    # A strided view: every other row.
    assert np.array_equal(det.decision_function(X[::2]), want[::2])
    ints = np.arange(60).reshape(10, 6)
    assert np.array_equal(
        det.decision_function(ints), det.decision_function(ints.astype(np.float32))
    )


def test_pandas_frames_keep_their_column_names(blobs):
    pd = pytest.importorskip("pandas")
    X, _ = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    det = aedetect.AutoEncoder(epochs=3).fit(frame)
    assert list(det.feature_names_in_) == list(frame.columns)
    assert det.detector_.feature_names == list(frame.columns)
    assert np.array_equal(det.decision_function(frame), det.decision_function(X))


def test_bad_input_is_a_value_error_naming_row_and_column(blobs):
    X, _ = blobs
    det = aedetect.AutoEncoder(epochs=2).fit(X)
    bad = X.copy()
    bad[17, 4] = np.nan
    with pytest.raises(ValueError, match=r"X\[17, 4\] = NaN.*row 17, column 4"):
        det.decision_function(bad)
    with pytest.raises(ValueError, match=r"row 17, column 4"):
        aedetect.AutoEncoder(epochs=2).fit(bad)
    bad[17, 4] = np.inf
    with pytest.raises(ValueError, match=r"X\[17, 4\] = inf"):
        det.decision_function(bad)
    with pytest.raises(ValueError, match="outside float32's range"):
        det.decision_function(np.full((2, 6), 1e300))
    with pytest.raises(ValueError, match="X has 5 features, but AutoEncoder is expecting 6"):
        det.decision_function(X[:, :5])
    with pytest.raises(ValueError, match="0 sample"):
        det.decision_function(X[:0])
    with pytest.raises(ValueError, match="2D array"):
        det.decision_function(X[0])
    with pytest.raises(ValueError, match="could not convert"):
        det.decision_function(np.array([["a"] * 6]))
    with pytest.raises(ValueError, match="unknown model kind|options"):
        aedetect.AutoEncoder(hidden=[0]).fit(X)
    with pytest.raises(ValueError, match="loss"):
        aedetect.AutoEncoder(loss="hinge").fit(X)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        aedetect.AutoEncoder().decision_function(X)


def test_same_seed_same_model_bit_for_bit(blobs):
    X, _ = blobs
    a = aedetect.Ensemble(members=2, epochs=3, seed=7).fit(X).decision_scores_
    b = aedetect.Ensemble(members=2, epochs=3, seed=7).fit(X).decision_scores_
    c = aedetect.Ensemble(members=2, epochs=3, seed=8).fit(X).decision_scores_
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_views_choose_what_members_read(blobs, tmp_path):
    X, _ = blobs
    same = aedetect.Ensemble(members=2, epochs=2, views="same").fit(X)
    alternate = aedetect.Ensemble(members=2, epochs=2, views="alternate").fit(X)
    # Member 0 is the same network in both; member 1 reads normal scores in one.
    assert not np.array_equal(same.decision_scores_, alternate.decision_scores_)
    assert np.array_equal(
        same.decision_scores_, aedetect.Ensemble(members=2, epochs=2).fit(X).decision_scores_
    )
    path = tmp_path / "alternate.safetensors"
    alternate.save(path)
    back = aedetect.load(path)
    assert back.views == "alternate"
    assert np.array_equal(back.decision_function(X), alternate.decision_function(X))
    with pytest.raises(ValueError, match="views"):
        aedetect.Ensemble(views="ranks").fit(X)
    with pytest.raises(ValueError, match="views"):
        aedetect.Recommended(views="sideways", epochs=1).fit(X)


def test_pickle_keeps_the_fitted_model(blobs):
    X, _ = blobs
    det = aedetect.Ensemble(members=2, epochs=2).fit(X)
    back = pickle.loads(pickle.dumps(det))
    assert np.array_equal(back.decision_function(X), det.decision_function(X))
    assert back.threshold_ == det.threshold_
    assert np.array_equal(back.predict_proba(X), det.predict_proba(X))


def test_save_and_load_give_the_same_detector(blobs, tmp_path):
    X, _ = blobs
    for name, make in FAST.items():
        det = make().fit(X)
        path = tmp_path / f"{name}.safetensors"
        det.save(path)
        back = aedetect.load(path)
        assert type(back) is type(det)
        assert back.get_params() == det.get_params()
        assert np.array_equal(back.decision_function(X), det.decision_function(X)), name
        assert back.threshold_ == det.threshold_
        assert np.array_equal(back.predict(X), det.predict(X))
        assert np.allclose(back.predict_proba(X), det.predict_proba(X))
    with pytest.raises(OSError):
        aedetect.load(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(ValueError, match="not a valid aedetect model file"):
        aedetect.load(tmp_path / "junk.safetensors")


def test_a_failed_save_leaves_the_old_file(blobs, tmp_path):
    X, _ = blobs
    det = aedetect.PCA().fit(X)
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"keep me")
    with pytest.raises(OSError):
        det.save(tmp_path / "no-such-dir" / "m.safetensors")
    assert path.read_bytes() == b"keep me"
    det.save(path)
    assert aedetect.load(path).threshold_ == det.threshold_


def test_images_as_rows_or_stacks():
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(64, 1, 8, 8)).astype(np.float32)
    det = aedetect.ImageAutoEncoder(image_shape=(1, 8, 8), hidden=[4, 8, 4], epochs=2)
    det.fit(images)
    rows = images.reshape(64, 64)
    assert np.array_equal(det.decision_function(rows), det.decision_scores_)
    assert np.array_equal(det.decision_function(images[:, 0]), det.decision_scores_)
    assert det.detector_.image_shape == (1, 8, 8)
    with pytest.raises(ValueError, match="images of shape"):
        det.decision_function(rng.uniform(size=(3, 1, 9, 9)))


def test_verbose_draws_a_progress_bar(blobs, capsys):
    X, _ = blobs
    aedetect.AutoEncoder(epochs=3, verbose=True).fit(X)
    err = capsys.readouterr().err
    assert "fit AutoEncoder:" in err and "100%" in err and "loss=" in err
    aedetect.AutoEncoder(epochs=3).fit(X)
    assert capsys.readouterr().err == "", "quiet by default"
    out = io.StringIO()
    bar = ProgressBar("x", stream=out, interval=0.0)
    bar(1, 4, 0.5)
    bar.close()
    assert out.getvalue().endswith("\n")


def test_the_gil_is_released_while_training(blobs):
    X, _ = blobs
    big = np.tile(X, (20, 1))
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.monotonic()
    aedetect.AutoEncoder(hidden=[64, 32], epochs=100).fit(big)
    took = time.monotonic() - start
    done.set()
    t.join()
    during = [x for x in ticks if start < x < start + took]
    # With the GIL held the ticker could not run at all while training
    # (about 0.5 s here).
    assert took > 0.05 and len(during) > 10, (len(during), took)


def test_threads_and_protocol_split():
    assert aedetect.threads() >= 1
    labels = np.r_[np.zeros(100, bool), np.ones(10, bool)]
    train, cal, test = aedetect.protocol_split(labels.tolist(), 0)
    assert len(train) == 60 and not labels[train].any()
    assert labels[cal].sum() == 5 and labels[test].sum() == 5
    assert len(set(train) | set(cal) | set(test)) == 110
