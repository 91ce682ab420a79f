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
    ``encoder`` and ``data`` given as ``module:factory``, at one K or each of a list (one pass
    over the features, one row per K); then the bounds under ``prior`` (default: the label
    counts). ``classes`` fixes C (labels outside 0..C−1 refused); ``averaged_features`` (a file)
    or ``augmentations`` (encoder path) give m from independent augmentations; μ comes from
    ``means``, else from a training split (``train_features`` with ``train_labels``, optionally
    ``train_averaged_features``; encoder path: ``train_data``), else from the measured features;
    rows are shuffled with ``seed`` unless ``keep_order``; ``passes`` reshuffled passes are
    pooled; ``bootstrap`` replicates give the 95% intervals."""

    k: int | Sequence[int]
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
    train_features: tuple[str | Path, str | Path] | None = None
    train_labels: str | Path | None = None
    train_averaged_features: str | Path | None = None
    train_data: str | None = None


#: How the measured terms are named in the terminal (JSON and CSV keep the keys of TERMS).
MEASURED_LABELS = {
    "l_cont": "L_cont", "upsilon": "υ̂ (share of anchors in covered batches)",
    "tau": "τ̂ (share of anchors whose class repeats)", "sup_part": "sup part", "sub_part": "sub part",
    "collision_term": "E[ln(1+Col)] measured", "d": "d(f)", "lower_bound": "L_cont ≥ (Nozawa–Sato, measured)",
    "l_sup_covered": "E[L_sup | covered]", "l_sub_uncovered": "L_sub (uncovered batches)",
    "l_sup": "L_sup (mean classifier)", "accuracy": "accuracy (anchor view)",
    "accuracy_two_views": "accuracy (mean of two views)", "curl_sub_part": "CURL part: (1 − τ̂) E[L_sub | no repeat]",
    "curl_sub_uncovered_part": "CURL part, uncovered batches only (arora-ns)",
    "l_sub_no_collision": "E[L_sub | no repeat]", "l_cont_no_collision": "E[L_cont | no repeat]",
    "arora_lower_bound": "L_cont ≥ (Arora et al., measured)",
    "collision_upper_bound": "collision bound (Nozawa & Sato Table 2; cosine units)",
}
#: Headers of measure's flat table: the measured υ̂, τ̂ are not the prior's υ_(K+1), τ_K.
_MEASURED_COLUMN_LABELS = {"upsilon": "υ̂ (measured)", "tau": "τ̂ (measured)", "l_cont": "L_cont (measured)",
                           "collision_term": "E[ln(1+Col)] (measured)", "d": "d(f) (measured)",
                           "collision_upper_bound": "collision bound (measured)",
                           "curl_sub_uncovered_part": "CURL part, uncovered (measured)",
                           "l_sub_uncovered": "L_sub, uncovered (measured)"}
#: The bound rows' own values, renamed in measure's flat output so that they never overwrite a
#: measured term of the same name (the prior's τ_K and υ_{K+1}; Bao's lower bound on L_sup).
_BOUND_RENAMES = {"tau": "tau_prior", "upsilon": "upsilon_prior", "lower_bound": "l_sup_lower_bound"}
#: Values a bound row repeats from the measurement (measured L_cont, d, L_sub, collision term).
_BOUND_REPEATS = ("loss", "d", "l_sub", "curl_sub", "collision_term")
#: The measured terms measure's bounds use besides the losses: the collision term; υ and τ are the
#: prior's (``bound --measured`` takes υ̂ and τ̂ too).
_BOUND_MEASURED = ("collision_term",)
#: The columns of the per-K summary when several K are measured.
_SUMMARY = ["k", "l_cont", "upsilon", "tau", "collision_term", "collision_upper_bound", "d", "l_sub_uncovered",
            "curl_sub_uncovered_part", "l_sup", "accuracy"]


def _load_split(req: MeasureRequest) -> dict[str, Any]:
    """The training split's arrays for :func:`~boundcalc.measure.measure` (empty when none)."""
    from ..measure import load_array

    if req.train_features is None and req.train_averaged_features is None and req.train_labels is None:
        return {}
    if req.train_labels is None:
        raise InputError("a training split needs `train_labels`", argument="train_labels")
    return {"train_features": None if req.train_features is None else
            (load_array(req.train_features[0], "train_features"), load_array(req.train_features[1], "train_features")),
            "train_labels": load_array(req.train_labels, "train_labels"),
            "train_averaged": None if req.train_averaged_features is None else
            load_array(req.train_averaged_features, "train_averaged_features")}


