"""The building blocks of special.py against mpmath at 50 digits, swept across magnitudes
(in the manner of scipy.special's mpmath tests: a declarative table of function, reference,
argument grid and tolerance)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import pytest

from boundcalc import special as sp

mp = mpmath.mp
DPS = 100  # the references cancel up to ~40 digits (ln n! at n = 1e15 against its Stirling part)


def logspace(lo: float, hi: float, n: int = 60) -> np.ndarray:
    return np.logspace(lo, hi, n)


def _complex_grid() -> np.ndarray:
    """Complex arguments with real parts 1e−12 … 1e3 and angles across the right half-plane."""
    r = logspace(-12, 3, 40)
    phi = np.linspace(-1.5, 1.5, 13)
    return (r[:, None] * np.exp(1j * phi[None, :])).ravel()


@dataclass
class Case:
    name: str
    func: Callable[..., Any]
    ref: Callable[..., Any]
    args: list[tuple[Any, ...]]
    rtol: float
    atol: float = 0.0
    #: Extra absolute allowance from the inputs' own rounding: cond(args) × 2^−52.
    cond: Callable[..., float] | None = None
    #: The function is a complex logarithm, equal to the reference modulo 2πi.
    branch: bool = False


def _mpc(z):
    if isinstance(z, (mpmath.mpf, mpmath.mpc)):
        return z
    return mpmath.mpc(complex(z).real, complex(z).imag) if np.iscomplexobj(z) else mpmath.mpf(float(z))


def ref_stirlerr(n):
    n = mpmath.mpf(n)
    return mpmath.loggamma(n + 1) - (n + 0.5) * mpmath.log(n) + n - 0.5 * mpmath.log(2 * mpmath.pi)


def ref_bd0(x, m):
    x, m = mpmath.mpf(x), mpmath.mpf(m)
    return x * mpmath.log(x / m) + m - x


def ref_log_poisson(n, lam):
    n, lam = mpmath.mpf(n), mpmath.mpf(lam)
    return n * mpmath.log(lam) - lam - mpmath.loggamma(n + 1)


def ref_log_binom(n, big_n, odds):
    n, big_n, odds = mpmath.mpf(n), mpmath.mpf(big_n), mpmath.mpf(odds)
    p = odds / (1 + odds)
    return mpmath.log(mpmath.binomial(big_n, n)) + n * mpmath.log(p) + (big_n - n) * mpmath.log(1 - p)


def _log1m(x):
    """ln(1 − x) without losing a tiny x to rounding at the working precision."""
    return mpmath.log1p(-x) if abs(x) < 0.5 else mpmath.log(1 - x)


def ref_log1mexp(z):
    z = _mpc(z)
    return _log1m(mpmath.exp(-z)) if mpmath.re(z) > 0.7 else mpmath.log(-mpmath.expm1(-z))


def ref_log_neg_log1mexp(z):
    return mpmath.log(-ref_log1mexp(z))


def ref_log_one_minus_exp_of(lam):
    return ref_log1mexp(mpmath.exp(_mpc(lam)))


INTS = [int(v) for v in np.unique(np.round(logspace(0, 15, 80)))]
CASES = [
    Case("stirlerr", lambda n: sp.stirlerr(np.array([n]))[0], ref_stirlerr, [(n,) for n in INTS], 1e-13),
    Case("bd0", lambda x, m: sp.bd0(np.array([x]), np.array([m]))[0], ref_bd0,
         [(x, x * f) for x in logspace(-3, 12, 16) for f in (0.2, 0.9, 0.99, 0.999999, 1.000001, 1.01, 1.1, 5.0)], 1e-12),
    Case("log_poisson_pmf", lambda n, lam: sp.log_poisson_pmf(np.array([n]), np.array([lam]))[0], ref_log_poisson,
         [(n, n * f) for n in INTS[::4] for f in (0.01, 0.5, 0.999, 1.0, 1.001, 2.0, 100.0)], 1e-13, 1e-13),
    Case("stirlerr_one", sp.stirlerr_one, ref_stirlerr, [(n,) for n in INTS], 1e-13),
    Case("bd0_one", sp.bd0_one, ref_bd0,
         [(x, x * f) for x in logspace(-3, 12, 16) for f in (0.2, 0.9, 0.95, 0.99, 0.999999, 1.000001, 1.01, 1.1, 5.0)]
         + [(0.0, 2.5)], 1e-12),
    Case("log_poisson_pmf_one", sp.log_poisson_pmf_one, ref_log_poisson,
         [(n, n * f) for n in [0, *INTS[::4]] for f in (0.01, 0.5, 0.999, 1.0, 1.001, 2.0, 100.0) if n * f > 0]
         + [(0, 3.5)], 1e-13, 1e-13),
    Case("log_binom_pmf", lambda n, big, r: sp.log_binom_pmf(np.array([n]), big, np.array([r]))[0], ref_log_binom,
         [(n, big, n / (big - n) * f) for big in (10, 1000, 10**6, 10**12) for n in (1, big // 3, big - 1)
          for f in (0.1, 1.0, 1.0001, 10.0)], 1e-13, 1e-13,
         # ∂ ln pmf / ∂ ln odds = n − N p: an odds rounded by one ulp moves the answer that much
         cond=lambda n, big, r: abs(n - big * r / (1 + r))),
    Case("log_binom_coef", lambda big, n: sp.log_binom_coef(big, n),
         lambda big, n: mpmath.log(mpmath.binomial(big, n)),
         [(big, n) for big in (3, 100, 10**5, 10**9, 10**15) for n in (1, 2, big // 2, big - 1) if 0 < n < big], 1e-13),
    Case("log1mexp (real)", lambda z: sp.log1mexp(np.array([z]))[0], ref_log1mexp, [(z,) for z in logspace(-15, 2.8, 120)], 1e-13),
    Case("log1mexp (complex)", lambda z: sp.log1mexp(np.array([z]))[0], ref_log1mexp, [(z,) for z in _complex_grid()], 1e-13,
         1e-300, branch=True),
    Case("log_neg_log1mexp (real)", lambda z: sp.log_neg_log1mexp(np.array([z]))[0], ref_log_neg_log1mexp,
         [(z,) for z in logspace(-15, 2.8, 120)], 1e-13, 1e-13),
    Case("log_neg_log1mexp (complex)", lambda z: sp.log_neg_log1mexp(np.array([z]))[0], ref_log_neg_log1mexp,
         [(z,) for z in _complex_grid()], 1e-13, 1e-13, branch=True),
    Case("log_one_minus_exp_of", lambda lam: sp.log_one_minus_exp_of(np.array([lam]))[0], ref_log_one_minus_exp_of,
         [(lam,) for lam in np.linspace(-700, 6, 200)], 1e-13, 1e-300),
    Case("cexpm1", lambda z: sp.cexpm1(np.array([z]))[0], lambda z: mpmath.expm1(_mpc(z)),
         [(z,) for z in np.concatenate([_complex_grid()[::3] * 1e-3, -_complex_grid()[::3] * 1e-3])], 1e-13),
    Case("clog1p", lambda w: sp.clog1p(np.array([w]))[0], lambda w: mpmath.log(1 + _mpc(w)),
         [(w,) for w in np.concatenate([_complex_grid()[::3] * 1e-2, -_complex_grid()[::7] * 1e-4])], 1e-13),
    Case("harmonic", lambda n: sp.harmonic(n), lambda n: mpmath.harmonic(n), [(n,) for n in INTS[:70]], 2e-16),
    Case("harmonic order 2", lambda n: sp.harmonic(n, 2), lambda n: mpmath.zeta(2) - mpmath.zeta(2, n + 1),
         [(n,) for n in INTS[:70]], 2e-16),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_against_mpmath(case: Case):
    worst, at = 0.0, None
    with mpmath.workdps(DPS):
        for args in case.args:
            want = case.ref(*args)
            got = case.func(*args)
            if np.iscomplexobj(got):
                diff = mpmath.mpmathify(complex(got)) - want
                if case.branch:  # a complex log is defined up to 2πi; only its branch may differ
                    k = mpmath.nint(mpmath.im(diff) / (2 * mpmath.pi))
                    diff -= 2j * mpmath.pi * k
                err = abs(diff)
            else:
                err = abs(mpmath.mpf(float(got)) - want)
            if case.cond is not None:
                err = max(mpmath.mpf(0), err - 4 * 2.0**-52 * case.cond(*args))
            scale = max(abs(want), mpmath.mpf(case.atol / case.rtol) if case.atol else mpmath.mpf(0))
            rel = float(err / scale) if scale > 0 else float(err)
            if rel > worst:
                worst, at = rel, args
    assert worst <= case.rtol, f"{case.name}: worst relative error {worst:.2e} at {at}"
    assert len(case.args) >= 10


def test_logsumexp_weighted_against_mpmath():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        t = rng.normal(scale=float(10 ** rng.uniform(0, 3)), size=n)
        w = rng.integers(1, 10**6, size=n).astype(np.float64)
        got = float(sp.logsumexp_weighted(t, w))
        with mpmath.workdps(DPS):
            want = mpmath.log(mpmath.fsum(mpmath.mpf(float(a)) * mpmath.exp(mpmath.mpf(float(b))) for a, b in zip(w, t, strict=True)))
        assert abs(got - float(want)) <= 1e-13 * max(1.0, abs(float(want)))


def test_harmonic_domain():
    assert sp.harmonic(0) == 0.0
    with pytest.raises(ValueError):
        sp.harmonic(5, order=3)
    assert math.isclose(sp.harmonic(10**4), sp.harmonic(10**4 + 1) - 1 / (10**4 + 1), rel_tol=1e-15)


def test_log1mexp_of_a_block_against_mpmath():
    """A block is evaluated at once (its series length is set by the block's smallest real part):
    every element is still within 1e−13 of mpmath, whether or not it would take the series alone."""
    grid = _complex_grid()
    for block in (grid[grid.real > math.log(16.0)], grid[grid.real > 0.8], grid):
        got = sp.log1mexp(block)
        with mpmath.workdps(DPS):
            for z, g in zip(block, got, strict=True):
                want = ref_log1mexp(z)
                diff = mpmath.mpmathify(complex(g)) - want
                diff -= 2j * mpmath.pi * mpmath.nint(mpmath.im(diff) / (2 * mpmath.pi))
                assert abs(diff) <= 1e-13 * abs(want) + 1e-300, (z, g)
