"""The four bounds: formulas against hand-written references, statuses, edge cases."""

from __future__ import annotations

import math

import pytest

import boundcalc as bc
from boundcalc.bounds import BoundInputs, arora, ash, bao, compute_bounds, nozawa_sato
from boundcalc.priors import as_prior


def by_method(rows):
    return {b.method: b for b in rows}


def test_issue_check_nozawa_sato_c10_k31():
    b = by_method(compute_bounds(2.02, 31, 10, d=-1.16, temperature=0.5))
    ups = bc.coverage_probability(32, 10)
    assert ups == pytest.approx(0.6909756, abs=1e-7)
    want = (2 * (2.02 + 1.16) - bc.collision_term(31, 10)) / ups
    assert b["nozawa-sato"].upper_bound == pytest.approx(want, rel=1e-14)
    assert b["nozawa-sato"].status == "ok"


def test_formulas_against_direct_evaluation():
    c, k, loss, d, l_sub, t = 100, 255, 4.0, -0.9, 3.5, 0.5
    tau = 1 - (1 - 1 / c) ** k
    ups = bc.coverage_probability(k + 1, c)
    x = bc.collision_term(k, c)
    h = sum(1 / i for i in range(1, c))
    b = by_method(compute_bounds(loss, k, c, d=d, l_sub=l_sub, temperature=t))
    assert b["arora"].upper_bound == pytest.approx((loss - x - d) / ((1 - tau) * ups), rel=1e-12)
    assert b["nozawa-sato"].upper_bound == pytest.approx((2 * (loss - d) - x - (1 - ups) * l_sub) / ups, rel=1e-12)
    assert b["ash"].upper_bound == pytest.approx(2 * max(1, 2 * (c - 1) * h / k) / (1 - tau) * (loss - x), rel=1e-12)
    assert b["bao"].upper_bound == pytest.approx(loss + math.log((1 / c) * c * c * math.cosh(1 / t) ** 2 / k), rel=1e-14)
    lower = loss + math.log(c) + math.log(k) - 2 * math.log(k + 1) - 2 * math.log(math.cosh(1 / t))
    assert b["bao"].lower_bound == pytest.approx(max(0.0, lower), abs=1e-14)


def test_non_uniform_prior_uses_general_terms():
    p = as_prior("imagenet_lt")
    k, loss = 4095, 8.0
    b = by_method(compute_bounds(loss, k, p, d=-1.0, temperature=0.2))
    rho = p.per_class() / p.total
    tau = 1 - float((rho * (1 - rho) ** k).sum())
    assert b["arora"].tau == pytest.approx(tau, rel=1e-12)
    assert b["arora"].upsilon == pytest.approx(bc.coverage_probability(k + 1, p), rel=1e-14)
    assert b["bao"].upper_bound == pytest.approx(loss + math.log(rho.max() * 1000**2 * math.cosh(5.0) ** 2 / k), rel=1e-13)


def test_arora_explodes_and_log_survives():
    b = by_method(compute_bounds(4.64, 511, 10, d=-1.19))
    assert b["arora"].upper_bound > 1e23
    far = arora(BoundInputs(10.0, 20000, as_prior(10), d=-1.0))
    assert far.upper_bound == math.inf and far.status == "ok"
    want = math.log(11.0 - bc.collision_term(20000, 10)) - 20000 * math.log(0.9) - math.log(bc.coverage_probability(20001, 10))
    assert far.log_upper_bound == pytest.approx(want, rel=1e-12)
    assert "log_upper_bound" in far.notes[-1]


def test_statuses():
    vac = by_method(compute_bounds(3.0, 5, 10))
    assert vac["arora"].status == "vacuous" and vac["arora"].upper_bound is None
    assert vac["nozawa-sato"].status == "vacuous"
    assert vac["bao"].status == "needs_temperature"
    ok = by_method(compute_bounds(3.0, 63, 10))
    assert ok["arora"].status == "assumes_d_zero" and ok["nozawa-sato"].status == "assumes_d_zero"
    assert ok["ash"].status == "ok"
    neg = by_method(compute_bounds(0.1, 63, 10, d=-0.0))
    assert neg["arora"].status == "vacuous" and "numerator" in neg["arora"].notes[-1]


def test_assumed_d_zero_understates():
    with_d = by_method(compute_bounds(3.0, 63, 10, d=-1.0))
    without = by_method(compute_bounds(3.0, 63, 10))
    for m in ("arora", "nozawa-sato"):
        assert without[m].upper_bound < with_d[m].upper_bound


def test_holds_against_measured_sup():
    rows = compute_bounds(3.0, 63, 10, d=-1.0, temperature=0.5, measured_sup=1.0)
    assert all(r.holds for r in rows)
    rows = compute_bounds(3.0, 63, 10, d=-1.0, temperature=0.5, measured_sup=1e6)
    assert not any(r.holds for r in rows)


def test_measured_collision_term_is_used():
    a = nozawa_sato(BoundInputs(3.0, 63, as_prior(10), d=-1.0, collision_term=0.5))
    assert a.upper_bound == pytest.approx((2 * 4.0 - 0.5) / bc.coverage_probability(64, 10), rel=1e-14)


@pytest.mark.parametrize(
    "kwargs,exc,msg",
    [
        (dict(loss=float("nan")), ValueError, "loss"),
        (dict(loss=-1.0), ValueError, "loss"),
        (dict(d=0.5), ValueError, "d"),
        (dict(l_sub=-1.0), ValueError, "l_sub"),
        (dict(temperature=0.0), ValueError, "temperature"),
        (dict(temperature=1.0, norm_bound=1.0), ValueError, "one or the other"),
    ],
)
def test_bad_inputs(kwargs, exc, msg):
    base = dict(loss=2.0, k=31, prior=as_prior(10))
    base.update(kwargs)
    with pytest.raises(exc, match=msg):
        for f in (arora, nozawa_sato, ash, bao):
            f(BoundInputs(**base))


def test_compute_bounds_shapes_and_methods():
    rows = compute_bounds([2.02, 2.64], [31, 63], 10, methods=("ash", "bao"), temperature=0.5)
    assert [(r.k, r.method) for r in rows] == [(31, "ash"), (31, "bao"), (63, "ash"), (63, "bao")]
    with pytest.raises(ValueError, match="one value per K"):
        compute_bounds([1.0, 2.0, 3.0], [31, 63], 10)
    with pytest.raises(ValueError, match="unknown"):
        compute_bounds(1.0, 31, 10, methods=("nope",))
