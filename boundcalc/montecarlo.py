"""Monte Carlo estimators: the independent check of every exact number.

Each estimator is seeded (``numpy.random.Generator``), vectorised, works on batches so that
memory stays bounded (about ``_BATCH_ELEMENTS`` numbers at a time, whatever K and the number
of trials), and returns an :class:`Estimate` with a 95% confidence interval: Wilson's interval
for probabilities, the normal interval for means.

Samplers (all exact in distribution):

* collisions: the anchor's class c is drawn from ρ, then Col ~ Binomial(K, ρ_c) (i.i.d.) or
  Hypergeometric(N_c − 1 good, N − N_c bad, K draws) (without replacement);
* coverage: per-class counts of the n draws ~ Multinomial(n, ρ) (resp. multivariate
  hypergeometric from the pool), covered when every count is positive;
* cover time T (i.i.d.): first arrival times E_c ~ Exp(ρ_c) of a rate-1 Poisson stream,
  τ = max_c E_c, and T = C + Poisson(Σ_c ρ_c (τ − E_c)); without replacement: uniform
  arrival times, E_c ~ Beta(1, N_c), T = C + Σ_c Binomial(N_c − 1, (τ − E_c)/(1 − E_c)).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from .errors import InputError
from .priors import Prior, PriorLike, as_prior, require_pool
from .validation import positive_int, whole_number

__all__ = ["Estimate", "simulate_collision", "simulate_coverage", "simulate_cover_time", "simulate_all"]

_BATCH_ELEMENTS = 2_000_000
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate with its standard error and 95% confidence interval."""

    value: float
    stderr: float
    low: float
    high: float
    trials: int

    def contains(self, x: float) -> bool:
        """True when x lies in the 95% interval."""
        return self.low <= x <= self.high

    def as_dict(self) -> dict:
        return asdict(self)


def _proportion(successes: int, trials: int) -> Estimate:
    """Wilson score interval for a binomial proportion."""
    p = successes / trials
    z2 = _Z95**2
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = _Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials**2)) / (1 + z2 / trials)
    # The interval contains p̂ by construction; at p̂ = 0 or 1 its end is exactly that value
    # (rounding would otherwise leave 0.9999999999999999 and exclude the estimate).
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == trials else max(p, min(1.0, centre + half))
    return Estimate(float(p), math.sqrt(p * (1 - p) / trials), low, high, trials)


def _mean(total: float, total_sq: float, trials: int) -> Estimate:
    mean = float(total) / trials
    var = max(float(total_sq) / trials - mean * mean, 0.0) * trials / max(trials - 1, 1)
    se = math.sqrt(var / trials)
    return Estimate(mean, se, mean - _Z95 * se, mean + _Z95 * se, trials)


def _check_trials(trials: int) -> int:
    return positive_int(trials, "trials")


def _check_count(value: int, name: str) -> int:
    return whole_number(value, name)


def _rng(seed: int | None) -> np.random.Generator:
    """numpy's Generator from a seed: a whole number ≥ 0, or None for fresh entropy."""
    return np.random.default_rng(None if seed is None else whole_number(seed, "seed"))


