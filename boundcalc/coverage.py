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
uniform prior, 92 for ImageNet-1K); memory is O(U) per value, never O(n·C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .priors import Prior, PriorLike, as_prior
from .special import (
    clog1p,
    log1mexp,
    log_binom_coef,
    log_binom_pmf,
    log_neg_log1mexp,
    log_one_minus_exp_of,
    log_poisson_pmf,
    logsumexp_weighted,
    stirlerr,
)

__all__ = [
    "CoverTime",
    "cover_time",
    "coverage_probability",
    "log_coverage_probability",
    "coverage_sf",
    "log_coverage_sf",
    "expected_draws",
    "draws_for_coverage",
]

_NODES = 24  # trapezoidal nodes on each side of θ = 0 (spacing ≤ 0.59/σ: aliasing < e^{−50})
_WINDOW = 14.0  # half-width of the integration window, in units of 1/σ (widened if needed)
_CHUNK = 1 << 18  # complex elements per block of work


def _as_draws(draws, name: str = "draws") -> np.ndarray:
    """Validate draws as non-negative whole numbers (any shape); returns an int64 array."""
    if isinstance(draws, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a whole number, got bool")
    try:
        arr = np.asarray(draws)
    except OverflowError:
        raise ValueError(f"{name}: must be at most 2**53") from None
    if arr.dtype == object and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr.ravel()):
        if any(int(x) > 2**53 for x in arr.ravel()):
            raise ValueError(f"{name}: must be at most 2**53")
        arr = arr.astype(np.int64)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected whole numbers, got {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: must be finite")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: must be whole numbers")
    if np.any(arr < 0):
        raise ValueError(f"{name}: must be non-negative")
    if np.any(arr > 2**53):
        raise ValueError(f"{name}: must be at most 2**53")
    return arr.astype(np.int64)


class _Model:
    """One sampling model for one prior: the pieces of the saddle-point formula."""

    def __init__(self, prior: Prior, replace: bool):
        self.replace = bool(replace)
        self.a = prior.masses.astype(np.float64)
        self.m = prior.multiplicities.astype(np.float64)
        self.C = prior.n_classes
        self.A = prior.total
        if not self.replace:
            if not prior.is_counts:
                raise ValueError("prior: sampling without replacement needs integer per-class counts")
            self.N = int(round(self.A))
            self.full = self.N - int(self.a.min()) + 1  # from this many draws on, υ = 1

    # -- the draw-count generating function B
    def w(self, s):
        return s if self.replace else np.log1p(s)

    def sw1(self, s):
        """s · w'(s)."""
        return s if self.replace else s / (1.0 + s)

    def mean_parameter(self, n):
        """The radius s at which the plain draw count (Poisson or binomial) has mean n."""
        nf = np.asarray(n, dtype=np.float64)
        return nf / self.A if self.replace else nf / (self.N - nf)

    def log_pmf(self, n, s):
        if self.replace:
            return log_poisson_pmf(n, self.A * s)
        return log_binom_pmf(n, self.N, s)

    def base_ratio(self, n, s, theta):
        """ln B(s e^{iθ}) − ln B(s) − i n θ, shape (k, J)."""
        h = np.sin(0.5 * theta) ** 2
        sin = np.sin(theta)
        n = n[:, None]
        if self.replace:
            lam = (self.A * s)[:, None]
            tms = theta - sin  # θ − sin θ, accurate for small θ via the series below
            small = theta < 1e-2
            t2 = theta * theta
            tms = np.where(small, theta * t2 / 6 * (1 - t2 / 20 * (1 - t2 / 42)), tms)
            return -2.0 * lam * h + 1j * ((lam - n) * sin - n * tms)
        p = (s / (1.0 + s))[:, None]
        re = 0.5 * self.N * np.log1p(-4.0 * p * (1.0 - p) * h)
        im = self.N * np.arctan2(p * sin, 1.0 - 2.0 * p * h) - n * theta
        return re + 1j * im

    def y(self, s):
        return self.a[None, :] * self.w(s)[:, None]

    def yz(self, s, theta):
        """a_u · w(s e^{iθ}), shape (k, J, U)."""
        z = s[:, None] * np.exp(1j * theta)
        wz = z if self.replace else clog1p(z)
        return self.a[None, None, :] * wz[:, :, None]

    # -- the two generating functions: "cdf" = B Φ and "sf" = B (1 − Φ)
    def log_phi(self, y):
        return np.sum(self.m * log1mexp(y), axis=-1)

    def log_one_minus_phi(self, y):
        return log_one_minus_exp_of(logsumexp_weighted(log_neg_log1mexp(y), self.m))

    def mean_var(self, s, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the tilted draw count at radius s: m = s d/ds ln H(s) and
        σ² = dm/d ln s, for H = B Φ ("cdf") or H = B (1 − Φ) ("sf")."""
        if kind == "cdf" and self.replace:
            # A sum of zero-truncated Poisson(y_u) counts: mean h(y), variance h(y)(1 + y − h(y)).
            y = self.y(s)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                h = np.where(y > 1e-8, y / -np.expm1(-y), 1.0 + 0.5 * y)
            return np.sum(self.m * h, axis=-1), np.sum(self.m * h * (1.0 + y - h), axis=-1)
        d = 1e-5
        mid = self.mean(s, kind)
        var = (self.mean(s * math.exp(d), kind) - self.mean(s * math.exp(-d), kind)) / (2 * d)
        return mid, var

    def mean(self, s, kind: str):
        """Mean of the tilted draw count at radius s (= s d/ds ln of the generating function)."""
        y = self.y(s)
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            log_ratio = np.log(self.a) - y - log1mexp(y)  # ln(a / (e^{y} − 1))
        lse = logsumexp_weighted(log_ratio, self.m)
        if kind == "cdf":
            return self.sw1(s) * (self.A + np.exp(lse))
        lphi = self.log_phi(y)
        r = np.exp(lphi - self.log_one_minus_phi(y) + lse)
        return self.sw1(s) * (self.A - r)

    def log_integrand(self, n, s, theta, kind: str):
        y = self.y(s)[:, None, :]
        yz = self.yz(s, theta)
        base = self.base_ratio(n, s, theta)
        if kind == "cdf":
            return base + np.sum(self.m * (log1mexp(yz) - log1mexp(y)), axis=-1)
        top = log_one_minus_exp_of(logsumexp_weighted(log_neg_log1mexp(yz), self.m))
        bottom = self.log_one_minus_phi(y[:, 0, :])[:, None]
        return base + top - bottom


def _saddle(model: _Model, n: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Radius s with tilted mean n (vectorised safeguarded Newton in ln s), and σ² there."""
    nf = n.astype(np.float64)
    if model.replace:  # Poisson means A·s: the cdf mean lies in [A s, A s + C]
        lo = (nf - model.C) / model.A if kind == "cdf" else nf / model.A
        hi = nf / model.A
    else:  # binomial odds s = p/(1 − p), N p ≤ mean ≤ N p + C
        p_lo = (nf - model.C) / model.N if kind == "cdf" else nf / model.N
        lo = p_lo / (1.0 - p_lo)
        hi = model.mean_parameter(nf)
    lo = np.log(np.maximum(lo, 1e-300))
    hi = np.log(hi)
    if kind == "sf":  # upper end by doubling
        hi = lo + 0.1
        for _ in range(200):
            short = model.mean(np.exp(hi), kind) < nf
            if not short.any():
                break
            hi = np.where(short, hi + (hi - lo) * 2 + 0.1, hi)
    u = hi.copy() if kind == "cdf" else 0.5 * (lo + hi)
    for _ in range(100):
        f, fp = model.mean_var(np.exp(u), kind)
        f = f - nf
        lo = np.where(f < 0, u, lo)
        hi = np.where(f > 0, u, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            nu = u - f / fp
        bad = ~np.isfinite(nu) | (nu < lo) | (nu > hi)
        nu = np.where(bad, 0.5 * (lo + hi), nu)
        done = (np.abs(nu - u) <= 1e-13 * np.maximum(1.0, np.abs(u))) | (np.abs(f) <= 1e-10 * nf)
        u = np.where(done, u, nu)
        if done.all():
            break
    s = np.exp(u)
    if not model.replace:  # the factorisation of (1+z)^N Φ(z) is singular at z = −1: keep off it
        s = np.where(np.abs(s - 1.0) < 1e-6, s * (1 + 1e-3), s)
    var = model.mean_var(s, kind)[1]
    return s, np.maximum(var, 1e-300)


def _log_coefficient(model: _Model, n: np.ndarray, kind: str) -> np.ndarray:
    """ln υ_n (kind="cdf") or ln(1 − υ_n) (kind="sf") by the saddle-point Cauchy integral."""
    out = np.empty(n.shape, dtype=np.float64)
    step = max(1, _CHUNK // ((_NODES + 1) * model.a.size))
    for start in range(0, n.size, step):
        nn = n[start : start + step]
        s, var = _saddle(model, nn, kind)
        sigma = np.sqrt(var)
        log_int = np.empty(nn.shape)
        todo = np.ones(nn.shape, dtype=bool)
        nodes, window = _NODES, _WINDOW
        while todo.any():
            log_int[todo], ok = _log_integral(model, nn[todo], s[todo], sigma[todo], kind, nodes, window)
            todo[todo] = ~ok
            nodes, window = 2 * nodes, 2 * window
        y = model.y(s)
        head = model.log_phi(y) if kind == "cdf" else model.log_one_minus_phi(y)
        out[start : start + step] = head + log_int - model.log_pmf(nn, s)
    return out


def _log_integral(model: _Model, n, s, sigma, kind: str, nodes: int, window: float):
    """ln I(s) by the trapezoidal rule on |θ| ≤ min(π, window/σ) with ``nodes`` nodes a side.

    Returns (ln I, ok) where ok is False when the integrand at the window's edge is not yet
    negligible (then the caller widens the window).
    """
    j = np.arange(nodes + 1, dtype=np.float64)
    theta_max = np.minimum(math.pi, window / sigma)
    big_m = np.maximum(2 * nodes, np.ceil(2 * math.pi * nodes / theta_max))
    theta = (2 * math.pi / big_m)[:, None] * j[None, :]
    wts = np.where(j[None, :] == 0, 1.0, np.where(2 * j[None, :] == big_m[:, None], 1.0, 2.0))
    logf = model.log_integrand(n, s, theta, kind)
    with np.errstate(under="ignore"):
        integral = np.sum(wts * np.exp(logf).real, axis=1) / big_m
    if np.any(~(integral > 0)):
        raise FloatingPointError("coverage: saddle-point integral failed; please report this input")
    log_i = np.log(integral)
    edge = logf[:, -1].real - log_i
    ok = (2 * nodes >= big_m) | (edge < math.log(1e-18))
    return log_i, ok


def _log_cdf_sf(
    prior: Prior, draws: np.ndarray, replace: bool, tails: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(ln υ_n, ln(1 − υ_n)) for an int64 array of draws, elementwise.

    With ``tails=False`` the complement is not refined where υ_n > 1/2: ln υ_n then still has
    full relative accuracy in υ_n, but ln(1 − υ_n) is only accurate to about 1e−16 absolute.
    """
    model = _Model(prior, replace)
    flat = draws.ravel()
    uniq, inverse = np.unique(flat, return_inverse=True)
    logcdf = np.full(uniq.shape, -np.inf)
    logsf = np.zeros(uniq.shape)
    c = model.C
    if not replace and np.any(uniq > model.N):
        raise ValueError(f"draws: at most the pool size N = {model.N} without replacement")
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
            val = 0.5 * math.log(2 * math.pi * c) - c + float(stirlerr(c)) + float(np.sum(model.m * np.log(model.a * (c / model.A))))
        else:
            val = float(np.sum(model.m * np.log(model.a))) - log_binom_coef(model.N, c)
        logcdf[at_c] = min(val, 0.0)
        logsf[at_c] = np.log1p(-math.exp(logcdf[at_c][0]))
    if mid.any():
        idx = np.nonzero(mid)[0]
        # Which side to integrate: the draw count's median is its mean (Poisson/binomial), so
        # the Poissonized coverage Φ(mean) > 0.99 implies υ_n > 0.49 (the complement is then the
        # accurate side) and Φ < 0.1 implies υ_n < 0.2. Only the band between needs both.
        proxy = model.log_phi(model.y(model.mean_parameter(uniq[idx])))
        sure_high = tails & (proxy > math.log(0.99))
        need_cdf = idx[~sure_high]
        if need_cdf.size:
            lc = np.minimum(_log_coefficient(model, uniq[need_cdf], "cdf"), 0.0)
            logcdf[need_cdf] = lc
            with np.errstate(divide="ignore"):
                logsf[need_cdf] = np.log1p(-np.exp(lc))
        if tails:
            high = need_cdf[logcdf[need_cdf] > -math.log(2.0)]
            hidx = np.concatenate([idx[sure_high], high])
            if hidx.size:
                ls = np.minimum(_log_coefficient(model, uniq[hidx], "sf"), 0.0)
                logsf[hidx] = ls
                logcdf[hidx] = np.log1p(-np.exp(ls))
    return logcdf[inverse].reshape(draws.shape), logsf[inverse].reshape(draws.shape)


def _scalar(x: np.ndarray, like) -> float | np.ndarray:
    return float(x) if np.ndim(like) == 0 else x


def log_coverage_probability(draws, prior: PriorLike, replace: bool = True):
    """ln υ_n, the natural log of the probability that n draws contain all C classes.

    υ_n = Σ_{S⊆[C]} (−1)^{|S|} (1 − ρ(S))^n = n! [t^n] Π_c (e^{ρ_c t} − 1)  (i.i.d. draws;
    Nozawa & Sato 2021, Eq. 10's υ_{K+1}); without replacement (``replace=False``) from the
    pool of per-class counts N_c, υ_n = [t^n] Π_c ((1+t)^{N_c} − 1) / binom(N, n).

    Domain: draws ≥ 0 integers (scalar or array); −inf for n < C. Accurate to about 1e−13
    relative in υ (absolute in ln υ) for any n up to 2**53, including υ far below 1e−308.
    """
    d = _as_draws(draws)
    return _scalar(_log_cdf_sf(as_prior(prior), d, replace)[0], draws)


def coverage_probability(draws, prior: PriorLike, replace: bool = True, *, exact: bool = False, digits: int | None = None):
    """υ_n = P(n draws contain all C classes) = P(T ≤ n); see :func:`log_coverage_probability`.

    Returns a float in [0, 1] (an array for array ``draws``); it underflows to 0 only where
    υ < 1e−308, for which use :func:`log_coverage_probability`. ``exact=True`` returns a
    :class:`fractions.Fraction` (uniform prior or integer counts; scalar draws) and
    ``digits=D`` an ``mpmath.mpf`` good to D significant digits (any prior).
    """
    d = _as_draws(draws)
    p = as_prior(prior)
    if exact or digits is not None:
        return _high_precision(d, p, replace, exact, digits)
    with np.errstate(under="ignore"):
        return _scalar(np.exp(_log_cdf_sf(p, d, replace, tails=False)[0]), draws)


def _high_precision(d: np.ndarray, p: Prior, replace: bool, exact: bool, digits: int | None):
    from . import exact as ex

    if d.ndim != 0:
        raise ValueError("draws: exact= and digits= take a single number of draws")
    if exact and digits is not None:
        raise ValueError("exact and digits: give one or the other")
    if exact:
        return ex.exact_coverage_probability(int(d), p, replace)
    return ex.mp_coverage_probability(int(d), p, replace, _check_digits(digits))


def _check_digits(digits) -> int:
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 1000:
        raise ValueError(f"digits: expected a whole number from 1 to 1000, got {digits!r}")
    return int(digits)


def log_coverage_sf(draws, prior: PriorLike, replace: bool = True):
    """ln(1 − υ_n) = ln P(T > n), accurate when υ_n is within 1e−300 of 1 (or closer)."""
    d = _as_draws(draws)
    return _scalar(_log_cdf_sf(as_prior(prior), d, replace)[1], draws)


def coverage_sf(draws, prior: PriorLike, replace: bool = True):
    """1 − υ_n = P(T > n): the probability that some class is missing from n draws."""
    d = _as_draws(draws)
    with np.errstate(under="ignore"):
        return _scalar(np.exp(_log_cdf_sf(as_prior(prior), d, replace)[1]), draws)


@dataclass(frozen=True)
class CoverTime:
    """The coupon collector's time T: draws until every class of ``prior`` has been seen.

    A discrete distribution with support {C, C+1, …} (without replacement: up to
    N − min N_c + 1), in the style of ``scipy.stats``: ``cdf`` (= υ_n), ``logcdf``, ``sf``,
    ``logsf``, ``pmf``, ``mean``, ``var``, ``std``, ``ppf``, ``median``.
    """

    prior: Prior
    replace: bool = True

    def __post_init__(self):
        if not self.replace:
            _Model(self.prior, False)  # validates that the prior has counts

    def logcdf(self, n):
        """ln P(T ≤ n) = ln υ_n."""
        return _scalar(_log_cdf_sf(self.prior, _as_draws(n, "n"), self.replace)[0], n)

    def logsf(self, n):
        """ln P(T > n) = ln(1 − υ_n)."""
        return _scalar(_log_cdf_sf(self.prior, _as_draws(n, "n"), self.replace)[1], n)

    def cdf(self, n):
        """P(T ≤ n) = υ_n."""
        with np.errstate(under="ignore"):
            return _scalar(np.exp(_log_cdf_sf(self.prior, _as_draws(n, "n"), self.replace, False)[0]), n)

    def sf(self, n):
        """P(T > n) = 1 − υ_n."""
        with np.errstate(under="ignore"):
            return _scalar(np.exp(_log_cdf_sf(self.prior, _as_draws(n, "n"), self.replace)[1]), n)

    def pmf(self, n):
        """P(T = n) = υ_n − υ_{n−1}, differenced on the side (cdf or sf) that is small."""
        arr = _as_draws(n, "n")
        prev = np.maximum(arr - 1, 0)
        lc, ls = _log_cdf_sf(self.prior, np.stack([arr, prev]), self.replace)
        with np.errstate(under="ignore"):
            by_cdf = np.exp(lc[0]) - np.exp(lc[1])
            by_sf = np.exp(ls[1]) - np.exp(ls[0])
        val = np.where(lc[0] < -math.log(2.0), by_cdf, by_sf)
        val = np.where(arr == 0, 0.0, np.clip(val, 0.0, 1.0))
        return _scalar(val, n)

    def mean(self) -> float:
        """E[T]. Uniform i.i.d.: C·H_C; otherwise A ∫_0^∞ (1 − Π_c(1 − e^{−a_c s})) ds
        (Flajolet, Gardy & Thimonier 1992), or (N+1) ∫_0^1 (1 − Π_c(1 − (1−u)^{N_c})) du
        without replacement."""
        return _moments(self.prior, self.replace)[0]

    def var(self) -> float:
        """Var[T]. Uniform i.i.d.: Σ_{i=1..C} (1 − p_i)/p_i², p_i = i/C; otherwise from
        E[T(T+1)] = 2A² ∫ s (1 − Φ(s)) ds (resp. 2(N+1)(N+2) ∫ u (1 − Φ(u)) du)."""
        return _moments(self.prior, self.replace)[1]

    def std(self) -> float:
        """Standard deviation of T."""
        return math.sqrt(self.var())

    def ppf(self, q):
        """Smallest n with P(T ≤ n) ≥ q, for q in [0, 1] (scalar or array)."""
        qa = np.asarray(q, dtype=np.float64)
        if np.any(~np.isfinite(qa)) or np.any((qa < 0) | (qa > 1)):
            raise ValueError("q: quantile levels must lie in [0, 1]")
        out = np.array([self._ppf1(float(v)) for v in qa.ravel()], dtype=np.float64).reshape(qa.shape)
        return float(out) if out.ndim == 0 else out

    def median(self) -> float:
        """The smallest n with υ_n ≥ 1/2."""
        return self.ppf(0.5)

    def _ppf1(self, q: float) -> float:
        c = self.prior.n_classes
        if q <= 0:
            return float(c)
        upper = math.inf if self.replace else float(_Model(self.prior, False).full)
        if q >= 1:  # T is unbounded (i.i.d., C > 1) or at most `upper`
            return (math.inf if c > 1 else 1.0) if self.replace else upper

        def reached(n: int) -> bool:
            lc, ls = _log_cdf_sf(self.prior, np.array([n]), self.replace)
            if q > 0.5:
                return bool(ls[0] <= math.log1p(-q))
            return bool(lc[0] >= math.log(q))

        lo = c - 1  # υ_{C−1} = 0 < q
        mean, sd = self.mean(), self.std()
        hi = max(c, int(mean + 4 * sd) + 1)
        if not self.replace:
            hi = min(hi, int(upper))
        while not reached(hi):
            lo = hi
            hi = hi * 2 if self.replace else min(2 * hi, int(upper))
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if reached(mid):
                hi = mid
            else:
                lo = mid
        return float(hi)


def cover_time(prior: PriorLike, replace: bool = True) -> CoverTime:
    """The distribution of T (draws until every class is seen) as a :class:`CoverTime`."""
    return CoverTime(as_prior(prior), replace)


def expected_draws(prior: PriorLike, replace: bool = True, *, exact: bool = False, digits: int | None = None):
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
            raise ValueError("exact and digits modes of expected_draws are for i.i.d. draws (replace=True)")
        if exact and digits is not None:
            raise ValueError("exact and digits: give one or the other")
        return ex.exact_expected_draws(p) if exact else ex.mp_expected_draws(p, _check_digits(digits))
    return cover_time(p, replace).mean()


def draws_for_coverage(q, prior: PriorLike, replace: bool = True):
    """Smallest n with υ_n ≥ q: how many draws (K+1) see every class with probability q."""
    return cover_time(prior, replace).ppf(q)


# ------------------------------------------------------------------------- moments
_MOMENT_CACHE: dict = {}


def _moments(prior: Prior, replace: bool) -> tuple[float, float]:
    key = (prior.masses.tobytes(), prior.multiplicities.tobytes(), replace)
    if key not in _MOMENT_CACHE:
        _MOMENT_CACHE[key] = _compute_moments(prior, replace)
    return _MOMENT_CACHE[key]


def _compute_moments(prior: Prior, replace: bool) -> tuple[float, float]:
    c = prior.n_classes
    if replace and prior.is_uniform:
        from scipy.special import digamma, polygamma

        h = float(digamma(c + 1.0)) + np.euler_gamma
        h2 = math.pi**2 / 6 - float(polygamma(1, c + 1.0))
        mean = c * h
        return mean, max(c * c * h2 - mean, 0.0)
    if c == 1:
        return 1.0, 0.0
    import warnings

    from scipy.integrate import IntegrationWarning, quad

    a = prior.masses.astype(np.float64)
    m = prior.multiplicities.astype(np.float64)

    if replace:
        scale = prior.total

        def w(t):
            return t

    else:
        scale = None
        big_n = prior.total

        def w(t):
            return -math.log1p(-t) if t < 1 else math.inf

    def miss(t: float) -> float:
        """1 − Φ(t): probability that some class is still unseen at time t."""
        if t <= 0:
            return 1.0
        y = a * w(t)
        lam = logsumexp_weighted(log_neg_log1mexp(y), m)
        return float(-np.expm1(-np.exp(lam))) if lam > -600 else float(np.exp(lam))

    # Split where half the probability is reached (bisection on ln t).
    lo, hi = (1e-12, 1.0) if not replace else (1e-12 / scale, 1.0 / float(a.min()) * 50)
    if not replace:
        hi = 1.0 - 1e-15
    for _ in range(200):
        mid = math.sqrt(lo * hi) if replace else 0.5 * (lo + hi)
        if miss(mid) > 0.5:
            lo = mid
        else:
            hi = mid
    # i.i.d.: integrate in x = t / t_half, so that the tail decays on a scale of order one
    # (QUADPACK's map of [a, ∞) needs that); without replacement t ∈ [0, 1] already.
    unit = hi if replace else 1.0
    knots = [0.0, 0.25, 1.0, 2.0, 4.0, 16.0, math.inf] if replace else sorted({0.0, 0.25 * hi, hi, 0.5 * (1 + hi), 1.0})

    def integrate(f) -> float:
        total = error = 0.0
        for x0, x1 in zip(knots[:-1], knots[1:]):
            if x1 <= x0:
                continue
            with warnings.catch_warnings():
                # QUADPACK warns when it cannot certify 2e-14; its error estimate is checked below.
                warnings.simplefilter("ignore", IntegrationWarning)
                val, err = quad(lambda x: f(x * unit), x0, x1, epsabs=0.0, epsrel=2e-14, limit=500)
            total += val * unit
            error += err * unit
        if not error <= 1e-11 * abs(total):
            raise FloatingPointError(f"moments of T: quadrature error {error:.2g} too large; please report this prior")
        return total

    first = integrate(miss)
    second = integrate(lambda t: t * miss(t))
    if replace:
        mean = scale * first
        ett1 = 2.0 * scale * scale * second
    else:
        mean = (big_n + 1) * first
        ett1 = 2.0 * (big_n + 1) * (big_n + 2) * second
    return mean, max(ett1 - mean - mean * mean, 0.0)
