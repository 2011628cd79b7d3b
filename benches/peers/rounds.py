"""Our criterion benches and a peer script, interleaved for several rounds
in one sitting, with the ratio taken per round.

    env -u OPENBLAS_CORETYPE python benches/peers/rounds.py SUITE [--rounds 5]
        [--filter REGEX] [--markdown]

SUITE is one of:

* `gemm`: `benches/matmul.rs` (`matmul/…`) against `gemm_openblas.py`;
* `dense`: `benches/dense_workloads.rs` (`dense_ae/…`, `vae/…`) against
  `torch_workloads.py`;
* `conv`: `benches/conv_ae.rs` against `conv_ae_torch.py`;
* `lstm`: `benches/lstm_ae.rs` against `lstm_ae_torch.py`.

Why rounds. These machines are virtual and have slow phases: for minutes at
a time one side's throughput can halve with nothing else running. A single
pair of runs then compares a slow phase with a fast one. Here each round
runs our bench and the peer back to back, the order alternating from round
to round (ours first in odd rounds) so that a drift in the machine does not
favour one side; the ratio is taken within the round, and the summary gives
every round's ratio, their median and their minimum.

Our figure is criterion's median sample (`target/criterion/<id>/new/
estimates.json`), not its slope or mean, which one stalled sample moves;
the peers report the median of their timed calls (`timing.py`). Both run
on 2 threads (criterion's pool of the machine's 2 cores; the peers set
their own). The bench binary is built once, before the first round, with
`cargo bench --no-run`.

Run it from the peers' virtual environment (torch, numpy) at the
repository root, with nothing else running.
"""

import argparse
import glob
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PEERS = pathlib.Path(__file__).resolve().parent

# suite: (cargo bench target, default filter, peer script, pairs)
# pairs: (our criterion id, regex on the peer's output whose group 1 is its
# figure per second; a figure in G (GFLOP/s) is read by a regex ending in "G")
SUITES = {
    "gemm": (
        "matmul",
        r"^matmul/",
        "gemm_openblas.py",
        [
            (f"matmul/{s}/{t}t", rf"^openblas {s}/{t}t\s+([\d.]+) (G)FLOP/s")
            for s in [
                "64x20x12",
                "64x12x20",
                "256x784x128",
                "256x128x32",
                "512x512x512",
                "1024x1024x1024",
                "2048x2048x2048",
            ]
            for t in (1, 2)
        ],
    ),
    "dense": (
        "dense_workloads",
        r"^(dense_ae|vae)/",
        "torch_workloads.py",
        [
            (f"{m}/{w}_10k", rf"^torch {m}/{w}_10k\s+([\d.]+) rows/s")
            for m in ("dense_ae", "vae")
            for w in ("train", "score")
        ],
    ),
    "conv": (
        "conv_ae",
        r"^conv_ae/",
        "conv_ae_torch.py",
        [
            (f"conv_ae/{w}", rf"^conv_ae/{w}\s+([\d.]+) images/s")
            for w in ("train_5k", "score_5k", "score_one")
        ],
    ),
    "lstm": (
        "lstm_ae",
        r"^lstm_ae/",
        "lstm_ae_torch.py",
        [
            (f"lstm_ae/{w}", rf"^lstm_ae/{w}\s+([\d.]+) windows/s")
            for w in ("train_4k", "score_4k")
        ],
    ),
}


def bench_binary(target):
    """Builds the bench once and returns its executable's path."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", target, "--no-run", "--message-format=json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            if msg["target"]["name"] == target:
                return msg["executable"]
    sys.exit(f"rounds.py: cargo built no executable for bench {target}")


def our_medians(binary, filt):
    """Runs the bench and returns {criterion id: median throughput per second}."""
    subprocess.run(
        [binary, "--bench", filt],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    medians = {}
    pattern = str(ROOT / "target" / "criterion" / "**" / "new" / "benchmark.json")
    for path in glob.glob(pattern, recursive=True):
        new = pathlib.Path(path).parent
        bench = json.loads((new / "benchmark.json").read_text())
        if not re.search(filt, bench["full_id"]):
            continue
        est = json.loads((new / "estimates.json").read_text())
        ns = est["median"]["point_estimate"]
        per_iter = (bench.get("throughput") or {}).get("Elements", 1)
        medians[bench["full_id"]] = per_iter / ns * 1e9
    return medians


def peer_figures(script, pairs):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    out = subprocess.run(
        [sys.executable, str(PEERS / script)],
        cwd=PEERS,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures, header = {}, out.splitlines()[0] if out else ""
    for ours, pattern in pairs:
        for line in out.splitlines():
            m = re.search(pattern, line.strip())
            if m:
                giga = m.lastindex == 2 and m.group(2) == "G"
                figures[ours] = float(m.group(1)) * (1e9 if giga else 1.0)
    return figures, header


def machine():
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "unknown machine"
    get = lambda key: next(
        (l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith(key + ":")),
        "?",
    )
    return f"{get('Model name')}, CPU family {get('CPU family')} model {get('Model')}, {os.cpu_count()} CPUs"


def scaled(v):
    return f"{v / 1e9:.1f}G" if v >= 1e9 else f"{v / 1e3:.1f}k" if v >= 1e3 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suite", choices=sorted(SUITES))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--filter", help="regex on our criterion ids (default: the suite's)")
    ap.add_argument("--markdown", action="store_true", help="print the summary as a markdown table")
    a = ap.parse_args()
    target, filt, script, pairs = SUITES[a.suite]
    filt = a.filter or filt
    pairs = [(o, p) for o, p in pairs if re.search(filt, o)]
    binary = bench_binary(target)
    print(f"machine: {machine()}")
    rows = {o: [] for o, _ in pairs}
    header = ""
    for r in range(1, a.rounds + 1):
        if r % 2 == 1:
            ours = our_medians(binary, filt)
            peer, header = peer_figures(script, pairs)
        else:
            peer, header = peer_figures(script, pairs)
            ours = our_medians(binary, filt)
        print(f"round {r} ({'ours' if r % 2 else 'peer'} first)", flush=True)
        for o, _ in pairs:
            if o in ours and o in peer:
                rows[o].append((ours[o], peer[o]))
                print(f"  {o:34s} ours {scaled(ours[o]):>9s}/s  peer {scaled(peer[o]):>9s}/s  {ours[o] / peer[o]:6.2f}×", flush=True)
    print(f"peer: {header}")
    if a.markdown:
        print(f"\n| bench | ours, median of rounds /s | peer /s | ratio per round | median | min |")
        print("|---|---|---|---|---|---|")
    for o, obs in rows.items():
        if not obs:
            continue
        ratios = [x / y for x, y in obs]
        med_ours = statistics.median(x for x, _ in obs)
        med_peer = statistics.median(y for _, y in obs)
        per = " / ".join(f"{q:.2f}" for q in ratios)
        if a.markdown:
            print(f"| `{o}` | {scaled(med_ours)} | {scaled(med_peer)} | {per} | **{statistics.median(ratios):.2f}×** | {min(ratios):.2f}× |")
        else:
            print(f"{o:34s} median {statistics.median(ratios):5.2f}×  min {min(ratios):5.2f}×  ({per})")


if __name__ == "__main__":
    main()
