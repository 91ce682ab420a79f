"""Why boundcalc exists: two float evaluations of the coupon-collector probability υ_n next to
boundcalc's answer, with exact rational arithmetic as the judge.

- the plain inclusion–exclusion sum Σ_j (−1)^j binom(C, j) (1 − j/C)^n in float64 (the textbook
  formula; it is not what the research notebook evaluates);
- the research notebook's arithmetic (Nozawa & Sato's code, nzw0301/Understanding-Negative-Samples,
  code/notebooks/coupon.ipynb cell 6, ``prob``): υ_n as the sum over n' = C … n of the pmf
  P(T = n') = Σ_{m=0}^{C−2} (−1)^m binom(C−1, m) (1 − (m+1)/C)^{n'−1}, each term clipped at 0,
  in float64. Rounding noise that survives the clipping adds up: 4.5e−4 at C = 100, n = 128
  (printed by the notebook, cell 8, and used in the paper's CIFAR-100 bound), where the truth
  is 1.5e−22.

Run:  python examples/alternating_sum_failure.py
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy.special import comb

import boundcalc as bc

CASES = [(10, 32), (100, 128), (100, 256), (100, 1024), (300, 1000), (1000, 3000), (1000, 5000), (1000, 7701)]


def float_alternating_sum(n: int, c: int) -> float:
    """The plain inclusion–exclusion sum in float64 (scipy's float binomials, numpy powers)."""
    j = np.arange(c + 1)
    return float(np.sum((-1.0) ** j * comb(c, j) * (1 - j / c) ** n))


def notebook_coverage(c: int, n: int) -> float:
    """The research notebook's float arithmetic for υ_n (coupon.ipynb cell 6, re-implemented):
    Σ_{n'=C}^{n} max(0, Σ_{m=0}^{C−2} (−1)^m binom(C−1, m) exp((n'−1) ln(1 − (m+1)/C))), the
    inner sum accumulated in the order of m as the notebook's loop does, for all n' at once."""
    draws = np.arange(c, n + 1, dtype=float)
    pmf = np.zeros_like(draws)
    for m in range(c - 1):
        pmf += comb(c - 1, m) * (-1.0) ** m * np.exp((draws - 1) * np.log(1.0 - (m + 1) / c))
    return float(np.sum(np.maximum(pmf, 0.0)))


def exact(n: int, c: int) -> Fraction:
    return Fraction(sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1)), c**n)


def main() -> list[dict]:
    rows = []
    print(f"{'C':>5} {'K+1':>6} {'exact':>12} {'plain sum':>12} {'rel. error':>11} {'notebook':>12} {'rel. error':>11} "
          f"{'boundcalc':>12} {'rel. error':>11}")
    for c, n in CASES:
        ex = float(exact(n, c))
        fs = float_alternating_sum(n, c)
        nb = notebook_coverage(c, n)
        ours = bc.coverage_probability(n, c)
        row = {"classes": c, "draws": n, "exact": ex, "float_sum": fs, "notebook": nb, "boundcalc": ours,
               "float_rel_error": abs(fs - ex) / ex, "notebook_rel_error": abs(nb - ex) / ex, "boundcalc_rel_error": abs(ours - ex) / ex}
        rows.append(row)
        print(f"{c:>5} {n:>6} {ex:>12.4e} {fs:>12.4e} {row['float_rel_error']:>11.1e} {nb:>12.4e} {row['notebook_rel_error']:>11.1e} "
              f"{ours:>12.4e} {row['boundcalc_rel_error']:>11.1e}")
    return rows


if __name__ == "__main__":
    main()
