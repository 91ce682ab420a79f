"""Coverage curves: the terminal chart and the figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, renamed_arguments
from ..priors import Prior, PriorSource
from .base import Report, pool_prior


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
    return [pool_prior(s, req.replace) for s in req.priors]


def coverage_chart_report(req: CoveragePlotRequest) -> Report:
    """υ_{K+1} of each prior at 16 values of K from 0 to ``k_max``, for a terminal bar chart."""
    from ..coverage import coverage_probability

    priors = _plot_priors(req)
    ks = np.unique(np.linspace(0, req.k_max, CHART_ROWS).round().astype(np.int64))
    vals = [np.atleast_1d(coverage_probability(ks + 1, p, req.replace)) for p in priors]
    rows = [{"k": int(kv), **{p.name: float(v[i]) for p, v in zip(priors, vals, strict=False)}} for i, kv in enumerate(ks)]
    return Report("coverage υ_(K+1) (give --output FILE.png for a figure)", rows, ["k", *(p.name for p in priors)], chart=True)


def plot_coverage(req: CoveragePlotRequest, output: str | Path, title: str | None = None) -> Path:
    """Draw the coverage curves (see :func:`boundcalc.plotting.coverage_figure`) into ``output``
    (its suffix checked before any work; the figure not kept once written)."""
    from ..plotting import coverage_figure, figure_format, save

    with renamed_arguments({"path": "output"}):
        figure_format(output)  # before any work
    priors = _plot_priors(req)
    fig, _ = coverage_figure(priors, req.k_max, req.replace, title=title, logx=req.logx)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)
