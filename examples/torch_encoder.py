"""A tiny real encoder on a tiny synthetic data set, for ``boundcalc measure --encoder … --data …``.

Run from the repository root:

    boundcalc measure --encoder examples.torch_encoder:make_encoder \\
                      --data examples.torch_encoder:make_loader --k 15 --temperature 0.5

or ``python examples/torch_encoder.py``. The factories take no arguments: ``make_encoder``
returns an nn.Module (here briefly trained with InfoNCE so that the numbers mean something),
``make_loader`` an iterable of (views, labels), views being a list of augmented batches.
Replace them with your own encoder and data loader.
"""

from __future__ import annotations

import itertools

import torch

CLASSES, DIM, PER_CLASS, BATCH = 4, 16, 64, 32


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    centers = 2.0 * torch.randn(CLASSES, DIM, generator=g)
    y = torch.arange(CLASSES).repeat_interleave(PER_CLASS)
    x = centers[y] + torch.randn(len(y), DIM, generator=g)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    return x + 0.3 * torch.randn(x.shape, generator=g)


_calls = itertools.count(1)


def make_loader(seed: int | None = None) -> list[tuple[list[torch.Tensor], torch.Tensor]]:
    """Batches of (two augmented views, labels), the samples always in the same order. Each call
    draws fresh augmentations (seeds 1, 2, … in turn, so runs are reproducible), as a real data
    loader with random augmentations does: `--passes` and `--augmentations` rely on it."""
    x, y = _data()
    g = torch.Generator().manual_seed(next(_calls) if seed is None else seed)
    return [([_augment(x[i : i + BATCH], g), _augment(x[i : i + BATCH], g)], y[i : i + BATCH]) for i in range(0, len(y), BATCH)]


def make_encoder(steps: int = 60) -> torch.nn.Module:
    """A two-layer MLP trained for a few InfoNCE steps on the synthetic data (seeded, < 1 s)."""
    torch.manual_seed(0)
    enc = torch.nn.Sequential(torch.nn.Linear(DIM, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
    opt = torch.optim.Adam(enc.parameters(), lr=1e-2)
    x, _ = _data()
    g = torch.Generator().manual_seed(2)
    for _ in range(steps):
        idx = torch.randint(len(x), (BATCH,), generator=g)
        u = torch.nn.functional.normalize(enc(_augment(x[idx], g)), dim=1)
        v = torch.nn.functional.normalize(enc(_augment(x[idx], g)), dim=1)
        loss = torch.nn.functional.cross_entropy(u @ v.T / 0.5, torch.arange(BATCH))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return enc


if __name__ == "__main__":
    from boundcalc.measure import measure_encoder

    print(measure_encoder(make_encoder(), make_loader, k=15, temperature=0.5, passes=2, augmentations=10))
