"""Coverage probabilities υ_n and the coupon collector's time T.

υ_n = P(n draws contain every one of the C classes) = P(T ≤ n), where T is the number of draws
until every class has been seen. Two sampling models:

* i.i.d. draws from ρ (``replace=True``):  υ_n = n! [t^n] Π_c (e^{ρ_c t} − 1);
* draws without replacement from a pool of N_c items per class (``replace=False``):
  υ_n = [t^n] Π_c ((1 + t)^{N_c} − 1) / binom(N, n).

Algorithm (no alternating sums anywhere). Write the generating function as B(t)·Φ(t), where
B(t) = e^{t} (resp. (1+t)^N) generates the plain draw count and
Φ(t) = Π_c (1 − e^{−ρ_c t}) (resp. Π_c (1 − (1+t)^{−N_c})) is the probability that every class is
seen by a Poisson (resp. binomial) number of draws with parameter t. For any radius s > 0,
Cauchy's formula on the circle |t| = s gives the exact identity

    υ_n = Φ(s) · I(s) / p(n; s),     I(s) = (1/2π) ∫ B Φ(s e^{iθ}) e^{−inθ} / (B Φ)(s) dθ,

where p(n; s) is the Poisson(s) (resp. Binomial(N, s/(1+s))) pmf at n. All three factors are
positive and computed in log space: ln Φ(s) as a sum of ln(1 − e^{−x}) terms, ln p by Loader's
saddle-point formulas (no cancellation of ln n! against n ln s), and I(s) by the trapezoidal
rule, which for this periodic analytic integrand converges geometrically. Choosing s at the
saddle point makes I(s) ≈ 1/(σ√2π), and the integrand negligible outside |θ| ≲ 14/σ, so a
fixed 25 nodes (the window widened where its edge is not yet negligible) give full double precision whatever n and C are. The complement
1 − υ_n = [t^n] B (1 − Φ) / [t^n] B also has a positive generating function and is computed
the same way, so υ within 1e−300 of 1 still has an accurate survival function.

The cost is O(U) per value of n, U = number of distinct class probabilities (1 for the
uniform prior, 92 for ImageNet-1K); memory is O(U) per value, never O(n·C). A single value takes
a lean path (:func:`_one_inside`): for the uniform prior the inclusion–exclusion sum itself where
its rounding-error bound shows it does not cancel, else its own circle with fewer operations
(docs/coverage.md, "Single values").
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError
from .priors import Prior, PriorLike, as_prior
from .saddle import SaddleModel, log_cdf_one, log_coefficient, model_for
from .special import (
    first_true,
    harmonic,
    log1mexp,
    log_all_seen,
    log_binom_coef,
    log_one_minus_product,
    log_scaled_ratio,
    logsumexp_weighted,
    stirlerr,
)
from .validation import FloatOrArray, check_digits, shaped_like, whole_numbers

if TYPE_CHECKING:
    from fractions import Fraction

__all__ = [
    "CoverTime",
    "cover_time",
    "coverage_probability",
    "log_coverage_probability",
    "coverage_sf",
    "log_coverage_sf",
    "log_coverage_and_sf",
    "expected_draws",
    "draws_for_coverage",
    "clear_caches",
]


#: Where a Poissonized draw count of mean n misses fewer than this many classes on average,
#: Φ(mean) > 0.99 and υ_n > 0.49 (the draw count's median is within one of its mean): integrate
#: 1 − υ first. Elsewhere υ first (its integral is the cheaper).
_MISSED_FEW = 0.01
#: Where the first inclusion–exclusion sum S1 is below this, 1 − υ_n = S1 to S1/2 relative
#: (far right tail, i.i.d.); and the numbers held at once while it is evaluated.
_FAR_TAIL = 1e-16
_FAR_CHUNK = 1 << 20
#: The uniform prior's inclusion–exclusion sum (see _uniform_series): tried where its first
#: term is at most _SERIES_START, summed to a term below _SERIES_TAIL of the sum, in fewer than
#: _SERIES_TERMS terms, and kept where its rounding-error bound is below _SERIES_TOL relative.
_SERIES_START = 3.0
_SERIES_TAIL = 1e-18
_SERIES_TERMS = 80
_SERIES_TOL = 1e-14
_EPS = sys.float_info.epsilon
#: ppf: a cdf within this (log) distance of the level q is compared in exact arithmetic (the
#: float's own error is below 1e−13 relative), or with _PPF_DIGITS digits when exact is too large.
_PPF_TIE = 1e-11
_PPF_DIGITS = 40
#: ln of the smallest normal double: below it a pmf value computed in floats has lost digits
#: (subnormal) or underflowed, and logpmf works in log space instead.
_LOG_NORMAL_MIN = math.log(sys.float_info.min)
#: Draw counts are exact integers in float64 up to here; isf refuses to search beyond.
_MAX_DRAWS = 2**53
#: A side computed above 0.9 leaves its complement below 0.1 with an absolute error of about
#: 1e−16, i.e. a relative error above 1e−15: the other side is then integrated as well.
_NEAR_ONE = math.log(0.9)


def _log_cdf_sf(
    prior: Prior, draws: NDArray[np.int64], replace: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(ln υ_n, ln(1 − υ_n)) for an int64 array of draws, elementwise: the smaller side is
    integrated and the other is its complement, so υ + (1 − υ) = 1 to rounding; every caller
    (cdf, sf, their logs, pmf) reads this one evaluation.
    """
    model = model_for(prior, replace)
    if replace and draws.size == 1:
        one = _one_inside(model, prior, int(draws.flat[0]))
        if one is not None:
            return np.full(draws.shape, one[0]), np.full(draws.shape, one[1])
    flat = draws.ravel()
    uniq, inverse = np.unique(flat, return_inverse=True)
    logcdf = np.full(uniq.shape, -np.inf)
    logsf = np.zeros(uniq.shape)
    c = model.C
    if not replace and np.any(uniq > model.N):
        raise InputError(f"draws: at most the pool size N = {model.N} without replacement")
    certain = (uniq >= 1) & (c == 1) if replace else uniq >= model.full
    at_c = (uniq == c) & ~certain
    mid = (uniq > c) & ~certain
    if not replace:  # n = N − min N_c: missing a class means drawing everything else
        last = (uniq == model.full - 1) & mid
        if last.any():
            n_last = model.full - 1
            ls = math.log(float(model.m[np.argmin(model.a)])) - log_binom_coef(model.N, n_last)
            logsf[last] = ls
            logcdf[last] = math.log1p(-math.exp(ls))
            mid &= ~last
    logcdf[certain] = 0.0
    logsf[certain] = -np.inf
    if at_c.any():  # υ_C = C! Π ρ_c (i.i.d.) or Π N_c / binom(N, C)
        if replace:
            # ln C! + Σ ln ρ_c with Stirling's series written out: ½ ln 2πC − C + δ(C) + Σ ln(C ρ_c)
            # (each ln(C ρ_c) formed as log1p of C a_c − A exactly where C ρ_c is near 1; added exactly)
            val = math.fsum((0.5 * math.log(2 * math.pi * c), -c, float(stirlerr(c)),
                             float(log_scaled_ratio(float(c), model.a, model.A) @ model.m)))
        else:
            val = float(np.sum(model.m * np.log(model.a))) - log_binom_coef(model.N, c)
        logcdf[at_c] = min(val, 0.0)
        logsf[at_c] = np.log1p(-math.exp(logcdf[at_c][0]))
    if replace and mid.any():
        far = _far_tail(model, prior.log_complements, uniq, mid, logcdf, logsf)
        mid &= ~far
    if mid.any():
        idx = np.nonzero(mid)[0]
        # Integrate one side and take the other as its complement; the complement is accurate
        # unless the integrated side is near 1 (then the other side is integrated too). Which
        # side first: the draw count's median is its mean, so the Poissonized coverage at the
        # mean, Φ(mean), tells roughly where υ_n lies.
        # Φ(mean) increases with n, so the sides split at one index (found by bisection: a
        # whole curve pays for a few dozen evaluations of Φ, not one per point).
        def high(i: int) -> bool:
            return _sf_first(model, int(uniq[idx[i]]))

        split = idx.size if not high(idx.size - 1) else (0 if high(0) else first_true(high, 0, idx.size - 1))
        sf_first = np.arange(idx.size) >= split
        redo_sf = _integrate(model, uniq, idx[~sf_first], "cdf", logcdf, logsf)
        redo_cdf = _integrate(model, uniq, idx[sf_first], "sf", logsf, logcdf)
        _integrate(model, uniq, redo_sf, "sf", logsf, logcdf)
        _integrate(model, uniq, redo_cdf, "cdf", logcdf, logsf)
    return logcdf[inverse].reshape(draws.shape), logsf[inverse].reshape(draws.shape)


