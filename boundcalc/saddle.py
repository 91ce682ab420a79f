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
    LN_2PI,
    bd0_wide,
    bd0_wide_one,
    clog1p,
    compensated_sum,
    log1mexp,
    log1mexp_over,
    log_binom_pmf,
    log_neg_log1mexp,
    log_one_minus_exp_of,
    log_one_minus_product,
    log_poisson_pmf,
    log_scaled_ratio,
    logsumexp_weighted,
    stirlerr,
    stirlerr_one,
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
#: A shared value is accepted only where the coefficients that alias onto it (n ± M, n ± 2M, …
#: for M trapezoidal nodes on the full circle) are below this share of it, by the Chernoff bound
#: of :func:`_log_alias_bound` (a bound, not an estimate: it cannot pass on an aliased value).
_ALIAS_SHARE = 1e-17
#: i.i.d. coverage: a class with y = a_u s below this is "rare" on the circle: its factor
#: 1 − e^{−y} is written y · e^{g(y)}, g(y) = ln((1 − e^{−y})/y) (special.log1mexp_over), so the
#: large ln y of each rare class cancels analytically against the Poisson pmf's n ln λ and
#: their phases against e^{−inθ} (docs/coverage.md, "The deep left tail").
_RARE_Y = 1.0
#: Saddle-point models kept per process (a Prior is a value, so equal priors share one).
_MODEL_CACHE_SIZE = 64