def measure_report(req: MeasureRequest, progress: Progress | None = None) -> Report:
    """The measured terms with 95% bootstrap intervals (one row per K), the bounds computed from
    them (with the intervals the replicates give) and whether each holds against the measured
    L_sup, and the same-class share of the hardest negatives beside what the prior predicts. The
    prior is the label counts unless one is given; L_sub is the measured loss on uncovered
    batches; the bounds take υ and τ from the prior, the collision term measured."""
    from ..measure import DEFAULT_BOOTSTRAP, MEANS_FROM, TERMS, load_array, load_factory, measure, measure_encoder

    if (req.features is None) == (req.encoder is None):
        raise InputError("give either `features` (two files) with `labels`, or an `encoder` with `data`", argument="features")
    ks = [req.k] if isinstance(req.k, int) else list(req.k)
    mu = load_array(req.means, "means") if req.means is not None else None
    opts: dict[str, Any] = dict(means=mu, num_classes=req.classes, seed=req.seed, keep_order=req.keep_order,
                                passes=req.passes, device=req.device, progress=progress,
                                bootstrap=DEFAULT_BOOTSTRAP if req.bootstrap is None else req.bootstrap)
    if req.features is not None:
        if req.labels is None or req.data is not None:
            raise InputError("`features` need `labels` (and no `data`)", argument="features")
        if req.augmentations:
            raise InputError("augmentations: run the `encoder`; with saved features give `averaged_features`")
        if req.train_data is not None:
            raise InputError("train_data: with saved features give `train_features` and `train_labels`")
        z1, z2 = load_array(req.features[0], "features"), load_array(req.features[1], "features")
        y = load_array(req.labels, "labels")
        avg = load_array(req.averaged_features, "averaged_features") if req.averaged_features is not None else None
        res = measure(z1, z2, y, ks, req.temperature, averaged=avg, **opts, **_load_split(req))
    else:
        if req.data is None or req.labels is not None:
            raise InputError("an `encoder` needs `data` (and no `labels`)", argument="encoder")
        if req.averaged_features is not None:
            raise InputError("averaged_features: with an `encoder`, use `augmentations`")
        if req.train_features is not None or req.train_labels is not None or req.train_averaged_features is not None:
            raise InputError("train_features: with an `encoder`, give the training split as `train_data`")
        encoder = load_factory(str(req.encoder), "encoder")
        data = str(req.data)
        train = None if req.train_data is None else (lambda: load_factory(str(req.train_data), "train_data"))
        res = measure_encoder(encoder, lambda: load_factory(data, "data"), ks, req.temperature,
                              augmentations=req.augmentations, amp=req.amp, train_loader=train, **opts)
    p = req.prior.load() if req.prior is not None else _label_prior(res[0].class_counts)
    flat: list[dict[str, Any]] = []
    document: list[dict[str, Any]] = []
    bound_rows: list[dict[str, Any]] = []
    hard_rows: list[dict[str, Any]] = []
    term_rows: list[list[dict[str, Any]]] = []
    for m in res:
        bounds, bound_ci = _measured_bounds(req, m, p)
        terms = m.as_dict()
        ci = m.intervals
        term_rows.append([{"quantity": MEASURED_LABELS[t], "value": terms[t], "ci_low": ci.get(t, (None, None))[0],
                           "ci_high": ci.get(t, (None, None))[1]} for t in TERMS])
        rows = []
        for b in bounds:
            row = {_BOUND_RENAMES.get(key, key): val for key, val in b.as_dict().items() if key not in _BOUND_REPEATS}
            lo, hi = bound_ci.get(b.method, (None, None))
            rows.append({**row, "upper_bound_ci_low": lo, "upper_bound_ci_high": hi})
        hard = _hardness_rows(m, p)
        flat_terms = {**{t: terms[t] for t in TERMS}, **{f"{t}_ci_{side}": ci.get(t, (None, None))[i]
                                                        for t in TERMS for i, side in enumerate(("low", "high"))}}
        counts = {"k": m.k, "temperature": req.temperature, "n_anchors": m.n_anchors, "n_batches": m.n_batches,
                  "passes": m.passes, "bootstrap": m.bootstrap, "num_classes": m.num_classes, "means_from": m.means_from}
        flat.extend({**counts, **flat_terms, **r} for r in rows)
        document.append({**counts, **{t: terms[t] for t in TERMS}, "intervals": {t: list(v) for t, v in ci.items()},
                         "hardness": hard, "bounds": rows})
        bound_rows.extend(rows)
        hard_rows.extend({"k": m.k, **h} for h in hard)
    first = res[0]
    what = (f"{first.n_anchors} anchors in {first.n_batches} batches" if len(res) == 1 else
            f"K = {', '.join(str(k) for k in res.ks)}, one row per K")
    bound_cols = ["method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds",
                  "upsilon_prior", "tau_prior"]
    hard_cols = ["band", "hardest", "same_class_share", "ci_low", "ci_high", "same_class_share_ideal", "same_class_share_random"]
    if len(res) == 1:
        terms_part = Report(f"measured terms — K = {first.k}, t = {req.temperature:g}, {what}, 95% bootstrap intervals "
                            f"over batches ({first.bootstrap} replicates)", term_rows[0], ["quantity", "value", "ci_low", "ci_high"])
    else:
        terms_part = Report(f"measured terms — t = {req.temperature:g}, {what}; 95% intervals in the JSON and CSV",
                            [{key: d[key] for key in _SUMMARY} for d in document], _SUMMARY, labels=_MEASURED_COLUMN_LABELS)
        bound_cols, hard_cols = ["k", *bound_cols], ["k", *hard_cols]
    parts = [
        terms_part,
        Report(f"bounds on L_sup — {p} (the prior's υ_(K+1), τ_K); holds = bound ≥ measured L_sup", bound_rows, bound_cols),
        Report("same-class negatives among the hardest (ranked by u·v): measured, and what the prior predicts "
               "for an ideally clustered and a random ranking", hard_rows, hard_cols),
    ]
    columns = ["k", "method", "upper_bound", "upper_bound_ci_low", "upper_bound_ci_high", "status", "holds", "l_cont",
               "upsilon", "upsilon_prior", "tau", "tau_prior", "collision_term", "d", "l_sup"]
    notes = [_m_note(req), "μ: " + MEANS_FROM[first.means_from] + _MEANS_NOTES[first.means_from],
             "collision bound: Nozawa & Sato's Table 2 row (UNS code/notebooks/collision.ipynb), the mean over anchors "
             "of the mean over the other samples of their class in the split of |u_i·v_j − u_i·v_i|, in cosine units "
             "(not divided by t); docs/math.md §6"]
    title = f"measured terms and bounds — K = {', '.join(str(k) for k in res.ks)}"
    return Report(title, flat, columns, list(flat[0]), notes=notes, parts=parts, document=document,
                  labels=_MEASURED_COLUMN_LABELS)


