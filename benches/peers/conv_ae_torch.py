"""PyTorch CPU on the work of benches/conv_ae.rs, same network and schedule,
so the two can be compared side by side:

    python benches/peers/conv_ae_torch.py          # 2 threads, as the benches

* train_5k: the reference convolutional autoencoder (Conv2d 1→16→32, 3×3,
  stride 2, padding 1; Linear 1568→32→1568; ConvTranspose2d 32→16→1 with
  output_padding 1), BCE on logits, Adam 1e-3, one epoch over 5,000
  uniform-random 28×28 images in shuffled batches of 128;
* score_5k: per-image mean BCE of the 5,000 in chunks of 1,024 under
  no_grad; score_one: one image.

Prints images per second as the median of repeated runs, like criterion's
Throughput::Elements(5_000).
"""

import argparse

import torch
from torch import nn
import torch.nn.functional as F

from timing import median_seconds

N, BATCH, CHUNK = 5_000, 128, 1024


def reference():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(1568, 32), nn.Linear(32, 1568), nn.ReLU(),
        nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(),
        nn.ConvTranspose2d(16, 1, 3, 2, 1, 1),
    )


def one_epoch(model, opt, x):
    perm = torch.randperm(N)
    for i in range(0, N, BATCH):
        b = x[perm[i:i + BATCH]]
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(b), b).backward()
        opt.step()


@torch.no_grad()
def score(model, x):
    out = []
    for i in range(0, x.shape[0], CHUNK):
        b = x[i:i + CHUNK]
        out.append(F.binary_cross_entropy_with_logits(model(b), b, reduction="none").mean(dim=(1, 2, 3)))
    return torch.cat(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.rand(N, 1, 28, 28)
    model = reference()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"conv_ae/train_5k   {N / median_seconds(lambda: one_epoch(model, opt, x), a.repeats):10.0f} images/s")
    model.eval()
    print(f"conv_ae/score_5k   {N / median_seconds(lambda: score(model, x), a.repeats):10.0f} images/s")
    one = x[:1]
    print(f"conv_ae/score_one  {1 / median_seconds(lambda: score(model, one), 200 * a.repeats):10.0f} images/s")


if __name__ == "__main__":
    main()
