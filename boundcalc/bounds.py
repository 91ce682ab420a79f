"""The published bounds between the contrastive loss and the downstream supervised loss.

Each bound is a function of the measured contrastive loss L_cont, the number of negatives K and
the class prior, plus what that bound needs (d(f), L_sub, the collision term, τ_K, υ_{K+1}, the
temperature). τ_K, υ_{K+1} and E[ln(1+Col)] come from the prior (i.i.d. draws), from the pool of
per-class counts (``replace=False``: drawn without replacement, as a shuffled drop-last loader
does), or are measured and given; every row says which (``tau_from``, ``upsilon_from``,
``collision_term_from``). Every bound returns a :class:`Bound`: the number, its natural log (so a
bound beyond float64 is still reported), a status that says whether it is a valid bound, what it
certifies against the chance loss H(ρ), and notes that say why. Formulas (docs/math.md §5 and one
page per bound in docs/):

1. ``arora`` — Arora et al. (ICML 2019), CURL, as a bound on L_sup in the form of Bao, Nagano &
   Nozawa's public code, plus d(f): L_sup ≤ (L_cont − E[ln(1+Col)] − d) / ((1 − τ_K) υ_{K+1}).
2. ``arora-ns`` — the comparison form of Nozawa & Sato's Figures 1–2 (their notebook's "Arora et
   al." bars): (L_cont − L̂_curl-sub − E[ln(1+Col)] − d) / (1 − τ_K). Not a bound on L_sup: it
   bounds the no-collision, all-classes part of CURL's sub-task loss, divided by 1 − τ_K
   (docs/arora.md).
3. ``nozawa-sato`` — Nozawa & Sato (NeurIPS 2021), Eq. 10:
   L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ_{K+1}) L_sub) / υ_{K+1}.
4. ``nozawa-sato-uns`` — the same bound as their notebook computes it, subtracting half of
   (1 − υ) L_sub: L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ) L_sub / 2) / υ (valid, looser).
5. ``ash`` — Ash et al. (AISTATS 2022):
   L_sup ≤ 2 max{1, 2(C−1) H_{C−1} / K} / (1 − τ_K) · (L_cont − E[ln(1+Col)]).
6. ``bao`` — Bao, Nagano & Nozawa (ICML 2022):
   L_sup ≤ L_cont + ln(ρ_max C² cosh²(b²) / K), and (their public code)
   L_sup ≥ L_cont + H(ρ) + ln K − 2 ln(K+1) − 2 ln cosh(b²); b² = 1/t for unit-norm features.

d(f) ≤ 0, so for the Arora and Nozawa–Sato forms leaving it out (d = 0) makes the printed number
smaller than the true bound: such rows have status ``assumes_d_zero``. L_sub ≥ 0, so L_sub = 0
keeps the Nozawa–Sato bound valid.

What a bound on L_sup certifies (docs/math.md §5.1): it is *informative* when it is below the
chance loss H(ρ) (ln C for a uniform prior), the cross-entropy of the best constant classifier;
and since a misclassified point costs at least ln 2, the mean classifier's accuracy is at least
1 − bound / ln 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, asdict, dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .collision import collision_probability, collision_term, log_collision_complement
from .coverage import log_coverage_probability
from .errors import InputError
from .names import FORMS, METHODS
from .priors import Prior, PriorLike, as_prior, require_pool
from .special import LOG_FLOAT_MAX, harmonic
from .validation import finite_number, whole_number, whole_numbers

__all__ = [
    "Bound", "METHODS", "FORMS", "compute_bounds", "arora", "arora_ns", "nozawa_sato", "nozawa_sato_uns", "ash", "bao",
    "BoundInputs", "BoundTerms", "parse_methods", "status_notes", "certificate_notes", "STATUS_NOTES", "CITATIONS",
    "CERTIFIES", "accuracy_at_least",
]

#: Which published form each method computes (docs/arora.md, docs/nozawa-sato.md, docs/ash.md, docs/bao.md).
CITATIONS = {
    "arora": "Arora et al. (2019), CURL, on L_sup as in Bao, Nagano & Nozawa's code, plus d(f)",
    "arora-ns": "Arora et al. (2019) as compared in Nozawa & Sato (2021), Figs. 1-2 (their notebook)",
    "nozawa-sato": "Nozawa & Sato (2021), Eq. 10",
    "nozawa-sato-uns": "Nozawa & Sato (2021), Eq. 10 as their notebook computes it ((1-υ)L_sub halved)",
    "ash": "Ash et al. (2022)",
    "bao": "Bao, Nagano & Nozawa (2022)",
}
#: What each method's number bounds from above.
CERTIFIES = {
    "arora": "L_sup",
    "arora-ns": "CURL sub-task loss without collision on all-class draws / (1 − τ_K); not L_sup",
    "nozawa-sato": "L_sup",
    "nozawa-sato-uns": "L_sup",
    "ash": "L_sup",
    "bao": "L_sup",
}
#: Methods whose number is an upper bound on the mean classifier's L_sup.
_ON_L_SUP = frozenset(m for m, what in CERTIFIES.items() if what == "L_sup")
#: The least cross-entropy (natural log) of a misclassified point: its true class has probability
#: at most 1/2 when another class scores at least as high (docs/math.md §5.1).
_LOSS_PER_ERROR = math.log(2.0)


@dataclass
class Bound:
    """One bound for one K.

    ``upper_bound`` is the bound (``inf`` when beyond float64: ``log_upper_bound`` then still
    holds its natural log; ``None`` when there is no finite bound); ``certifies`` says what it
    bounds and ``form`` which published form it is. ``status`` is ``ok``, ``assumes_d_zero``
    (d(f) not given: the true bound is larger than printed), ``vacuous`` (no finite bound) or
    ``needs_temperature``. For bounds on L_sup, ``chance_loss`` is H(ρ) (ln C uniform), the loss
    of the best constant classifier; ``informative`` says whether the bound is below it, and
    ``accuracy_at_least`` = max(0, 1 − bound / ln 2) is the accuracy it certifies. ``tau_from``,
    ``upsilon_from``, ``collision_term_from`` say where each term came from: ``prior`` (i.i.d.
    draws), ``pool`` (without replacement from the per-class counts) or ``measured`` (given).
    ``holds`` compares a measured L_sup, when one is given, with the bound.
    """

    method: str
    k: int
    loss: float
    upper_bound: float | None
    log_upper_bound: float | None
    status: str
    lower_bound: float | None = None
    notes: list[str] = field(default_factory=list)
    form: str = ""
    certifies: str = ""
    chance_loss: float | None = None
    informative: bool | None = None
    accuracy_at_least: float | None = None
    tau: float | None = None
    upsilon: float | None = None
    collision_term: float | None = None
    tau_from: str | None = None
    upsilon_from: str | None = None
    collision_term_from: str | None = None
    d: float | None = None
    l_sub: float | None = None
    curl_sub: float | None = None
    temperature: float | None = None
    measured_sup: float | None = None
    holds: bool | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["notes"] = "; ".join(self.notes)
        return out


@dataclass(frozen=True)
class BoundInputs:
    """The measured terms one row of bounds needs (one K). ``tau``, ``upsilon`` and
    ``collision_term`` given are measured values that replace the prior's; ``replace=False``
    takes the others from the pool of per-class counts, drawn without replacement."""

    loss: float
    k: int
    prior: Prior
    _: KW_ONLY
    d: float | None = None
    l_sub: float | None = None
    curl_sub: float | None = None
    collision_term: float | None = None
    tau: float | None = None
    upsilon: float | None = None
    temperature: float | None = None
    norm_bound: float | None = None
    measured_sup: float | None = None
    replace: bool = True


def _optional(x: float | None, name: str) -> float | None:
    return None if x is None else finite_number(x, name)


def _non_negative(x: float | None, name: str, what: str) -> None:
    v = _optional(x, name)
    if v is not None and v < 0:
        raise InputError(f"{name}: {what} is non-negative, got {v}")


def _probability(x: float | None, name: str) -> None:
    v = _optional(x, name)
    if v is not None and not 0.0 <= v <= 1.0:
        raise InputError(f"{name}: a probability lies in [0, 1], got {v}")


def _validate(inp: BoundInputs) -> BoundInputs:
    if finite_number(inp.loss, "loss") < 0:
        raise InputError(f"loss: a cross-entropy loss is non-negative, got {inp.loss}")
    whole_number(inp.k, "k")
    d = _optional(inp.d, "d")
    if d is not None and d > 0:
        raise InputError(f"d: d(f) is ≤ 0 by definition, got {d}")
    _non_negative(inp.l_sub, "l_sub", "a loss")
    _non_negative(inp.curl_sub, "curl_sub", "a loss")
    _non_negative(inp.collision_term, "collision_term", "E[ln(1+Col)]")
    _non_negative(inp.measured_sup, "measured_sup", "a loss")
    _probability(inp.tau, "tau")
    _probability(inp.upsilon, "upsilon")
    t = _optional(inp.temperature, "temperature")
    if t is not None and t <= 0:
        raise InputError(f"temperature: must be positive, got {t}")
    b = _optional(inp.norm_bound, "norm_bound")
    if b is not None and b <= 0:
        raise InputError(f"norm_bound: must be positive, got {b}")
    if t is not None and b is not None:
        raise InputError("`temperature` and `norm_bound`: give one or the other (b² = 1/t)", argument="norm_bound")
    if not inp.replace:
        require_pool(inp.prior, "replace")
        if inp.k > inp.prior.total - 1:
            raise InputError(f"k: at most N − 1 = {int(inp.prior.total) - 1} negatives without replacement from the pool")
    return inp


@dataclass(frozen=True)
class BoundTerms:
    """τ_K, ln(1 − τ_K), ln υ_{K+1} and E[ln(1+Col)] for one K, with where each came from."""

    tau: float
    log_one_minus_tau: float
    log_upsilon: float
    collision_term: float
    tau_from: str = "prior"
    upsilon_from: str = "prior"
    collision_term_from: str = "prior"

    @classmethod
    def many(cls, ks: NDArray[np.int64], prior: Prior, replace: bool = True) -> list[BoundTerms]:
        """The prior's (``replace=False``: the pool's) terms for every K in ``ks``, each quantity
        evaluated once over the whole array."""
        tau = np.atleast_1d(collision_probability(ks, prior, replace))
        l1t = np.atleast_1d(log_collision_complement(ks, prior, replace))
        lu = np.atleast_1d(log_coverage_probability(ks + 1, prior, replace))
        ct = np.atleast_1d(collision_term(ks, prior, replace))
        src = "prior" if replace else "pool"
        return [cls(float(a), float(b), float(c), float(d), src, src, src) for a, b, c, d in zip(tau, l1t, lu, ct, strict=True)]

    def measured(self, inp: BoundInputs) -> BoundTerms:
        """These terms with the measured ones of ``inp`` in their place."""
        t = self
        if inp.tau is not None:
            l1t = math.log1p(-inp.tau) if inp.tau < 1.0 else -math.inf
            t = replace(t, tau=float(inp.tau), log_one_minus_tau=l1t, tau_from="measured")
        if inp.upsilon is not None:
            lu = math.log(inp.upsilon) if inp.upsilon > 0.0 else -math.inf
            t = replace(t, log_upsilon=lu, upsilon_from="measured")
        if inp.collision_term is not None:
            t = replace(t, collision_term=float(inp.collision_term), collision_term_from="measured")
        return t


def _terms_of(inp: BoundInputs, terms: BoundTerms | None) -> BoundTerms:
    t = terms if terms is not None else BoundTerms.many(np.array([inp.k]), inp.prior, inp.replace)[0]
    return t.measured(inp)


def accuracy_at_least(bound: float) -> float:
    """The accuracy a bound on the cross-entropy L_sup certifies: max(0, 1 − bound / ln 2).

    A point is misclassified (argmax, ties counted as errors) only when another class scores at
    least as high as its own, so its own class has probability ≤ 1/2 and its loss is ≥ ln 2;
    hence P(error) ≤ L_sup / ln 2 (Markov; docs/math.md §5.1). Domain: bound ≥ 0 (natural log).
    """
    return max(0.0, 1.0 - bound / _LOSS_PER_ERROR)


def _new(method: str, inp: BoundInputs, tm: BoundTerms | None) -> Bound:
    b = Bound(method, inp.k, inp.loss, None, None, "ok", form=CITATIONS[method], certifies=CERTIFIES[method],
              d=inp.d, temperature=inp.temperature, measured_sup=inp.measured_sup)
    if method in _ON_L_SUP:
        b.chance_loss = inp.prior.entropy
    if tm is not None:
        b.tau, b.tau_from = tm.tau, tm.tau_from
        b.collision_term, b.collision_term_from = tm.collision_term, tm.collision_term_from
    return b


def _with_upsilon(b: Bound, tm: BoundTerms) -> Bound:
    b.upsilon, b.upsilon_from = math.exp(tm.log_upsilon), tm.upsilon_from
    return b


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
    return _certify(b)


def _certify(b: Bound) -> Bound:
    """What the bound says: against the chance loss, the accuracy it certifies, and whether a
    measured L_sup lies below it."""
    if b.measured_sup is not None and b.log_upper_bound is not None and b.method in _ON_L_SUP:
        b.holds = bool(math.log(b.measured_sup) <= b.log_upper_bound) if b.measured_sup > 0 else True
    if b.chance_loss is not None:
        if b.upper_bound is None:
            b.informative = False
        else:
            b.informative = bool(b.upper_bound < b.chance_loss)
            b.accuracy_at_least = accuracy_at_least(b.upper_bound)
    return b


def _log_pos(x: float) -> float | None:
    return math.log(x) if x > 0 else None


def _d_of(b: Bound, inp: BoundInputs) -> float:
    if inp.d is None:
        b.status = "assumes_d_zero"
        b.notes.append("d(f) not given: d = 0 assumed, which understates the bound")
        return 0.0
    return inp.d


def _note_upsilon_zero(b: Bound, inp: BoundInputs, tm: BoundTerms) -> None:
    if tm.log_upsilon == -math.inf:
        if tm.upsilon_from == "measured":
            b.notes.append("measured υ = 0: no draw of K+1 covered every class")
        else:
            b.notes.append(f"υ_{{K+1}} = 0: K+1 = {inp.k + 1} < C = {inp.prior.n_classes}")


def arora(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Arora et al. (2019): L_sup ≤ (L_cont − E[ln(1+Col)] − d) / ((1 − τ_K) υ_{K+1})
    (docs/math.md §5, docs/arora.md). Domain: L_cont ≥ 0, K ≥ 0, d ≤ 0."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    b = _with_upsilon(_new("arora", inp, tm), tm)
    d = _d_of(b, inp)
    _note_upsilon_zero(b, inp, tm)
    return _finish(b, _log_pos(inp.loss - tm.collision_term - d), tm.log_one_minus_tau + tm.log_upsilon)


def arora_ns(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Nozawa & Sato's comparison form of Arora et al.'s bound (their Figures 1–2; UNS
    code/notebooks/bound.ipynb cell 7): (L_cont − L̂_curl-sub − E[ln(1+Col)] − d) / (1 − τ_K),
    where L̂_curl-sub (``curl_sub``, default 0, which keeps the number an upper bound) is the
    measured sub-task loss of anchors without collision in draws that miss a class, as a share of
    all anchors. It bounds the rest of CURL's no-collision sub-task loss — the draws that cover
    every class — divided by 1 − τ_K; without υ it is not a bound on L_sup (docs/arora.md).
    Domain: L_cont ≥ 0, K ≥ 0, d ≤ 0, curl_sub ≥ 0."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    b = _new("arora-ns", inp, tm)
    b.curl_sub = inp.curl_sub
    d = _d_of(b, inp)
    if inp.curl_sub is None:
        b.notes.append("curl_sub not given: 0 used (keeps the number an upper bound)")
    sub = inp.curl_sub if inp.curl_sub is not None else 0.0
    return _finish(b, _log_pos(inp.loss - sub - tm.collision_term - d), tm.log_one_minus_tau)


def _nozawa_sato(method: str, sub_share: float, inp: BoundInputs, terms: BoundTerms | None) -> Bound:
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    b = _with_upsilon(_new(method, inp, tm), tm)
    b.l_sub = inp.l_sub
    d = _d_of(b, inp)
    l_sub = inp.l_sub if inp.l_sub is not None else 0.0
    if inp.l_sub is None:
        b.notes.append("L_sub not given: 0 used (keeps the bound valid)")
    if tm.log_upsilon == -math.inf:
        _note_upsilon_zero(b, inp, tm)
        b.status = "vacuous"
        return _certify(b)
    one_minus_ups = -math.expm1(tm.log_upsilon)
    return _finish(b, _log_pos(2 * (inp.loss - d) - tm.collision_term - sub_share * one_minus_ups * l_sub), tm.log_upsilon)


def nozawa_sato(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Nozawa & Sato (2021), Eq. 10: L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ) L_sub) / υ
    (docs/math.md §5, docs/nozawa-sato.md). Domain: L_cont ≥ 0, K ≥ 0, d ≤ 0, L_sub ≥ 0."""
    return _nozawa_sato("nozawa-sato", 1.0, inp, terms)


