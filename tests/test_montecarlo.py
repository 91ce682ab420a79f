"""Monte Carlo estimators agree with the exact values within their 95% intervals (seeded)."""

from __future__ import annotations

import pytest

import boundcalc as bc
from boundcalc.montecarlo import simulate_collision, simulate_cover_time, simulate_coverage

PRIORS = [10, [5, 1, 1, 3], "cifar100", "imagenet_lt"]


@pytest.mark.parametrize("prior", PRIORS)
def test_collision(prior):
    k = 63
    est = simulate_collision(k, prior, 40_000, seed=7)
    assert est["tau"].contains(bc.collision_probability(k, prior))
    assert est["collision_term"].contains(bc.collision_term(k, prior))
    assert est["mean"].contains(bc.collision_mean(k, prior))


@pytest.mark.parametrize("prior,n", [(10, 32), ([5, 1, 1, 3], 12), ("cifar100", 519), ("imagenet1k", 7701)])
def test_coverage(prior, n):
    est = simulate_coverage(n, prior, 4_000 if n > 1000 else 20_000, seed=11)
    assert est.contains(bc.coverage_probability(n, prior))


@pytest.mark.parametrize("prior", [[5, 1, 1, 3], "imagenet1k"])
def test_coverage_without_replacement(prior):
    n = 7 if isinstance(prior, list) else 7000
    est = simulate_coverage(n, prior, 4_000, seed=3, replace=False)
    assert est.contains(bc.coverage_probability(n, prior, replace=False))


@pytest.mark.parametrize("prior,replace", [(10, True), ([5, 1, 1, 3], True), ("imagenet1k", True), ([5, 1, 1, 3], False), ("places_lt", False)])
def test_cover_time(prior, replace):
    est = simulate_cover_time(prior, 3_000, seed=5, replace=replace)
    assert est.contains(bc.expected_draws(prior, replace=replace))


def test_collision_without_replacement_against_enumeration():
    # pool [2, 1]: anchor class 0 (prob 2/3) leaves 1 same-class item among 2; K = 1.
    est = simulate_collision(1, [2, 1], 50_000, seed=1, replace=False)
    assert est["tau"].contains(2 / 3 * 1 / 2)


def test_seeded_and_progress():
    calls = []
    a = simulate_coverage(32, 10, 5000, seed=42, progress=calls.append)
    b = simulate_coverage(32, 10, 5000, seed=42)
    assert a == b and sum(calls) == 5000


def test_memory_bounded_batches_for_large_k():
    est = simulate_coverage(10**7, 1000, 3, seed=0)
    assert est.value == 1.0 and est.trials == 3


def test_bad_input():
    with pytest.raises(ValueError, match="trials"):
        simulate_coverage(5, 3, 0)
    with pytest.raises(ValueError, match="draws"):
        simulate_coverage(-1, 3, 10)
    with pytest.raises(ValueError, match="pool size"):
        simulate_coverage(100, [3, 4], 10, replace=False)
