"""Figures: every bound against K, coverage curves, same-class negatives (optional extra ``plot``:
matplotlib).

Figures are :class:`matplotlib.figure.Figure` objects built without pyplot: no backend is
switched, no global figure registry holds them (a notebook's backend and figures stay as they
were), and a figure is freed as soon as its caller lets go of it. Each function returns the
Figure and the data drawn, so that what a figure shows can be checked number by number, and
takes ``ax=`` (``axes=`` for two panels) to draw into the caller's axes instead. :func:`save`
writes PNG, SVG or PDF according to the suffix (checked before matplotlib is imported) through
the same atomic write as every other output (:mod:`boundcalc.outputs`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .bounds import METHODS, Bound
from .errors import InputError, MissingExtraError
from .priors import Prior

__all__ = ["bounds_figure", "coverage_figure", "negatives_figure", "save", "figure_format", "require_matplotlib", "SUFFIXES",
           "curve_style", "X_AXES"]

SUFFIXES = (".png", ".svg", ".pdf")
#: Resolution of PNG figures (dots per inch): sharp when a figure fills a column of a printed page.
DPI = 150
_STYLE = {
    "arora": dict(color="#d62728", marker="o", label="Arora et al. (2019)"),
    "nozawa-sato": dict(color="#1f77b4", marker="s", label="Nozawa & Sato (2021)"),
    "ash": dict(color="#2ca02c", marker="^", label="Ash et al. (2022)"),
    "bao": dict(color="#9467bd", marker="D", label="Bao, Nagano & Nozawa (2022)"),
}
#: Methods that are not among the four (reproduction forms) get these colours and markers, in turn.
_OTHER_STYLES = (dict(color="#ff7f0e", marker="v"), dict(color="#8c564b", marker="P"), dict(color="#e377c2", marker="X"))


def figure_format(path: str | Path) -> str:
    """The format a figure file's suffix names (png, svg, pdf); any other suffix is refused
    (``path``). Needs no matplotlib: a wrong name is refused before any work."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise InputError(f"path: the file name must end in {', '.join(SUFFIXES)}, got {p.name!r}")
    return p.suffix.lower()[1:]


def require_matplotlib() -> Any:
    """:class:`matplotlib.figure.Figure` (no pyplot, no backend change), or an error naming the
    extra to install."""
    try:
        import matplotlib  # noqa: F401 (the package first: absent, or blocked, it says so here)
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError('plotting needs the "plot" extra: pip install "boundcalc[plot]"') from None
    return Figure


def save(fig: Any, path: str | Path) -> Path:
    """Write the figure; the suffix (.png, .svg, .pdf) chooses the format. The file is written
    as every output is (:func:`boundcalc.outputs.open_output`: atomically, the old mode kept,
    through symbolic links; devices and FIFOs directly), so a failure leaves any old file whole."""
    from .outputs import open_output

    fmt = figure_format(path)
    with open_output(path, binary=True) as fh:
        fig.savefig(fh, format=fmt, dpi=DPI, bbox_inches="tight")
    return Path(path)


#: Colours for curves that are not one of the four methods: ten distinct (matplotlib's tab10),
#: each paired with its own marker so that a grey-scale print still tells them apart.
CURVE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf")
CURVE_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
#: Line styles of runs that span several K (one line per method and run).
RUN_LINESTYLES = ("-", "--", ":", "-.")
#: The bounds plot's y-axis reaches this factor above the upper quartile of the finite bounds:
#: a bound beyond it (Arora's at small K explodes to 10^20 and more) is drawn at the top edge.
INFORMATIVE_SPAN = 100.0
#: What the x-axis of the bounds plot counts: K negatives, or K + 1 draws (the positive and K
#: negatives, as Arora et al. and Nozawa & Sato plot it).
X_AXES = ("k", "draws")
#: The linear bounds plot's y-axis reaches this factor above the least bound (what a linear axis
#: can show side by side; larger bounds are marked at the top edge).
LINEAR_SPAN = 10.0
#: Runs that share a K are drawn this far apart (octaves of K), so that their markers do not hide
#: one another; the tick stays at K.
DODGE_OCTAVES = 0.05
#: Stacked marks at the edges: a row's height, the marker's size and the marks' font size (points).
_ROW_PT = 8.5
_MARKER_PT = 5.0
_MARK_FONT = 6.5
#: Height of the bounds plot's axes (points, for the room the no-bound marks need at the bottom).
_AXES_HEIGHT_PT = 210.0
#: Gap between a stacked mark's marker and its value, and between two marks on a row (points).
_MARK_GAP_PT = 2.0
#: Tick labels: font size (points) and the width of one character relative to it (DejaVu Sans
#: digits are 0.64 em), for keeping labels apart without drawing them first.
_TICK_FONT = 8.0
_CHAR_EM = 0.64


