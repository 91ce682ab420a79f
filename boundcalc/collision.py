"""Collisions: negatives that share the anchor's latent class.

With one anchor and K negatives whose classes are drawn i.i.d. from ρ, the collision count
Col = #{negatives with the anchor's class} satisfies Col | (anchor class c) ~ Binomial(K, ρ_c).
Definitions and sources: Arora et al. (2019), Nozawa & Sato (2021), docs/math.md §1.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .priors import PriorLike, as_prior
from .special import logsumexp_weighted
from .validation import FloatOrArray, shaped_like, whole_numbers

__all__ = [
    "collision_probability",
    "log_collision_complement",
    "collision_term",
    "collision_pmf",
    "collision_mean",
]



def collision_probability(k: ArrayLike, prior: PriorLike) -> FloatOrArray:
    """τ_K = P(Col ≥ 1) = 1 − Σ_c ρ_c (1 − ρ_c)^K, the probability that at least one of K
    i.i.d. negatives shares the anchor's class (Arora et al. 2019; uniform: 1 − (1 − 1/C)^K).

    Computed as Σ_c ρ_c · (−expm1(K·log1p(−ρ_c))), a sum of positive terms, so small τ keeps
    its relative accuracy. Domain: K ≥ 0 integers (scalar or array); result in [0, 1].
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    rho = p.probabilities
    kf = kk.astype(np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        miss = np.where(kf > 0, -np.expm1(kf * np.log1p(-rho)), 0.0)
    tau = np.sum(p.multiplicities * rho * miss, axis=-1)
    return shaped_like(np.clip(tau, 0.0, 1.0), k)


def log_collision_complement(k: ArrayLike, prior: PriorLike) -> FloatOrArray:
    """ln(1 − τ_K) = ln Σ_c ρ_c (1 − ρ_c)^K, the log-probability that no negative shares the
    anchor's class (the denominator of the Arora and Ash bounds), as a log-sum-exp of
    ln ρ_c + K ln(1 − ρ_c): no underflow for any K. Domain: K ≥ 0 integers; result ≤ 0.
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    rho = p.probabilities
    kf = kk.astype(np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):  # ρ = 1 (one class): 0 · ln 0 at K = 0
        terms = np.log(rho) + np.where(kf > 0, kf * np.log1p(-rho), 0.0)
    out = logsumexp_weighted(terms, p.multiplicities.astype(np.float64))
    return shaped_like(np.minimum(out, 0.0), k)


def collision_mean(k: ArrayLike, prior: PriorLike) -> FloatOrArray:
    """E[Col] = K Σ_c ρ_c²."""
    kk = whole_numbers(k, "k")
    return shaped_like(kk.astype(np.float64) * as_prior(prior).collision_index, k)


def collision_pmf(m: ArrayLike, k: int, prior: PriorLike) -> FloatOrArray:
    """P(Col = m) = Σ_c ρ_c Binom(m; K, ρ_c), for m = 0..K (scalar or array m)."""
    from scipy.stats import binom

    kk = int(whole_numbers(k, "k"))
    mm = whole_numbers(m, "m")
    p = as_prior(prior)
    rho = p.probabilities
    vals = binom.pmf(mm[..., None], kk, rho)
    return shaped_like(np.clip(np.sum(p.multiplicities * rho * vals, axis=-1), 0.0, 1.0), m)


# Trapezoidal rule on v = ln t for the Frullani-type integral below.
_STEP = 0.125
_V_HIGH = math.log(60.0)  # e^{-60} ≈ 1e-26: the tail beyond is negligible
_CHUNK_ELEMENTS = 1 << 22


def collision_term(k: ArrayLike, prior: PriorLike) -> FloatOrArray:
    """E[ln(1 + Col)] = Σ_c ρ_c Σ_{m=0..K} Binom(m; K, ρ_c) ln(1 + m)  (the papers'
    "τ_K ln(Col + 1)" term of the CURL and Nozawa–Sato bounds; docs/math.md §1).

    Computed without summing K terms, from ln(1+m) = ∫_0^∞ e^{−t}(1 − e^{−mt}) dt/t:

        E[ln(1 + Col)] = Σ_c ρ_c ∫_0^∞ e^{−t} (1 − (1 − ρ_c(1 − e^{−t}))^K) dt / t,

    evaluated by the trapezoidal rule in v = ln t, which converges geometrically for this
    doubly-exponentially decaying analytic integrand (step 1/8: error below 1e−30 relative).
    Cost O((ln K + 80) · 8 · U) for U distinct class probabilities. Domain: K ≥ 0 integers.
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    rho = p.probabilities
    weights = p.multiplicities.astype(np.float64) * rho
    flat = kk.ravel().astype(np.float64)
    out = np.zeros(flat.shape, dtype=np.float64)
    if flat.size == 0 or flat.max() == 0:
        return shaped_like(out.reshape(kk.shape), k)
    # One grid for all K: it starts low enough for the largest K (the extra nodes add nothing).
    v = np.arange(-math.log(flat.max()) - 70.0, _V_HIGH + _STEP, _STEP)
    t = np.exp(v)
    damp = np.exp(-t)
    em1 = np.expm1(-t)[:, None]
    # Work in blocks of distinct masses and of K, so memory stays near _CHUNK_ELEMENTS numbers
    # whatever U (the number of distinct masses) and the number of K are.
    u_step = max(1, _CHUNK_ELEMENTS // v.size)
    for u0 in range(0, rho.size, u_step):
        r, w = rho[u0 : u0 + u_step], weights[u0 : u0 + u_step]
        with np.errstate(divide="ignore"):  # ρ = 1 (one class): ln 0 = −inf, then 1 − e^{−inf} = 1
            log_keep = np.log1p(r[None, :] * em1)  # ln(1 − ρ(1 − e^{−t})), (nodes, block)
        k_step = max(1, _CHUNK_ELEMENTS // (v.size * r.size))
        for start in range(0, flat.size, k_step):
            ks = flat[start : start + k_step]
            with np.errstate(invalid="ignore"):  # K = 0 times −inf; those rows are set to 0 below
                g = -np.expm1(ks[:, None, None] * log_keep[None, :, :])  # 1 − E[e^{−t·Col} | class]
            out[start : start + k_step] += _STEP * ((g @ w) @ damp)
    out[flat == 0] = 0.0
    return shaped_like(out.reshape(kk.shape), k)