#: What each source of μ means next to the authors' protocol (UNS code/bound.py).
_MEANS_NOTES = {
    "features": (" — not the authors' protocol, which takes μ from the training split (features averaged over 10 "
                 "augmentations, class means not re-normalised) and measures every term on the validation split "
                 "with it; μ from the measured split is fit on the anchors it scores, so L_sup is optimistic; give "
                 "--train-features Z1 Z2 --train-labels Y (or --train-data) for theirs"),
    "train": "; every term is measured on the given split with it",
    "given": "",
}


def _m_note(req: MeasureRequest) -> str:
    return "m for d(f)" + (" and μ" if req.train_features is None and req.train_data is None else "") + ": " + (
        "the given averaged features" if req.averaged_features is not None else
        f"the mean of {req.augmentations} independent augmentations" if req.augmentations else
        "(u + v)/2 of the same two views, which contains the anchor (biased towards d = 0; give "
        "--averaged-features or --augmentations for the authors' estimate)")


def _label_prior(counts: Sequence[int]) -> Prior:
    """The label counts (zero-count classes, possible when C is given, dropped with a warning)."""
    return Prior.from_counts(np.asarray(counts, dtype=np.int64), name="label counts")


def _measured_bounds(req: MeasureRequest, res: Any, p: Prior) -> tuple[list[Any], dict[str, tuple[float | None, float | None]]]:
    """The bounds from the measured terms, and from each bootstrap replicate: 95% intervals."""
    from ..bounds import compute_bounds

    bounds = res.bounds(p, req.methods, measured_terms=_BOUND_MEASURED)
    reps = res.replicates
    if not reps:
        return bounds, {}
    r = len(reps["l_cont"])

    def opt(vals: np.ndarray) -> list[float | None]:
        return [float(v) if math.isfinite(v) else None for v in vals]

    rep = compute_bounds(list(reps["l_cont"]), [res.k] * r, p, req.methods, d=list(reps["d"]),
                         l_sub=opt(reps["l_sub_uncovered"]), curl_sub=list(reps["curl_sub_uncovered_part"]),
                         collision_term=list(reps["collision_term"]), temperature=req.temperature)
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