def _sf_first(model: SaddleModel, n: int) -> bool:
    """Whether 1 − υ_n is the side to integrate first at this n: a Poissonized draw count of
    mean n misses fewer than _MISSED_FEW classes on average, so 1 − Φ(mean) < _MISSED_FEW and υ_n
    is above about one half."""
    return model.expected_missing(float(model.mean_parameter(n))) < _MISSED_FEW


def _one_inside(model: SaddleModel, prior: Prior, n: int) -> tuple[float, float] | None:
    """(ln υ_n, ln(1 − υ_n)) for one n (i.i.d.) in the common cases: the uniform prior's
    inclusion–exclusion sum where it does not cancel, else υ_n integrated alone where
    :func:`_log_cdf_sf` would do just that (C < n, not in the far tail, υ_n first and below 0.9).
    None otherwise (the general path then decides)."""
    if n <= model.C or model.C == 1 or _may_be_far(n, prior.log_complements):
        return None
    if model.a.size == 1:
        series = _uniform_series(model.C, n)
        if series is not None:
            return series
    if _sf_first(model, n):
        return None
    one = log_cdf_one(model, n)
    if one is None:
        return None
    lc = min(one, 0.0)
    if lc <= _NEAR_ONE:
        return lc, math.log1p(-math.exp(lc))
    # υ_n above 0.9: its complement would lose digits, so 1 − υ_n is integrated too and υ_n
    # taken as its complement (as _log_cdf_sf does), without integrating υ_n a second time.
    ls = min(float(log_coefficient(model, np.array([n]), "sf")[0]), 0.0)
    return math.log1p(-math.exp(ls)), ls


def _uniform_series(c: int, n: int) -> tuple[float, float] | None:
    """(ln υ_n, ln(1 − υ_n)) for the uniform prior over c classes, i.i.d. draws, from
    inclusion–exclusion, 1 − υ_n = Σ_{j≥1} (−1)^{j+1} t_j with t_j = binom(c, j) (1 − j/c)^n,
    where that sum does not cancel: in the upper part of the distribution, where
    λ = t_1 = c (1 − 1/c)^n is about 1 or less, the terms fall like λ^j/j! and the sum holds
    about e^{−λ} of Σ t_j.

    Each t_j carries a relative rounding error below ε (nj/c + j + 2), ε = 2^−52: half an ulp
    in each of the j steps of the binomial's recurrence, and in j/c, log1p and the product
    with n, each amplified by |n log1p(−j/c)| ≈ nj/c through the exp; the sum is accepted
    only where these errors, added up, stay below _SERIES_TOL of the smaller of υ_n and
    1 − υ_n. None where the sum would cancel (λ above _SERIES_START, or the bound not met).
    Alternating with terms decreasing from the first that is below 1, the sum stops once a
    term is below _SERIES_TAIL of it (the rest is smaller than that term).
    """
    first = c * math.exp(n * math.log1p(-1.0 / c))
    if first > _SERIES_START:
        return None
    binom, sf, err, prev = 1.0, 0.0, 0.0, math.inf
    for j in range(1, min(c, _SERIES_TERMS)):
        binom *= (c - j + 1) / j
        t = binom * math.exp(n * math.log1p(-j / c))
        sf += t if j % 2 else -t
        err += t * (n * j / c + j + 2)
        if t < prev and t < 1.0 and t <= _SERIES_TAIL * sf:
            break
        prev = t
    else:
        if c > _SERIES_TERMS:
            return None
    if not 0.0 < sf < 1.0 or _EPS * err > _SERIES_TOL * min(sf, 1.0 - sf):
        return None
    return math.log1p(-sf), math.log(sf)