def curve_style(i: int) -> dict[str, Any]:
    """Colour and marker of the i-th curve (distinct for ten, then line styles change too)."""
    return dict(color=CURVE_COLORS[i % 10], marker=CURVE_MARKERS[i % 10], ls=("-", "--", ":")[(i // 10) % 3])


def _method_style(method: str) -> dict[str, Any]:
    if method in _STYLE:
        return _STYLE[method]
    from .formats import LABELS

    i = sorted(m for m in _known_methods() if m not in _STYLE).index(method) if method in _known_methods() else 0
    return {**_OTHER_STYLES[i % len(_OTHER_STYLES)], "label": LABELS.get(method, method)}


def _known_methods() -> tuple[str, ...]:
    from . import bounds

    return (*METHODS, *getattr(bounds, "FORMS", ()))


@dataclass(frozen=True)
class _Entry:
    """One (run, K) of the bounds plot: where it is drawn (``x``; ``at``: dodged apart from other
    runs at the same K), its run's label (None for a plain list of K), and the measured values
    drawn beside its bounds."""

    x: float
    at: float
    k: int
    run: str | None
    measured_sup: float | None
    accuracy: float | None


def _plain(v: float) -> str:
    """A tick label without 'm×10^0': 0.5, 2, 1000, 2.5×10⁻⁴, 10²²."""
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)) + 1e-9)
    if -3 <= e <= 3:
        return f"{v:.6g}"
    m = v / 10.0**e
    if abs(m - round(m)) < 1e-6:
        m = round(m)
    return rf"$10^{{{e}}}$" if m == 1 else rf"${m:g}\times10^{{{e}}}$"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis over [lo, hi]: decades when it spans three or more (every
    n-th decade, at most eight ticks), the 1-2-5 sequence over one to three decades, else evenly
    spaced round numbers — never a lone decade with unlabelled minor ticks."""
    span = math.log10(hi / lo)
    if span >= 3:
        first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
        step = max(1, math.ceil((last - first + 1) / 8))
        return [10.0**e for e in range(first, last + 1, step)]
    if span >= 1:
        out = []
        for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
            out += [m * 10.0**e for m in (1, 2, 5) if lo <= m * 10.0**e <= hi * (1 + 1e-12)]
        return out
    return [t for t in _linear_ticks(lo, hi) if t > 0]


def _linear_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About ``n`` round values (1, 2, 2.5 or 5 × 10^e apart) within [lo, hi]."""
    raw = (hi - lo) / n
    e = math.floor(math.log10(raw))
    step = min((m * 10.0**e for m in (1, 2, 2.5, 5, 10) if m * 10.0**e >= raw), default=10.0 ** (e + 1))
    start = math.ceil(lo / step - 1e-9)
    return [round(i * step, 12) for i in range(start, math.floor(hi / step + 1e-9) + 1)]


