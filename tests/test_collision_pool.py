"""Collisions without replacement from a pool: τ_K, ln(1 − τ_K), E[ln(1+Col)], E[Col] and the law
of Col against exact rationals (small pools), mpmath at 40 digits (pools up to 10^8 items), and
the probability laws."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import boundcalc as bc
from boundcalc.cli import app
from boundcalc.errors import InputError
from boundcalc.special import log_hypergeom_pmf


def mp_terms(counts, k, dps=40):
    """τ, ln(1 − τ), E[ln(1+Col)] by exact hypergeometric sums in mpmath."""
    with mpmath.workdps(dps):
        n = sum(counts)
        no_col = tau_sum = term = mpmath.mpf(0)
        for c in counts:
            w = mpmath.mpf(c) / n
            d, pop = c - 1, n - 1
            den = mpmath.binomial(pop, k)
            p0 = mpmath.binomial(pop - d, k) / den
            no_col += w * p0
            for m in range(1, min(k, d) + 1):
                term += w * mpmath.binomial(d, m) * mpmath.binomial(pop - d, k - m) / den * mpmath.log(1 + m)
        tau_sum = 1 - no_col
        return tau_sum, mpmath.log(no_col), term


def rel(a, b):
    return abs(a - float(b)) / max(abs(float(b)), 1e-300)


@pytest.mark.parametrize("counts,k", [
    ([1, 1], 1), ([2, 3], 2), ([2, 3], 4), ([1, 5, 2], 3), ([100] * 100, 127), ([100] * 100, 1), ([100] * 100, 9999),
    ([10**6] * 10, 1), ([10**6] * 10, 255), ([10**6] * 100, 127), ([10**6] * 3, 31), ([5, 10**6], 17), ([2] * 50, 99),
])
def test_against_mpmath_hypergeometric_sums(counts, k):
    tau, l1t, term = mp_terms(counts, k)
    assert rel(bc.collision_probability(k, counts, replace=False), tau) < 1e-13
    if float(l1t) > -math.inf:
        assert abs(bc.log_collision_complement(k, counts, replace=False) - float(l1t)) < 1e-13 * max(1.0, abs(float(l1t)))
    got = bc.collision_term(k, counts, replace=False)
    assert abs(got - float(term)) <= 1e-13 * max(float(term), 1e-300) or (term == 0 and got == 0)


def test_small_pools_against_exact_rationals():
    for counts in ([1, 2], [2, 2, 1], [3, 1, 4]):
        n = sum(counts)
        for k in range(n):
            tau = sum(Fraction(c, n) * (1 - Fraction(math.comb(n - c, k), math.comb(n - 1, k))) for c in counts)
            assert bc.collision_probability(k, counts, replace=False) == pytest.approx(float(tau), rel=1e-14, abs=1e-300)
            mean = sum(Fraction(c, n) * Fraction(k * (c - 1), n - 1) for c in counts)
            assert bc.collision_mean(k, counts, replace=False) == pytest.approx(float(mean), rel=1e-14, abs=1e-300)
            pmf = bc.collision_pmf(np.arange(k + 1), k, counts, replace=False)
            for m in range(k + 1):
                want = sum(Fraction(c, n) * Fraction(math.comb(c - 1, m) * math.comb(n - c, k - m), math.comb(n - 1, k))
                           for c in counts)
                assert pmf[m] == pytest.approx(float(want), rel=1e-13, abs=1e-300)


def test_large_pool_of_a_billion():
    counts = [10**7] * 100  # N = 10^9
    for k in (1, 1000, 10**5):
        with mpmath.workdps(40):
            n, d = mpmath.mpf(10**9), 10**7 - 1
            lp0 = mpmath.log(mpmath.binomial(n - 1 - d, k) / mpmath.binomial(n - 1, k))
        assert bc.log_collision_complement(k, counts, replace=False) == pytest.approx(float(lp0), rel=1e-13)
        assert bc.collision_probability(k, counts, replace=False) == pytest.approx(float(-mpmath.expm1(lp0)), rel=1e-13)


def test_hypergeometric_pmf_against_mpmath():
    for pop, d, k in [(10**9, 10**6, 1000), (10**9, 5 * 10**8, 12345), (10**6, 1, 999999), (10**9, 99, 10**8), (99, 99, 50)]:
        ms = np.unique(np.linspace(max(0, k - (pop - d)), min(k, d), 9).round())
        got = log_hypergeom_pmf(ms, pop, d, k)
        with mpmath.workdps(40):
            for m, g in zip(ms.astype(int), got, strict=True):
                want = mpmath.log(mpmath.binomial(d, m) * mpmath.binomial(pop - d, k - m) / mpmath.binomial(pop, k))
                assert abs(g - float(want)) <= 1e-14 * max(1.0, abs(float(want)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=6), st.data())
def test_laws(counts, data):
    n = sum(counts)
    k = data.draw(st.integers(0, n - 1))
    tau = bc.collision_probability(k, counts, replace=False)
    assert 0.0 <= tau <= 1.0
    if k + 1 <= n - 1:
        assert bc.collision_probability(k + 1, counts, replace=False) >= tau - 1e-15
    pmf = bc.collision_pmf(np.arange(k + 1), k, counts, replace=False)
    assert abs(pmf.sum() - 1.0) < 1e-12 and abs(pmf[0] - (1 - tau)) < 1e-12
    term = bc.collision_term(k, counts, replace=False)
    assert term == pytest.approx(float(pmf @ np.log1p(np.arange(k + 1))), rel=1e-12, abs=1e-15)


def test_scaled_pool_tends_to_iid():
    counts = np.array([1, 2, 3, 4])
    for scale in (10**3, 10**6):
        assert bc.collision_probability(20, counts * scale, replace=False) == pytest.approx(
            bc.collision_probability(20, counts), rel=30.0 / scale)


def test_refusals():
    with pytest.raises(InputError, match="pool of integer per-class counts"):
        bc.collision_probability(3, [0.5, 0.5], replace=False)
    with pytest.raises(InputError, match="at most N − 1 = 4"):
        bc.collision_term(5, [2, 3], replace=False)


def test_cli_collision_and_bound_without_replacement(tmp_path):
    pool = tmp_path / "pool.csv"
    pool.write_text("class,count\n" + "".join(f"c{i},100\n" for i in range(100)))
    run = CliRunner().invoke
    res = run(app, ["collision", "--prior-file", str(pool), "--k", "127", "--without-replacement", "--format", "json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    tau, _, term = mp_terms([100] * 100, 127)
    assert rel(row["tau"], tau) < 1e-13 and rel(row["collision_term"], term) < 1e-13 and row["sampling"] == "without_replacement"
    res = run(app, ["bound", "--prior-file", str(pool), "--k", "127", "--loss", "3.32", "--d", "-0.99", "--without-replacement",
                    "--method", "arora", "--format", "json"])
    assert res.exit_code == 0, res.output
    b = json.loads(res.stdout)[0]
    assert (b["tau_from"], b["upsilon_from"], b["collision_term_from"]) == ("pool", "pool", "pool")
    assert rel(b["tau"], tau) < 1e-13
    res = run(app, ["bound", "--classes", "10", "--k", "31", "--loss", "2", "--without-replacement"])
    assert res.exit_code == 2 and "--without-replacement" in res.output
