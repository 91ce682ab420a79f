"""The adversarial accuracy sweep: declarative cases across magnitudes, each with an independent
high-precision reference (the style of scipy.special's ``_mptestutils``).

A :class:`Case` names a quantity, a prior (grouped as (count, multiplicity) pairs) and an
argument (draws n or negatives K). :func:`cases` lays out the sweep — uniform priors from C = 1 to
10^6, priors with 2–3 distinct masses, dominant (10^12 : 1) and tiny (ρ down to 1e−12) classes,
up to 10^5 distinct masses, n from below C to far above E[T], with and without replacement —
and :func:`error` measures boundcalc against the reference: relative error of a probability
through its log (|Δ ln p| / max(1, |ln p|)), relative error of a moment or of E[ln(1+Col)].

``tests/test_adversarial.py`` runs the fast subset in CI; ``python examples/adversarial.py``
runs the full sweep and prints the worst case per quantity (the README's table).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import product

import mpmath as mp
import numpy as np

import boundcalc as bc

#: The tolerance every case must meet (log forms relative to max(1, |ln|)).
TOLERANCE = 1e-13
#: Single values below 1e−50 meet the rule |Δ ln υ| ≤ 1e−16 |ln υ| + 2 ulp(ln υ): relative
#: to |ln υ|, at most 1e−16 + 2·2^−52 (their error is |Δ ln υ| / |ln υ|).
DEEP = "ln υ < 1e−50"
DEEP_TOLERANCE = 1e-16 + 2 * 2.0**-52
#: ln(1e−50): where the deep rule applies.
_LOG_DEEP = -50 * math.log(10)

#: Most digits a reference may use (beyond, the case is too extreme for this reference).
_MAX_DIGITS = 5000

QUANTITIES = ("ln υ", "ln(1 − υ)", "ln υ, without replacement", "ln(1 − υ), without replacement",
              "P(T = n)", "E[T]", "Var[T]", "E[T], without replacement", "Var[T], without replacement",
              "τ_K", "ln(1 − τ_K)", "E[ln(1+Col)]", "P(Col = m)",
              DEEP, "ln υ, whole curve", "ln(1 − υ), whole curve")


def tolerance(quantity: str) -> float:
    """The tolerance of a quantity's error (see :func:`error`)."""
    return DEEP_TOLERANCE if quantity == DEEP else TOLERANCE


@dataclass(frozen=True)
class Case:
    quantity: str
    groups: tuple[tuple[int, int], ...]  # (count per class, number of such classes)
    arg: int
    label: str
    extra: int = 0  # m of P(Col = m)

    @property
    def counts(self) -> list[int] | bc.Prior:
        if len(self.groups) == 1 and self.groups[0][0] == 1 and self.groups[0][1] > 10**4:
            return bc.Prior.uniform(self.groups[0][1])
        return bc.Prior(np.array([float(a) for a, _ in self.groups]), np.array([m for _, m in self.groups], dtype=np.int64),
                        True, self.label)


# ------------------------------------------------------------------------------ references
def _digits_for(groups: tuple[tuple[int, int], ...]) -> int:
    """Working digits for an alternating inclusion–exclusion sum over these groups: the terms
    reach 2^C, so about C log10 2 digits cancel, plus 40 kept."""
    return 40 + int(sum(m for _, m in groups) * math.log10(2)) + 10


def _subsets(groups: tuple[tuple[int, int], ...]) -> Iterator[tuple[int, int, int]]:
    """(sign, multiplicity, mass) of every grouped subset S ≠ ∅: how many classes of each group
    are in S, the number of such subsets, and N_S."""
    for js in product(*(range(m + 1) for _, m in groups)):
        if any(js):
            mult = math.prod(math.comb(m, j) for (_, m), j in zip(groups, js, strict=True))
            yield (-1) ** sum(js), mult, sum(a * j for (a, _), j in zip(groups, js, strict=True))


