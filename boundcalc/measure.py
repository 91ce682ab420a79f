"""Measure every term of the bounds from a trained encoder or from saved features (torch).

Optional extra ``torch``. Nothing here is imported by ``import boundcalc``. Definitions follow
docs/math.md §6 and the authors' evaluation code (single-view negatives):

* rows are shuffled (seeded; ``keep_order`` keeps them as given) and cut into batches of
  B = K+1 rows, an incomplete last one dropped; ``passes`` reshuffled passes are pooled, as the
  authors pool 10; u = normalise(z1), v = normalise(z2), normalised exactly at any scale. Several
  K (``k`` a list) share each pass's shuffle and its one pass over the rows; each K cuts the
  shuffled rows into its own batches, so each K's row equals a measurement at that K alone;
* L_cont = mean over anchors of −log softmax_j(u_i·v_j / t)[j = i], j over the batch;
* the mean classifier μ_c = per-class mean of m_i (``averaged`` features from independent
  augmentations, else (u_i + v_i)/2, which contains the anchor), not re-normalised: of the given
  features, or of a training split (``train_features``/``train_labels``: the authors' protocol),
  unless ``means`` are given;
* a batch is *covered* when it contains all C classes; its anchors add the cross-entropy of
  u_i·μ_c / t over all C classes to the "sup" sum, the others the cross-entropy over the classes
  present in their batch to the "sub" sum;
* collision: each anchor adds ln(count of its class in its batch) = ln(1 + Col_i);
  τ̂ = share of anchors whose class appears again in their batch; the CURL part sums the
  present-class cross-entropy over the anchors whose class is not repeated (Arora et al.), and
  ``curl_sub_uncovered_part`` the same over uncovered batches only (what Nozawa & Sato subtract
  in their comparison form of Arora et al.);
* d = mean of min(0, u_i·(μ_{y_i} − m_i)) / t;
* the collision upper bound of Nozawa & Sato (their Table 2): per anchor, the mean over the other
  samples of its class in the split of |u_i·v_j − u_i·v_i| (cosine units);
* hardness bands: each anchor's K negatives ranked by u_i·v_j; the share of its own class among
  the hardest 0.1%, 1%, 5%, 10% (m = max(1, ⌈fK⌉)) and among the rest (Morcos et al. 2020);
* every sum is kept per batch, so a bootstrap over batches gives a 95% interval for each term.

Memory: score matrices are built in chunks of at most ``chunk_elements`` entries (B×B per batch,
rows×C for the classifier, whether batches are covered or not), so B = 65,536 and N = 10^7 fit
in a few GB; per-batch sums are float64, row sums float32 (cancellation-free, see :func:`_pairs`).
With ``torch.distributed`` initialised each rank measures its shard, μ and the per-batch sums are
gathered, and the result equals the single-process one (when every shard is a whole number of
batches and rows are kept in order; the collision upper bound then compares each anchor with the
samples of its class in its own shard).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np

from .errors import InputError, InputTypeError, MissingExtraError
from .negatives import hardest_count
from .textfiles import check_regular_file
from .validation import finite_number, positive_int, whole_number

__all__ = [
    "Measurement", "Measurements", "BoundList", "measure", "measure_encoder", "extract_features", "average_features",
    "default_device", "require_torch", "load_array", "load_factory", "resolve_device", "to_frame", "HARD_FRACTIONS",
    "TERMS", "MEASURED_BY_DEFAULT",
]

_DEFAULT_CHUNK = 1 << 24  # 16M scores (64 MB in float32) per block of work
#: The hardest fractions of the K negatives whose same-class share is measured (Morcos et al.
#: 2020: the hardest 5% necessary and sufficient, the hardest 0.1% harmful).
HARD_FRACTIONS = (0.001, 0.01, 0.05, 0.1)
#: Bootstrap replicates by default: enough for 95% percentile intervals to settle to about a
#: tenth of their width, and cheap, since they resample per-batch sums, not features.
DEFAULT_BOOTSTRAP = 400
#: Anchors per batch whose negatives are ranked for the hardness bands: ranking costs a top-k
#: selection per anchor (about three B×B matmuls for all B), so past this many anchors per batch
#: — a random sample of the batch after the shuffle — the bands are estimated from the sample.
HARDNESS_ROWS = 256
#: Same-class pairs compared for the collision upper bound, in all: its cost is pairs × D, about
#: that of the scores of B = 2,048 over 32,768 rows. Past it each anchor is compared with a
#: seeded random subset of its class (the same subset for the whole class), never fewer than
#: MIN_REFERENCES members: a mean over ≥ 64 × N pairs, whose sampling error is far below the
#: interval's width.
COLLISION_PAIRS = 1 << 26
MIN_REFERENCES = 64
#: Normalised features kept on the device whole when both views hold at most this many entries
#: (256 MB each in float32): then every pass (μ, the collision bound, each K) reads them instead of
#: normalising again; larger inputs are normalised block by block, as they are read.
RESIDENT_ELEMENTS = 1 << 26
#: Largest spread 2/t of the scores u·v/t ∈ [−1/t, 1/t] for which e^{s − 1/t} cannot underflow
#: (float32: e^{−80} ≈ 1.8e−35 > 1.2e−38; float64: e^{−700}): then every row is shifted by the
#: constant 1/t, folded into the matrix product as an extra dimension, instead of by its maximum.
_SPREAD = {4: 80.0, 8: 700.0}
#: Per-batch sums kept by the measurement (columns of the batch-sum matrix).
_SUMS = ["l_cont", "covered", "sup", "sub", "collision", "repeated", "d", "l_sup", "correct", "anchors",
         "correct_two_views", "curl_anchors", "curl_l_cont", "curl_sub", "curl_sub_uncovered", "collision_bound",
         "collision_bound_anchors", *[f"same_hardest_{i}" for i in range(len(HARD_FRACTIONS))], "same_rest",
         "hardness_anchors"]
_I = {name: i for i, name in enumerate(_SUMS)}
#: The measured terms, in reporting order (each has a 95% bootstrap interval).
TERMS = ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "lower_bound", "l_sup_covered",
         "l_sub_uncovered", "l_sup", "accuracy", "accuracy_two_views", "curl_sub_part", "curl_sub_uncovered_part",
         "l_sub_no_collision", "l_cont_no_collision", "arora_lower_bound", "collision_upper_bound"]
#: The terms :meth:`Measurement.bounds` takes from the measurement rather than from the prior by
#: default: the papers' protocol (Nozawa & Sato plot their bounds with the measured υ̂, τ̂ and
#: collision term).
MEASURED_BY_DEFAULT = ("upsilon", "tau", "collision_term")
#: Where μ came from (``Measurement.means_from``).
MEANS_FROM = {"given": "the given mean-classifier weights (`means`)",
              "train": "class means of the training split's averaged features (the authors' protocol)",
              "features": "class means of the measured split's own averaged features"}


def require_torch() -> Any:
    """Import torch, or explain which extra to install."""
    try:
        import torch
    except ImportError:
        raise MissingExtraError('this needs the "torch" extra: pip install "boundcalc[torch]" (CPU: pip install torch==2.13.0)') from None
    return torch


def default_device() -> Any:
    """CUDA when present, else the CPU."""
    torch = require_torch()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(device: Any = None) -> Any:
    """``device`` (a name such as ``cpu``, ``cuda``, ``cuda:1``, or a torch.device) checked
    against this machine; None picks CUDA when present, else the CPU."""
    torch = require_torch()
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InputError(f"device: unknown device {str(device)!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"device: {device!s} asked for, but CUDA is not available here (torch {torch.__version__})")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InputError(f"device: {device!s} asked for, but only {torch.cuda.device_count()} CUDA device(s) exist")
    elif dev.type not in ("cpu", "mps"):
        raise InputError(f"device: {device!s} is not supported; use cpu or cuda")
    return dev


def to_frame(rows: list[dict[str, Any]]) -> Any:
    """``rows`` as a pandas DataFrame when pandas is installed, else the list of plain row dicts
    itself (pandas is never required, and imported only here)."""
    try:
        import pandas  # type: ignore[import-untyped]
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


class BoundList(list[Any]):
    """The :class:`~boundcalc.bounds.Bound` rows of :meth:`Measurement.bounds`: a list, with
    :meth:`to_frame`."""

    def to_frame(self) -> Any:
        """One row per (K, method): a DataFrame with pandas, else plain dicts."""
        return to_frame([b.as_dict() for b in self])


def _bounds(ms: Sequence[Measurement], prior: Any, methods: str | Sequence[str], measured_terms: Sequence[str],
            replace: bool) -> BoundList:
    """compute_bounds over the measurements ``ms`` (one row per K), the terms named in
    ``measured_terms`` from the measurement, the others from the prior (or pool)."""
    from .bounds import compute_bounds
    from .priors import Prior

    unknown = sorted(set(measured_terms) - set(MEASURED_BY_DEFAULT))
    if unknown:
        raise InputError(f"measured_terms: {', '.join(unknown)} unknown; choose among {', '.join(MEASURED_BY_DEFAULT)}")
    if prior is None:
        counts = ms[0].class_counts
        if any(m.class_counts != counts for m in ms):
            raise InputError("prior: the measurements come from different labels; give a prior")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zero-count classes (possible when C is given) are dropped
            prior = Prior.from_counts(np.asarray(counts, dtype=np.int64), name="label counts")

    def given(term: str) -> list[float] | None:
        return [getattr(m, term) for m in ms] if term in measured_terms else None

    rows = compute_bounds([m.l_cont for m in ms], [m.k for m in ms], prior, methods, d=[m.d for m in ms],
                          l_sub=[m.l_sub_uncovered for m in ms], curl_sub=[m.curl_sub_uncovered_part for m in ms],
                          collision_term=given("collision_term"), tau=given("tau"), upsilon=given("upsilon"),
                          temperature=[m.temperature for m in ms], measured_sup=[m.l_sup for m in ms], replace=replace)
    return BoundList(rows)


@dataclass(frozen=True)
class Measurement:
    """The measured terms (each a mean over anchors, see :data:`TERMS`), their 95% bootstrap
    intervals (``intervals[term] = (low, high)``), and the hardness bands (``hardness``: one
    dict per band with ``band``, ``hardest`` m, ``same_class_share``). ``means_from`` says where
    μ came from (a key of :data:`MEANS_FROM`)."""

    l_cont: float
    upsilon: float
    tau: float
    sup_part: float
    sub_part: float
    collision_term: float
    d: float
    lower_bound: float
    l_sup_covered: float | None
    l_sub_uncovered: float | None
    l_sup: float
    accuracy: float
    accuracy_two_views: float
    curl_sub_part: float
    curl_sub_uncovered_part: float
    l_sub_no_collision: float | None
    l_cont_no_collision: float | None
    arora_lower_bound: float
    collision_upper_bound: float | None
    n_anchors: int
    n_batches: int
    k: int
    temperature: float
    num_classes: int
    passes: int = 1
    bootstrap: int = 0
    means_from: str = "features"
    class_counts: list[int] = field(default_factory=list)
    intervals: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    hardness: list[dict[str, Any]] = field(default_factory=list)
    replicates: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("replicates")
        return out

    def as_row(self) -> dict[str, Any]:
        """One flat row: K, t, the counts, every term and its interval (``<term>_ci_low``,
        ``<term>_ci_high``)."""
        row: dict[str, Any] = {"k": self.k, "temperature": self.temperature, "n_anchors": self.n_anchors,
                               "n_batches": self.n_batches, "passes": self.passes, "bootstrap": self.bootstrap,
                               "num_classes": self.num_classes, "means_from": self.means_from}
        for term in TERMS:
            lo, hi = self.intervals.get(term, (None, None))
            row.update({term: getattr(self, term), f"{term}_ci_low": lo, f"{term}_ci_high": hi})
        return row

    def to_frame(self) -> Any:
        """:meth:`as_row` as a one-row DataFrame with pandas, else a list of that one dict."""
        return to_frame([self.as_row()])

    def bounds(self, prior: Any = None, methods: str | Sequence[str] = "all", *,
               measured_terms: Sequence[str] = MEASURED_BY_DEFAULT, replace: bool = True) -> BoundList:
        """The bounds on L_sup (:func:`boundcalc.bounds.compute_bounds`) from this measurement:
        L_cont, d, L_sub = ``l_sub_uncovered``, the CURL part ``curl_sub_uncovered_part`` (for
        ``arora-ns``), t, the measured L_sup (``holds``), and the terms named in
        ``measured_terms`` (υ̂, τ̂, the collision term: the papers' protocol); the others from
        ``prior`` (default: the label counts; ``replace=False``: exactly, from that pool drawn
        without replacement). Each row says where each term came from."""
        return _bounds([self], prior, methods, measured_terms, replace)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measurement) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Measurements(Sequence[Measurement]):
    """One encoder measured at several K: one :class:`Measurement` per K, in the order asked."""

    items: tuple[Measurement, ...]

    @overload
    def __getitem__(self, i: int) -> Measurement: ...

    @overload
    def __getitem__(self, i: slice) -> Measurements: ...

    def __getitem__(self, i: int | slice) -> Measurement | Measurements:
        return Measurements(self.items[i]) if isinstance(i, slice) else self.items[i]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measurements) and self.items == other.items

    __hash__ = None  # type: ignore[assignment]

    @property
    def ks(self) -> list[int]:
        return [m.k for m in self.items]

    def rows(self) -> list[dict[str, Any]]:
        """One :meth:`Measurement.as_row` per K."""
        return [m.as_row() for m in self.items]

    def to_frame(self) -> Any:
        """One row per K: a DataFrame with pandas, else plain dicts."""
        return to_frame(self.rows())

    def bounds(self, prior: Any = None, methods: str | Sequence[str] = "all", *,
               measured_terms: Sequence[str] = MEASURED_BY_DEFAULT, replace: bool = True) -> BoundList:
        """:meth:`Measurement.bounds` for every K in one call (the prior's terms are evaluated
        over all K at once)."""
        return _bounds(self.items, prior, methods, measured_terms, replace)


def _as_tensor(x: Any, name: str, device: Any = None, dtype: Any = None) -> Any:
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        t = x
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise InputTypeError(f"{name}: expected a numeric array")
        t = torch.from_numpy(arr)
    if dtype is not None:
        t = t.to(dtype)
    return t.to(device) if device is not None else t


def _distributed() -> bool:
    torch = require_torch()
    return bool(torch.distributed.is_available() and torch.distributed.is_initialized())


def _all_reduce(t: Any) -> Any:
    if _distributed():
        require_torch().distributed.all_reduce(t)
    return t


#: Row norms (computed in float64) whose float32 value divides a float32 row without overflow or
#: loss of range: the fast path of :func:`normalise`; other rows take the exact scaled path.
_NORM_RANGE = (2.0**-100, 2.0**100)


def normalise(x: Any, name: str = "features") -> Any:
    """Rows scaled to unit length, exactly for any finite scale. Float32 (and narrower) rows: the
    norm is accumulated in float64 (squares of float32 values neither overflow nor underflow
    there) and the row divided by it in float32 (within 1 ulp); float64 rows, or norms outside
    2^±100: each row is first divided by its largest |entry|, the norm taken in float64, and the
    result cast back. Non-finite entries and zero rows (no direction) are refused."""
    torch = require_torch()
    if not x.is_floating_point():
        x = x.float()
    if x.dtype != torch.float64:
        xf = x.float()
        norm = torch.linalg.vector_norm(xf, dim=1, keepdim=True, dtype=torch.float64)
        _check_rows(norm, name)
        if bool(((norm >= _NORM_RANGE[0]) & (norm <= _NORM_RANGE[1])).all()):
            return (xf / norm.float()).to(x.dtype)
    x64 = x.double()
    scale = x64.abs().amax(dim=1, keepdim=True)
    _check_rows(scale, name)
    y = x64 / scale
    return (y / torch.linalg.vector_norm(y, dim=1, keepdim=True)).to(x.dtype)


def _check_rows(size: Any, name: str) -> None:
    """Refuse rows whose ``size`` (a norm or largest |entry|) is not finite or is zero."""
    torch = require_torch()
    if not bool(torch.isfinite(size).all()):
        raise InputError(f"{name}: features must be finite")
    if bool((size == 0).any()):
        row = int(torch.nonzero(size.squeeze(1) == 0)[0])
        raise InputError(f"{name}: row {row} is all zeros (a feature vector needs a direction)")


def _classes(y: Any, num_classes: int | None, means: Any, extra: Any = None) -> tuple[Any, int, Any]:
    """Labels as dense indices 0..C−1 and C: from ``means`` or ``num_classes`` when given (labels
    outside 0..C−1 refused), else from the labels themselves (with ``extra``, the training
    labels, remapped alike), remapped densely, with a warning. Returns (y, C, extra)."""
    torch = require_torch()
    for lab, what in ((y, "labels"), (extra, "train_labels")):
        if lab is not None and (lab.dtype == torch.bool or (lab.dtype.is_floating_point and not torch.equal(lab, lab.round()))):
            raise InputError(f"{what}: expected integer class indices")
    y = y.long()
    extra = extra.long() if extra is not None else None
    fixed = int(means.shape[0]) if means is not None else num_classes
    if fixed is not None:
        c = positive_int(fixed, "num_classes")
        for lab, what in ((y, "labels"), (extra, "train_labels")):
            if lab is not None and lab.numel() and (int(lab.min()) < 0 or int(lab.max()) >= c):
                bad = int(lab.min()) if int(lab.min()) < 0 else int(lab.max())
                raise InputError(f"{what}: class index {bad} outside 0..{c - 1} (C = {c}{' from the means' if means is not None else ''})")
        return y, c, extra
    uniq = torch.unique(y if extra is None else torch.cat([y, extra]))
    if _distributed():
        torch_dist = torch.distributed
        parts: list[Any] = [None] * torch_dist.get_world_size()
        torch_dist.all_gather_object(parts, uniq.cpu())
        uniq = torch.unique(torch.cat(parts))
    c = int(uniq.numel())
    dense = bool(c == 0 or (int(uniq[0]) == 0 and int(uniq[-1]) == c - 1))
    warnings.warn(f"C = {c} classes, from the labels{'' if dense else ' (ids remapped to 0..C−1)'}; "
                  "give `num_classes` if some classes never occur", stacklevel=4)
    if dense:
        return y, c, extra
    return (torch.searchsorted(uniq.to(y.device), y),  c,
            torch.searchsorted(uniq.to(extra.device), extra) if extra is not None else None)


@dataclass(frozen=True)
class _Train:
    """A training split for μ: two views' features (or ``m``, averaged features) and labels."""

    z1: Any
    z2: Any
    m: Any
    y: Any


def _train_split(train_features: Any, train_labels: Any, train_averaged: Any) -> _Train | None:
    if train_features is None and train_labels is None and train_averaged is None:
        return None
    if train_labels is None or (train_features is None and train_averaged is None):
        raise InputError("train_features: a training split needs its labels and its features (two views, or averaged ones)",
                         argument="train_features")
    y = _as_tensor(train_labels, "train_labels")
    z1: Any = None
    z2: Any = None
    if train_features is not None:
        if not isinstance(train_features, (tuple, list)) or len(train_features) != 2:
            raise InputError("train_features: expected two views' features (Z1, Z2)", argument="train_features")
        z1, z2 = _as_tensor(train_features[0], "train_features"), _as_tensor(train_features[1], "train_features")
        if z1.ndim != 2 or z1.shape != z2.shape:
            raise InputError(f"train_features: expected two N×D arrays of one shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    m = _as_tensor(train_averaged, "train_averaged") if train_averaged is not None else None
    n = (m if m is not None else z1).shape[0]
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError(f"train_labels: expected {n} labels (one per training row), got shape {tuple(y.shape)}")
    if m is not None and (m.ndim != 2 or (z1 is not None and m.shape != z1.shape)):
        raise InputError(f"train_averaged: expected an N×D array like the training features, got {tuple(m.shape)}")
    return _Train(z1, z2, m, y)


@overload
def measure(z1: Any, z2: Any, labels: Any, k: int, temperature: float, means: Any = ..., averaged: Any = ...,
            num_classes: int | None = ..., seed: int = ..., keep_order: bool = ..., passes: int = ..., bootstrap: int = ...,
            device: Any = ..., dtype: Any = ..., chunk_elements: int = ..., progress: Callable[[int], None] | None = ..., *,
            train_features: Any = ..., train_labels: Any = ..., train_averaged: Any = ...) -> Measurement: ...


@overload
def measure(z1: Any, z2: Any, labels: Any, k: Sequence[int], temperature: float, means: Any = ..., averaged: Any = ...,
            num_classes: int | None = ..., seed: int = ..., keep_order: bool = ..., passes: int = ..., bootstrap: int = ...,
            device: Any = ..., dtype: Any = ..., chunk_elements: int = ..., progress: Callable[[int], None] | None = ..., *,
            train_features: Any = ..., train_labels: Any = ..., train_averaged: Any = ...) -> Measurements: ...


def measure(
    z1: Any,
    z2: Any,
    labels: Any,
    k: Any,
    temperature: float,
    means: Any = None,
    averaged: Any = None,
    num_classes: int | None = None,
    seed: int = 0,
    keep_order: bool = False,
    passes: int = 1,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    device: Any = None,
    dtype: Any = None,
    chunk_elements: int = _DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    *,
    train_features: Any = None,
    train_labels: Any = None,
    train_averaged: Any = None,
) -> Measurement | Measurements:
    """Measure L_cont, υ̂, τ̂, the sup/sub parts, the collision term and its upper bound, d, the
    CURL parts, the mean-classifier L_sup and accuracies, and the hardness bands, from two views'
    features (N×D each) and labels (N; any integer ids), each with a 95% bootstrap interval over
    batches.

    ``k`` is the number of negatives (batch size B = K+1), or a list of them: then one
    :class:`Measurements` (one row per K, the same features, one pass over the rows per pass).
    Rows are shuffled with ``seed`` (``keep_order``: batches are consecutive rows as given, e.g.
    features saved batch by batch) and ``passes`` reshuffled passes are pooled. μ: ``means``
    (C×D weights) when given; else the class means of a training split (``train_features``
    (Z1, Z2) or ``train_averaged`` with ``train_labels``: the authors' protocol, μ from the
    training split, every term on the given one); else the class means of the given features.
    ``averaged`` are optional N×D augmentation-averaged features m_i (default (u_i+v_i)/2;
    ``train_averaged`` likewise for the training split). C is ``means``' rows, else
    ``num_classes``, else the distinct labels. ``bootstrap`` replicates (0: none), seeded by
    ``seed``. Inputs may be numpy arrays or tensors on any device.
    """
    torch = require_torch()
    z1, z2 = _as_tensor(z1, "z1"), _as_tensor(z2, "z2")
    ks, single = _k_list(k)
    train = _train_split(train_features, train_labels, train_averaged)
    out = _measure_passes([(z1, z2)], labels, ks, temperature, means, averaged, num_classes, seed, keep_order,
                          positive_int(passes, "passes"), bootstrap, device, dtype or torch.float32, chunk_elements,
                          progress, train)
    return out[0] if single else Measurements(tuple(out))


def _k_list(k: Any) -> tuple[list[int], bool]:
    """``k`` as a list of positive K, and whether one K (not a list) was given."""
    if isinstance(k, (str, bytes)):
        raise InputTypeError("k: expected a whole number or a list of them (parse '31,63' on the command line)")
    if isinstance(k, Sequence) or (isinstance(k, np.ndarray) and k.ndim == 1):
        ks = [positive_int(v, "k") for v in k]
        if not ks:
            raise InputError("k: the list of K is empty")
        return ks, False
    return [positive_int(k, "k")], True


@overload
def measure_encoder(encoder: Any, loader: Callable[[], Iterable[Any]] | Iterable[Any], k: int, temperature: float,
                    augmentations: int = ..., passes: int = ..., device: Any = ..., amp: bool = ..., means: Any = ...,
                    num_classes: int | None = ..., seed: int = ..., keep_order: bool = ..., bootstrap: int = ...,
                    dtype: Any = ..., chunk_elements: int = ..., progress: Callable[[int], None] | None = ..., *,
                    train_loader: Callable[[], Iterable[Any]] | Iterable[Any] | None = ...) -> Measurement: ...


@overload
def measure_encoder(encoder: Any, loader: Callable[[], Iterable[Any]] | Iterable[Any], k: Sequence[int], temperature: float,
                    augmentations: int = ..., passes: int = ..., device: Any = ..., amp: bool = ..., means: Any = ...,
                    num_classes: int | None = ..., seed: int = ..., keep_order: bool = ..., bootstrap: int = ...,
                    dtype: Any = ..., chunk_elements: int = ..., progress: Callable[[int], None] | None = ..., *,
                    train_loader: Callable[[], Iterable[Any]] | Iterable[Any] | None = ...) -> Measurements: ...


def measure_encoder(
    encoder: Any,
    loader: Callable[[], Iterable[Any]] | Iterable[Any],
    k: Any,
    temperature: float,
    augmentations: int = 0,
    passes: int = 1,
    device: Any = None,
    amp: bool = False,
    means: Any = None,
    num_classes: int | None = None,
    seed: int = 0,
    keep_order: bool = False,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    dtype: Any = None,
    chunk_elements: int = _DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    *,
    train_loader: Callable[[], Iterable[Any]] | Iterable[Any] | None = None,
) -> Measurement | Measurements:
    """:func:`measure` on an encoder: each of ``passes`` runs the loader afresh (new augmentations,
    as the authors' evaluation does; ``loader`` may be a factory, called per pass) and reshuffles;
    with ``augmentations`` A ≥ 1, m_i is the mean of A independent augmentations (further runs
    of the loader, see :func:`average_features`), and μ is their class mean. ``train_loader``
    (the authors' protocol): μ = class means of the training split's features averaged over A
    augmentations (all views of one run when A = 0), every term measured on ``loader``'s split.
    Other arguments as in :func:`measure`."""
    torch = require_torch()
    passes = positive_int(passes, "passes")
    augmentations = whole_number(augmentations, "augmentations")
    ks, single = _k_list(k)
    views = []
    ys = None
    for _ in range(passes):
        z1, z2, y = extract_features(encoder, loader() if callable(loader) else loader, device=device, amp=amp,
                                     progress=progress)
        views.append((z1, z2))
        ys = y if ys is None else ys
        if not torch.equal(ys, y):
            raise InputError("data: each pass must yield the samples in the same order (shuffle rows with `seed`, not in the loader)")
    averaged = average_features(encoder, loader, device=device, amp=amp, views=augmentations)[0] if augmentations else None
    train = None
    if train_loader is not None:
        m_train, y_train = average_features(encoder, train_loader, device=device, amp=amp, views=augmentations)
        train = _Train(None, None, m_train, y_train)
    out = _measure_passes(views, ys, ks, temperature, means, averaged, num_classes, seed, keep_order, passes, bootstrap,
                          device, dtype or torch.float32, chunk_elements, progress, train)
    return out[0] if single else Measurements(tuple(out))


def _class_means(rows: Callable[[int, int], tuple[Any, Any]], n: int, c: int, dim: int, step: int, device: Any,
                 dtype: Any, empty: str | None) -> Any:
    """μ_c = mean of m over the rows of class c (float64 sums over all rows and ranks), from
    ``rows(start, stop) -> (m, y)``. ``empty`` names the argument to blame for a class without
    rows; None gives such a class μ_c = 0."""
    torch = require_torch()
    sums = torch.zeros(c, dim, dtype=torch.float64, device=device)
    counts = torch.zeros(c, dtype=torch.float64, device=device)
    for s0 in range(0, n, step):
        m, yy = rows(s0, min(s0 + step, n))
        sums.index_add_(0, yy, m.double())
        counts.index_add_(0, yy, torch.ones_like(yy, dtype=torch.float64))
    _all_reduce(sums)
    _all_reduce(counts)
    if empty is not None and bool((counts == 0).any()):
        missing = int(torch.nonzero(counts == 0)[0])
        raise InputError(f"{empty}: class {missing} has no training sample, so its mean μ_{missing} is undefined "
                         "(give num_classes only for classes that occur in the training split)")
    return (sums / counts.clamp_min(1).unsqueeze(1)).to(dtype)


def _measure_passes(
    views: Sequence[tuple[Any, Any]], labels: Any, ks: list[int], temperature: float, means: Any, averaged: Any,
    num_classes: int | None, seed: int, keep_order: bool, passes: int, bootstrap: int, device: Any, dtype: Any,
    chunk_elements: int, progress: Callable[[int], None] | None, train: _Train | None,
) -> list[Measurement]:
    torch = require_torch()
    device = resolve_device(device)
    t = finite_number(temperature, "temperature")
    if t <= 0:
        raise InputError(f"temperature: must be a positive number, got {temperature!r}")
    if isinstance(chunk_elements, bool) or not isinstance(chunk_elements, (int, np.integer)) or chunk_elements < 1:
        raise InputError("chunk_elements: must be a positive whole number")
    seed = whole_number(seed, "seed")
    bootstrap = whole_number(bootstrap, "bootstrap")
    if keep_order and passes > 1:
        raise InputError("passes: several passes reshuffle the rows; with `keep_order` there is one order")
    z1, z2 = views[0]
    y = _as_tensor(labels, "labels")
    m_all = _as_tensor(averaged, "averaged") if averaged is not None else None
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise InputError(f"z1, z2: expected two N×D arrays of one shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if y.ndim != 1 or y.shape[0] != z1.shape[0]:
        raise InputError(f"labels: expected N = {z1.shape[0]} labels, got shape {tuple(y.shape)}")
    if m_all is not None and m_all.shape != z1.shape:
        raise InputError(f"averaged: expected shape {tuple(z1.shape)}, got {tuple(m_all.shape)}")
    y, c, y_train = _classes(y, num_classes, means, train.y if train is not None else None)
    n_rows, dim = z1.shape[0], z1.shape[1]
    step = max(max(ks) + 1, chunk_elements // max(dim, 1))  # rows per block loaded on the device

    fetchers = [_Rows(pair, device, dtype) for pair in views]

    def block(fetch: _Rows, order: Any, start: int, stop: int) -> tuple[Any, Any, Any, Any]:
        """Rows start..stop (after the shuffle) on the device: u, v, m, y."""
        idx = order[start:stop] if order is not None else slice(start, stop)
        u, v = fetch(idx)
        m = m_all[idx].to(device, dtype) if m_all is not None else (u + v) / 2
        return u, v, m, y[idx].to(device)

    if means is not None:
        mu = _as_tensor(means, "means", device, dtype)
        if mu.ndim != 2 or mu.shape[1] != dim:
            raise InputError(f"means: expected C×{dim}, got {tuple(mu.shape)}")
        means_from = "given"
    elif train is not None:
        tr = train
        assert y_train is not None
        width = (tr.m if tr.m is not None else tr.z1).shape[1]
        if width != dim:
            raise InputError(f"train_features: D = {width} differs from the features' D = {dim}")

        def train_rows(s0: int, s1: int) -> tuple[Any, Any]:
            if tr.m is not None:
                m = tr.m[s0:s1].to(device, dtype)
                if not bool(torch.isfinite(m).all()):
                    raise InputError("train_averaged: features must be finite")
            else:
                u = normalise(tr.z1[s0:s1].to(device), "train_features").to(dtype)
                m = (u + normalise(tr.z2[s0:s1].to(device), "train_features").to(dtype)) / 2
            return m, y_train[s0:s1].to(device)

        mu = _class_means(train_rows, int(y_train.shape[0]), c, dim, step, device, dtype, "train_labels")
        means_from = "train"
    else:  # per-class mean of m over all rows (and ranks), from the first pass's views
        mu = _class_means(lambda s0, s1: block(fetchers[0], None, s0, s1)[2:], n_rows, c, dim, step, device, dtype, None)
        means_from = "features"
    references = max(MIN_REFERENCES, COLLISION_PAIRS // max(n_rows, 1))
    bound_rows = [_collision_rows(fetch, y, c, references, seed, device, dtype, chunk_elements) for fetch in fetchers]
    marks = [[hardest_count(f, k) for f in HARD_FRACTIONS] for k in ks]
    per_batch: list[list[Any]] = [[] for _ in ks]
    b_max = max(ks) + 1  # the score matrices, reused: a block holds ≤ chunk scores, or one row of B
    buf = torch.empty(max(b_max, min(chunk_elements, n_rows * b_max)), dtype=dtype, device=device)
    for p in range(passes):
        fetch = fetchers[p % len(views)]
        zeta, has_ref = bound_rows[p % len(views)]
        order = None
        if not keep_order:
            g = torch.Generator(device="cpu").manual_seed(seed + p)
            order = torch.randperm(n_rows, generator=g)
        ends = [(n_rows // (k + 1)) * (k + 1) for k in ks]
        done = [0] * len(ks)  # rows (after the shuffle) each K has measured
        held: list[Any] = []  # rows start..stop on the device: u, v, m, y, ζ, has-reference
        start = 0
        for s0 in range(0, max(ends), step):
            s1 = min(s0 + step, max(ends))
            idx = order[s0:s1] if order is not None else slice(s0, s1)
            new = [*block(fetch, order, s0, s1), zeta[idx].to(device), has_ref[idx].to(device)]
            held = new if not held else [torch.cat([a, b]) for a, b in zip(held, new, strict=True)]
            for j, k in enumerate(ks):
                b = k + 1
                stop = min(ends[j], (s1 // b) * b)
                if stop <= done[j]:
                    continue
                r0, r1 = done[j] - start, stop - start
                u, v, m, yy, zt, hr = (x[r0:r1] for x in held)
                sums_b = torch.zeros((r1 - r0) // b, len(_SUMS), dtype=torch.float64, device=device)
                own = _own_counts(yy, b, c)
                _pairs(u, v, yy, own, b, t, chunk_elements, marks[j], sums_b, buf)
                _classifier(u, v, m, yy, own, mu, b, c, t, chunk_elements, sums_b)
                sums_b[:, _I["collision_bound"]] += zt.view(-1, b).sum(1)
                sums_b[:, _I["collision_bound_anchors"]] += hr.view(-1, b).double().sum(1)
                per_batch[j].append(sums_b.cpu())
                done[j] = stop
                if progress is not None:
                    progress(r1 - r0)
            keep = min((done[j] for j in range(len(ks)) if done[j] < ends[j]), default=s1)
            held = [x[keep - start:] for x in held]
            start = keep
    class_counts = torch.bincount(y, minlength=c).to(device)
    _all_reduce(class_counts)
    counts = class_counts.cpu().tolist()
    out = []
    for j, k in enumerate(ks):
        local = torch.cat(per_batch[j]) if per_batch[j] else torch.zeros(0, len(_SUMS), dtype=torch.float64)
        if _distributed():
            parts: list[Any] = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(parts, local)
            local = torch.cat(parts)
        batch_sums = local.numpy()
        if batch_sums.shape[0] == 0:
            raise InputError(f"no complete batch: need at least B = K+1 = {k + 1} rows, got {n_rows}")
        out.append(_summarise(batch_sums, k, t, c, passes, bootstrap, seed, marks[j], counts, means_from))
    return out


class _Rows:
    """Normalised rows of two views on the device, by index: held whole after one normalisation
    when they fit in :data:`RESIDENT_ELEMENTS`, else normalised as each block is read."""

    def __init__(self, pair: tuple[Any, Any], device: Any, dtype: Any) -> None:
        self.z1, self.z2, self.device, self.dtype = pair[0], pair[1], device, dtype
        self.whole = None
        if self.z1.numel() <= RESIDENT_ELEMENTS:
            self.whole = (normalise(self.z1.to(device), "z1").to(dtype), normalise(self.z2.to(device), "z2").to(dtype))

    def __call__(self, idx: Any) -> tuple[Any, Any]:
        if self.whole is not None:
            at = idx.to(self.device) if hasattr(idx, "to") else idx
            return self.whole[0][at], self.whole[1][at]
        return (normalise(self.z1[idx].to(self.device), "z1").to(self.dtype),
                normalise(self.z2[idx].to(self.device), "z2").to(self.dtype))


def _own_counts(y: Any, b: int, c: int) -> Any:
    """Each row's own-class count in its batch of ``b`` consecutive rows (itself included), in
    O(B) per batch rather than a B×B comparison: a histogram of (batch, class) keys where
    batches × C is at most a few times the rows, else a sort of the keys."""
    torch = require_torch()
    key = torch.arange(y.shape[0], device=y.device) // b * c + y
    if (y.shape[0] // b) * c <= max(4 * y.shape[0], 1 << 20):
        return torch.bincount(key, minlength=(y.shape[0] // b) * c)[key]
    _, inverse, counts = torch.unique(key, return_inverse=True, return_counts=True)
    return counts[inverse]


def _collision_rows(fetch: _Rows, y: Any, c: int, references: int, seed: int, device: Any, dtype: Any,
                    chunk: int) -> tuple[Any, Any]:
    """Per row i, the collision upper bound's summand (Nozawa & Sato; UNS code/notebooks/
    collision.ipynb): ζ_i = mean over the other samples j of its class of |u_i·v_j − u_i·v_i|,
    against all of the class when it has at most ``references`` members, else against a seeded
    random subset of that many; and whether row i has any such j. CPU tensors (float64, bool).

    Classes are grouped by size (rounded up to 2^w·{1, 1.25, 1.5, 1.75}, so that padding adds at
    most 56% to the pairs) and compared in batched matrix products of at most ``chunk`` scores.
    Padded references are zero vectors (each adds |u_i·v_i|, taken off again), and anchors and
    references share one seeded order of the class, so that i meets itself at column i."""
    torch = require_torch()
    n = int(y.shape[0])
    yc = y.cpu()
    zeta = torch.zeros(n, dtype=torch.float64)
    has = torch.zeros(n, dtype=torch.bool)
    counts = torch.bincount(yc, minlength=c)
    starts = torch.cumsum(counts, 0) - counts
    shuffled = torch.randperm(n, generator=torch.Generator(device="cpu").manual_seed(seed))
    rows = shuffled[torch.argsort(yc[shuffled], stable=True)]  # grouped by class, seeded order within
    pos = torch.arange(n) - starts[yc[rows]]
    top = 2 ** torch.floor(torch.log2(counts.clamp_min(1).double()))
    size = (top * torch.ceil(counts / top * 4) / 4).long()  # counts rounded up to 2^w·{1, 1.25, 1.5, 1.75, 2}
    dim = int(fetch.z1.shape[1])
    for width in torch.unique(size[counts >= 2]).tolist():
        cls = torch.nonzero((size == width) & (counts >= 2)).squeeze(1)
        slot = torch.full((c,), -1, dtype=torch.long)
        slot[cls] = torch.arange(cls.numel())
        q = min(width, references)
        table = torch.full((cls.numel(), width), -1, dtype=torch.long)  # row ids of each class, padded
        sl = slot[yc[rows]]
        sel = sl >= 0
        table[sl[sel], pos[sel]] = rows[sel]
        n_ref = torch.minimum(counts[cls], torch.tensor(q))  # references per class
        rows_per = max(1, chunk // max(q, dim))  # anchors per product: scores and gathered rows ≤ chunk
        groups = max(1, rows_per // width)
        for g0 in range(0, cls.numel(), groups):
            g1 = min(g0 + groups, cls.numel())
            r_idx = table[g0:g1, :q]
            vr = fetch(r_idx.clamp_min(0).reshape(-1))[1].view(g1 - g0, q, dim)
            vr = vr * (r_idx >= 0).to(device, dtype).unsqueeze(2)
            for a0 in range(0, width, rows_per):
                a_idx = table[g0:g1, a0:a0 + rows_per]
                flat = a_idx.clamp_min(0).reshape(-1)
                ua, va = (x.view(g1 - g0, -1, dim) for x in fetch(flat))
                own = (ua * va).sum(2, keepdim=True)
                diff = torch.bmm(ua, vr.transpose(1, 2)).sub_(own).abs_()  # |u_i·v_j − u_i·v_i|
                total = diff.sum(2).double()
                at = torch.arange(a0, a0 + a_idx.shape[1], device=device)
                mine = at < q  # i is among the references: its own term is taken off
                total[:, mine] -= diff[:, mine.nonzero().squeeze(1), at[mine]].double()
                nr = n_ref[g0:g1].to(device)
                total -= (q - nr)[:, None] * own.squeeze(2).abs().double()  # the zero-vector padding
                others = (nr[:, None] - mine[None, :].long()).cpu()
                ok = (a_idx >= 0) & (others > 0)
                zeta[a_idx[ok]] = (total.cpu()[ok] / others[ok]).clamp_min(0)
                has[a_idx[ok]] = True
    return zeta, has


def _pairs(u: Any, v: Any, y: Any, own: Any, b: int, t: float, chunk: int, marks: list[int], out: Any, buf: Any) -> None:
    """Per batch: Σ −log softmax (L_cont), collisions, the CURL anchors' L_cont and the same-class
    negatives among the hardest (on the first HARDNESS_ROWS anchors of each batch, a random
    sample after the shuffle), in one pass over each block of scores (held in ``buf``).

    L_cont of anchor i without cancellation: with M_i a shift (1/t, the largest possible score,
    added to the product as a dimension, where e^{−2/t} cannot underflow; else the row maximum),
    S_i = Σ_{j≠i} e^{s_ij − M_i} and P_i = e^{s_ii − M_i}, −log softmax = log1p(S_i / P_i) when
    S_i < P_i (a small loss keeps its relative accuracy in float32), else
    log(S_i + P_i) − (s_ii − M_i) (≥ ln 2; P_i may underflow)."""
    torch = require_torch()
    nb = u.shape[0] // b
    fixed = 2 / t <= _SPREAD.get(u.element_size(), 0.0)  # shift every row by 1/t, inside the product
    if fixed:  # [u/t, −1/t]·[v, 1] = s − 1/t
        u = torch.cat([u / t, torch.full((u.shape[0], 1), -1 / t, dtype=u.dtype, device=u.device)], 1)
        v = torch.cat([v, torch.ones((v.shape[0], 1), dtype=v.dtype, device=v.device)], 1)
    else:
        u = u / t
    ub, vb, yb, ob = u.view(nb, b, -1), v.view(nb, b, -1), y.view(nb, b), own.view(nb, b)  # 1/t folded into u
    top = min(max(marks), b - 1)
    if b * b <= chunk:
        per = max(1, chunk // (b * b))
        pieces = [(s, min(s + per, nb), 0, b) for s in range(0, nb, per)]
    else:
        rows = max(1, chunk // b)
        pieces = [(s, s + 1, r, min(r + rows, b)) for s in range(nb) for r in range(0, b, rows)]
    for g0, g1, r0, r1 in pieces:
        gn, rn = g1 - g0, r1 - r0
        scores = buf[: gn * rn * b].view(gn, rn, b)
        torch.matmul(ub[g0:g1, r0:r1], vb[g0:g1].transpose(1, 2), out=scores)  # (G, R, B)
        local = torch.arange(rn, device=u.device)
        cols = torch.arange(r0, r1, device=u.device)
        diag = scores[:, local, cols]  # a copy
        count = ob[g0:g1, r0:r1].double()
        alone = count == 1
        sel = out[g0:g1]
        h1 = min(r1, HARDNESS_ROWS) - r0
        if top >= 1 and h1 > 0:
            neg = scores[:, :h1].clone()
            neg[:, local[:h1], cols[:h1]] = -math.inf  # the positive is not a negative
            idx = torch.topk(neg, top, dim=2).indices
            labels = yb[g0:g1, None, :].expand(gn, h1, b)
            hit = (torch.gather(labels, 2, idx) == yb[g0:g1, r0:r0 + h1, None]).double().cumsum(2)  # same-class among the hardest 1..top
            for j, mk in enumerate(marks):
                sel[:, _I[f"same_hardest_{j}"]] += hit[:, :, min(mk, top) - 1].sum(1)
            sel[:, _I["same_rest"]] += (count[:, :h1] - 1 - hit[:, :, -1]).sum(1)
            sel[:, _I["hardness_anchors"]] += h1
        if fixed:
            gap = diag  # s_ii − 1/t ≤ 0
        else:
            peak = scores.amax(2)
            scores.sub_(peak.unsqueeze(2))
            gap = diag - peak  # s_ii − M_i ≤ 0
        scores.exp_()
        scores[:, local, cols] = 0
        rest = scores.sum(2)  # S_i
        pos = gap.exp()
        small = rest < pos
        lc = torch.where(small, torch.log1p(rest / torch.where(small, pos, 1)), torch.log(rest + pos) - gap).double()
        sel[:, _I["l_cont"]] += lc.sum(1)
        sel[:, _I["collision"]] += torch.log(count).sum(1)
        sel[:, _I["repeated"]] += (~alone).double().sum(1)
        sel[:, _I["curl_anchors"]] += alone.double().sum(1)
        sel[:, _I["curl_l_cont"]] += (lc * alone).sum(1)


def _classifier(u: Any, v: Any, m: Any, y: Any, own: Any, mu: Any, b: int, c: int, t: float, chunk: int, out: Any) -> None:
    """Per batch: coverage, the sup/sub cross-entropies, L_sup, both accuracies, d and the CURL
    sub parts. Memory: rows × C scores and (rows/B + 1) × C presence flags per chunk; the
    present-class cross-entropy is formed only for rows of uncovered batches."""
    torch = require_torch()
    n = u.shape[0]
    rows = max(1, chunk // max(c, 1))
    batch_of = torch.arange(n, device=u.device) // b
    mu_t = mu.T / t
    for s in range(0, n, rows):
        e = min(s + rows, n)
        us, vs, ms, ys, bs = u[s:e], v[s:e], m[s:e], y[s:e], batch_of[s:e]
        first, last = s // b, (e - 1) // b
        present = torch.zeros(last - first + 1, c, dtype=torch.bool, device=u.device)
        present[(torch.arange(first * b, (last + 1) * b, device=u.device) // b) - first, y[first * b : (last + 1) * b]] = True
        covered = present.all(1)
        logits = us @ mu_t
        target = logits.gather(1, ys[:, None]).squeeze(1)
        ce = (torch.logsumexp(logits, dim=1) - target).double()
        cov = covered[bs - first]
        ce_present = ce.clone()  # equal on covered batches (every class present)
        miss = torch.nonzero(~cov).squeeze(1)
        if miss.numel():
            part = logits[miss].masked_fill_(~present[bs[miss] - first], -math.inf)
            ce_present[miss] = (torch.logsumexp(part, dim=1) - target[miss]).double()
        alone = own[s:e] == 1
        two = (us + vs) @ mu.T  # the mean of the two views; its scale does not move the argmax
        parts = {
            "covered": cov.double(), "sup": ce * cov, "sub": ce_present * ~cov, "l_sup": ce,
            "correct": (logits.argmax(1) == ys).double(), "correct_two_views": (two.argmax(1) == ys).double(),
            "d": torch.clamp((us * (mu[ys] - ms)).sum(1) / t, max=0).double(), "curl_sub": ce_present * alone,
            "curl_sub_uncovered": ce_present * (alone & ~cov), "anchors": torch.ones_like(ce),
        }
        for name, vals in parts.items():
            out[:, _I[name]].index_add_(0, bs, vals)


def _terms(s: np.ndarray, k: int, marks: list[int]) -> dict[str, np.ndarray]:
    """The measured terms from summed per-batch sums ``s`` (…×len(_SUMS)), vectorised."""
    col = {name: s[..., i] for name, i in _I.items()}
    n = col["anchors"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "l_cont": col["l_cont"] / n, "upsilon": col["covered"] / n, "tau": col["repeated"] / n,
            "sup_part": col["sup"] / n, "sub_part": col["sub"] / n, "collision_term": col["collision"] / n,
            "d": col["d"] / n, "l_sup": col["l_sup"] / n, "accuracy": col["correct"] / n,
            "accuracy_two_views": col["correct_two_views"] / n, "curl_sub_part": col["curl_sub"] / n,
            "curl_sub_uncovered_part": col["curl_sub_uncovered"] / n,
            "l_sup_covered": np.where(col["covered"] > 0, col["sup"] / col["covered"], np.nan),
            "l_sub_uncovered": np.where(n - col["covered"] > 0, col["sub"] / (n - col["covered"]), np.nan),
            "l_sub_no_collision": np.where(col["curl_anchors"] > 0, col["curl_sub"] / col["curl_anchors"], np.nan),
            "l_cont_no_collision": np.where(col["curl_anchors"] > 0, col["curl_l_cont"] / col["curl_anchors"], np.nan),
            "collision_upper_bound": np.where(col["collision_bound_anchors"] > 0,
                                              col["collision_bound"] / col["collision_bound_anchors"], np.nan),
        }
        out["lower_bound"] = 0.5 * (out["sup_part"] + out["sub_part"] + out["collision_term"]) + out["d"]
        out["arora_lower_bound"] = out["curl_sub_part"] + out["collision_term"] + out["d"]
        ranked = col["hardness_anchors"]
        for j, mk in enumerate(marks):
            out[f"same_hardest_{j}"] = col[f"same_hardest_{j}"] / (ranked * mk)
        rest = k - marks[-1]
        out["same_rest"] = np.where(rest > 0, col["same_rest"] / (ranked * max(rest, 1)), np.nan)
    return out


#: Terms that do not exist for some data (no covered batch, no uncovered one, no lone anchor, no
#: class with two samples).
_OPTIONAL_TERMS = ("l_sup_covered", "l_sub_uncovered", "l_sub_no_collision", "l_cont_no_collision", "collision_upper_bound")


def _none(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def bootstrap_counts(n_batches: int, replicates: int, seed: int) -> Iterable[np.ndarray]:
    """How often each batch is drawn in each bootstrap replicate (multinomial, seeded), in
    blocks of replicates so that memory stays at a few MB."""
    rng = np.random.default_rng([seed, n_batches])
    per = max(1, 2**22 // max(n_batches, 1))
    for r0 in range(0, replicates, per):
        yield rng.multinomial(n_batches, np.full(n_batches, 1.0 / n_batches), size=min(per, replicates - r0))


def _summarise(batch_sums: np.ndarray, k: int, t: float, c: int, passes: int, bootstrap: int, seed: int,
               marks: list[int], class_counts: list[int], means_from: str) -> Measurement:
    total = batch_sums.sum(0)
    point = {name: float(v) for name, v in _terms(total, k, marks).items()}
    reps: dict[str, np.ndarray] = {}
    intervals: dict[str, tuple[float | None, float | None]] = {}
    if bootstrap:
        blocks = [_terms(counts @ batch_sums, k, marks) for counts in bootstrap_counts(batch_sums.shape[0], bootstrap, seed)]
        reps = {name: np.concatenate([blk[name] for blk in blocks]) for name in blocks[0]}
        for name, vals in reps.items():
            finite = vals[np.isfinite(vals)]
            if finite.size == vals.size:
                lo, hi = np.percentile(finite, [2.5, 97.5])
                intervals[name] = (float(lo), float(hi))
            else:
                intervals[name] = (None, None)
    bands = [f"hardest {100 * f:g}%" for f in HARD_FRACTIONS] + ["rest"]
    ms = [*marks, k - marks[-1]]
    keys = [f"same_hardest_{j}" for j in range(len(marks))] + ["same_rest"]
    hardness = [{"band": band, "hardest": m, "same_class_share": _none(point[key]),
                 "ci_low": intervals.get(key, (None, None))[0], "ci_high": intervals.get(key, (None, None))[1]}
                for band, m, key in zip(bands, ms, keys, strict=True) if m > 0]
    n = int(total[_I["anchors"]])
    values: dict[str, Any] = {name: _none(point[name]) if name in _OPTIONAL_TERMS else point[name] for name in TERMS}
    return Measurement(
        **values,
        n_anchors=n, n_batches=batch_sums.shape[0], k=k, temperature=t, num_classes=c, passes=passes,
        bootstrap=bootstrap, means_from=means_from, class_counts=class_counts,
        intervals={name: intervals[name] for name in TERMS if name in intervals}, hardness=hardness, replicates=reps,
    )


def _views_and_labels(batch: Any) -> Any:
    if isinstance(batch, dict):
        return batch["views"], batch["labels"]
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise InputError("data loader: each item must be (views, labels) with views a list of augmented batches")
    return batch


def extract_features(
    encoder: Any, loader: Iterable[Any], device: Any = None, amp: bool = False, views: tuple[int, int] = (0, 1),
    progress: Callable[[int], None] | None = None,
) -> tuple[Any, Any, Any]:
    """Normalised features of two views and the labels: (z1, z2, y) as CPU tensors.

    ``encoder`` is an nn.Module or any callable; ``loader`` yields (views, labels) where views
    is a list of augmented batches. Runs under ``torch.no_grad()`` with the module in eval
    mode (restored afterwards), on ``device`` (default: CUDA when present), with optional
    automatic mixed precision; ``progress`` is called with the samples done after each batch.
    """
    torch = require_torch()
    device = resolve_device(device)
    was_training = getattr(encoder, "training", None)
    if hasattr(encoder, "eval"):
        encoder.eval()
    if hasattr(encoder, "to"):
        encoder.to(device)
    out1, out2, ys = [], [], []
    try:
        with torch.no_grad(), torch.autocast(device_type=device.type, enabled=amp):
            for batch in loader:
                vs, y = _views_and_labels(batch)
                a = encoder(vs[views[0]].to(device)).float()
                bb = encoder(vs[views[1]].to(device)).float()
                out1.append(torch.nn.functional.normalize(a, dim=1).cpu())
                out2.append(torch.nn.functional.normalize(bb, dim=1).cpu())
                ys.append(torch.as_tensor(y).cpu())
                if progress is not None:
                    progress(len(ys[-1]))
    finally:
        if was_training and hasattr(encoder, "train"):
            encoder.train()
    if not ys:
        raise InputError("data loader: yielded no batches")
    return torch.cat(out1), torch.cat(out2), torch.cat(ys).long()


def average_features(
    encoder: Any, loader: Callable[[], Iterable[Any]] | Iterable[Any], device: Any = None, amp: bool = False,
    views: int = 0,
) -> tuple[Any, Any]:
    """The mean of normalised features over independent augmentations, per sample, and the
    labels: (m, y), the mean classifier's input E_a[h(a(x))] as the authors estimate it (10
    augmentations). ``views`` = A ≥ 1 averages A views, running the loader again (a factory is
    called per pass) until A are seen; 0 averages all views of one pass. The encoder's mode is
    restored afterwards."""
    torch = require_torch()
    device = resolve_device(device)
    views = whole_number(views, "views")
    was_training = getattr(encoder, "training", None)
    if hasattr(encoder, "eval"):
        encoder.eval()
    if hasattr(encoder, "to"):
        encoder.to(device)
    total, seen, ys = None, 0, None
    try:
        with torch.no_grad(), torch.autocast(device_type=device.type, enabled=amp):
            while seen < max(views, 1):
                feats, labels, takes = [], [], set()
                for batch in (loader() if callable(loader) else loader):
                    vs, y = _views_and_labels(batch)
                    take = len(vs) if views == 0 else min(len(vs), views - seen)
                    takes.add(take)
                    feats.append(torch.stack([normalise(encoder(x.to(device)).float()) for x in vs[:take]]).sum(0).cpu())
                    labels.append(torch.as_tensor(y).cpu())
                if not labels:
                    raise InputError("data loader: yielded no batches")
                if len(takes) != 1:
                    raise InputError("data loader: every batch must hold the same number of views")
                pass_sum, y_all = torch.cat(feats), torch.cat(labels).long()
                if ys is not None and not torch.equal(ys, y_all):
                    raise InputError("data loader: each pass must yield the samples in the same order")
                ys = y_all
                total = pass_sum if total is None else total + pass_sum
                seen += takes.pop()
                if views == 0:
                    break
    finally:
        if was_training and hasattr(encoder, "train"):
            encoder.train()
    assert total is not None and ys is not None
    return total / seen, ys


def load_array(path: str | Path, name: str = "path") -> Any:
    """An array from a ``.npy`` file (numpy, no pickles) or a ``.pt`` tensor file (torch,
    weights only). Errors name ``name``."""
    import numpy as np

    p = check_regular_file(path, name)
    if p.suffix == ".pt":
        torch = require_torch()
        try:
            return torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # any unreadable or non-tensor file
            raise InputError(f"{path}: not a readable tensor file ({exc})", argument=name) from None
    try:
        return np.load(p, allow_pickle=False)
    except Exception as exc:  # malformed, pickled or truncated .npy
        raise InputError(f"{path}: not a readable .npy file ({exc})", argument=name) from None


def load_factory(spec: str, name: str = "spec") -> Any:
    """Call ``module:factory`` (importable from the working directory) and return its result:
    how the command line gets a user's encoder or data loader."""
    import importlib
    import sys

    if ":" not in spec:
        raise InputError(f"expected module:factory, got {spec!r}", argument=name)
    mod_name, func_name = spec.split(":", 1)
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InputError(f"cannot import {mod_name!r} ({exc})", argument=name) from None
    func = getattr(mod, func_name, None)
    if not callable(func):
        raise InputError(f"{mod_name!r} has no callable {func_name!r}", argument=name)
    return func()