def _set_plain_y(ax: Any, lo: float, hi: float, log: bool) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    ticks = _log_ticks(lo, hi) if log else _linear_ticks(lo, hi)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _plain(v)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _set_x_ticks(ax: Any, xs: Sequence[float]) -> list[float]:
    """Ticks at the x values plotted, labelled with them; where labels would touch, some are left
    out (the first and last kept). Returns the values labelled."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    values = sorted(set(xs))
    width_pt = ax.get_window_extent().width * 72.0 / ax.figure.dpi
    lo, hi = (math.log2(v) for v in ax.get_xlim())

    def pos(v: float) -> float:
        return (math.log2(v) - lo) / (hi - lo) * width_pt

    def half(v: float) -> float:
        return len(f"{v:g}") * _CHAR_EM * _TICK_FONT / 2 + 2

    kept: list[float] = []
    for v in values:
        if not kept or pos(v) - half(v) >= pos(kept[-1]) + half(kept[-1]):
            kept.append(v)
        elif v == values[-1] and len(kept) > 1:
            kept[-1] = v  # the last value is worth more than the one before it
    ax.xaxis.set_major_locator(FixedLocator(kept))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize=_TICK_FONT)
    return kept


def _short(u: float | None) -> str:
    """A bound for a label: three digits, ×10^k beyond 10^4 (mathtext), or '> float64'."""
    if u is None or not math.isfinite(u):
        return "> float64"
    e = math.floor(math.log10(u))
    if -3 <= e <= 3:
        return f"{float(f'{u:.3g}'):g}"
    return rf"${u / 10**e:.2f}\times10^{{{e}}}$"


def _values_text(values: Sequence[float | None]) -> str:
    """The off-axis values of one method at one K: one value, or the range over the runs."""
    if len(values) == 1:
        return _short(values[0])
    finite = sorted(v for v in values if v is not None and math.isfinite(v))
    if not finite:
        return "> float64"
    high = _short(finite[-1]) if len(finite) == len(values) else "> float64"
    return _short(finite[0]) if _short(finite[0]) == high else f"{_short(finite[0])} – {high}"


def _visible(text: str) -> str:
    """The characters a mathtext label shows (for its width)."""
    return text.replace("$", "").replace("\\times", "×").replace("{", "").replace("}", "").replace("^", "")


def _stack(ax: Any, items: list[tuple[float, dict[str, Any], str]], top: bool) -> int:
    """Marks at the top (off-axis bounds, with their values) or bottom edge (no finite bound) of
    ``ax``: each a marker at its x and, at the top, its text (left of the marker near the right
    edge); marks that would overlap go on the next row (away from the edge at the top, into the
    axes at the bottom), so that none ever touches another. Returns the rows used."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    base = ax.get_xaxis_transform()  # x in data, y in axes fraction
    scale = 72.0 / fig.dpi
    left_pt, right_pt = (v * scale for v in ax.transAxes.transform([(0, 0), (1, 0)])[:, 0])
    rows: list[list[tuple[float, float]]] = []
    half = _MARKER_PT / 2
    for x, style, text in items:
        x_pt = ax.transData.transform((x, 1.0))[0] * scale
        width = len(_visible(text)) * _CHAR_EM * _MARK_FONT + _MARK_GAP_PT if text else 0.0
        leftward = x_pt + half + width > right_pt + _MARK_GAP_PT * 4 and x_pt - half - width >= left_pt
        span = (x_pt - half - width, x_pt + half) if leftward else (x_pt - half, x_pt + half + width)
        row = next((i for i, used in enumerate(rows)
                    if all(span[1] + _MARK_GAP_PT <= a or span[0] >= b + _MARK_GAP_PT for a, b in used)), len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append(span)
        dy = (row + 0.5) * _ROW_PT + 1  # clear of the edge: above the axes at the top, inside them at the bottom
        shift = ScaledTranslation(0, dy / 72.0, fig.dpi_scale_trans)
        y = 1.0 if top else 0.0
        ax.plot([x], [y], ls="none", marker=style["marker"], ms=_MARKER_PT, color=style["color"], transform=base + shift,
                clip_on=False, zorder=5)
        if text:
            ax.annotate(text, (x, y), xycoords=base, xytext=(-(half + _MARK_GAP_PT) if leftward else half + _MARK_GAP_PT, dy),
                        textcoords="offset points", fontsize=_MARK_FONT, color=style["color"], va="center",
                        ha="right" if leftward else "left", annotation_clip=False)
    return len(rows)


def _drawn_points(axes: Sequence[Any]) -> np.ndarray:
    """Display coordinates along every line and marker drawn in ``axes`` (segments sampled
    densely), to keep a label off them."""
    pts = []
    for a in axes:
        for line in a.get_lines():
            xy = np.asarray(line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float)), dtype=float)
            xy = xy[np.isfinite(xy).all(axis=1)] if xy.size else xy.reshape(0, 2)
            if len(xy) > 1 and line.get_linestyle() not in ("None", "none", ""):
                t = np.linspace(0, 1, 40)[:, None]
                for p, q in zip(xy[:-1], xy[1:], strict=True):
                    pts.append(p + t * (q - p))
            if len(xy):
                pts.append(xy)
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _label_chance(ax: Any, others: Sequence[Any], value: float, text: str) -> None:
    """The chance line's label, in the first of eight places along it (right or left end, under
    or over the line, at the edge or a quarter in) that no line or marker crosses."""
    fig = ax.figure
    px = fig.dpi / 72.0
    width = (len(text) * _CHAR_EM * _MARK_FONT + 4) * px
    height = (_MARK_FONT * 1.3 + 2) * px
    points = _drawn_points([ax, *others])
    x0, x1 = ax.transAxes.transform([(0, 0), (1, 0)])[:, 0]
    y_line = ax.transData.transform((1.0, value))[1]
    y_bottom, y_top = ax.transAxes.transform([(0, 0), (0, 1)])[:, 1]
    best: tuple[int, float, float, str, str] | None = None
    for frac in (0.99, 0.01, 0.75, 0.25):
        for below in (True, False):
            ha = "right" if frac > 0.5 else "left"
            left = x0 + frac * (x1 - x0) - (width if ha == "right" else 0)
            bottom = y_line - height - 2 * px if below else y_line + 2 * px
            if bottom < y_bottom or bottom + height > y_top:
                continue
            inside = ((points[:, 0] >= left) & (points[:, 0] <= left + width) & (points[:, 1] >= bottom)
                      & (points[:, 1] <= bottom + height)).sum() if len(points) else 0
            if best is None or inside < best[0]:
                best = (int(inside), frac, -2.0 if below else 2.0, ha, "top" if below else "bottom")
            if inside == 0:
                break
        if best is not None and best[0] == 0:
            break
    if best is None or best[0] > 0:  # nowhere free: the legend names the line
        return
    _, frac, dy, ha, va = best
    ax.annotate(text, (frac, value), xycoords=ax.get_yaxis_transform(), xytext=(0, dy), textcoords="offset points",
                fontsize=_MARK_FONT, color="0.25", va=va, ha=ha, zorder=7)