def ref_log_cdf_sf(groups: tuple[tuple[int, int], ...], n: int, replace: bool) -> tuple[mp.mpf, mp.mpf]:
    """(ln υ_n, ln(1 − υ_n)) by grouped inclusion–exclusion: 1 − υ_n = −Σ_{S≠∅} (−1)^{|S|}
    P(no draw in S), with P = (1 − ρ_S)^n (i.i.d.) or binom(N − N_S, n)/binom(N, n). The sum
    cancels down to the smaller of υ and 1 − υ, so it is redone with as many more digits as
    that side is small (mpmath's guard-digit practice) until 40 digits of it are kept."""
    total = sum(a * m for a, m in groups)
    if n < sum(m for _, m in groups):
        return mp.ninf, mp.mpf(0)
    digits = _digits_for(groups)
    while True:
        with mp.workdps(digits):
            terms = []
            for sign, mult, mass in _subsets(groups):
                if replace:
                    terms.append(-sign * mult * (mp.mpf(total - mass) / total) ** n if total > mass else mp.mpf(0))
                elif total - mass >= n:
                    terms.append(-sign * mult * mp.exp(mp.log(mp.binomial(total - mass, n)) - mp.log(mp.binomial(total, n))))
            if not any(terms):  # no subset can be missed: υ = 1 exactly
                return mp.mpf(0), mp.ninf
            sf = mp.fsum(terms)
            cdf = 1 - sf
            small = min(abs(sf), abs(cdf))
            lost = -int(mp.log10(small)) if small > 0 else digits
            # The sum's absolute error is 10^−(digits − C log10 2); the small side needs 40 digits.
            if small > 0 and lost <= digits - _digits_for(groups) + 10:
                return (mp.log(cdf) if cdf > 0 else mp.ninf), (mp.log(sf) if sf > 0 else mp.ninf)
            if digits > _MAX_DIGITS:
                raise ValueError(f"reference: more than {_MAX_DIGITS} digits needed")
            digits += max(lost, 20) + 20


def ref_pmf(groups: tuple[tuple[int, int], ...], n: int) -> mp.mpf:
    """P(T = n) = Σ_{S≠∅} (−1)^{|S|+1} ρ_S (1 − ρ_S)^{n−1} (i.i.d.), with digits raised until 40
    of the (small) result remain."""
    total = sum(a * m for a, m in groups)
    if n < sum(m for _, m in groups):
        return mp.mpf(0)
    digits = _digits_for(groups)
    while True:
        with mp.workdps(digits):
            v = mp.fsum(-sign * mult * (mp.mpf(mass) / total) * (mp.mpf(total - mass) / total) ** (n - 1)
                        for sign, mult, mass in _subsets(groups))
            lost = -int(mp.log10(v)) if v > 0 else digits
            if v > 0 and lost <= digits - _digits_for(groups) + 10:
                return v
            if digits > _MAX_DIGITS:
                raise ValueError(f"reference: more than {_MAX_DIGITS} digits needed")
            digits += max(lost, 20) + 20


def ref_moments(groups: tuple[tuple[int, int], ...]) -> tuple[mp.mpf, mp.mpf]:
    """E[T] = Σ_{S≠∅} (−1)^{|S|+1}/ρ_S and E[T(T+1)] = 2 Σ (−1)^{|S|+1}/ρ_S² (i.i.d.)."""
    total = sum(a * m for a, m in groups)
    with mp.workdps(_digits_for(groups)):
        mean = mp.fsum(-sign * mult * mp.mpf(total) / mass for sign, mult, mass in _subsets(groups))
        second = mp.fsum(-sign * mult * 2 * (mp.mpf(total) / mass) ** 2 for sign, mult, mass in _subsets(groups))
        return mean, second - mean - mean**2


