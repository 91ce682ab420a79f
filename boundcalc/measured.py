"""Measured terms as ``bound`` reads them: the JSON that ``boundcalc measure --format json``
writes (one row object per K), turned into the per-K inputs of
:func:`boundcalc.bounds.compute_bounds`.

A row needs ``k`` and ``l_cont``; every other term is optional and, when present, used:
``upsilon`` (υ̂), ``tau`` (τ̂), ``collision_term``, ``d``, ``l_sub_uncovered`` (L_sub on the draws
that miss a class: Nozawa & Sato's L_sub), ``curl_sub_uncovered_part`` (the part Nozawa & Sato's
comparison form of Arora et al. subtracts), ``l_sup`` (the measured L_sup, compared with each
bound), ``temperature`` and ``accuracy`` (the mean classifier's, for figures). Other keys (intervals, counts, hardness bands) are ignored. Rows whose
``k`` repeats are refused: one encoder's measurement gives one row per K.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .errors import InputError
from .textfiles import read_json
from .validation import MAX_COUNT

__all__ = ["MEASURED_KEYS", "read_measured", "measured_columns"]

#: measure's JSON key → compute_bounds' argument, for the terms bound uses.
MEASURED_KEYS = {
    "l_cont": "loss",
    "upsilon": "upsilon",
    "tau": "tau",
    "collision_term": "collision_term",
    "d": "d",
    "l_sub_uncovered": "l_sub",
    "curl_sub_uncovered_part": "curl_sub",
    "l_sup": "measured_sup",
    "temperature": "temperature",
    "accuracy": "accuracy",
}
#: Each term's domain (low, high), checked here so that a refusal names the file and row.
_DOMAINS = {"l_cont": (0.0, math.inf), "upsilon": (0.0, 1.0), "tau": (0.0, 1.0), "collision_term": (0.0, math.inf),
            "d": (-math.inf, 0.0), "l_sub_uncovered": (0.0, math.inf), "curl_sub_uncovered_part": (0.0, math.inf),
            "l_sup": (0.0, math.inf), "temperature": (0.0, math.inf), "accuracy": (0.0, 1.0)}
#: The terms that, with ``prior_terms``, are taken from the prior (or pool) instead.
_PRIOR_TERMS = ("upsilon", "tau", "collision_term")


def _number(row: dict[str, Any], key: str, where: str) -> float | None:
    v = row.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{where}: {key} must be a number, got {v!r}", argument="measured")
    if not math.isfinite(v):
        raise InputError(f"{where}: {key} is {v}, not a finite number", argument="measured")
    lo, hi = _DOMAINS[key]
    if not lo <= v <= hi or (key == "temperature" and v == 0):
        raise InputError(f"{where}: {key} = {v} lies outside its domain [{lo:g}, {hi:g}]", argument="measured")
    return float(v)


def measured_columns(rows: Any, source: str = "measured terms", prior_terms: bool = False) -> dict[str, list[Any]]:
    """The per-K columns of ``rows`` (a list of measure's row objects), keyed by
    :func:`~boundcalc.bounds.compute_bounds`' argument names, plus ``k``. ``prior_terms`` drops
    υ̂, τ̂ and the measured collision term, so the prior's (or pool's) exact values are used with
    the measured losses. Refused, naming the row: no rows, a row that is not an object, a missing
    or repeated ``k``, a missing ``l_cont``, a non-numeric term."""
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{source}: expected a non-empty JSON list of row objects, as `boundcalc measure --format json` writes",
                         argument="measured")
    cols: dict[str, list[Any]] = {"k": [], **{arg: [] for arg in MEASURED_KEYS.values()}}
    seen: set[int] = set()
    for i, row in enumerate(rows):
        where = f"{source}: row {i + 1}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected an object with k, l_cont, …, got {type(row).__name__}", argument="measured")
        if "k" not in row or "l_cont" not in row:
            raise InputError(f"{where}: needs `k` and `l_cont` (the output of `boundcalc measure --format json`)",
                             argument="measured")
        k = row["k"]
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= MAX_COUNT:
            raise InputError(f"{where}: k must be a whole number from 0 to 2**53, got {k!r}", argument="measured")
        if k in seen:
            raise InputError(f"{where}: K = {k} again (one row per K)", argument="measured")
        seen.add(k)
        cols["k"].append(k)
        for key, arg in MEASURED_KEYS.items():
            cols[arg].append(None if prior_terms and key in _PRIOR_TERMS else _number(row, key, where))
    return cols


def read_measured(path: str | Path, prior_terms: bool = False) -> dict[str, list[Any]]:
    """The measured terms in ``path`` (``-``: standard input), written by ``boundcalc measure
    --format json``, as :func:`measured_columns` returns them."""
    name = "standard input" if str(path) == "-" else str(path)
    return measured_columns(read_json(path, "measured"), name, prior_terms)
