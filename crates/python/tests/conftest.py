import os
import pathlib
import shutil

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture
def blobs():
    """400 normal rows of 6 correlated features and 20 anomalies, float32."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(400, 2))
    mix = rng.normal(size=(2, 6))
    normal = latent @ mix + 0.1 * rng.normal(size=(400, 6))
    anomalies = rng.normal(scale=3.0, size=(20, 6))
    X = np.vstack([normal, anomalies]).astype(np.float32)
    y = np.r_[np.zeros(400, int), np.ones(20, int)]
    return X, y


@pytest.fixture(scope="session")
def cli():
    """The `aedetect` binary: $AEDETECT_CLI, else the workspace's release
    build (`cargo build --release -p aedetect-cli`)."""
    path = os.environ.get("AEDETECT_CLI") or str(REPO / "target" / "release" / "aedetect")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        found = shutil.which("aedetect")
        assert found, (
            f"no aedetect binary at {path}: run `cargo build --release -p aedetect-cli` "
            "or set AEDETECT_CLI"
        )
        path = found
    return path
