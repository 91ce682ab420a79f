"""boundcalc: the calculator for the theory of contrastive self-supervised learning.

Collision probability τ_K, collision term E[ln(1+Col)], coverage probability υ_{K+1}, the
coupon collector's time T, and the four published bounds on the supervised loss,
exact and fast for any class prior. Definitions: README and docs/.

Every name below is loaded on first use (PEP 562), so ``import boundcalc`` and the command
line's ``--help`` do not pay for numpy; heavy dependencies (scipy, mpmath, torch, matplotlib)
are imported only where needed.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_names
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


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
