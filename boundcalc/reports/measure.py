"""The measure task: the bound's terms measured from an encoder's features, beside the prior's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..priors import Prior, PriorSource
from .base import Progress, Report


# ------------------------------------------------------------------------ measure
@dataclass(frozen=True)
class MeasureRequest:
    """Measure the bounds' terms from saved ``features`` (two files) with ``labels``, or from an
    ``encoder`` and ``data`` given as ``module:factory``; then the bounds under ``prior``
    (default: the label counts). ``classes`` fixes C (labels outside 0..C−1 refused);
    ``averaged_features`` (a file) or ``augmentations`` (encoder path) give m from independent
    augmentations; rows are shuffled with ``seed`` unless ``keep_order``; ``passes`` reshuffled
    passes are pooled; ``bootstrap`` replicates give the 95% intervals."""

    k: int
    temperature: float
    features: tuple[str | Path, str | Path] | None = None
    labels: str | Path | None = None
    encoder: str | None = None
    data: str | None = None
    means: str | Path | None = None
    seed: int = 0
    device: str | None = None
    amp: bool = False
    prior: PriorSource | None = None
    methods: str | Sequence[str] = "all"
    classes: int | None = None
    averaged_features: str | Path | None = None
    augmentations: int = 0
    keep_order: bool = False
    passes: int = 1
    bootstrap: int | None = None


#: How the measured terms are named in the terminal (JSON and CSV keep the keys of TERMS).
MEASURED_LABELS = {
    "l_cont": "L_cont", "upsilon": "υ̂ (share of anchors in covered batches)",
    "tau": "τ̂ (share of anchors whose class repeats)", "sup_part": "sup part", "sub_part": "sub part",
    "collision_term": "E[ln(1+Col)] measured", "d": "d(f)", "lower_bound": "L_cont ≥ (Nozawa–Sato, measured)",
    "l_sup_covered": "E[L_sup | covered]", "l_sub_uncovered": "L_sub (uncovered batches)",
    "l_sup": "L_sup (mean classifier)", "accuracy": "accuracy (anchor view)",
    "accuracy_two_views": "accuracy (mean of two views)", "curl_sub_part": "CURL part: (1 − τ̂) E[L_sub | no repeat]",
    "l_sub_no_collision": "E[L_sub | no repeat]", "l_cont_no_collision": "E[L_cont | no repeat]",
    "arora_lower_bound": "L_cont ≥ (Arora et al., measured)",
}
#: Headers of measure's flat table: the measured υ̂, τ̂ are not the prior's υ_(K+1), τ_K.
_MEASURED_COLUMN_LABELS = {"upsilon": "υ̂ (measured)", "tau": "τ̂ (measured)", "l_cont": "L_cont (measured)",
                           "collision_term": "E[ln(1+Col)] (measured)", "d": "d(f) (measured)"}
#: The bound rows' own values, renamed in measure's flat output so that they never overwrite a
#: measured term of the same name (the prior's τ_K and υ_{K+1}; Bao's lower bound on L_sup).
_BOUND_RENAMES = {"tau": "tau_prior", "upsilon": "upsilon_prior", "lower_bound": "l_sup_lower_bound"}
#: Values a bound row repeats from the measurement (measured L_cont, d, L_sub, collision term).
_BOUND_REPEATS = ("loss", "d", "l_sub", "collision_term")


def measure_report(req: MeasureRequest, progress: Progress | None = None) -> Report:
    """The measured terms with 95% bootstrap intervals, the bounds computed from them (with the
    intervals the replicates give) and whether each holds against the measured L_sup, and the
    same-class share of the hardest negatives beside what the prior predicts. The prior is the
    label counts unless one is given; L_sub is the measured loss on uncovered batches."""
    from ..measure import DEFAULT_BOOTSTRAP, TERMS, load_array, load_factory, measure, measure_encoder

    if (req.features is None) == (req.encoder is None):
        raise InputError("give either `features` (two files) with `labels`, or an `encoder` with `data`", argument="features")
    mu = load_array(req.means, "means") if req.means is not None else None
    opts: dict[str, Any] = dict(means=mu, num_classes=req.classes, seed=req.seed, keep_order=req.keep_order,
                                passes=req.passes, device=req.device, progress=progress,
                                bootstrap=DEFAULT_BOOTSTRAP if req.bootstrap is None else req.bootstrap)
    if req.features is not None:
        if req.labels is None or req.data is not None:
            raise InputError("`features` need `labels` (and no `data`)", argument="features")
        if req.augmentations:
            raise InputError("augmentations: run the `encoder`; with saved features give `averaged_features`")
        z1, z2 = load_array(req.features[0], "features"), load_array(req.features[1], "features")
        y = load_array(req.labels, "labels")
        avg = load_array(req.averaged_features, "averaged_features") if req.averaged_features is not None else None
        res = measure(z1, z2, y, req.k, req.temperature, averaged=avg, **opts)
    else:
        if req.data is None or req.labels is not None:
            raise InputError("an `encoder` needs `data` (and no `labels`)", argument="encoder")
        if req.averaged_features is not None:
            raise InputError("averaged_features: with an `encoder`, use `augmentations`")
        encoder = load_factory(str(req.encoder), "encoder")
        data = str(req.data)
        res = measure_encoder(encoder, lambda: load_factory(data, "data"), req.k, req.temperature,
                              augmentations=req.augmentations, amp=req.amp, **opts)
    p = req.prior.load() if req.prior is not None else _label_prior(res.class_counts)
    bounds, bound_ci = _measured_bounds(req, res, p)
    terms = res.as_dict()
    ci = res.intervals
    term_rows = [{"quantity": MEASURED_LABELS[t], "value": terms[t], "ci_low": ci.get(t, (None, None))[0],
                  "ci_high": ci.get(t, (None, None))[1]} for t in TERMS]
    rows = []
    for b in bounds:
        row = {("upper_bound" if key == "upper_bound" else _BOUND_RENAMES.get(key, key)): val
               for key, val in b.as_dict().items() if key not in _BOUND_REPEATS}
        lo, hi = bound_ci.get(b.method, (None, None))
        rows.append({**row, "upper_bound_ci_low": lo, "upper_bound_ci_high": hi})
    hard = _hardness_rows(res, p)
    flat_terms = {**{t: terms[t] for t in TERMS}, **{f"{t}_ci_{side}": ci.get(t, (None, None))[i]
                                                    for t in TERMS for i, side in enumerate(("low", "high"))}}
    counts = {"k": req.k, "temperature": req.temperature, "n_anchors": res.n_anchors, "n_batches": res.n_batches,
              "passes": res.passes, "bootstrap": res.bootstrap, "num_classes": res.num_classes}
    flat = [{**counts, **flat_terms, **r} for r in rows]
    bound_cols = ["method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds",
                  "upsilon_prior", "tau_prior"]
    parts = [
        Report(f"measured terms — K = {req.k}, t = {req.temperature:g}, {res.n_anchors} anchors in {res.n_batches} "
               f"batches, 95% bootstrap intervals over batches ({res.bootstrap} replicates)",
               term_rows, ["quantity", "value", "ci_low", "ci_high"]),
        Report(f"bounds on L_sup — {p} (the prior's υ_(K+1), τ_K); holds = bound ≥ measured L_sup", rows, bound_cols),
        Report("same-class negatives among the hardest (ranked by u·v): measured, and what the prior predicts "
               "for an ideally clustered and a random ranking", hard,
               ["band", "hardest", "same_class_share", "ci_low", "ci_high", "same_class_share_ideal",
                "same_class_share_random"]),
    ]
    columns = ["method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds", "l_cont",
               "upsilon", "upsilon_prior", "tau", "tau_prior", "collision_term", "d", "l_sup"]
    notes = ["m for d(f) and μ: " + ("the given averaged features" if req.averaged_features is not None else
             f"the mean of {req.augmentations} independent augmentations" if req.augmentations else
             "(u + v)/2 of the same two views, which contains the anchor (biased towards d = 0; give "
             "--averaged-features or --augmentations for the authors' estimate)")]
    document = [{**counts, **{t: terms[t] for t in TERMS}, "intervals": {t: list(v) for t, v in ci.items()},
                 "hardness": hard, "bounds": rows}]
    return Report(f"measured terms and bounds — K = {req.k}", flat, columns, list(flat[0]), notes=notes, parts=parts,
                  document=document, labels=_MEASURED_COLUMN_LABELS)


def _label_prior(counts: Sequence[int]) -> Prior:
    """The label counts (zero-count classes, possible when C is given, dropped with a warning)."""
    return Prior.from_counts(np.asarray(counts, dtype=np.int64), name="label counts")


def _measured_bounds(req: MeasureRequest, res: Any, p: Prior) -> tuple[list[Any], dict[str, tuple[float | None, float | None]]]:
    """The bounds from the measured terms, and from each bootstrap replicate: 95% intervals."""
    from ..bounds import compute_bounds

    bounds = compute_bounds(res.l_cont, req.k, p, req.methods, d=res.d, l_sub=res.l_sub_uncovered,
                            collision_term=res.collision_term, temperature=req.temperature, measured_sup=res.l_sup)
    reps = res.replicates
    if not reps:
        return bounds, {}
    r = len(reps["l_cont"])

    def opt(vals: np.ndarray) -> list[float | None]:
        return [float(v) if math.isfinite(v) else None for v in vals]

    rep = compute_bounds(list(reps["l_cont"]), [req.k] * r, p, req.methods, d=list(reps["d"]),
                         l_sub=opt(reps["l_sub_uncovered"]), collision_term=list(reps["collision_term"]),
                         temperature=req.temperature)
    out: dict[str, tuple[float | None, float | None]] = {}
    for method in {b.method for b in bounds}:
        # a replicate without a finite bound counts as +inf (the quantiles are sample values)
        ub = np.array([b.upper_bound if b.upper_bound is not None else math.inf for b in rep if b.method == method])
        lo, hi = np.quantile(ub, [0.025, 0.975], method="inverted_cdf")
        out[method] = (float(lo) if math.isfinite(lo) else None, float(hi) if math.isfinite(hi) else None)
    return bounds, out


def _hardness_rows(res: Any, p: Prior) -> list[dict[str, Any]]:
    """Each hardness band beside the prior's prediction (docs/negatives.md §1)."""
    from ..negatives import CollisionCount

    col = CollisionCount(res.k, p, True)
    mean = col.mean()
    rows = []
    top = max((h["hardest"] for h in res.hardness if h["band"] != "rest"), default=0)
    for h in res.hardness:
        in_band = mean - col.expected_min(top) if h["band"] == "rest" else col.expected_min(h["hardest"])
        rows.append({**h, "same_class_share_ideal": in_band / h["hardest"], "same_class_share_random": mean / res.k})
    return rows
