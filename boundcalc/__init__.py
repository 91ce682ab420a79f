"""boundcalc: the calculator for the theory of contrastive self-supervised learning.

Collision probability τ_K, collision term E[ln(1+Col)], coverage probability υ_{K+1}, the
coupon collector's time T, and the four published bounds on the downstream supervised loss,
exact and fast for any class prior. Definitions: README and docs/.

Heavy dependencies (scipy, mpmath, torch, matplotlib) are imported only where needed.
"""

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
from .priors import PRESETS, Prior, as_prior

__version__ = "0.1.0"

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
