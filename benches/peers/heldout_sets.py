"""Held-out tabular sets for choosing detectors without tuning to the eight
shared ADBench files: the tabular data that ships inside scikit-learn, labelled
the way ODDS / ADBench label the same UCI sets, plus ADBench's "local"
synthetic anomalies drawn around two of them.

    python benches/peers/heldout_sets.py OUT_DIR

writes OUT_DIR/<n>_<name>.npz with X (float64) and y (1 = anomaly), the
layout of ../shared/datasets/adbench, so `cargo run --release --example
adbench -- OUT_DIR` scores them. Seeded: the same files every run.

* 101_wdbc: Wisconsin diagnostic breast cancer (569 x 30); benign normal,
  40 malignant drawn at random as anomalies (ODDS keeps 10; 40 keeps the
  test split's average precision from resting on five rows).
* 102_optdigits: UCI optical digits (1,797 x 64, integer counts 0-16);
  digits 1-9 normal, 150 zeros anomalies (the ODDS definition).
* 103_wine: UCI wine (178 x 13); classes 2 and 3 normal, 10 of class 1
  anomalies (the ODDS definition).
* 104_wdbc-local, 105_optdigits-local: the normals of 101 / 102 and
  ADBench's local anomalies: a Gaussian mixture fitted to the normals (its
  size chosen by BIC), sampled with every covariance scaled by 5. As many
  anomalies as 101 / 102 have.
"""

import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.mixture import GaussianMixture


def downsample(rng, x, n):
    idx = rng.choice(len(x), size=min(n, len(x)), replace=False)
    return x[np.sort(idx)]


def labelled(normal, anomalies):
    x = np.vstack([normal, anomalies]).astype(np.float64)
    y = np.concatenate([np.zeros(len(normal)), np.ones(len(anomalies))])
    return x, y


def local_anomalies(rng, normal, n, seed):
    """ADBench's local anomalies: a GMM of the normals, covariances x 5."""
    best = None
    for k in range(1, 6):
        g = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed)
        g.fit(normal)
        bic = g.bic(normal)
        if best is None or bic < best[0]:
            best = (bic, g)
    g = best[1]
    comp = rng.choice(g.n_components, size=n, p=g.weights_)
    out = np.empty((n, normal.shape[1]))
    for i, c in enumerate(comp):
        out[i] = rng.multivariate_normal(g.means_[c], 5.0 * g.covariances_[c])
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "target/heldout"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261203)
    sets = {}

    bc = load_breast_cancer()
    benign, malignant = bc.data[bc.target == 1], bc.data[bc.target == 0]
    sets["101_wdbc"] = labelled(benign, downsample(rng, malignant, 40))

    dg = load_digits()
    sets["102_optdigits"] = labelled(
        dg.data[dg.target != 0], downsample(rng, dg.data[dg.target == 0], 150)
    )

    wn = load_wine()
    sets["103_wine"] = labelled(
        wn.data[wn.target != 0], downsample(rng, wn.data[wn.target == 0], 10)
    )

    sets["104_wdbc-local"] = labelled(benign, local_anomalies(rng, benign, 40, 1))
    digits_normal = dg.data[dg.target != 0]
    sets["105_optdigits-local"] = labelled(
        digits_normal, local_anomalies(rng, digits_normal, 150, 2)
    )

    for name, (x, y) in sets.items():
        path = os.path.join(out, name + ".npz")
        np.savez(path, X=x, y=y)
        print(f"{path}: {x.shape[0]} rows, {x.shape[1]} features, {int(y.sum())} anomalies")


if __name__ == "__main__":
    main()