def _may_be_far(n: Any, log_keep: NDArray[np.float64]) -> Any:
    """Whether S1(n) can be below _FAR_TAIL: the rarest class alone, (1 − ρ_min)^n, already is
    (elementwise for an array of n). ``log_keep`` holds ln(1 − ρ_u)."""
    return n * -float(log_keep.max()) > -math.log(_FAR_TAIL)


def _far_tail(
    model: SaddleModel, log_keep: NDArray[np.float64], uniq: NDArray[np.int64], mid: NDArray[np.bool_],
    logcdf: NDArray[np.float64], logsf: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Fill the far right tail (i.i.d.) from the first inclusion–exclusion sum and return where.

    With S1 = Σ_c (1 − ρ_c)^n and S2 = Σ_{c<d} (1 − ρ_c − ρ_d)^n ≤ S1²/2, Bonferroni's
    inequalities S1 − S2 ≤ 1 − υ_n ≤ S1 make S1 exact to S1/2 relative; it is used where
    S1 < _FAR_TAIL (error below 5e−17), as ln S1 = ln Σ_u m_u e^{n ln(1 − ρ_u)}: no cancellation
    and no saddle point, for any n up to 2^53. ``log_keep`` holds ln(1 − ρ_u).
    """
    cand = mid & _may_be_far(uniq, log_keep)
    far = np.zeros(uniq.shape, dtype=bool)
    idx = np.nonzero(cand)[0]
    step = max(1, _FAR_CHUNK // log_keep.size)
    for start in range(0, idx.size, step):
        part = idx[start : start + step]
        ls1 = _log_first_sum(log_keep, model.m, uniq[part])
        ok = ls1 < math.log(_FAR_TAIL)
        logsf[part[ok]] = ls1[ok]
        logcdf[part[ok]] = np.log1p(-np.exp(ls1[ok]))
        far[part[ok]] = True
    return far


def _log_first_sum(log_keep: NDArray[np.float64], mult: NDArray[np.float64], n: NDArray[np.int64]) -> NDArray[np.float64]:
    """ln S1(n) = ln Σ_u m_u (1 − ρ_u)^n, the first inclusion–exclusion sum (log-sum-exp)."""
    return logsumexp_weighted(n.astype(np.float64)[:, None] * log_keep[None, :], mult)


def _integrate(
    model: SaddleModel, uniq: NDArray[np.int64], idx: NDArray[np.intp], kind: str,
    log_side: NDArray[np.float64], log_other: NDArray[np.float64],
) -> NDArray[np.intp]:
    """Fill ln(side) at ``idx`` by the saddle-point integral and ln(other side) as its
    complement; return the indices where the side came out near 1 (its complement is then
    not accurate to full relative precision, so the other side must be integrated too)."""
    if not idx.size:
        return idx
    ls = np.minimum(log_coefficient(model, uniq[idx], kind), 0.0)
    log_side[idx] = ls
    with np.errstate(divide="ignore"):
        log_other[idx] = np.log1p(-np.exp(ls))
    return idx[ls > _NEAR_ONE]



def log_coverage_and_sf(
    draws: ArrayLike, prior: PriorLike, replace: bool = True
) -> tuple[FloatOrArray, FloatOrArray]:
    """(ln υ_n, ln(1 − υ_n)) in one pass: each from the side that is accurate, the other as its
    complement, so callers that need both (tables, bounds) pay for one evaluation.

    Domain and accuracy as :func:`log_coverage_probability` and :func:`log_coverage_sf`.
    """
    d = whole_numbers(draws, "draws")
    lc, ls = _log_cdf_sf(as_prior(prior), d, replace)
    return shaped_like(lc, draws), shaped_like(ls, draws)


def log_coverage_probability(draws: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """ln υ_n, the natural log of the probability that n draws contain all C classes.

    υ_n = Σ_{S⊆[C]} (−1)^{|S|} (1 − ρ(S))^n = n! [t^n] Π_c (e^{ρ_c t} − 1)  (i.i.d. draws;
    Nozawa & Sato 2021, Eq. 10's υ_{K+1}; docs/math.md §2); without replacement
    (``replace=False``) from the pool of per-class counts N_c,
    υ_n = [t^n] Π_c ((1+t)^{N_c} − 1) / binom(N, n).

    Domain: draws ≥ 0 integers (scalar or array); −inf for n < C. Accurate to about 1e−13
    relative in υ (absolute in ln υ) for any n up to 2**53, including υ far below 1e−308.
    """
    d = whole_numbers(draws, "draws")
    return shaped_like(_log_cdf_sf(as_prior(prior), d, replace)[0], draws)


@overload
def coverage_probability(
    draws: ArrayLike, prior: PriorLike, replace: bool = ..., *, exact: Literal[False] = ..., digits: None = ...
) -> FloatOrArray: ...
@overload
def coverage_probability(
    draws: ArrayLike, prior: PriorLike, replace: bool = ..., *, exact: Literal[True], digits: None = ...
) -> Fraction: ...
@overload
def coverage_probability(draws: ArrayLike, prior: PriorLike, replace: bool = ..., *, exact: Literal[False] = ..., digits: int) -> Any: ...
def coverage_probability(
    draws: ArrayLike, prior: PriorLike, replace: bool = True, *, exact: bool = False, digits: int | None = None
) -> FloatOrArray | Fraction | Any:
    """υ_n = P(n draws contain all C classes) = P(T ≤ n); see :func:`log_coverage_probability`.

    Returns a float in [0, 1] (an array for array ``draws``); it underflows to 0 only where
    υ < 1e−308, for which use :func:`log_coverage_probability`. ``exact=True`` returns a
    :class:`fractions.Fraction` (uniform prior or integer counts; scalar draws) and
    ``digits=D`` an ``mpmath.mpf`` good to D significant digits (any prior).
    """
    d = whole_numbers(draws, "draws")
    p = as_prior(prior)
    if exact or digits is not None:
        return _high_precision(d, p, replace, exact, digits)
    with np.errstate(under="ignore"):
        return shaped_like(np.exp(_log_cdf_sf(p, d, replace)[0]), draws)


def _high_precision(d: NDArray[np.int64], p: Prior, replace: bool, exact: bool, digits: int | None) -> Fraction | Any:
    from . import exact as ex

    if d.ndim != 0:
        raise InputError("draws: exact= and digits= take a single number of draws")
    if exact and digits is not None:
        raise InputError("exact and digits: give one or the other", argument="digits")
    if exact:
        return ex.exact_coverage_probability(int(d), p, replace)
    return ex.mp_coverage_probability(int(d), p, replace, check_digits(digits))


def log_coverage_sf(draws: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """ln(1 − υ_n) = ln P(T > n), accurate when υ_n is within 1e−300 of 1 (or closer)."""
    d = whole_numbers(draws, "draws")
    return shaped_like(_log_cdf_sf(as_prior(prior), d, replace)[1], draws)


def coverage_sf(draws: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """1 − υ_n = P(T > n): the probability that some class is missing from n draws."""
    d = whole_numbers(draws, "draws")
    with np.errstate(under="ignore"):
        return shaped_like(np.exp(_log_cdf_sf(as_prior(prior), d, replace)[1]), draws)


@dataclass(frozen=True)
class CoverTime:
    """The coupon collector's time T: draws until every class of ``prior`` has been seen.

    A discrete distribution with support {C, C+1, …} (without replacement: up to
    N − min N_c + 1), in the style of ``scipy.stats``: ``cdf`` (= υ_n), ``logcdf``, ``sf``,
    ``logsf``, ``pmf``, ``logpmf``, ``mean``, ``var``, ``std``, ``ppf``, ``isf``, ``logisf`` (levels far
    below the float range), ``median``, ``interval``, ``support``.
    """

    prior: Prior
    replace: bool = True

    def __post_init__(self) -> None:
        model_for(self.prior, self.replace)  # validates (without replacement: counts needed)

    def _draws(self, n: ArrayLike) -> NDArray[np.int64]:
        """n as draws; without replacement T ≤ N, so any n ≥ N is the certain event n = N."""
        arr = whole_numbers(n, "n")
        return arr if self.replace else np.minimum(arr, model_for(self.prior, False).N)

    def _logs(self, n: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return _log_cdf_sf(self.prior, self._draws(n), self.replace)

    def logcdf(self, n: ArrayLike) -> FloatOrArray:
        """ln P(T ≤ n) = ln υ_n."""
        return shaped_like(self._logs(n)[0], n)

    def logsf(self, n: ArrayLike) -> FloatOrArray:
        """ln P(T > n) = ln(1 − υ_n)."""
        return shaped_like(self._logs(n)[1], n)

    def cdf(self, n: ArrayLike) -> FloatOrArray:
        """P(T ≤ n) = υ_n (full relative accuracy in υ; near 1, the complement of sf)."""
        with np.errstate(under="ignore"):
            return shaped_like(np.exp(self._logs(n)[0]), n)

    def sf(self, n: ArrayLike) -> FloatOrArray:
        """P(T > n) = 1 − υ_n."""
        with np.errstate(under="ignore"):
            return shaped_like(np.exp(self._logs(n)[1]), n)

    def pmf(self, n: ArrayLike) -> FloatOrArray:
        """P(T = n) = υ_n − υ_{n−1}, differenced on the side (cdf or sf) that is small."""
        arr = self._draws(n)
        prev = np.maximum(arr - 1, 0)
        lc, ls = _log_cdf_sf(self.prior, np.stack([arr, prev]), self.replace)
        with np.errstate(under="ignore"):
            by_cdf = np.exp(lc[0]) - np.exp(lc[1])
            by_sf = np.exp(ls[1]) - np.exp(ls[0])
        val = np.where(lc[0] < -math.log(2.0), by_cdf, by_sf)
        if self.replace and self.prior.n_classes > 1:
            # Where consecutive survival values agree to more than _PMF_CANCEL (a long tail, or a
            # class of probability 1e−12), their difference has lost those digits: take instead
            # the sum of positive terms over the class seen last, P(T = n) = Σ_c ρ_c (1 − ρ_c)^{n−1}
            # υ^{(−c)}_{n−1}, with υ^{(−c)} the coverage of the other classes (prior renormalised).
            with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
                # The side differenced, and its own relative error |ln p|·ε, which the difference
                # multiplies by p_{n−1}/pmf.
                log_before = np.where(lc[0] < -math.log(2.0), lc[1], ls[1])
                lost = (val < _PMF_CANCEL * np.exp(log_before) * np.maximum(1.0, -log_before)) & (arr > self.prior.n_classes)
            if lost.any():
                val = val.copy()
                val[lost] = _pmf_by_last_class(self.prior, arr[lost])
        val = np.where(arr == 0, 0.0, np.clip(val, 0.0, 1.0))
        return shaped_like(val, n)

    def mean(self) -> float:
        """E[T]. Uniform i.i.d.: C·H_C; otherwise A ∫_0^∞ (1 − Π_c(1 − e^{−a_c s})) ds
        (Flajolet, Gardy & Thimonier 1992), or (N+1) ∫_0^1 (1 − Π_c(1 − (1−u)^{N_c})) du
        without replacement (docs/math.md §4)."""
        return _moments(self.prior, self.replace)[0]

    def var(self) -> float:
        """Var[T]. Uniform i.i.d.: C² H_C^{(2)} − C H_C; otherwise from
        E[T(T+1)] = 2A² ∫ s (1 − Φ(s)) ds (resp. 2(N+1)(N+2) ∫ u (1 − Φ(u)) du)."""
        return _moments(self.prior, self.replace)[1]

    def std(self) -> float:
        """Standard deviation of T."""
        return math.sqrt(self.var())

    def ppf(self, q: ArrayLike) -> FloatOrArray:
        """Smallest n with P(T ≤ n) ≥ q, for q in [0, 1] (scalar or array)."""
        qa = np.asarray(q, dtype=np.float64)
        if np.any(~np.isfinite(qa)) or np.any((qa < 0) | (qa > 1)):
            raise InputError("q: quantile levels must lie in [0, 1]")
        out = np.array([self._ppf1(float(v)) for v in qa.ravel()], dtype=np.float64).reshape(qa.shape)
        return float(out) if out.ndim == 0 else out

    def median(self) -> float:
        """The smallest n with υ_n ≥ 1/2."""
        return float(self.ppf(0.5))

    def logpmf(self, n: ArrayLike) -> FloatOrArray:
        """ln P(T = n), finite wherever P(T = n) > 0, also where P(T = n) underflows: far right
        (i.i.d.) as ln Σ_c ρ_c (1 − ρ_c)^{n−1} υ^{(−c)}_{n−1} (positive terms, in log space),
        elsewhere ln of the difference of the log-cdf (left) or log-sf (right) values. −inf
        outside the support."""
        arr = self._draws(n)
        with np.errstate(divide="ignore"):
            out = np.log(np.asarray(self.pmf(arr), dtype=np.float64))
        tiny = (out < _LOG_NORMAL_MIN) & (arr >= self.prior.n_classes)
        if not self.replace:
            tiny &= arr <= model_for(self.prior, False).full
        if tiny.any():
            sel = arr[tiny]
            if self.replace and self.prior.n_classes > 1 and np.all(sel > self.prior.n_classes):
                out[tiny] = _log_pmf_by_last_class(self.prior, sel)
            else:
                lc, ls = _log_cdf_sf(self.prior, np.stack([sel, np.maximum(sel - 1, 0)]), self.replace)
                left = lc[0] < -math.log(2.0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    by_cdf = lc[0] + log1mexp(np.maximum(lc[0] - lc[1], 0.0))
                    by_sf = ls[1] + log1mexp(np.maximum(ls[1] - ls[0], 0.0))
                out[tiny] = np.where(left, by_cdf, by_sf)
        return shaped_like(out, n)

    def support(self) -> tuple[float, float]:
        """(C, ∞) for i.i.d. draws over C > 1 classes ((1, 1) for one class); without replacement
        (C, N − min_c N_c + 1), the draws that surely see every class."""
        c = float(self.prior.n_classes)
        if not self.replace:
            return c, float(model_for(self.prior, False).full)
        return (c, math.inf) if c > 1 else (1.0, 1.0)

    def isf(self, q: ArrayLike) -> FloatOrArray:
        """Smallest n with P(T > n) ≤ q, for q in [0, 1], found on logsf: accurate where
        ``ppf(1 − q)`` is not (q below 1e−16, where 1 − q rounds to 1)."""
        qa = np.asarray(q, dtype=np.float64)
        if np.any(~np.isfinite(qa)) or np.any((qa < 0) | (qa > 1)):
            raise InputError("q: survival levels must lie in [0, 1]")
        with np.errstate(divide="ignore"):
            logs = np.log(qa)
        out = np.array([self._isf1(float(lv), float(v)) for lv, v in zip(logs.ravel(), qa.ravel(), strict=True)])
        return float(out[0]) if qa.ndim == 0 else out.reshape(qa.shape)

    def logisf(self, log_q: ArrayLike) -> FloatOrArray:
        """Smallest n with ln P(T > n) ≤ ``log_q``, for log_q ≤ 0 of any size (q = e^{log_q} may be
        far below the float range, e.g. −1e4): the n with 1 − υ_n ≤ q. Ties (where the float logsf
        is within rounding of log_q) are decided in exact or high-precision arithmetic."""
        la = np.asarray(log_q, dtype=np.float64)
        if np.any(np.isnan(la)) or np.any(la > 0):
            raise InputError("log_q: log survival levels must be ≤ 0")
        out = np.array([self._isf1(float(v)) for v in la.ravel()], dtype=np.float64).reshape(la.shape)
        return float(out) if out.ndim == 0 else out

    def interval(self, confidence: float) -> tuple[float, float]:
        """The central interval holding T with probability at least ``confidence``:
        (ppf(α/2), isf(α/2)), α = 1 − confidence, in (0, 1]."""
        conf = float(confidence)
        if not 0.0 <= conf <= 1.0:
            raise InputError(f"confidence: must lie in [0, 1], got {confidence}")
        alpha = 1.0 - conf
        return float(self.ppf(alpha / 2)), float(self.isf(alpha / 2))

    def _isf1(self, log_q: float, q: float | None = None) -> float:
        """The n of :meth:`logisf`; ``q`` = e^{log_q} as given, for exact tie-breaking."""
        c = self.prior.n_classes
        lo_n, hi_n = self.support()
        if log_q >= 0.0:
            return float(c)
        if log_q == -math.inf:
            return hi_n

        def reached(n: int) -> bool:
            ls = float(_log_cdf_sf(self.prior, np.array([n]), self.replace)[1][0])
            gap = ls - log_q
            if abs(gap) <= _PPF_TIE * max(1.0, abs(log_q)) and log_q > _LOG_NORMAL_MIN:
                return _survives_exactly(self.prior, n, self.replace, math.exp(log_q) if q is None else q, gap)
            return gap <= 0

        lo = c - 1  # P(T > C − 1) = 1 > q
        hi = max(c, int(self.mean() + 4 * self.std()) + 1)
        if not self.replace:
            hi = min(hi, int(hi_n))
        while not reached(hi):
            lo = hi
            hi = hi * 2 if self.replace else min(2 * hi, int(hi_n))
            if hi > _MAX_DRAWS:
                raise InputError(f"log_q: P(T > n) ≤ e^{log_q:g} needs more than 2**53 draws")
        return float(first_true(reached, lo, hi))

    def _ppf1(self, q: float) -> float:
        c = self.prior.n_classes
        if q <= 0:
            return float(c)
        upper = math.inf if self.replace else float(model_for(self.prior, False).full)
        if q >= 1:  # T is unbounded (i.i.d., C > 1) or at most `upper`
            return (math.inf if c > 1 else 1.0) if self.replace else upper

        def reached(n: int) -> bool:
            lc, ls = _log_cdf_sf(self.prior, np.array([n]), self.replace)
            # Within the float result's accuracy of q (a tie such as cdf(2) = 1/2 for C = 2), the
            # comparison is decided in exact or high-precision arithmetic.
            gap = float(ls[0]) - math.log1p(-q) if q > 0.5 else math.log(q) - float(lc[0])
            if abs(gap) <= _PPF_TIE:
                return _reaches_exactly(self.prior, n, self.replace, q)
            return gap <= 0

        lo = c - 1  # υ_{C−1} = 0 < q
        mean, sd = self.mean(), self.std()
        hi = max(c, int(mean + 4 * sd) + 1)
        if not self.replace:
            hi = min(hi, int(upper))
        while not reached(hi):
            lo = hi
            hi = hi * 2 if self.replace else min(2 * hi, int(upper))
        return float(first_true(reached, lo, hi))


def _reaches_exactly(prior: Prior, n: int, replace: bool, q: float) -> bool:
    """υ_n ≥ q, decided with exact rationals (uniform or counts, where cheap) or mpmath."""
    from fractions import Fraction

    try:
        return bool(coverage_probability(n, prior, replace, exact=True) >= Fraction(q))
    except InputError:  # too large for exact arithmetic: 40 digits decide any tie a float can hold
        return bool(coverage_probability(n, prior, replace, digits=_PPF_DIGITS) >= q)


def _survives_exactly(prior: Prior, n: int, replace: bool, q: float, gap: float) -> bool:
    """1 − υ_n ≤ q, decided with exact rationals where they are cheap; else by the float ``gap``
    (ln(1 − υ_n) − ln q, accurate to |ln q|·1e−16, which no float q can sit closer to unless it is
    a tie that only exact arithmetic decides)."""
    from fractions import Fraction

    try:
        return bool(1 - coverage_probability(n, prior, replace, exact=True) <= Fraction(q))
    except InputError:
        return gap <= 0


def _pmf_by_last_class(prior: Prior, n: NDArray[np.int64]) -> NDArray[np.float64]:
    """P(T = n) for i.i.d. draws, by :func:`_log_pmf_by_last_class`."""
    with np.errstate(under="ignore"):
        return np.exp(_log_pmf_by_last_class(prior, n))


def _log_pmf_by_last_class(prior: Prior, n: NDArray[np.int64]) -> NDArray[np.float64]:
    """ln P(T = n) for i.i.d. draws as ln Σ_u m_u ρ_u (1 − ρ_u)^{n−1} υ^{(−u)}_{n−1}: the class seen
    last has mass u, the other n − 1 draws avoid it and cover the rest. Every term is positive."""
    log_keep = prior.log_complements
    log_first = np.log(prior.multiplicities * prior.probabilities)
    # Far in the tail (S1 = Σ_c (1 − ρ_c)^{n−1} < _FAR_TAIL) every υ^{(−u)}_{n−1} is 1 − O(S1).
    log_terms = log_first[None, :] + (n - 1).astype(np.float64)[:, None] * log_keep[None, :]
    far = _log_first_sum(log_keep, prior.multiplicities.astype(np.float64), n - 1) < math.log(_FAR_TAIL)
    out = logsumexp_weighted(log_terms, np.ones(log_keep.size))
    if far.all():
        return out
    near = n[~far]
    logs = []
    for u in range(prior.masses.size):
        mult = prior.multiplicities.copy()
        mult[u] -= 1
        keep = mult > 0
        rest = Prior(prior.masses[keep], mult[keep], prior.is_counts, prior.name)
        log_rest = _log_cdf_sf(rest, near - 1, True)[0]
        logs.append(float(log_first[u]) + (near - 1) * float(log_keep[u]) + log_rest)
    out[~far] = logsumexp_weighted(np.stack(logs, axis=-1), np.ones(len(logs)))
    return out


def cover_time(prior: PriorLike, replace: bool = True) -> CoverTime:
    """The distribution of T (draws until every class is seen) as a :class:`CoverTime`."""
    return CoverTime(as_prior(prior), replace)


@overload
def expected_draws(prior: PriorLike, replace: bool = ..., *, exact: Literal[False] = ..., digits: None = ...) -> float: ...
@overload
def expected_draws(prior: PriorLike, replace: bool = ..., *, exact: Literal[True], digits: None = ...) -> Fraction: ...
@overload
def expected_draws(prior: PriorLike, replace: bool = ..., *, exact: Literal[False] = ..., digits: int) -> Any: ...
def expected_draws(
    prior: PriorLike, replace: bool = True, *, exact: bool = False, digits: int | None = None
) -> float | Fraction | Any:
    """E[T], the expected number of draws until every class has been seen.

    Uniform: C·H_C (H = harmonic number); general ρ: ∫_0^∞ (1 − Π_c (1 − e^{−ρ_c t})) dt
    (without replacement: (N+1) ∫_0^1 (1 − Π_c (1 − (1−u)^{N_c})) du).
    ImageNet-1K train prior: 7708.66… (⌈E[T]⌉ = 7709, Nozawa & Sato 2021, Table 3).
    ``exact=True`` gives a Fraction (i.i.d.; uniform or integer counts), ``digits=D`` an mpf.
    """
    p = as_prior(prior)
    if exact or digits is not None:
        from . import exact as ex

        if not replace:
            raise InputError("replace: exact and digits modes of expected_draws are for i.i.d. draws (replace=True)")
        if exact and digits is not None:
            raise InputError("exact and digits: give one or the other", argument="digits")
        return ex.exact_expected_draws(p) if exact else ex.mp_expected_draws(p, check_digits(digits))
    return cover_time(p, replace).mean()


def draws_for_coverage(q: ArrayLike, prior: PriorLike, replace: bool = True) -> FloatOrArray:
    """Smallest n with υ_n ≥ q: how many draws (K+1) see every class with probability q."""
    return cover_time(prior, replace).ppf(q)


# ------------------------------------------------------------------------- moments
#: Priors whose moments are kept (a Prior is a value: equal priors share the entry).
_MOMENT_CACHE_SIZE = 128


#: Gauss–Legendre nodes per panel of the moment integrals, and the panels: the first ends at
#: 2^−_FIRST_OCTAVES / a_max, before the most frequent class can have been seen (1 − Φ is 1 to
#: within a polynomial there), each next one is twice as long, until what is left of the
#: integral is below _TAIL_SHARE of it. Every class's scale 1/a_c thus gets panels of its own
#: size, however rare the class (long-tailed priors). On a doubling panel every term
#: e^{−a x} of Φ that matters (a·x ≤ 40) is integrated to far below rounding (the n-point rule's
#: error for e^{−cx} on [X, 2X] is about (cX/2)^{2n} (n!)^4 / (2n)!^3 ≈ 1e−43 for cX = 40, n = 32).
_GAUSS_NODES = 32
_FIRST_OCTAVES = 4
_TAIL_SHARE = 1e-20
#: The rule with half the nodes is applied too; where the two differ by more than this
#: (relative), the panel is halved, at most _MAX_SPLITS times.
_QUAD_CHECK = 1e-14
_MAX_SPLITS = 30
#: Rounding units of ln Φ (or ln(1 − Φ)) allowed for in that comparison.
_INTEGRAND_ULPS = 8
#: Classes whose term e^{−a x} is e^{−_PRUNE_LOG}/C below the rarest class's are left out.
_PRUNE_LOG = 50.0
#: pmf: where it is below this share of the survival function, differencing two survival values
#: would lose digits, and the sum over the class seen last is used instead.
_PMF_CANCEL = 1e-2
#: Without replacement, a slack E[full − T] below this is summed term by term (_slack_moments),
#: _SLACK_BLOCK draw counts at a time.
_SLACK_SUM_LIMIT = 64.0
_SLACK_BLOCK = 512
#: Numbers held at once when 1 − Φ is evaluated at many points for many distinct masses.
_MOMENT_CHUNK = 1 << 20


def clear_caches() -> None:
    """Forget the cached moments of T and saddle-point models (for timing a cold start)."""
    _moments.cache_clear()
    model_for.cache_clear()


@lru_cache(maxsize=_MOMENT_CACHE_SIZE)
def _moments(prior: Prior, replace: bool) -> tuple[float, float]:
    """(E[T], Var[T]) for one prior and sampling model, computed once per process."""
    return _compute_moments(prior, replace)


def _compute_moments(prior: Prior, replace: bool) -> tuple[float, float]:
    c = prior.n_classes
    if replace and prior.is_uniform:  # E[T] = C H_C, Var[T] = C² H_C^{(2)} − C H_C
        mean = c * harmonic(c)
        return mean, max(c * c * harmonic(c, order=2) - mean, 0.0)
    if c == 1:
        return 1.0, 0.0
    a = prior.masses.astype(np.float64)
    m = prior.multiplicities.astype(np.float64)
    # i.i.d.: E[T] = A ∫ (1 − Φ(x)) dx and E[T(T+1)] = 2A² ∫ x (1 − Φ(x)) dx, Φ(x) = Π(1 − e^{−a_c x}).
    # Without replacement, u = 1 − e^{−x} turns (N+1) ∫_0^1 (1 − Π(1 − (1−u)^{N_c})) du into
    # (N+1) ∫ (1 − Φ(x)) e^{−x} dx, and E[T(T+1)] into 2(N+1)(N+2) ∫ (1 − e^{−x}) (1 − Φ(x)) e^{−x} dx.
    if replace:
        weights = (lambda x: np.ones_like(x), lambda x: x)
        scales = (prior.total, 2.0 * prior.total**2)
        mean, ett1 = (scale * v for scale, v in zip(scales, _moment_integrals(a, m, weights, missed=True), strict=True))
        return mean, max(ett1 - mean - mean * mean, 0.0)
    big_n = prior.total
    weights = (lambda x: np.exp(-x), lambda x: -np.expm1(-x) * np.exp(-x))
    scales = (big_n + 1.0, 2.0 * (big_n + 1.0) * (big_n + 2.0))
    mean, ett1 = (scale * v for scale, v in zip(scales, _moment_integrals(a, m, weights, missed=True), strict=True))
    if mean <= 0.5 * (big_n + 1.0):
        return mean, max(ett1 - mean - mean * mean, 0.0)
    # T near its largest value: V = N + 1 − T is small, and E[V] = (N+1) ∫ Φ(x) e^{−x} dx,
    # E[V(V+1)] = 2(N+1)(N+2) ∫ Φ(x) e^{−2x} dx (the same Beta integrals, docs/coverage.md), so
    # Var[T] = Var[V] = E[V(V+1)] − E[V] − E[V]² loses nothing to E[T]² ≈ N².
    weights = (lambda x: np.exp(-x), lambda x: np.exp(-2.0 * x))
    ev, evv1 = (scale * v for scale, v in zip(scales, _moment_integrals(a, m, weights, missed=False), strict=True))
    slack = ev - float(a.min())  # E[S], S = full − T ≥ 0 (V = S + min N_c)
    if slack < _SLACK_SUM_LIMIT:
        return _slack_moments(prior, int(big_n) - int(a.min()) + 1)
    return big_n + 1.0 - ev, max(evv1 - ev - ev * ev, 0.0)


def _slack_moments(prior: Prior, full: int) -> tuple[float, float]:
    """(E[T], Var[T]) without replacement from the slack S = full − T ≥ 0 when it is small:
    E[S] = Σ_{j≥1} υ_{full−j} and E[S²] = Σ_{j≥1} (2j − 1) υ_{full−j}, summed (υ decreases in j)
    until the terms are negligible; Var[T] = E[S²] − E[S]² then keeps its relative accuracy even
    for a nearly constant T (both moments are small, nothing near N² cancels)."""
    first = second = 0.0
    for start in range(1, full + 1, _SLACK_BLOCK):
        j = np.arange(start, min(start + _SLACK_BLOCK, full + 1))
        with np.errstate(under="ignore"):
            cdf = np.exp(_log_cdf_sf(prior, full - j, False)[0])
        first += math.fsum(cdf)
        second += math.fsum((2 * j - 1) * cdf)
        if cdf[-1] * (full - j[-1]) * (2 * full) <= _TAIL_SHARE * max(second, 1e-300):
            break  # υ decreases in j: what is left is at most that much
    return full - first, max(second - first * first, 0.0)


def _moment_integrals(
    a: NDArray[np.float64], m: NDArray[np.float64], weights: tuple[Callable[[NDArray[np.float64]], NDArray[np.float64]], ...],
    missed: bool,
) -> list[float]:
    """∫_0^∞ (1 − Φ(x)) w(x) dx (``missed``) or ∫_0^∞ Φ(x) w(x) dx (then every w ≤ e^{−x}) for
    each weight w, by Gauss–Legendre rules on doubling panels (see _GAUSS_NODES), each panel
    halved until the rule and the rule with half the nodes agree."""

    order = np.argsort(a)
    a, m = a[order], m[order]
    prune = _PRUNE_LOG + math.log(float(m.sum()))

    def log_side(x: NDArray[np.float64]) -> NDArray[np.float64]:
        # Classes with a·x beyond a_min·x + _PRUNE_LOG + ln C add below e^{−50} (relative to the
        # rarest class's term) to ln Φ or ln(1 − Φ): left out (the masses are sorted).
        keep = int(np.searchsorted(a, a[0] + prune / max(float(x.min()), 1e-300), side="right"))
        aa, mm = a[:keep], m[:keep]
        return log_one_minus_product(aa, mm, x, _MOMENT_CHUNK) if missed else log_all_seen(aa, mm, x, _MOMENT_CHUNK)

    rules = [np.polynomial.legendre.leggauss(k) for k in (_GAUSS_NODES // 2, _GAUSS_NODES)]

    def panel(lo: float, hi: float, splits: int) -> NDArray[np.float64]:
        """Both rules on [lo, hi]; halved while they disagree (a feature narrower than the panel)."""
        sums = []
        largest_log = 0.0
        for nodes, wts in rules:
            x = lo + (hi - lo) * 0.5 * (nodes + 1.0)
            logs = log_side(x)
            largest_log = max(largest_log, float(np.max(np.abs(logs), initial=0.0, where=np.isfinite(logs))))
            side = np.exp(logs)
            sums.append(np.array([0.5 * (hi - lo) * float(np.sum(wts * side * w(x))) for w in weights]))
        # The rules cannot agree better than the integrand is known: e^{L} carries |L|·ε relative.
        tol = max(_QUAD_CHECK, _INTEGRAND_ULPS * np.finfo(float).eps * largest_log)
        if np.all(np.abs(sums[0] - sums[1]) <= tol * np.abs(sums[1])):
            return sums[1]
        if splits >= _MAX_SPLITS:
            raise FloatingPointError("moments of T: quadrature rules disagree; please report this prior")
        mid = 0.5 * (lo + hi)
        return panel(lo, mid, splits + 1) + panel(mid, hi, splits + 1)

    totals = np.zeros(len(weights))
    lo, hi = 0.0, 2.0**-_FIRST_OCTAVES / a.max()
    while True:
        totals += panel(lo, hi, 0)
        # What is left is at most ∫_hi^∞ Σ m e^{−a x} max(1, x) dx ≤ (1 − Φ(hi)) (hi + 1/a_min) / a_min
        # (every weight is at most max(1, x)), or ∫_hi^∞ e^{−x} dx = e^{−hi} for Φ.
        at_hi = math.exp(float(log_side(np.array([hi]))[0]))
        rest = at_hi * (hi + 1.0 / a.min()) / a.min() if missed else math.exp(-hi)
        if rest <= _TAIL_SHARE * totals.min():
            break
        lo, hi = hi, 2.0 * hi
    return [float(v) for v in totals]
