"""One request type and one function per task of the command line, each returning a
:class:`Report`: the rows computed, the columns worth showing, a title and explanatory notes.

This is where the library decides what a user asked for means (which prior, which K, which
losses from a log, which seed, which notes); a front end only parses into a request, calls one
function here, and renders the report. Errors are the library's own (:mod:`boundcalc.errors`)
and name the request's fields.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, renamed_arguments
from .priors import Prior, PriorSource

__all__ = [
    "Report",
    "CoverageRequest",
    "CollisionRequest",
    "DrawsRequest",
    "LossInput",
    "BoundRequest",
    "SimulateRequest",
    "MeasureRequest",
    "CoveragePlotRequest",
    "coverage_report",
    "collision_report",
    "draws_report",
    "bound_report",
    "simulate_report",
    "presets_report",
    "measure_report",
    "coverage_chart_report",
    "NegativesRequest",
    "NegativesPlotRequest",
    "negatives_report",
    "plot_negatives",
    "plot_bounds",
    "plot_coverage",
]

Progress = Callable[[int], None]


@dataclass
class Report:
    """What a task computed, ready to render.

    ``rows`` are flat dicts with snake_case keys; ``columns`` are the keys worth a terminal
    table; ``data_columns`` the keys of machine-readable output (JSON, CSV; default: every key
    of the first row). ``parts`` replace this table in the terminal (several tables), and
    ``document`` replaces ``rows`` as the JSON document. ``chart`` asks for bars, not numbers.
    ``labels`` are this report's own column headers where the shared ones would mislead.
    """

    title: str
    rows: list[dict[str, Any]]
    columns: list[str]
    data_columns: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    parts: list[Report] = field(default_factory=list)
    document: list[dict[str, Any]] | None = None
    chart: bool = False
    labels: dict[str, str] = field(default_factory=dict)


def _sampling(replace: bool) -> str:
    return "iid" if replace else "without_replacement"


def _pool_prior(source: PriorSource, replace: bool) -> Prior:
    """The prior; without replacement it must define a pool of per-class counts."""
    p = source.load()
    if not replace and not p.is_counts:
        raise InputError(
            "sampling without replacement needs per-class counts (a counts file, labels or a count "
            "preset such as imagenet1k)", argument="replace",
        )
    return p


# ------------------------------------------------------------------------ coverage
@dataclass(frozen=True)
class CoverageRequest:
    """υ_{K+1} for each K in ``k``, or for each number of draws in ``draws`` (give one)."""

    prior: PriorSource
    k: Sequence[int] | None = None
    draws: Sequence[int] | None = None
    target: float | None = None
    replace: bool = True


#: Values computed per call when a long range reports progress: at least PROGRESS_CHUNK (the
#: per-call cost does not show) and at most 1/PROGRESS_STEPS of the range (ranges are computed
#: with shared circles and interpolants, which long chunks use best).
PROGRESS_CHUNK = 2000
PROGRESS_STEPS = 50


def _in_chunks(f: Callable[[np.ndarray], Any], values: np.ndarray, progress: Progress | None) -> list[np.ndarray]:
    """``f`` over ``values`` in chunks (one call without ``progress``); the
    outputs (one array or a tuple of arrays per call) concatenated."""
    chunk = max(PROGRESS_CHUNK, -(-values.size // PROGRESS_STEPS))
    if progress is None or values.size <= chunk:
        out = f(values)
        if progress is not None:
            progress(values.size)
        return [np.atleast_1d(x) for x in (out if isinstance(out, tuple) else (out,))]
    parts = []
    for s0 in range(0, values.size, chunk):
        out = f(values[s0 : s0 + chunk])
        parts.append([np.atleast_1d(x) for x in (out if isinstance(out, tuple) else (out,))])
        progress(min(chunk, values.size - s0))
    return [np.concatenate(cols) for cols in zip(*parts, strict=True)]


def coverage_report(req: CoverageRequest, progress: Progress | None = None) -> Report:
    """υ, ln υ, 1 − υ and ln(1 − υ) per K, E[T], and the smallest K reaching ``target``;
    ``progress`` is called with the values done."""
    from .coverage import cover_time, log_coverage_and_sf

    p = _pool_prior(req.prior, req.replace)
    if (req.k is None) == (req.draws is None):
        raise InputError("give exactly one of `k` and `draws`", argument="k")
    if req.draws is not None:
        if min(req.draws) < 1:
            raise InputError("draws: at least 1 (the anchor itself is one draw; draws = K + 1)")
        n = np.asarray(req.draws, dtype=np.int64)
        source = "draws"
    else:
        n = np.asarray(req.k, dtype=np.int64) + 1
        source = "k"
    if req.target is not None and not 0 < req.target < 1:
        raise InputError(f"target: a probability strictly between 0 and 1, got {req.target}")
    t = cover_time(p, req.replace)
    with renamed_arguments({"draws": source}):
        lc, ls = _in_chunks(lambda part: log_coverage_and_sf(part, p, req.replace), n, progress)
    mean = t.mean()
    k_target = int(t.ppf(req.target)) - 1 if req.target is not None else None
    rows = []
    for nv, a, b in zip(n.tolist(), np.atleast_1d(lc), np.atleast_1d(ls), strict=False):
        row: dict[str, Any] = {
            "k": nv - 1, "draws": nv, "upsilon": math.exp(a), "log_upsilon": float(a),
            "one_minus_upsilon": math.exp(b), "log_one_minus_upsilon": float(b), "expected_draws": mean,
            "prior": p.name, "classes": p.n_classes, "sampling": _sampling(req.replace),
        }
        if req.target is not None:
            row.update(target=req.target, k_for_target=k_target)
        rows.append(row)
    notes = [f"E[T] = {mean:.10g} draws to see every class (⌈E[T]⌉ = {math.ceil(mean)})"]
    if req.target is not None:
        notes.append(f"smallest K with υ_(K+1) ≥ {req.target:g}: K = {k_target}")
    title = f"coverage — {p}" + ("" if req.replace else " — without replacement")
    return Report(title, rows, ["k", "draws", "upsilon", "log_upsilon", "one_minus_upsilon"], list(rows[0]), notes)


# ------------------------------------------------------------------------ collision
@dataclass(frozen=True)
class CollisionRequest:
    """τ_K, E[Col] and E[ln(1+Col)] for each K in ``k``."""

    prior: PriorSource
    k: Sequence[int]


def collision_report(req: CollisionRequest, progress: Progress | None = None) -> Report:
    """One row per K: τ_K, E[Col], E[ln(1+Col)]; ``progress`` is called with the values done."""
    from .collision import collision_mean, collision_probability, collision_term

    p = req.prior.load()
    ks = np.asarray(req.k, dtype=np.int64)
    tau, mean, term = _in_chunks(
        lambda part: (collision_probability(part, p), collision_mean(part, p), collision_term(part, p)), ks, progress)
    rows = [
        {"k": int(a), "tau": float(b), "expected_collisions": float(c), "collision_term": float(d),
         "prior": p.name, "classes": p.n_classes}
        for a, b, c, d in zip(ks, tau, mean, term, strict=False)
    ]
    return Report(f"collisions — {p}", rows, ["k", "tau", "expected_collisions", "collision_term"], list(rows[0]))


# ------------------------------------------------------------------------ draws
@dataclass(frozen=True)
class DrawsRequest:
    """E[T], sd[T] and the quantiles of T at the levels ``quantiles``."""

    prior: PriorSource
    quantiles: Sequence[float] = (0.5, 0.9, 0.99)
    replace: bool = True


def draws_report(req: DrawsRequest) -> Report:
    """One row: E[T], ⌈E[T]⌉, sd[T] and each requested quantile of T."""
    from .coverage import cover_time

    p = _pool_prior(req.prior, req.replace)
    if any(not 0 <= q <= 1 for q in req.quantiles):
        raise InputError(f"quantiles: probabilities in [0, 1], got {', '.join(f'{q:g}' for q in req.quantiles)}")
    t = cover_time(p, req.replace)
    mean = t.mean()
    row: dict[str, Any] = {"prior": p.name, "classes": p.n_classes, "expected": mean, "ceil_expected": math.ceil(mean), "std": t.std()}
    if len(set(req.quantiles)) != len(req.quantiles):
        raise InputError("quantiles: each level once, please")
    for q in req.quantiles:
        v = float(t.ppf(q))
        row[f"quantile_{float(q)!r}"] = int(v) if math.isfinite(v) else None  # shortest exact name
    return Report(f"draws until every class is seen — {p}", [row], list(row))


# ------------------------------------------------------------------------ bounds
@dataclass(frozen=True)
class LossInput:
    """The contrastive losses the bounds start from: given per K (``loss`` with ``k``, and
    optionally ``d``, ``l_sub``, ``measured_sup``: one value, or one per K), or read from training
    ``logs`` (one result per run and K, see :func:`boundcalc.logs.read_losses`: keys named by the
    ``*_key`` fields, ``k`` the K of runs that log none, ``reduce`` how a run's values become
    one; ``d``/``l_sub`` fill in where a log has no value)."""

    loss: Sequence[float] | None = None
    k: Sequence[int] | None = None
    d: Sequence[float] | None = None
    l_sub: Sequence[float] | None = None
    measured_sup: Sequence[float] | None = None
    logs: Sequence[str] = ()
    loss_key: str | None = None
    k_key: str | None = None
    d_key: str | None = None
    l_sub_key: str | None = None
    sup_key: str | None = None
    reduce: str | None = None

    def per_k(self) -> dict[str, Any]:
        """``k``, ``loss``, ``d``, ``l_sub``, ``measured_sup`` (each one value or one per K, as
        :func:`boundcalc.bounds.compute_bounds` takes them) and ``runs`` (from logs: one
        :class:`~boundcalc.logs.RunLoss` per K entry, else None)."""
        if self.logs:
            return self._from_logs()
        if self.loss is None or self.k is None:
            raise InputError("give `loss` and `k`, or a `log`", argument="loss")
        keys = {"loss_key": self.loss_key, "k_key": self.k_key, "d_key": self.d_key,
                "l_sub_key": self.l_sub_key, "sup_key": self.sup_key, "reduce": self.reduce}
        given = [name for name, v in keys.items() if v is not None]
        if given:
            raise InputError("reads a `log`; without a log give the values themselves (`loss`, `d`, …)", argument=given[0])
        return {"k": list(self.k), "loss": self.loss, "d": self.d, "l_sub": self.l_sub, "measured_sup": self.measured_sup,
                "runs": None}

    def _from_logs(self) -> dict[str, Any]:
        from .logs import read_losses

        if self.loss is not None:
            raise InputError("`loss` and `log`: give one or the other", argument="loss")
        if self.measured_sup is not None:
            raise InputError("measured_sup: with a `log`, name its key with `sup_key`")
        fixed_k = None
        if self.k is not None:
            if len(self.k) != 1:
                raise InputError("k: with a `log`, one K: the K of runs that log none")
            fixed_k = self.k[0]
        for name in ("d", "l_sub"):
            vals = getattr(self, name)
            if vals is not None and len(vals) != 1:
                raise InputError(f"{name}: with a `log`, one value fills in where the log has none")
        with renamed_arguments({"path": "log"}):
            runs = read_losses(self.logs, self.loss_key, self.k_key, fixed_k, self.reduce or "last", self.d_key,
                               self.l_sub_key, self.sup_key)
        d0 = self.d[0] if self.d is not None else None
        s0 = self.l_sub[0] if self.l_sub is not None else None
        return {
            "k": [r.k for r in runs],
            "loss": [r.loss for r in runs],
            "d": [r.d if r.d is not None else d0 for r in runs],
            "l_sub": [r.l_sub if r.l_sub is not None else s0 for r in runs],
            "measured_sup": [r.sup for r in runs],
            "runs": runs,
        }


@dataclass(frozen=True)
class BoundRequest:
    """The four bounds (or ``methods``) for the losses of ``losses`` under ``prior``."""

    prior: PriorSource
    losses: LossInput
    methods: str | Sequence[str] = "all"
    collision_term: float | None = None
    temperature: float | None = None
    norm_bound: float | None = None


_BOUND_DATA_COLUMNS = ["k", "method", "loss", "upper_bound", "log_upper_bound", "lower_bound", "status", "notes", "tau",
                       "upsilon", "collision_term", "d", "l_sub", "measured_sup", "holds"]


def _bounds(req: BoundRequest) -> tuple[Prior, list[Any], dict[str, Any]]:
    from .bounds import compute_bounds

    p = req.prior.load()
    cols = req.losses.per_k()
    bounds = compute_bounds(cols["loss"], cols["k"], p, req.methods, cols["d"], cols["l_sub"], req.collision_term,
                            req.temperature, req.norm_bound, cols["measured_sup"])
    return p, bounds, cols


#: What each row of ``bound`` shows of the run a logged loss came from.
_RUN_COLUMNS = ["run", "k_from", "reduce", "n_values", "logged_at", "loss_key", "source"]


def bound_report(req: BoundRequest, layout: str = "long") -> Report:
    """The bounds as a table. ``layout`` "long": one row per (K, method) — per (run, K, method)
    from logs — with the bound, its log, its status, what it rests on and, from logs, which run,
    which logged values and where K came from. "wide": one row per K (per run and K), the loss
    and one column per method (``<method>_status`` beside it), as a paper prints it."""
    if layout not in ("long", "wide"):
        raise InputError(f"layout: long or wide, got {layout!r}")
    report = _long_bound_report(req)
    return _widen(report) if layout == "wide" else report


def _widen(report: Report) -> Report:
    from .bounds import METHODS

    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in report.rows:
        key = (r.get("run"), r["k"])
        row = rows.setdefault(key, {**({"run": r["run"]} if "run" in r else {}), "k": r["k"], "loss": r["loss"]})
        row[r["method"]] = r["upper_bound"]
        row[f"{r['method']}_status"] = r["status"]
        if r.get("measured_sup") is not None:
            row["measured_sup"] = r["measured_sup"]
    methods = [m for m in METHODS if any(m in row for row in rows.values())]
    columns = (["run"] if any("run" in r for r in rows.values()) else []) + ["k", "loss", *methods]
    if any("measured_sup" in r for r in rows.values()):
        columns.append("measured_sup")
    data = columns + [f"{m}_status" for m in methods]
    notes = [n for n in report.notes if n.startswith("loss:")]  # the marks carry the status notes
    return Report(report.title, list(rows.values()), columns, data, notes)


def _long_bound_report(req: BoundRequest) -> Report:
    from .bounds import status_notes

    p, bounds, cols = _bounds(req)
    runs = cols["runs"]
    per_entry = len(bounds) // len(cols["k"])
    rows = []
    for i, b in enumerate(bounds):
        row = b.as_dict()
        if runs is not None:
            r = runs[i // per_entry]
            row = {"run": r.run, **row, **{c: getattr(r, c) for c in _RUN_COLUMNS[1:]}}
        rows.append(row)
    columns = ["k", "method", "loss", "upper_bound", "log_upper_bound", "status"]
    data = list(_BOUND_DATA_COLUMNS)
    notes = status_notes(bounds)
    if runs is not None:
        columns = ["run", *columns, "k_from"]
        data = ["run", *data, *_RUN_COLUMNS[1:]]
        notes = [_reduce_note(runs), *notes]
    if any(r.get("holds") is not None for r in rows):
        columns += ["measured_sup", "holds"]
    return Report(f"bounds on L_sup — {p}", rows, columns, data, notes)


def _reduce_note(runs: Sequence[Any]) -> str:
    how = runs[0].reduce
    said = {"last": "the last logged value", "mean": "the mean of the logged values",
            "min": "the least logged value"}.get(how, f"the mean of the last {how.partition(':')[2]} logged values")
    return f"loss: {said} of each run at each K (reduce: {how}; set with --reduce)"


def plot_bounds(req: BoundRequest, output: str | Path, title: str | None = None,
                ylim: tuple[float, float] | None = None) -> Path:
    """Draw every bound against K (see :func:`boundcalc.plotting.bounds_figure`) into ``output``."""
    from .plotting import bounds_figure, save

    p, bounds, _ = _bounds(req)
    measured = {b.k: b.measured_sup for b in bounds if b.measured_sup is not None}
    fig, _ = bounds_figure(bounds, measured or None, title or f"Bounds on the supervised loss — {p}", ylim)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)


# ------------------------------------------------------------------------ simulate
@dataclass(frozen=True)
class SimulateRequest:
    """Monte Carlo estimates for K negatives from ``trials`` draws (seeded when ``seed`` is set)."""

    prior: PriorSource
    k: int
    trials: int = 100_000
    seed: int | None = None
    replace: bool = True


def simulate_report(req: SimulateRequest, progress: Progress | None = None) -> Report:
    """Each estimate with its 95% interval beside the exact value, and whether it falls inside.
    ``progress`` is called with the trials done (3 × ``trials`` in all)."""
    from .collision import collision_mean, collision_probability, collision_term
    from .coverage import coverage_probability, expected_draws
    from .montecarlo import simulate_all

    p = _pool_prior(req.prior, req.replace)
    if req.k < 0:
        raise InputError(f"k: must be non-negative, got {req.k}")
    if req.trials < 1:
        raise InputError(f"trials: must be at least 1, got {req.trials}")
    est = simulate_all(req.k, p, req.trials, req.seed, req.replace, progress)
    exact: dict[str, float] = {"upsilon": float(coverage_probability(req.k + 1, p, req.replace)),
                               "expected_draws": float(expected_draws(p, req.replace))}
    if req.replace:
        exact.update(tau=float(collision_probability(req.k, p)), expected_collisions=float(collision_mean(req.k, p)),
                     collision_term=float(collision_term(req.k, p)))
    rows = []
    for name, e in est.items():
        x = exact.get(name)
        rows.append({"quantity": name, "exact": x, "estimate": e.value, "ci_low": e.low, "ci_high": e.high,
                     "stderr": e.stderr, "trials": e.trials, "within_ci": None if x is None else e.contains(x)})
    notes = ["95% intervals: Wilson for probabilities, normal for means; about 1 row in 20 falls outside by chance."]
    if not req.replace:
        notes.append("exact collision values are for i.i.d. draws only; without replacement only the estimates are shown.")
    return Report(f"Monte Carlo, K = {req.k} — {p}", rows, ["quantity", "exact", "estimate", "ci_low", "ci_high", "within_ci"],
                  list(rows[0]), notes)


# ------------------------------------------------------------------------ presets
def presets_report() -> Report:
    """The named priors with C, whether uniform, the number of images and E[T]."""
    from .coverage import expected_draws
    from .priors import PRESETS

    rows = []
    for name in PRESETS:
        p = Prior.preset(name)
        et = float(expected_draws(p))
        rows.append({"name": name, "classes": p.n_classes, "uniform": p.is_uniform, "images": int(p.total) if p.is_counts else None,
                     "expected_draws": et, "ceil_expected_draws": math.ceil(et)})
    return Report("presets", rows, list(rows[0]))


# ------------------------------------------------------------------------ negatives
@dataclass(frozen=True)
class NegativesRequest:
    """Same-class ("false") negatives among the hardest ``fractions`` of K, for each K in ``k``."""

    prior: PriorSource
    k: Sequence[int]
    fractions: Sequence[float] = (0.001, 0.01, 0.05)
    confidence: float = 0.99
    replace: bool = True


_NEGATIVES_NOTES = [
    "ideal share: every same-class negative ranked hardest (a well-clustered encoder); an envelope, not a "
    "measurement. random share: E[Col]/K.",
    "deputy rank: the r-th hardest negative is of another class with probability ≥ the confidence "
    "(empty: no rank up to K qualifies).",
]


def negatives_report(req: NegativesRequest) -> Report:
    """One row per (K, fraction): the expected same-class negatives among the m hardest, the
    shares under ideal and random rankings, τ_K, the deputy rank and υ_{K+1} (docs/negatives.md)."""
    from .negatives import hardest_negatives

    p = _pool_prior(req.prior, req.replace)
    rows = []
    for kv in req.k:
        for r in hardest_negatives(kv, p, req.fractions, req.confidence, req.replace):
            rows.append({**r.as_dict(), "prior": p.name, "classes": p.n_classes, "sampling": _sampling(req.replace)})
    columns = ["k", "fraction", "hardest", "expected_same_class_in_hardest", "same_class_share_ideal", "same_class_share_random",
               "deputy_rank"]
    title = f"same-class negatives — {p}" + ("" if req.replace else " — without replacement")
    notes = [*_NEGATIVES_NOTES, f"deputy rank at confidence {req.confidence:g}"]
    return Report(title, rows, columns, list(rows[0]), notes)


@dataclass(frozen=True)
class NegativesPlotRequest:
    """The same-class share of the hardest ``fractions`` and the deputy rank against K ≤ ``k_max``."""

    prior: PriorSource
    k_max: int
    fractions: Sequence[float] = (0.001, 0.01, 0.05)
    confidence: float = 0.99
    replace: bool = True


def plot_negatives(req: NegativesPlotRequest, output: str | Path, title: str | None = None) -> Path:
    """Draw :func:`boundcalc.plotting.negatives_figure` into ``output``."""
    from .plotting import negatives_figure, save

    p = _pool_prior(req.prior, req.replace)
    if req.k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {req.k_max}")
    fig, _ = negatives_figure(p, req.k_max, req.fractions, req.confidence, req.replace, title=title)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)


# ------------------------------------------------------------------------ coverage plots
@dataclass(frozen=True)
class CoveragePlotRequest:
    """Coverage curves of several priors up to ``k_max`` negatives."""

    priors: Sequence[PriorSource]
    k_max: int
    replace: bool = True
    logx: bool | None = None


#: Rows of the terminal coverage chart (K from 0 to k_max).
CHART_ROWS = 16


def _plot_priors(req: CoveragePlotRequest) -> list[Prior]:
    if not req.priors:
        raise InputError("give at least one prior", argument="prior")
    if req.k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {req.k_max}")
    return [_pool_prior(s, req.replace) for s in req.priors]


def coverage_chart_report(req: CoveragePlotRequest) -> Report:
    """υ_{K+1} of each prior at 16 values of K from 0 to ``k_max``, for a terminal bar chart."""
    from .coverage import coverage_probability

    priors = _plot_priors(req)
    ks = np.unique(np.linspace(0, req.k_max, CHART_ROWS).round().astype(np.int64))
    vals = [np.atleast_1d(coverage_probability(ks + 1, p, req.replace)) for p in priors]
    rows = [{"k": int(kv), **{p.name: float(v[i]) for p, v in zip(priors, vals, strict=False)}} for i, kv in enumerate(ks)]
    return Report("coverage υ_(K+1) (give --output FILE.png for a figure)", rows, ["k", *(p.name for p in priors)], chart=True)


def plot_coverage(req: CoveragePlotRequest, output: str | Path, title: str | None = None) -> Path:
    """Draw the coverage curves (see :func:`boundcalc.plotting.coverage_figure`) into ``output``."""
    from .plotting import coverage_figure, save

    priors = _plot_priors(req)
    fig, _ = coverage_figure(priors, req.k_max, req.replace, title=title, logx=req.logx)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)


# ------------------------------------------------------------------------ measure
@dataclass(frozen=True)
class MeasureRequest:
    """Measure the bounds' terms from saved ``features`` (two files) with ``labels``, or from an
    ``encoder`` and ``data`` given as ``module:factory``; then the bounds under ``prior``
    (default: the label counts). ``classes`` fixes C (labels outside 0..C−1 refused);
    ``averaged_features`` (a file) or ``augmentations`` (encoder path) give m from independent
    augmentations; rows are shuffled with ``seed`` unless ``keep_order``; ``passes`` reshuffled
    passes are pooled; ``bootstrap`` replicates give the 95% intervals."""

    k: int
    temperature: float
    features: tuple[str | Path, str | Path] | None = None
    labels: str | Path | None = None
    encoder: str | None = None
    data: str | None = None
    means: str | Path | None = None
    seed: int = 0
    device: str | None = None
    amp: bool = False
    prior: PriorSource | None = None
    methods: str | Sequence[str] = "all"
    classes: int | None = None
    averaged_features: str | Path | None = None
    augmentations: int = 0
    keep_order: bool = False
    passes: int = 1
    bootstrap: int | None = None


#: How the measured terms are named in the terminal (JSON and CSV keep the keys of TERMS).
MEASURED_LABELS = {
    "l_cont": "L_cont", "upsilon": "υ̂ (share of anchors in covered batches)",
    "tau": "τ̂ (share of anchors whose class repeats)", "sup_part": "sup part", "sub_part": "sub part",
    "collision_term": "E[ln(1+Col)] measured", "d": "d(f)", "lower_bound": "L_cont ≥ (Nozawa–Sato, measured)",
    "l_sup_covered": "E[L_sup | covered]", "l_sub_uncovered": "L_sub (uncovered batches)",
    "l_sup": "L_sup (mean classifier)", "accuracy": "accuracy (anchor view)",
    "accuracy_two_views": "accuracy (mean of two views)", "curl_sub_part": "CURL part: (1 − τ̂) E[L_sub | no repeat]",
    "l_sub_no_collision": "E[L_sub | no repeat]", "l_cont_no_collision": "E[L_cont | no repeat]",
    "arora_lower_bound": "L_cont ≥ (Arora et al., measured)",
}
#: Headers of measure's flat table: the measured υ̂, τ̂ are not the prior's υ_(K+1), τ_K.
_MEASURED_COLUMN_LABELS = {"upsilon": "υ̂ (measured)", "tau": "τ̂ (measured)", "l_cont": "L_cont (measured)",
                           "collision_term": "E[ln(1+Col)] (measured)", "d": "d(f) (measured)"}
#: The bound rows' own values, renamed in measure's flat output so that they never overwrite a
#: measured term of the same name (the prior's τ_K and υ_{K+1}; Bao's lower bound on L_sup).
_BOUND_RENAMES = {"tau": "tau_prior", "upsilon": "upsilon_prior", "lower_bound": "l_sup_lower_bound"}
#: Values a bound row repeats from the measurement (measured L_cont, d, L_sub, collision term).
_BOUND_REPEATS = ("loss", "d", "l_sub", "collision_term")


def measure_report(req: MeasureRequest, progress: Progress | None = None) -> Report:
    """The measured terms with 95% bootstrap intervals, the bounds computed from them (with the
    intervals the replicates give) and whether each holds against the measured L_sup, and the
    same-class share of the hardest negatives beside what the prior predicts. The prior is the
    label counts unless one is given; L_sub is the measured loss on uncovered batches."""
    from .measure import DEFAULT_BOOTSTRAP, TERMS, load_array, load_factory, measure, measure_encoder

    if (req.features is None) == (req.encoder is None):
        raise InputError("give either `features` (two files) with `labels`, or an `encoder` with `data`", argument="features")
    mu = load_array(req.means, "means") if req.means is not None else None
    opts: dict[str, Any] = dict(means=mu, num_classes=req.classes, seed=req.seed, keep_order=req.keep_order,
                                passes=req.passes, device=req.device, progress=progress,
                                bootstrap=DEFAULT_BOOTSTRAP if req.bootstrap is None else req.bootstrap)
    if req.features is not None:
        if req.labels is None or req.data is not None:
            raise InputError("`features` need `labels` (and no `data`)", argument="features")
        if req.augmentations:
            raise InputError("augmentations: run the `encoder`; with saved features give `averaged_features`")
        z1, z2 = load_array(req.features[0], "features"), load_array(req.features[1], "features")
        y = load_array(req.labels, "labels")
        avg = load_array(req.averaged_features, "averaged_features") if req.averaged_features is not None else None
        res = measure(z1, z2, y, req.k, req.temperature, averaged=avg, **opts)
    else:
        if req.data is None or req.labels is not None:
            raise InputError("an `encoder` needs `data` (and no `labels`)", argument="encoder")
        if req.averaged_features is not None:
            raise InputError("averaged_features: with an `encoder`, use `augmentations`")
        encoder = load_factory(str(req.encoder), "encoder")
        data = str(req.data)
        res = measure_encoder(encoder, lambda: load_factory(data, "data"), req.k, req.temperature,
                              augmentations=req.augmentations, amp=req.amp, **opts)
    p = req.prior.load() if req.prior is not None else _label_prior(res.class_counts)
    bounds, bound_ci = _measured_bounds(req, res, p)
    terms = res.as_dict()
    ci = res.intervals
    term_rows = [{"quantity": MEASURED_LABELS[t], "value": terms[t], "ci_low": ci.get(t, (None, None))[0],
                  "ci_high": ci.get(t, (None, None))[1]} for t in TERMS]
    rows = []
    for b in bounds:
        row = {("upper_bound" if key == "upper_bound" else _BOUND_RENAMES.get(key, key)): val
               for key, val in b.as_dict().items() if key not in _BOUND_REPEATS}
        lo, hi = bound_ci.get(b.method, (None, None))
        rows.append({**row, "upper_bound_ci_low": lo, "upper_bound_ci_high": hi})
    hard = _hardness_rows(res, p)
    flat_terms = {**{t: terms[t] for t in TERMS}, **{f"{t}_ci_{side}": ci.get(t, (None, None))[i]
                                                    for t in TERMS for i, side in enumerate(("low", "high"))}}
    counts = {"k": req.k, "temperature": req.temperature, "n_anchors": res.n_anchors, "n_batches": res.n_batches,
              "passes": res.passes, "bootstrap": res.bootstrap, "num_classes": res.num_classes}
    flat = [{**counts, **flat_terms, **r} for r in rows]
    bound_cols = ["method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds",
                  "upsilon_prior", "tau_prior"]
    parts = [
        Report(f"measured terms — K = {req.k}, t = {req.temperature:g}, {res.n_anchors} anchors in {res.n_batches} "
               f"batches, 95% bootstrap intervals over batches ({res.bootstrap} replicates)",
               term_rows, ["quantity", "value", "ci_low", "ci_high"]),
        Report(f"bounds on L_sup — {p} (the prior's υ_(K+1), τ_K); holds = bound ≥ measured L_sup", rows, bound_cols),
        Report("same-class negatives among the hardest (ranked by u·v): measured, and what the prior predicts "
               "for an ideally clustered and a random ranking", hard,
               ["band", "hardest", "same_class_share", "ci_low", "ci_high", "same_class_share_ideal",
                "same_class_share_random"]),
    ]
    columns = ["method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds", "l_cont",
               "upsilon", "upsilon_prior", "tau", "tau_prior", "collision_term", "d", "l_sup"]
    notes = ["m for d(f) and μ: " + ("the given averaged features" if req.averaged_features is not None else
             f"the mean of {req.augmentations} independent augmentations" if req.augmentations else
             "(u + v)/2 of the same two views, which contains the anchor (biased towards d = 0; give "
             "--averaged-features or --augmentations for the authors' estimate)")]
    document = [{**counts, **{t: terms[t] for t in TERMS}, "intervals": {t: list(v) for t, v in ci.items()},
                 "hardness": hard, "bounds": rows}]
    return Report(f"measured terms and bounds — K = {req.k}", flat, columns, list(flat[0]), notes=notes, parts=parts,
                  document=document, labels=_MEASURED_COLUMN_LABELS)


def _label_prior(counts: Sequence[int]) -> Prior:
    """The label counts (zero-count classes, possible when C is given, dropped with a warning)."""
    return Prior.from_counts(np.asarray(counts, dtype=np.int64), name="label counts")


def _measured_bounds(req: MeasureRequest, res: Any, p: Prior) -> tuple[list[Any], dict[str, tuple[float | None, float | None]]]:
    """The bounds from the measured terms, and from each bootstrap replicate: 95% intervals."""
    from .bounds import compute_bounds

    bounds = compute_bounds(res.l_cont, req.k, p, req.methods, d=res.d, l_sub=res.l_sub_uncovered,
                            collision_term=res.collision_term, temperature=req.temperature, measured_sup=res.l_sup)
    reps = res.replicates
    if not reps:
        return bounds, {}
    r = len(reps["l_cont"])

    def opt(vals: np.ndarray) -> list[float | None]:
        return [float(v) if math.isfinite(v) else None for v in vals]

    rep = compute_bounds(list(reps["l_cont"]), [req.k] * r, p, req.methods, d=list(reps["d"]),
                         l_sub=opt(reps["l_sub_uncovered"]), collision_term=list(reps["collision_term"]),
                         temperature=req.temperature)
    out: dict[str, tuple[float | None, float | None]] = {}
    for method in {b.method for b in bounds}:
        # a replicate without a finite bound counts as +inf (the quantiles are sample values)
        ub = np.array([b.upper_bound if b.upper_bound is not None else math.inf for b in rep if b.method == method])
        lo, hi = np.quantile(ub, [0.025, 0.975], method="inverted_cdf")
        out[method] = (float(lo) if math.isfinite(lo) else None, float(hi) if math.isfinite(hi) else None)
    return bounds, out


def _hardness_rows(res: Any, p: Prior) -> list[dict[str, Any]]:
    """Each hardness band beside the prior's prediction (docs/negatives.md §1)."""
    from .negatives import CollisionCount

    col = CollisionCount(res.k, p, True)
    mean = col.mean()
    rows = []
    top = max((h["hardest"] for h in res.hardness if h["band"] != "rest"), default=0)
    for h in res.hardness:
        in_band = mean - col.expected_min(top) if h["band"] == "rest" else col.expected_min(h["hardest"])
        rows.append({**h, "same_class_share_ideal": in_band / h["hardest"], "same_class_share_random": mean / res.k})
    return rows


