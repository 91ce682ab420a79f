"""The laws every scipy.stats-like distribution object of boundcalc must obey, checked generically:
cdf + sf = 1, logcdf = ln cdf, logsf = ln sf, pmf ≥ 0 summing to 1 and differencing the cdf,
ppf inverting the cdf, mean and var equal to the pmf's moments. New distribution objects join
by adding a factory to DISTRIBUTIONS."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import boundcalc as bc
from boundcalc.negatives import collision_count

#: name → (distribution, last n worth summing over: beyond it the sf is below 1e−17)
DISTRIBUTIONS = {
    "cover_time uniform C=10": lambda: bc.cover_time(10),
    "cover_time uniform C=50": lambda: bc.cover_time(50),
    "cover_time weights (0.5, 0.3, 0.2)": lambda: bc.cover_time([0.5, 0.3, 0.2]),
    "cover_time rare class (10, 1)": lambda: bc.cover_time([10, 1]),
    "cover_time counts (5, 3, 2) without replacement": lambda: bc.cover_time([5, 3, 2], replace=False),
    "cover_time counts (40, 30, 20, 10) without replacement": lambda: bc.cover_time([40, 30, 20, 10], replace=False),
    "collision_count K=31 uniform C=10": lambda: collision_count(31, 10),
    "collision_count K=500 imagenet_lt": lambda: collision_count(500, "imagenet_lt"),
    "collision_count K=15 counts (5, 3, 2, 9) without replacement": lambda: collision_count(15, [5, 3, 2, 9], replace=False),
}
#: Tolerance of the identities between evaluations (a few units in the last place of 1): cdf()
#: integrates υ itself (full relative accuracy in υ), sf() and the logs the smaller side.
LAW_TOL = 1e-14


def support(dist) -> np.ndarray:
    """Every n from 0 to where the upper tail is below 1e−17 (or the largest possible T)."""
    n = max(2, int(dist.mean() + 60 * max(dist.std(), 1.0)))
    while dist.sf(n) > 1e-17:
        n *= 2
    return np.arange(0, n + 1)


@pytest.fixture(params=list(DISTRIBUTIONS), scope="module")
def dist(request):
    return DISTRIBUTIONS[request.param]()


def test_cdf_plus_sf_is_one(dist):
    n = support(dist)
    assert np.max(np.abs(dist.cdf(n) + dist.sf(n) - 1.0)) <= LAW_TOL


def test_logs_are_logs_of_the_values(dist):
    n = support(dist)
    cdf, sf = dist.cdf(n), dist.sf(n)
    ok = cdf > 1e-300
    assert np.allclose(dist.logcdf(n)[ok], np.log(cdf[ok]), rtol=1e-13, atol=LAW_TOL)
    assert np.all(dist.logcdf(n)[~ok] < math.log(1e-300))
    ok = sf > 1e-300
    assert np.allclose(dist.logsf(n)[ok], np.log(sf[ok]), rtol=1e-13, atol=1e-15)
    assert np.all(dist.logcdf(n) <= 0.0) and np.all(dist.logsf(n) <= 0.0)


def test_probabilities_in_unit_interval_and_cdf_monotone(dist):
    n = support(dist)
    cdf, sf, pmf = dist.cdf(n), dist.sf(n), dist.pmf(n)
    for v in (cdf, sf, pmf):
        assert np.all((v >= 0.0) & (v <= 1.0))
    assert np.all(np.diff(cdf) >= -LAW_TOL)


def test_pmf_sums_to_one_and_differences_the_cdf(dist):
    n = support(dist)
    pmf = dist.pmf(n)
    assert math.fsum(pmf) == pytest.approx(1.0, abs=1e-13)
    assert np.allclose(pmf[1:], np.diff(dist.cdf(n)), rtol=1e-11, atol=LAW_TOL)


def test_mean_and_var_are_the_pmf_moments(dist):
    n = support(dist).astype(np.float64)
    pmf = dist.pmf(n.astype(np.int64))
    mean = math.fsum(n * pmf)
    assert dist.mean() == pytest.approx(mean, rel=1e-11)
    assert dist.var() == pytest.approx(math.fsum((n - mean) ** 2 * pmf), rel=1e-9, abs=1e-12)
    assert dist.std() == pytest.approx(math.sqrt(dist.var()))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(list(DISTRIBUTIONS)), q=st.floats(1e-9, 1 - 1e-9))
def test_ppf_inverts_cdf(name, q):
    dist = DISTRIBUTIONS[name]()
    n = int(dist.ppf(q))
    assert dist.cdf(n) >= q - LAW_TOL
    assert dist.cdf(n - 1) < q + LAW_TOL
    assert dist.median() == dist.ppf(0.5)