def nozawa_sato_uns(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Nozawa & Sato's Eq. 10 as their notebook computes it (UNS code/notebooks/bound.ipynb
    cell 7): L_sup ≤ (2(L_cont − d) − E[ln(1+Col)] − (1 − υ) L_sub / 2) / υ — half of the
    (1 − υ) L_sub term subtracted, so valid but looser than Eq. 10 (docs/nozawa-sato.md).
    Domain as :func:`nozawa_sato`."""
    return _nozawa_sato("nozawa-sato-uns", 0.5, inp, terms)


def ash(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Ash et al. (2022): L_sup ≤ 2 max{1, 2(C−1)H_{C−1}/K} / (1 − τ_K) · (L_cont − E[ln(1+Col)])
    (docs/math.md §5, docs/ash.md). Domain: L_cont ≥ 0, K ≥ 0 (K = 0 is vacuous)."""
    inp = _validate(inp)
    tm = _terms_of(inp, terms)
    b = _new("ash", inp, tm)
    if inp.d is not None:
        b.notes.append("d(f) is not part of this bound")
    if inp.k == 0:
        b.status = "vacuous"
        b.notes.append("K = 0 negatives")
        return _certify(b)
    c = inp.prior.n_classes
    factor = max(1.0, 2.0 * (c - 1) * harmonic(c - 1) / inp.k)
    return _finish(b, _log_pos(2.0 * factor * (inp.loss - tm.collision_term)), tm.log_one_minus_tau)


