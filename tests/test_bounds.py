"""The four bounds: formulas against hand-written references, statuses, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import boundcalc as bc
from boundcalc.bounds import BoundInputs, accuracy_at_least, arora, ash, bao, certificate_notes, compute_bounds, nozawa_sato
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


# ------------------------------------------------------------------ measured terms and forms
def test_measured_terms_replace_the_prior_and_say_so():
    loss, k, d, tau, ups, ct, l_sub, curl = 3.32, 127, -0.99, 0.72, 0.3, 0.69, 1.5, 0.4
    rows = by_method(compute_bounds(loss, k, 100, ("arora", "arora-ns", "nozawa-sato", "nozawa-sato-uns", "ash"), d=d,
                                    tau=tau, upsilon=ups, collision_term=ct, l_sub=l_sub, curl_sub=curl))
    assert rows["arora"].upper_bound == pytest.approx((loss - ct - d) / ((1 - tau) * ups), rel=1e-14)
    assert rows["arora-ns"].upper_bound == pytest.approx((loss - curl - ct - d) / (1 - tau), rel=1e-14)
    assert rows["nozawa-sato"].upper_bound == pytest.approx((2 * (loss - d) - ct - (1 - ups) * l_sub) / ups, rel=1e-14)
    assert rows["nozawa-sato-uns"].upper_bound == pytest.approx((2 * (loss - d) - ct - (1 - ups) * l_sub / 2) / ups, rel=1e-14)
    h = sum(1 / i for i in range(1, 100))
    assert rows["ash"].upper_bound == pytest.approx(2 * max(1, 2 * 99 * h / k) / (1 - tau) * (loss - ct), rel=1e-14)
    for b in rows.values():
        assert (b.tau_from, b.collision_term_from) == ("measured", "measured")
    assert rows["arora"].upsilon_from == "measured" and rows["ash"].upsilon_from is None
    # the notebook's halving makes the bound looser, never tighter
    assert rows["nozawa-sato-uns"].upper_bound > rows["nozawa-sato"].upper_bound


def test_terms_per_k_and_from_the_prior_where_not_given():
    ks = [31, 63]
    rows = compute_bounds([2.0, 2.5], ks, 10, ("arora",), d=-1.0, tau=[None, 0.9])
    assert rows[0].tau_from == "prior" and rows[0].tau == pytest.approx(1 - 0.9**31, rel=1e-14)
    assert rows[1].tau_from == "measured" and rows[1].tau == 0.9
    assert rows[0].upsilon_from == rows[1].upsilon_from == "prior"


def test_measured_zero_coverage_and_certain_collision_are_vacuous():
    rows = by_method(compute_bounds(3.0, 127, 100, ("arora", "nozawa-sato", "arora-ns"), d=-1.0, upsilon=0.0, tau=1.0))
    assert all(b.status == "vacuous" and b.upper_bound is None for b in rows.values())
    assert "no draw of K+1 covered every class" in rows["nozawa-sato"].notes[-1]
    assert rows["nozawa-sato"].informative is False and rows["arora-ns"].informative is None


@pytest.mark.parametrize("name,value", [("tau", 1.5), ("tau", -0.1), ("upsilon", 2.0), ("collision_term", -1.0),
                                        ("curl_sub", -0.5), ("tau", float("nan"))])
def test_measured_terms_outside_their_domain_are_refused(name, value):
    with pytest.raises(bc.errors.InputError, match=name):
        compute_bounds(3.0, 31, 10, **{name: value})


def test_inconsistent_lengths_refused():
    with pytest.raises(bc.errors.InputError, match="tau: expected one value per K"):
        compute_bounds([2.0, 2.5], [31, 63], 10, tau=[0.5, 0.6, 0.7])


def test_all_means_the_published_bounds_on_l_sup():
    assert {b.method for b in compute_bounds(2.0, 31, 10, temperature=0.5)} == {"arora", "nozawa-sato", "ash", "bao"}
    assert {b.certifies for b in compute_bounds(2.0, 31, 10, temperature=0.5)} == {"L_sup"}


# ------------------------------------------------------------------ what a bound certifies
def test_chance_loss_is_the_entropy_of_the_prior():
    p = as_prior("imagenet_lt")
    rho = p.per_class() / p.total
    b = compute_bounds(8.0, 4095, p, ("bao",), temperature=0.2)[0]
    assert b.chance_loss == pytest.approx(float(-(rho * np.log(rho)).sum()), rel=1e-13)
    assert compute_bounds(2.0, 31, 10, ("ash",))[0].chance_loss == pytest.approx(math.log(10), rel=1e-15)


@given(st.floats(0.0, 20.0), st.integers(1, 10**6), st.floats(0.05, 5.0))
def test_certificate_laws(loss, k, t):
    for b in compute_bounds(loss, k, 10, temperature=t, d=-0.1):
        if b.upper_bound is None:
            assert b.informative is False and b.accuracy_at_least is None
            continue
        assert b.informative == (b.upper_bound < math.log(10))
        assert 0.0 <= b.accuracy_at_least <= 1.0
        # Markov on the loss of a misclassified point (≥ ln 2): error ≤ bound / ln 2
        assert b.accuracy_at_least == pytest.approx(max(0.0, 1 - b.upper_bound / math.log(2)), abs=1e-15)


def test_accuracy_certificate_against_a_brute_force_classifier():
    # every misclassified point of any softmax classifier has loss ≥ ln 2, so error ≤ L_sup / ln 2
    rng = np.random.default_rng(0)
    for _ in range(50):
        logits = rng.normal(scale=rng.uniform(0.1, 6.0), size=(400, 5))
        y = rng.integers(0, 5, 400)
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        loss = float(-logp[np.arange(400), y].mean())
        acc = float((logits.argmax(1) == y).mean())
        assert acc >= accuracy_at_least(loss) - 1e-12


def test_notes_say_when_nothing_is_informative():
    rows = compute_bounds(2.238, 31, 10, temperature=0.5)
    notes = certificate_notes(rows, uniform=True)
    assert notes[0].startswith("No bound is below the chance loss ln C = 2.303")
    good = compute_bounds(0.5, 31, 10, ("bao",), temperature=0.5)
    assert good[0].informative and "informative: 1 of 1" in certificate_notes(good, uniform=True)[0]
