"""Hard and false negatives: the distribution of Col and the hardest-negative quantities against
brute-force enumeration (exact rationals), mpmath sums at high precision, Monte Carlo, and their
laws (hypothesis)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import boundcalc as bc
from boundcalc.negatives import collision_count, hardest_negatives


def brute_force_pmf(counts: list[int], k: int, replace: bool) -> list[Fraction]:
    """P(Col = m) by enumerating every anchor and every sequence of K negatives."""
    big_n = sum(counts)
    pmf = [Fraction(0)] * (k + 1)
    if replace:
        rho = [Fraction(c, big_n) for c in counts]
        for a in range(len(counts)):
            for seq in itertools.product(range(len(counts)), repeat=k):
                p = rho[a]
                for s in seq:
                    p *= rho[s]
                pmf[sum(s == a for s in seq)] += p
        return pmf
    items = [c for c, n in enumerate(counts) for _ in range(n)]
    total = 0
    for seq in itertools.permutations(range(big_n), k + 1):
        pmf[sum(items[i] == items[seq[0]] for i in seq[1:])] += 1
        total += 1
    return [x / total for x in pmf]


CASES = [([3, 2, 1], 4, True), ([1, 1], 5, True), ([5, 1, 1, 2], 3, True), ([3, 2, 1], 4, False), ([2, 2, 3], 5, False)]


@pytest.mark.parametrize("counts,k,replace", CASES)
def test_against_enumeration(counts, k, replace):
    want = brute_force_pmf(counts, k, replace)
    col = collision_count(k, counts, replace)
    ms = np.arange(k + 1)
    assert np.allclose(col.pmf(ms), [float(x) for x in want], rtol=1e-13, atol=1e-16)
    cdf = list(itertools.accumulate(want))
    assert np.allclose(col.cdf(ms), [float(x) for x in cdf], rtol=1e-13, atol=1e-16)
    assert np.allclose(col.sf(ms), [float(1 - x) for x in cdf], rtol=1e-12, atol=1e-16)
    mean = sum(m * p for m, p in enumerate(want))
    assert col.mean() == pytest.approx(float(mean), rel=1e-14)
    assert col.var() == pytest.approx(float(sum((m - mean) ** 2 * p for m, p in enumerate(want))), rel=1e-13)
    for m in range(1, k + 2):
        assert col.expected_min(m) == pytest.approx(float(sum(min(j, m) * p for j, p in enumerate(want))), rel=1e-13)
    for q in (0.1, 0.5, 0.9, 0.99):
        assert col.ppf(q) == min(m for m in range(k + 1) if cdf[m] >= q)


def _mp_component_pmf(k: int, rho, m: int):
    return mpmath.binomial(k, m) * rho**m * (1 - rho) ** (k - m)


@pytest.mark.parametrize("counts,k", [([1, 10, 100], 20_000), ([1300, 732, 1000], 5_000)])
def test_large_k_tails_against_mpmath(counts, k):
    col = collision_count(k, counts)
    with mpmath.workdps(40):
        big_n = sum(counts)
        rhos = [mpmath.mpf(c) / big_n for c in counts]
        top = max(counts) / big_n  # far upper tail: 8 and 25 standard deviations above the largest component
        sd = math.sqrt(k * top * (1 - top))
        ms = [0, 1, int(col.mean()), int(k * top + 8 * sd), int(k * top + 25 * sd)]
        for m in [m for m in ms if m <= k]:
            pmf = mpmath.fsum(r * _mp_component_pmf(k, r, m) for r in rhos)
            if m < k / 2:  # the shorter sum: 1 − cdf at 40 digits, or the upper tail itself
                sf = 1 - mpmath.fsum(r * mpmath.fsum(_mp_component_pmf(k, r, j) for j in range(m + 1)) for r in rhos)
            else:
                sf = mpmath.fsum(r * mpmath.fsum(_mp_component_pmf(k, r, j) for j in range(m + 1, k + 1)) for r in rhos)
            assert float(col.pmf(m)) == pytest.approx(float(pmf), rel=1e-11)
            assert float(col.logpmf(m)) == pytest.approx(float(mpmath.log(pmf)), abs=2e-11, rel=1e-13)
            if sf > 1e-300:
                assert float(col.sf(m)) == pytest.approx(float(sf), rel=1e-10)


def test_monte_carlo_agrees():
    rng = np.random.default_rng(7)
    counts = [50, 30, 15, 5]
    k, trials = 40, 200_000
    rho = np.array(counts) / sum(counts)
    anchors = rng.choice(len(counts), size=trials, p=rho)
    col = rng.binomial(k, rho[anchors])
    dist = collision_count(k, counts)
    for stat, exact in ((col.mean(), dist.mean()), ((col >= 1).mean(), float(dist.sf(0))), (np.minimum(col, 3).mean(), dist.expected_min(3))):
        se = np.std(col) / math.sqrt(trials) if stat > 1 else 0.5 / math.sqrt(trials)
        assert abs(stat - exact) < 5 * max(se, 1e-4)


def test_logpmf_beyond_underflow():
    col = collision_count(10**6, [1, 1])  # P(Col = 0) = 2^−10^6: far below the float range
    assert float(col.pmf(0)) == 0.0
    assert float(col.logpmf(0)) == pytest.approx(-(10**6) * math.log(2), rel=1e-13)
    assert float(col.logcdf(0)) == pytest.approx(-(10**6) * math.log(2), rel=1e-13)


def test_tau_and_mean_agree_with_the_collision_module():
    for prior in (10, "imagenet_lt", [0.5, 0.3, 0.2]):
        col = collision_count(255, prior)
        assert float(col.sf(0)) == pytest.approx(bc.collision_probability(255, prior), rel=1e-13)
        assert col.mean() == pytest.approx(bc.collision_mean(255, prior), rel=1e-13)


def test_moco_imagenet_example():
    """MoCo's K = 65,536 on ImageNet-1K: E[Col] ≈ 65.7; the hardest 0.1% (66) about 95% same-class."""
    rows = {r.fraction: r for r in hardest_negatives(65536, "imagenet1k")}
    r = rows[0.001]
    assert r.hardest == 66 and r.expected_same_class == pytest.approx(65536 * bc.as_prior("imagenet1k").collision_index)
    assert 0.9 < r.same_class_share_ideal < 0.97
    assert rows[0.05].same_class_share_ideal == pytest.approx(r.expected_same_class / 3277, rel=1e-6)
    assert r.p_negatives_cover_other_classes == pytest.approx(bc.coverage_probability(65537, "imagenet1k"))


