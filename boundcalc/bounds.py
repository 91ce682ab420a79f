"""The four published bounds between the contrastive loss and the downstream supervised loss.

Each bound is a function of the measured contrastive loss L_cont, the number of negatives K and
the class prior, plus what that bound needs (d(f), L_sub, the collision term, the temperature).
Every bound returns a :class:`Bound`: the upper bound on L_sup (and its natural log, so a bound
beyond float64 is still reported), a status that says whether the number is a valid bound, and
notes that say why. Formulas (docs/math.md §5 and one page per bound in docs/):

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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .collision import collision_probability, collision_term, log_collision_complement
from .coverage import log_coverage_probability
from .errors import InputError
from .names import METHODS
from .priors import Prior, PriorLike, as_prior
from .special import LOG_FLOAT_MAX, harmonic
from .validation import finite_number, whole_number, whole_numbers

__all__ = [
    "Bound", "METHODS", "compute_bounds", "arora", "nozawa_sato", "ash", "bao", "BoundInputs", "PriorTerms",
    "parse_methods", "status_notes", "STATUS_NOTES",
]

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


def _optional(x: float | None, name: str) -> float | None:
    return None if x is None else finite_number(x, name)


def _validate(inp: BoundInputs) -> BoundInputs:
    if finite_number(inp.loss, "loss") < 0:
        raise InputError(f"loss: a cross-entropy loss is non-negative, got {inp.loss}")
    whole_number(inp.k, "k")
    d = _optional(inp.d, "d")
    if d is not None and d > 0:
        raise InputError(f"d: d(f) is ≤ 0 by definition, got {d}")
    ls = _optional(inp.l_sub, "l_sub")
    if ls is not None and ls < 0:
        raise InputError(f"l_sub: a loss is non-negative, got {ls}")
    ct = _optional(inp.collision_term, "collision_term")
    if ct is not None and ct < 0:
        raise InputError(f"collision_term: E[ln(1+Col)] is non-negative, got {ct}")
    t = _optional(inp.temperature, "temperature")
    if t is not None and t <= 0:
        raise InputError(f"temperature: must be positive, got {t}")
    b = _optional(inp.norm_bound, "norm_bound")
    if b is not None and b <= 0:
        raise InputError(f"norm_bound: must be positive, got {b}")
    if t is not None and b is not None:
        raise InputError("`temperature` and `norm_bound`: give one or the other (b² = 1/t)", argument="norm_bound")
    ms = _optional(inp.measured_sup, "measured_sup")
    if ms is not None and ms < 0:
        raise InputError(f"measured_sup: a loss is non-negative, got {ms}")
    return inp


@dataclass(frozen=True)
class PriorTerms:
    """The prior's terms for one K, computed once and shared by every method."""

    tau: float
    log_one_minus_tau: float
    log_upsilon: float
    collision_term: float

    @classmethod
    def many(cls, ks: NDArray[np.int64], prior: Prior) -> list[PriorTerms]:
        """The terms for every K in ``ks``, each quantity evaluated once over the whole array."""
        tau = np.atleast_1d(collision_probability(ks, prior))
        l1t = np.atleast_1d(log_collision_complement(ks, prior))
        lu = np.atleast_1d(log_coverage_probability(ks + 1, prior))
        ct = np.atleast_1d(collision_term(ks, prior))
        return [cls(float(a), float(b), float(c), float(d)) for a, b, c, d in zip(tau, l1t, lu, ct, strict=False)]


def _terms_of(inp: BoundInputs, terms: PriorTerms | None) -> PriorTerms:
    t = terms if terms is not None else PriorTerms.many(np.array([inp.k]), inp.prior)[0]
    if inp.collision_term is not None:  # a measured collision term replaces the prior's
        t = PriorTerms(t.tau, t.log_one_minus_tau, t.log_upsilon, float(inp.collision_term))
    return t


def _finish(b: Bound, log_num: float | None, log_den: float) -> Bound:
    """Fill upper_bound from ln(numerator) − ln(denominator), or mark the bound vacuous."""
    if log_num is None:
        b.status = "vacuous"
        b.notes.append("numerator ≤ 0: the inputs are inconsistent with this bound")
    elif log_den == -math.inf:
        b.status = "vacuous"
    else:
        b.log_upper_bound = log_num - log_den
        b.upper_bound = math.exp(b.log_upper_bound) if b.log_upper_bound < LOG_FLOAT_MAX else math.inf
        if b.upper_bound == math.inf:
            b.notes.append("exceeds float64; see log_upper_bound")
    return _check_holds(b)


