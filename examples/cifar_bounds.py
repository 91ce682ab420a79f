"""The four published bounds on L_sup for Nozawa & Sato's CIFAR-10/100 encoders, from their
published L_cont and d(f) (the appendix tables, examples/data/nozawa_sato_published.json) with
τ_K, υ_{K+1} and E[ln(1+Col)] from the uniform prior (i.i.d. draws) — not the paper's measured
values, so these are not the paper's numbers (examples/reproduce_nozawa_sato.py rebuilds those).
Draws the Figure-1-style plot: Arora et al.'s bound explodes as K grows, the coupon-collector
bound does not.

Run:  python examples/cifar_bounds.py [--outdir DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from boundcalc.bounds import Bound, compute_bounds
from boundcalc.errors import MissingExtraError

DATA = Path(__file__).resolve().parent / "data" / "nozawa_sato_published.json"
TEMPERATURE = 0.5


def published(name: str) -> dict:
    """K+1, L_cont and d(f) of one data set, as printed in the appendix table (UNS
    code/notebooks/bound.ipynb cell 13)."""
    table = json.loads(DATA.read_text())["appendix_tables"][name]
    return {"classes": table["classes"], "draws": table["k_plus_1"], "loss": table["rows"]["l_cont"]["values"],
            "d": table["rows"]["d"]["values"]}


def rows_for(classes: int, data: dict) -> list[Bound]:
    ks = [n - 1 for n in data["draws"]]
    return compute_bounds(data["loss"], ks, classes, d=data["d"], temperature=TEMPERATURE)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=Path("."), help="where to write the figures")
    args = ap.parse_args(argv)
    out = {}
    for name in ("cifar10", "cifar100"):
        data = published(name)
        rows = rows_for(data["classes"], data)
        out[name] = rows
        print(f"\n{name}: upper bounds on L_sup (t = {TEMPERATURE}; τ, υ, E[ln(1+Col)] from the uniform prior, not measured)")
        print(f"{'K+1':>5} {'L_cont':>7} {'Arora':>12} {'Nozawa-Sato':>12} {'Ash':>12} {'Bao':>8}")
        for i, n in enumerate(data["draws"]):
            by = {b.method: b for b in rows if b.k == n - 1}
            cells = [f"{by[m].upper_bound:12.4g}" if by[m].upper_bound is not None else f"{by[m].status:>12}" for m in ("arora", "nozawa-sato", "ash")]
            print(f"{n:>5} {data['loss'][i]:>7.2f} {' '.join(cells)} {by['bao'].upper_bound:8.4g}")
    from boundcalc.plotting import bounds_figure, require_matplotlib, save

    try:
        require_matplotlib()
    except MissingExtraError as e:
        print(f"\nno figure: {e}")
        return out
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in out:
        fig, _ = bounds_figure(out[name], title=f"{name.upper()}: bounds on the supervised loss")
        path = save(fig, args.outdir / f"{name}_bounds.png")
        print(f"wrote {path}")
    return out


if __name__ == "__main__":
    main()
