"""Hard and false negatives: how many of the K negatives share the anchor's class (docs/negatives.md).

Under the latent-class model the number of same-class ("false") negatives is

* i.i.d. draws: Col ~ Σ_c ρ_c Binomial(K, ρ_c) (the anchor's class c is drawn from ρ);
* without replacement from pool counts N_c (N = Σ N_c): the anchor is of class c with
  probability N_c/N, and Col | c ~ Hypergeometric(N − 1 items, N_c − 1 of them of class c, K draws).

:class:`CollisionCount` is this distribution in the style of ``scipy.stats`` (pmf, logpmf, cdf, sf,
logcdf, logsf, mean, var, std, ppf, median). It is a mixture over the distinct class masses only (92 components
for ImageNet-1K), each evaluated by scipy's binomial and hypergeometric distributions (regularised
incomplete beta and exact hypergeometric sums: accurate in both tails, any K up to 10^9, no loop
over K). :func:`hardest_negatives` turns it into the quantities of Morcos et al. (2020) and
Wang et al. (2021): the same-class share among the m hardest negatives under an ideally clustered
ranking, the share under a random ranking, and the deputy rank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError
from .priors import Prior, PriorLike, as_prior
from .special import first_true, logsumexp_weighted
from .validation import FloatOrArray, shaped_like, whole_number

__all__ = ["CollisionCount", "collision_count", "HardestNegatives", "hardest_negatives", "hardest_count", "DEFAULT_FRACTIONS"]

#: The hardest fractions Morcos et al. (2020) single out: 0.1% (harmful), 1%, 5% (sufficient).
DEFAULT_FRACTIONS = (0.001, 0.01, 0.05)


#: Terms summed for a tail whose probability underflows double precision: beyond the mode's
#: neighbourhood binomial and hypergeometric terms shrink at least geometrically, and where the
#: tail is below 1e−308 they shrink by a factor ≥ 2 per step long before this many.
_TAIL_TERMS = 4096


def _integers(m: ArrayLike) -> NDArray[np.float64]:
    """Whole numbers (any sign: below the support the cdf is 0), as floats for scipy."""
    arr = np.asarray(m)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not np.all(arr == np.round(arr))):
        raise InputError(f"m: expected whole numbers, got {m!r}")
    return arr.astype(np.float64)



@dataclass(frozen=True)
class CollisionCount:
    """Col, the number of the K negatives that share the anchor's class: a mixture over the
    prior's distinct masses of Binomial(K, ρ_u) (i.i.d.) or of Hypergeometric(N − 1, N_u − 1, K)
    (without replacement), weighted by the probability m_u ρ_u that the anchor is in that group.
    Support 0..K. docs/negatives.md §1."""

    k: int
    prior: Prior
    replace: bool = True

    def __post_init__(self) -> None:
        whole_number(self.k, "k")
        if not self.replace:
            if not self.prior.is_counts:
                raise InputError("replace: sampling without replacement needs integer per-class counts")
            if self.k > self.prior.total - 1:
                raise InputError(f"k: at most N − 1 = {int(self.prior.total) - 1} negatives without replacement")

    @cached_property
    def _weights(self) -> NDArray[np.float64]:
        """P(anchor in group u) = m_u ρ_u."""
        return self.prior.multiplicities * self.prior.probabilities

    def _component(self) -> Any:
        """The frozen scipy distribution of Col given the anchor's group, vectorised over groups."""
        from scipy import stats

        if self.replace:
            return stats.binom(self.k, self.prior.probabilities)
        big_n = int(round(self.prior.total))
        return stats.hypergeom(big_n - 1, self.prior.masses.astype(np.int64) - 1, self.k)

    def _mix(self, method: str, x: ArrayLike) -> NDArray[np.float64]:
        xs = _integers(x)
        comp = self._component()
        vals = getattr(comp, method)(xs[..., None])  # (..., U)
        if method in ("logcdf", "logsf"):
            vals = self._log_tail_where_underflowed(comp, method, xs, vals)
        if self.replace:
            vals = self._dominant_by_complement(method, xs, vals)
        if method.startswith("log"):
            with np.errstate(divide="ignore"):
                return np.minimum(logsumexp_weighted(vals, self._weights), 0.0)
        return np.clip(np.sum(self._weights * vals, axis=-1), 0.0, 1.0)

    def _log_tail_where_underflowed(self, comp: Any, method: str, xs: NDArray[np.float64], vals: NDArray[np.float64]) -> NDArray[np.float64]:
        """scipy's logcdf/logsf are ln of cdf/sf and give −inf once those underflow; there the
        tail is summed in log space from its terms nearest m (far in a tail they shrink at least
        geometrically, so _TAIL_TERMS of them reach double precision)."""
        inside = (xs[..., None] >= 0) & (xs[..., None] < self.k) if method == "logsf" else xs[..., None] >= 0
        bad = np.isneginf(vals) & np.broadcast_to(inside, vals.shape)
        if not bad.any():
            return vals
        out = vals.copy()
        steps = np.arange(_TAIL_TERMS, dtype=np.float64)
        for idx in zip(*np.nonzero(bad), strict=True):
            m, u = xs[idx[:-1]], idx[-1]
            js = m - steps if method == "logcdf" else m + 1 + steps
            js = js[(js >= 0) & (js <= self.k)]
            one = self._component_at(u)
            terms = one.logpmf(js)
            out[idx] = float(logsumexp_weighted(terms, np.ones(js.size)))
        return out

    def _dominant_by_complement(self, method: str, xs: NDArray[np.float64], vals: NDArray[np.float64]) -> NDArray[np.float64]:
        """A group with ρ > ½ (at most one) through the mirrored binomial: Col = K − X with
        X ~ Binomial(K, 1 − ρ), 1 − ρ from the other groups' mass (scipy's binomial built from
        the rounded ρ loses 1 − ρ: counts [10^12, 1] at K = 3 were 2e−5 off)."""
        from scipy import stats

        big = np.nonzero(self.prior.probabilities > 0.5)[0]
        if big.size == 0:
            return vals
        u = int(big[0])
        mirror = stats.binom(self.k, float(np.exp(self.prior.log_complements[u])))
        mirrored = {"pmf": ("pmf", 0.0), "logpmf": ("logpmf", 0.0), "cdf": ("sf", -1.0), "sf": ("cdf", -1.0),
                    "logcdf": ("logsf", -1.0), "logsf": ("logcdf", -1.0)}
        name, shift = mirrored[method]
        out = vals.copy()
        col = getattr(mirror, name)(self.k - xs + shift)
        if method in ("logcdf", "logsf"):  # scipy's log tails underflow to −inf with the tail
            col = np.where(np.isneginf(col), self._log_tail_where_underflowed(mirror, name, self.k - xs + shift,
                                                                              col[..., None])[..., 0], col)
        out[..., u] = col
        return out

    def support_max(self) -> int:
        """The largest count Col can take: K (i.i.d.), min(K, max_c N_c − 1) without replacement."""
        return self.k if self.replace else int(min(self.k, self.prior.masses.max() - 1))

    def _component_at(self, u: int) -> Any:
        from scipy import stats

        if self.replace:
            return stats.binom(self.k, float(self.prior.probabilities[u]))
        big_n = int(round(self.prior.total))
        return stats.hypergeom(big_n - 1, int(self.prior.masses[u]) - 1, self.k)

    def pmf(self, m: ArrayLike) -> FloatOrArray:
        """P(Col = m) = Σ_u m_u ρ_u P(Col = m | group u); 0 outside 0..K."""
        return shaped_like(self._mix("pmf", m), m)

    def logpmf(self, m: ArrayLike) -> FloatOrArray:
        """ln P(Col = m), as a log-sum-exp of the groups' log-pmfs (no underflow far in the tails)."""
        return shaped_like(self._mix("logpmf", m), m)

    def cdf(self, m: ArrayLike) -> FloatOrArray:
        """P(Col ≤ m) (0 below 0, 1 from K on)."""
        return shaped_like(self._mix("cdf", m), m)

    def sf(self, m: ArrayLike) -> FloatOrArray:
        """P(Col > m), summed from each group's own upper tail (accurate when tiny)."""
        return shaped_like(self._mix("sf", m), m)

    def logcdf(self, m: ArrayLike) -> FloatOrArray:
        """ln P(Col ≤ m), as a log-sum-exp of the groups' log-cdfs (no underflow)."""
        return shaped_like(self._mix("logcdf", m), m)

    def logsf(self, m: ArrayLike) -> FloatOrArray:
        """ln P(Col > m), as a log-sum-exp of the groups' log-survival functions."""
        return shaped_like(self._mix("logsf", m), m)

    def _component_means(self) -> NDArray[np.float64]:
        if self.replace:
            return self.k * self.prior.probabilities
        big_n = self.prior.total
        return self.k * (self.prior.masses - 1) / (big_n - 1)

    def _component_vars(self) -> NDArray[np.float64]:
        if self.replace:
            rho = self.prior.probabilities
            return self.k * rho * (1 - rho)
        big_n, k = self.prior.total - 1, self.k
        p = (self.prior.masses - 1) / big_n
        return k * p * (1 - p) * ((big_n - k) / (big_n - 1) if big_n > 1 else 0.0)

    def mean(self) -> float:
        """E[Col] = K Σ_c ρ_c² (i.i.d.); K Σ_c (N_c/N)(N_c − 1)/(N − 1) without replacement."""
        return float(np.sum(self._weights * self._component_means()))

    def var(self) -> float:
        """Var[Col] = Σ_u w_u Var_u + Σ_u w_u (μ_u − μ)² (both terms positive: no cancellation)."""
        mu = self._component_means()
        mean = float(np.sum(self._weights * mu))
        return float(np.sum(self._weights * (self._component_vars() + (mu - mean) ** 2)))

    def std(self) -> float:
        """Standard deviation of Col."""
        return math.sqrt(self.var())

    def ppf(self, q: float) -> float:
        """Smallest m with P(Col ≤ m) ≥ q, for q in [0, 1] (decided on the small tail)."""
        if not (isinstance(q, (int, float, np.floating)) and 0.0 <= float(q) <= 1.0):
            raise InputError(f"q: a probability in [0, 1], got {q!r}")
        q = float(q)
        if q == 1.0:  # the top of the support (the tails' float rounding cannot decide it)
            return float(self.support_max())

        def reached(m: int) -> bool:
            if q > 0.5:
                return float(self.sf(m)) <= 1.0 - q
            return float(self.cdf(m)) >= q

        return float(first_true(reached, -1, self.k))  # P(Col ≤ −1) = 0 < q ≤ P(Col ≤ K) = 1

    def isf(self, q: float) -> float:
        """Smallest m with P(Col > m) ≤ q, for q in [0, 1], decided on the survival function
        (accurate for q far below the float resolution of 1 − q)."""
        if not (isinstance(q, (int, float, np.floating)) and 0.0 <= float(q) <= 1.0):
            raise InputError(f"q: a probability in [0, 1], got {q!r}")
        q = float(q)
        if q == 0.0:
            return float(self.support_max())
        return float(first_true(lambda m: float(self.sf(m)) <= q, -1, self.k))

    def median(self) -> float:
        """The smallest m with P(Col ≤ m) ≥ ½."""
        return self.ppf(0.5)

    def expected_min(self, m: int) -> float:
        """E[min(Col, m)]: the expected number of same-class negatives among the m hardest when
        every same-class negative ranks first (an ideally clustered encoder).

        Per group, E[min(X, m)] = E[X·1{X < m}] + m P(X ≥ m), and E[X·1{X ≤ t}] = μ P(X' ≤ t − 1)
        with X' ~ Binomial(K − 1, ρ) (resp. Hypergeometric(N − 2, N_u − 2, K − 1)): a closed form
        per group, positive terms only, no sum over m."""
        from scipy import stats

        m = whole_number(m, "m")
        if m == 0 or self.k == 0:
            return 0.0
        comp = self._component()
        if m == 1:  # X < 1 contributes nothing
            below_share = np.zeros(self.prior.masses.size)
        elif self.k == 1:  # X' has K − 1 = 0 draws: X' = 0 ≤ m − 2
            below_share = np.ones(self.prior.masses.size)
        elif self.replace:
            below_share = stats.binom(self.k - 1, self.prior.probabilities).cdf(m - 2)
        else:
            big_n = int(round(self.prior.total))
            successes = np.maximum(self.prior.masses.astype(np.int64) - 2, 0)
            below_share = stats.hypergeom(big_n - 2, successes, self.k - 1).cdf(m - 2)
        below = self._component_means() * below_share
        tail = m * comp.sf(m - 1)
        return float(np.sum(self._weights * (below + tail)))


    def hardest(self, fraction: float) -> tuple[int, float]:
        """(m, E[min(Col, m)]) for the m = max(1, ⌈fK⌉) hardest negatives, f in (0, 1]; ⌈fK⌉
        of the decimal f (0.05 × 1000 = 50, not 51)."""
        m = hardest_count(fraction, self.k)
        return m, self.expected_min(m)

    def deputy_rank(self, confidence: float) -> int | None:
        """The smallest r ≥ 1 with P(Col < r) ≥ ``confidence`` (None when no r ≤ K qualifies)."""
        if not (isinstance(confidence, (int, float, np.floating)) and 0 < float(confidence) < 1):
            raise InputError(f"confidence: a probability strictly between 0 and 1, got {confidence!r}")
        r = int(self.ppf(float(confidence))) + 1
        return r if r <= self.k else None