class SaddleModel:
    """One sampling model for one prior: the pieces of the saddle-point formula."""

    def __init__(self, prior: Prior, replace: bool):
        self.replace = bool(replace)
        self.a = prior.masses.astype(np.float64)  # aligned with the prior's own arrays
        self.m = prior.multiplicities.astype(np.float64)
        order = np.argsort(self.a, kind="stable")  # ascending: a circle's rare classes are a prefix
        self.a_up, self.m_up = self.a[order], self.m[order]
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

    def log_class_ratio(self, s: NDArray[np.float64], theta: NDArray[np.float64]) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
        """i.i.d. draws: (Σ_u m_u r_u(θ), C_rare) on the circles of radii s (k,) at nodes θ (k, J),
        where ln Φ(s e^{iθ}) − ln Φ(s) = i C_rare θ + Σ_u m_u r_u(θ): a rare class (y = a_u s <
        _RARE_Y) has r = g(a z) − g(a s), the others r = ℓ(a z) − ℓ(a s) (ℓ = log1mexp). The
        C_rare phases iθ are left to the caller's e^{−inθ} (the draw count n − C_rare), so
        neither side carries a phase of size nθ. Masses in blocks of about _CHUNK numbers."""
        y = self.a_up[None, :] * s[:, None]
        rare = y < _RARE_Y
        c_rare = rare.astype(np.float64) @ self.m_up
        # The masses ascend, so each circle's rare classes are a prefix: columns before the
        # shortest prefix are rare on every circle, those after the longest on none, and only
        # the band between takes both forms.
        counts = rare.sum(axis=1)
        lo, hi = int(counts.min()), int(counts.max())
        z = s[:, None] * np.exp(1j * theta)
        total = np.zeros(z.shape, dtype=np.complex128)
        block = max(1, _CHUNK // max(1, z.size))
        for u0 in range(0, self.a_up.size, block):
            u1 = min(u0 + block, self.a_up.size)
            for c0, c1, form in ((u0, min(u1, lo), "rare"), (max(u0, hi), u1, "common"), (max(u0, lo), min(u1, hi), "band")):
                if c0 >= c1:
                    continue
                a, m, yb = self.a_up[c0:c1], self.m_up[c0:c1], y[:, c0:c1]
                w = a[None, None, :] * z[:, :, None]
                if form == "rare":
                    vals = log1mexp_over(w) - log1mexp_over(yb)[:, None, :]
                elif form == "common":
                    vals = log1mexp(w) - log1mexp(yb)[:, None, :]
                else:
                    rb = rare[:, None, c0:c1]
                    vals = np.where(rb, log1mexp_over(np.where(rb, w, 0.5)) - log1mexp_over(np.where(rare[:, c0:c1], yb, 0.5))[:, None, :],
                                    log1mexp(np.where(rb, 1.0, w)) - log1mexp(np.where(rare[:, c0:c1], 1.0, yb))[:, None, :])
                total += vals @ m
        return total, c_rare

    def head_classes(self, n0: NDArray[np.int64], s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The class sum of :meth:`log_head` on circles of radii s with draw counts n₀:
        (Σ_{u∉R} m ℓ(y_u) + Σ_{u∈R} m (ln(n₀ ρ_u) + g(y_u)), C_R). Masses in blocks."""
        part = np.zeros(s.shape)
        c_rare = np.zeros(s.shape)
        block = max(1, _CHUNK // max(1, s.size))
        for u0 in range(0, self.a.size, block):
            a, m = self.a[u0 : u0 + block], self.m[u0 : u0 + block]
            y = a[None, :] * s[:, None]
            rare = y < _RARE_Y
            with np.errstate(divide="ignore"):
                common = log1mexp(np.where(rare, 1.0, y))
            if rare.any():
                rare_terms = log_scaled_ratio(n0.astype(np.float64)[:, None], a[None, :], self.A) + log1mexp_over(np.where(rare, y, 0.5))
                common = np.where(rare, rare_terms, common)
                c_rare += rare.astype(np.float64) @ m
            part += common @ m
        return part, c_rare

    def log_head(
        self, n: NDArray[np.int64], s: NDArray[np.float64], centre: NDArray[np.int64] | None = None,
        classes: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> NDArray[np.float64]:
        """i.i.d. draws: ln Φ(s) − ln p(n; A s), elementwise, in a form whose terms are each of
        the size of ln υ_n (no cancellation of ln Φ against ln p in the deep left tail).

        With λ = A s, y_u = ρ_u λ and the rare classes R (y_u < _RARE_Y, C_R of them),
        ln(1 − e^{−y}) = ln(ρ λ) + g(y) for them and ln p = −δ(n) − D(n, λ) − ½ ln 2πn
        (Loader) give, with x = n − C_R,

            Σ_{u∉R} m ℓ(y_u) + Σ_{u∈R} m (ln(n₀ ρ_u) + g(y_u)) + C_R ln(n/n₀)
            + δ(n) + ½ ln 2πn + D(x, λ) − D(x, n),

        since C_R ln λ + n ln(n/λ) − n + λ = C_R ln n + D(x, λ) − D(x, n). n₀ (``centre``,
        default n) is the circle's own draw count; ``classes`` its :meth:`head_classes`, when a
        shared circle has summed them once. At n = C + 1 every term but −D(1, n) ≈ −C is small,
        and that one is exact to rounding; the terms are added with compensation.
        """
        n0 = n if centre is None else centre
        part, c_rare = self.head_classes(n0, s) if classes is None else classes
        nf = n.astype(np.float64)
        x = nf - c_rare
        shift = c_rare * np.log1p((nf - n0) / n0) if centre is not None else np.zeros(s.shape)
        terms = [part, shift, stirlerr(nf), 0.5 * (LN_2PI + np.log(nf)), bd0_wide(x, self.A * s)]
        if c_rare.any():  # D(x, n) = 0 when no class is rare (x = n)
            terms.append(-bd0_wide(x, nf))
        return compensated_sum(terms)

    def log_integrand(self, n: NDArray[np.int64], s: NDArray[np.float64], theta: NDArray[np.float64], kind: str) -> NDArray[np.complex128]:
        """ln of the integrand of I(s) at the nodes θ, shape (k, J). The sum over the U distinct
        masses runs in blocks, so memory stays near _CHUNK numbers however large U is."""
        if kind == "cdf" and self.replace:
            classes, c_rare = self.log_class_ratio(s, theta)
            return self.base_ratio((n - c_rare)[:, None], s[:, None], theta) + classes
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
    iid_cdf = kind == "cdf" and model.replace
    if iid_cdf:
        circle_part, circle_rare = model.head_classes(centres, s)
    else:
        y = model.y(s)
        head = (model.log_phi(y) if kind == "cdf" else model.log_one_minus_phi(y)) + shift[:, 0]
    edge = np.abs(g[:, -1])
    size = np.sum(np.abs(g), axis=1)
    log_alias = _log_alias_bound(model, s, n, where, m_int, kind) - shift[:, 0]
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
        with np.errstate(divide="ignore", invalid="ignore"):
            log_total = np.log(total)
            if iid_cdf:  # the classes' sum once per circle, the draw count's terms per point
                head_w = model.log_head(n[part], s[w], centres[w], (circle_part[w], circle_rare[w]))
                vals[part] = head_w + shift[w, 0] + log_total
            else:
                vals[part] = head[w] + log_total - model.log_pmf(n[part], s[w])
        ok[part] = ((total > 0) & (size[w] <= _MAX_CANCELLATION * total) & (edge[w] < _EDGE_SHARE * total)
                    & (log_alias[w] < log_total + math.log(_ALIAS_SHARE)))
    return vals, ok


def _log_tilt(model: SaddleModel, s: NDArray[np.float64], r: NDArray[np.float64], kind: str) -> NDArray[np.float64]:
    """ln H(r s) − ln H(s) for H = B Φ ("cdf") or B (1 − Φ) ("sf"), elementwise."""
    t = s * r
    base = model.A * (t - s) if model.replace else model.N * (np.log1p(t) - np.log1p(s))
    y1, y0 = model.y(t), model.y(s)
    if kind == "cdf":
        return base + model.log_phi(y1) - model.log_phi(y0)
    return base + model.log_one_minus_phi(y1) - model.log_one_minus_phi(y0)


def _log_alias_bound(
    model: SaddleModel, s: NDArray[np.float64], n: NDArray[np.int64], where: NDArray[np.intp], m_int: NDArray[np.int64], kind: str
) -> NDArray[np.float64]:
    """ln of an upper bound, per circle, on what aliases onto any point it serves.

    On the circle of radius s with M nodes the trapezoidal sum of H(s e^{iθ}) e^{−inθ} / H(s) is
    P_s(X ≡ n mod M), X the tilted draw count (P_s(X = j) = [t^j]H s^j / H(s), all terms
    positive), so the error at a served n is P_s(X ≡ n mod M, X ≠ n) ≤ P_s(X ≥ n_lo + M) +
    P_s(X ≤ n_hi − M) for the lowest and highest points the circle serves. Each tail has the
    Chernoff bound P_s(X ≥ k) ≤ H(rs) / (H(s) r^k) for r ≥ 1 (≤ k: r ≤ 1), taken at r = s_k/s
    with s_k the saddle point of k; a tail outside the support (X ≥ C for "cdf", X ≤ N without
    replacement, X < full for "sf") is 0."""
    k = np.arange(s.size)
    first = np.searchsorted(where, k, side="left")
    last = np.searchsorted(where, k, side="right") - 1
    up = n[first] + m_int
    down = n[last] - m_int
    low_support = model.C if kind == "cdf" else 0
    high_support = math.inf if model.replace else (model.N if kind == "cdf" else model.full - 1)
    out = np.full(s.size, -np.inf)
    for target, upper in ((up, True), (down, False)):
        live = (target <= high_support) & (target >= low_support)
        if not live.any():
            continue
        # The saddle point of k = low_support itself is at the support's edge: that of the next
        # count still gives a valid (if looser) radius for the lower tail.
        tk = np.maximum(target[live], low_support + 1) if kind == "cdf" else np.maximum(target[live], 1)
        if not model.replace:
            tk = np.minimum(tk, high_support - 1)
        sk, _ = saddle_point(model, tk, kind)
        r = sk / s[live]
        valid = (r >= 1.0) if upper else (r <= 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            bound = _log_tilt(model, s[live], r, kind) - target[live] * np.log(r)
        bound = np.where(valid & np.isfinite(bound), np.minimum(bound, 0.0), 0.0)
        out[live] = np.logaddexp(out[live], bound)
    return out


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
    sv = np.array([s])
    classes, c_rare = model.log_class_ratio(sv, theta[None, :])
    log_f = model.base_ratio(n - float(c_rare[0]), s, theta) + classes[0]
    with np.errstate(under="ignore"):
        terms = np.exp(log_f).real
    integral = 2.0 * float(np.sum(terms)) - terms[0] - (terms[-1] if 2 * last == big_m else 0.0)
    if not integral > 0:
        return None
    log_i = math.log(integral / big_m)
    if 2 * last < big_m and log_f[-1].real - log_i >= math.log(_EDGE_SHARE):
        return None
    part, c_rare = model.head_classes(np.array([n]), sv)
    rare, x = float(c_rare[0]), nf - float(c_rare[0])
    # log_head's terms in plain floats, added exactly (math.fsum)
    return math.fsum((float(part[0]), stirlerr_one(nf), 0.5 * (LN_2PI + math.log(nf)), bd0_wide_one(x, model.A * s),
                      -bd0_wide_one(x, nf) if rare else 0.0, log_i))


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
        if kind == "cdf" and model.replace:
            out[start : start + step] = model.log_head(nn, s) + log_int
            continue
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