def bounds_figure(
    rows: Sequence[Bound],
    measured_sup: Mapping[int, float] | None = None,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
    *,
    runs: Sequence[str | None] | None = None,
    accuracy: Sequence[float | None] | None = None,
    chance_loss: float | None = None,
    prior: Prior | None = None,
    x: str = "k",
    linear_y: bool = False,
    ax: Any = None,
) -> tuple[Any, dict[str, list[tuple[int, float | None, str]]]]:
    """Upper bounds on L_sup against K (or K + 1 with ``x="draws"``), one colour per method, as
    the papers draw them (Arora et al. 2019, Fig. 1; Nozawa & Sato 2021, Fig. 2).

    - x: a log₂ axis with ticks at the values plotted (31, 63, …), labelled with them.
    - y: log (default) or linear (``linear_y``), with plain tick labels, over the informative
      range (log: the finite bounds up to :data:`INFORMATIVE_SPAN` times their upper quartile;
      linear: up to :data:`LINEAR_SPAN` times the least bound; any measured L_sup and the
      chance loss), or ``ylim``. A bound above the range: its line goes on to the top edge, and
      one marker per method sits above the edge with the value (the range over runs) beside it;
      marks that would touch are stacked. No finite bound (vacuous): a cross per method on the
      bottom edge. A bound that assumed d(f) = 0 (its true value is larger): a hollow marker.
    - The chance loss (``chance_loss``; else the rows' ``chance_loss``; else H(ρ) of ``prior``,
      ln C when uniform): a dashed line, labelled where nothing crosses it, and in the legend —
      the loss of a classifier that ignores its input. A bound above it certifies nothing.
    - Measured L_sup (``measured_sup`` by K, or the rows' own ``measured_sup``): black points.
      ``accuracy`` (one, or one per (run, K) entry in the rows' order; a fraction): grey points
      on a second axis on the right.
    - ``runs`` (one label per row) names the run each row came from. Where several runs share a
      K, each run has its own marker (the colour stays the method's) and its legend entry, and
      runs at one K are drawn slightly apart; a method's line goes through the median over the
      runs at each K, or, where a run spans several K, one line per run (its own dash).

    Draws into ``ax`` when given (the caller's figure and layout; legend inside), else into a new
    Figure (legend under the axes). Returns (figure, data) with data[method] = list of
    (K, upper bound or None, status) in the rows' order.
    """
    if x not in X_AXES:
        raise InputError(f"x: one of {', '.join(X_AXES)}, got {x!r}")
    if ylim is not None:
        lo_given, hi_given = ylim
        if not (math.isfinite(lo_given) and math.isfinite(hi_given) and lo_given < hi_given and (linear_y or lo_given > 0)):
            raise InputError(f"ylim: two numbers {'low < high' if linear_y else '0 < low < high'}, got {lo_given:g}, {hi_given:g}")
    if runs is not None and len(runs) != len(rows):
        raise InputError(f"runs: one label per row ({len(rows)}), got {len(runs)}")
    if not rows:
        raise InputError("rows: no bounds to draw")
    entries, of_row = _entries(rows, runs, measured_sup, accuracy, x)
    data: dict[str, list[tuple[int, float | None, str]]] = {}
    for b in rows:
        data.setdefault(b.method, []).append((b.k, b.upper_bound, b.status))
    chance = _chance(rows, chance_loss, prior)
    methods = [m for m in _known_methods() if m in data] + [m for m in data if m not in _known_methods()]
    vacuous_rows = max((sum(any(b.upper_bound is None and entries[of_row[i]].x == xv for i, b in enumerate(rows) if b.method == m)
                            for m in methods) for xv in {e.x for e in entries}), default=0)
    lo, hi = _y_range(rows, entries, chance, ylim, linear_y, vacuous_rows)

    own = ax is None
    if own:
        fig = require_matplotlib()(figsize=(6.6, 4.2))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    first_k: dict[str, int] = {}
    for e in entries:
        if e.run is not None:
            first_k.setdefault(e.run, e.k)
    run_names = sorted(first_k, key=lambda r: (first_k[r], r))  # the legend lists runs by K
    shared = len(run_names) > 1 and len({(e.run, e.k) for e in entries}) > len({e.k for e in entries})
    multi_k_runs = shared and any(sum(e.run == r for e in entries) > 1 for r in run_names)
    run_style = {r: {"marker": CURVE_MARKERS[i % len(CURVE_MARKERS)], "ls": RUN_LINESTYLES[i % len(RUN_LINESTYLES)]}
                 for i, r in enumerate(run_names)}
    top_items: list[tuple[float, dict[str, Any], str]] = []
    bottom_items: list[tuple[float, dict[str, Any], str]] = []
    hollow_any = False
    line_cap = hi + 1e3 * (hi - lo) if linear_y else min(hi**2 / lo, 1e300)  # off-axis: the line leaves through the top edge
    for method in methods:
        st = _method_style(method)
        pts = [(entries[of_row[i]], b) for i, b in enumerate(rows) if b.method == method]
        above: dict[float, list[float | None]] = {}
        for e, b in pts:
            u = b.upper_bound
            if u is None:
                if e.x not in {i[0] for i in bottom_items if i[1]["color"] == st["color"]}:
                    bottom_items.append((e.x, {"marker": "x", "color": st["color"]}, ""))
            elif not math.isfinite(u) or u > hi:
                above.setdefault(e.x, []).append(u)
            elif u >= lo:
                hollow = b.status == "assumes_d_zero"
                hollow_any |= hollow
                marker = run_style[e.run]["marker"] if shared and e.run is not None else st["marker"]
                ax.plot([e.at], [u], ls="none", marker=marker, ms=_MARKER_PT, color=st["color"],
                        mfc="white" if hollow else st["color"], zorder=4)
        top_items += [(xv, {"marker": st["marker"], "color": st["color"]}, _values_text(vals)) for xv, vals in above.items()]
        for xs, ys, ls in _lines(pts, shared, multi_k_runs, run_names, line_cap):
            ax.plot(xs, ys, color=st["color"], lw=1.4, ls=ls, zorder=3)
        ax.plot([], [], color=st["color"], lw=1.4, marker=st["marker"], ms=_MARKER_PT, label=st["label"])
    _draw_measured(ax, entries, shared, run_style)
    if chance is not None and lo < chance[0] < hi:
        ax.axhline(chance[0], color="0.3", ls="--", lw=1.0, zorder=2)
        ax.plot([], [], color="0.3", ls="--", lw=1.0, label=f"{chance[1]} = {chance[0]:.4g}: chance (a constant classifier)")
    if shared:
        for r in run_names:
            ax.plot([], [], ls=run_style[r]["ls"] if multi_k_runs else "none", lw=1.0, marker=run_style[r]["marker"], color="0.35",
                    ms=_MARKER_PT, label=f"run {r}" if r.isdigit() else r)
    if hollow_any:
        ax.plot([], [], ls="none", marker="o", color="grey", mfc="white", label="hollow: d(f) = 0 assumed (true bound larger)")
    if bottom_items:
        ax.plot([], [], ls="none", marker="x", color="grey", label="no finite bound (bottom edge)")
    if top_items:
        ax.plot([], [], ls="none", marker="^", color="grey", label="above the axis: value written (top edge)")
    ax2 = _draw_accuracy(ax, entries, shared, multi_k_runs, run_names, run_style)

    xs = [e.x for e in entries]
    ax.set_xscale("log", base=2)
    if len(set(xs)) == 1:
        ax.set_xlim(xs[0] / 1.6, xs[0] * 1.6)
    else:
        ax.set_xlim(min(xs) / 2**0.25, max(xs) * 2**0.25)
    if not linear_y:
        ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    _set_plain_y(ax, lo, hi, not linear_y)
    ax.tick_params(axis="y", labelsize=_TICK_FONT)
    ax.set_xlabel("number of negatives $K$" if x == "k" else "$K+1$: the positive and $K$ negatives", fontsize=9)
    ax.set_ylabel("upper bound on the supervised loss $L_{sup}$", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)

    handles, labels = ax.get_legend_handles_labels()
    if ax2 is not None:
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    legend = None
    if own:
        legend = fig.legend(handles, labels, loc="lower center", fontsize=7, frameon=False, ncols=3 if len(labels) > 10 else 2,
                            bbox_to_anchor=(0.5, 0.0))
        _layout(fig, legend)
    else:
        ax.legend(handles, labels, fontsize=7, loc="best")
    _set_x_ticks(ax, xs)
    top_rows = _stack(ax, sorted(top_items, key=lambda t: t[0]), top=True) if top_items else 0
    if bottom_items:
        _stack(ax, sorted(bottom_items, key=lambda t: t[0]), top=False)
    ax.set_title(title or "Bounds on the supervised loss", fontsize=10, pad=6 + (top_rows + 0.5) * _ROW_PT if top_rows else 6)
    if own:
        _layout(fig, legend)
    if chance is not None and lo < chance[0] < hi:
        _label_chance(ax, [ax2] if ax2 is not None else [], chance[0], f"{chance[1]} = {chance[0]:.3g}")
    return fig, data


