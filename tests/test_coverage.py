"""Coverage probabilities υ_n against independent references (scipy.special-style accuracy tests)."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import boundcalc as bc
from boundcalc import Prior

from .reference import (
    brute_force_coverage,
    brute_force_coverage_without_replacement,
    contour_coverage,
    subset_coverage,
    uniform_coverage_stirling,
    uniform_log_cdf_exact,
    uniform_log_sf_series,
)

RTOL = 1e-12


def frac_log(x: Fraction) -> float:
    with mp.workdps(40):
        return float(mp.log(x.numerator) - mp.log(x.denominator)) if x > 0 else -math.inf


def assert_log_close(got: float, want: float, tol: float = RTOL):
    """ln-values agree to tol relative in the probability (absolute in the log) and relative
    in the log for astronomically small probabilities."""
    if want == -math.inf:
        assert got == -math.inf
        return
    assert abs(got - want) <= tol * max(1.0, abs(want)), (got, want)


# ---------------------------------------------------------------------------- uniform prior
UNIFORM_GRID = [
    (1, 1), (1, 5), (2, 2), (2, 3), (2, 60), (3, 7), (5, 5), (5, 6), (10, 10), (10, 11), (10, 32),
    (10, 64), (10, 500), (100, 100), (100, 101), (100, 128), (100, 256), (100, 519), (100, 2000),
    (1000, 1000), (1000, 1001), (1000, 5000), (1000, 7701), (1000, 15000), (300, 12000),
]


@pytest.mark.parametrize("c,n", UNIFORM_GRID)
def test_uniform_against_exact_integer_sum(c, n):
    want_cdf = uniform_log_cdf_exact(n, c)
    assert_log_close(bc.log_coverage_probability(n, c), float(want_cdf))
    if n >= c:
        exact = Fraction(sum((-1) ** j * math.comb(c, j) * (c - j) ** n for j in range(c + 1)), c**n)
        assert_log_close(bc.log_coverage_sf(n, c), frac_log(1 - exact))
        got = bc.coverage_probability(n, c)
        assert got == pytest.approx(float(exact), rel=RTOL, abs=0 if float(exact) > 1e-300 else 1e-300)


@pytest.mark.parametrize("c,n", [(3, 3), (3, 9), (6, 20), (12, 40), (30, 31)])
def test_uniform_against_stirling_numbers(c, n):
    want = uniform_coverage_stirling(n, c)
    assert_log_close(bc.log_coverage_probability(n, c), frac_log(want))


def test_published_defects_are_absent():
    """The research notebook's clipped per-n float sum returned 4.5e-4, 5.7e-4 and ~1e+77 for these
    (docs/math.md §2)."""
    assert bc.coverage_probability(128, 100) == pytest.approx(1.5e-22, rel=0.05)
    assert bc.coverage_probability(256, 100) == pytest.approx(1.23e-4, rel=0.01)
    v = bc.coverage_probability(7701, 1000)
    assert 0.0 <= v <= 1.0


@pytest.mark.parametrize(
    "c,n",
    [(1000, 10**5), (1000, 10**6), (1000, 10**7), (21841, 10**6), (21841, 10**7), (10**5, 10**7), (2, 10**7)],
)
def test_uniform_right_tail_large_n(c, n):
    """υ within far less than 1e-15 of 1: the survival function still has all its digits."""
    want = uniform_log_sf_series(n, c)
    assert_log_close(bc.log_coverage_sf(n, c), float(want), 1e-10)
    assert bc.log_coverage_probability(n, c) == pytest.approx(-math.exp(float(want)), rel=1e-10)
    assert bc.coverage_probability(n, c) <= 1.0


@pytest.mark.parametrize("c,n", [(10**5, 10**5 + 1), (10**5, 2 * 10**5), (10**5, 10**6), (21841, 10**5)])
def test_uniform_left_tail_large_c(c, n):
    """Far below 1e-300 the log is still right: compare with the digits= mode (mpmath)."""
    got = bc.log_coverage_probability(n, c)
    want = mp.log(bc.coverage_probability(n, c, digits=25))
    assert_log_close(got, float(want), 1e-12)


# --------------------------------------------------------------------------- general priors
SMALL_PRIORS = [[1, 2], [1, 1, 3], [5, 1, 1, 1], [2, 3, 5, 7, 11], [1, 1, 1, 1, 1, 50], [1000, 1, 1]]


@pytest.mark.parametrize("weights", SMALL_PRIORS)
def test_general_prior_against_subset_inclusion_exclusion(weights):
    for n in range(0, 3 * len(weights) + 25, 3):
        want = subset_coverage(n, weights)
        assert_log_close(bc.log_coverage_probability(n, weights), frac_log(want))
        if n >= len(weights):
            assert_log_close(bc.log_coverage_sf(n, weights), frac_log(1 - want))
        assert bc.coverage_probability(n, weights, exact=True) == want


@pytest.mark.parametrize("weights,n", [([1, 2], 5), ([1, 1, 3], 6), ([2, 1, 1, 1], 6), ([3, 1, 2], 7)])
def test_general_prior_against_brute_force(weights, n):
    want = brute_force_coverage(n, weights)
    assert bc.coverage_probability(n, weights) == pytest.approx(float(want), rel=RTOL)


def test_near_degenerate_prior():
    """One class with almost all the mass: υ is tiny for moderate n, sf close to 1."""
    weights = [10**9, 1, 1]
    for n in [3, 10, 10**4, 10**9, 10**10]:
        want = subset_coverage(n, weights) if n <= 10**4 else None
        if want is not None:
            assert_log_close(bc.log_coverage_probability(n, weights), frac_log(want))
    # right tail: 1 − υ ≈ 2 (1 − 1e-9)^n − (1 − 2e-9)^n
    n = 10**11
    p = Fraction(1, 10**9 + 2)
    with mp.workdps(50):
        want = mp.log(2 * mp.power(1 - mp.mpf(p.numerator) / p.denominator, n) - mp.power(1 - 2 * mp.mpf(p.numerator) / p.denominator, n))
    assert_log_close(bc.log_coverage_sf(n, weights), float(want), 1e-10)


def zipf_counts(c: int, total: float, s: float = 1.0) -> np.ndarray:
    z = 1.0 / np.arange(1, c + 1) ** s
    return np.maximum(1, np.round(z / z.sum() * total)).astype(np.int64)


@pytest.mark.parametrize("n", [1500, 5000, 7701, 12000])
def test_imagenet_prior_against_mpmath_quadrature(n):
    p = Prior.preset("imagenet1k")
    probs = list(zip((p.masses / p.total).tolist(), p.multiplicities.tolist(), strict=False))
    want = contour_coverage(n, probs)
    assert bc.coverage_probability(n, p) == pytest.approx(float(want), rel=RTOL)


@pytest.mark.parametrize("name", ["imagenet_lt", "places_lt"])
def test_long_tailed_presets_against_digits_mode(name):
    p = Prior.preset(name)
    et = bc.expected_draws(p)
    for n in [p.n_classes + 1, int(et / 3), int(et), int(3 * et)]:
        got = bc.log_coverage_probability(n, p)
        want = float(mp.log(bc.coverage_probability(n, p, digits=25)))
        assert_log_close(got, want)


def test_zipf_21841_right_tail_against_bonferroni_terms():
    """For large n the inclusion–exclusion series is dominated by its first two sums."""
    counts = zipf_counts(21841, 14e6)
    p = Prior.from_counts(counts)
    n = 10**7
    rho = p.probabilities
    m = p.multiplicities
    with mp.workdps(40):
        s1 = mp.fsum(int(mi) * mp.power(1 - mp.mpf(r), n) for r, mi in zip(rho, m, strict=False))
        # second-order sum over unordered pairs of classes (grouped by distinct probability)
        pairs = []
        for i in range(len(rho)):
            for j in range(i, len(rho)):
                k = m[i] * (m[i] - 1) // 2 if i == j else m[i] * m[j]
                if k:
                    pairs.append(int(k) * mp.power(1 - mp.mpf(rho[i]) - mp.mpf(rho[j]), n))
            if i > 40:
                break  # the largest-ρ classes contribute nothing at this precision
        s2 = mp.fsum(pairs)
        assert s2 < s1 * mp.mpf(10) ** -13
        want = mp.log(s1 - s2)
    assert_log_close(bc.log_coverage_sf(n, p), float(want), 1e-10)


def test_zipf_large_n_against_digits_mode():
    counts = zipf_counts(21841, 14e6)
    p = Prior.from_counts(counts)
    for n in [3 * 10**5]:
        got = bc.log_coverage_probability(n, p)
        want = float(mp.log(bc.coverage_probability(n, p, digits=16)))
        assert_log_close(got, want, 1e-10)


# ------------------------------------------------------------------- without replacement
@pytest.mark.parametrize("counts,n", [([2, 3], 2), ([2, 3], 3), ([2, 3], 4), ([1, 2, 3], 4), ([3, 3, 2], 5), ([1, 1, 4], 3)])
def test_without_replacement_against_enumeration(counts, n):
    want = brute_force_coverage_without_replacement(n, counts)
    assert bc.coverage_probability(n, counts, replace=False) == pytest.approx(float(want), rel=RTOL, abs=1e-300)
    assert bc.coverage_probability(n, counts, replace=False, exact=True) == want


def test_without_replacement_against_exact_polynomial():
    counts = [50, 30, 20, 10, 5, 5, 3]
    for n in [7, 10, 20, 40, 80, 110, 118, 119, 120, 123]:
        want = bc.coverage_probability(n, counts, replace=False, exact=True)
        got_log = bc.log_coverage_probability(n, counts, replace=False)
        assert_log_close(got_log, frac_log(want))
        if want < 1:
            assert_log_close(bc.log_coverage_sf(n, counts, replace=False), frac_log(1 - want))


def test_without_replacement_imagenet_against_digits_mode():
    for n in [1001, 3000, 7701, 20000]:
        got = bc.log_coverage_probability(n, "imagenet1k", replace=False)
        want = float(mp.log(bc.coverage_probability(n, "imagenet1k", replace=False, digits=20)))
        assert_log_close(got, want)


def test_without_replacement_exceeds_with_replacement():
    """Sampling without replacement can only help coverage."""
    n = np.arange(1000, 20000, 500)
    assert np.all(bc.coverage_probability(n, "imagenet1k", replace=False) >= bc.coverage_probability(n, "imagenet1k"))


def test_without_replacement_support_edges():
    counts = [3, 5]
    assert bc.coverage_probability(6, counts, replace=False) == 1.0  # N − min + 1 = 6
    assert bc.log_coverage_sf(6, counts, replace=False) == -math.inf
    with pytest.raises(ValueError, match="pool size"):
        bc.coverage_probability(9, counts, replace=False)
    with pytest.raises(ValueError, match="integer per-class counts"):
        bc.coverage_probability(5, [0.5, 0.25, 0.25], replace=False)


# -------------------------------------------------------------------------------- vectors
def test_array_input_matches_scalars_and_shape():
    n = np.array([[5, 40], [100, 7]])
    got = bc.coverage_probability(n, 10)
    assert got.shape == (2, 2)
    for idx in np.ndindex(n.shape):
        assert got[idx] == pytest.approx(bc.coverage_probability(int(n[idx]), 10), rel=1e-14)


def test_whole_curve_is_monotone_and_bounded():
    n = np.arange(0, 20001)
    v = bc.coverage_probability(n, 1000)
    assert np.all(np.diff(v) >= 0)
    assert np.all((v >= 0) & (v <= 1)) and not np.any(np.isnan(v))
    ls = bc.log_coverage_sf(n, 1000)
    assert np.all(np.diff(ls) <= 0) and np.all(ls <= 0)


def test_digits_mode_agrees_with_exact():
    for n, prior in [(32, 10), (20, [3, 5, 2, 4]), (7701, 1000)]:
        want = bc.coverage_probability(n, prior, exact=True)
        got = bc.coverage_probability(n, prior, digits=30)
        with mp.workdps(40):
            assert abs(got - mp.mpf(want.numerator) / want.denominator) <= mp.mpf(10) ** -28 * got


@pytest.mark.parametrize("counts", [[2, 2, 2], [5, 5, 5], [3, 5, 2, 4], [1, 1, 4], [2, 7, 7], [1, 1]])
def test_without_replacement_every_n_against_exact(counts):
    """Every n from C to N, including n = N − min N_c (the last n at which a class can be missing)."""
    for n in range(len(counts), sum(counts) + 1):
        want = bc.coverage_probability(n, counts, replace=False, exact=True)
        assert_log_close(bc.log_coverage_probability(n, counts, replace=False), frac_log(want))
        sf = bc.log_coverage_sf(n, counts, replace=False)
        assert sf == -math.inf if want == 1 else abs(sf - frac_log(1 - want)) <= RTOL * max(1.0, abs(frac_log(1 - want)))


@pytest.mark.parametrize(
    "draws,exc,msg",
    [(-1, ValueError, "non-negative"), (2.5, ValueError, "whole"), (float("nan"), ValueError, "finite"),
     (10**20, ValueError, "2\\*\\*53"), ([5, 10**20], ValueError, "2\\*\\*53"), ("5", TypeError, "whole numbers"),
     (True, TypeError, "bool")],
)
def test_bad_draws(draws, exc, msg):
    with pytest.raises(exc, match=msg):
        bc.coverage_probability(draws, 10)


def test_bad_digits_and_modes():
    with pytest.raises(ValueError, match="digits"):
        bc.coverage_probability(5, 3, digits=0)
    with pytest.raises(ValueError, match="one or the other"):
        bc.coverage_probability(5, 3, exact=True, digits=10)
    with pytest.raises(ValueError, match="single number"):
        bc.coverage_probability([5, 6], 3, exact=True)
    with pytest.raises(ValueError, match="digits="):
        bc.coverage_probability(5, [0.5, 0.25, 0.25], exact=True)


# ------------------------------------------------------------- whole curves (shared circles)
def _exact_logs(v: Fraction) -> tuple[float, float]:
    """(ln υ, ln(1 − υ)) of an exact probability, from its integers."""
    return frac_log(v), frac_log(1 - v)


@pytest.fixture
def per_point_calls(monkeypatch):
    """How many draw counts were computed on circles of their own (not shared)."""
    from boundcalc import saddle

    seen = [0]
    own = saddle._log_coefficient_each

    def counting(model, n, kind):
        seen[0] += n.size
        return own(model, n, kind)

    monkeypatch.setattr(saddle, "_log_coefficient_each", counting)
    return seen


@pytest.mark.parametrize("counts,replace,last", [
    ([1] * 10 + [3] * 10 + [7] * 5, True, 1500),      # three masses, i.i.d.
    ([30] * 5 + [10] * 10 + [3] * 4, False, 262),     # three pool sizes, without replacement
])
def test_whole_curve_against_exact_rationals(counts, replace, last, per_point_calls):
    """Every n of a dense curve, both sides, against exact rational arithmetic: the values that
    share a circle are as accurate as single values (1e−13 relative in υ and in 1 − υ)."""
    p = Prior.from_counts(counts)
    n = np.arange(0, last + 1)
    lc, ls = bc.coverage.log_coverage_and_sf(n, p, replace=replace)
    for k in n:
        want_c, want_s = _exact_logs(bc.coverage_probability(int(k), p, replace=replace, exact=True))
        assert_log_close(float(lc[k]), want_c, 1e-13)
        assert_log_close(float(ls[k]), want_s, 1e-13)
    assert per_point_calls[0] < 0.25 * n.size  # most of the curve was computed on shared circles


def test_whole_imagenet_curve_against_mpmath(per_point_calls):
    """A curve over the real ImageNet-1K prior, checked on both sides at points that shared a
    circle (mpmath contour integral at 40 digits)."""
    p = Prior.preset("imagenet1k")
    probs = list(zip((p.masses / p.total).tolist(), p.multiplicities.tolist(), strict=False))
    n = np.arange(1001, 30001)
    lc, ls = bc.coverage.log_coverage_and_sf(n, p)
    assert per_point_calls[0] < 0.05 * n.size
    for k in (6003, 20011):
        with mp.workdps(40):
            v = contour_coverage(k, probs, dps=40)
            assert_log_close(float(lc[k - 1001]), float(mp.log(v)), 1e-13)
            assert_log_close(float(ls[k - 1001]), float(mp.log(1 - v)), 1e-13)


@pytest.mark.parametrize("weights", [[5, 6], [1, 2, 3], [1, 10**6, 10**6]])
@pytest.mark.parametrize("n", [10**4, 10**7, 10**12, 7 * 10**15, 2**53])
def test_far_right_tail_up_to_2_53_against_inclusion_exclusion(weights, n):
    """ln(1 − υ_n) and ln υ_n for n up to 2^53 against the exact inclusion–exclusion sum for
    C ≤ 3 in mpmath (every term positive in the far tail; no saddle point involved)."""
    tot = sum(weights)
    with mp.workdps(60):
        r = [mp.mpf(w) / tot for w in weights]
        singles = mp.fsum((1 - x) ** n for x in r)
        pairs = mp.fsum((1 - r[i] - r[j]) ** n for i in range(len(r)) for j in range(i + 1, len(r))) if len(r) == 3 else 0
        want_sf = mp.log(singles - pairs)
        want_cdf = mp.log1p(-(singles - pairs))
    lc, ls = bc.coverage.log_coverage_and_sf(n, weights)
    assert_log_close(float(ls), float(want_sf), 1e-13)
    assert_log_close(float(lc), float(want_cdf), 1e-13)
    assert lc <= 0.0 and ls <= 0.0


@pytest.mark.parametrize("n,prior,digits", [
    (11, 10, 50), (11, 10, 100), (11, 10, 300), (11, 10, 1000),  # n just above C: a narrow tilted count
    (32, 10, 100), (32, 10, 300), (20, [3, 5, 2, 4], 300), (7701, 1000, 300),
])
def test_digits_mode_delivers_its_digits(n, prior, digits):
    """digits=D is right to D significant digits against exact rationals, also where n is just
    above C (the circle then needs many nodes: the count's distribution is narrow)."""
    want = bc.coverage_probability(n, prior, exact=True)
    got = bc.coverage_probability(n, prior, digits=digits)
    with mp.workdps(digits + 30):
        exact = mp.mpf(want.numerator) / want.denominator
        assert abs(got - exact) <= mp.mpf(10) ** (1 - digits) * exact


def _log_hypergeometric_all(n: int, big_n: int, k: int) -> mp.mpf:
    """ln P(k given items are all among n drawn without replacement from big_n)."""
    return mp.fsum(mp.log(mp.mpf(n - i) / (big_n - i)) for i in range(k))


@pytest.mark.parametrize("big,count,singles,n", [
    (10**9, 2, 20, 999999970),    # the saddle circle passes |z| = 1, far from θ = π
    (10**8, 2, 50, 10**8),
    (10**6, 3, 30, 1_500_000),
])
def test_large_pools_without_replacement_near_half(big, count, singles, n):
    """Pools of 10^6–10^9 items drawn about half-way: υ = P(every singleton drawn) (the large
    classes are certainly drawn), exactly Π_{i<k} (n − i)/(N − i)."""
    counts = [big] * count + [1] * singles
    with mp.workdps(40):
        want = _log_hypergeometric_all(n, sum(counts), singles)
    assert_log_close(float(bc.log_coverage_probability(n, counts, replace=False)), float(want), 1e-13)


def test_large_pool_survival_near_half():
    """1 − υ for classes of 100 items in a pool of 2·10^9 drawn half-way: the first
    inclusion–exclusion sum 5 · binom(N − 100, n) / binom(N, n) (the second is 10^−30 below it)."""
    counts = [10**9] * 2 + [100] * 5
    big_n, n = sum(counts), 10**9 + 5
    with mp.workdps(40):
        one = mp.exp(mp.loggamma(big_n - 100 + 1) - mp.loggamma(big_n - 100 - n + 1)
                     - mp.loggamma(big_n + 1) + mp.loggamma(big_n - n + 1))
        want = mp.log(5 * one)
    assert_log_close(float(bc.log_coverage_sf(n, counts, replace=False)), float(want), 1e-13)


# ------------------------------------------------------------------- single values, fast paths
@pytest.mark.parametrize("c", [2, 3, 7, 10, 50, 100, 1000, 5000])
def test_uniform_series_against_exact_rationals(c):
    """The uniform prior's inclusion–exclusion sum (single values) on both sides of υ, at every
    n where it accepts itself, against exact integer sums; it must take the upper part of the
    distribution (υ = 1/2) and refuse where it would cancel (υ far below 1/2)."""
    from boundcalc.coverage import _uniform_series

    median = int(bc.cover_time(c).median())
    ns = sorted({c + 1, c + 2, *range(median - 3, median + 4), *(int(v) for v in np.linspace(c + 1, 40 * c + 60, 60))})
    accepted = []
    for n in ns:
        got = _uniform_series(c, n)
        if got is None:
            continue
        accepted.append(n)
        want = uniform_log_cdf_exact(n, c) if c <= 100 else None
        want_sf = uniform_log_sf_series(n, c)
        if want is not None:
            assert_log_close(got[0], float(want), 1e-14)
        else:
            with mp.workdps(60):
                assert_log_close(got[0], float(mp.log1p(-mp.exp(want_sf))), 1e-14)
        assert_log_close(got[1], float(want_sf), 1e-14)
    assert median in accepted
    assert _uniform_series(c, c + 1) is None or c <= 3  # υ_{C+1} is tiny: the sum would cancel


@pytest.mark.parametrize("prior", [1000, 7, "imagenet1k", [1, 2, 3, 1000], [10**12, 1, 1, 1]],
                         ids=["uniform", "uniform7", "imagenet1k", "four", "dominant"])
def test_single_values_equal_the_per_point_path(prior):
    """A single value (its own fast path: a looser Newton stop, a narrower window at the same
    node spacing) equals the general per-point integral to rounding, from the left tail to υ ≈ 1."""
    from boundcalc import saddle

    p = bc.priors.as_prior(prior)
    model = saddle.model_for(p, True)
    c = p.n_classes
    ns = sorted({c + 1, c + 2, c + 5, *np.geomspace(c + 10, 80 * c + 200, 40).astype(int)})
    ref = saddle._log_coefficient_each(model, np.array(ns), "cdf")
    for n, want in zip(ns, ref, strict=True):
        got = saddle.log_cdf_one(model, n)
        if got is not None:
            assert abs(got - want) <= 1e-14 * max(1.0, abs(want)), (n, got, want)
        single = bc.log_coverage_probability(n, p)
        assert abs(single - min(want, 0.0)) <= 1e-13 * max(1.0, abs(want)), (n, single, want)


# ---------------------------------------------- whole curves through n = C, deep tails (issue 26)
def _deep_units(got: float, want: float) -> float:
    """|Δ ln p| in units of the rule 1e−16 |ln p| + ulp(ln p) (+ 2^−52 for p near 1)."""
    return abs(got - want) / (1e-16 * abs(want) + math.ulp(want) + 2.0**-52)


def _level_prior(*groups: tuple[int, int]) -> Prior:
    return Prior(np.array([float(a) for a, _ in groups]), np.array([m for _, m in groups], dtype=np.int64), True, "levels")


CURVE_PRIORS = {
    "uniform 2": Prior.uniform(2), "uniform 100": Prior.uniform(100), "uniform 1000": Prior.uniform(1000),
    "uniform 30000": Prior.uniform(30000), "uniform 100000": Prior.uniform(100000),
    "3x200+4x300": _level_prior((3, 200), (4, 300)), "1x50+1000x5": _level_prior((1, 50), (1000, 5)),
    "1x100+7x50+40x20": _level_prior((1, 100), (7, 50), (40, 20)), "1e6x3+1x2000": _level_prior((10**6, 3), (1, 2000)),
}


@pytest.mark.parametrize("name", list(CURVE_PRIORS))
def test_whole_curve_through_c_equals_single_values(name):
    """n = 1…3C as one curve against each n computed alone (every n for C ≤ 1000; for larger C
    every n up to C + 200 and 300 more at random): the smaller side within 8 units of the deep
    rule (each is within about 2 of the truth), the larger within 4 ulps. Before the alias
    bound, C = 30000 gave ln υ = −29647.7 at n = 30001 (truth −29984.3) from a circle 18σ away."""
    p = CURVE_PRIORS[name]
    c = p.n_classes
    n = np.arange(1, 3 * c + 1) if c > 20 else np.arange(1, 80)
    lc, ls = bc.coverage.log_coverage_and_sf(n, p)
    if c <= 1000:
        idx = np.arange(n.size)
    else:
        idx = np.unique(np.concatenate([np.arange(c - 2, c + 200), np.random.default_rng(0).choice(n.size, 300, replace=False)]))
    for i in idx:
        one_c, one_s = (float(v) for v in bc.coverage.log_coverage_and_sf(int(n[i]), p))
        if one_c == -math.inf:
            assert lc[i] == -math.inf and ls[i] == 0.0
            continue
        small, big = ((one_c, float(lc[i])), (one_s, float(ls[i]))) if one_c < one_s else ((one_s, float(ls[i])), (one_c, float(lc[i])))
        assert _deep_units(small[1], small[0]) <= 8, (int(n[i]), small)
        assert abs(big[1] - big[0]) <= 4 * 2.0**-52, (int(n[i]), big)


@pytest.mark.parametrize("c", [1000, 30000, 100000])
def test_whole_uniform_curve_against_references(c):
    """Uniform prior, n = 1…3C as one curve, sampled against references: υ_C, υ_{C+1}, υ_{C+2}
    from Stirling numbers of the second kind (C! S(n, C) / C^n), other points from the 40-digit
    mpmath contour integral; within 2 units of the deep rule."""
    n = np.arange(1, 3 * c + 1)
    lc = bc.log_coverage_probability(n, c)
    edge = [1, math.comb(c + 1, 2), math.comb(c + 2, 3) * (3 * c + 1) // 4]
    for k, s in enumerate(edge):
        with mp.workdps(40):
            want = float(mp.loggamma(c + 1) + mp.log(s) - (c + k) * mp.log(c))
        assert _deep_units(float(lc[c + k - 1]), want) <= 2, (c + k, lc[c + k - 1], want)
    for m in sorted({c + 3, c + 10, c + int(math.sqrt(c)), c + c // 10, 2 * c, 3 * c}):
        with mp.workdps(50):
            want = float(mp.log(bc.coverage_probability(m, c, digits=40)))
        assert _deep_units(float(lc[m - 1]), want) <= 2, (m, lc[m - 1], want)


@pytest.mark.parametrize("groups", [((3, 200), (4, 300)), ((1, 50), (1000, 5)), ((1, 100), (7, 50), (40, 20))],
                         ids=["two levels", "two far levels", "three levels"])
def test_whole_level_curve_against_exact_rationals(groups):
    """Priors with 2–3 mass levels: n = 1…3C as one curve, at every n from C − 1 to C + 30 and
    20 more, against exact rational υ_n (its smaller side within 2 units of the deep rule)."""
    p = _level_prior(*groups)
    c = p.n_classes
    n = np.arange(1, 3 * c + 1)
    lc, ls = bc.coverage.log_coverage_and_sf(n, p)
    sample = sorted({*range(c - 1, c + 31), *np.linspace(c + 31, 3 * c, 20).astype(int).tolist()})
    for m in sample:
        v = bc.coverage_probability(m, p, exact=True)
        want_c, want_s = _exact_logs(v)
        got_c, got_s = float(lc[m - 1]), float(ls[m - 1])
        if want_c == -math.inf:
            assert got_c == -math.inf
            continue
        if want_c < want_s:
            assert _deep_units(got_c, want_c) <= 2, (m, got_c, want_c)
        else:
            assert _deep_units(got_s, want_s) <= 2, (m, got_s, want_s)


@pytest.mark.parametrize("name", ["uniform 30000", "uniform 100000", "3x200+4x300", "1x100+7x50+40x20", "1e6x3+1x2000"])
def test_laws_along_curves_through_c(name):
    """Along n = 0…3C (and on to where υ ≈ 1, up to 2·10^5 draws): cdf non-decreasing, sf
    non-increasing, both in [0, 1], cdf + sf = 1 to one rounding."""
    p = CURVE_PRIORS[name]
    t = bc.cover_time(p)
    c = p.n_classes
    last = max(3 * c, min(int(t.mean() + 40 * t.std()), 200_000))
    n = np.arange(0, last + 1)
    lc, ls = bc.coverage.log_coverage_and_sf(n, p)
    cdf, sf = np.exp(lc), np.exp(ls)
    assert np.all((cdf >= 0) & (cdf <= 1) & (sf >= 0) & (sf <= 1))
    assert np.all(np.diff(cdf) >= 0) and np.all(np.diff(sf) <= 0)
    finite = lc > -np.inf
    assert np.all(np.diff(lc[finite]) >= 0) and np.all(np.diff(ls) <= 0)
    assert np.max(np.abs(cdf + sf - 1)) <= 2.3e-16


def test_alias_bound_is_a_bound():
    """_log_alias_bound bounds what aliases onto the points a circle serves: on a uniform C = 40
    circle, the exact tilted probabilities P_s(X ≡ n mod M, X ≠ n) (from exact υ_j) are below it."""
    from boundcalc import saddle

    p = Prior.uniform(40)
    model = saddle.model_for(p, True)
    centre = np.array([60])
    s, var = saddle.saddle_point(model, centre, "cdf")
    served = np.arange(45, 76)
    m_int = np.array([24])  # a short period, so that aliases matter
    bound = float(saddle._log_alias_bound(model, s, served, np.zeros(served.size, dtype=np.intp), m_int, "cdf")[0])
    lam = mp.mpf(float(s[0])) * 40
    with mp.workdps(40):
        phi = (1 - mp.exp(-lam / 40)) ** 40

        def tilted(j: int) -> mp.mpf:  # P_s(X = j) = υ_j Poisson(j; λ) / Φ(s)
            v = bc.coverage_probability(j, p, exact=True)
            return mp.mpf(v.numerator) / v.denominator * mp.exp(-lam) * lam**j / mp.factorial(j) / phi

        for k in (45, 60, 75):
            alias = mp.fsum(tilted(j) for j in range(40, 400) if (j - k) % 24 == 0 and j != k)
            assert mp.log(alias) <= bound
    assert bound < 0
