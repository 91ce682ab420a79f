"""One request type and one function per task of the command line, each returning a
:class:`Report`: the rows computed, the columns worth showing, a title and explanatory notes.

This is where the library decides what a user asked for means (which prior, which K, which
losses from a log, which seed, which notes); a front end only parses into a request, calls one
function here, and renders the report. Errors are the library's own (:mod:`boundcalc.errors`)
and name the request's fields.

One module per task (:mod:`.prior`, :mod:`.bounds`, :mod:`.simulate`, :mod:`.negatives`,
:mod:`.plots`, :mod:`.measure`), each loaded on first use of one of its names, so that a
command pays only for its own request types.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_names

if TYPE_CHECKING:
    from .base import Report
    from .bounds import BoundRequest, LossInput, TermInput, bound_report, plot_bounds
    from .measure import MeasureRequest, measure_report
    from .negatives import NegativesPlotRequest, NegativesRequest, negatives_report, plot_negatives
    from .plots import CoveragePlotRequest, coverage_chart_report, plot_coverage
    from .prior import (
        CollisionRequest,
        CoverageRequest,
        DrawsRequest,
        collision_report,
        coverage_report,
        draws_report,
        presets_report,
    )
    from .simulate import SimulateRequest, simulate_report

#: Where each public name lives.
_HOMES = {
    "Report": "base",
    **dict.fromkeys(["CoverageRequest", "CollisionRequest", "DrawsRequest", "coverage_report", "collision_report",
                     "draws_report", "presets_report"], "prior"),
    **dict.fromkeys(["LossInput", "BoundRequest", "TermInput", "bound_report", "plot_bounds"], "bounds"),
    **dict.fromkeys(["SimulateRequest", "simulate_report"], "simulate"),
    **dict.fromkeys(["NegativesRequest", "NegativesPlotRequest", "negatives_report", "plot_negatives"], "negatives"),
    **dict.fromkeys(["CoveragePlotRequest", "coverage_chart_report", "plot_coverage"], "plots"),
    **dict.fromkeys(["MeasureRequest", "measure_report"], "measure"),
}

__all__ = [
    "Report",
    "CoverageRequest",
    "CollisionRequest",
    "DrawsRequest",
    "LossInput",
    "BoundRequest",
    "TermInput",
    "SimulateRequest",
    "MeasureRequest",
    "CoveragePlotRequest",
    "NegativesRequest",
    "NegativesPlotRequest",
    "coverage_report",
    "collision_report",
    "draws_report",
    "presets_report",
    "bound_report",
    "simulate_report",
    "measure_report",
    "coverage_chart_report",
    "negatives_report",
    "plot_bounds",
    "plot_coverage",
    "plot_negatives",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