def ref_moments_without_replacement(groups: tuple[tuple[int, int], ...]) -> tuple[Fraction, Fraction]:
    """Exact E[T] and Var[T] without replacement: with Φ(u) = Π(1 − (1−u)^{N_c}),
    E[T] = (N+1) ∫ (1 − Φ) du = Σ_{S≠∅} (−1)^{|S|+1} (N+1)/(N_S+1) and
    E[T(T+1)] = 2(N+1)(N+2) ∫ u (1 − Φ) du = Σ_{S≠∅} (−1)^{|S|+1} 2(N+1)(N+2)/((N_S+1)(N_S+2))."""
    big_n = sum(a * m for a, m in groups)
    mean = sum((Fraction(-sign * mult * (big_n + 1), mass + 1) for sign, mult, mass in _subsets(groups)), Fraction(0))
    second = sum((Fraction(-sign * mult * 2 * (big_n + 1) * (big_n + 2), (mass + 1) * (mass + 2))
                  for sign, mult, mass in _subsets(groups)), Fraction(0))
    return mean, second - mean - mean * mean


def ref_collision(groups: tuple[tuple[int, int], ...], k: int) -> tuple[Fraction, mp.mpf]:
    """(τ_K exactly, E[ln(1+Col)] in mpmath from the binomial pmf's ratio recurrence)."""
    total = sum(a * m for a, m in groups)
    miss = sum(Fraction(m * a, total) * Fraction(total - a, total) ** k for a, m in groups)
    with mp.workdps(50):
        term = mp.mpf(0)
        for a, m in groups:
            r = mp.mpf(a) / total
            p, acc, top = (1 - r) ** k, mp.mpf(0), (1 - r) ** k
            for j in range(1, k + 1):
                p = p * (k - j + 1) / j * r / (1 - r)
                top = max(top, p)
                acc += p * mp.log(1 + j)
                if j > k * r and p < top * mp.mpf(10) ** -45:
                    break
            term += m * r * acc
    return 1 - miss, term


