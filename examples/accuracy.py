"""Accuracy of boundcalc's floating-point results against independent references.

Run:  python examples/accuracy.py

References: the exact integer inclusion–exclusion sum (uniform prior), the alternating series
for 1 − υ summed in mpmath until its terms vanish (right tail, K+1 up to 10^7), and
boundcalc's mpmath ``digits=`` mode (plain formulas at 25+ digits) for non-uniform priors.
Errors are relative errors of υ (or of 1 − υ), measured through the logs, so values far
below 1e−308 count too: |Δ ln υ| for υ in range, |Δ ln υ| / |ln υ| below it.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np

import boundcalc as bc


def rel(got: float, want) -> float:
    want = float(want)
    if want == -math.inf:
        return 0.0 if got == -math.inf else math.inf
    if want >= -708.0:  # υ is a normal float: |Δ ln υ| is its relative error
        return abs(got - want)
    return abs(got - want) / abs(want)


def exact_log_uniform(n: int, c: int) -> float:
    num = sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1))
    with mp.workdps(40):
        return float(mp.log(num) - n * mp.log(c)) if num > 0 else -math.inf


def series_log_sf(n: int, c: int) -> float:
    with mp.workdps(60):
        terms, first = [], None
        for j in range(1, c):
            t = mp.binomial(c, j) * mp.power(1 - mp.mpf(j) / c, n)
            first = first or t
            terms.append((-1) ** (j + 1) * t)
            if j > 3 and t < first * mp.mpf(10) ** -60:
                break
        return float(mp.log(mp.fsum(terms)))


def zipf(c: int, total: float) -> bc.Prior:
    z = 1.0 / np.arange(1, c + 1)
    return bc.Prior.from_counts(np.maximum(1, np.round(z / z.sum() * total)).astype(np.int64), name=f"zipf-{c}")


def main() -> dict:
    worst = {}

    def record(label, err):
        worst[label] = max(worst.get(label, 0.0), err)

    for c in [1, 2, 3, 10, 100, 1000]:
        for n in sorted({c, c + 1, 2 * c, 5 * c, 10 * c, 20 * c, min(40 * c, 20000)}):
            want = exact_log_uniform(n, c)
            record("uniform υ vs exact integers (K+1 ≤ 2e4)", rel(bc.log_coverage_probability(n, c), want))
            if want < 0:
                ex_sf = math.log(-math.expm1(want)) if want > -700 else 0.0
                if want > -0.5:  # complement from the exact sum, where it has digits
                    with mp.workdps(60):
                        num = sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1))
                        ex_sf = float(mp.log(1 - mp.mpf(num) / mp.mpf(c) ** n))
                record("uniform 1 − υ vs exact integers", rel(bc.log_coverage_sf(n, c), ex_sf))
    for c, ns in [(1000, [10**5, 10**6, 10**7]), (21841, [10**6, 10**7]), (10**5, [5 * 10**6, 10**7]), (2, [10**7])]:
        for n in ns:
            want = series_log_sf(n, c)
            record("uniform 1 − υ far right tail (K+1 to 1e7) vs mpmath series", rel(bc.log_coverage_sf(n, c), want))
    for c, n in [(10**5, 10**5 + 1), (10**5, 2 * 10**5), (10**5, 10**6), (21841, 10**5)]:
        want = mp.log(bc.coverage_probability(n, c, digits=25))
        record("uniform left tail (υ ≪ 1e-300) vs mpmath", rel(bc.log_coverage_probability(n, c), want))
    for p in [bc.Prior.preset("imagenet1k"), bc.Prior.preset("imagenet_lt"), bc.Prior.preset("places_lt"), zipf(3000, 3e5)]:
        et = bc.expected_draws(p)
        for n in [p.n_classes + 1, int(et / 2), int(et), int(2 * et)]:
            want = mp.log(bc.coverage_probability(n, p, digits=25))
            record("non-uniform priors υ vs mpmath digits mode", rel(bc.log_coverage_probability(n, p), want))
        for n in [int(et / 2), int(et)]:
            if p.is_counts and n < p.total:
                want = mp.log(bc.coverage_probability(n, p, replace=False, digits=25))
                record("without replacement υ vs mpmath digits mode", rel(bc.log_coverage_probability(n, p, replace=False), want))
    for c, k in [(10, 31), (1000, 7700), (100, 127), (3029, 26029)]:
        with mp.workdps(40):
            r = mp.mpf(1) / c
            want = mp.fsum(mp.binomial(k, m) * r**m * (1 - r) ** (k - m) * mp.log(1 + m) for m in range(k + 1))
            tau = 1 - (1 - r) ** k
        record("collision term vs mpmath sum", abs(bc.collision_term(k, c) - float(want)) / float(want))
        record("τ_K vs mpmath", abs(bc.collision_probability(k, c) - float(tau)) / float(tau))
    want = bc.expected_draws("imagenet1k", digits=20)
    record("E[T] ImageNet-1K vs mpmath quadrature", abs(bc.expected_draws("imagenet1k") - float(want)) / float(want))
    print(f"{'check':<64} {'worst relative error':>22}")
    for label, err in worst.items():
        print(f"{label:<64} {err:>22.2e}")
    return worst


if __name__ == "__main__":
    main()