def _batches(trials: int, per_trial: int) -> Iterator[int]:
    size = max(1, _BATCH_ELEMENTS // max(per_trial, 1))
    done = 0
    while done < trials:
        b = min(size, trials - done)
        yield b
        done += b


def _pool(prior: Prior) -> np.ndarray:
    return require_pool(prior).per_class().astype(np.int64)


def simulate_collision(
    k: int,
    prior: PriorLike,
    trials: int,
    seed: int | None = None,
    replace: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Estimate]:
    """Estimate τ_K = P(Col ≥ 1), E[Col] and E[ln(1 + Col)] from ``trials`` anchors."""
    k = _check_count(k, "k")
    trials = _check_trials(trials)
    p = as_prior(prior)
    rng = _rng(seed)
    group_p = p.probabilities * p.multiplicities
    group_p = group_p / group_p.sum()
    big_n = int(round(p.total)) if not replace else 0
    if not replace:
        _pool(p)
        if k > big_n - 1:
            raise InputError(f"k: at most N − 1 = {big_n - 1} negatives without replacement")
    hits = 0
    sums = np.zeros(4)
    for b in _batches(trials, 1):
        g = rng.choice(p.masses.size, size=b, p=group_p)
        if replace:
            col = rng.binomial(k, p.probabilities[g])
        else:
            nc = p.masses[g].astype(np.int64)
            col = rng.hypergeometric(nc - 1, big_n - nc, k) if k > 0 else np.zeros(b, dtype=np.int64)
        hits += int(np.count_nonzero(col))
        lg = np.log1p(col)
        sums += [col.sum(), (col.astype(np.float64) ** 2).sum(), lg.sum(), (lg * lg).sum()]
        if progress:
            progress(b)
    return {
        "tau": _proportion(hits, trials),
        "mean": _mean(sums[0], sums[1], trials),
        "collision_term": _mean(sums[2], sums[3], trials),
    }


def simulate_coverage(
    draws: int,
    prior: PriorLike,
    trials: int,
    seed: int | None = None,
    replace: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Estimate:
    """Estimate υ_n = P(n draws contain every class) from ``trials`` batches of n draws."""
    n = _check_count(draws, "draws")
    trials = _check_trials(trials)
    p = as_prior(prior)
    rng = _rng(seed)
    covered = 0
    if replace:
        rho = p.per_class() / p.total
    else:
        pool = _pool(p)
        if n > pool.sum():
            raise InputError(f"draws: at most the pool size N = {int(pool.sum())} without replacement")
    for b in _batches(trials, p.n_classes):
        counts = rng.multinomial(n, rho, size=b) if replace else rng.multivariate_hypergeometric(pool, n, size=b, method="marginals")
        covered += int(np.count_nonzero(np.all(counts > 0, axis=1)))
        if progress:
            progress(b)
    return _proportion(covered, trials)


def simulate_cover_time(
    prior: PriorLike,
    trials: int,
    seed: int | None = None,
    replace: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Estimate:
    """Estimate E[T], the expected number of draws until every class is seen."""
    trials = _check_trials(trials)
    p = as_prior(prior)
    rng = _rng(seed)
    c = p.n_classes
    total = total_sq = 0.0
    masses = p.per_class().astype(np.float64)
    rho = masses / masses.sum()
    pool = np.zeros(0, dtype=np.int64) if replace else _pool(p)
    for b in _batches(trials, c):
        if replace:
            first = rng.exponential(size=(b, c)) / rho
            tau = first.max(axis=1, keepdims=True)
            t = c + rng.poisson(np.sum(rho * (tau - first), axis=1))
        else:
            first = -np.expm1(np.log(rng.random(size=(b, c))) / pool)
            tau = first.max(axis=1, keepdims=True)
            frac = np.clip((tau - first) / (1.0 - first), 0.0, 1.0)
            t = c + rng.binomial(pool - 1, frac).sum(axis=1)
        t = t.astype(np.float64)
        total += t.sum()
        total_sq += (t * t).sum()
        if progress:
            progress(b)
    return _mean(total, total_sq, trials)


def simulate_all(
    k: int,
    prior: PriorLike,
    trials: int,
    seed: int | None = None,
    replace: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Estimate]:
    """Every estimator at once: τ_K, E[Col], E[ln(1+Col)] (``trials`` anchors), υ_{K+1}
    (``trials`` batches) and E[T] (``trials`` cover times), keyed like the exact quantities.

    Seeding policy: the three estimators use ``seed``, ``seed + 1`` and ``seed + 2`` (or fresh
    entropy when ``seed`` is None), so each stream is reproducible on its own and independent
    of the others. ``progress`` is called with the number of trials done, 3 × ``trials`` in all.
    """
    k = _check_count(k, "k")
    col = simulate_collision(k, prior, trials, seed, replace, progress)
    cov = simulate_coverage(k + 1, prior, trials, None if seed is None else seed + 1, replace, progress)
    t = simulate_cover_time(prior, trials, None if seed is None else seed + 2, replace, progress)
    return {
        "tau": col["tau"],
        "expected_collisions": col["mean"],
        "collision_term": col["collision_term"],
        "upsilon": cov,
        "expected_draws": t,
    }