def _entries(rows: Sequence[Bound], runs: Sequence[str | None] | None, measured_sup: Mapping[int, float] | None,
             accuracy: Sequence[float | None] | None, x: str) -> tuple[list[_Entry], list[int]]:
    """The (run, K) entries of ``rows`` in order, and each row's entry. Without ``runs``, a K
    given more than once is a run of its own each time (runs "1", "2", …). Runs sharing a K are
    drawn :data:`DODGE_OCTAVES` apart."""
    keys: dict[tuple[str | None, int, int], int] = {}
    of_row: list[int] = []
    seen: dict[tuple[str | None, str, int], int] = {}
    for i, b in enumerate(rows):
        run = runs[i] if runs is not None else None
        n = seen.get((run, b.method, b.k), 0)
        seen[(run, b.method, b.k)] = n + 1
        of_row.append(keys.setdefault((run, b.k, n), len(keys)))
    repeated = runs is None and any(n for (_, _, n) in keys)
    if accuracy is not None and len(accuracy) not in (1, len(keys)):
        raise InputError(f"accuracy: one value, or one per K entry ({len(keys)}), got {len(accuracy)}")
    at_k: dict[int, list[int]] = {}
    for j, (_, k, _) in enumerate(keys):
        at_k.setdefault(k, []).append(j)
    entries = []
    for j, (run, k, n) in enumerate(keys):
        first = rows[of_row.index(j)]
        sup = measured_sup.get(k) if measured_sup is not None else first.measured_sup
        acc = None if accuracy is None else accuracy[0 if len(accuracy) == 1 else j]
        if acc is not None and not (math.isfinite(acc) and 0 <= acc <= 1):
            raise InputError(f"accuracy: a fraction in [0, 1], got {acc}")
        xv = float(k + 1 if x == "draws" else k)
        group = at_k[k]
        offset = (group.index(j) - (len(group) - 1) / 2) * DODGE_OCTAVES if len(group) > 1 else 0.0
        entries.append(_Entry(xv, xv * 2**offset, k, str(n + 1) if repeated else run, sup, acc))
    return entries, of_row


