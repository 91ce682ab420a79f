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
    """

    title: str
    rows: list[dict[str, Any]]
    columns: list[str]
    data_columns: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    parts: list[Report] = field(default_factory=list)
    document: list[dict[str, Any]] | None = None
    chart: bool = False


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


def coverage_report(req: CoverageRequest) -> Report:
    """υ, ln υ, 1 − υ and ln(1 − υ) per K, E[T], and the smallest K reaching ``target``."""
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
        lc, ls = log_coverage_and_sf(n, p, req.replace)
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


def collision_report(req: CollisionRequest) -> Report:
    """One row per K: τ_K, E[Col], E[ln(1+Col)]."""
    from .collision import collision_mean, collision_probability, collision_term

    p = req.prior.load()
    ks = np.asarray(req.k, dtype=np.int64)
    tau = np.atleast_1d(collision_probability(ks, p))
    mean = np.atleast_1d(collision_mean(ks, p))
    term = np.atleast_1d(collision_term(ks, p))
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
    (default: the label counts)."""

    k: int
    temperature: float
    features: tuple[str | Path, str | Path] | None = None
    labels: str | Path | None = None
    encoder: str | None = None
    data: str | None = None
    means: str | Path | None = None
    seed: int | None = None
    device: str | None = None
    amp: bool = False
    prior: PriorSource | None = None
    methods: str | Sequence[str] = "all"


_TERM_COLUMNS = ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "l_sup_covered",
                 "l_sup", "accuracy", "lower_bound", "n_anchors", "n_batches"]


def measure_report(req: MeasureRequest) -> Report:
    """The measured terms, the bounds computed from them, and whether each holds against the
    measured L_sup. The prior is the label counts unless one is given; L_sub is the measured
    loss on uncovered batches."""
    from .bounds import compute_bounds
    from .measure import extract_features, load_array, load_factory, measure

    if (req.features is None) == (req.encoder is None):
        raise InputError("give either `features` (two files) with `labels`, or an `encoder` with `data`", argument="features")
    if req.features is not None:
        if req.labels is None or req.data is not None:
            raise InputError("`features` need `labels` (and no `data`)", argument="features")
        z1, z2 = load_array(req.features[0], "features"), load_array(req.features[1], "features")
        y = load_array(req.labels, "labels")
    else:
        if req.data is None or req.labels is not None:
            raise InputError("an `encoder` needs `data` (and no `labels`)", argument="encoder")
        encoder, loader = load_factory(str(req.encoder), "encoder"), load_factory(req.data, "data")
        z1, z2, y = extract_features(encoder, loader, device=req.device, amp=req.amp)
    mu = load_array(req.means, "means") if req.means is not None else None
    res = measure(z1, z2, y, req.k, req.temperature, means=mu, shuffle_seed=req.seed, device=req.device)
    if req.prior is not None:
        p = req.prior.load()
    else:
        p = Prior.from_labels(np.asarray(y.cpu() if hasattr(y, "cpu") else y).ravel().astype(np.int64), name="label counts")
    bounds = compute_bounds(res.l_cont, req.k, p, req.methods, d=res.d, l_sub=res.l_sub_uncovered,
                            collision_term=res.collision_term, temperature=req.temperature, measured_sup=res.l_sup)
    terms = res.as_dict()
    rows = [b.as_dict() for b in bounds]
    shown = {**terms, "lower_bound_l_cont": terms["lower_bound"]}
    parts = [
        Report(f"measured terms — K = {req.k}, t = {req.temperature:g}", [shown],
               [c if c != "lower_bound" else "lower_bound_l_cont" for c in _TERM_COLUMNS]),
        Report(f"bounds on L_sup — {p}; holds = bound ≥ measured L_sup", rows, ["method", "upper_bound", "status", "holds", "notes"]),
    ]
    flat = [{**{c: terms[c] for c in _TERM_COLUMNS}, **r} for r in rows]
    columns = ["k", "method", "loss", "upper_bound", "status", "measured_sup", "holds", *_TERM_COLUMNS]
    return Report(f"measured terms and bounds — K = {req.k}", flat, columns, columns, parts=parts,
                  document=[{**terms, "bounds": rows}])
