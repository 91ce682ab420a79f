"""The four published bounds between the contrastive loss and the downstream supervised loss.

Each bound is a function of the measured contrastive loss L_cont, the number of negatives K and
the class prior, plus what that bound needs (d(f), L_sub, the collision term, the temperature).
Every bound returns a :class:`Bound`: the upper bound on L_sup (and its natural log, so a bound
beyond float64 is still reported), a status that says whether the number is a valid bound, and
notes that say why. Formulas (math.md):

1. Arora et al. (ICML 2019), CURL, in the form of Bao, Nagano & Nozawa's public code plus d(f):
   L_sup ≤ (L_cont − E[ln(1+Col)] − d) / ((1 − τ_K) υ_{K+1}).
2. Nozawa & Sato (NeurIPS 2021), Eq. 10:
   L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ_{K+1}) L_sub) / υ_{K+1}.
3. Ash et al. (AISTATS 2022):
   L_sup ≤ 2 max{1, 2(C−1) H_{C−1} / K} / (1 − τ_K) · (L_cont − E[ln(1+Col)]).
4. Bao, Nagano & Nozawa (ICML 2022):
   L_sup ≤ L_cont + ln(ρ_max C² cosh²(b²) / K), and (their public code)
   L_sup ≥ L_cont + H(ρ) + ln K − 2 ln(K+1) − 2 ln cosh(b²); b² = 1/t for unit-norm features.

d(f) ≤ 0, so for Arora and Nozawa–Sato leaving it out (d = 0) makes the printed number smaller
than the true bound: such rows have status ``assumes_d_zero``. L_sub ≥ 0, so L_sub = 0 keeps the
Nozawa–Sato bound valid.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .collision import collision_term
from .coverage import log_coverage_probability
from .priors import Prior, PriorLike, as_prior
from .special import logsumexp_weighted

__all__ = ["Bound", "METHODS", "compute_bounds", "arora", "nozawa_sato", "ash", "bao", "BoundInputs"]

METHODS = ("arora", "nozawa-sato", "ash", "bao")
CITATIONS = {
    "arora": "Arora et al. (2019), CURL; form of Nozawa & Sato (2021) Eq. 8",
    "nozawa-sato": "Nozawa & Sato (2021), Eq. 10",
    "ash": "Ash et al. (2022)",
    "bao": "Bao, Nagano & Nozawa (2022)",
}


@dataclass
class Bound:
    """One bound for one K.

    ``upper_bound`` is the bound on L_sup (``inf`` when beyond float64: ``log_upper_bound``
    then still holds its natural log; ``None`` when there is no finite bound). ``status`` is
    ``ok``, ``assumes_d_zero`` (d(f) not given: the true bound is larger than printed),
    ``vacuous`` (no finite bound) or ``needs_temperature``. ``holds`` compares a measured
    L_sup, when one is given, with the bound.
    """

    method: str
    k: int
    loss: float
    upper_bound: float | None
    log_upper_bound: float | None
    status: str
    lower_bound: float | None = None
    notes: list[str] = field(default_factory=list)
    tau: float | None = None
    upsilon: float | None = None
    collision_term: float | None = None
    d: float | None = None
    l_sub: float | None = None
    measured_sup: float | None = None
    holds: bool | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["notes"] = "; ".join(self.notes)
        return out


@dataclass(frozen=True)
class BoundInputs:
    """The measured and derived terms one row of bounds needs (one K)."""

    loss: float
    k: int
    prior: Prior
    d: float | None = None
    l_sub: float | None = None
    collision_term: float | None = None
    temperature: float | None = None
    norm_bound: float | None = None
    measured_sup: float | None = None


def _finite(x, name: str, allow_none: bool = True) -> float | None:
    if x is None and allow_none:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(x).__name__}")
    if not math.isfinite(float(x)):
        raise ValueError(f"{name}: must be finite, got {x}")
    return float(x)


def _validate(inp: BoundInputs) -> BoundInputs:
    _finite(inp.loss, "loss", allow_none=False)
    if inp.loss < 0:
        raise ValueError(f"loss: a cross-entropy loss is non-negative, got {inp.loss}")
    if isinstance(inp.k, bool) or not isinstance(inp.k, (int, np.integer)) or inp.k < 0:
        raise ValueError(f"k: expected a whole number ≥ 0, got {inp.k!r}")
    d = _finite(inp.d, "d")
    if d is not None and d > 0:
        raise ValueError(f"d: d(f) is ≤ 0 by definition, got {d}")
    ls = _finite(inp.l_sub, "l_sub")
    if ls is not None and ls < 0:
        raise ValueError(f"l_sub: a loss is non-negative, got {ls}")
    ct = _finite(inp.collision_term, "collision_term")
    if ct is not None and ct < 0:
        raise ValueError(f"collision_term: E[ln(1+Col)] is non-negative, got {ct}")
    t = _finite(inp.temperature, "temperature")
    if t is not None and t <= 0:
        raise ValueError(f"temperature: must be positive, got {t}")
    b = _finite(inp.norm_bound, "norm_bound")
    if b is not None and b <= 0:
        raise ValueError(f"norm_bound: must be positive, got {b}")
    if t is not None and b is not None:
        raise ValueError("temperature and norm_bound: give one or the other (b² = 1/t)")
    _finite(inp.measured_sup, "measured_sup")
    return inp


def _log_one_minus_tau(k: int, prior: Prior) -> float:
    """ln(1 − τ_K) = ln Σ_c ρ_c (1 − ρ_c)^K, in log space (no underflow for huge K)."""
    rho = prior.probabilities
    with np.errstate(divide="ignore"):
        terms = np.log(rho) + float(k) * np.log1p(-rho) if k > 0 else np.log(rho)
    return float(logsumexp_weighted(terms, prior.multiplicities.astype(np.float64)))


def _finish(b: Bound, log_num: float | None, log_den: float) -> Bound:
    """Fill upper_bound from ln(numerator) − ln(denominator), or mark the bound vacuous."""
    if log_num is None:
        b.status = "vacuous"
        b.notes.append("numerator ≤ 0: the inputs are inconsistent with this bound")
    elif log_den == -math.inf:
        b.status = "vacuous"
    else:
        b.log_upper_bound = log_num - log_den
        b.upper_bound = math.exp(b.log_upper_bound) if b.log_upper_bound < 709.78 else math.inf
        if b.upper_bound == math.inf:
            b.notes.append("exceeds float64; see log_upper_bound")
    return _check_holds(b)


def _check_holds(b: Bound) -> Bound:
    if b.measured_sup is not None and b.log_upper_bound is not None:
        b.holds = bool(math.log(b.measured_sup) <= b.log_upper_bound) if b.measured_sup > 0 else True
    return b


def _log_pos(x: float) -> float | None:
    return math.log(x) if x > 0 else None


def _terms(inp: BoundInputs) -> tuple[float, float]:
    """(collision term, ln υ_{K+1}) for the inputs."""
    ct = inp.collision_term if inp.collision_term is not None else float(collision_term(inp.k, inp.prior))
    return ct, float(log_coverage_probability(inp.k + 1, inp.prior))


def arora(inp: BoundInputs) -> Bound:
    """Arora et al. (2019): L_sup ≤ (L_cont − E[ln(1+Col)] − d) / ((1 − τ_K) υ_{K+1})."""
    inp = _validate(inp)
    ct, log_ups = _terms(inp)
    l1t = _log_one_minus_tau(inp.k, inp.prior)
    d = inp.d if inp.d is not None else 0.0
    b = Bound("arora", inp.k, inp.loss, None, None, "ok", tau=-math.expm1(l1t), upsilon=math.exp(log_ups),
              collision_term=ct, d=inp.d, measured_sup=inp.measured_sup)
    if inp.d is None:
        b.status = "assumes_d_zero"
        b.notes.append("d(f) not given: d = 0 assumed, which understates the bound")
    if log_ups == -math.inf:
        b.notes.append(f"υ_{{K+1}} = 0: K+1 = {inp.k + 1} < C = {inp.prior.n_classes}")
    return _finish(b, _log_pos(inp.loss - ct - d), l1t + log_ups)


def nozawa_sato(inp: BoundInputs) -> Bound:
    """Nozawa & Sato (2021), Eq. 10: L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ) L_sub) / υ."""
    inp = _validate(inp)
    ct, log_ups = _terms(inp)
    ups = math.exp(log_ups)
    d = inp.d if inp.d is not None else 0.0
    l_sub = inp.l_sub if inp.l_sub is not None else 0.0
    b = Bound("nozawa-sato", inp.k, inp.loss, None, None, "ok", tau=float(-math.expm1(_log_one_minus_tau(inp.k, inp.prior))),
              upsilon=ups, collision_term=ct, d=inp.d, l_sub=inp.l_sub, measured_sup=inp.measured_sup)
    if inp.d is None:
        b.status = "assumes_d_zero"
        b.notes.append("d(f) not given: d = 0 assumed, which understates the bound")
    if inp.l_sub is None:
        b.notes.append("L_sub not given: 0 used (keeps the bound valid)")
    if log_ups == -math.inf:
        b.notes.append(f"υ_{{K+1}} = 0: K+1 = {inp.k + 1} < C = {inp.prior.n_classes}")
        b.status = "vacuous"
        return b
    one_minus_ups = -math.expm1(log_ups)
    return _finish(b, _log_pos(2 * (inp.loss - d) - ct - one_minus_ups * l_sub), log_ups)


def _harmonic(n: int) -> float:
    """H_n = ψ(n+1) + γ (exact harmonic number, not ln n + 0.577)."""
    if n < 1:
        return 0.0
    if n < 64:
        return math.fsum(1.0 / i for i in range(1, n + 1))
    from scipy.special import digamma

    return float(digamma(n + 1.0)) + float(np.euler_gamma)


def ash(inp: BoundInputs) -> Bound:
    """Ash et al. (2022): L_sup ≤ 2 max{1, 2(C−1)H_{C−1}/K} / (1 − τ_K) · (L_cont − E[ln(1+Col)])."""
    inp = _validate(inp)
    ct = inp.collision_term if inp.collision_term is not None else float(collision_term(inp.k, inp.prior))
    l1t = _log_one_minus_tau(inp.k, inp.prior)
    c = inp.prior.n_classes
    b = Bound("ash", inp.k, inp.loss, None, None, "ok", tau=-math.expm1(l1t), collision_term=ct,
              measured_sup=inp.measured_sup)
    if inp.d is not None:
        b.notes.append("d(f) is not part of this bound")
    if inp.k == 0:
        b.status = "vacuous"
        b.notes.append("K = 0 negatives")
        return b
    factor = max(1.0, 2.0 * (c - 1) * _harmonic(c - 1) / inp.k)
    return _finish(b, _log_pos(2.0 * factor * (inp.loss - ct)), l1t)


def _log_cosh(x: float) -> float:
    return x + math.log1p(math.exp(-2.0 * x)) - math.log(2.0)


def bao(inp: BoundInputs) -> Bound:
    """Bao, Nagano & Nozawa (2022): L_sup ≤ L_cont + ln(ρ_max C² cosh²(b²)/K), and the
    lower bound L_sup ≥ L_cont + H(ρ) + ln K − 2 ln(K+1) − 2 ln cosh(b²) of their code."""
    inp = _validate(inp)
    b = Bound("bao", inp.k, inp.loss, None, None, "ok", measured_sup=inp.measured_sup)
    if inp.d is not None:
        b.notes.append("d(f) is not part of this bound")
    if inp.temperature is None and inp.norm_bound is None:
        b.status = "needs_temperature"
        b.notes.append("give the temperature t (b² = 1/t) or the feature-norm bound b")
        return b
    if inp.k == 0:
        b.status = "vacuous"
        b.notes.append("K = 0 negatives")
        return b
    b2 = 1.0 / inp.temperature if inp.temperature is not None else inp.norm_bound**2
    p = inp.prior
    c = p.n_classes
    lc = _log_cosh(b2)
    ub = inp.loss + math.log(p.max_probability) + 2 * math.log(c) + 2 * lc - math.log(inp.k)
    b.lower_bound = max(0.0, inp.loss + p.entropy + math.log(inp.k) - 2 * math.log(inp.k + 1) - 2 * lc)
    if ub <= 0:
        b.status = "vacuous"
        b.notes.append("upper bound ≤ 0")
        return b
    b.upper_bound = ub
    b.log_upper_bound = math.log(ub)
    return _check_holds(b)


_FUNCS = {"arora": arora, "nozawa-sato": nozawa_sato, "ash": ash, "bao": bao}


def compute_bounds(
    loss,
    k,
    prior: PriorLike,
    methods=METHODS,
    d=None,
    l_sub=None,
    collision_term=None,
    temperature=None,
    norm_bound=None,
    measured_sup=None,
) -> list[Bound]:
    """All requested bounds for each (loss, K) pair: one :class:`Bound` per (K, method).

    ``loss`` and ``k`` are scalars or equal-length sequences (one loss per K); ``d``,
    ``l_sub``, ``collision_term`` and ``measured_sup`` likewise (or None). ``methods`` is a
    subset of ``("arora", "nozawa-sato", "ash", "bao")``.
    """
    p = as_prior(prior)
    ks = np.atleast_1d(np.asarray(k))
    if ks.dtype.kind not in "iu" and not (ks.dtype.kind == "f" and np.all(ks == np.round(ks))):
        raise ValueError("k: expected whole numbers of negatives")
    n = ks.size

    def per_k(x, name):
        if x is None:
            return [None] * n
        arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
        if arr.size == 1:
            return [float(arr[0])] * n
        if arr.size != n:
            raise ValueError(f"{name}: expected one value per K ({n}), got {arr.size}")
        return [float(v) for v in arr]

    losses = per_k(loss, "loss")
    ds, subs, cts, sups = per_k(d, "d"), per_k(l_sub, "l_sub"), per_k(collision_term, "collision_term"), per_k(measured_sup, "measured_sup")
    unknown = [m for m in methods if m not in _FUNCS]
    if unknown:
        raise ValueError(f"method: unknown {unknown[0]!r}; choose from {', '.join(METHODS)}")
    out = []
    for i, kv in enumerate(ks):
        inp = BoundInputs(losses[i], int(kv), p, ds[i], subs[i], cts[i], temperature, norm_bound, sups[i])
        for m in methods:
            out.append(_FUNCS[m](inp))
    return out
