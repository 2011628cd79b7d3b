"""SeriesDetector: a time series scored row by row as the command line
scores it, in one array or as a live feed, with one model file for both."""

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import aedetect


def daily_series(days=12, per_day=48, jump_day=9):
    """A daily cycle with noise, and a jump on `jump_day` (rows of 30 min)."""
    rng = np.random.default_rng(1)
    n = days * per_day
    t = np.arange(n)
    values = np.sin(2 * np.pi * t / per_day) + 0.05 * rng.normal(size=n)
    jump = jump_day * per_day + 20
    values[jump : jump + 6] += 3.0
    index = pd.date_range("2014-07-01", periods=n, freq="30min", name="timestamp")
    return pd.DataFrame({"value": values.astype(np.float32)}, index=index), jump


@pytest.fixture(scope="module")
def fitted():
    df, jump = daily_series()
    det = aedetect.SeriesDetector(window=12, smooth=3, train_rows=7 * 48, epochs=20)
    return det.fit(df), df, jump


def test_scores_are_per_row_causal_and_flag_the_jump(fitted):
    det, df, jump = fitted
    scores = det.decision_scores_
    assert scores.shape == (len(df),)
    assert np.isnan(scores[:11]).all() and np.isfinite(scores[11:]).all()
    assert det.labels_[jump : jump + 12].any(), "the jump raises an alarm"
    assert det.labels_[: 7 * 48].sum() <= 2, "the normal stretch raises (almost) none"
    # Causal: rows after t never change the score at t.
    head = det.decision_function(df.iloc[:300])
    assert np.array_equal(head, scores[:300], equal_nan=True)
    # predict and predict_proba agree with the frame the CLI would write.
    frame = det.score_frame(df)
    assert np.array_equal(det.predict(df), frame["flag"].astype(int))
    proba = det.predict_proba(df)
    assert np.allclose(proba[11:].sum(axis=1), 1.0)
    assert np.array_equal(proba[:, 1], frame["level"], equal_nan=True)
    # An alarm is a peak above the threshold that stands out from the
    # recent rows.
    assert not (frame["flag"] & ~frame["peak"]).any()
    assert not (frame["flag"] & ~frame["stands_out"]).any()
    assert frame["stands_out"][11:111].all(), "before 100 rows are scored"
    assert (frame["smoothed"][frame["flag"]] > det.threshold_).all()
    # The strength is the level of the larger of the window's error and the
    # smoothed score.
    top = np.maximum(frame["score"], frame["smoothed"])
    assert np.allclose(frame["strength"], top / (top + det.threshold_), equal_nan=True)
    assert (frame["strength"][11:] >= frame["level"][11:]).all()


def test_a_live_feed_gives_the_array_s_numbers(fitted):
    det, df, _ = fitted
    whole = det.score_frame(df)
    stream = det.stream()
    parts = [stream.push(df.iloc[i : i + 5]) for i in range(0, len(df), 5)]
    assert stream.rows == len(df)
    for key in ("score", "smoothed", "level", "peak", "flag", "strength", "stands_out"):
        joined = np.concatenate([p[key] for p in parts])
        assert np.array_equal(joined, whole[key], equal_nan=True), key


def test_timestamps_arrays_and_errors():
    df, _ = daily_series(days=8)
    values = df["value"].to_numpy()
    # A 1-D array with timestamps given apart, as datetime64 or as text.
    a = aedetect.SeriesDetector(window=8, train_rows=300, epochs=5, calendar=True)
    a.fit(values, timestamps=df.index.to_numpy())
    b = aedetect.SeriesDetector(window=8, train_rows=300, epochs=5, calendar=True)
    b.fit(values, timestamps=[str(t) for t in df.index])
    assert np.array_equal(a.decision_scores_, b.decision_scores_, equal_nan=True)
    with pytest.raises(ValueError, match="calendar features need the rows' timestamps"):
        aedetect.SeriesDetector(window=8, train_rows=300, calendar=True).fit(values)
    backwards = df.index.to_numpy().copy()
    backwards[50] = backwards[10]
    with pytest.raises(ValueError, match=r"timestamps\[50\] is not after timestamps\[49\]"):
        aedetect.SeriesDetector(window=8, train_rows=300).fit(values, timestamps=backwards)
    with pytest.raises(ValueError, match=r'timestamps\[3\] = "noon" is not a timestamp'):
        stamps = [str(t) for t in df.index]
        stamps[3] = "noon"
        aedetect.SeriesDetector(window=8, train_rows=300).fit(values, timestamps=stamps)
    bad = values.copy()
    bad[40] = np.nan
    with pytest.raises(ValueError, match="row 40"):
        aedetect.SeriesDetector(window=8, train_rows=300, epochs=2).fit(bad)
    with pytest.raises(ValueError, match="best-F1 threshold needs labelled anomalies"):
        aedetect.SeriesDetector(window=8, train_rows=300, threshold="f1").fit(values)
    with pytest.raises(ValueError, match="too few to train on"):
        aedetect.SeriesDetector(window=8, train_rows=9, epochs=2).fit(values)
    with pytest.raises(ValueError, match="features"):
        a.decision_function(np.zeros((20, 2), np.float32))


