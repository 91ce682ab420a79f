"""Why boundcalc exists: the float alternating sum Σ_j (−1)^j binom(C, j) (1 − j/C)^n that the
research code evaluates, next to boundcalc's answer, with exact rational arithmetic as the judge.

Run:  python examples/alternating_sum_failure.py
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import comb

import boundcalc as bc

CASES = [(10, 32), (100, 128), (100, 256), (300, 1000), (1000, 3000), (1000, 5000), (1000, 7701)]


def float_alternating_sum(n: int, c: int) -> float:
    """The research notebook's formula in float64 (scipy's float binomials, numpy powers)."""
    j = np.arange(c + 1)
    return float(np.sum((-1.0) ** j * comb(c, j) * (1 - j / c) ** n))


def exact(n: int, c: int) -> Fraction:
    return Fraction(sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1)), c**n)


def main() -> list[dict]:
    rows = []
    print(f"{'C':>5} {'K+1':>6} {'exact':>12} {'float sum':>12} {'rel. error':>11} {'boundcalc':>12} {'rel. error':>11}")
    for c, n in CASES:
        ex = float(exact(n, c))
        fs = float_alternating_sum(n, c)
        ours = bc.coverage_probability(n, c)
        row = {"classes": c, "draws": n, "exact": ex, "float_sum": fs, "boundcalc": ours,
               "float_rel_error": abs(fs - ex) / ex, "boundcalc_rel_error": abs(ours - ex) / ex}
        rows.append(row)
        print(f"{c:>5} {n:>6} {ex:>12.4e} {fs:>12.4e} {row['float_rel_error']:>11.1e} {ours:>12.4e} {row['boundcalc_rel_error']:>11.1e}")
    return rows


if __name__ == "__main__":
    main()
