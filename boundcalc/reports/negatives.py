"""The negatives calculator: K for a target coverage, collision rate or hardness, and its plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, renamed_arguments
from ..priors import PriorSource
from .base import Report, pool_prior, sampling_label


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
    from ..negatives import hardest_negatives

    p = pool_prior(req.prior, req.replace)
    rows = []
    for kv in req.k:
        for r in hardest_negatives(kv, p, req.fractions, req.confidence, req.replace):
            rows.append({**r.as_dict(), "prior": p.name, "classes": p.n_classes, "sampling": sampling_label(req.replace)})
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
    from ..plotting import figure_format, negatives_figure, save

    with renamed_arguments({"path": "output"}):
        figure_format(output)  # before any work
    p = pool_prior(req.prior, req.replace)
    if req.k_max < 1:
        raise InputError(f"k_max: must be at least 1, got {req.k_max}")
    fig, _ = negatives_figure(p, req.k_max, req.fractions, req.confidence, req.replace, title=title)
    with renamed_arguments({"path": "output"}):
        return save(fig, output)