def collision_count(k: int, prior: PriorLike, replace: bool = True) -> CollisionCount:
    """The distribution of Col for K negatives under ``prior`` (see :class:`CollisionCount`)."""
    return CollisionCount(whole_number(k, "k"), as_prior(prior), replace)


@dataclass(frozen=True)
class HardestNegatives:
    """What the latent-class model says about the m = max(1, ⌈f K⌉) hardest of K negatives."""

    k: int
    fraction: float
    hardest: int
    expected_same_class: float
    expected_same_class_in_hardest: float
    p_any_same_class: float
    same_class_share_ideal: float
    same_class_share_random: float
    deputy_rank: int | None
    confidence: float
    p_negatives_cover_other_classes: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def hardest_count(fraction: float, k: int) -> int:
    """m = max(1, ⌈fK⌉), the hardest f of K negatives, with ⌈fK⌉ of the decimal f (0.05 × 1000 =
    50, not 51), f in (0, 1]."""
    return max(1, math.ceil(Fraction(repr(_fraction(fraction))) * k))


def _fraction(f: Any) -> float:
    if isinstance(f, bool) or not isinstance(f, (int, float, np.integer, np.floating)) or not 0 < float(f) <= 1:
        raise InputError(f"fractions: each in (0, 1], got {f!r}")
    return float(f)


