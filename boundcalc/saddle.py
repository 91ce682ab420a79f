"""The saddle-point engine: coefficients of generating functions by Cauchy's integral.

Used by :mod:`boundcalc.coverage` (float64) and :mod:`boundcalc.exact` (mpmath). For a sampling
model (i.i.d. draws: B(t) = e^t; without replacement: B(t) = (1+t)^N) and a class prior, the
coverage generating function is B(t)·Φ(t) with Φ(t) = Π_c (1 − e^{−a_c w(t)}), w(t) = t (resp.
ln(1+t)). For any radius s > 0,

    [t^n] B Φ / [t^n] B = Φ(s) · I(s) / p(n; s),   I(s) = (1/2π) ∫ (BΦ)(s e^{iθ}) e^{−inθ} / (BΦ)(s) dθ,

with p(n; s) the Poisson(A s) (resp. Binomial(N, s/(1+s))) pmf at n. The complement uses
B·(1 − Φ) the same way. :func:`saddle_point` picks s where the tilted draw count has mean n,
:func:`log_coefficient` evaluates the identity in log space. Derivation: docs/math.md §3 and
docs/coverage.md.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .priors import Prior, require_pool
from .special import (
    clog1p,
    log1mexp,
    log_binom_pmf,
    log_neg_log1mexp,
    log_one_minus_exp_of,
    log_one_minus_product,
    log_poisson_pmf,
    log_poisson_pmf_one,
    logsumexp_weighted,
)

__all__ = ["SaddleModel", "model_for", "saddle_point", "log_coefficient", "log_cdf_one", "log_integral"]

_NODES = 24  # trapezoidal nodes on each side of θ = 0 (spacing ≤ 0.59/σ: aliasing < e^{−50})
_WINDOW = 14.0  # half-width of the integration window, in units of 1/σ (widened if needed)
_CHUNK = 1 << 18  # complex elements per block of work
#: Smallest radius or variance used: keeps ln s and 1/σ finite when n sits at the support's edge.
_TINY = 1e-300
#: The without-replacement factorisation (1+z)^N Φ(z) is singular at z = −1, so a saddle point
#: within this relative distance of |z| = 1 is moved off it by _RADIUS_NUDGE, when its window
#: can reach θ ≈ π (see saddle_point).
_NEAR_UNIT = 1e-6
_RADIUS_NUDGE = 1e-3
#: Saddle-point solves: Newton steps at most, and the relative tolerance on ln s.
_NEWTON_STEPS = 100
_NEWTON_TOL = 1e-13
#: The integrand at the window's edge must be below this share of the integral, or the window
#: is widened (the trapezoidal error is then below double precision).
_EDGE_SHARE = 1e-18
#: θ − sin θ by its series below this θ (three terms: error θ⁹/9! < 1e−24 relative).
_SERIES_THETA = 1e-2
#: y/(1 − e^{−y}) by 1 + y/2 below this y (error y²/12 < 1e−17).
_SERIES_Y = 1e-8
#: Step in ln s for the numerical derivative of the tilted mean (central difference: error
#: about step² = 1e−10 relative in σ², which moves ln υ by far less than 1e−16).
_LOG_STEP = 1e-5
#: Newton stops when the tilted mean is within this relative distance of n.
_MEAN_TOL = 1e-10
#: Shared circles (neighbouring n, see log_coefficient): a window of |θ| ≤ 10/σ (the Gaussian
#: part of the integrand is e^{−50} there; the edge test below checks the rest) with nodes spaced
#: 0.35/σ, so the coefficients n ± 18σ that alias onto a claimed n (within a few σ of the
#: centre, by the cancellation test) are e^{−100} below it.
_SHARED_WINDOW = 10.0
_SHARED_NODES = 29
#: A circle serves the n within this many rough standard deviations (√n) of its centre (the
#: cancellation test accepts about ±1.7 true ones); points refused are retried with half the
#: reach, down to _MIN_REACH, then computed one by one.
_SHARED_REACH = 2.0
_MIN_REACH = 0.25
#: A shared value is accepted when Σ|terms| of its trapezoidal sum is at most this multiple of
#: the sum: rounding then costs at most 2 bits (cdf + sf − 1 stays below 1e−14, as with own circles).
_MAX_CANCELLATION = 4.0
#: Saddle-point models kept per process (a Prior is a value, so equal priors share one).
_MODEL_CACHE_SIZE = 64


class SaddleModel:
    """One sampling model for one prior: the pieces of the saddle-point formula."""

    def __init__(self, prior: Prior, replace: bool):
        self.replace = bool(replace)
        self.a = prior.masses.astype(np.float64)
        self.m = prior.multiplicities.astype(np.float64)
        self.C = prior.n_classes
        self.A = prior.total
        if not self.replace:
            require_pool(prior)
            self.N = int(round(self.A))
            self.full = self.N - int(self.a.min()) + 1  # from this many draws on, υ = 1

    # -- the draw-count generating function B
    def w(self, s: Any) -> Any:
        """w(s) = s (i.i.d.) or ln(1 + s) (without replacement), for a float or an array."""
        return s if self.replace else np.log1p(s)

    def sw1(self, s: NDArray[np.float64]) -> NDArray[np.float64]:
        """s · w'(s)."""
        return s if self.replace else s / (1.0 + s)

    def mean_parameter(self, n: ArrayLike) -> NDArray[np.float64]:
        """The radius s at which the plain draw count (Poisson or binomial) has mean n."""
        nf = np.asarray(n, dtype=np.float64)
        return nf / self.A if self.replace else nf / (self.N - nf)

    def log_pmf(self, n: NDArray[np.int64], s: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.replace:
            return log_poisson_pmf(n, self.A * s)
        return log_binom_pmf(n, self.N, s)

    def base_ratio(self, n: Any, s: Any, theta: NDArray[np.float64]) -> NDArray[np.complex128]:
        """ln B(s e^{iθ}) − ln B(s) − i n θ; n and s broadcast against θ (columns for rows of θ)."""
        sin = np.sin(theta)
        half = np.sin(0.5 * theta)
        if self.replace:
            lam = self.A * s
            t2 = theta * theta  # θ − sin θ by its series for small θ (cancellation otherwise)
            tms = np.where(theta < _SERIES_THETA, theta * t2 * (1 / 6 - t2 * (1 / 120 - t2 / 5040)), theta - sin)
            return (-2.0 * lam) * (half * half) + 1j * ((lam - n) * sin - n * tms)
        p = s / (1.0 + s)
        re = 0.5 * self.N * np.log1p(-4.0 * p * (1.0 - p) * (half * half))
        im = self.N * np.arctan2(p * sin, 1.0 - 2.0 * p * (half * half)) - n * theta
        return re + 1j * im

    def expected_missing(self, s: float) -> float:
        """Σ_c e^{−a_c w(s)}: the expected number of classes missed by a Poisson (resp.
        binomial) number of draws with parameter s."""
        return float(np.exp(self.a * -self.w(s)) @ self.m)

    def y(self, s: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.a[None, :] * self.w(s)[:, None]

    def wz(self, s: NDArray[np.float64], theta: NDArray[np.float64]) -> NDArray[np.complex128]:
        """w(s e^{iθ}), shape (k, J): multiplied by a_u it gives each class's exponent."""
        z = s[:, None] * np.exp(1j * theta)
        return z if self.replace else clog1p(z)

    # -- the two generating functions: "cdf" = B Φ and "sf" = B (1 − Φ)
    def log_phi(self, y: NDArray[Any]) -> NDArray[Any]:
        return np.sum(self.m * log1mexp(y), axis=-1)

    def log_phi_at(self, s: float) -> float:
        """ln Φ(s) at one real radius (the class sum of :meth:`log_phi` as one dot product)."""
        return float(log1mexp(self.a * self.w(s)) @ self.m)

    def log_one_minus_phi(self, y: NDArray[Any]) -> NDArray[Any]:
        return log_one_minus_exp_of(logsumexp_weighted(log_neg_log1mexp(y), self.m))

    def mean_var(self, s: NDArray[np.float64], kind: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and variance of the tilted draw count at radius s: m = s d/ds ln H(s) and
        σ² = dm/d ln s, for H = B Φ ("cdf") or H = B (1 − Φ) ("sf")."""
        if kind == "cdf" and self.replace:
            # A sum of zero-truncated Poisson(y_u) counts: mean h(y), variance h(y)(1 + y − h(y)).
            y = self.y(s)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                h = np.where(y > _SERIES_Y, y / -np.expm1(-y), 1.0 + 0.5 * y)
            return np.sum(self.m * h, axis=-1), np.sum(self.m * h * (1.0 + y - h), axis=-1)
        d = _LOG_STEP
        mid = self.mean(s, kind)
        var = (self.mean(s * math.exp(d), kind) - self.mean(s * math.exp(-d), kind)) / (2 * d)
        return mid, var

    def mean(self, s: NDArray[np.float64], kind: str) -> NDArray[np.float64]:
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

    def log_integrand(self, n: NDArray[np.int64], s: NDArray[np.float64], theta: NDArray[np.float64], kind: str) -> NDArray[np.complex128]:
        """ln of the integrand of I(s) at the nodes θ, shape (k, J). The sum over the U distinct
        masses runs in blocks, so memory stays near _CHUNK numbers however large U is."""
        y = self.y(s)
        wz = self.wz(s, theta)
        base = self.base_ratio(n[:, None], s[:, None], theta)
        block = max(1, _CHUNK // max(1, wz.size))
        if kind == "cdf":
            total = np.zeros(wz.shape, dtype=np.complex128)
            for u0 in range(0, self.a.size, block):
                a, m = self.a[u0 : u0 + block], self.m[u0 : u0 + block]
                yz = a[None, None, :] * wz[:, :, None]
                total += np.sum(m * (log1mexp(yz) - log1mexp(y[:, None, u0 : u0 + block])), axis=-1)
            return base + total
        top = log_one_minus_product(self.a, self.m, wz, _CHUNK)
        bottom = self.log_one_minus_phi(y)[:, None]
        return base + top - bottom


@lru_cache(maxsize=_MODEL_CACHE_SIZE)
def model_for(prior: Prior, replace: bool) -> SaddleModel:
    """The :class:`SaddleModel` of ``prior`` under one sampling model (cached per prior)."""
    return SaddleModel(prior, replace)


def saddle_point(model: SaddleModel, n: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Radius s with tilted mean n (vectorised safeguarded Newton in ln s), and σ² there."""
    nf = n.astype(np.float64)
    if model.replace:  # Poisson means A·s: the cdf mean lies in [A s, A s + C]
        lo = (nf - model.C) / model.A if kind == "cdf" else nf / model.A
        hi = nf / model.A
    else:  # binomial odds s = p/(1 − p), N p ≤ mean ≤ N p + C
        p_lo = (nf - model.C) / model.N if kind == "cdf" else nf / model.N
        lo = p_lo / (1.0 - p_lo)
        hi = model.mean_parameter(nf)
    lo = np.log(np.maximum(lo, _TINY))
    hi = np.log(hi)
    if kind == "sf":  # upper end by doubling
        hi = lo + 0.1
        for _ in range(200):
            short = model.mean(np.exp(hi), kind) < nf
            if not short.any():
                break
            hi = np.where(short, hi + (hi - lo) * 2 + 0.1, hi)
    u = hi.copy() if kind == "cdf" else 0.5 * (lo + hi)
    for _ in range(_NEWTON_STEPS):
        f, fp = model.mean_var(np.exp(u), kind)
        f = f - nf
        lo = np.where(f < 0, u, lo)
        hi = np.where(f > 0, u, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            nu = u - f / fp
        bad = ~np.isfinite(nu) | (nu < lo) | (nu > hi)
        nu = np.where(bad, 0.5 * (lo + hi), nu)
        done = (np.abs(nu - u) <= _NEWTON_TOL * np.maximum(1.0, np.abs(u))) | (np.abs(f) <= _MEAN_TOL * nf)
        u = np.where(done, u, nu)
        if done.all():
            break
    s = np.exp(u)
    var = np.maximum(model.mean_var(s, kind)[1], _TINY)
    if not model.replace:
        # The factorisation of (1+z)^N Φ(z) is singular at z = −1: a circle through it (s ≈ 1) is
        # moved off only if its integration window can reach θ ≈ π (a narrow count). A wide count
        # (σ of thousands in a large pool) never leaves |θ| ≪ π, and moving s there would put
        # the circle many σ off the saddle point.
        near = (np.abs(s - 1.0) < _NEAR_UNIT) & (_WINDOW / np.sqrt(var) > 0.5 * math.pi)
        if near.any():
            s = np.where(near, s * (1 + _RADIUS_NUDGE), s)
            var = np.maximum(model.mean_var(s, kind)[1], _TINY)
    return s, var


def log_coefficient(model: SaddleModel, n: np.ndarray, kind: str) -> np.ndarray:
    """ln υ_n (kind="cdf") or ln(1 − υ_n) (kind="sf") by the saddle-point Cauchy integral.

    Neighbouring n share one circle: the integrand on the saddle-point circle of a centre n₀
    serves every n within a few standard deviations σ of it, multiplied by e^{−i(n − n₀)θ} (the
    trapezoidal rule then gives the coefficient of t^n on the same circle, exactly as at n₀).
    A shared value is accepted only where it is as accurate as n₀'s own: the trapezoidal sum
    cancels by at most _MAX_CANCELLATION and the window's edge is negligible against it; the
    rest get circles of their own. A whole curve of 10^5 points then costs a few hundred
    saddle points instead of 10^5.
    """
    if n.size == 1 and model.replace and kind == "cdf":
        one = log_cdf_one(model, int(n[0]))
        if one is not None:
            return np.array([one])
    if n.size <= 1:  # nothing to share
        return _log_coefficient_each(model, n, kind)
    out = np.empty(n.shape, dtype=np.float64)
    order = np.argsort(n, kind="stable")
    sorted_n = n[order]
    todo = np.ones(n.size, dtype=bool)
    reach = _SHARED_REACH
    while todo.any() and reach >= _MIN_REACH:
        idx = np.nonzero(todo)[0]
        centres, where = _claims(model, sorted_n[idx], reach)
        if centres.size == idx.size:
            break  # every point needs a circle of its own: the per-point path below is cheaper
        vals, ok = _shared(model, sorted_n[idx], centres, where, kind)
        out[order[idx[ok]]] = vals[ok]
        todo[idx[ok]] = False
        reach /= 2
    rest = np.nonzero(todo)[0]
    if rest.size:
        out[order[rest]] = _log_coefficient_each(model, sorted_n[rest], kind)
    return out


def _claims(model: SaddleModel, n: NDArray[np.int64], reach: float) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """Circles for sorted n: their centres (whole numbers of draws) and, for each n, the index of
    its circle. From the left, each circle is centred ``reach`` rough standard deviations (√n)
    above the first point not yet served, and serves the points within ``reach`` of its centre."""
    nf = n.astype(np.float64)

    def spread(x: float) -> float:
        return math.sqrt(max(x if model.replace else x * (1.0 - x / model.N), 1.0))

    centres: list[int] = []
    where = np.empty(n.size, dtype=np.intp)
    i = 0
    while i < n.size:
        centre = min(int(nf[i] + reach * spread(nf[i])), int(n[-1]))  # within the points asked for
        j = int(np.searchsorted(nf, centre + reach * spread(float(centre)), side="right"))
        where[i:j] = len(centres)
        centres.append(centre)
        i = j
    return np.array(centres, dtype=np.int64), where


def _shared(
    model: SaddleModel, n: NDArray[np.int64], centres: NDArray[np.int64], where: NDArray[np.intp], kind: str
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """ln of the coefficient at each n from the circle of its centre, and whether it is accepted."""
    s, var = saddle_point(model, centres, kind)
    sigma = np.sqrt(var)
    j = np.arange(_SHARED_NODES + 1, dtype=np.float64)
    theta_max = np.minimum(math.pi, _SHARED_WINDOW / sigma)
    big_m = np.maximum(2 * _SHARED_NODES, np.ceil(2 * math.pi * _SHARED_NODES / theta_max))
    theta = (2 * math.pi / big_m)[:, None] * j[None, :]
    wts = np.where(j[None, :] == 0, 1.0, np.where(2 * j[None, :] == big_m[:, None], 1.0, 2.0)) / big_m[:, None]
    m_int = big_m.astype(np.int64)
    logf = model.log_integrand(centres, s, theta, kind)
    shift = logf.real.max(axis=1, keepdims=True)  # the integrand peaks at θ = 0, where it is 1
    with np.errstate(under="ignore"):
        g = wts * np.exp(logf - shift)
    y = model.y(s)
    head = (model.log_phi(y) if kind == "cdf" else model.log_one_minus_phi(y)) + shift[:, 0]
    edge = np.abs(g[:, -1])
    size = np.sum(np.abs(g), axis=1)
    vals = np.empty(n.size)
    ok = np.empty(n.size, dtype=bool)
    for start in range(0, n.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        w = where[part]
        # Σ_j g_j e^{−i(n − n₀)θ_j} is a polynomial in z = e^{−i(n − n₀)2π/M}: Horner's rule, with
        # n − n₀ reduced modulo M in integers, so z keeps full accuracy however far n is.
        d = n[part] - centres[w]
        z = np.exp((-2j * math.pi) * (np.mod(d, m_int[w]) / m_int[w]))
        acc = g[w, -1]
        for node in range(_SHARED_NODES - 1, -1, -1):
            acc = acc * z + g[w, node]
        total = acc.real
        ok[part] = (total > 0) & (size[w] <= _MAX_CANCELLATION * total) & (edge[w] < _EDGE_SHARE * total)
        with np.errstate(divide="ignore", invalid="ignore"):
            vals[part] = head[w] + np.log(total) - model.log_pmf(n[part], s[w])
    return vals, ok


#: The trapezoidal nodes 0.._NODES of one circle, as multiples of its spacing.
_NODE_INDEX = np.arange(_NODES + 1, dtype=np.float64)
#: The identity holds on any circle, so a single value's Newton iteration stops once the tilted
#: mean is within this many standard deviations of n (the integrand is then e^{−5·10^{−7}} of a
#: centred one at θ = 0 and as well resolved): one evaluation fewer than to full precision.
_ONE_MEAN_TOL = 1e-3
#: A single value keeps log_integral's node spacing (so its aliasing) but stops at |θ| ≤ 10/σ
#: (the Gaussian part of the integrand is e^{−50} there) instead of 14/σ, when the window's
#: edge passes the same test: about a quarter fewer nodes.
_ONE_WINDOW = 10.0


def log_cdf_one(model: SaddleModel, n: int) -> float | None:
    """ln υ_n for one n ≥ C + 1 under i.i.d. draws: the identity of :func:`log_coefficient`
    (kind "cdf", its own circle) with the fewest array operations, for single values.

    The safeguarded Newton iteration of :func:`saddle_point` runs in plain floats over the U
    masses (mean Σ m h(y), variance Σ m h (1 + y − h), h(y) = y/(1 − e^{−y}), y = a s); the
    integrand is one block of nodes × U masses (blocks of _CHUNK numbers for large U); the
    Poisson pmf is taken in floats.
    Returns None where the general path is needed (a window that must widen, or y underflowing).
    """
    a, m = model.a, model.m
    nf = float(n)
    lo = math.log(max((nf - model.C) / model.A, _TINY))
    u = hi = math.log(nf / model.A)
    for _ in range(_NEWTON_STEPS):
        y = a * math.exp(u)
        h = y / -np.expm1(-y)
        f = float(m @ h) - nf
        var = float(m @ (h * (1.0 + y - h)))
        if not (math.isfinite(f) and var > 0):
            return None
        lo, hi = (u, hi) if f < 0 else (lo, u) if f > 0 else (lo, hi)
        nu = u - f / var
        if not lo <= nu <= hi:
            nu = 0.5 * (lo + hi)
        if abs(f) <= _ONE_MEAN_TOL * math.sqrt(var) or abs(nu - u) <= _NEWTON_TOL * max(1.0, abs(u)):
            break
        u = nu
    s = math.exp(u)
    sigma = math.sqrt(var)
    big_m = max(2 * _NODES, math.ceil(2 * math.pi * _NODES / min(math.pi, _WINDOW / sigma)))
    step = 2 * math.pi / big_m  # the spacing of log_integral's nodes (so the same aliasing)
    last = min(_NODES, math.ceil(_ONE_WINDOW / (sigma * step)))
    theta = _NODE_INDEX[: last + 1] * step
    log_phi = model.log_phi_at(s)
    z = s * np.exp(1j * theta)
    block = max(1, _CHUNK // z.size)  # the masses in blocks: memory stays near _CHUNK numbers
    classes = sum((log1mexp(np.multiply.outer(z, a[u0 : u0 + block])) @ m[u0 : u0 + block]
                   for u0 in range(0, a.size, block)), np.zeros(z.shape, dtype=np.complex128)) - log_phi
    log_f = model.base_ratio(n, s, theta) + classes
    with np.errstate(under="ignore"):
        terms = np.exp(log_f).real
    integral = 2.0 * float(np.sum(terms)) - terms[0] - (terms[-1] if 2 * last == big_m else 0.0)
    if not integral > 0:
        return None
    log_i = math.log(integral / big_m)
    if 2 * last < big_m and log_f[-1].real - log_i >= math.log(_EDGE_SHARE):
        return None
    return log_phi + log_i - log_poisson_pmf_one(n, model.A * s)


def _log_coefficient_each(model: SaddleModel, n: np.ndarray, kind: str) -> np.ndarray:
    """The Cauchy integral with its own saddle point for every n (window widened where needed)."""
    out = np.empty(n.shape, dtype=np.float64)
    step = max(1, _CHUNK // ((_NODES + 1) * model.a.size))
    for start in range(0, n.size, step):
        nn = n[start : start + step]
        s, var = saddle_point(model, nn, kind)
        sigma = np.sqrt(var)
        log_int = np.empty(nn.shape)
        todo = np.ones(nn.shape, dtype=bool)
        nodes, window = _NODES, _WINDOW
        while todo.any():
            log_int[todo], ok = log_integral(model, nn[todo], s[todo], sigma[todo], kind, nodes, window)
            todo[todo] = ~ok
            nodes, window = 2 * nodes, 2 * window
        y = model.y(s)
        head = model.log_phi(y) if kind == "cdf" else model.log_one_minus_phi(y)
        out[start : start + step] = head + log_int - model.log_pmf(nn, s)
    return out


def log_integral(
    model: SaddleModel, n: NDArray[np.int64], s: NDArray[np.float64], sigma: NDArray[np.float64], kind: str, nodes: int, window: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
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
    ok = (2 * nodes >= big_m) | (edge < math.log(_EDGE_SHARE))
    return log_i, ok
