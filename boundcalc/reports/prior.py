"""Tasks on the prior alone: coverage υ_{K+1}, the collision quantities, draws to see every class,
the presets."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, renamed_arguments
from ..priors import Prior, PriorSource
from .base import Progress, Report, pool_prior, sampling_label


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
    from ..coverage import cover_time, log_coverage_and_sf

    p = pool_prior(req.prior, req.replace)
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
            "prior": p.name, "classes": p.n_classes, "sampling": sampling_label(req.replace),
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
    """τ_K, E[Col] and E[ln(1+Col)] for each K in ``k``; ``replace=False``: the K negatives drawn
    without replacement from the pool of per-class counts (the anchor one of its items)."""

    prior: PriorSource
    k: Sequence[int]
    replace: bool = True


def collision_report(req: CollisionRequest, progress: Progress | None = None) -> Report:
    """One row per K: τ_K, E[Col], E[ln(1+Col)]; ``progress`` is called with the values done."""
    from ..collision import collision_mean, collision_probability, collision_term

    p = pool_prior(req.prior, req.replace)
    ks = np.asarray(req.k, dtype=np.int64)
    r = req.replace
    tau, mean, term = _in_chunks(
        lambda part: (collision_probability(part, p, r), collision_mean(part, p, r), collision_term(part, p, r)), ks, progress)
    rows = [
        {"k": int(a), "tau": float(b), "expected_collisions": float(c), "collision_term": float(d),
         "prior": p.name, "classes": p.n_classes, "sampling": sampling_label(r)}
        for a, b, c, d in zip(ks, tau, mean, term, strict=False)
    ]
    title = f"collisions — {p}" + ("" if r else ", without replacement")
    return Report(title, rows, ["k", "tau", "expected_collisions", "collision_term"], list(rows[0]))


# ------------------------------------------------------------------------ draws
@dataclass(frozen=True)
class DrawsRequest:
    """E[T], sd[T] and the quantiles of T at the levels ``quantiles``."""

    prior: PriorSource
    quantiles: Sequence[float] = (0.5, 0.9, 0.99)
    replace: bool = True


def draws_report(req: DrawsRequest) -> Report:
    """One row: E[T], ⌈E[T]⌉, sd[T] and each requested quantile of T."""
    from ..coverage import cover_time

    p = pool_prior(req.prior, req.replace)
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


# ------------------------------------------------------------------------ presets
def presets_report() -> Report:
    """The named priors with C, whether uniform, the number of images and E[T]."""
    from ..coverage import expected_draws
    from ..priors import PRESETS

    rows = []
    for name in PRESETS:
        p = Prior.preset(name)
        et = float(expected_draws(p))
        rows.append({"name": name, "classes": p.n_classes, "uniform": p.is_uniform, "images": int(p.total) if p.is_counts else None,
                     "expected_draws": et, "ceil_expected_draws": math.ceil(et)})
    return Report("presets", rows, list(rows[0]))
