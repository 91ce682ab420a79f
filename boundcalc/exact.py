"""Exact (rational) and arbitrary-precision (mpmath) versions of the core quantities.

* ``exact=True``: a :class:`fractions.Fraction`, for the uniform prior and for priors given as
  integer counts (ρ_c = N_c / N). Inclusion–exclusion is grouped by subset sums through the
  integer polynomial P(x) = Π_c (x^{N_c} − 1) = Σ_S (−1)^{C−|S|} x^{N_S}:
  υ_n = Σ_k [x^k]P · (k/N)^n  (i.i.d.),  υ_n = Σ_k [x^k]P · binom(k, n) / binom(N, n)
  (without replacement). Refused with a clear ValueError when it would take more than a few
  seconds.
* ``digits=D``: an ``mpmath.mpf`` rounded to D significant digits (print it with
  ``mpmath.nstr(x, D)`` or work under ``mpmath.workdps(D)``), for any prior: the Cauchy
  integral of docs/math.md §3 evaluated at working precision D + guard digits by the trapezoidal rule
  with plain (unrearranged) formulas, with enough nodes for D digits.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import InputError
from .priors import Prior
from .saddle import model_for, saddle_point

__all__ = [
    "exact_coverage_probability",
    "mp_coverage_probability",
    "exact_collision_probability",
    "mp_collision_term",
    "exact_expected_draws",
    "mp_expected_draws",
]

_WORK_LIMIT = 3 * 10**8  # rough bit-operation budget for exact arithmetic (a few seconds)
#: Subset-polynomial size (terms × factors) beyond which exact mode is refused (memory, time).
_POLY_LIMIT = 2 * 10**7
#: Exact E[T] for the uniform prior sums C fractions; beyond this C it takes seconds.
_EXACT_UNIFORM_CLASSES = 10**5
#: Direct mpmath summation of the collision term costs K terms per distinct mass.
_MP_SUM_TERMS = 2 * 10**5
#: Guard digits of the Cauchy integral: the trapezoidal sum of terms of size up to e^{σ-window}
#: and the ln n! normalisation lose about 2 log10(n) digits, plus a fixed margin of 20.
_GUARD_DIGITS = 20
#: Least number of circle nodes per requested digit (see _mp_coverage).
_NODES_PER_DIGIT = 2
#: Guard digits for sums of positive terms and quadrature (no cancellation to absorb).
_SUM_GUARD_DIGITS = 15


def _integer_masses(prior: Prior) -> tuple[list[int], list[int]]:
    if prior.is_counts:
        return [int(a) for a in prior.masses], [int(m) for m in prior.multiplicities]
    if prior.is_uniform:
        return [1], [prior.n_classes]
    raise InputError("exact mode needs the uniform prior or integer counts; use digits= instead")


def _subset_polynomial(masses: list[int], mults: list[int]) -> dict[int, int]:
    """Coefficients of P(x) = Π_u (x^{a_u} − 1)^{m_u} as {exponent: coefficient}."""
    total = sum(a * m for a, m in zip(masses, mults, strict=False))
    if (total + 1) * sum(m + 1 for m in mults) > _POLY_LIMIT:
        raise InputError("exact mode: the prior is too large for exact arithmetic; use digits= instead")
    poly = {0: 1}
    for a, m in zip(masses, mults, strict=False):
        factor = {a * j: math.comb(m, j) * (-1) ** (m - j) for j in range(m + 1)}
        new: dict[int, int] = {}
        for e1, c1 in poly.items():
            for e2, c2 in factor.items():
                new[e1 + e2] = new.get(e1 + e2, 0) + c1 * c2
        poly = {e: c for e, c in new.items() if c}
    return poly


def exact_coverage_probability(n: int, prior: Prior, replace: bool = True) -> Fraction:
    """υ_n as an exact Fraction (uniform prior or integer counts)."""
    masses, mults = _integer_masses(prior)
    c = prior.n_classes
    if n < c:
        return Fraction(0)
    if replace and len(masses) == 1:  # uniform: Σ_j (−1)^j binom(C, j) (C − j)^n / C^n
        if c * n * math.log2(c + 1) > _WORK_LIMIT:
            raise InputError("exact mode: too large for exact arithmetic; use digits= instead")
        num = sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1))
        return Fraction(num, c**n)
    poly = _subset_polynomial(masses, mults)
    big_n = sum(a * m for a, m in zip(masses, mults, strict=False))
    if replace:
        if len(poly) * n * math.log2(big_n + 1) > _WORK_LIMIT:
            raise InputError("exact mode: too large for exact arithmetic; use digits= instead")
        return Fraction(sum(coef * k**n for k, coef in poly.items()), big_n**n)
    if n > big_n:
        raise InputError(f"draws: at most the pool size N = {big_n} without replacement")
    return Fraction(sum(coef * math.comb(k, n) for k, coef in poly.items() if k >= n), math.comb(big_n, n))


def exact_collision_probability(k: int, prior: Prior) -> Fraction:
    """τ_K = 1 − Σ_c ρ_c (1 − ρ_c)^K as an exact Fraction (uniform prior or integer counts)."""
    masses, mults = _integer_masses(prior)
    big_n = sum(a * m for a, m in zip(masses, mults, strict=False))
    if len(masses) * k * math.log2(big_n + 1) > _WORK_LIMIT:
        raise InputError("exact mode: too large for exact arithmetic; use digits= instead")
    miss = sum(Fraction(m * a, big_n) * Fraction(big_n - a, big_n) ** k for a, m in zip(masses, mults, strict=False))
    return Fraction(1) - miss


def exact_expected_draws(prior: Prior) -> Fraction:
    """E[T] = Σ_{S≠∅} (−1)^{|S|+1} / ρ(S) as an exact Fraction (i.i.d. draws).

    Uniform: C·H_C. Integer counts: Σ_k −[x^k]Q · N/k with Q(x) = Π_c (1 − x^{N_c}).
    """
    masses, mults = _integer_masses(prior)
    c = prior.n_classes
    if len(masses) == 1:
        if c > _EXACT_UNIFORM_CLASSES:
            raise InputError("exact mode: too many classes for exact arithmetic; use digits= instead")
        return c * sum((Fraction(1, i) for i in range(1, c + 1)), Fraction(0))
    poly = _subset_polynomial(masses, mults)  # Π (x^a − 1) = (−1)^C Π (1 − x^a)
    sign = (-1) ** c
    big_n = sum(a * m for a, m in zip(masses, mults, strict=False))
    return sum((-sign * coef * Fraction(big_n, k) for k, coef in poly.items() if k > 0), Fraction(0))


# ----------------------------------------------------------------------- mpmath
def _mp() -> Any:
    import mpmath

    return mpmath


def _rounded(value: Any, digits: int) -> Any:
    """The value rounded to ``digits`` significant digits (what the guard digits were for)."""
    mp = _mp()
    with mp.workdps(digits):
        return +value


def mp_coverage_probability(n: int, prior: Prior, replace: bool, digits: int) -> Any:
    """υ_n to ``digits`` significant digits (mpmath.mpf), any prior, either sampling model."""
    return _rounded(_mp_coverage(n, prior, replace, digits), digits)


def _mp_coverage(n: int, prior: Prior, replace: bool, digits: int) -> Any:
    """υ_n at working precision ``digits`` + guard digits.

    υ_n = n! [t^n] Π(e^{ρ_c t} − 1) (resp. [t^n] Π((1+t)^{N_c} − 1) / binom(N, n)), with the
    coefficient taken as (1/2π) ∫ H(s e^{iθ}) (s e^{iθ})^{−n} dθ on the saddle-point circle.
    """
    mp = _mp()
    c = prior.n_classes
    model = model_for(prior, replace)
    if n < c:
        return mp.mpf(0)
    if (replace and c == 1) or (not replace and n >= model.full):
        return mp.mpf(1)
    a = [int(x) if prior.is_counts else float(x) for x in prior.masses]
    mult = [int(x) for x in prior.multiplicities]
    guard = _GUARD_DIGITS + 2 * int(math.log10(n + 1))
    with mp.workdps(digits + guard):
        if n == c:
            tot = mp.fsum(mp.mpf(x) * m for x, m in zip(a, mult, strict=False))
            logp = mp.fsum(m * mp.log(mp.mpf(x)) for x, m in zip(a, mult, strict=False))
            if replace:
                return +mp.exp(mp.loggamma(c + 1) + logp - c * mp.log(tot))
            return +mp.exp(logp - mp.log(mp.binomial(int(tot), c)))
        s_f, var = saddle_point(model, np.array([n]), "cdf")
        s = mp.mpf(float(s_f[0]))
        sigma = math.sqrt(float(var[0]))
        d = digits + 10
        # Nodes on the circle: enough for the Gaussian bulk (spacing ≤ 1/(1.6σ) of its D-digit
        # width) and, where σ is small (n near C: a Poisson-like tilted count), at least
        # _NODES_PER_DIGIT · D, so that the coefficients n ± M aliased onto n are below 10^−D.
        big_m = max(64, int(math.ceil(1.6 * sigma * math.sqrt(2 * d * math.log(10)))), _NODES_PER_DIGIT * d)
        theta_max = min(math.pi, math.sqrt(d * math.log(10) / 0.2) / sigma)
        step = 2 * mp.pi / big_m
        nodes = min(big_m // 2, int(math.ceil(theta_max / float(step))))

        def log_h(z: Any) -> Any:
            if replace:
                return mp.fsum(m * mp.log(mp.expm1(x * z)) for x, m in zip(a, mult, strict=False))
            return mp.fsum(m * mp.log(mp.power(1 + z, x) - 1) for x, m in zip(a, mult, strict=False))

        log_h0 = log_h(s)
        total = mp.mpf(1)
        for j in range(1, nodes + 1):
            th = j * step
            val = mp.exp(log_h(s * mp.expjpi(th / mp.pi)) - log_h0 - 1j * n * th).real
            total += val if 2 * j == big_m else 2 * val
        integral = total / big_m
        if replace:
            tot = mp.fsum(mp.mpf(x) * m for x, m in zip(a, mult, strict=False))
            log_norm = mp.loggamma(n + 1) - n * mp.log(tot)
        else:
            log_norm = -mp.log(mp.binomial(int(round(model.A)), n))
        return mp.exp(log_norm + log_h0 - n * mp.log(s)) * integral


def mp_collision_term(k: int, prior: Prior, digits: int) -> Any:
    """E[ln(1 + Col)] to ``digits`` digits by direct summation over m = 0..K (mpmath)."""
    return _rounded(_mp_collision_term(k, prior, digits), digits)


def _mp_collision_term(k: int, prior: Prior, digits: int) -> Any:
    mp = _mp()
    if k * prior.masses.size > _MP_SUM_TERMS:
        raise InputError("digits mode: K × (distinct class probabilities) is too large for direct summation")
    with mp.workdps(digits + _SUM_GUARD_DIGITS):
        tot = mp.fsum(mp.mpf(float(a)) * int(m) for a, m in zip(prior.masses, prior.multiplicities, strict=False))
        out = mp.mpf(0)
        for a, m in zip(prior.masses, prior.multiplicities, strict=False):
            r = mp.mpf(float(a)) / tot
            terms = (mp.binomial(k, j) * r**j * (1 - r) ** (k - j) * mp.log(1 + j) for j in range(1, k + 1))
            out += int(m) * r * mp.fsum(terms)
        return out


def mp_expected_draws(prior: Prior, digits: int) -> Any:
    """E[T] = ∫_0^∞ (1 − Π_c (1 − e^{−ρ_c t})) dt to ``digits`` digits (mpmath quadrature)."""
    return _rounded(_mp_expected_draws(prior, digits), digits)


def _mp_expected_draws(prior: Prior, digits: int) -> Any:
    mp = _mp()
    with mp.workdps(digits + _SUM_GUARD_DIGITS):
        tot = mp.fsum(mp.mpf(float(a)) * int(m) for a, m in zip(prior.masses, prior.multiplicities, strict=False))
        rho = [(mp.mpf(float(a)) / tot, int(m)) for a, m in zip(prior.masses, prior.multiplicities, strict=False)]

        def miss(t: Any) -> Any:
            return -mp.expm1(mp.fsum(m * mp.log(-mp.expm1(-r * t)) for r, m in rho))

        scale = 1 / min(r for r, _ in rho)
        pts = [0, scale * 0.5, scale * 2, scale * 8, scale * 32, mp.inf]
        return mp.quad(miss, pts)
