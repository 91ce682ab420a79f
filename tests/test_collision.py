"""Collision probability τ_K, the distribution of Col and the collision term E[ln(1+Col)]."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

import boundcalc as bc
from boundcalc import Prior


def collision_term_reference(k: int, weights: list[int], dps: int = 40) -> mp.mpf:
    """Σ_c ρ_c Σ_m binom(K, m) ρ_c^m (1−ρ_c)^{K−m} ln(1+m), summed in mpmath."""
    with mp.workdps(dps):
        tot = sum(weights)
        out = mp.mpf(0)
        for w in weights:
            r = mp.mpf(w) / tot
            out += r * mp.fsum(mp.binomial(k, m) * r**m * (1 - r) ** (k - m) * mp.log(1 + m) for m in range(k + 1))
        return out


def brute_force_collision(k: int, weights: list[int]) -> tuple[Fraction, dict[int, Fraction]]:
    """τ_K and the pmf of Col by enumerating the anchor's and the negatives' classes."""
    import itertools

    tot = sum(weights)
    pmf: dict[int, Fraction] = {}
    for seq in itertools.product(range(len(weights)), repeat=k + 1):
        pr = math.prod(Fraction(weights[i], tot) for i in seq)
        col = sum(1 for c in seq[1:] if c == seq[0])
        pmf[col] = pmf.get(col, 0) + pr
    return 1 - pmf.get(0, Fraction(0)), pmf


@pytest.mark.parametrize("weights,k", [([1, 1], 3), ([1, 2, 3], 4), ([5, 1], 5), ([1, 1, 1, 1], 2)])
def test_against_brute_force(weights, k):
    tau, pmf = brute_force_collision(k, weights)
    assert bc.collision_probability(k, weights) == pytest.approx(float(tau), rel=1e-14)
    assert bc.collision_probability(k, Prior.from_counts(weights)) == pytest.approx(float(tau), rel=1e-14)
    from boundcalc.exact import exact_collision_probability

    assert exact_collision_probability(k, Prior.from_counts(weights)) == tau
    m = np.arange(k + 1)
    assert np.allclose(bc.collision_pmf(m, k, weights), [float(pmf.get(i, 0)) for i in m], rtol=1e-13, atol=0)
    mean = sum(i * p for i, p in pmf.items())
    assert bc.collision_mean(k, weights) == pytest.approx(float(mean), rel=1e-14)
    term = sum(p * mp.log(1 + i) for i, p in pmf.items())
    assert bc.collision_term(k, weights) == pytest.approx(float(term), rel=1e-13)


@pytest.mark.parametrize(
    "c,k",
    [(1, 1), (1, 7), (2, 1), (10, 31), (10, 511), (100, 127), (1000, 7700), (100000, 3), (3029, 26029), (4, 2000)],
)
def test_collision_term_uniform_against_mpmath(c, k):
    with mp.workdps(40):
        r = mp.mpf(1) / c
        want = mp.fsum(mp.binomial(k, m) * r**m * (1 - r) ** (k - m) * mp.log(1 + m) for m in range(k + 1))
    assert bc.collision_term(k, c) == pytest.approx(float(want), rel=1e-12)


def test_collision_term_imagenet_against_digits_mode():
    from boundcalc.exact import mp_collision_term

    p = Prior.preset("imagenet1k")
    for k in [1, 64, 300]:
        want = mp_collision_term(k, p, 25)
        assert bc.collision_term(k, p) == pytest.approx(float(want), rel=1e-12)


def test_collision_term_huge_k_against_asymptotics():
    """For K ρ ≫ 1, E[ln(1+Col)] = ln(1 + Kρ) − (1 − ρ)Kρ/(2(1+Kρ)²) + O((Kρ)^{-2})."""
    k, c = 10**9, 10
    lam = k / c
    approx = math.log1p(lam) - (1 - 1 / c) * lam / (2 * (1 + lam) ** 2)
    assert bc.collision_term(k, c) == pytest.approx(approx, rel=1e-15)


def test_tau_small_keeps_relative_accuracy():
    # τ_1 = Σ ρ_c² exactly; for C = 10^9 that is 1e-9, far below float cancellation.
    assert bc.collision_probability(1, 10**9) == pytest.approx(1e-9, rel=1e-14)
    assert bc.collision_probability(0, 10) == 0.0
    assert bc.collision_probability(5, 1) == 1.0


def test_vector_k():
    k = np.array([0, 1, 31, 511])
    got = bc.collision_probability(k, 10)
    assert np.allclose(got, 1 - 0.9 ** k, rtol=1e-14, atol=0)
    terms = bc.collision_term(k, 10)
    assert terms.shape == (4,) and terms[0] == 0.0
    assert all(terms[i] == pytest.approx(bc.collision_term(int(k[i]), 10), rel=1e-14) for i in range(4))


def test_bad_input():
    with pytest.raises(ValueError, match="k"):
        bc.collision_probability(-1, 10)
    with pytest.raises(ValueError, match="k"):
        bc.collision_term(2.5, 10)
    with pytest.raises(TypeError, match="k"):
        bc.collision_term("3", 10)


def binomial_log1p_mean(k: int, r: mp.mpf) -> mp.mpf:
    """E[ln(1 + X)], X ~ Binomial(K, r), summed in mpmath by the pmf's ratio recurrence until the
    terms past the mode fall below 1e−40 of the largest (the working precision is the caller's)."""
    p = (1 - r) ** k
    odds = r / (1 - r)
    total, top, m = mp.mpf(0), p, 0
    while m < k and (m <= k * r or p > top * mp.mpf(10) ** -40):
        p = p * (k - m) / (m + 1) * odds
        m += 1
        top = max(top, p)
        total += p * mp.log(1 + m)
    return total


def test_collision_term_range_against_mpmath():
    """A long range of K (interpolated by octave in ln K) agrees with mpmath sums at K between
    the interpolation nodes, for a uniform prior and the real ImageNet-1K prior."""
    ks = np.arange(0, 6000)
    got = bc.collision_term(ks, 10)
    for k in [0, 1, 63, 64, 65, 100, 127, 128, 129, 1000, 2047, 3001, 5999]:
        with mp.workdps(30):
            want = binomial_log1p_mean(k, mp.mpf(1) / 10)
        assert got[k] == pytest.approx(float(want), rel=1e-13, abs=0), k
    p = Prior.preset("imagenet1k")
    ks = np.arange(0, 100000)
    got = bc.collision_term(ks, p)
    for k in [97, 777, 4097, 33333, 99999]:
        with mp.workdps(30):
            tot = int(round(p.total))
            want = mp.fsum(int(m) * mp.mpf(int(a)) / tot * binomial_log1p_mean(k, mp.mpf(int(a)) / tot)
                           for a, m in zip(p.masses, p.multiplicities, strict=True))
        assert got[k] == pytest.approx(float(want), rel=1e-13), k


def test_collision_term_range_matches_single_values():
    """Every K of a range equals the single-value computation (same integral, not interpolated)."""
    ks = np.arange(0, 70000, 7)
    got = bc.collision_term(ks, "imagenet_lt")
    sample = np.random.default_rng(0).choice(ks.size, 60, replace=False)
    for i in sample:
        assert got[i] == pytest.approx(bc.collision_term(int(ks[i]), "imagenet_lt"), rel=1e-14)


@pytest.mark.parametrize("weights", [[10**12] + [1] * 10, [1 - 1e-12, 1e-12], [2**52, 3, 1]])
@pytest.mark.parametrize("k", [1, 5, 31, 1000])
def test_dominant_class_keeps_its_complement(weights, k):
    """A class of probability within 1e−12 of 1: τ_K, ln(1 − τ_K) (the denominator of Arora's
    bound) and E[ln(1+Col)] keep full relative accuracy, because 1 − ρ is formed from the other
    classes' mass, not by subtracting a float near 1 (exact rationals of the given numbers)."""
    fr = [Fraction(w) for w in weights]
    tot = sum(fr)
    rho = [w / tot for w in fr]
    miss = sum(r * (1 - r) ** k for r in rho)
    with mp.workdps(60):
        want_log = mp.log(mp.mpf(miss.numerator) / miss.denominator)
        rs = [mp.mpf(r.numerator) / r.denominator for r in rho]
        want_term = mp.fsum(r * binomial_log1p_mean(k, r) for r in rs)
    assert bc.collision_probability(k, weights) == pytest.approx(float(1 - miss), rel=1e-14)
    assert bc.log_collision_complement(k, weights) == pytest.approx(float(want_log), rel=1e-13)
    assert bc.collision_term(k, weights) == pytest.approx(float(want_term), rel=1e-13)


@pytest.mark.parametrize("k", [1, 5, 31])
def test_collision_pmf_with_a_dominant_class(k):
    """P(Col = m) for counts [10^12, 1 × 10] against exact rationals (was 1e−6 off at K = 31:
    the dominant class's 1 − ρ was lost to rounding)."""
    w = [10**12] + [1] * 10
    tot = sum(w)
    m = np.arange(k + 1)
    got = bc.collision_pmf(m, k, w)
    for j in m:
        exact = sum(Fraction(a, tot) * math.comb(k, int(j)) * Fraction(a, tot) ** int(j) * (1 - Fraction(a, tot)) ** (k - int(j))
                    for a in w)
        assert got[j] == pytest.approx(float(exact), rel=1e-13), j
