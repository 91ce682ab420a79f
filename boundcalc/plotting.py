"""Figures: every bound against K, and coverage curves (optional extra ``plot``: matplotlib).

Each function returns the matplotlib Figure and the data drawn, so that what a figure shows can
be checked number by number. :func:`save` writes PNG, SVG or PDF according to the suffix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .bounds import METHODS, Bound
from .errors import InputError, MissingExtraError
from .priors import Prior

__all__ = ["bounds_figure", "coverage_figure", "negatives_figure", "save", "require_matplotlib", "SUFFIXES", "curve_style"]

SUFFIXES = (".png", ".svg", ".pdf")
_STYLE = {
    "arora": dict(color="#d62728", marker="o", label="Arora et al. (2019)"),
    "nozawa-sato": dict(color="#1f77b4", marker="s", label="Nozawa & Sato (2021)"),
    "ash": dict(color="#2ca02c", marker="^", label="Ash et al. (2022)"),
    "bao": dict(color="#9467bd", marker="D", label="Bao, Nagano & Nozawa (2022)"),
}


def require_matplotlib() -> Any:
    """Import matplotlib with the non-interactive Agg backend, or explain which extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError('plotting needs the "plot" extra: pip install "boundcalc[plot]"') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path) -> Path:
    """Write the figure; the suffix (.png, .svg, .pdf) chooses the format."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"path: the file name must end in {', '.join(SUFFIXES)}, got {p.name!r}")
    fig.savefig(p, dpi=150, bbox_inches="tight")
    return p


#: Colours for curves that are not one of the four methods: ten distinct (matplotlib's tab10),
#: each paired with its own marker so that a grey-scale print still tells them apart.
CURVE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf")
CURVE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
#: The bounds plot's y-axis reaches this factor above the upper quartile of the finite bounds:
#: a bound beyond it (Arora's at small K explodes to 10^20 and more) is drawn at the top edge.
INFORMATIVE_SPAN = 100.0


def curve_style(i: int) -> dict[str, Any]:
    """Colour and marker of the i-th curve (distinct for ten, then line styles change too)."""
    return dict(color=CURVE_COLORS[i % 10], marker=CURVE_MARKERS[i % 10], ls=("-", "--", ":")[(i // 10) % 3])


def bounds_figure(
    rows: Sequence[Bound],
    measured_sup: dict[int, float] | None = None,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
) -> tuple[Any, dict[str, list[tuple[int, float | None, str]]]]:
    """Upper bounds on L_sup against K (log–log axes), one line per method.

    The y-axis keeps the informative range (the finite bounds up to :data:`INFORMATIVE_SPAN`
    times their upper quartile, and any measured L_sup), or ``ylim``: a bound above it is a
    triangle on the top edge with its value written beside it, a vacuous point (no finite bound)
    a cross on the bottom edge. A bound that assumed d(f) = 0 (its true value is larger) is a
    hollow marker. Each kind is in the legend, which sits outside the axes. Measured L_sup,
    when given, is black dots. Returns (figure, data) with data[method] = list of
    (K, upper bound or None, status).
    """
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(8.4, 4.4))
    data: dict[str, list[tuple[int, float | None, str]]] = {}
    for b in rows:
        data.setdefault(b.method, []).append((b.k, b.upper_bound, b.status))
    finite = sorted(u for pts in data.values() for _, u, _ in pts if u is not None and math.isfinite(u) and u > 0)
    sups = [v for v in (measured_sup or {}).values() if v > 0]
    if ylim is not None:
        lo, hi = ylim
        if not (0 < lo < hi and math.isfinite(hi)):
            raise InputError(f"ylim: two numbers 0 < low < high, got {lo:g}, {hi:g}")
    elif finite or sups:
        shown = finite + sups
        q3 = finite[(3 * len(finite)) // 4] if finite else max(sups)
        hi = min(max(shown), INFORMATIVE_SPAN * max(q3, *sups) if sups else INFORMATIVE_SPAN * q3)
        hi *= 2
        lo = min(shown) / 2
    else:
        lo, hi = 0.1, 10.0
    marks = {"vacuous": False, "clipped": False, "hollow": False}
    for method in [m for m in METHODS if m in data]:
        st = _STYLE[method]
        pts = sorted(data[method], key=lambda t: t[0])
        ks = np.array([k for k, _, _ in pts], dtype=float)
        ub = np.array([u if (u is not None and math.isfinite(u)) else np.nan for _, u, _ in pts])
        inside = np.where(ub <= hi, ub, np.nan)
        ax.plot(ks, inside, color=st["color"], lw=1.5, label=st["label"])
        hollow = np.array([s == "assumes_d_zero" for _, _, s in pts])
        for sel, face in ((~hollow, st["color"]), (hollow, "white")):
            ax.plot(ks[sel], inside[sel], ls="none", marker=st["marker"], ms=5, color=st["color"], mfc=face)
        marks["hollow"] |= bool((hollow & ~np.isnan(inside)).any())
        vac = np.array([u is None for _, u, _ in pts])
        off = np.array([u is not None and (not math.isfinite(u) or u > hi) for _, u, _ in pts])
        if vac.any():
            ax.plot(ks[vac], np.full(vac.sum(), lo), ls="none", marker="x", ms=7, color=st["color"], clip_on=False)
            marks["vacuous"] = True
        if off.any():
            ax.plot(ks[off], np.full(off.sum(), hi), ls="none", marker="^", ms=7, color=st["color"], clip_on=False)
            row = METHODS.index(method)  # one text line per method, so that values at one K don't overlap
            for (k, u, _), o in zip(pts, off, strict=True):
                if o:
                    ax.annotate(_short(u), (k, hi), xytext=(5, -9 - 7 * row), textcoords="offset points", fontsize=6,
                                color=st["color"])
            marks["clipped"] = True
    if marks["hollow"]:
        ax.plot([], [], ls="none", marker="o", color="grey", mfc="white", label="hollow: d(f) = 0 assumed\n(true bound larger)")
    if marks["vacuous"]:
        ax.plot([], [], ls="none", marker="x", color="grey", label="no finite bound (bottom edge)")
    if marks["clipped"]:
        ax.plot([], [], ls="none", marker="^", color="grey", label="above the axis: value written\n(top edge)")
    if sups:
        mk = sorted(measured_sup or {})
        ax.plot(mk, [(measured_sup or {})[k] for k in mk], ls="none", marker="o", color="black", ms=5,
                label="measured $L_{sup}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    ax.set_xlabel("number of negatives $K$")
    ax.set_ylabel("upper bound on supervised loss $L_{sup}$")
    ax.set_title(title or "Bounds on the supervised loss", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    fig.tight_layout()
    return fig, data


def _short(u: float | None) -> str:
    if u is None or not math.isfinite(u):
        return "> float64"
    e = math.floor(math.log10(u))
    return f"{u / 10**e:.1f}e{e}"


def coverage_figure(
    priors: Sequence[Prior], k_max: int, replace: bool = True, points: int = 600, title: str | None = None,
    logx: bool | None = None,
) -> tuple[Any, dict[str, dict[str, Any]]]:
    """υ_{K+1} (top) and 1 − υ_{K+1} on a log axis bounded by 1 (bottom) against K, for one or
    more priors (ten distinct colour/marker pairs), with E[T] − 1 dashed and the 50/90/99%
    quantiles (K needed) marked; the legend sits under the axes. ``logx`` puts K on a log axis
    (default: when the smallest prior's C is below k_max / 50, where a linear axis would crush
    its curve against the left edge).

    Returns (figure, data) with data[prior name] = dict(k, upsilon, one_minus_upsilon,
    expected_k, quantile_k).
    """
    from .coverage import cover_time, coverage_probability, coverage_sf

    if k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {k_max}")
    plt = require_matplotlib()
    if logx is None:
        logx = min(p.n_classes for p in priors) < k_max / LOGX_RATIO
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.4, 6.4 + 0.22 * len(priors)), sharex=True)
    data = {}
    floor = 1.0
    for i, p in enumerate(priors):
        style = curve_style(i)
        col = style["color"]
        first = max(1 if logx else 0, p.n_classes - 1)
        grid = np.geomspace(first, max(k_max, first), points) if logx else np.linspace(first, max(k_max, first), points)
        ks = np.unique(grid.round().astype(np.int64))
        ups = coverage_probability(ks + 1, p, replace)
        sf = coverage_sf(ks + 1, p, replace)
        t = cover_time(p, replace)
        qk = {q: t.ppf(q) - 1 for q in (0.5, 0.9, 0.99)}
        ek = t.mean() - 1
        data[p.name] = dict(k=ks, upsilon=ups, one_minus_upsilon=sf, expected_k=ek, quantile_k=qk)
        label = f"{p}: E[T]−1 = {ek:.0f}, 99% at K = {qk[0.99]:.0f}"
        ax1.plot(ks, ups, color=col, ls=style["ls"], lw=1.6, label=label)
        ax2.plot(ks, np.where(sf > 0, sf, np.nan), color=col, ls=style["ls"], lw=1.6)
        ax1.axvline(ek, color=col, ls="--", lw=0.9, alpha=0.8)
        inside = [q for q, k in qk.items() if k <= k_max]
        ax1.plot([qk[q] for q in inside], inside, ls="none", marker=style["marker"], ms=5, color=col)
        ax2.plot([qk[q] for q in inside], [1 - q for q in inside], ls="none", marker=style["marker"], ms=5, color=col)
        positive = np.asarray(sf)[np.asarray(sf) > 0]
        if positive.size:
            floor = min(floor, float(positive.min()))
    for q in (0.5, 0.9, 0.99):
        ax1.axhline(q, color="grey", ls=":", lw=0.8)
        ax2.axhline(1 - q, color="grey", ls=":", lw=0.8)
    ax1.set_ylabel(r"coverage $\upsilon_{K+1}$")
    ax1.set_ylim(-0.02, 1.02)
    ax2.set_yscale("log")
    ax2.set_ylim(max(floor / 3, ONE_MINUS_UPSILON_FLOOR), 1.5)  # 1 − υ ≤ 1
    ax2.set_ylabel(r"$1-\upsilon_{K+1}$")
    ax2.set_xlabel("number of negatives $K$" + (" (log scale)" if logx else ""))
    if logx:
        ax2.set_xscale("log")
    ax1.set_title(title or "Probability that K+1 draws contain every class", fontsize=10)
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    note = "dashed: E[T]−1;  markers: the K at which υ reaches 50%, 90%, 99% (dotted levels)"
    legend = fig.legend(*ax1.get_legend_handles_labels(), loc="lower center", fontsize=7, frameon=False,
                        bbox_to_anchor=(0.5, 0.0), title=note, title_fontsize=7)
    fig.canvas.draw()  # the legend's height, to keep the axes above it
    top = legend.get_window_extent().transformed(fig.transFigure.inverted()).y1
    fig.tight_layout(rect=(0, top + 0.01, 1, 1))
    return fig, data


#: The coverage plot switches K to a log axis when k_max exceeds the smallest C by this factor.
LOGX_RATIO = 50
#: Lowest 1 − υ the coverage plot shows: below it, far past any target a user sets, the curves
#: leave through the bottom edge instead of stretching the axis over hundreds of decades.
ONE_MINUS_UPSILON_FLOOR = 1e-12


#: Points on the K axis of the negatives figure (log-spaced whole numbers).
_NEGATIVES_POINTS = 80


def negatives_figure(
    prior: Prior,
    k_max: int,
    fractions: Sequence[float] = (0.001, 0.01, 0.05),
    confidence: float = 0.99,
    replace: bool = True,
    title: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Top (log axis): the expected same-class share of the hardest f·K negatives under an ideally
    clustered ranking, one line per fraction, with the random-ranking share E[Col]/K dashed. Bottom: the
    deputy rank at ``confidence`` and E[Col] against K (log axes). Returns (figure, data) with
    data = dict(k, share[f], random, deputy, mean)."""
    from .negatives import CollisionCount

    plt = require_matplotlib()
    ks = np.unique(np.geomspace(1, k_max, _NEGATIVES_POINTS).round().astype(np.int64))
    share: dict[float, list[float]] = {f: [] for f in fractions}
    random, deputy, mean = [], [], []
    for k in ks:
        col = CollisionCount(int(k), prior, replace)
        for f in fractions:
            m, in_hardest = col.hardest(f)
            share[f].append(in_hardest / m)
        mean.append(col.mean())
        random.append(mean[-1] / int(k))
        rank = col.deputy_rank(confidence)
        deputy.append(float(rank) if rank is not None else np.nan)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.4, 6.2), sharex=True)
    colors = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b"]
    for i, f in enumerate(fractions):
        ax1.plot(ks, share[f], color=colors[i % len(colors)], lw=1.8, label=f"hardest {100 * f:g}% (ideal ranking)")
    ax1.plot(ks, random, color="grey", ls="--", lw=1.2, label="random ranking: E[Col]/K")
    ax1.set_ylabel("expected same-class share")
    ax1.set_yscale("log")  # the shares span E[Col]/K = Σρ² (1e−3 for ImageNet) to nearly 1
    ax1.set_ylim(min(random) / 2, 1.5)
    ax1.legend(fontsize=7, loc="best")
    ax2.plot(ks, deputy, color="black", lw=1.6, label=f"deputy rank (other class with prob. ≥ {confidence:g})")
    ax2.plot(ks, mean, color="#1f77b4", ls=":", lw=1.4, label="E[Col], same-class negatives")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("number of negatives $K$")
    ax2.set_ylabel("rank / count")
    ax2.legend(fontsize=7, loc="upper left")
    for ax in (ax1, ax2):
        ax.grid(True, which="major", alpha=0.3)
    if any(np.isnan(deputy)):
        ax2.text(0.99, 0.02, "gaps in the deputy line: no rank up to K is safe at this confidence", transform=ax2.transAxes,
                 ha="right", va="bottom", fontsize=7, color="grey")
    ax1.set_title(title or f"Same-class negatives among the hardest — {prior}")
    fig.tight_layout()
    return fig, dict(k=ks, share=share, random=random, deputy=deputy, mean=mean)
