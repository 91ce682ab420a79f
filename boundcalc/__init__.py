"""boundcalc: the calculator for the theory of contrastive self-supervised learning.

Collision probability τ_K, collision term E[ln(1+Col)], coverage probability υ_{K+1}, the
coupon collector's time T, and the four published bounds on the supervised loss,
exact and fast for any class prior. Definitions: README and docs/.

Every name below is loaded on first use (PEP 562), so ``import boundcalc`` and the command
line's ``--help`` do not pay for numpy; heavy dependencies (scipy, mpmath, torch, matplotlib)
are imported only where needed.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .names import PRESETS

if TYPE_CHECKING:
    from .collision import (
        collision_mean,
        collision_pmf,
        collision_probability,
        collision_term,
        log_collision_complement,
    )
    from .coverage import (
        CoverTime,
        cover_time,
        coverage_probability,
        coverage_sf,
        draws_for_coverage,
        expected_draws,
        log_coverage_probability,
        log_coverage_sf,
    )
    from .priors import Prior, as_prior

__version__ = "0.1.0"

#: Where each public name lives.
_HOMES = {
    "Prior": "priors",
    "as_prior": "priors",
    "coverage_probability": "coverage",
    "log_coverage_probability": "coverage",
    "coverage_sf": "coverage",
    "log_coverage_sf": "coverage",
    "expected_draws": "coverage",
    "draws_for_coverage": "coverage",
    "cover_time": "coverage",
    "CoverTime": "coverage",
    "collision_probability": "collision",
    "collision_term": "collision",
    "collision_pmf": "collision",
    "collision_mean": "collision",
    "log_collision_complement": "collision",
}

__all__ = [
    "Prior",
    "as_prior",
    "PRESETS",
    "coverage_probability",
    "log_coverage_probability",
    "coverage_sf",
    "log_coverage_sf",
    "collision_probability",
    "collision_term",
    "collision_pmf",
    "collision_mean",
    "log_collision_complement",
    "expected_draws",
    "draws_for_coverage",
    "cover_time",
    "CoverTime",
]


def __getattr__(name: str) -> Any:
    """Load a public name (or a submodule such as ``boundcalc.coverage``) on first use."""
    if name in _HOMES:
        value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value
        return value
    try:
        return import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
