"""The coupon collector's time T: mean, variance, quantiles, pmf."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import boundcalc as bc
from boundcalc import Prior

from .reference import subset_coverage

TABLE3 = {"binary": 3, "ag_news": 9, "cifar10": 30, "cifar100": 519, "wiki3029": 26030, "imagenet1k": 7709}


@pytest.mark.parametrize("name,want", TABLE3.items())
def test_nozawa_sato_table3(name, want):
    assert math.ceil(bc.expected_draws(name)) == want


def test_imagenet_expected_draws_digits():
    assert 0 <= bc.expected_draws("imagenet1k") - 7708.66495467 < 1e-8  # issue: 7708.66495467…
    ref = bc.expected_draws("imagenet1k", digits=20)
    assert bc.expected_draws("imagenet1k") == pytest.approx(float(ref), rel=1e-13)


@pytest.mark.parametrize("c", [1, 2, 7, 100, 3029, 10**9])
def test_uniform_mean_and_var_closed_forms(c):
    t = bc.cover_time(c)
    if c <= 3029:
        h = sum(Fraction(1, i) for i in range(1, c + 1))
        h2 = sum(Fraction(1, i * i) for i in range(1, c + 1))
        assert t.mean() == pytest.approx(float(c * h), rel=1e-14)
        assert t.var() == pytest.approx(float(c * c * h2 - c * h), rel=1e-12, abs=1e-12)
    else:  # asymptotics: C ln C + γ C + 1/2, Var ≈ π² C² / 6 − C(ln C + γ + 1)
        assert t.mean() == pytest.approx(c * math.log(c) + np.euler_gamma * c + 0.5, rel=1e-14)
        assert t.var() == pytest.approx(math.pi**2 / 6 * c * c - c * (math.log(c) + np.euler_gamma + 1), rel=1e-12)


@pytest.mark.parametrize("weights", [[1, 2], [1, 1, 3], [2, 3, 5, 7, 11], [100, 1, 1]])
def test_general_mean_var_against_exact(weights):
    p = Prior.from_counts(weights)
    exact_mean = bc.expected_draws(p, exact=True)
    # P(T > n) = Σ_{S≠∅} (−1)^{|S|+1} (1 − ρ(S))^n summed over n in closed form:
    # E[T] = Σ_S (−1)^{|S|+1} / ρ(S),  E[T(T+1)/2] = Σ_S (−1)^{|S|+1} / ρ(S)².
    tot, c = sum(weights), len(weights)
    mean = half_second = Fraction(0)
    for mask in range(1, 1 << c):
        q = Fraction(sum(weights[i] for i in range(c) if mask >> i & 1), tot)
        sign = 1 if bin(mask).count("1") % 2 else -1
        mean += sign / q
        half_second += sign / (q * q)
    var = 2 * half_second - mean - mean * mean
    assert exact_mean == mean
    assert bc.expected_draws(p) == pytest.approx(float(exact_mean), rel=1e-13)
    assert bc.cover_time(p).var() == pytest.approx(float(var), rel=1e-12)


@pytest.mark.parametrize("counts", [[5, 3, 2, 7], [3] + [1] * 9, [2, 2] + [1] * 12])  # T far from / near its top
def test_without_replacement_moments_against_sums(counts):
    t = bc.cover_time(counts, replace=False)
    n = np.arange(0, sum(counts) + 1)
    sf = np.array([float(1 - bc.coverage_probability(int(k), counts, replace=False, exact=True)) for k in n])
    assert t.mean() == pytest.approx(sf.sum(), rel=1e-13)
    assert t.var() == pytest.approx(((2 * n + 1) * sf).sum() - sf.sum() ** 2, rel=1e-13)


@pytest.mark.parametrize("common,count,rare", [(3000, 10**5, 1), (10, 10**6, 1), (1000, 732, 1)])
def test_rare_class_mean_against_beta_form(common, count, rare):
    """One rare class among many common ones (long-tailed data sets): m classes of probability
    a and one of b give E[T] = (H_m + B(b/a, m + 1)) / a exactly, however far apart a and b are."""
    p = Prior.from_counts([count] * common + [rare])
    with mp.workdps(40):
        total = mp.mpf(common * count + rare)
        a, b = count / total, rare / total
        want = (mp.harmonic(common) + mp.beta(b / a, common + 1)) / a
    assert bc.expected_draws(p) == pytest.approx(float(want), rel=1e-13)


def test_without_replacement_single_items_take_every_draw():
    """A pool of N classes of one item each is covered exactly at draw N: E[T] = N, Var[T] = 0."""
    t = bc.cover_time([1] * 20000, replace=False)
    assert t.mean() == pytest.approx(20000.0, rel=1e-15)
    assert t.var() <= 1e-15 * 20000**2


def test_without_replacement_nearly_constant_time():
    """One pair among 10^5 singletons: T = N − 1 exactly when a pair item comes last (p = 2/N),
    else N; E[T] = N − p and Var[T] = p(1 − p) ≈ 2e−5, which E[T²] − E[T]² (≈ 10^10) cannot give."""
    t = bc.cover_time([2] + [1] * 100000, replace=False)
    big_n = Fraction(100002)
    p = 2 / big_n
    assert t.mean() == pytest.approx(float(big_n - p), rel=1e-15)
    assert t.var() == pytest.approx(float(p * (1 - p)), rel=1e-13)


@pytest.mark.parametrize("prior", [10, 1000, "imagenet1k", [5, 1, 1, 1]])
@pytest.mark.parametrize("q", [0.01, 0.5, 0.9, 0.99, 0.999999])
def test_ppf_is_the_smallest_n_reaching_q(prior, q):
    t = bc.cover_time(prior)
    n = int(t.ppf(q))
    assert t.cdf(n) >= q or t.sf(n) <= 1 - q
    assert t.cdf(n - 1) < q


def test_ppf_edges_and_median():
    t = bc.cover_time(10)
    assert t.ppf(0) == 10 and t.ppf(1) == math.inf
    assert t.median() == t.ppf(0.5)
    assert bc.draws_for_coverage(0.99, 10) == t.ppf(0.99)
    assert bc.cover_time(1).ppf(1.0) == 1
    with pytest.raises(ValueError, match="q"):
        t.ppf(1.5)
    assert np.array_equal(t.ppf([0.5, 0.9]), [t.ppf(0.5), t.ppf(0.9)])


def test_pmf_sums_to_one_and_matches_differences():
    t = bc.cover_time([3, 1, 1])
    n = np.arange(0, 400)
    pmf = t.pmf(n)
    assert pmf.sum() == pytest.approx(1.0, rel=1e-13)
    assert np.all(pmf >= 0)
    for k in [3, 4, 10]:
        want = subset_coverage(k, [3, 1, 1]) - subset_coverage(k - 1, [3, 1, 1])
        assert pmf[k] == pytest.approx(float(want), rel=1e-12)


@pytest.mark.parametrize("prior", [2, 4, 8, [1, 1, 2], [3, 1]])  # dyadic probabilities: exact floats
def test_ppf_exact_at_ties(prior):
    """Where cdf(n) equals the level q exactly (a dyadic υ_n such as 1/2 or 3/32), ppf(q) is n
    itself, the smallest n with cdf(n) ≥ q, however the float cdf rounds."""
    t = bc.cover_time(prior)
    c = t.prior.n_classes
    ties = 0
    for n in range(c, c + 12):
        v = bc.coverage_probability(n, prior, exact=True)
        if Fraction(float(v)) == v and 0 < v < 1:
            ties += 1
            assert t.ppf(float(v)) == n, (n, v)
            nxt = math.nextafter(float(v), 1.0)
            assert t.ppf(nxt) == n + 1, (n, v)
    assert ties > 0
