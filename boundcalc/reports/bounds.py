"""The bound task: losses (given or read from logs) at each K, every published bound side by side,
and its plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
        from ..logs import read_losses

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
    from ..bounds import compute_bounds

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
    from ..bounds import METHODS

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
    from ..bounds import status_notes

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
