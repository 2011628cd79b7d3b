"""aedetect's Python package against PyOD's AutoEncoder on the eight shared
ADBench sets, side by side in one process.

Run from a virtual environment with aedetect (pip install ./crates/python),
PyOD, torch and scikit-learn installed, on 2 threads:

    env -u OPENBLAS_CORETYPE python benches/peers/pyod_adbench.py \
        [--data ../shared/datasets/adbench] [--seeds 0,1,2] [--cli target/release/aedetect]

The protocol is the repository's (`aedetect eval`, RESULTS.md): for each
seed, `aedetect.protocol_split` splits normals 60/20/20 and anomalies 50/50;
every detector fits on the train normals only; the threshold is the 99th
percentile of the calibration normals' scores; ROC-AUC, average precision
and recall at that threshold are measured on the test split.

Detectors:
* `aedetect.Recommended` — the package's default, the CLI's `--model best`;
  with `--cli`, `aedetect eval` runs on the same file and seeds, and its
  ROC-AUC is printed beside (the same model, so the same numbers).
* `pyod.models.auto_encoder.AutoEncoder()` with its defaults (10 epochs of
  batch 32, 64-32 hidden, dropout 0.2, batch norm, Adam 1e-3).
* `aedetect.AutoEncoder(hidden=[64, 32], dropout=0.2, epochs=10,
  batch_size=32)`: PyOD's recipe on our engine (without batch norm and
  weight decay), to compare the engines at equal work.

Fit seconds are wall-clock `fit` calls (both compute the training scores
inside `fit`); PyOD is fitted once before timing so torch's one-time start-up
is not counted against it.
"""

import argparse
import json
import os
import pathlib
import subprocess
import time

import numpy as np
import torch
from pyod.models.auto_encoder import AutoEncoder as PyodAutoEncoder
from sklearn.metrics import average_precision_score, roc_auc_score
from threadpoolctl import threadpool_limits

import aedetect

THREADS = 2
DEFAULT, PYOD, RECIPE = "aedetect default", "PyOD AutoEncoder", "aedetect, PyOD's recipe"
SETS = [
    "6_cardio",
    "23_mammography",
    "24_mnist",
    "28_pendigits",
    "31_satimage-2",
    "32_shuttle",
    "38_thyroid",
    "42_WBC",
]


def metrics(scores_cal, cal_normal, scores_test, y_test):
    threshold = np.percentile(scores_cal[cal_normal], 99)
    flagged = scores_test > threshold
    return (
        roc_auc_score(y_test, scores_test),
        average_precision_score(y_test, scores_test),
        flagged[y_test].mean(),
    )


def run(make, X, y, train, cal, test):
    det = make()
    start = time.perf_counter()
    det.fit(X[train])
    seconds = time.perf_counter() - start
    m = metrics(det.decision_function(X[cal]), ~y[cal], det.decision_function(X[test]), y[test])
    return m + (seconds,)


def cli_auc(cli, path, seeds):
    out = subprocess.run(
        [cli, "eval", "--data", str(path), "--seeds", ",".join(map(str, seeds)), "--json",
         "--threads", str(THREADS)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)["roc_auc"]


def main():
    here = pathlib.Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(here.parent / "shared" / "datasets" / "adbench"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--cli", default=None)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    torch.set_num_threads(THREADS)
    print(
        f"aedetect {aedetect.__version__} ({aedetect.threads()} threads), "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"numpy {np.__version__}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
    )
    detectors = {
        DEFAULT: lambda seed: (lambda: aedetect.Recommended(seed=seed)),
        PYOD: lambda seed: (
            lambda: PyodAutoEncoder(random_state=seed, verbose=0)
        ),
        RECIPE: lambda seed: (
            lambda: aedetect.AutoEncoder(
                hidden=[64, 32], dropout=0.2, epochs=10, batch_size=32, seed=seed
            )
        ),
    }
    warm = np.random.default_rng(0).normal(size=(256, 8))
    PyodAutoEncoder(verbose=0).fit(warm)

    rows = []
    with threadpool_limits(THREADS):
        for name in SETS:
            path = pathlib.Path(args.data) / f"{name}.npz"
            data = np.load(path)
            X, y = data["X"].astype(np.float64), data["y"].astype(bool)
            results = {k: [] for k in detectors}
            for seed in seeds:
                train, cal, test = aedetect.protocol_split(y.tolist(), seed)
                for k, make in detectors.items():
                    results[k].append(run(make(seed), X, y, train, cal, test))
            mean = {k: np.mean(v, axis=0) for k, v in results.items()}
            cli = cli_auc(args.cli, path, seeds) if args.cli else float("nan")
            rows.append((name, mean, cli))
            d, p, r = mean[DEFAULT], mean[PYOD], mean[RECIPE]
            print(
                f"{name}: default {d[0]:.3f}/{d[1]:.3f}/{d[2]:.3f} in {d[3]:.2f} s (CLI {cli:.3f}); "
                f"PyOD AE {p[0]:.3f}/{p[1]:.3f}/{p[2]:.3f} in {p[3]:.2f} s; "
                f"PyOD's recipe here {r[0]:.3f} in {r[3]:.3f} s",
                flush=True,
            )

    print()
    print("| data set | default: ROC-AUC / AP / recall | CLI default ROC-AUC | PyOD AE: ROC-AUC / AP / recall "
          "| fit s: default | fit s: PyOD AE | PyOD AE ÷ default | PyOD's recipe here: ROC-AUC, fit s | PyOD AE ÷ recipe here |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m, cli in rows:
        d, p, r = m[DEFAULT], m[PYOD], m[RECIPE]
        print(
            f"| {name} | {d[0]:.3f} / {d[1]:.3f} / {d[2]:.3f} | {cli:.3f} | {p[0]:.3f} / {p[1]:.3f} / {p[2]:.3f} "
            f"| {d[3]:.2f} | {p[3]:.2f} | {p[3] / d[3]:.2f}× | {r[0]:.3f}, {r[3]:.3f} | {p[3] / r[3]:.1f}× |"
        )
    tot = {k: sum(m[k][3] for _, m, _ in rows) for k in detectors}

    def mean_of(k, i):
        return np.mean([m[k][i] for _, m, _ in rows])

    cli_mean = np.mean([c for _, _, c in rows])
    print(
        f"| **mean** | {mean_of(DEFAULT, 0):.3f} / {mean_of(DEFAULT, 1):.3f} / {mean_of(DEFAULT, 2):.3f} "
        f"| {cli_mean:.3f} | {mean_of(PYOD, 0):.3f} / {mean_of(PYOD, 1):.3f} / {mean_of(PYOD, 2):.3f} "
        f"| {tot[DEFAULT]:.2f} (sum) | {tot[PYOD]:.2f} (sum) | {tot[PYOD] / tot[DEFAULT]:.2f}× "
        f"| {mean_of(RECIPE, 0):.3f}, {tot[RECIPE]:.2f} (sum) | {tot[PYOD] / tot[RECIPE]:.1f}× |"
    )

if __name__ == "__main__":
    main()
