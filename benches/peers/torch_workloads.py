"""PyTorch CPU on the workloads of benches/dense_workloads.rs, same shapes,
data sizes and schedule, so the two can be compared side by side:

    python benches/peers/torch_workloads.py          # 2 threads, as the benches

* dense_ae: 784-256-64-256-784, ReLU, MSE, Adam 1e-3, one epoch of 10,000
  rows in shuffled batches of 256; scoring the 10,000 rows in chunks of 1,024
  under no_grad (per-row mean squared error).
* vae: 784-256-(mu 16, logvar 16)-256-784, BCE on logits + KL, same schedule;
  scoring decodes z = mu (per-row mean BCE).

Prints rows per second as the median of repeated runs, like criterion's
Throughput::Elements(10_000) for dense_ae/train_10k and the others.
"""

import argparse

import torch
from torch import nn
import torch.nn.functional as F

from timing import median_seconds

ROWS, FEATURES, BATCH, CHUNK = 10_000, 784, 256, 1024


class DenseAe(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(),
            nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784),
        )

    def loss(self, x):
        return F.mse_loss(self.net(x), x)

    def score(self, x):
        return ((self.net(x) - x) ** 2).mean(dim=1)


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, 256), nn.ReLU())
        self.mu = nn.Linear(256, 16)
        self.logvar = nn.Linear(256, 16)
        self.dec = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784))

    def loss(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = self.dec(z)
        rec = F.binary_cross_entropy_with_logits(logits, x)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1))
        return rec + kl / FEATURES

    def score(self, x):
        logits = self.dec(self.mu(self.enc(x)))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)


def train_epoch(model, opt, x):
    model.train()
    for idx in torch.randperm(ROWS).split(BATCH):
        opt.zero_grad(set_to_none=True)
        model.loss(x[idx]).backward()
        opt.step()


@torch.no_grad()
def score(model, x):
    model.eval()
    return torch.cat([model.score(chunk) for chunk in x.split(CHUNK)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(ROWS, FEATURES)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, cls in [("dense_ae", DenseAe), ("vae", Vae)]:
        model = cls()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        tr = ROWS / median_seconds(lambda: train_epoch(model, opt, x), args.runs)
        sc = ROWS / median_seconds(lambda: score(model, x), 2 * args.runs)
        print(f"torch {name}/train_10k {tr:10.0f} rows/s")
        print(f"torch {name}/score_10k {sc:10.0f} rows/s")


if __name__ == "__main__":
    main()
