"""Rebuild the bound rows of Nozawa & Sato's CIFAR-10/100 experiments from their published
measured values (L_cont and d(f) per K), and draw the Figure-1-style plot: the Arora et al.
bound explodes as K grows while the coupon-collector bound does not.

Run:  python examples/cifar_bounds.py [--outdir DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from boundcalc.bounds import compute_bounds

# Published measurements: K+1, L_cont, d(f).
CIFAR10 = dict(draws=[32, 64, 128, 256, 512], loss=[2.02, 2.64, 3.29, 3.96, 4.64], d=[-1.16, -1.17, -1.18, -1.18, -1.19])
CIFAR100 = dict(
    draws=[128, 256, 384, 512, 640, 768, 896, 1024],
    loss=[3.32, 3.98, 4.38, 4.66, 4.88, 5.06, 5.21, 5.34],
    d=[-0.99, -0.98, -0.97, -0.97, -0.96, -0.95, -0.96, -0.95],
)
TEMPERATURE = 0.5


def rows_for(classes: int, data: dict):
    ks = [n - 1 for n in data["draws"]]
    return compute_bounds(data["loss"], ks, classes, d=data["d"], temperature=TEMPERATURE)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=Path("."), help="where to write the figures")
    args = ap.parse_args(argv)
    out = {}
    for name, classes, data in [("cifar10", 10, CIFAR10), ("cifar100", 100, CIFAR100)]:
        rows = rows_for(classes, data)
        out[name] = rows
        print(f"\n{name}: upper bounds on L_sup (t = {TEMPERATURE})")
        print(f"{'K+1':>5} {'L_cont':>7} {'Arora':>12} {'Nozawa-Sato':>12} {'Ash':>12} {'Bao':>8}")
        for i, n in enumerate(data["draws"]):
            by = {b.method: b for b in rows if b.k == n - 1}
            cells = [f"{by[m].upper_bound:12.4g}" if by[m].upper_bound is not None else f"{by[m].status:>12}" for m in ("arora", "nozawa-sato", "ash")]
            print(f"{n:>5} {data['loss'][i]:>7.2f} {' '.join(cells)} {by['bao'].upper_bound:8.4g}")
    try:
        from boundcalc.plotting import bounds_figure, save
    except ValueError:
        return out
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in out:
        fig, _ = bounds_figure(out[name], title=f"{name.upper()}: bounds on the supervised loss")
        path = save(fig, args.outdir / f"{name}_bounds.png")
        print(f"wrote {path}")
    return out


if __name__ == "__main__":
    main()
