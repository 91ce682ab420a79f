"""Measure every term of the bounds from a trained encoder or from saved features (torch).

Optional extra ``torch``. Nothing here is imported by ``import boundcalc``. Definitions follow
docs/math.md §6 and the authors' evaluation code (single-view negatives):

* rows are shuffled (seeded; ``keep_order`` keeps them as given) and cut into batches of
  B = K+1 rows, an incomplete last one dropped; ``passes`` reshuffled passes are pooled, as the
  authors pool 10; u = normalise(z1), v = normalise(z2), normalised exactly at any scale;
* L_cont = mean over anchors of −log softmax_j(u_i·v_j / t)[j = i], j over the batch;
* the mean classifier μ_c = per-class mean of m_i (``averaged`` features from independent
  augmentations, else (u_i + v_i)/2, which contains the anchor) unless ``means`` are given;
* a batch is *covered* when it contains all C classes; its anchors add the cross-entropy of
  u_i·μ_c / t over all C classes to the "sup" sum, the others the cross-entropy over the classes
  present in their batch to the "sub" sum;
* collision: each anchor adds ln(count of its class in its batch) = ln(1 + Col_i);
  τ̂ = share of anchors whose class appears again in their batch; the CURL part sums the
  present-class cross-entropy over the anchors whose class is not repeated (Arora et al.);
* d = mean of min(0, u_i·(μ_{y_i} − m_i)) / t;
* hardness bands: each anchor's K negatives ranked by u_i·v_j; the share of its own class among
  the hardest 0.1%, 1%, 5%, 10% (m = max(1, ⌈fK⌉)) and among the rest (Morcos et al. 2020);
* every sum is kept per batch, so a bootstrap over batches gives a 95% interval for each term.

Memory: score matrices are built in chunks of at most ``chunk_elements`` entries (B×B per batch,
rows×C for the classifier, whether batches are covered or not), so B = 65,536 and N = 10^7 fit
in a few GB; sums are float64. With ``torch.distributed`` initialised each rank measures its
shard, μ and the per-batch sums are gathered, and the result equals the single-process one (when
every shard is a whole number of batches and rows are kept in order).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, InputTypeError, MissingExtraError
from .negatives import hardest_count
from .textfiles import check_regular_file
from .validation import finite_number, positive_int, whole_number

__all__ = [
    "Measurement", "measure", "measure_encoder", "extract_features", "average_features", "default_device",
    "require_torch", "load_array", "load_factory", "resolve_device", "HARD_FRACTIONS", "TERMS",
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
#: Per-batch sums kept by the measurement (columns of the batch-sum matrix).
_SUMS = ["l_cont", "covered", "sup", "sub", "collision", "repeated", "d", "l_sup", "correct", "anchors",
         "correct_two_views", "curl_anchors", "curl_l_cont", "curl_sub",
         *[f"same_hardest_{i}" for i in range(len(HARD_FRACTIONS))], "same_rest", "hardness_anchors"]
_I = {name: i for i, name in enumerate(_SUMS)}
#: The measured terms, in reporting order (each has a 95% bootstrap interval).
TERMS = ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "lower_bound", "l_sup_covered",
         "l_sub_uncovered", "l_sup", "accuracy", "accuracy_two_views", "curl_sub_part", "l_sub_no_collision",
         "l_cont_no_collision", "arora_lower_bound"]


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


@dataclass(frozen=True)
class Measurement:
    """The measured terms (each a mean over anchors, see :data:`TERMS`), their 95% bootstrap
    intervals (``intervals[term] = (low, high)``), and the hardness bands (``hardness``: one
    dict per band with ``band``, ``hardest`` m, ``same_class_share``)."""

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
    l_sub_no_collision: float | None
    l_cont_no_collision: float | None
    arora_lower_bound: float
    n_anchors: int
    n_batches: int
    k: int
    temperature: float
    num_classes: int
    passes: int = 1
    bootstrap: int = 0
    class_counts: list[int] = field(default_factory=list)
    intervals: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    hardness: list[dict[str, Any]] = field(default_factory=list)
    replicates: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("replicates")
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measurement) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]


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


def normalise(x: Any, name: str = "features") -> Any:
    """Rows scaled to unit length, exactly for any finite scale: each row is first divided by
    its largest |entry| (so that squares neither overflow nor underflow), the norm is taken in
    float64, and the result is cast back. A zero row has no direction and is refused."""
    torch = require_torch()
    x64 = x.double()
    scale = x64.abs().amax(dim=1, keepdim=True)
    if bool((scale == 0).any()):
        row = int(torch.nonzero(scale.squeeze(1) == 0)[0])
        raise InputError(f"{name}: row {row} is all zeros (a feature vector needs a direction)")
    y = x64 / scale
    return (y / torch.linalg.vector_norm(y, dim=1, keepdim=True)).to(x.dtype if x.is_floating_point() else torch.float32)


def _classes(y: Any, num_classes: int | None, means: Any) -> tuple[Any, int]:
    """Labels as dense indices 0..C−1 and C: from ``means`` or ``num_classes`` when given (labels
    outside 0..C−1 refused), else from the labels themselves, remapped densely, with a warning."""
    torch = require_torch()
    if y.dtype == torch.bool or (y.dtype.is_floating_point and not torch.equal(y, y.round())):
        raise InputError("labels: expected integer class indices")
    y = y.long()
    fixed = int(means.shape[0]) if means is not None else num_classes
    if fixed is not None:
        c = positive_int(fixed, "num_classes")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= c):
            bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
            raise InputError(f"labels: class index {bad} outside 0..{c - 1} (C = {c}{' from the means' if means is not None else ''})")
        return y, c
    uniq = torch.unique(y)
    if _distributed():
        torch_dist = torch.distributed
        parts: list[Any] = [None] * torch_dist.get_world_size()
        torch_dist.all_gather_object(parts, uniq.cpu())
        uniq = torch.unique(torch.cat(parts))
    c = int(uniq.numel())
    dense = bool(c == 0 or (int(uniq[0]) == 0 and int(uniq[-1]) == c - 1))
    warnings.warn(f"C = {c} classes, from the labels{'' if dense else ' (ids remapped to 0..C−1)'}; "
                  "give `num_classes` if some classes never occur", stacklevel=3)
    return (y if dense else torch.searchsorted(uniq.to(y.device), y)), c


def measure(
    z1: Any,
    z2: Any,
    labels: Any,
    k: int,
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
) -> Measurement:
    """Measure L_cont, υ̂, τ̂, the sup/sub parts, the collision term, d, the CURL part, the
    mean-classifier L_sup and accuracies, and the hardness bands, from two views' features (N×D
    each) and labels (N; any integer ids), each with a 95% bootstrap interval over batches.

    ``k`` is the number of negatives (batch size B = K+1); rows are shuffled with ``seed``
    (``keep_order``: batches are consecutive rows as given, e.g. features saved batch by batch)
    and ``passes`` reshuffled passes are pooled. ``means`` are optional C×D mean-classifier
    weights, ``averaged`` optional N×D augmentation-averaged features m_i (default (u_i+v_i)/2).
    C is ``means``' rows, else ``num_classes``, else the distinct labels. ``bootstrap`` replicates
    (0: none), seeded by ``seed``. Inputs may be numpy arrays or tensors on any device.
    """
    torch = require_torch()
    z1, z2 = _as_tensor(z1, "z1"), _as_tensor(z2, "z2")
    return _measure_passes([(z1, z2)], labels, k, temperature, means, averaged, num_classes, seed, keep_order,
                           positive_int(passes, "passes"), bootstrap, device, dtype or torch.float32, chunk_elements,
                           progress)


def measure_encoder(
    encoder: Any,
    loader: Callable[[], Iterable[Any]] | Iterable[Any],
    k: int,
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
) -> Measurement:
    """:func:`measure` on an encoder: each of ``passes`` runs the loader afresh (new augmentations,
    as the authors' evaluation does; ``loader`` may be a factory, called per pass) and reshuffles;
    with ``augmentations`` A ≥ 1, m_i is the mean of A independent augmentations (further runs
    of the loader, see :func:`average_features`), and μ is their class mean. Other arguments as
    in :func:`measure`."""
    torch = require_torch()
    passes = positive_int(passes, "passes")
    augmentations = whole_number(augmentations, "augmentations")
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
    return _measure_passes(views, ys, k, temperature, means, averaged, num_classes, seed, keep_order, passes, bootstrap,
                           device, dtype or torch.float32, chunk_elements, progress)


def _measure_passes(
    views: Sequence[tuple[Any, Any]], labels: Any, k: int, temperature: float, means: Any, averaged: Any,
    num_classes: int | None, seed: int, keep_order: bool, passes: int, bootstrap: int, device: Any, dtype: Any,
    chunk_elements: int, progress: Callable[[int], None] | None,
) -> Measurement:
    torch = require_torch()
    device = resolve_device(device)
    k = positive_int(k, "k")
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
    y, c = _classes(y, num_classes, means)
    b, n_rows, dim = k + 1, z1.shape[0], z1.shape[1]
    nb = n_rows // b
    step = b * max(1, chunk_elements // (b * max(dim, 1)))

    def block(pair: tuple[Any, Any], order: Any, start: int, stop: int) -> tuple[Any, Any, Any, Any]:
        """Rows start..stop (after the shuffle) on the device: u, v, m, y."""
        idx = order[start:stop] if order is not None else slice(start, stop)
        a, bb = pair[0][idx].to(device), pair[1][idx].to(device)
        if not (torch.isfinite(a).all() and torch.isfinite(bb).all()):
            raise InputError("z1, z2: features must be finite")
        u, v = normalise(a, "z1").to(dtype), normalise(bb, "z2").to(dtype)
        m = m_all[idx].to(device, dtype) if m_all is not None else (u + v) / 2
        return u, v, m, y[idx].to(device)

    if means is None:  # per-class mean of m over all rows (and ranks), from the first pass's views
        sums = torch.zeros(c, dim, dtype=torch.float64, device=device)
        counts = torch.zeros(c, dtype=torch.float64, device=device)
        for s0 in range(0, n_rows, step):
            _, _, m, yy = block(views[0], None, s0, min(s0 + step, n_rows))
            sums.index_add_(0, yy, m.double())
            counts.index_add_(0, yy, torch.ones_like(yy, dtype=torch.float64))
        _all_reduce(sums)
        _all_reduce(counts)
        mu = (sums / counts.clamp_min(1).unsqueeze(1)).to(dtype)
    else:
        mu = _as_tensor(means, "means", device, dtype)
        if mu.ndim != 2 or mu.shape[1] != dim:
            raise InputError(f"means: expected C×{dim}, got {tuple(mu.shape)}")
    marks = [hardest_count(f, k) for f in HARD_FRACTIONS]
    per_batch = []
    for p in range(passes):
        pair = views[p % len(views)]
        order = None
        if not keep_order:
            g = torch.Generator(device="cpu").manual_seed(seed + p)
            order = torch.randperm(n_rows, generator=g)
        for s0 in range(0, nb * b, step):
            u, v, m, yy = block(pair, order, s0, min(s0 + step, nb * b))
            sums_b = torch.zeros(u.shape[0] // b, len(_SUMS), dtype=torch.float64, device=device)
            own = _pairs(u, v, yy, b, t, chunk_elements, marks, sums_b)
            _classifier(u, v, m, yy, own, mu, b, c, t, chunk_elements, sums_b)
            per_batch.append(sums_b.cpu())
            if progress is not None:
                progress(u.shape[0])
    local = torch.cat(per_batch) if per_batch else torch.zeros(0, len(_SUMS), dtype=torch.float64)
    if _distributed():
        parts: list[Any] = [None] * torch.distributed.get_world_size()
        torch.distributed.all_gather_object(parts, local)
        local = torch.cat(parts)
    batch_sums = local.numpy()
    if batch_sums.shape[0] == 0:
        raise InputError(f"no complete batch: need at least B = K+1 = {b} rows, got {n_rows}")
    class_counts = torch.bincount(y, minlength=c).to(device)
    _all_reduce(class_counts)
    return _summarise(batch_sums, k, t, c, passes, bootstrap, seed, marks, class_counts.cpu().tolist())


def _pairs(u: Any, v: Any, y: Any, b: int, t: float, chunk: int, marks: list[int], out: Any) -> Any:
    """Per batch: Σ −log softmax (L_cont), collisions, the CURL anchors' L_cont and the same-class
    negatives among the hardest (on the first HARDNESS_ROWS anchors of each batch, a random
    sample after the shuffle); returns each anchor's own-class count in its batch."""
    torch = require_torch()
    nb = u.shape[0] // b
    ub, vb, yb = (u / t).view(nb, b, -1), v.view(nb, b, -1), y.view(nb, b)  # 1/t folded into u
    own = torch.empty(nb, b, dtype=torch.float64, device=u.device)
    top = min(max(marks), b - 1)
    if b * b <= chunk:
        per = max(1, chunk // (b * b))
        pieces = [(s, min(s + per, nb), 0, b) for s in range(0, nb, per)]
    else:
        rows = max(1, chunk // b)
        pieces = [(s, s + 1, r, min(r + rows, b)) for s in range(nb) for r in range(0, b, rows)]
    for g0, g1, r0, r1 in pieces:
        scores = torch.matmul(ub[g0:g1, r0:r1], vb[g0:g1].transpose(1, 2))  # (G, R, B)
        local = torch.arange(r1 - r0, device=u.device)
        cols = torch.arange(r0, r1, device=u.device)
        diag = scores[:, local, cols]
        lc = (torch.logsumexp(scores, dim=2) - diag).double()  # (G, R)
        same = yb[g0:g1, r0:r1, None] == yb[g0:g1, None, :]  # (G, R, B), self included
        count = same.sum(2).double()
        own[g0:g1, r0:r1] = count
        alone = count == 1
        sel = out[g0:g1]
        sel[:, _I["l_cont"]] += lc.sum(1)
        sel[:, _I["collision"]] += torch.log(count).sum(1)
        sel[:, _I["repeated"]] += (~alone).double().sum(1)
        sel[:, _I["curl_anchors"]] += alone.double().sum(1)
        sel[:, _I["curl_l_cont"]] += (lc * alone).sum(1)
        h1 = min(r1, HARDNESS_ROWS) - r0
        if top >= 1 and h1 > 0:
            neg = scores[:, :h1]
            neg[:, local[:h1], cols[:h1]] = -math.inf  # the positive is not a negative (scores are spent)
            idx = torch.topk(neg, top, dim=2).indices
            hit = torch.gather(same[:, :h1], 2, idx).double().cumsum(2)  # same-class among the hardest 1..top
            for j, mk in enumerate(marks):
                sel[:, _I[f"same_hardest_{j}"]] += hit[:, :, min(mk, top) - 1].sum(1)
            sel[:, _I["same_rest"]] += (count[:, :h1] - 1 - hit[:, :, -1]).sum(1)
            sel[:, _I["hardness_anchors"]] += h1
    return own.view(-1)


def _classifier(u: Any, v: Any, m: Any, y: Any, own: Any, mu: Any, b: int, c: int, t: float, chunk: int, out: Any) -> None:
    """Per batch: coverage, the sup/sub cross-entropies, L_sup, both accuracies, d and the CURL
    sub part. Memory: rows × C scores and (rows/B + 1) × C presence flags per chunk."""
    torch = require_torch()
    n = u.shape[0]
    rows = max(1, chunk // max(c, 1))
    batch_of = torch.arange(n, device=u.device) // b
    for s in range(0, n, rows):
        e = min(s + rows, n)
        us, vs, ms, ys, bs = u[s:e], v[s:e], m[s:e], y[s:e], batch_of[s:e]
        first, last = s // b, (e - 1) // b
        present = torch.zeros(last - first + 1, c, dtype=torch.bool, device=u.device)
        present[(torch.arange(first * b, (last + 1) * b, device=u.device) // b) - first, y[first * b : (last + 1) * b]] = True
        covered = present.all(1)
        logits = us @ mu.T / t
        target = logits.gather(1, ys[:, None]).squeeze(1)
        ce = (torch.logsumexp(logits, dim=1) - target).double()
        ce_present = (torch.logsumexp(logits.masked_fill(~present[bs - first], -math.inf), dim=1) - target).double()
        cov = covered[bs - first]
        alone = own[s:e] == 1
        two = (us + vs) @ mu.T  # the mean of the two views; its scale does not move the argmax
        parts = {
            "covered": cov.double(), "sup": ce * cov, "sub": ce_present * ~cov, "l_sup": ce,
            "correct": (logits.argmax(1) == ys).double(), "correct_two_views": (two.argmax(1) == ys).double(),
            "d": torch.clamp((us * (mu[ys] - ms)).sum(1) / t, max=0).double(), "curl_sub": ce_present * alone,
            "anchors": torch.ones_like(ce),
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
            "l_sup_covered": np.where(col["covered"] > 0, col["sup"] / col["covered"], np.nan),
            "l_sub_uncovered": np.where(n - col["covered"] > 0, col["sub"] / (n - col["covered"]), np.nan),
            "l_sub_no_collision": np.where(col["curl_anchors"] > 0, col["curl_sub"] / col["curl_anchors"], np.nan),
            "l_cont_no_collision": np.where(col["curl_anchors"] > 0, col["curl_l_cont"] / col["curl_anchors"], np.nan),
        }
        out["lower_bound"] = 0.5 * (out["sup_part"] + out["sub_part"] + out["collision_term"]) + out["d"]
        out["arora_lower_bound"] = out["curl_sub_part"] + out["collision_term"] + out["d"]
        ranked = col["hardness_anchors"]
        for j, mk in enumerate(marks):
            out[f"same_hardest_{j}"] = col[f"same_hardest_{j}"] / (ranked * mk)
        rest = k - marks[-1]
        out["same_rest"] = np.where(rest > 0, col["same_rest"] / (ranked * max(rest, 1)), np.nan)
    return out


#: Terms that do not exist for some data (no covered batch, no uncovered one, no lone anchor).
_OPTIONAL_TERMS = ("l_sup_covered", "l_sub_uncovered", "l_sub_no_collision", "l_cont_no_collision")


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
               marks: list[int], class_counts: list[int]) -> Measurement:
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
        bootstrap=bootstrap, class_counts=class_counts, intervals={name: intervals[name] for name in TERMS if name in intervals},
        hardness=hardness, replicates=reps,
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
