"""The fast subset of the adversarial accuracy sweep (tests/adversarial.py): every case within
its tolerance (1e−13; deep left tails 1e−16 |ln υ| + 2 ulp) of its high-precision reference. The full sweep is ``python examples/adversarial.py``."""

from __future__ import annotations

import pytest

from .adversarial import QUANTITIES, Case, cases, error, tolerance

CASES = cases(full=False)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.quantity}|{c.label}|{c.arg}")
def test_case_within_tolerance(case: Case):
    assert error(case) <= tolerance(case.quantity)


def test_the_subset_covers_every_quantity():
    assert {c.quantity for c in CASES} == set(QUANTITIES)


@pytest.mark.parametrize("prior", [2, 100, 1000, "imagenet1k", [5, 6], [1, 2, 3, 1000]])
def test_laws_hold_along_whole_curves(prior):
    """Along a dense curve (shared saddle-point circles and the far-tail sum): the cdf never
    decreases, the survival function never increases, pmf ≥ 0, and cdf + sf = 1 to one rounding."""
    import numpy as np

    import boundcalc as bc

    t = bc.cover_time(prior)
    n = np.arange(0, int(t.mean() + 60 * t.std()) + t.prior.n_classes)
    cdf, sf = t.cdf(n), t.sf(n)
    assert np.all(np.diff(cdf) >= 0) and np.all(np.diff(sf) <= 0)
    assert np.all(t.pmf(n) >= 0)
    assert np.max(np.abs(cdf + sf - 1)) <= 2.3e-16