def _chance(rows: Sequence[Bound], given: float | None, prior: Prior | None) -> tuple[float, str] | None:
    """The chance loss and its name: ln C for a uniform prior, H(ρ) otherwise."""
    value = given
    if value is None:
        value = next((getattr(b, "chance_loss", None) for b in rows if getattr(b, "chance_loss", None) is not None), None)
    if value is None and prior is not None:
        value = prior.entropy
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    uniform = prior.is_uniform if prior is not None else False
    return value, ("ln C" if uniform else "H(ρ)")


def _y_range(rows: Sequence[Bound], entries: Sequence[_Entry], chance: tuple[float, str] | None,
             ylim: tuple[float, float] | None, linear_y: bool, bottom_rows: int) -> tuple[float, float]:
    """The y-range: ``ylim``, else the informative range (see :func:`bounds_figure`), with room at
    the bottom for ``bottom_rows`` rows of no-bound marks below the lowest point (log axis)."""
    if ylim is not None:
        return ylim
    finite = sorted(b.upper_bound for b in rows if b.upper_bound is not None and math.isfinite(b.upper_bound) and b.upper_bound > 0)
    extra = [e.measured_sup for e in entries if e.measured_sup is not None and e.measured_sup > 0]
    if chance is not None:
        extra.append(chance[0])
    if not finite and not extra:
        return (0.0, 10.0) if linear_y else (0.1, 10.0)
    if linear_y:
        least = min(finite + extra)
        return 0.0, max(v for v in finite + extra if v <= LINEAR_SPAN * least) * 1.15
    q3 = finite[(3 * len(finite)) // 4] if finite else max(extra)
    hi = max([min(max(finite + extra), INFORMATIVE_SPAN * max([q3, *extra])), *extra]) * 2
    lo = min(finite + extra) / 2
    if bottom_rows:
        share = min(0.5, (bottom_rows * _ROW_PT + 4) / _AXES_HEIGHT_PT)  # the part of the axis the marks take
        lo /= (hi / lo) ** (share / (1 - share))
    return lo, hi


def _lines(pts: list[tuple[_Entry, Bound]], shared: bool, multi_k_runs: bool, run_names: list[str],
           cap: float) -> list[tuple[list[float], list[float], str]]:
    """The line(s) of one method: through its points in x order (runs sharing a K: the median
    over runs at each K; runs spanning several K: one line per run). Off-axis values are drawn at
    ``cap`` (beyond the top edge, so the line reaches it); no finite bound is a gap."""

    def y(u: float | None) -> float:
        return math.nan if u is None else min(u, cap)

    if not shared:
        ordered = sorted(pts, key=lambda t: t[0].x)
        return [([e.at for e, _ in ordered], [y(b.upper_bound) for _, b in ordered], "-")]
    if multi_k_runs:
        out = []
        for i, r in enumerate(run_names):
            mine = sorted(((e, b) for e, b in pts if e.run == r), key=lambda t: t[0].x)
            out.append(([e.at for e, _ in mine], [y(b.upper_bound) for _, b in mine], RUN_LINESTYLES[i % len(RUN_LINESTYLES)]))
        return out
    by_x: dict[float, list[float]] = {}
    for e, b in pts:
        by_x.setdefault(e.x, [])
        if b.upper_bound is not None:  # no finite bound: left out of the median (at every run: a gap)
            by_x[e.x].append(b.upper_bound)
    xs = sorted(by_x)
    return [(xs, [min(float(np.median(by_x[v])), cap) if by_x[v] else math.nan for v in xs], "-")]


def _draw_measured(ax: Any, entries: Sequence[_Entry], shared: bool, run_style: Mapping[str, Mapping[str, str]]) -> None:
    pts = [e for e in entries if e.measured_sup is not None]
    for e in pts:
        marker = run_style[e.run]["marker"] if shared and e.run is not None else "o"
        ax.plot([e.at], [e.measured_sup], ls="none", marker=marker, color="black", ms=_MARKER_PT, zorder=6)
    if pts:
        ax.plot([], [], ls="none", marker="o", color="black", ms=_MARKER_PT, label="measured $L_{sup}$")


def _draw_accuracy(ax: Any, entries: Sequence[_Entry], shared: bool, multi_k_runs: bool, run_names: Sequence[str],
                   run_style: Mapping[str, Mapping[str, str]]) -> Any:
    """Accuracy on a second y-axis (right), in percent, light grey points on a dotted line (the
    median over runs at each K, or one line per run where runs span several K); None when no
    entry has one."""
    pts = [e for e in entries if e.accuracy is not None]
    if not pts:
        return None
    from matplotlib.ticker import FuncFormatter

    ax2 = ax.twinx()
    style = dict(color="0.4", mfc="0.8", ms=_MARKER_PT)
    accs = [float(e.accuracy) for e in pts if e.accuracy is not None]
    groups: list[tuple[list[_Entry], str]] = []
    if multi_k_runs:
        groups = [([e for e in pts if e.run == r], run_style[r]["ls"]) for r in run_names]
    elif not shared:
        groups = [(pts, "-")]
    for group, ls in groups:
        group = sorted(group, key=lambda e: e.x)
        ax2.plot([e.at for e in group], [e.accuracy for e in group], ls=":" if ls == "-" else ls, lw=1.1, color="0.4")
    if shared and not multi_k_runs:
        by_x: dict[float, list[float]] = {}
        for e in pts:
            by_x.setdefault(e.x, []).append(float(e.accuracy or 0.0))
        xs = sorted(by_x)
        ax2.plot(xs, [float(np.median(by_x[v])) for v in xs], ls=":", lw=1.1, color="0.4")
    for e in pts:
        ax2.plot([e.at], [e.accuracy], ls="none", marker=run_style[e.run]["marker"] if shared and e.run is not None else "s",
                 zorder=6, **style)
    ax2.plot([], [], ls=":", lw=1.1, marker="s", label="accuracy (right axis)", **style)
    pad = max(0.02, (max(accs) - min(accs)) * 0.25)
    lo, hi = max(0.0, min(accs) - pad), min(1.0, max(accs) + pad)
    ax2.set_ylim(lo, hi)
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.4g}%"))
    ax2.tick_params(axis="y", labelsize=_TICK_FONT, colors="0.3")
    ax2.set_ylabel("accuracy (mean classifier)", fontsize=9, color="0.3")
    return ax2