def _log_cosh(x: float) -> float:
    return x + math.log1p(math.exp(-2.0 * x)) - math.log(2.0)


def bao(inp: BoundInputs, terms: BoundTerms | None = None) -> Bound:
    """Bao, Nagano & Nozawa (2022): L_sup ≤ L_cont + ln(ρ_max C² cosh²(b²)/K), and the
    lower bound L_sup ≥ L_cont + H(ρ) + ln K − 2 ln(K+1) − 2 ln cosh(b²) of their code
    (docs/math.md §5, docs/bao.md). Needs the temperature t (b² = 1/t) or the norm bound b.
    ``terms`` is accepted for a uniform signature; this bound uses none of them.
    Domain: L_cont ≥ 0, K ≥ 1 (K = 0 is vacuous), t > 0 or b > 0."""
    inp = _validate(inp)
    b = _new("bao", inp, None)
    if inp.d is not None:
        b.notes.append("d(f) is not part of this bound")
    if inp.temperature is None and inp.norm_bound is None:
        b.status = "needs_temperature"
        b.chance_loss = None
        b.notes.append("give the temperature t (b² = 1/t) or the feature-norm bound b")
        return b
    if inp.k == 0:
        b.status = "vacuous"
        b.notes.append("K = 0 negatives")
        return _certify(b)
    b2 = 1.0 / inp.temperature if inp.temperature is not None else float(inp.norm_bound or 0.0) ** 2
    p = inp.prior
    c = p.n_classes
    lc = _log_cosh(b2)
    ub = inp.loss + math.log(p.max_probability) + 2 * math.log(c) + 2 * lc - math.log(inp.k)
    b.lower_bound = max(0.0, inp.loss + p.entropy + math.log(inp.k) - 2 * math.log(inp.k + 1) - 2 * lc)
    if ub <= 0:
        b.status = "vacuous"
        b.notes.append("upper bound ≤ 0")
        return _certify(b)
    b.upper_bound = ub
    b.log_upper_bound = math.log(ub)
    return _certify(b)


