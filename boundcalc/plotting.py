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

__all__ = ["bounds_figure", "coverage_figure", "negatives_figure", "save", "require_matplotlib", "SUFFIXES"]

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


def bounds_figure(
    rows: Sequence[Bound], measured_sup: dict[int, float] | None = None, title: str | None = None
) -> tuple[Any, dict[str, list[tuple[int, float | None, str]]]]:
    """Upper bounds on L_sup against K (log–log axes), one line per method.

    Vacuous points are drawn as crosses on the lower edge and bounds beyond the plotted range
    as triangles on the upper edge, both labelled; none is dropped. Measured L_sup, when
    given, is drawn as black dots. Returns (figure, data) with data[method] = list of
    (K, upper bound or None, status).
    """
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    data: dict[str, list[tuple[int, float | None, str]]] = {}
    for b in rows:
        data.setdefault(b.method, []).append((b.k, b.upper_bound, b.status))
    finite = [u for pts in data.values() for _, u, _ in pts if u is not None and math.isfinite(u) and u > 0]
    if measured_sup:
        finite += [v for v in measured_sup.values() if v > 0]
    lo = min(finite) / 2 if finite else 0.1
    hi_cap = max(finite) * 3 if finite else 10.0
    marked_vacuous = marked_off = False
    for method in [m for m in METHODS if m in data]:
        st = _STYLE[method]
        pts = sorted(data[method])
        ks = np.array([k for k, _, _ in pts], dtype=float)
        ub = np.array([u if (u is not None and math.isfinite(u) and u <= hi_cap) else np.nan for _, u, _ in pts])
        ax.plot(ks, ub, color=st["color"], marker=st["marker"], ms=4, lw=1.5, label=st["label"])
        vac = np.array([u is None for _, u, _ in pts])
        off = np.array([u is not None and (not math.isfinite(u) or u > hi_cap) for _, u, _ in pts])
        if vac.any():
            ax.plot(ks[vac], np.full(vac.sum(), lo), ls="none", marker="x", ms=7, color=st["color"], clip_on=False)
            marked_vacuous = True
        if off.any():
            ax.plot(ks[off], np.full(off.sum(), hi_cap), ls="none", marker="^", ms=7, color=st["color"], clip_on=False)
            marked_off = True
    if marked_vacuous:
        ax.plot([], [], ls="none", marker="x", color="grey", label="vacuous: no finite bound (lower edge)")
    if marked_off:
        ax.plot([], [], ls="none", marker="^", color="grey", label="beyond float64 (upper edge)")
    if measured_sup:
        mk = sorted(measured_sup)
        ax.plot(mk, [measured_sup[k] for k in mk], ls="none", marker="o", color="black", ms=5, label="measured $L_{sup}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(lo, hi_cap)
    ax.set_xlabel("number of negatives $K$")
    ax.set_ylabel("upper bound on supervised loss $L_{sup}$")
    ax.set_title(title or "Bounds on the supervised loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig, data


def coverage_figure(
    priors: Sequence[Prior], k_max: int, replace: bool = True, points: int = 600, title: str | None = None
) -> tuple[Any, dict[str, dict[str, Any]]]:
    """υ_{K+1} (top) and 1 − υ_{K+1} on a log axis (bottom) against K, for one or more priors,
    with E[T] − 1 and the 50/90/99% quantiles (K needed) marked.

    Returns (figure, data) with data[prior name] = dict(k, upsilon, one_minus_upsilon,
    expected_k, quantile_k).
    """
    from .coverage import cover_time, coverage_probability, coverage_sf

    if k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {k_max}")
    plt = require_matplotlib()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6.4, 6.0), sharex=True)
    data = {}
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    for i, p in enumerate(priors):
        col = colors[i % len(colors)]
        ks = np.unique(np.linspace(max(0, p.n_classes - 1), k_max, points).round().astype(np.int64))
        ups = coverage_probability(ks + 1, p, replace)
        sf = coverage_sf(ks + 1, p, replace)
        t = cover_time(p, replace)
        qk = {q: t.ppf(q) - 1 for q in (0.5, 0.9, 0.99)}
        ek = t.mean() - 1
        data[p.name] = dict(k=ks, upsilon=ups, one_minus_upsilon=sf, expected_k=ek, quantile_k=qk)
        label = f"{p}: E[T]−1 = {ek:.0f}, 99% at K = {qk[0.99]:.0f}"
        ax1.plot(ks, ups, color=col, lw=1.6, label=label)
        ax2.plot(ks, np.where(sf > 0, sf, np.nan), color=col, lw=1.6, label=label)
        ax1.axvline(ek, color=col, ls="--", lw=1)
        inside = [q for q, k in qk.items() if k <= k_max]
        ax1.plot([qk[q] for q in inside], inside, ls="none", marker="o", ms=4, color=col)
        ax2.plot([qk[q] for q in inside], [1 - q for q in inside], ls="none", marker="o", ms=4, color=col)
    for q in (0.5, 0.9, 0.99):
        ax1.axhline(q, color="grey", ls=":", lw=0.8)
        ax2.axhline(1 - q, color="grey", ls=":", lw=0.8)
    ax1.set_ylabel(r"coverage $\upsilon_{K+1}$")
    ax1.set_ylim(-0.02, 1.02)
    ax2.set_yscale("log")
    ax2.set_ylabel(r"$1-\upsilon_{K+1}$")
    ax2.set_xlabel("number of negatives $K$")
    ax1.set_title(title or "Probability that K+1 draws contain every class")
    ax1.legend(fontsize=7, loc="upper left")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    fig.text(0.01, 0.005, "dashed: E[T]−1;  dots: the K at which υ reaches 50%, 90%, 99% (dotted levels)", fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    return fig, data


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