def hardest_negatives(
    k: int,
    prior: PriorLike,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    confidence: float = 0.99,
    replace: bool = True,
) -> list[HardestNegatives]:
    """For each hardest fraction f: m = max(1, ⌈fK⌉), the expected same-class share of the m
    hardest negatives under an ideally clustered ranking, E[min(Col, m)]/m, and under a random
    ranking, E[Col]/K; τ_K = P(Col ≥ 1); the deputy rank, the smallest r ≥ 1 with
    P(Col < r) ≥ ``confidence`` (None when no rank up to K qualifies); and the probability that
    the K negatives cover every class other than the anchor's, which equals υ_{K+1}
    (docs/negatives.md §2). Domain: K ≥ 1, f in (0, 1], confidence in (0, 1)."""
    from .coverage import coverage_probability

    kk = whole_number(k, "k", minimum=1)
    p = as_prior(prior)
    col = CollisionCount(kk, p, replace)
    deputy = col.deputy_rank(confidence)
    hardest = [(_fraction(f), *col.hardest(f)) for f in fractions]
    if not hardest:
        raise InputError("fractions: give at least one")
    mean, tau = col.mean(), float(col.sf(0))
    cover = float(coverage_probability(kk + 1, p, replace))
    return [
        HardestNegatives(kk, f, m, mean, e, tau, e / m, mean / kk, deputy, float(confidence), cover)
        for f, m, e in hardest
    ]
