"""Measure every term of the bounds from a trained encoder or from saved features (torch).

Optional extra ``torch``. Nothing here is imported by ``import boundcalc``. Definitions follow
docs/math.md §6 and the authors' bound code with single-view negatives:

* batches are consecutive blocks of B = K+1 rows (after an optional seeded shuffle); an
  incomplete last block is dropped; u = normalise(z1), v = normalise(z2);
* L_cont = mean over anchors of −log softmax_j(u_i·v_j / t)[j = i], j over the batch;
* the mean classifier μ_c = per-class mean of m_i = (u_i + v_i)/2 (or given);
* a batch is *covered* when it contains all C classes; its anchors add the cross-entropy of
  u_i·μ_c / t over all C classes to the "sup" sum, the others add the cross-entropy over the
  classes present in their batch to the "sub" sum;
* collision: each anchor adds ln(count of its class in its batch) = ln(1 + Col_i);
  τ̂ = share of anchors whose class appears again in their batch;
* d = mean of min(0, u_i·(μ_{y_i} − m_i)) / t.

Memory: score matrices are built in chunks of at most ``chunk_elements`` entries (B×B per batch
and N×C for the classifier), so B = 65,536 and N = 10^7 fit in a few GB; all sums are
accumulated in float64. With ``torch.distributed`` initialised each rank measures its shard,
μ and the sums are all-reduced, and the result equals the single-process one (when every shard
is a whole number of batches).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, InputTypeError, MissingExtraError
from .textfiles import check_regular_file
from .validation import finite_number, positive_int, whole_number

__all__ = [
    "Measurement", "measure", "extract_features", "average_features", "default_device", "require_torch",
    "load_array", "load_factory", "resolve_device",
]

_DEFAULT_CHUNK = 1 << 24  # 16M scores (64 MB in float32) per block of work


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
    """The measured terms, each already divided by the number of anchors."""

    l_cont: float
    upsilon: float
    tau: float
    sup_part: float
    sub_part: float
    collision_term: float
    d: float
    l_sup_covered: float | None
    l_sub_uncovered: float | None
    l_sup: float
    accuracy: float
    lower_bound: float
    n_anchors: int
    n_batches: int
    k: int
    temperature: float
    num_classes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_tensor(x: Any, name: str, device: Any = None, dtype: Any = None) -> Any:
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        t = x
    else:
        import numpy as np

        arr = np.asarray(x)
        if arr.dtype == object:
            raise InputTypeError(f"{name}: expected a numeric array")
        t = torch.from_numpy(arr)
    if dtype is not None:
        t = t.to(dtype)
    return t.to(device) if device is not None else t


def _all_reduce(t: Any) -> Any:
    torch = require_torch()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(t)
    return t


def measure(
    z1: Any,
    z2: Any,
    labels: Any,
    k: int,
    temperature: float,
    means: Any = None,
    averaged: Any = None,
    num_classes: int | None = None,
    shuffle_seed: int | None = None,
    device: Any = None,
    dtype: Any = None,
    chunk_elements: int = _DEFAULT_CHUNK,
) -> Measurement:
    """Measure L_cont, υ̂, τ̂, the sup/sub parts, the collision term, d and the mean-classifier
    L_sup and accuracy from two views' features (N×D each) and labels (N, integers 0..C−1).

    ``k`` is the number of negatives (batch size B = K+1), ``means`` optional C×D
    mean-classifier weights, ``averaged`` optional N×D augmentation-averaged features m_i
    (default (u_i + v_i)/2). Inputs may be numpy arrays or tensors on any device.
    """
    torch = require_torch()
    device = resolve_device(device)
    dtype = dtype or torch.float32
    k = positive_int(k, "k")
    temperature = finite_number(temperature, "temperature")
    if temperature <= 0:
        raise InputError(f"temperature: must be a positive number, got {temperature!r}")
    if chunk_elements < 1:
        raise InputError("chunk_elements: must be positive")
    # The full arrays stay where they are (CPU for numpy input); only blocks of whole batches
    # are moved to the device, so device memory is bounded by chunk_elements, not by N.
    z1 = _as_tensor(z1, "z1", None)
    z2 = _as_tensor(z2, "z2", None)
    y = _as_tensor(labels, "labels", None)
    m_all = _as_tensor(averaged, "averaged", None) if averaged is not None else None
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise InputError(f"z1, z2: expected two N×D arrays of one shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if y.ndim != 1 or y.shape[0] != z1.shape[0]:
        raise InputError(f"labels: expected N = {z1.shape[0]} labels, got shape {tuple(y.shape)}")
    if m_all is not None and m_all.shape != z1.shape:
        raise InputError(f"averaged: expected shape {tuple(z1.shape)}, got {tuple(m_all.shape)}")
    if y.dtype == torch.bool or (y.dtype.is_floating_point and not torch.equal(y, y.round())):
        raise InputError("labels: expected integer class indices")
    y = y.long()
    if y.numel() and int(y.min()) < 0:
        raise InputError("labels: class indices must be non-negative")
    local_max = torch.tensor([int(y.max()) + 1 if y.numel() else 0], device=device)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(local_max, op=torch.distributed.ReduceOp.MAX)
    c = int(means.shape[0]) if means is not None else int(num_classes or local_max.item())
    if int(local_max.item()) > c:
        raise InputError(f"labels: found class index {int(local_max.item()) - 1} but only {c} classes")
    b = k + 1
    t = float(temperature)
    dim = z1.shape[1]
    order = None
    if shuffle_seed is not None:
        g = torch.Generator(device="cpu").manual_seed(whole_number(shuffle_seed, "seed"))
        order = torch.randperm(z1.shape[0], generator=g)
    nb = z1.shape[0] // b
    n = nb * b
    step = b * max(1, chunk_elements // (b * max(dim, 1)))

    def block(start: int, stop: int) -> tuple[Any, Any, Any, Any]:
        """Rows start..stop (after the shuffle) on the device: u, v, m, y."""
        idx = order[start:stop] if order is not None else slice(start, stop)
        a, bb = z1[idx].to(device, dtype), z2[idx].to(device, dtype)
        if not (torch.isfinite(a).all() and torch.isfinite(bb).all()):
            raise InputError("z1, z2: features must be finite")
        u = torch.nn.functional.normalize(a, dim=1)
        v = torch.nn.functional.normalize(bb, dim=1)
        m = m_all[idx].to(device, dtype) if m_all is not None else (u + v) / 2
        return u, v, m, y[idx].to(device)

    if means is None:  # per-class mean of m over all rows (and ranks)
        sums = torch.zeros(c, dim, dtype=torch.float64, device=device)
        counts = torch.zeros(c, dtype=torch.float64, device=device)
        for s0 in range(0, z1.shape[0], step):
            _, _, m, yy = block(s0, min(s0 + step, z1.shape[0]))
            sums.index_add_(0, yy, m.double())
            counts.index_add_(0, yy, torch.ones_like(yy, dtype=torch.float64))
        _all_reduce(sums)
        _all_reduce(counts)
        mu = (sums / counts.clamp_min(1).unsqueeze(1)).to(dtype)
    else:
        mu = _as_tensor(means, "means", device, dtype)
        if mu.ndim != 2 or mu.shape[1] != dim:
            raise InputError(f"means: expected C×{dim}, got {tuple(mu.shape)}")
    acc = torch.zeros(10, dtype=torch.float64, device=device)
    # 0 l_cont, 1 covered anchors, 2 sup, 3 sub, 4 collision, 5 tau, 6 d, 7 l_sup, 8 correct, 9 anchors
    for s0 in range(0, n, step):
        u, v, m, yy = block(s0, min(s0 + step, n))
        _contrastive(u, v, b, t, chunk_elements, acc)
        _classifier(u, m, yy, mu, b, c, t, chunk_elements, acc)
    acc[9] = n
    _all_reduce(acc)
    total = float(acc[9])
    if total == 0:
        raise InputError(f"no complete batch: need at least B = K+1 = {b} rows, got {z1.shape[0]}")
    vals = (acc / total).tolist()
    ups, sup, sub, col, d = vals[1], vals[2], vals[3], vals[4], vals[6]
    return Measurement(
        l_cont=vals[0], upsilon=ups, tau=vals[5], sup_part=sup, sub_part=sub, collision_term=col, d=d,
        l_sup_covered=sup / ups if ups > 0 else None, l_sub_uncovered=sub / (1 - ups) if ups < 1 else None,
        l_sup=vals[7], accuracy=vals[8], lower_bound=0.5 * (sup + sub + col) + d,
        n_anchors=int(total), n_batches=int(total) // b, k=k, temperature=t, num_classes=c,
    )


def _contrastive(u: Any, v: Any, b: int, t: float, chunk: int, acc: Any) -> None:
    """Add Σ_i −log softmax_j(u_i·v_j/t)[i] over all anchors to acc[0], in chunks."""
    torch = require_torch()
    nb = u.shape[0] // b
    ub = u.view(nb, b, -1)
    vb = v.view(nb, b, -1)
    per = max(1, chunk // (b * b))
    if per >= 1 and b * b <= chunk:
        for s in range(0, nb, per):
            scores = torch.bmm(ub[s : s + per], vb[s : s + per].transpose(1, 2)) / t
            diag = torch.diagonal(scores, dim1=1, dim2=2)
            acc[0] += (torch.logsumexp(scores, dim=2) - diag).double().sum()
        return
    rows = max(1, chunk // b)
    for s in range(nb):  # one batch at a time, rows in chunks
        for r in range(0, b, rows):
            scores = ub[s, r : r + rows] @ vb[s].T / t
            diag = (ub[s, r : r + rows] * vb[s, r : r + rows]).sum(1) / t
            acc[0] += (torch.logsumexp(scores, dim=1) - diag).double().sum()


def _classifier(u: Any, m: Any, y: Any, mu: Any, b: int, c: int, t: float, chunk: int, acc: Any) -> None:
    """Coverage, collisions, τ̂, d, the sup/sub cross-entropies, L_sup and accuracy."""
    torch = require_torch()
    n = u.shape[0]
    nb = n // b
    batch_of = torch.arange(n, device=u.device) // b
    rows = max(1, chunk // max(c, 1))
    # per-batch class counts, in chunks of batches
    per_b = max(1, chunk // max(c, 1))
    covered_batch = torch.empty(nb, dtype=torch.bool, device=u.device)
    own_count = torch.empty(n, dtype=torch.float64, device=u.device)
    yb = y.view(nb, b)
    for s in range(0, nb, per_b):
        blk = yb[s : s + per_b]
        counts = torch.zeros(blk.shape[0], c, dtype=torch.int64, device=u.device)
        counts.scatter_add_(1, blk, torch.ones_like(blk))
        covered_batch[s : s + per_b] = (counts > 0).all(1)
        own_count[s * b : (s + blk.shape[0]) * b] = counts.gather(1, blk).reshape(-1).double()
    acc[1] += covered_batch[batch_of].double().sum()
    acc[4] += torch.log(own_count).sum()
    acc[5] += (own_count >= 2).double().sum()
    for s in range(0, n, rows):
        us, ms, ys = u[s : s + rows], m[s : s + rows], y[s : s + rows]
        logits = us @ mu.T / t
        lse_all = torch.logsumexp(logits, dim=1)
        target = logits.gather(1, ys[:, None]).squeeze(1)
        ce = (lse_all - target).double()
        acc[7] += ce.sum()
        acc[8] += (logits.argmax(1) == ys).double().sum()
        cov = covered_batch[batch_of[s : s + rows]]
        acc[2] += ce[cov].sum()
        if (~cov).any():
            idx = torch.nonzero(~cov).squeeze(1)
            bidx = batch_of[s : s + rows][idx]
            present = torch.zeros(idx.numel(), c, dtype=torch.bool, device=u.device)
            present.scatter_(1, yb[bidx], True)
            sub_logits = logits[idx].masked_fill(~present, float("-inf"))
            acc[3] += (torch.logsumexp(sub_logits, dim=1) - target[idx]).double().sum()
        gap = (us * (mu[ys] - ms)).sum(1) / t
        acc[6] += torch.clamp(gap, max=0).double().sum()


def _views_and_labels(batch: Any) -> Any:
    if isinstance(batch, dict):
        return batch["views"], batch["labels"]
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise InputError("data loader: each item must be (views, labels) with views a list of augmented batches")
    return batch


def extract_features(
    encoder: Any, loader: Iterable[Any], device: Any = None, amp: bool = False, views: tuple[int, int] = (0, 1)
) -> tuple[Any, Any, Any]:
    """Normalised features of two views and the labels: (z1, z2, y) as CPU tensors.

    ``encoder`` is an nn.Module or any callable; ``loader`` yields (views, labels) where views
    is a list of augmented batches. Runs under ``torch.no_grad()`` with the module in eval
    mode (restored afterwards), on ``device`` (default: CUDA when present), with optional
    automatic mixed precision.
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
    finally:
        if was_training and hasattr(encoder, "train"):
            encoder.train()
    if not ys:
        raise InputError("data loader: yielded no batches")
    return torch.cat(out1), torch.cat(out2), torch.cat(ys).long()


def average_features(encoder: Any, loader: Iterable[Any], device: Any = None, amp: bool = False) -> tuple[Any, Any]:
    """Mean over all views of the normalised features, per sample, and the labels: (m, y).

    This is the mean classifier's input E_a[h(a(x))].
    """
    torch = require_torch()
    device = resolve_device(device)
    if hasattr(encoder, "eval"):
        encoder.eval()
    if hasattr(encoder, "to"):
        encoder.to(device)
    ms, ys = [], []
    with torch.no_grad(), torch.autocast(device_type=device.type, enabled=amp):
        for batch in loader:
            vs, y = _views_and_labels(batch)
            feats = [torch.nn.functional.normalize(encoder(x.to(device)).float(), dim=1) for x in vs]
            ms.append(torch.stack(feats).mean(0).cpu())
            ys.append(torch.as_tensor(y).cpu())
    if not ys:
        raise InputError("data loader: yielded no batches")
    return torch.cat(ms), torch.cat(ys).long()


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