_FUNCS: dict[str, Callable[[BoundInputs, BoundTerms | None], Bound]] = {
    "arora": arora,
    "arora-ns": arora_ns,
    "nozawa-sato": nozawa_sato,
    "nozawa-sato-uns": nozawa_sato_uns,
    "ash": ash,
    "bao": bao,
}

#: What each status means, for the notes under a table of bounds.
STATUS_NOTES = {
    "assumes_d_zero": "assumes_d_zero: d(f) was not given; d = 0 was used, so the true Arora and "
    "Nozawa–Sato bounds are larger (d ≤ 0).",
    "vacuous": "vacuous: no finite bound (υ_(K+1) = 0 when K+1 < C or no measured draw covered every class, "
    "1 − τ_K = 0, or a numerator ≤ 0).",
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


def certificate_notes(bounds: Sequence[Bound], uniform: bool = False) -> list[str]:
    """What the bounds certify, in words: the chance loss they are measured against, whether any
    is informative (and the best accuracy certified), which terms were measured, and the forms
    that are not bounds on L_sup. ``uniform``: the prior is uniform, so H(ρ) is written ln C."""
    on_sup = [b for b in bounds if b.chance_loss is not None]
    notes: list[str] = []
    if on_sup:
        h = float(on_sup[0].chance_loss or 0.0)
        name = "ln C" if uniform else "H(ρ)"
        good = [b for b in on_sup if b.informative]
        chance = f"the chance loss {name} = {h:.4g} (a constant classifier's cross-entropy)"
        if not good:
            notes.append(f"No bound is below {chance}: none certifies anything about the downstream classifier.")
        else:
            best = max(good, key=lambda b: b.accuracy_at_least or 0.0)
            acc = f"; the best certifies accuracy ≥ {best.accuracy_at_least:.3g} ({best.method}, K = {best.k})" \
                if best.accuracy_at_least else "; none certifies any accuracy (that needs a bound below ln 2)"
            notes.append(f"informative: {len(good)} of {len(on_sup)} bounds on L_sup are below {chance}{acc}.")
    measured = sorted({name for b in bounds for name in ("tau", "upsilon", "collision_term")
                       if getattr(b, f"{name}_from") == "measured"})
    if measured:
        notes.append(f"measured terms: {', '.join(measured)}; the others from the prior or pool.")
    if any(b.tau_from == "pool" for b in bounds):
        notes.append("τ_K, υ_(K+1) and E[ln(1+Col)] are exact for draws without replacement from the pool.")
    if any(b.method == "arora-ns" for b in bounds):
        notes.append(f"arora-ns bounds the {CERTIFIES['arora-ns']}.")
    return notes


def parse_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """Method names from "all" (the published bounds on L_sup: METHODS), a comma list or a
    sequence (case and _/- folded); the reproduction forms (FORMS) only by name; unknown refused."""
    known = ", ".join((*METHODS, *FORMS))
    if isinstance(methods, str):
        if methods.strip().lower() == "all":
            return METHODS
        methods = methods.split(",")
    ms = tuple(m.strip().lower().replace("_", "-") for m in methods if m.strip())
    if not ms:
        raise InputError(f"methods: no method given; choose all or from {known}")
    for m in ms:
        if m not in _FUNCS:
            raise InputError(f"methods: unknown {m!r}; choose all or from {known}")
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


#: The per-K inputs of :func:`compute_bounds` beside the loss, in BoundInputs' names.
_PER_K = ("d", "l_sub", "curl_sub", "collision_term", "tau", "upsilon", "temperature", "norm_bound", "measured_sup")


def compute_bounds(
    loss: Any,
    k: ArrayLike,
    prior: PriorLike,
    methods: str | Sequence[str] = METHODS,
    *,
    d: Any = None,
    l_sub: Any = None,
    curl_sub: Any = None,
    collision_term: Any = None,
    tau: Any = None,
    upsilon: Any = None,
    temperature: Any = None,
    norm_bound: Any = None,
    measured_sup: Any = None,
    replace: bool = True,
) -> list[Bound]:
    """All requested bounds for each (loss, K) pair: one :class:`Bound` per (K, method).

    ``loss`` and ``k`` are scalars or equal-length sequences (one loss per K); every keyword
    likewise (one value for all K, one per K, or None; a None entry means "not given" for that
    K). ``tau``, ``upsilon`` and ``collision_term`` are measured values that replace the prior's
    (each in [0, 1], resp. ≥ 0); the others come from the prior (i.i.d.) or, with
    ``replace=False``, exactly from the pool of per-class counts drawn without replacement.
    ``methods`` is "all" (arora, nozawa-sato, ash, bao), a comma list or a sequence, also of the
    reproduction forms arora-ns and nozawa-sato-uns. The prior's terms are evaluated once per
    distinct K, over all K at once.
    """
    p = as_prior(prior)
    ks = whole_numbers(np.atleast_1d(np.asarray(k)), "k")
    n = ks.size
    losses = _per_k(loss, "loss", n)
    given = {"d": d, "l_sub": l_sub, "curl_sub": curl_sub, "collision_term": collision_term, "tau": tau, "upsilon": upsilon,
             "temperature": temperature, "norm_bound": norm_bound, "measured_sup": measured_sup}
    cols = {name: _per_k(given[name], name, n) for name in _PER_K}
    ms = parse_methods(methods)
    if not replace:
        require_pool(p, "replace")
    uniq, inverse = np.unique(ks, return_inverse=True)
    needs_terms = any(m != "bao" for m in ms) and n > 0
    if needs_terms and not replace and uniq.size and uniq[-1] > p.total - 1:
        raise InputError(f"k: at most N − 1 = {int(p.total) - 1} negatives without replacement from the pool")
    terms = BoundTerms.many(uniq, p, replace) if needs_terms else None
    out: list[Bound] = []
    for i, kv in enumerate(ks):
        lv = losses[i]
        if lv is None:
            raise InputError(f"loss: missing for K = {int(kv)}")
        inp = BoundInputs(lv, int(kv), p, replace=replace, **{name: cols[name][i] for name in _PER_K})
        tm = terms[int(inverse[i])] if terms is not None else None
        out.extend(_FUNCS[m](inp, tm) for m in ms)
    return out