def ref_uniform_edge(c: int, k: int) -> mp.mpf:
    """ln υ_{C+k} for the uniform prior, k = 0, 1, 2: C! S(C+k, C) / C^{C+k} with the Stirling
    numbers S(C, C) = 1, S(C+1, C) = binom(C+1, 2), S(C+2, C) = binom(C+2, 3)(3C+1)/4."""
    s = [1, math.comb(c + 1, 2), math.comb(c + 2, 3) * (3 * c + 1) // 4][k]
    with mp.workdps(40):
        return mp.loggamma(c + 1) + mp.log(s) - (c + k) * mp.log(c)


def ref_log_cdf_exact(groups: tuple[tuple[int, int], ...], n: int) -> mp.mpf:
    """ln υ_n (i.i.d.) exactly from the integer subset polynomial P(x) = Π_u (x^{a_u} − 1)^{m_u}
    = Σ_S (−1)^{C−|S|} x^{N_S}: υ_n = Σ_k [x^k]P k^n / N^n, in Python integers, logged at 50
    digits. For deep left tails, where grouped inclusion–exclusion in mpmath needs thousands of
    digits."""
    poly = {0: 1}
    for a, m in groups:
        factor = {a * j: math.comb(m, j) * (-1) ** (m - j) for j in range(m + 1)}
        new: dict[int, int] = {}
        for e1, c1 in poly.items():
            for e2, c2 in factor.items():
                new[e1 + e2] = new.get(e1 + e2, 0) + c1 * c2
        poly = {e: c for e, c in new.items() if c}
    total = sum(a * m for a, m in groups)
    num = sum(c * k**n for k, c in poly.items())
    with mp.workdps(50):
        return mp.log(num) - n * mp.log(total) if num > 0 else mp.ninf


def ref_log_cdf_digits(groups: tuple[tuple[int, int], ...], n: int) -> mp.mpf:
    """ln υ_n from boundcalc's mpmath mode at 40 digits (its own Cauchy integral with plain
    formulas at working precision, docs/math.md §3): for priors too large for exact sums."""
    with mp.workdps(50):
        return mp.log(bc.coverage_probability(n, Case("", groups, n, "").counts, digits=40))


@lru_cache(maxsize=16)
def _curve(groups: tuple[tuple[int, int], ...], last: int) -> tuple[np.ndarray, np.ndarray]:
    """(ln υ_n, ln(1 − υ_n)) for n = 0..last, evaluated as one whole curve (shared circles)."""
    return bc.coverage.log_coverage_and_sf(np.arange(0, last + 1), Case("", groups, 0, "").counts)


# ---------------------------------------------------------------------------------- sweep
def _draws(groups: tuple[tuple[int, int], ...], replace: bool) -> list[int]:
    c = sum(m for _, m in groups)
    total = sum(a * m for a, m in groups)
    p_min = min(a for a, _ in groups) / total
    mean = (math.log(c) + 0.58) / p_min if c > 1 else 1.0
    ns = {c - 1, c, c + 1, int(mean / 4), int(mean / 2), int(mean), int(2 * mean), int(5 * mean), int(20 * mean)}
    if not replace:
        ns = {min(n, total) for n in ns}
    return sorted(n for n in ns if n >= 1)


def cases(full: bool = False) -> list[Case]:
    """The sweep: the fast CI subset, or (``full``) the whole grid."""
    few = [((1, 2), (3, 1)), ((5, 3), (2, 4)), ((7, 4), (1, 6), (20, 2))]
    extreme = [((10**12, 1), (1, 10)), ((10**6, 2), (1, 8)), ((1, 5), (3, 3), (11, 2)), ((10**5, 30), (1, 1))]
    if full:
        few += [((2, 10), (1, 10)), ((100, 8), (1, 12)), ((9, 6), (4, 6), (1, 6)), ((3, 40), (1, 40))]
        extreme += [((10**12, 2), (1, 6)), ((1, 12), (10**9, 1)), ((10**4, 10), (1, 10), (100, 5))]
    out: list[Case] = []
    for groups in few + extreme:
        label = "+".join(f"{a}x{m}" for a, m in groups)
        for n in _draws(groups, True):
            out += [Case("ln υ", groups, n, label), Case("ln(1 − υ)", groups, n, label), Case("P(T = n)", groups, n, label)]
        if sum(a * m for a, m in groups) < 10**4:  # binomials of the pool stay exact and cheap
            for n in _draws(groups, False):
                out += [Case("ln υ, without replacement", groups, n, label),
                        Case("ln(1 − υ), without replacement", groups, n, label)]
        out += [Case("E[T]", groups, 0, label), Case("Var[T]", groups, 0, label),
                Case("E[T], without replacement", groups, 0, label), Case("Var[T], without replacement", groups, 0, label)]
        for k in (1, 7, 100, 10**4) if full else (1, 100):
            out += [Case("τ_K", groups, k, label), Case("ln(1 − τ_K)", groups, k, label),
                    Case("E[ln(1+Col)]", groups, k, label)]
            if k <= 100:
                out += [Case("P(Col = m)", groups, k, label, m) for m in sorted({0, 1, k // 2, k})]
    for c in ((1, 2, 10, 1000, 10**5, 10**6) if full else (1, 2, 1000, 10**6)):
        for k in (0, 1, 2):
            out.append(Case("ln υ", ((1, c),), c + k, f"uniform C={c}"))
    out += _deep_cases(full) + _curve_cases(full)
    for u in ((10, 1000, 10**5) if full else (10, 1000)):  # u distinct masses 1..u: υ_C and the far tail
        groups = tuple((a, 1) for a in range(1, u + 1))
        total = u * (u + 1) // 2
        out += [Case("ln υ", groups, u, f"distinct U={u}"),
                Case("ln(1 − υ)", groups, int(total * (math.log(u) + 80)), f"distinct U={u}")]
    return out


#: Deep left tails (υ < 1e−50): priors with 2–3 count levels (exact integer references),
#: ImageNet-1K and large uniform priors (40-digit mpmath references), n from C to where υ
#: reaches 1e−50.
_DEEP_EXACT = [((3, 200), (4, 300)), ((1, 300), (2, 100)), ((1, 200), (5, 60), (20, 40))]
_DEEP_EXACT_FULL = [((1, 600), (2, 200), (3, 100)), ((2, 400), (3, 400))]


def _deep_cases(full: bool) -> list[Case]:
    out = []
    for groups in _DEEP_EXACT + (_DEEP_EXACT_FULL if full else []):
        c = sum(m for _, m in groups)
        label = "+".join(f"{a}x{m}" for a, m in groups)
        steps = (0, 1, 2, 5, 20, c // 10, c // 4, c // 2) if full else (0, 1, 5, c // 4)
        out += [Case(DEEP, groups, c + k, f"exact {label}") for k in steps]
    uniform = [(10**4, (1, 2, 1000, 5000)), (10**5, (1, 2, 10**4, 5 * 10**4))] if full else [(10**5, (1, 10**4))]
    for c, steps in uniform:
        out += [Case(DEEP, ((1, c),), c + k, f"digits uniform C={c}") for k in steps]
    if full:
        imagenet = bc.Prior.preset("imagenet1k")
        groups = tuple((int(a), int(m)) for a, m in zip(imagenet.masses, imagenet.multiplicities, strict=True))
        out += [Case(DEEP, groups, n, "digits imagenet1k") for n in (1001, 1010, 1500, 2048, 2300)]
    return out


def _curve_cases(full: bool) -> list[Case]:
    """Points of whole curves n = 0..3C through n = C, where the shared circles must give way to
    circles of their own (large uniform C) and for 2–3 count levels."""
    out = []
    for c in ((1000, 30000, 10**5) if full else (30000,)):
        ks = [0, 1, 2, 3, 10, int(math.sqrt(c)), c // 10, c // 2, c, 2 * c]
        out += [Case(q, ((1, c),), c + k, f"curve uniform C={c}") for k in ks for q in ("ln υ, whole curve", "ln(1 − υ), whole curve")]
    for groups in _DEEP_EXACT[:2] if full else _DEEP_EXACT[:1]:
        c = sum(m for _, m in groups)
        label = "+".join(f"{a}x{m}" for a, m in groups)
        ks = [-1, 0, 1, 2, 3, 7, 20, c // 4, c // 2, c, 2 * c]
        out += [Case(q, groups, c + k, f"curve exact {label}") for k in ks for q in ("ln υ, whole curve", "ln(1 − υ), whole curve")]
    return out


def computed(case: Case) -> float:
    if case.quantity.endswith("whole curve"):
        lc, ls = _curve(case.groups, 3 * sum(m for _, m in case.groups))
        return float((lc if case.quantity.startswith("ln υ") else ls)[case.arg])
    if case.quantity == DEEP:
        return float(bc.log_coverage_probability(case.arg, case.counts))
    p = case.counts
    if case.quantity.startswith("ln υ") or case.quantity.startswith("ln(1 − υ)"):
        replace = "without" not in case.quantity
        lc, ls = bc.coverage.log_coverage_and_sf(case.arg, p, replace=replace)
        return float(lc if case.quantity.startswith("ln υ") else ls)
    if case.quantity == "P(T = n)":
        return float(bc.cover_time(p).pmf(case.arg))
    if case.quantity.startswith("E[T]") or case.quantity.startswith("Var[T]"):
        t = bc.cover_time(p, replace="without" not in case.quantity)
        return t.mean() if case.quantity.startswith("E[T]") else t.var()
    if case.quantity == "P(Col = m)":
        return float(bc.collision_pmf(case.extra, case.arg, p))
    if case.quantity == "τ_K":
        return float(bc.collision_probability(case.arg, p))
    if case.quantity == "ln(1 − τ_K)":
        return float(bc.log_collision_complement(case.arg, p))
    return float(bc.collision_term(case.arg, p))


def ref_many_masses(groups: tuple[tuple[int, int], ...], n: int, side: str) -> mp.mpf:
    """For many distinct masses: ln υ_C = ln C! + Σ ln ρ_c exactly, and in the far tail
    ln(1 − υ_n) = ln S1 with S1 = Σ_c (1 − ρ_c)^n, exact to S1/2 relative (Bonferroni)."""
    total = sum(a * m for a, m in groups)
    c = sum(m for _, m in groups)
    with mp.workdps(40):
        if side == "cdf":
            assert n == c
            return mp.loggamma(c + 1) + mp.fsum(m * mp.log(mp.mpf(a) / total) for a, m in groups)
        logs = [mp.log(m) + n * mp.log1p(-mp.mpf(a) / total) for a, m in groups]
        top = max(logs)
        log_s1 = top + mp.log(mp.fsum(mp.exp(x - top) for x in logs if x > top - 150))  # the rest < e^−150
        assert log_s1 < -30 * mp.log(10), "not far enough in the tail for this reference"
        return log_s1


def _ref_log_cdf_any(case: Case) -> mp.mpf:
    c = sum(m for _, m in case.groups)
    if case.label.startswith("digits") or case.label.startswith("curve uniform"):
        if case.label.startswith("curve uniform") and case.arg - c <= 2:
            return ref_uniform_edge(c, case.arg - c) if case.arg >= c else mp.ninf
        return ref_log_cdf_digits(case.groups, case.arg)
    return ref_log_cdf_exact(case.groups, case.arg) if case.arg >= c else mp.ninf


def reference(case: Case) -> mp.mpf:
    if case.quantity == DEEP:
        return _ref_log_cdf_any(case)
    if case.quantity.endswith("whole curve"):
        lc = _ref_log_cdf_any(case)
        if case.quantity.startswith("ln υ"):
            return lc
        with mp.workdps(60):
            return mp.log(-mp.expm1(lc)) if lc != mp.ninf else mp.mpf(0)
    if case.label.startswith("distinct"):
        return ref_many_masses(case.groups, case.arg, "cdf" if case.quantity == "ln υ" else "sf")
    if case.label.startswith("uniform"):
        c = case.groups[0][1]
        return ref_uniform_edge(c, case.arg - c)
    if case.quantity.startswith("ln υ") or case.quantity.startswith("ln(1 − υ)"):
        lc, ls = ref_log_cdf_sf(case.groups, case.arg, "without" not in case.quantity)
        return lc if case.quantity.startswith("ln υ") else ls
    if "without" in case.quantity and (case.quantity.startswith("E[T]") or case.quantity.startswith("Var[T]")):
        exact = ref_moments_without_replacement(case.groups)[0 if case.quantity.startswith("E[T]") else 1]
        with mp.workdps(50):
            return mp.mpf(exact.numerator) / exact.denominator
    if case.quantity == "P(T = n)":
        return ref_pmf(case.groups, case.arg)
    if case.quantity in ("E[T]", "Var[T]"):
        mean, var = ref_moments(case.groups)
        return mean if case.quantity == "E[T]" else var
    if case.quantity == "P(Col = m)":
        total = sum(a * m for a, m in case.groups)
        k, j = case.arg, case.extra
        exact = sum(Fraction(mult * a, total) * math.comb(k, j) * Fraction(a, total) ** j * Fraction(total - a, total) ** (k - j)
                    for a, mult in case.groups)
        with mp.workdps(50):
            return mp.mpf(exact.numerator) / exact.denominator
    tau, term = ref_collision(case.groups, case.arg)
    if case.quantity == "τ_K":
        return mp.mpf(tau.numerator) / tau.denominator
    if case.quantity == "ln(1 − τ_K)":
        with mp.workdps(50):
            return mp.log(mp.mpf((1 - tau).numerator) / (1 - tau).denominator)
    return term


def error(case: Case) -> float:
    """Relative error of boundcalc's value (log forms: |Δ| / max(1, |ln|); −inf must match)."""
    got, want = computed(case), reference(case)
    if want == mp.ninf or got == -math.inf:
        return 0.0 if (want == mp.ninf) == (got == -math.inf) else math.inf
    want_f = float(want)
    if case.quantity == DEEP:
        assert want_f < _LOG_DEEP, f"not a deep case: ln υ = {want_f}"
        return abs(got - want_f) / abs(want_f)
    if case.quantity.startswith("ln"):
        return abs(got - want_f) / max(1.0, abs(want_f))
    return abs(got - want_f) / abs(want_f) if want_f != 0 else abs(got)