def _check_holds(b: Bound) -> Bound:
    if b.measured_sup is not None and b.log_upper_bound is not None:
        b.holds = bool(math.log(b.measured_sup) <= b.log_upper_bound) if b.measured_sup > 0 else True
    return b


def _log_pos(x: float) -> float | None:
    return math.log(x) if x > 0 else None


def arora(inp: BoundInputs, terms: PriorTerms | None = None) -> Bound:
    """Arora et al. (2019): L_sup ≤ (L_cont − E[ln(1+Col)] − d) / ((1 − τ_K) υ_{K+1})
    (docs/math.md §5, docs/arora.md). Domain: L_cont ≥ 0, K ≥ 0, d ≤ 0."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    ct, log_ups, l1t = tm.collision_term, tm.log_upsilon, tm.log_one_minus_tau
    d = inp.d if inp.d is not None else 0.0
    b = Bound("arora", inp.k, inp.loss, None, None, "ok", tau=tm.tau, upsilon=math.exp(log_ups),
              collision_term=ct, d=inp.d, measured_sup=inp.measured_sup)
    if inp.d is None:
        b.status = "assumes_d_zero"
        b.notes.append("d(f) not given: d = 0 assumed, which understates the bound")
    if log_ups == -math.inf:
        b.notes.append(f"υ_{{K+1}} = 0: K+1 = {inp.k + 1} < C = {inp.prior.n_classes}")
    return _finish(b, _log_pos(inp.loss - ct - d), l1t + log_ups)


def nozawa_sato(inp: BoundInputs, terms: PriorTerms | None = None) -> Bound:
    """Nozawa & Sato (2021), Eq. 10: L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ) L_sub) / υ
    (docs/math.md §5, docs/nozawa-sato.md). Domain: L_cont ≥ 0, K ≥ 0, d ≤ 0, L_sub ≥ 0."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    ct, log_ups = tm.collision_term, tm.log_upsilon
    ups = math.exp(log_ups)
    d = inp.d if inp.d is not None else 0.0
    l_sub = inp.l_sub if inp.l_sub is not None else 0.0
    b = Bound("nozawa-sato", inp.k, inp.loss, None, None, "ok", tau=tm.tau,
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


def ash(inp: BoundInputs, terms: PriorTerms | None = None) -> Bound:
    """Ash et al. (2022): L_sup ≤ 2 max{1, 2(C−1)H_{C−1}/K} / (1 − τ_K) · (L_cont − E[ln(1+Col)])
    (docs/math.md §5, docs/ash.md). Domain: L_cont ≥ 0, K ≥ 1 (K = 0 is vacuous)."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    ct, l1t = tm.collision_term, tm.log_one_minus_tau
    c = inp.prior.n_classes
    b = Bound("ash", inp.k, inp.loss, None, None, "ok", tau=tm.tau, collision_term=ct,
              measured_sup=inp.measured_sup)
    if inp.d is not None:
        b.notes.append("d(f) is not part of this bound")
    if inp.k == 0:
        b.status = "vacuous"
        b.notes.append("K = 0 negatives")
        return b
    factor = max(1.0, 2.0 * (c - 1) * harmonic(c - 1) / inp.k)
    return _finish(b, _log_pos(2.0 * factor * (inp.loss - ct)), l1t)


def _log_cosh(x: float) -> float:
    return x + math.log1p(math.exp(-2.0 * x)) - math.log(2.0)


def bao(inp: BoundInputs, terms: PriorTerms | None = None) -> Bound:
    """Bao, Nagano & Nozawa (2022): L_sup ≤ L_cont + ln(ρ_max C² cosh²(b²)/K), and the
    lower bound L_sup ≥ L_cont + H(ρ) + ln K − 2 ln(K+1) − 2 ln cosh(b²) of their code
    (docs/math.md §5, docs/bao.md). Needs the temperature t (b² = 1/t) or the norm bound b.
    ``terms`` is accepted for a uniform signature; this bound uses none of them."""
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
    b2 = 1.0 / inp.temperature if inp.temperature is not None else float(inp.norm_bound or 0.0) ** 2
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


_FUNCS: dict[str, Callable[[BoundInputs, PriorTerms | None], Bound]] = {
    "arora": arora,
    "nozawa-sato": nozawa_sato,
    "ash": ash,
    "bao": bao,
}

#: What each status means, for the notes under a table of bounds.
STATUS_NOTES = {
    "assumes_d_zero": "assumes_d_zero: d(f) was not given; d = 0 was used, so the true Arora and "
    "Nozawa–Sato bounds are larger (d ≤ 0).",
    "vacuous": "vacuous: no finite bound (υ_(K+1) = 0 when K+1 < C, or a numerator ≤ 0).",
    "needs_temperature": "needs_temperature: Bao et al. need the temperature t or the feature-norm bound b.",
}
#: The note for a bound beyond the float64 range.
OVERFLOW_NOTE = "inf: the bound exceeds float64; its natural log is in log_upper_bound."


def status_notes(bounds: Sequence[Bound]) -> list[str]:
    """One explanatory line for each status (and for overflowed bounds) that occurs."""
    statuses = {b.status for b in bounds}
    notes = [text for status, text in STATUS_NOTES.items() if status in statuses]
    if any(b.upper_bound == math.inf for b in bounds):
        notes.append(OVERFLOW_NOTE)
    return notes


def parse_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """Method names from "all", a comma list or a sequence (case and _/- folded); unknown refused."""
    if isinstance(methods, str):
        if methods.strip().lower() == "all":
            return METHODS
        methods = methods.split(",")
    ms = tuple(m.strip().lower().replace("_", "-") for m in methods if m.strip())
    if not ms:
        raise InputError(f"methods: no method given; choose all or from {', '.join(METHODS)}")
    for m in ms:
        if m not in _FUNCS:
            raise InputError(f"methods: unknown {m!r}; choose all or from {', '.join(METHODS)}")
    return ms


def _per_k(x: Any, name: str, n: int) -> list[float | None]:
    if x is None:
        return [None] * n
    arr = np.atleast_1d(np.asarray(x, dtype=object)).ravel()
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n:
        raise InputError(f"{name}: expected one value per K ({n}), got {arr.size}")
    return [None if v is None else finite_number(v, name) for v in arr]


def compute_bounds(
    loss: Any,
    k: ArrayLike,
    prior: PriorLike,
    methods: str | Sequence[str] = METHODS,
    d: Any = None,
    l_sub: Any = None,
    collision_term: Any = None,
    temperature: float | None = None,
    norm_bound: float | None = None,
    measured_sup: Any = None,
) -> list[Bound]:
    """All requested bounds for each (loss, K) pair: one :class:`Bound` per (K, method).

    ``loss`` and ``k`` are scalars or equal-length sequences (one loss per K); ``d``,
    ``l_sub``, ``collision_term`` and ``measured_sup`` likewise (or None; a None entry in a
    sequence means "not given" for that K). ``methods`` is "all", a comma list or a subset of
    ``("arora", "nozawa-sato", "ash", "bao")``. The prior's terms (τ_K, ln(1 − τ_K), ln υ_{K+1},
    E[ln(1+Col)]) are evaluated once per distinct K, over all K at once.
    """
    p = as_prior(prior)
    ks = whole_numbers(np.atleast_1d(np.asarray(k)), "k")
    n = ks.size
    losses = _per_k(loss, "loss", n)
    ds, subs = _per_k(d, "d", n), _per_k(l_sub, "l_sub", n)
    cts, sups = _per_k(collision_term, "collision_term", n), _per_k(measured_sup, "measured_sup", n)
    ms = parse_methods(methods)
    uniq, inverse = np.unique(ks, return_inverse=True)
    terms = PriorTerms.many(uniq, p) if any(m != "bao" for m in ms) else None
    out: list[Bound] = []
    for i, kv in enumerate(ks):
        lv = losses[i]
        if lv is None:
            raise InputError(f"loss: missing for K = {int(kv)}")
        inp = BoundInputs(lv, int(kv), p, ds[i], subs[i], cts[i], temperature, norm_bound, sups[i])
        tm = terms[int(inverse[i])] if terms is not None else None
        out.extend(_FUNCS[m](inp, tm) for m in ms)
    return out
