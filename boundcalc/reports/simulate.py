"""The Monte Carlo task: the prior's quantities simulated, beside their exact values."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..priors import PriorSource
from .base import Progress, Report, pool_prior


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
    from ..collision import collision_mean, collision_probability, collision_term
    from ..coverage import coverage_probability, expected_draws
    from ..montecarlo import simulate_all

    p = pool_prior(req.prior, req.replace)
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
