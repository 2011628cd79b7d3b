"""PyTorch CPU on the work of benches/lstm_ae.rs, same network and schedule,
so the two can be compared side by side:

    python benches/peers/lstm_ae_torch.py          # 2 threads, as the benches

* train_4k: the LSTM autoencoder of aedetect's series default (windows of
  32 steps of one value; nn.LSTM(1, 32) encoder, its last hidden state
  through Linear(32, 8), the code repeated over the 32 steps into an
  nn.LSTM(8, 32) decoder, Linear(32, 1) per step), MSE, Adam 1e-3, one
  epoch over 4,096 uniform-random windows in shuffled batches of 64;
* score_4k: per-window mean squared error of the 4,096 in chunks of 1,024
  under no_grad;
* score_live_row: one window's score (what one new row of a live feed
  costs: its window through the network).

Prints windows per second (the median of repeated runs, like criterion's
Throughput::Elements) and the live row's median time.
"""

import argparse

import torch
from torch import nn

from timing import median_seconds

N, STEPS, BATCH, CHUNK = 4_096, 32, 64, 1024


class LstmAutoencoder(nn.Module):
    def __init__(self, features=1, hidden=32, latent=8):
        super().__init__()
        self.encoder = nn.LSTM(features, hidden, batch_first=True)
        self.code = nn.Linear(hidden, latent)
        self.decoder = nn.LSTM(latent, hidden, batch_first=True)
        self.out = nn.Linear(hidden, features)

    def forward(self, x):  # x: [N, W, F]
        _, (h, _) = self.encoder(x)
        z = self.code(h[-1])
        y, _ = self.decoder(z.unsqueeze(1).expand(-1, x.shape[1], -1))
        return self.out(y)


def one_epoch(model, opt, x):
    perm = torch.randperm(N)
    for i in range(0, N, BATCH):
        b = x[perm[i:i + BATCH]]
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(b), b).backward()
        opt.step()


@torch.no_grad()
def score(model, x):
    out = []
    for i in range(0, x.shape[0], CHUNK):
        b = x[i:i + CHUNK]
        out.append(((model(b) - b) ** 2).mean(dim=(1, 2)))
    return torch.cat(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.rand(N, STEPS, 1) * 2 - 1
    model = LstmAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    t = median_seconds(lambda: one_epoch(model, opt, x), a.repeats)
    print(f"lstm_ae/train_4k        {N / t:10.0f} windows/s")
    model.eval()
    t = median_seconds(lambda: score(model, x), a.repeats)
    print(f"lstm_ae/score_4k        {N / t:10.0f} windows/s")
    one = x[:1]
    t = median_seconds(lambda: score(model, one), 200)
    print(f"lstm_ae/score_live_row  {t * 1e6:10.1f} µs")


if __name__ == "__main__":
    main()
