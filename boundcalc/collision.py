"""Collisions: negatives that share the anchor's latent class.

With one anchor and K negatives whose classes are drawn i.i.d. from ρ, the collision count
Col = #{negatives with the anchor's class} satisfies Col | (anchor class c) ~ Binomial(K, ρ_c).
Definitions and sources: Arora et al. (2019), Nozawa & Sato (2021), docs/math.md §1.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError
from .priors import Prior, PriorLike, as_prior, require_pool
from .special import log_hypergeom_pmf, logsumexp_weighted
from .validation import FloatOrArray, shaped_like, whole_numbers

__all__ = [
    "collision_probability",
    "log_collision_complement",
    "collision_term",
    "collision_pmf",
    "collision_mean",
]



def collision_probability(k: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """τ_K = P(Col ≥ 1) = 1 − Σ_c ρ_c (1 − ρ_c)^K, the probability that at least one of K
    i.i.d. negatives shares the anchor's class (Arora et al. 2019; uniform: 1 − (1 − 1/C)^K).

    Computed as Σ_c ρ_c · (−expm1(K·log1p(−ρ_c))), a sum of positive terms, so small τ keeps
    its relative accuracy. ``replace=False``: the K negatives are drawn without replacement
    from the other N − 1 items of the pool of per-class counts N_c (:func:`_pool_log_no_collision`).
    Domain: K ≥ 0 integers (scalar or array; K ≤ N − 1 without replacement); result in [0, 1].
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    if not replace:
        lp0, w = _pool_log_no_collision(kk, p)
        with np.errstate(under="ignore"):
            return shaped_like(np.clip(np.sum(w * -np.expm1(lp0), axis=-1), 0.0, 1.0), k)
    rho = p.probabilities
    kf = kk.astype(np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        miss = np.where(kf > 0, -np.expm1(kf * p.log_complements), 0.0)
    tau = np.sum(p.multiplicities * rho * miss, axis=-1)
    return shaped_like(np.clip(tau, 0.0, 1.0), k)


def log_collision_complement(k: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """ln(1 − τ_K) = ln Σ_c ρ_c (1 − ρ_c)^K, the log-probability that no negative shares the
    anchor's class (the denominator of the Arora and Ash bounds), as a log-sum-exp of
    ln ρ_c + K ln(1 − ρ_c): no underflow for any K. ``replace=False``: from the pool, as
    ln Σ_c (N_c/N) P(Col = 0 | c) (hypergeometric). Domain: K ≥ 0 integers; result ≤ 0.
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    if not replace:
        lp0, w = _pool_log_no_collision(kk, p)
        with np.errstate(divide="ignore"):
            return shaped_like(np.minimum(logsumexp_weighted(lp0 + np.log(w), np.ones(w.size)), 0.0), k)
    rho = p.probabilities
    kf = kk.astype(np.float64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):  # ρ = 1 (one class): 0 · ln 0 at K = 0
        terms = np.log(rho) + np.where(kf > 0, kf * p.log_complements, 0.0)
    out = logsumexp_weighted(terms, p.multiplicities.astype(np.float64))
    return shaped_like(np.minimum(out, 0.0), k)


def collision_mean(k: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """E[Col] = K Σ_c ρ_c² (i.i.d.); without replacement from the pool, K Σ_c (N_c/N)(N_c − 1)/(N − 1).
    Domain: K ≥ 0 integers."""
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    if not replace:
        big_n, counts, w = _pool(kk, p)
        return shaped_like(kk.astype(np.float64) * float(np.sum(w * (counts - 1.0))) / (big_n - 1.0), k)
    return shaped_like(kk.astype(np.float64) * p.collision_index, k)


def collision_pmf(m: ArrayLike, k: int, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """P(Col = m) = Σ_c ρ_c Binom(m; K, ρ_c), for m = 0..K (scalar or array m); without
    replacement Σ_c (N_c/N) Hypergeom(m; N − 1, N_c − 1, K) (Loader's form)."""
    from scipy.stats import binom

    kk = int(whole_numbers(k, "k"))
    mm = whole_numbers(m, "m")
    p = as_prior(prior)
    if not replace:
        big_n, counts, w = _pool(np.array([kk]), p)
        with np.errstate(under="ignore"):
            vals = np.stack([np.exp(log_hypergeom_pmf(mm, big_n - 1.0, c - 1.0, kk)) for c in counts], axis=-1)
        return shaped_like(np.clip(np.sum(w * vals, axis=-1), 0.0, 1.0), m)
    rho = p.probabilities
    # Above ρ = ½, Binom(m; K, ρ) = Binom(K − m; K, 1 − ρ) with 1 − ρ from the other classes'
    # mass (a dominant class would otherwise lose 1 − ρ to rounding).
    big = rho > 0.5
    comp = np.exp(p.log_complements)
    vals = np.where(big, binom.pmf(kk - mm[..., None], kk, comp), binom.pmf(mm[..., None], kk, rho))
    return shaped_like(np.clip(np.sum(p.multiplicities * rho * vals, axis=-1), 0.0, 1.0), m)


# Trapezoidal rule on v = ln t for the Frullani-type integral below.
_STEP = 0.125
_V_HIGH = math.log(60.0)  # e^{-60} ≈ 1e-26: the tail beyond is negligible
_CHUNK_ELEMENTS = 1 << 22
#: More distinct K than this are a range, interpolated by octave (below it, each K costs less
#: than an octave's nodes).
_RANGE_POINTS = 256
#: Octaves start here (below, every K is computed: the octaves are short there).
_CHEB_FROM = 64.0
#: Chebyshev nodes per octave of K, points checked between them, and the relative agreement
#: required at those points (a few units of rounding).
_CHEB_NODES = 24
_CHEB_CHECKS = 6
_CHEB_TOL = 4e-15


def collision_term(k: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """E[ln(1 + Col)] = Σ_c ρ_c Σ_{m=0..K} Binom(m; K, ρ_c) ln(1 + m)  (the papers'
    "τ_K ln(Col + 1)" term of the CURL and Nozawa–Sato bounds; docs/math.md §1).

    Computed without summing K terms, from ln(1+m) = ∫_0^∞ e^{−t}(1 − e^{−mt}) dt/t:

        E[ln(1 + Col)] = Σ_c ρ_c ∫_0^∞ e^{−t} (1 − (1 − ρ_c(1 − e^{−t}))^K) dt / t,

    evaluated by the trapezoidal rule in v = ln t, which converges geometrically for this
    doubly-exponentially decaying analytic integrand (step 1/8: error below 1e−30 relative).
    Cost O((ln K + 80) · 8 · U) for U distinct class probabilities. A long range of K (more
    than _RANGE_POINTS distinct values) is interpolated instead: the integral is an analytic
    function of ln K, so on each octave [2^i, 2^{i+1}] a Chebyshev interpolant through
    _CHEB_NODES exact values reproduces it to rounding (checked on each octave at
    points between the nodes; an octave that fails is computed point by point).
    ``replace=False``: from the pool, Σ_c (N_c/N) Σ_m Hypergeom(m; N − 1, N_c − 1, K) ln(1 + m),
    summed over the window of m where the pmf is not negligible (:func:`_pool_collision_term`).
    Domain: K ≥ 0 integers (K ≤ N − 1 without replacement).
    """
    kk = whole_numbers(k, "k")
    p = as_prior(prior)
    if not replace:
        return shaped_like(_pool_collision_term(kk, p), k)
    rho = p.probabilities
    weights = p.multiplicities.astype(np.float64) * rho
    flat = kk.ravel().astype(np.float64)
    uniq, inverse = np.unique(flat, return_inverse=True)
    by_range = uniq.size > _RANGE_POINTS
    vals = (_collision_range if by_range else _collision_integral)(uniq, rho, weights, p.log_complements)
    return shaped_like(vals[inverse].reshape(kk.shape), k)


def _collision_integral(
    ks: NDArray[np.float64], rho: NDArray[np.float64], weights: NDArray[np.float64], log_comp: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The trapezoidal rule of :func:`collision_term` at each (real, ≥ 0) K, chunked; ``log_comp``
    holds ln(1 − ρ_u), accurate for a dominant class."""
    out = np.zeros(ks.shape, dtype=np.float64)
    if ks.size == 0 or ks.max() == 0:
        return out
    # One grid for all K: it starts low enough for the largest K (the extra nodes add nothing).
    v = np.arange(-math.log(ks.max()) - 70.0, _V_HIGH + _STEP, _STEP)
    t = np.exp(v)
    damp = np.exp(-t)
    em1 = np.expm1(-t)[:, None]
    # Work in blocks of distinct masses and of K, so memory stays near _CHUNK_ELEMENTS numbers
    # whatever U (the number of distinct masses) and the number of K are.
    u_step = max(1, _CHUNK_ELEMENTS // v.size)
    for u0 in range(0, rho.size, u_step):
        r, w, lc = rho[u0 : u0 + u_step], weights[u0 : u0 + u_step], log_comp[u0 : u0 + u_step]
        with np.errstate(divide="ignore"):  # ρ = 1 (one class): ln 0 = −inf, then 1 − e^{−inf} = 1
            # ln(1 − ρ(1 − e^{−t})), (nodes, block): by log1p while ρ(1 − e^{−t}) ≤ ½ (exact, and
            # exactly 0 at t = 0), beyond as ln((1 − ρ) + ρ e^{−t}) with 1 − ρ from the other classes.
            lost = r[None, :] * em1
            log_keep = np.where(lost < -0.5, np.logaddexp(lc[None, :], np.log(r)[None, :] - t[:, None]), np.log1p(lost))
        k_step = max(1, _CHUNK_ELEMENTS // (v.size * r.size))
        for start in range(0, ks.size, k_step):
            kb = ks[start : start + k_step]
            with np.errstate(invalid="ignore"):  # K = 0 times −inf; those rows are set to 0 below
                g = -np.expm1(kb[:, None, None] * log_keep[None, :, :])  # 1 − E[e^{−t·Col} | class]
            out[start : start + k_step] += _STEP * ((g @ w) @ damp)
    out[ks == 0] = 0.0
    return out


def _collision_range(
    ks: NDArray[np.float64], rho: NDArray[np.float64], weights: NDArray[np.float64], log_comp: NDArray[np.float64]
) -> NDArray[np.float64]:
    """:func:`collision_term` at many sorted distinct K: exact below _CHEB_FROM, else by octave."""
    out = np.empty(ks.shape)
    small = ks < _CHEB_FROM
    out[small] = _collision_integral(ks[small], rho, weights, log_comp)
    octave = np.floor(np.log2(np.maximum(ks, 1.0))).astype(np.int64)
    for i in np.unique(octave[~small]):
        sel = np.nonzero(~small & (octave == i))[0]
        lo, hi = math.log(2.0**i), math.log(2.0 ** (i + 1))
        # Chebyshev points of the first kind in u = ln K, and checks halfway between them.
        x = np.cos(np.pi * (np.arange(_CHEB_NODES) + 0.5) / _CHEB_NODES)
        x_check = np.cos(np.pi * np.arange(1, _CHEB_NODES) / _CHEB_NODES)[:: max(1, _CHEB_NODES // _CHEB_CHECKS)]
        at = np.exp(0.5 * (lo + hi) + 0.5 * (hi - lo) * np.concatenate([x, x_check]))
        exact = _collision_integral(at, rho, weights, log_comp)
        coef = _cheb_coefficients(exact[:_CHEB_NODES])
        check = np.polynomial.chebyshev.chebval(x_check, coef)
        if np.all(np.abs(check - exact[_CHEB_NODES:]) <= _CHEB_TOL * np.abs(exact[_CHEB_NODES:])):
            u = np.log(ks[sel])
            out[sel] = np.polynomial.chebyshev.chebval((2.0 * u - (lo + hi)) / (hi - lo), coef)
        else:
            out[sel] = _collision_integral(ks[sel], rho, weights, log_comp)
    return out


def _cheb_coefficients(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Chebyshev coefficients c_j of the interpolant through values f(x_k) at the points of the
    first kind x_k = cos(π(k + ½)/N): c_j = (2 − δ_j0)/N Σ_k f(x_k) cos(πj(k + ½)/N)."""
    n = values.size
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    coef = (2.0 / n) * (np.cos(np.pi * j * (k + 0.5) / n) @ values)
    coef[0] /= 2.0
    return coef


#: Standard deviations of Col each side of its mean summed without replacement, plus a margin in
#: counts: beyond 40 sd the hypergeometric tail is below e^{−40²/2·(1/2)} ≪ 1e−300 of the mode
#: (its tails are lighter than a binomial's, which are sub-Gaussian with variance ≤ K/4).
_WINDOW_SD = 40.0
_WINDOW_MARGIN = 40.0


def _pool(kk: NDArray[np.int64], p: Prior) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """N, the distinct counts N_u and the anchor weights m_u N_u / N of a pool, with K ≤ N − 1 checked."""
    require_pool(p)
    big_n = float(p.total)
    if kk.size and int(kk.max()) > big_n - 1:
        raise InputError(f"k: at most N − 1 = {int(big_n) - 1} negatives without replacement from the pool")
    counts = p.masses.astype(np.float64)
    return big_n, counts, p.multiplicities * counts / big_n


def _pool_log_no_collision(kk: NDArray[np.int64], p: Prior) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ln P(Col = 0 | anchor in group u) = ln Hypergeom(0; N − 1, N_u − 1, K), shape kk.shape + (U,),
    and the group weights m_u N_u / N (docs/math.md §1)."""
    big_n, counts, w = _pool(kk, p)
    kf = kk.astype(np.float64)[..., None]
    return log_hypergeom_pmf(0.0, big_n - 1.0, counts - 1.0, kf), w


def _pool_collision_term(kk: NDArray[np.int64], p: Prior) -> NDArray[np.float64]:
    """E[ln(1 + Col)] without replacement at each K: per group, the hypergeometric pmf summed with
    ln(1 + m) over mean ± (_WINDOW_SD sd + _WINDOW_MARGIN), clipped to the support, and divided by
    the window's own mass (which is 1 to rounding: the common rounding of the pmf cancels)."""
    big_n, counts, w = _pool(kk, p)
    flat = kk.ravel()
    uniq, inverse = np.unique(flat, return_inverse=True)
    out = np.zeros(uniq.shape)
    pop = big_n - 1.0
    for i, kv in enumerate(uniq.astype(np.float64)):
        if kv == 0:
            continue
        total = 0.0
        for c, wu in zip(counts, w, strict=True):
            d = c - 1.0
            if d == 0:
                continue
            mean = kv * d / pop
            sd = math.sqrt(max(mean * (1 - d / pop) * (pop - kv) / max(pop - 1.0, 1.0), 0.0))
            lo = max(0.0, kv - (pop - d), math.floor(mean - _WINDOW_SD * sd - _WINDOW_MARGIN))
            hi = min(kv, d, math.ceil(mean + _WINDOW_SD * sd + _WINDOW_MARGIN))
            m = np.arange(lo, hi + 1.0)
            with np.errstate(under="ignore"):
                pmf = np.exp(log_hypergeom_pmf(m, pop, d, kv))
            total += wu * float(pmf @ np.log1p(m)) / float(pmf.sum())
        out[i] = total
    return out[inverse].reshape(kk.shape)
