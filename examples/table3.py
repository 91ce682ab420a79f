"""Rebuild Nozawa & Sato (2021), Table 3: ⌈E[T]⌉, the expected K+1 that sees every class.

Run:  python examples/table3.py
"""

from __future__ import annotations

import math

import boundcalc as bc

PUBLISHED = {"binary": 3, "ag_news": 9, "cifar10": 30, "cifar100": 519, "wiki3029": 26030, "imagenet1k": 7709}


def main() -> list[dict]:
    rows = []
    print(f"{'data set':<12} {'C':>6} {'E[T]':>14} {'⌈E[T]⌉':>8} {'published':>10}")
    for name, published in PUBLISHED.items():
        p = bc.Prior.preset(name)
        et = bc.expected_draws(p)
        rows.append({"name": name, "classes": p.n_classes, "expected": et, "ceil": math.ceil(et), "published": published})
        print(f"{name:<12} {p.n_classes:>6} {et:>14.6f} {math.ceil(et):>8} {published:>10}")
    assert all(r["ceil"] == r["published"] for r in rows), "a row differs from the published table"
    print("every row matches the published table")
    return rows


if __name__ == "__main__":
    main()
