"""CoverTime as a complete discrete distribution: isf/logisf, logpmf, support, interval, against
exact rationals and mpmath."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import boundcalc as bc
from boundcalc.errors import InputError


def exact_sf(n, prior, replace=True):
    return 1 - bc.coverage_probability(n, prior, replace, exact=True)


@pytest.mark.parametrize("prior,replace", [(2, True), (4, True), ([1, 2, 3], True), ([2, 3, 1], False), ([5, 5], False)])
def test_isf_against_exact_rationals_including_ties(prior, replace):
    t = bc.cover_time(prior, replace)
    lo, hi = t.support()
    top = int(min(hi, 60))
    sfs = {n: exact_sf(n, prior, replace) for n in range(int(lo) - 1, top + 1)}
    # every exact survival value is a tie; dyadic levels and points between them too
    levels = {float(v) for v in sfs.values() if 0 < v < 1} | {0.5, 0.25, 3 / 32, 0.01, 1e-6}
    for q in sorted(levels):
        want = min((n for n, v in sfs.items() if v <= Fraction(q)), default=None)
        if want is None:
            continue
        assert t.isf(q) == want, (q, want)


def test_isf_far_beyond_ppf_against_mpmath():
    c = 1000
    t = bc.cover_time(c)
    assert t.ppf(1 - 1e-17) == math.inf  # 1 − 1e−17 rounds to 1: ppf cannot ask
    n = int(t.isf(1e-20))

    def sf(m):  # inclusion–exclusion, three terms (the rest is below 1e−60 here), 50 digits
        with mpmath.workdps(50):
            return sum((-1) ** (j + 1) * mpmath.binomial(c, j) * (1 - mpmath.mpf(j) / c) ** m for j in (1, 2, 3))

    assert sf(n) <= mpmath.mpf("1e-20") < sf(n - 1)
    m = int(t.logisf(-1e4))  # q = e^{-10000}, far below the float range
    with mpmath.workdps(50):
        assert mpmath.log(c) + m * mpmath.log1p(-mpmath.mpf(1) / c) <= -1e4 + 1e-30
        assert mpmath.log(c) + (m - 1) * mpmath.log1p(-mpmath.mpf(1) / c) > -1e4


def test_logpmf_finite_where_pmf_underflows():
    t = bc.cover_time(1000)
    n = np.array([1000, 1001, 7000, 200000])
    lp = t.logpmf(n)
    assert np.all(np.isfinite(lp)) and t.logpmf(999) == -math.inf
    # P(T = C) = C!/C^C exactly
    assert lp[0] == pytest.approx(math.lgamma(1001) - 1000 * math.log(1000), rel=1e-13)
    assert lp[2] == pytest.approx(math.log(t.pmf(7000)), rel=1e-13)
    # far right: P(T = n) ≈ Σ_c ρ_c (1 − ρ_c)^{n−1} = (1 − 1/C)^{n−1} (the rest is 1e−87 relative)
    assert lp[3] == pytest.approx(199999 * math.log1p(-1e-3), rel=1e-13)


@pytest.mark.parametrize("prior,replace", [([1, 2, 3], True), ([2, 3, 1], False)])
def test_logpmf_against_exact(prior, replace):
    t = bc.cover_time(prior, replace)
    for n in range(1, 15 if replace else sum(prior) + 1):
        p = bc.coverage_probability(n, prior, replace, exact=True) - bc.coverage_probability(n - 1, prior, replace, exact=True)
        got = t.logpmf(n)
        if p == 0:
            assert got == -math.inf
        else:
            assert got == pytest.approx(math.log(p), rel=1e-13, abs=1e-14)


def test_support_and_interval():
    assert bc.cover_time(10).support() == (10.0, math.inf)
    assert bc.cover_time(1).support() == (1.0, 1.0)
    assert bc.cover_time([3, 2], replace=False).support() == (2.0, 4.0)
    t = bc.cover_time(10)
    lo, hi = t.interval(0.9)
    assert (lo, hi) == (t.ppf(0.05), t.isf(0.05))
    assert t.cdf(hi) - t.cdf(lo - 1) >= 0.9
    with pytest.raises(InputError, match="confidence"):
        t.interval(1.5)
    with pytest.raises(InputError, match="survival levels"):
        t.isf(-0.1)
    with pytest.raises(InputError, match="log_q"):
        t.logisf(0.5)
