#!/usr/bin/env python3
"""Atelier's networks in PyTorch, for `make bench-peer`.

Written from our layer definitions (gan/generator.go, recommender/cnn.go,
recommender/objective.go) so that both sides run the same shapes:

  G: z (128) -> pixel norm -> linear to 4x4x128 -> leaky ReLU, pixel norm;
     per doubling (64, 48, 32 channels at 8, 16, 32 px): nearest 2x,
     3x3 conv, leaky ReLU 0.2, pixel norm; 3x3 conv to 12 channels,
     depth-to-space 2, sigmoid: 64x64x3. Ours computes each nearest 2x
     and 3x3 conv as the transposed convolution it equals (4 products
     per output instead of 9); the G measures run both formulations here
     and keep PyTorch's faster.
  phi: stride-2 3x3 convs (16, 32, 64, 64), group norm after all but the
     first (groups of 8 channels), leaky ReLU 0.2; flatten 4x4x64 -> linear
     64; category head linear 64 -> 6.
  DVBPR step: 64 triplets, phi forward and backward on their (up to 128)
     distinct images, mean softplus(-theta.(f_pos - f_neg)) + 1e-4 |theta|^2
     + 0.1 cross-entropy of the category head, Adam.

Prints one JSON object: measure -> rate (images/s, or triplets/s for the
DVBPR step). Writes nothing.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def pixel_norm(x, eps=1e-8):
    return x / torch.sqrt(torch.mean(x * x, dim=1, keepdim=True) + eps)


# Rows of A: the 4 taps of the transposed convolution that equals nearest
# upsampling by two followed by a 3x3 convolution (padding 1), in terms of
# the 3 taps of that convolution: k = A.w.A^T (internal/nn/upconv.go).
UP_TAPS = torch.tensor([[0.0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])


class Generator(nn.Module):
    """Our generator. With transposed set, each upsampling and 3x3
    convolution runs as the transposed convolution it equals, as ours
    does on oneDNN; the same function either way."""

    def __init__(self, zdim=128, widths=(128, 64, 48, 32), transposed=False):
        super().__init__()
        self.w0 = widths[0]
        self.transposed = transposed
        self.fc = nn.Linear(zdim, 16 * widths[0])
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(widths, widths[1:]))
        self.to_rgb = nn.Conv2d(widths[-1], 12, 3, padding=1)

    def up(self, c, h):
        if not self.transposed:
            return c(F.interpolate(h, scale_factor=2, mode="nearest"))
        k = torch.einsum("yi,ocij,xj->ocyx", UP_TAPS, c.weight, UP_TAPS)
        return F.conv_transpose2d(h, k.transpose(0, 1), c.bias, stride=2, padding=1)

    def forward(self, z):
        h = self.fc(pixel_norm(z)).view(z.shape[0], self.w0, 4, 4)
        h = pixel_norm(F.leaky_relu(h, 0.2))
        for c in self.convs:
            h = pixel_norm(F.leaky_relu(self.up(c, h), 0.2))
        return torch.sigmoid(F.pixel_shuffle(self.to_rgb(h), 2))


def groups_of(ch):
    return 1 if ch % 8 or ch < 16 else ch // 8


class Phi(nn.Module):
    def __init__(self, channels=(16, 32, 64, 64), dim=64, categories=6, size=64):
        super().__init__()
        layers, prev = [], 3
        for i, ch in enumerate(channels):
            layers.append(nn.Conv2d(prev, ch, 3, stride=2, padding=1))
            if i > 0:
                layers.append(nn.GroupNorm(groups_of(ch), ch))
            layers.append(nn.LeakyReLU(0.2))
            prev = ch
        self.body = nn.Sequential(*layers)
        side = size >> len(channels)
        self.proj = nn.Linear(prev * side * side, dim)
        self.head = nn.Linear(dim, categories)

    def forward(self, x):
        return self.proj(torch.flatten(self.body(x), 1))


def rate(fn, items, seconds):
    fn()  # warm up (oneDNN builds its primitives on first use)
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n * items / elapsed


def generator_measures(g, seconds):
    z8 = torch.randn(8, 128)
    target = torch.zeros(8, 3, 64, 64)

    def g_forward():
        with torch.no_grad():
            g(z8)

    def g_backward(wrt_weights):
        for p in g.parameters():
            p.requires_grad_(wrt_weights)
        z = z8.clone().requires_grad_(not wrt_weights)

        def step():
            g.zero_grad(set_to_none=True)
            F.mse_loss(g(z), target).backward()
        return step

    return {
        "g_forward_8": rate(g_forward, 8, seconds),
        "g_backward_z_8": rate(g_backward(False), 8, seconds),
        "g_backward_weights_8": rate(g_backward(True), 8, seconds),
    }


def measures(seconds):
    torch.manual_seed(1)
    # The generator both ways, upsampling and convolving or as transposed
    # convolutions; each measure keeps the faster.
    g = Generator()
    gt = Generator(transposed=True)
    gt.load_state_dict(g.state_dict())
    with torch.no_grad():
        z = torch.randn(4, 128)
        if not torch.allclose(g(z), gt(z), atol=1e-5):
            raise SystemExit("peer: the two generator formulations disagree")
    gm = generator_measures(g, seconds)
    for k, v in generator_measures(gt, seconds).items():
        gm[k] = max(gm[k], v)

    phi = Phi()
    x32 = torch.rand(32, 3, 64, 64)

    def phi_forward():
        with torch.no_grad():
            phi(x32)

    pool = torch.rand(512, 3, 64, 64)
    labels = torch.randint(0, 6, (512,))
    theta = nn.Embedding(1000, 64)
    dvbpr = Phi()
    opt = torch.optim.Adam(list(dvbpr.parameters()) + list(theta.parameters()), lr=2e-3)

    def dvbpr_step():
        users = torch.randint(0, 1000, (64,))
        idx = torch.randperm(512)[:128]
        pos, neg = torch.arange(0, 64), torch.arange(64, 128)
        feats = dvbpr(pool[idx])
        th = theta(users)
        x = (th * (feats[pos] - feats[neg])).sum(1)
        loss = F.softplus(-x).mean() + 1e-4 * (th * th).sum(1).mean() \
            + 0.1 * F.cross_entropy(dvbpr.head(feats), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return {
        **gm,
        "phi_forward_32": rate(phi_forward, 32, seconds),
        "dvbpr_step_64": rate(dvbpr_step, 64, seconds),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    # Denormal floats in random weights slow some kernels by 10x from one
    # process to the next; a fair peer flushes them, as training setups do.
    torch.set_flush_denormal(True)
    out = measures(a.seconds)
    out["onednn"] = float(torch.backends.mkldnn.is_available())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
