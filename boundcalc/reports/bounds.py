"""The bound task: losses (given or read from logs) at each K, every published bound side by side,
and its plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, renamed_arguments
from ..priors import Prior, PriorSource
from .base import Report


# ------------------------------------------------------------------------ bounds
@dataclass(frozen=True)
class LossInput:
    """The contrastive losses the bounds start from: given per K (``loss`` with ``k``, and
    optionally ``d``, ``l_sub``, ``measured_sup``: one value, or one per K), or read from training
    ``logs`` (one result per run and K, see :func:`boundcalc.logs.read_losses`: keys named by the
    ``*_key`` fields — ``loss_key`` a comma list tried in order, a log ``PATH::KEY`` its own —,
    ``k`` the K of runs that log none, ``reduce`` how a run's values become one; ``d``/``l_sub``/
    ``measured_sup`` one value, one per run or one per run and K, in the order of the rows, filling
    in where a log has no value; the temperature read from each run as K is, ``t_key`` naming it)."""

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
    t_key: str | None = None

    def per_k(self, temperature: float | None = None, norm_bound: float | None = None) -> dict[str, Any]:
        """``k``, ``loss``, ``d``, ``l_sub``, ``measured_sup`` (each one value or one per K, as
        :func:`boundcalc.bounds.compute_bounds` takes them), ``temperature`` (one per entry: a
        run's own, else the ``temperature`` given; None with ``norm_bound``), ``k_from`` and
        ``t_from`` (one per entry) and ``runs`` (from logs: one :class:`~boundcalc.logs.RunLoss` per
        K entry, else None)."""
        if self.logs:
            return self._from_logs(temperature, norm_bound)
        if self.loss is None or self.k is None:
            raise InputError("give `loss` and `k`, or a `log`", argument="loss")
        keys = {"loss_key": self.loss_key, "k_key": self.k_key, "d_key": self.d_key, "l_sub_key": self.l_sub_key,
                "sup_key": self.sup_key, "reduce": self.reduce, "t_key": self.t_key}
        given = [name for name, v in keys.items() if v is not None]
        if given:
            raise InputError("reads a `log`; without a log give the values themselves (`loss`, `d`, …)", argument=given[0])
        n = len(self.k)
        return {"k": list(self.k), "loss": self.loss, "d": self.d, "l_sub": self.l_sub, "measured_sup": self.measured_sup,
                "runs": None, "temperature": [temperature] * n, "k_from": ["given"] * n,
                "t_from": ["option" if temperature is not None else "none"] * n}

    def _from_logs(self, temperature: float | None, norm_bound: float | None) -> dict[str, Any]:
        import warnings

        from ..logs import read_losses

        if self.loss is not None:
            raise InputError("`loss` and `log`: give one or the other", argument="loss")
        if temperature is not None and norm_bound is not None:
            raise InputError("`temperature` and `norm_bound`: give one or the other (b² = 1/t)", argument="norm_bound")
        fixed_k = None
        if self.k is not None:
            if len(self.k) != 1:
                raise InputError("k: with a `log`, one K: the K of runs that log none")
            fixed_k = self.k[0]
        with renamed_arguments({"path": "log"}):
            runs = read_losses(self.logs, self.loss_key, self.k_key, fixed_k, self.reduce or "last", self.d_key,
                               self.l_sub_key, self.sup_key, temperature, self.t_key)
        cols: dict[str, Any] = {"k": [r.k for r in runs], "loss": [r.loss for r in runs], "runs": runs}
        for name, attr in (("d", "d"), ("l_sub", "l_sub"), ("measured_sup", "sup")):
            given = _per_run(name, getattr(self, name), runs)
            logged = [getattr(r, attr) for r in runs]
            cols[name] = [x if x is not None else g for x, g in zip(logged, given, strict=True)]
            differ = [r.run for r, x, g in zip(runs, logged, given, strict=True) if x is not None and g is not None and x != g]
            if differ:
                warnings.warn(f"`{name}` set aside where the log gives its own ({len(differ)} row(s), run {differ[0]}"
                              f"{', …' if len(differ) > 1 else ''}): the logged value is used", stacklevel=3)
        cols["k_from"] = [r.k_from for r in runs]
        if norm_bound is not None:  # b is used for every row: the runs' temperatures are set aside, and said
            had = [r for r in runs if r.temperature is not None]
            if had:
                warnings.warn(f"`norm_bound` = {norm_bound:g} used for every row: the temperature of {len(had)} row(s) "
                              f"(t = {had[0].temperature:g}, from {had[0].t_from}) is set aside", stacklevel=3)
            cols["temperature"], cols["t_from"] = [None] * len(runs), ["none"] * len(runs)
        else:
            cols["temperature"], cols["t_from"] = [r.temperature for r in runs], [r.t_from for r in runs]
        return cols


def _per_run(name: str, values: Sequence[float] | None, runs: Sequence[Any]) -> list[float | None]:
    """``values`` given for log rows, one per entry: one value for every row, one per run (each
    run's rows, runs in the order printed), or one per run and K (the rows in the order printed)."""
    n = len(runs)
    if values is None:
        return [None] * n
    order = {run: i for i, run in enumerate(dict.fromkeys(r.run for r in runs))}
    if len(values) == 1:
        return [values[0]] * n
    if len(values) == n:
        return list(values)
    if len(values) == len(order):
        return [values[order[r.run]] for r in runs]
    counts = f"one per run ({len(order)})" if len(order) == n else f"one per run ({len(order)}) or one per run and K ({n}, in the order of the rows)"
    raise InputError(f"with a `log`, one value, {counts}; got {len(values)}", argument=name)


@dataclass(frozen=True)
class TermInput:
    """Measured terms that replace the prior's (each one value, or one per K): ``tau`` (τ̂),
    ``upsilon`` (υ̂), ``collision_term`` (the measured E[ln(1+Col)]), and ``curl_sub`` (the part
    of CURL's sub-task loss that Nozawa & Sato's comparison form ``arora-ns`` subtracts)."""

    tau: Sequence[float] | None = None
    upsilon: Sequence[float] | None = None
    collision_term: Sequence[float] | None = None
    curl_sub: Sequence[float] | None = None


@dataclass(frozen=True)
class BoundRequest:
    """The bounds (``methods``) for the losses of ``losses`` — or of the ``measured`` terms file
    that ``boundcalc measure --format json`` wrote — under ``prior``. ``terms`` are measured terms
    given by value; ``prior_terms`` takes υ, τ and the collision term of a ``measured`` file from
    the prior instead; ``replace=False`` takes the prior's terms from the pool of per-class counts
    drawn without replacement."""

    prior: PriorSource
    losses: LossInput
    methods: str | Sequence[str] = "all"
    _: KW_ONLY
    terms: TermInput = field(default_factory=TermInput)
    measured: str | None = None
    prior_terms: bool = False
    replace: bool = True
    temperature: float | None = None
    norm_bound: float | None = None


_BOUND_DATA_COLUMNS = ["k", "method", "loss", "upper_bound", "log_upper_bound", "lower_bound", "status", "informative",
                       "accuracy_at_least", "chance_loss", "certifies", "form", "notes", "tau", "tau_from", "upsilon",
                       "upsilon_from", "collision_term", "collision_term_from", "d", "l_sub", "curl_sub", "temperature",
                       "measured_sup", "holds"]


def _measured_columns(req: BoundRequest) -> dict[str, Any]:
    """The per-K inputs from the ``measured`` file; the loss options must be left out, and a
    temperature given must agree with the measured one."""
    from ..measured import read_measured

    lo = req.losses
    given = [name for name in ("loss", "k", "d", "l_sub", "measured_sup") if getattr(lo, name) is not None]
    given += ["log"] if lo.logs else []
    given += [name for name in ("tau", "upsilon", "collision_term", "curl_sub") if getattr(req.terms, name) is not None]
    if given:
        raise InputError(f"the measured file gives every term; leave out `{given[0]}`", argument=given[0])
    cols = read_measured(req.measured or "-", req.prior_terms)
    if req.temperature is not None:
        other = [t for t in cols["temperature"] if t is not None and abs(t - req.temperature) > 1e-12 * t]
        if other:
            raise InputError(f"{req.temperature} differs from the measured terms' temperature {other[0]} "
                             "(the bounds need the temperature L_cont was measured at)", argument="temperature")
        cols["temperature"] = [req.temperature] * len(cols["k"])
    elif req.norm_bound is not None:
        cols["temperature"] = [None] * len(cols["k"])
    return {**cols, "runs": None}


def _bounds(req: BoundRequest) -> tuple[Prior, list[Any], dict[str, Any]]:
    from ..bounds import compute_bounds

    p = req.prior.load()
    if req.measured is not None:
        cols = _measured_columns(req)
    else:
        cols = {**{name: getattr(req.terms, name) for name in ("tau", "upsilon", "collision_term", "curl_sub")},
                **req.losses.per_k(req.temperature, req.norm_bound)}
    bounds = compute_bounds(cols["loss"], cols["k"], p, req.methods, d=cols["d"], l_sub=cols["l_sub"], curl_sub=cols["curl_sub"],
                            collision_term=cols["collision_term"], tau=cols["tau"], upsilon=cols["upsilon"],
                            temperature=cols["temperature"], norm_bound=req.norm_bound, measured_sup=cols["measured_sup"],
                            replace=req.replace)
    return p, bounds, cols


#: What each row of ``bound`` shows of the run a logged loss came from.
_RUN_COLUMNS = ["run", "k_from", "t_from", "reduce", "n_values", "logged_at", "loss_key", "source"]


def bound_report(req: BoundRequest, layout: str = "long") -> Report:
    """The bounds as a table. ``layout`` "long": one row per (K, method) — per (run, K, method)
    from logs — with the bound, its log, its status, what it rests on and, from logs, which run,
    which logged values and where K came from. "wide": one row per K (per run and K), the loss
    and one column per method (``<method>_status`` beside it), as a paper prints it."""
    if layout not in ("long", "wide"):
        raise InputError(f"layout: long or wide, got {layout!r}")
    report, said = _long_bound_report(req)
    return _widen(report, said) if layout == "wide" else report


def _widen(report: Report, notes: list[str]) -> Report:
    """The long report one row per K; ``notes`` are those that the status marks do not carry."""
    from ..bounds import FORMS, METHODS

    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in report.rows:
        key = (r.get("run"), r["k"])
        row = rows.setdefault(key, {**({"run": r["run"]} if "run" in r else {}), "k": r["k"], "loss": r["loss"]})
        row[r["method"]] = r["upper_bound"]
        row[f"{r['method']}_status"] = r["status"]
        if r.get("measured_sup") is not None:
            row["measured_sup"] = r["measured_sup"]
        if r.get("chance_loss") is not None:
            row["chance_loss"] = r["chance_loss"]
    methods = [m for m in (*METHODS, *FORMS) if any(m in row for row in rows.values())]
    columns = (["run"] if any("run" in r for r in rows.values()) else []) + ["k", "loss", *methods]
    if any("measured_sup" in r for r in rows.values()):
        columns.append("measured_sup")
    # the chance loss is one number for the table: said in a note, and a column of the data only
    data = columns + [f"{m}_status" for m in methods] + (["chance_loss"] if any("chance_loss" in r for r in rows.values()) else [])
    return Report(report.title, list(rows.values()), columns, data, notes)


def _long_bound_report(req: BoundRequest) -> tuple[Report, list[str]]:
    """The long report, and its notes other than the status notes."""
    from ..bounds import certificate_notes, status_notes

    p, bounds, cols = _bounds(req)
    runs = cols["runs"]
    per_entry = len(bounds) // len(cols["k"])
    rows = []
    for i, b in enumerate(bounds):
        row = b.as_dict()
        if runs is not None:
            r = runs[i // per_entry]
            row = {"run": r.run, **row, **{c: getattr(r, c) for c in _RUN_COLUMNS[1:]}, "provenance": r.provenance}
        rows.append(row)
    columns = ["k", "method", "loss", "upper_bound", "log_upper_bound", "status", "informative", "accuracy_at_least"]
    data = list(_BOUND_DATA_COLUMNS)
    said = certificate_notes(bounds, p.is_uniform)
    if runs is not None:
        columns = ["run", *columns, "provenance"]
        data = ["run", *data, *_RUN_COLUMNS[1:]]
        said = [_reduce_note(runs), *said]
    if any(r.get("holds") is not None for r in rows):
        columns += ["measured_sup", "holds"]
    return Report(f"bounds on L_sup — {p}", rows, columns, data, [*status_notes(bounds), *said]), said


def _reduce_note(runs: Sequence[Any]) -> str:
    how = runs[0].reduce
    said = {"last": "the last logged value", "mean": "the mean of the logged values",
            "min": "the least logged value"}.get(how, f"the mean of the last {how.partition(':')[2]} logged values")
    return f"loss: {said} of each run at each K (reduce: {how}; set with --reduce)"


def plot_bounds(req: BoundRequest, output: str | Path, title: str | None = None,
                ylim: tuple[float, float] | None = None, *, accuracy: Sequence[float] | None = None, x: str = "k",
                linear_y: bool = False, run_names: str | None = None) -> Path:
    """Draw every bound against K (see :func:`boundcalc.plotting.bounds_figure`) into ``output``:
    the chance loss H(ρ) of the prior (ln C if uniform) as a line, measured L_sup as points,
    ``accuracy`` (one per K entry, or the measured file's) on a second axis, each run its own
    marker where runs share a K (``run_names`` "old=new,…" renames them). The suffix of
    ``output`` is checked before any work; the figure is not kept once written."""
    from ..formats import rename_runs
    from ..plotting import bounds_figure, figure_format, save

    with renamed_arguments({"path": "output"}):
        figure_format(output)
    p, bounds, cols = _bounds(req)
    runs = cols.get("runs")
    labels = None
    if runs is not None:
        per_entry = len(bounds) // len(runs)
        labels = rename_runs([runs[i // per_entry].run for i in range(len(bounds))], run_names)
    elif run_names is not None:
        raise InputError("run_names: renames the runs of a `log`; there is none")
    if accuracy is None and cols.get("accuracy") is not None:
        accuracy = cols["accuracy"]
    fig, _ = bounds_figure(bounds, None, title or f"Bounds on the supervised loss — {p}", ylim, runs=labels,
                           accuracy=accuracy, prior=p, x=x, linear_y=linear_y)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)
