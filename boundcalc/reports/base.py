"""What every task returns: the :class:`Report`, and the helpers the tasks share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..priors import Prior, PriorSource, require_pool

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


def sampling_label(replace: bool) -> str:
    return "iid" if replace else "without_replacement"


def pool_prior(source: PriorSource, replace: bool) -> Prior:
    """The prior; without replacement it must define a pool of per-class counts."""
    p = source.load()
    return p if replace else require_pool(p)
