"""Numerically careful elementary functions used by the probability code.

Everything here is vectorised over numpy arrays and written so that no step cancels away the
digits of its result:

* ``stirlerr`` and ``bd0`` are C. Loader's building blocks ("Fast and accurate computation of
  binomial probabilities", 2000): they give the Poisson and binomial log-pmf without forming
  ``ln n! − n ln λ`` (which for n = 10^7 would lose eight digits);
* ``cexpm1``, ``clog1p`` and ``log1mexp`` are e^z − 1, ln(1 + w) and ln(1 − e^{−z}) for complex
  (or real) arguments, accurate for small and large |z|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

LN_2PI = math.log(2 * math.pi)
_LN2 = math.log(2.0)

#: Below e^{−600} (about 1e−261) a positive L satisfies 1 − e^{−L} = L to double precision
#: (the next term, L²/2, is 1e−261 relative), so logs of such complements need no exp at all.
LOG_NEGLIGIBLE = -600.0

#: Largest argument of exp that stays finite in float64 (ln of the largest double, 1.797e308).
LOG_FLOAT_MAX = math.log(np.finfo(np.float64).max)

#: Euler–Mascheroni constant γ.
EULER_GAMMA = 0.57721566490153286061

#: Up to this n, harmonic numbers are summed term by term (exact to rounding); beyond, the
#: asymptotic series below has error under 1/(240 n^8) < 1e−34.
_HARMONIC_DIRECT = 10_000

# δ(n) = ln n! − (n + ½) ln n + n − ½ ln 2π for n = 0..15, to 22 digits (the values of Loader's
# table, as in R's nmath/stirlerr.c; checked against mpmath in tests/test_special.py). Forming them
# from math.lgamma would lose three digits to cancellation (δ(14) ≈ 0.006 against ln 15! ≈ 25).
_STIRLERR_TABLE = np.array([
    0.0,
    0.08106146679532725821967, 0.04134069595540929409382, 0.02767792568499833914879,
    0.02079067210376509311152, 0.01664469118982119216319, 0.01387612882307074799875,
    0.01189670994589177009506, 0.01041126526197209649748, 0.009255462182712732917729,
    0.008330563433362871256469, 0.007573675487951840794972, 0.006942840107209529865664,
    0.00640899418800420706844, 0.005951370112758847735624, 0.005554733551962801371039,
])


#: Largest n read from the table; beyond it the series below has error < 1/(1188 n^9) < 1e−14 δ(n).
_STIRLERR_TABULATED = 15


def _stirling_series(n: Any) -> Any:
    """1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷) + 1/(1188n⁹), for a float or an array."""
    nn = 1.0 / (n * n)
    return (1 / 12 - nn * (1 / 360 - nn * (1 / 1260 - nn * (1 / 1680 - nn / 1188)))) / n


def stirlerr(n: ArrayLike) -> NDArray[np.float64]:
    """δ(n) = ln n! − (n + ½) ln n + n − ½ ln(2π), for integers n ≥ 1 (Stirling's error).

    Table for n ≤ 15, else the asymptotic series 1/(12n) − 1/(360n³) + … (Loader 2000).
    """
    n = np.asarray(n, dtype=np.float64)
    small = n <= _STIRLERR_TABULATED
    series = _stirling_series(np.where(small, _STIRLERR_TABULATED + 1.0, n))
    table = _STIRLERR_TABLE[np.clip(n, 0, _STIRLERR_TABULATED).astype(np.int64)]
    return np.where(small, table, series)


def stirlerr_one(n: float) -> float:
    """:func:`stirlerr` for one whole number n ≥ 1, in plain floats (no array overhead)."""
    return float(_STIRLERR_TABLE[int(n)]) if n <= _STIRLERR_TABULATED else float(_stirling_series(float(n)))


def bd0(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """D(x, m) = x ln(x/m) + m − x ≥ 0, without cancellation when x ≈ m (Loader 2000).

    Domain: x ≥ 0, m > 0.
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    x, m = np.broadcast_arrays(x, m)
    near = np.abs(x - m) < _BD0_NEAR * (x + m)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(x > 0, x * np.log(x / m), 0.0) + m - x
        v = (x - m) / (x + m)
        s = (x - m) * v
        ej = 2 * x * v
        v2 = v * v
        for j in range(1, 12):  # |v| < 0.1: each term shrinks by at least 100x (to < 1e-22)
            ej = ej * v2
            s = s + ej / (2 * j + 1)
    return np.where(near, s, direct)


#: bd0's series is used where |x − m| < _BD0_NEAR (x + m), i.e. |v| < 0.1.
_BD0_NEAR = 0.1


def bd0_one(x: float, m: float) -> float:
    """:func:`bd0` for one pair of floats (x ≥ 0, m > 0), in plain floats; the series is
    summed until its terms no longer change the sum."""
    if abs(x - m) >= _BD0_NEAR * (x + m):
        return (x * math.log(x / m) if x > 0 else 0.0) + m - x
    v = (x - m) / (x + m)
    s = (x - m) * v
    ej = 2 * x * v
    v2 = v * v
    j = 1
    while True:
        ej *= v2
        nxt = s + ej / (2 * j + 1)
        if nxt == s:
            return s
        s, j = nxt, j + 1


def log_poisson_pmf_one(n: int, lam: float) -> float:
    """:func:`log_poisson_pmf` for one whole n ≥ 0 and λ > 0, in plain floats."""
    if n == 0:
        return -lam
    return -stirlerr_one(n) - bd0_one(float(n), lam) - 0.5 * (LN_2PI + math.log(n))


def log_poisson_pmf(n: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """ln P(X = n) for X ~ Poisson(λ), n ≥ 0 integer, λ > 0 (Loader's saddle-point form)."""
    n = np.asarray(n, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    safe = np.where(n > 0, n, 1.0)
    val = -stirlerr(safe) - bd0(safe, lam) - 0.5 * (LN_2PI + np.log(safe))
    return np.where(n > 0, val, -lam)


def log_binom_pmf(n: np.ndarray, total: float, odds: np.ndarray) -> np.ndarray:
    """ln P(X = n) for X ~ Binomial(N, p) with p = odds / (1 + odds), 0 < n < N (Loader 2000).

    Parametrised by the odds r = p/(1−p) > 0 so that p and 1 − p are both exact.
    """
    n = np.asarray(n, dtype=np.float64)
    big_n = float(total)
    p = odds / (1.0 + odds)
    q = 1.0 / (1.0 + odds)
    return (
        stirlerr(big_n)
        - stirlerr(n)
        - stirlerr(big_n - n)
        - bd0(n, big_n * p)
        - bd0(big_n - n, big_n * q)
        + 0.5 * (np.log(big_n) - LN_2PI - np.log(n) - np.log(big_n - n))
    )


def log_binom_coef(total: int, n: int) -> float:
    """ln binom(N, n) for 0 < n < N, without the cancellation of ln N! − ln n! − ln (N−n)!.

    From the binomial pmf at p = n/N (Loader's form, where the bd0 terms vanish):
    ln binom(N, n) = ln Binom(n; N, n/N) − n ln(n/N) − (N − n) ln(1 − n/N), taken at
    k = min(n, N − n) (binom(N, n) = binom(N, N − n)) so that 1 − k/N is exact.
    """
    big_n, k = float(total), float(min(n, total - n))
    log_pmf = float(log_binom_pmf(np.array([k]), big_n, np.array([k / (big_n - k)]))[0])
    return log_pmf - k * math.log(k / big_n) - (big_n - k) * math.log1p(-k / big_n)


def cexpm1(z: np.ndarray) -> np.ndarray:
    """e^z − 1 for complex z, with full relative accuracy near z = 0."""
    x, y = z.real, z.imag
    s = np.sin(0.5 * y)
    return (np.expm1(x) * np.cos(y) - 2.0 * s * s) + 1j * (np.exp(x) * np.sin(y))


def clog1p(w: np.ndarray) -> np.ndarray:
    """ln(1 + w) for complex w, with full accuracy near w = 0 (numpy's loses it)."""
    a, b = w.real, w.imag
    with np.errstate(divide="ignore"):
        return 0.5 * np.log1p(a * (2.0 + a) + b * b) + 1j * np.arctan2(b, 1.0 + a)


#: log1mexp of complex z with Re z above this (|e^{−z}| below 1/16) sums the series of
#: ln(1 − w), at most ⌈53 ln 2 / ln 16⌉ = 14 terms, until the next term is below _HALF_ULP of the first.
_LOG1P_SERIES_FROM = math.log(16.0)
_HALF_ULP = 2.0**-54


def log1mexp(z: np.ndarray) -> np.ndarray:
    """ℓ(z) = ln(1 − e^{−z}) for Re z > 0, real or complex (Mächler's two-branch rule)."""
    z = np.asarray(z)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        if not np.iscomplexobj(z):  # both branches everywhere: fewer operations than masking
            return np.where(z > _LN2, np.log1p(-np.exp(-z)), np.log(-np.expm1(-z)))
        low = z.real.min() if z.size else 0.0
        if low > _LN2:  # the far branch alone (the usual case)
            w = np.exp(-z)
            if low < _LOG1P_SERIES_FROM:
                return clog1p(-w)
            # |w| ≤ e^{−low} is small: ln(1 − w) = −w (1 + w/2 + w²/3 + …) to the power of w whose
            # terms fall below _HALF_ULP relative (fewer operations than a complex log1p).
            terms = math.ceil(math.log(_HALF_ULP) / -low)
            acc = np.full_like(w, 1.0 / terms)
            for k in range(terms - 1, 0, -1):
                acc = acc * w + 1.0 / k
            return -w * acc
        out = np.empty_like(z)
        far = z.real > _LN2
        near = ~far
        out[far] = clog1p(-np.exp(-z[far]))
        out[near] = np.log(-cexpm1(-z[near]))
    return out


def log_neg_log1mexp(z: np.ndarray) -> np.ndarray:
    """ln(−ℓ(z)) = ln(−ln(1 − e^{−z})) for Re z > 0, without underflow for large z.

    For large z, −ℓ(z) = e^{−z} (1 + e^{−z}/2 + …), so ln(−ℓ) = −z + ln(−log1p(−w)/w), w = e^{−z}.
    """
    z = np.asarray(z)
    complex_ = np.iscomplexobj(z)
    if not complex_:
        z = z.astype(np.float64, copy=False)
    out = np.empty_like(z)
    far = z.real > 1.0
    near = ~far
    zf = z[far]
    with np.errstate(under="ignore"):
        w = np.exp(-zf)
    small = np.abs(w) < 1e-4
    corr = np.empty_like(w)
    ws = w[small]
    corr[small] = ws * (0.5 + ws * (5 / 24 + ws / 8))  # ln(1 + w/2 + w²/3 + w³/4 + …)
    wb = w[~small]
    log1p_ = clog1p if complex_ else np.log1p
    corr[~small] = np.log(-log1p_(-wb) / wb)
    out[far] = corr - zf
    out[near] = np.log(-log1mexp(z[near]))
    return out


def log_one_minus_exp_of(log_neg_l: np.ndarray) -> np.ndarray:
    """ln(1 − e^{L}) given λ = ln(−L) (so L = −e^λ < 0), real or complex, for any λ.

    When |L| is below the float range this is λ itself (1 − e^{L} = −L to double precision).
    """
    complex_ = np.iscomplexobj(log_neg_l)
    with np.errstate(under="ignore", over="ignore", divide="ignore", invalid="ignore"):
        tiny = log_neg_l.real < LOG_NEGLIGIBLE
        lam = np.where(tiny, 0.0, log_neg_l)
        big_l = -np.exp(lam)
        if complex_:
            val = np.where(big_l.real < -_LN2, clog1p(-np.exp(big_l)), np.log(-cexpm1(big_l)))
        else:
            val = np.where(big_l < -_LN2, np.log1p(-np.exp(big_l)), np.log(-np.expm1(big_l)))
    return np.where(tiny, log_neg_l, val)


def logsumexp_weighted(log_terms: np.ndarray, weights: np.ndarray, axis: int = -1) -> np.ndarray:
    """ln Σ_u m_u e^{t_u} along ``axis`` (real or complex t, positive weights m)."""
    shift = np.max(log_terms.real, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(under="ignore"):
        total = np.sum(weights * np.exp(log_terms - shift), axis=axis)
    with np.errstate(divide="ignore"):
        return np.log(total) + np.squeeze(shift, axis=axis)


def log_all_seen(a: np.ndarray, m: np.ndarray, x: np.ndarray, chunk: int) -> np.ndarray:
    """ln Π_u (1 − e^{−a_u x})^{m_u} at each real x > 0 (every class seen by a Poisson process
    run for time x), a sum of ln(1 − e^{−y}) terms; the masses are taken in blocks of about
    ``chunk`` numbers."""
    block = max(1, chunk // max(1, x.size))
    total = np.zeros(x.shape)
    for u0 in range(0, a.size, block):
        total += np.sum(m[u0 : u0 + block] * log1mexp(a[u0 : u0 + block] * x[..., None]), axis=-1)
    return total


def log_one_minus_product(a: np.ndarray, m: np.ndarray, x: np.ndarray, chunk: int) -> np.ndarray:
    """ln(1 − Π_u (1 − e^{−a_u x})^{m_u}) at each (real or complex) x, i.e. the log-probability
    that some class is unseen by a Poisson process run for time x, as
    ln(1 − exp(−exp(ln Σ_u m_u (−ln(1 − e^{−a_u x}))))) without cancellation. The masses are
    taken in blocks of about ``chunk`` numbers, so memory is bounded for any number of them."""
    block = max(1, chunk // max(1, x.size))
    parts = [logsumexp_weighted(log_neg_log1mexp(a[u0 : u0 + block] * x[..., None]), m[u0 : u0 + block])
             for u0 in range(0, a.size, block)]
    lse = parts[0] if len(parts) == 1 else logsumexp_weighted(np.stack(parts, axis=-1), np.ones(len(parts)))
    return log_one_minus_exp_of(lse)


def first_true(pred: Callable[[int], bool], lo: int, hi: int) -> int:
    """The smallest n in (lo, hi] with pred(n), for a monotone pred with pred(lo) false and
    pred(hi) true (bisection: about log2(hi − lo) calls). Quantile functions use it."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


def harmonic(n: int, order: int = 1) -> float:
    """H_n^{(r)} = Σ_{i=1..n} 1/i^r for r = 1 or 2 (H_0 = 0).

    Direct compensated summation for n ≤ 10^4; beyond, the Euler–Maclaurin series
    H_n = ln n + γ + 1/(2n) − 1/(12n²) + 1/(120n⁴) − 1/(252n⁶) and
    H_n^{(2)} = π²/6 − 1/n + 1/(2n²) − 1/(6n³) + 1/(30n⁵) − 1/(42n⁷) (Abramowitz & Stegun 6.3.18,
    6.4.12), both accurate to double precision there. Domain: integer n ≥ 0, order 1 or 2.
    """
    if order not in (1, 2):
        raise ValueError(f"order: 1 or 2, got {order}")
    if n < 1:
        return 0.0
    if n <= _HARMONIC_DIRECT:
        i = np.arange(n, 0, -1, dtype=np.float64)  # smallest terms first
        return math.fsum(1.0 / i**order)
    x = float(n)
    inv2 = 1.0 / (x * x)
    if order == 1:
        return math.log(x) + EULER_GAMMA + 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 / 252))
    return math.pi**2 / 6 - (1.0 / x) * (1 - 0.5 / x + inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 / 42)))


def log_binom_pmf_pq(x: ArrayLike, n: ArrayLike, p: ArrayLike, q: ArrayLike) -> np.ndarray:
    """ln P(X = x) for X ~ Binomial(n, p), with p and q = 1 − p both given (each exact), for
    whole 0 ≤ x ≤ n (n ≥ 0), all broadcast: n ln q at x = 0, n ln p at x = n, else Loader's
    saddle-point form (Loader 2000, dbinom_raw), without the cancellation of lgamma differences.
    −inf off the support."""
    x, n, p, q = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, n, p, q)))
    inner = (x > 0) & (x < n)
    xs, ns = np.where(inner, x, 1.0), np.where(inner, n, 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        loader = (stirlerr(ns) - stirlerr(xs) - stirlerr(ns - xs) - bd0(xs, ns * p) - bd0(ns - xs, ns * q)
                  + 0.5 * (np.log(ns) - LN_2PI - np.log(xs) - np.log(ns - xs)))
        # ln q and ln p from the smaller of the two (log1p of it), so neither loses digits near 1
        log_q = np.where(p < 0.5, np.log1p(-p), np.log(q))
        log_p = np.where(q < 0.5, np.log1p(-q), np.log(p))
        at_zero = np.where(n > 0, n * log_q, 0.0)
        at_top = np.where(n > 0, n * log_p, 0.0)
    out = np.where(inner, loader, np.where(x == 0, at_zero, at_top))
    return np.where((x < 0) | (x > n), -np.inf, out)


def log_hypergeom_pmf(m: ArrayLike, population: float, successes: ArrayLike, draws: ArrayLike) -> np.ndarray:
    """ln P(X = m) for X ~ Hypergeometric(L items, D of them successes, K drawn), as Loader's
    product of binomials at p = K/L: Binom(m; D, p) Binom(K − m; L − D, p) / Binom(K; L, p),
    each by :func:`log_binom_pmf_pq` (relative accuracy ~1e−15 for pools up to 2^53, where
    lgamma differences lose ~|ln L!|·ε). ``m``, ``successes`` and ``draws`` broadcast. Domain: 0 ≤ D ≤ L,
    0 ≤ K ≤ L, L ≥ 1, all whole; −inf off the support."""
    big_l = float(population)
    d = np.asarray(successes, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    k = np.asarray(draws, dtype=np.float64)
    if big_l == 0:  # a pool of one item: no negative, Col = 0
        return np.where(m == 0, 0.0, -np.inf) + 0.0 * (d + k)
    p, q = k / big_l, (big_l - k) / big_l
    with np.errstate(invalid="ignore"):
        return log_binom_pmf_pq(m, d, p, q) + log_binom_pmf_pq(k - m, big_l - d, p, q) - log_binom_pmf_pq(k, big_l, p, q)

# ------------------------------------------------------------ deep left tail (issue 26)
#: Veltkamp's splitting constant 2^27 + 1: a double splits into two halves of 26 bits whose
#: products are exact.
_SPLIT = 134217729.0


def two_product(a: Any, b: Any) -> tuple[Any, Any]:
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker's TwoProduct with Veltkamp's
    splitting), elementwise for floats or arrays whose products neither overflow nor underflow."""
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def log_scaled_ratio(n: Any, a: NDArray[np.float64], total: float) -> NDArray[np.float64]:
    """ln(n a / A) for n ≥ 1 (a float or an array broadcasting against a) and masses a > 0 with
    total A: where n a is within half of A the log is log1p((n a − A)/A) with n a − A formed
    exactly (TwoProduct, then Sterbenz's lemma), so a ratio near 1 keeps its relative accuracy
    (the uniform prior's ln((C + 1)/C) at C = 10^5 is 1e−5 to full precision, where
    log(fl((C+1)/C)) carries an absolute error of 1e−16); elsewhere log(n a / A), whose
    absolute error ε is below ε|ln(n a / A)| / ln(3/2)."""
    p, e = two_product(np.asarray(n, dtype=np.float64), np.asarray(a, dtype=np.float64))
    near = np.abs(p - total) <= 0.5 * total
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(near, np.log1p(((p - total) + e) / total), np.log(p / total))


#: Terms of the series of (1 − e^{−w})/w − 1 = Σ_{k≥1} (−w)^k/(k+1)! kept for |w| ≤ 1
#: (the first left out is below 1/20! < 1e−18 of the sum); fewer where max |w| is smaller
#: (the first term left out, |w|^K/(K+1)!, below _SERIES_CUT).
_EXPM1_RATIO_TERMS = 19
_INV_FACTORIAL = [1.0 / math.factorial(k) for k in range(_EXPM1_RATIO_TERMS + 2)]
_SERIES_CUT = 1e-18


def log1mexp_over(w: Any) -> Any:
    """ln((1 − e^{−w})/w) for real or complex |w| ≤ 1, with full relative accuracy as w → 0
    (it is −w/2 + w²/24 − …): log1p of the series Σ_{k≥1} (−w)^k/(k+1)!, summed by Horner's rule.
    ln(1 − e^{−w}) = ln w + this splits off the large ln w of a class that is rarely drawn."""
    w = np.asarray(w)
    top = float(np.max(np.abs(w), initial=0.0))
    terms = 1
    while terms < _EXPM1_RATIO_TERMS and top**terms * _INV_FACTORIAL[terms + 1] > _SERIES_CUT:
        terms += 1
    acc = np.full_like(w, _INV_FACTORIAL[terms + 1])
    for k in range(terms, 1, -1):
        acc = _INV_FACTORIAL[k] - w * acc
    q = -w * acc
    return clog1p(q) if np.iscomplexobj(q) else np.log1p(q)


#: bd0_wide sums the series in v = (x − m)/(x + m) where |v| < _BD0_WIDE (x/m within [1/3, 3]);
#: its terms fall by v² ≤ 1/4, so _BD0_WIDE_TERMS of them reach 1e−17 of the sum.
_BD0_WIDE = 0.5
_BD0_WIDE_TERMS = 28


def bd0_wide(x: Any, m: Any) -> NDArray[np.float64]:
    """D(x, m) = x ln(x/m) + m − x ≥ 0 (as :func:`bd0`) with the series in v = (x − m)/(x + m),
    (x − m) v + 2x Σ_{j≥1} v^{2j+1}/(2j+1), used for x/m within [1/3, 3], where the direct form
    loses up to 3 digits to cancellation (at x = 2m it subtracts x − m from x ln 2); the direct
    form elsewhere (at most about 2.5 ε relative there). Domain: x ≥ 0, m > 0."""
    x = np.asarray(x, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    x, m = np.broadcast_arrays(x, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (x - m) / (x + m)
        near = np.abs(v) < _BD0_WIDE
        vn = np.where(near, v, 0.0)
        v2 = vn * vn
        top = float(np.max(v2, initial=0.0))
        # terms until v^{2J} is below _SERIES_CUT (at most _BD0_WIDE_TERMS, for |v| near ½)
        count = _BD0_WIDE_TERMS if top >= 0.25 else (1 if top == 0 else min(_BD0_WIDE_TERMS, 1 + math.ceil(math.log(_SERIES_CUT) / math.log(top))))
        acc = np.full_like(v2, 1.0 / (2 * count + 1))
        for j in range(count - 1, 0, -1):
            acc = 1.0 / (2 * j + 1) + v2 * acc
        series = (x - m) * vn + 2.0 * x * vn * v2 * acc
        direct = np.where(x > 0, x * np.log(x / m), 0.0) + (m - x)
    return np.where(near, series, direct)


def compensated_sum(terms: list[Any]) -> Any:
    """Σ terms elementwise with Neumaier's compensation: the rounding errors of the running sum
    are added back at the end, so the result is within about one rounding of the exact sum of
    the (rounded) terms, however they cancel."""
    total = np.asarray(terms[0], dtype=np.float64)
    comp = np.zeros_like(total)
    for t in terms[1:]:
        t = np.asarray(t, dtype=np.float64)
        new = total + t
        comp = comp + np.where(np.abs(total) >= np.abs(t), (total - new) + t, (t - new) + total)
        total = new
    return total + comp


def bd0_wide_one(x: float, m: float) -> float:
    """:func:`bd0_wide` for one pair of floats (x ≥ 0, m > 0), in plain floats; the series is
    summed until its terms no longer change the sum."""
    v = (x - m) / (x + m)
    if abs(v) >= _BD0_WIDE:
        return (x * math.log(x / m) if x > 0 else 0.0) + (m - x)
    s = (x - m) * v
    ej = 2 * x * v
    v2 = v * v
    j = 1
    while True:
        ej *= v2
        nxt = s + ej / (2 * j + 1)
        if nxt == s:
            return s
        s, j = nxt, j + 1