def _layout(fig: Any, legend: Any) -> None:
    """Tight layout above the legend under the axes."""
    fig.draw_without_rendering()
    top = legend.get_window_extent().transformed(fig.transFigure.inverted()).y1
    fig.tight_layout(rect=(0, top + 0.01, 1, 1))


def coverage_figure(
    priors: Sequence[Prior], k_max: int, replace: bool = True, points: int = 600, title: str | None = None,
    logx: bool | None = None, axes: tuple[Any, Any] | None = None,
) -> tuple[Any, dict[str, dict[str, Any]]]:
    """υ_{K+1} (top) and 1 − υ_{K+1} on a log axis bounded by 1 (bottom) against K, for one or
    more priors (ten distinct colour/marker pairs), with E[T] − 1 dashed and the 50/90/99%
    quantiles (K needed) marked; the legend sits under the axes. ``logx`` puts K on a log axis
    (default: when the smallest prior's C is below k_max / 50, where a linear axis would crush
    its curve against the left edge). ``axes`` (top, bottom): draw into the caller's axes
    (legend in the top one; the caller's layout).

    Returns (figure, data) with data[prior name] = dict(k, upsilon, one_minus_upsilon,
    expected_k, quantile_k).
    """
    from .coverage import cover_time, coverage_probability, coverage_sf

    if k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {k_max}")
    if logx is None:
        logx = min(p.n_classes for p in priors) < k_max / LOGX_RATIO
    if axes is None:
        fig = require_matplotlib()(figsize=(6.4, 6.4 + 0.22 * len(priors)))
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
    else:
        ax1, ax2 = axes
        fig = ax1.figure
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
    if axes is not None:
        ax1.legend(fontsize=7, loc="best", title=note, title_fontsize=7)
        return fig, data
    legend = fig.legend(*ax1.get_legend_handles_labels(), loc="lower center", fontsize=7, frameon=False,
                        bbox_to_anchor=(0.5, 0.0), title=note, title_fontsize=7)
    _layout(fig, legend)
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
    axes: tuple[Any, Any] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Top (log axis): the expected same-class share of the hardest f·K negatives under an ideally
    clustered ranking, one line per fraction, with the random-ranking share E[Col]/K dashed. Bottom: the
    deputy rank at ``confidence`` and E[Col] against K (log axes). ``axes`` (top, bottom): draw
    into the caller's axes. Returns (figure, data) with data = dict(k, share[f], random, deputy, mean)."""
    from .negatives import CollisionCount

    figure = require_matplotlib()
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
    if axes is None:
        fig = figure(figsize=(6.4, 6.2))
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
    else:
        ax1, ax2 = axes
        fig = ax1.figure
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
    if axes is None:
        fig.tight_layout()
    return fig, dict(k=ks, share=share, random=random, deputy=deputy, mean=mean)