def test_cover_other_classes_is_coverage_of_k_plus_one():
    """Σ_c ρ_c P(K draws cover every class but c) = υ_{K+1}, checked by enumeration."""
    counts, k = [3, 2, 1], 4
    big_n = sum(counts)
    rho = [Fraction(c, big_n) for c in counts]
    total = Fraction(0)
    for a in range(3):
        for seq in itertools.product(range(3), repeat=k):
            if set(range(3)) - {a} <= set(seq):
                p = rho[a]
                for s in seq:
                    p *= rho[s]
                total += p
    assert hardest_negatives(k, counts)[0].p_negatives_cover_other_classes == pytest.approx(float(total), rel=1e-13)


def test_fraction_rounding_and_refusals():
    assert [r.hardest for r in hardest_negatives(1000, 10, fractions=(0.05, 0.001, 0.0001))] == [50, 1, 1]
    for bad in (dict(fractions=(0.0,)), dict(fractions=(1.5,)), dict(confidence=1.0), dict(fractions=())):
        with pytest.raises(ValueError):
            hardest_negatives(100, 10, **bad)
    with pytest.raises(ValueError):
        hardest_negatives(0, 10)
    with pytest.raises(ValueError):
        collision_count(10, [5, 3, 2], replace=False)


weights = st.lists(st.integers(1, 50), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(w=weights, k=st.integers(1, 400), replace=st.booleans())
def test_laws(w, k, replace):
    if not replace and k > sum(w) - 1:
        k = max(1, sum(w) - 1)
        if sum(w) < 2:
            return
    col = collision_count(k, w, replace)
    assert math.fsum(col.pmf(np.arange(k + 1))) == pytest.approx(1.0, abs=1e-12)
    rows = hardest_negatives(k, w, fractions=(0.001, 0.01, 0.05, 0.2, 1.0), replace=replace)
    shares = [r.same_class_share_ideal for r in rows]
    assert all(a >= b - 1e-12 for a, b in zip(shares, shares[1:], strict=False))
    assert all(s >= r.same_class_share_random - 1e-12 for s, r in zip(shares, rows, strict=True))
    ranks = [hardest_negatives(k, w, fractions=(0.01,), confidence=q, replace=replace)[0].deputy_rank for q in (0.5, 0.9, 0.99)]
    finite = [r if r is not None else k + 1 for r in ranks]
    assert finite == sorted(finite)
    if replace:
        more = hardest_negatives(k + 10, w, fractions=(0.01,), confidence=0.9)[0].deputy_rank
        assert (more or k + 11) >= (ranks[1] or k + 1)


def test_cli_rows_and_keys():
    import json

    from typer.testing import CliRunner

    from boundcalc.cli import app

    res = CliRunner().invoke(app, ["negatives", "--prior", "imagenet1k", "--k", "65536,4096", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 6
    keys = {"k", "fraction", "hardest", "expected_same_class", "p_any_same_class", "same_class_share_ideal",
            "same_class_share_random", "deputy_rank", "confidence", "p_negatives_cover_other_classes"}
    assert keys <= set(rows[0])
    direct = {(r.k, r.fraction): r for k in (65536, 4096) for r in hardest_negatives(k, "imagenet1k")}
    for row in rows:
        assert row["same_class_share_ideal"] == direct[(row["k"], row["fraction"])].same_class_share_ideal
    bad = CliRunner().invoke(app, ["negatives", "-c", "10", "--k", "31", "--confidence", "1.5"])
    assert bad.exit_code == 2 and "--confidence" in bad.output


def test_plot_data(tmp_path):
    pytest.importorskip("matplotlib")
    from boundcalc.plotting import negatives_figure, save

    fig, data = negatives_figure(bc.as_prior(10), 200, (0.01, 0.05))
    path = save(fig, tmp_path / "n.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    k = list(data["k"])
    i = k.index(31)
    assert data["share"][0.05][i] == pytest.approx(hardest_negatives(31, 10, (0.05,))[0].same_class_share_ideal)
    assert all(a >= b - 1e-12 for a, b in zip(data["share"][0.01], data["share"][0.05], strict=True))


def test_dominant_class_law_against_mpmath():
    import mpmath

    from boundcalc.negatives import collision_count

    c = collision_count(3, [10**12, 1])
    with mpmath.workdps(50):
        r0 = mpmath.mpf(10**12) / (10**12 + 1)
        r1 = 1 - r0
        ref = [r0 * mpmath.binomial(3, m) * r0**m * (1 - r0) ** (3 - m) + r1 * mpmath.binomial(3, m) * r1**m * (1 - r1) ** (3 - m)
               for m in range(4)]
        cum = [sum(ref[: m + 1]) for m in range(4)]
    got, cdf, sf = c.pmf(np.arange(4)), c.cdf(np.arange(3)), c.sf(np.arange(3))
    for m in range(4):
        assert abs(got[m] - float(ref[m])) <= 1e-14 * float(ref[m])
    for m in range(3):
        assert abs(cdf[m] - float(cum[m])) <= 1e-14 * float(cum[m])
        assert abs(sf[m] - float(1 - cum[m])) <= 1e-14 * float(1 - cum[m])


def test_quantiles_reach_the_top_of_the_support():
    from boundcalc.negatives import collision_count

    c = collision_count(1000, "imagenet1k")
    assert c.ppf(1.0) == 1000 and c.isf(0.0) == 1000 and c.support_max() == 1000
    assert collision_count(5, [3, 4], replace=False).ppf(1.0) == 3  # at most N_c − 1 others of the class
    for q in (1e-30, 1e-5, 0.3):
        m = c.isf(q)
        assert c.sf(m) <= q < c.sf(m - 1)
