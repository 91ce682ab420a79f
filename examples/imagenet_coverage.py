"""ImageNet-1K: coverage of the uniform prior against the real (train-set) prior, and the
number of negatives needed to see every class with probability 0.99.

Run:  python examples/imagenet_coverage.py [--outdir DIR] [--k-max N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import boundcalc as bc
from boundcalc.errors import MissingExtraError


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=Path("."))
    ap.add_argument("--k-max", type=int, default=16000)
    args = ap.parse_args(argv)
    priors = [bc.Prior.uniform(1000), bc.Prior.preset("imagenet1k")]
    out = {}
    for p in priors:
        t = bc.cover_time(p)
        row = {"expected": t.mean(), "std": t.std(), "k99": int(t.ppf(0.99)) - 1,
               "upsilon_7701": bc.coverage_probability(7701, p),
               "upsilon_7701_without_replacement": bc.coverage_probability(7701, p, replace=False) if p.is_counts else None}
        out[p.name] = row
        print(f"{str(p):<32} E[T] = {row['expected']:9.2f} ± {row['std']:7.2f}   "
              f"K for 99% coverage = {row['k99']:6d}   υ_7701 = {row['upsilon_7701']:.6f}")
    from boundcalc.plotting import coverage_figure, require_matplotlib, save

    try:
        require_matplotlib()
    except MissingExtraError as e:
        print(f"\nno figure: {e}")
        return out
    args.outdir.mkdir(parents=True, exist_ok=True)
    fig, data = coverage_figure(priors, args.k_max, title="ImageNet-1K: uniform vs real class prior")
    out["figure_data"] = data
    print(f"wrote {save(fig, args.outdir / 'imagenet_coverage.png')}")
    return out


if __name__ == "__main__":
    main()