def test_one_model_file_with_the_cli_and_pickling(cli, fitted, tmp_path):
    det, df, _ = fitted
    csv = tmp_path / "s.csv"
    df.to_csv(csv, date_format="%Y-%m-%d %H:%M:%S", float_format="%.9g")
    model = tmp_path / "py.safetensors"
    det.save(model)

    def cli_columns(model):
        out = subprocess.run(
            [cli, "score", "--model", str(model), "--data", str(csv), "--out", "-"],
            check=True, capture_output=True, text=True,
        ).stdout.splitlines()
        assert out[0] == "timestamp,score,smoothed,level,flag"
        rows = [line.split(",") for line in out[1:]]
        smoothed = np.array([float(r[2]) if r[2] else np.nan for r in rows], np.float32)
        return smoothed, np.array([int(r[4]) for r in rows])

    smoothed, flags = cli_columns(model)
    assert np.array_equal(smoothed, det.decision_scores_.astype(np.float32), equal_nan=True)
    assert np.array_equal(flags, det.labels_)

    # A model the CLI trained opens as a SeriesDetector and scores the same.
    cli_model = tmp_path / "cli.safetensors"
    subprocess.run(
        [cli, "train", "--data", str(csv), "--time-col", "timestamp", "--window", "12",
         "--smooth", "3", "--train-rows", str(7 * 48), "--epochs", "20", "--out", str(cli_model)],
        check=True, capture_output=True,
    )
    loaded = aedetect.load(cli_model)
    assert isinstance(loaded, aedetect.SeriesDetector)
    assert loaded.get_params()["window"] == 12 and loaded.get_params()["cooldown"] == 14
    smoothed, flags = cli_columns(cli_model)
    # Both files record the rule the threshold came from: 61 windows held
    # out (blocks of 24, the last one 13), fewer than 8·W = 96, widen two
    # spreads by 96/61.
    for path in (model, cli_model):
        facts = json.loads(
            subprocess.run(
                [cli, "inspect", "--json", str(path)], check=True, capture_output=True, text=True
            ).stdout
        )
        assert facts["training"]["threshold_rule"] == "max+3.15spread", path
        assert facts["training"]["held_out_windows"] == "61", path
    assert np.array_equal(loaded.decision_function(df).astype(np.float32), smoothed, equal_nan=True)
    assert np.array_equal(loaded.predict(df), flags)
    # The same options and seed from Python give the CLI's model, bit for bit.
    assert np.array_equal(
        smoothed, det.decision_scores_.astype(np.float32), equal_nan=True
    ), "Python and the CLI train the same model"

    again = pickle.loads(pickle.dumps(det))
    assert clone(det).get_params() == det.get_params()
    assert np.array_equal(again.decision_function(df), det.decision_scores_, equal_nan=True)


def test_progress_counts_to_its_total():
    df, _ = daily_series(days=8)
    calls = []
    aedetect._native.fit_series(
        df["value"].to_numpy().reshape(-1, 1), None, "conv", train_rows=300, window=8,
        epochs=2, progress=lambda done, total, loss: calls.append((done, total)),
    )
    assert calls and calls[-1][0] == calls[-1][1], calls[-3:]
    assert len({total for _, total in calls}) == 1


def test_a_stretch_of_two_weeks_gets_the_calendar_and_the_conv_model():
    df, _ = daily_series(days=24)
    # 16 days of half-hours in the stretch: the best model adds the
    # calendar and is the 1-D conv autoencoder, as `aedetect train` does.
    det = aedetect.SeriesDetector(window=8, train_rows=16 * 48, epochs=2).fit(df)
    assert json.loads(det.detector_.series)["calendar"] is True
    assert json.loads(det.detector_.config)["kind"] == "conv"
    # calendar=False, a named model, or rows without timestamps: values alone.
    for kw in ({"calendar": False}, {"model": "dense"}):
        det = aedetect.SeriesDetector(window=8, train_rows=16 * 48, epochs=2, **kw).fit(df)
        assert json.loads(det.detector_.series)["calendar"] is False, kw
    det = aedetect.SeriesDetector(window=8, train_rows=16 * 48, epochs=2).fit(
        df["value"].to_numpy()
    )
    assert json.loads(det.detector_.series)["calendar"] is False
    assert json.loads(det.detector_.config)["kind"] == "lstm"
    # A stretch of a week: values alone, the LSTM.
    det = aedetect.SeriesDetector(window=8, train_rows=7 * 48, epochs=2).fit(df)
    assert json.loads(det.detector_.series)["calendar"] is False


def test_gap_factor_keeps_windows_off_a_hole():
    df, _ = daily_series()
    holed = pd.concat([df.iloc[:400], df.iloc[448:]])  # a day missing after the stretch
    det = aedetect.SeriesDetector(
        window=12, smooth=3, train_rows=7 * 48, epochs=5, gap_factor=4
    ).fit(holed)
    scores = det.decision_scores_
    # The row after the hole and the 10 after it have no window.
    assert np.isnan(scores[400:411]).all() and np.isfinite(scores[411:]).all()
    assert np.isfinite(scores[11:400]).all()
    plain = aedetect.SeriesDetector(window=12, smooth=3, train_rows=7 * 48, epochs=5).fit(holed)
    assert np.isfinite(plain.decision_scores_[11:]).all()
    with pytest.raises(ValueError, match="gap_factor"):
        aedetect.SeriesDetector(gap_factor=0.5).fit(holed)
