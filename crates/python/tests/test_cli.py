"""One model file for Python and the command line: a model trained by
either opens in the other and scores identically, bit for bit."""

import json
import subprocess

import numpy as np

import aedetect


def write_csv(path, X):
    """X with a header; 9 significant digits give back every float32 exactly."""
    header = ",".join(f"f{i}" for i in range(X.shape[1]))
    np.savetxt(path, X, delimiter=",", header=header, comments="", fmt="%.9g")


def cli_scores(cli, model, data):
    out = subprocess.run(
        [cli, "score", "--model", str(model), "--data", str(data), "--out", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert out[0] == "score,flag", out[0]
    rows = [line.split(",") for line in out[1:]]
    return (
        np.array([float(s) for s, _ in rows], dtype=np.float32),
        np.array([int(f) for _, f in rows]),
    )


def test_python_model_scored_by_the_cli(cli, blobs, tmp_path):
    X, _ = blobs
    csv = tmp_path / "x.csv"
    write_csv(csv, X)
    for det in (aedetect.Ensemble(members=2, epochs=3), aedetect.KNN(), aedetect.PCA()):
        det.fit(X)
        model = tmp_path / "py.safetensors"
        det.save(model)
        scores, flags = cli_scores(cli, model, csv)
        assert np.array_equal(scores, det.decision_function(X).astype(np.float32))
        assert np.array_equal(flags, det.predict(X)), "one threshold, the same flags"
    facts = json.loads(
        subprocess.run(
            [cli, "inspect", "--json", str(model)], check=True, capture_output=True, text=True
        ).stdout
    )
    assert "aedetect Python package" in json.dumps(facts)


def test_cli_model_loaded_in_python(cli, blobs, tmp_path):
    X, _ = blobs
    csv = tmp_path / "x.csv"
    write_csv(csv, X)
    model = tmp_path / "cli.safetensors"
    subprocess.run(
        [cli, "train", "--data", str(csv), "--normal-only", "--model", "dense",
         "--epochs", "5", "--out", str(model)],
        check=True,
        capture_output=True,
    )
    det = aedetect.load(model)
    assert isinstance(det, aedetect.AutoEncoder)
    assert list(det.feature_names_in_) == [f"f{i}" for i in range(6)]
    scores, flags = cli_scores(cli, model, csv)
    assert np.array_equal(det.decision_function(X).astype(np.float32), scores)
    assert np.array_equal(det.predict(X), flags)
    # Saved again from Python, it is still the CLI's model.
    again = tmp_path / "again.safetensors"
    det.save(again)
    assert np.array_equal(cli_scores(cli, again, csv)[0], scores)
