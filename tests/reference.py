"""Independent reference implementations for the tests (slow, simple, exact or high precision).

None of these share code with boundcalc: brute-force enumeration, subset inclusion–exclusion
over all 2^C subsets with Fractions, Stirling numbers by their recurrence, truncated alternating
sums in mpmath, and the Cauchy integral by mpmath's own tanh-sinh quadrature.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath as mp


def brute_force_coverage(n: int, weights: list[int]) -> Fraction:
    """P(n i.i.d. draws cover all classes) by enumerating all C^n sequences."""
    total = sum(weights)
    c = len(weights)
    acc = Fraction(0)
    for seq in itertools.product(range(c), repeat=n):
        if len(set(seq)) == c:
            acc += math.prod(Fraction(weights[i], total) for i in seq)
    return acc


def brute_force_coverage_without_replacement(n: int, counts: list[int]) -> Fraction:
    """P(n items drawn without replacement cover all classes), enumerating all subsets."""
    labels = [c for c, k in enumerate(counts) for _ in range(k)]
    hits = total = 0
    for comb in itertools.combinations(range(len(labels)), n):
        total += 1
        hits += len({labels[i] for i in comb}) == len(counts)
    return Fraction(hits, total)


def subset_coverage(n: int, weights: list[int]) -> Fraction:
    """Σ_{S⊆[C]} (−1)^{|S|} (1 − ρ(S))^n over all 2^C subsets, exactly."""
    total = sum(weights)
    c = len(weights)
    acc = Fraction(0)
    for mask in range(1 << c):
        s = sum(weights[i] for i in range(c) if mask >> i & 1)
        acc += (-1) ** bin(mask).count("1") * Fraction(total - s, total) ** n
    return acc


def stirling2(n: int, k: int) -> int:
    """Stirling numbers of the second kind by the recurrence S(n,k) = k S(n−1,k) + S(n−1,k−1)."""
    row = [1] + [0] * k
    for _ in range(n):
        new = [0] * (k + 1)
        for j in range(1, k + 1):
            new[j] = j * row[j] + row[j - 1]
        row = new
    return row[k]


def uniform_coverage_stirling(n: int, c: int) -> Fraction:
    """C! S(n, C) / C^n."""
    return Fraction(math.factorial(c) * stirling2(n, c), c**n)


def uniform_log_sf_series(n: int, c: int, dps: int = 60) -> mp.mpf:
    """ln(1 − υ_n) for the uniform prior by the alternating series Σ_{j≥1} (−1)^{j+1}
    binom(C, j) (1 − j/C)^n, summed at high precision until the terms are negligible."""
    with mp.workdps(dps):
        terms = []
        for j in range(1, c):
            t = mp.binomial(c, j) * mp.power(1 - mp.mpf(j) / c, n)
            terms.append((-1) ** (j + 1) * t)
            if j > 3 and abs(t) < abs(terms[0]) * mp.mpf(10) ** (-dps):
                break
        return mp.log(mp.fsum(terms))


def uniform_log_cdf_exact(n: int, c: int) -> mp.mpf:
    """ln υ_n for the uniform prior from the exact integer alternating sum."""
    num = sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1))
    with mp.workdps(40):
        return mp.log(num) - n * mp.log(c) if num > 0 else mp.ninf


def contour_coverage(n: int, probs: list[tuple[float, int]], dps: int = 30) -> mp.mpf:
    """υ_n = n! [t^n] Π_c (e^{ρ_c t} − 1) by mpmath.quad over the circle |t| = n (i.i.d.).

    probs: (probability, multiplicity) pairs summing to one.
    """
    with mp.workdps(dps):
        r = mp.mpf(n)
        pr = [(mp.mpf(p), m) for p, m in probs]
        norm = mp.fsum(p * m for p, m in pr)
        pr = [(p / norm, m) for p, m in pr]

        def log_h(z):
            return mp.fsum(m * mp.log(mp.expm1(p * z)) for p, m in pr)

        h0 = log_h(r)

        def f(th):
            return mp.re(mp.exp(log_h(r * mp.expj(th)) - h0 - 1j * n * th))

        width = 40 / mp.sqrt(n)
        val = mp.quad(f, [0, width / 4, width, mp.pi]) / mp.pi
        return mp.exp(mp.loggamma(n + 1) + h0 - n * mp.log(r)) * val
