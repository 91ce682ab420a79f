"""Readers for the contrastive losses that training runs log.

Supported: CSV/TSV (Lightning's CSVLogger, W&B exports: empty cells allowed), JSON (a list of
records or an object of columns), JSONL (one record per line), and TensorBoard event files or
run directories (optional extra ``tensorboard``). ``-`` reads standard input (text formats).

The result is one :class:`LossRow` per K: rows with the same K are averaged (and counted), or,
with ``last=True``, the final one is taken.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, MissingExtraError
from .textfiles import parse_number, read_text

__all__ = ["LossRow", "read_losses", "read_table", "MAX_LOG_BYTES"]

#: Largest text log read (a CSV of a long run with many metrics stays well below).
MAX_LOG_BYTES = 64 * 2**20

_LOSS_WORDS = ("loss", "contrastive", "infonce", "nce")
_K_NAMES = ("k", "num_negatives", "negatives", "n_negatives", "num_neg", "k_negatives")


@dataclass(frozen=True)
class LossRow:
    """The logged values for one K (averages over ``n_rows`` logged rows)."""

    k: int
    loss: float
    n_rows: int
    d: float | None = None
    l_sub: float | None = None
    sup: float | None = None


def _number(v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = v.strip()
        if v == "" or v.lower() in {"nan", "none", "null"}:
            return None
    if isinstance(v, str):  # text cells: the same strict reading as every other file input
        x = parse_number(v, where)
    elif isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{where}: expected a number, got {v!r}", argument="path")
    else:
        x = float(v)
    if not math.isfinite(x):
        raise InputError(f"{where}: value must be finite, got {v!r}", argument="path")
    return x


def read_table(path: str) -> tuple[list[str], list[dict], list[int]]:
    """(columns, records, line numbers) from a CSV/TSV/JSON/JSONL file or '-' (stdin)."""
    suffix = ""
    if path != "-":
        p = Path(path)
        if not p.exists():
            raise InputError(f"{path}: no such file", argument="path")
        if p.is_dir() or p.name.startswith("events.out.tfevents"):
            return _read_tensorboard(p)
        suffix = p.suffix.lower()
    text = read_text(path, limit=MAX_LOG_BYTES)
    if not text.strip():
        raise InputError(f"{path}: file is empty", argument="path")
    stripped = text.lstrip()
    if suffix == ".jsonl" or (stripped.startswith("{") and "\n{" in stripped.strip()):
        records, lines = [], []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: malformed JSON on line {i}: {exc.msg}", argument="path") from None
            if not isinstance(rec, dict):
                raise InputError(f"{path}: line {i} is not a JSON object", argument="path")
            records.append(rec)
            lines.append(i)
        return _columns(records), records, lines
    if suffix == ".json" or stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}", argument="path") from None
        if isinstance(data, dict):  # columns
            cols = list(data)
            if not all(isinstance(v, list) for v in data.values()):
                raise InputError(f"{path}: a JSON object must map column names to lists", argument="path")
            n = len(next(iter(data.values()))) if data else 0
            if any(len(v) != n for v in data.values()):
                raise InputError(f"{path}: the JSON columns have different lengths", argument="path")
            return cols, [{c: data[c][i] for c in cols} for i in range(n)], list(range(1, n + 1))
        if isinstance(data, list) and all(isinstance(r, dict) for r in data):
            return _columns(data), data, list(range(1, len(data) + 1))
        raise InputError(f"{path}: JSON must be a list of records or an object of columns", argument="path")
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    csv.field_size_limit(MAX_LOG_BYTES)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    records, lines = [], []
    try:
        header = [h.strip() for h in next(reader)]
        for i, row in enumerate(reader, start=2):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{path}: line {i} has {len(row)} fields, the header has {len(header)}", argument="path")
            records.append(dict(zip(header, row, strict=True)))
            lines.append(i)
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})", argument="path") from None
    return header, records, lines


def _is_nan(v: Any) -> bool:
    """True for a logged NaN (a diverged step), as opposed to a blank cell (another metric's row)."""
    if isinstance(v, float):
        return math.isnan(v)
    return isinstance(v, str) and v.strip().lower() == "nan"


def _columns(records: list[dict]) -> list[str]:
    cols: list[str] = []
    for r in records:
        for c in r:
            if c not in cols:
                cols.append(c)
    return cols


def _read_tensorboard(path: Path) -> tuple[list[str], list[dict], list[int]]:
    """Scalars of a TensorBoard event file or run directory, one record per step."""
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        raise MissingExtraError(
            'reading TensorBoard logs needs the "tensorboard" extra: pip install "boundcalc[tensorboard]"', argument="path"
        ) from None
    files = [path] if path.is_file() else sorted(path.glob("events.out.tfevents*"))
    for f in files:
        complete, tail = _tfrecord_framing(f)
        if tail:
            warnings.warn(f"{f}: truncated: {tail} byte(s) after the last of {complete} whole record(s) were not read", stacklevel=3)
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={event_accumulator.SCALARS: 0})
    try:
        acc.Reload()
    except Exception as exc:  # corrupt event file
        raise InputError(f"{path}: cannot read TensorBoard events ({exc})", argument="path") from None
    tags = acc.Tags().get("scalars", [])
    if not tags:
        raise InputError(f"{path}: no scalar summaries found", argument="path")
    by_step: dict[int, dict] = {}
    for tag in tags:
        for ev in acc.Scalars(tag):
            by_step.setdefault(ev.step, {"step": ev.step})[tag] = ev.value
    steps = sorted(by_step)
    return ["step", *tags], [by_step[s] for s in steps], steps


#: A TFRecord is framed as: uint64 length, uint32 checksum of the length, the data, uint32 checksum.
_TFRECORD_HEAD, _TFRECORD_FOOT = 12, 4


def _tfrecord_framing(path: Path) -> tuple[int, int]:
    """(whole records, bytes left over) of a TensorBoard event file, from its framing alone: a
    file cut off while being written (a crashed or still-running job) leaves a partial record,
    which TensorBoard's reader skips without a word."""
    size = path.stat().st_size
    count = pos = 0
    with open(path, "rb") as fh:
        while pos + _TFRECORD_HEAD <= size:
            fh.seek(pos)
            length = int.from_bytes(fh.read(8), "little")
            end = pos + _TFRECORD_HEAD + length + _TFRECORD_FOOT
            if end > size:
                break
            count, pos = count + 1, end
    return count, size - pos


def _pick(columns: list[str], key: str | None, words: tuple[str, ...], what: str, flag: str, required: bool = True) -> str | None:
    if key is not None:
        if key not in columns:
            raise InputError(f"no column {key!r}; columns: {', '.join(columns)}", argument=flag)
        return key
    cands = [c for c in columns if any(w in c.lower() for w in words)] if what == "loss" else [
        c for c in columns if c.lower() in words
    ]
    if len(cands) == 1:
        return cands[0]
    if not required:
        return None
    if not cands:
        raise InputError(f"no {what} column found; name it with `{flag}` (columns: {', '.join(columns)})", argument=flag)
    raise InputError(f"several {what} columns: {', '.join(cands)}; choose one with `{flag}`", argument=flag)


def read_losses(
    path: str,
    loss_key: str | None = None,
    k_key: str | None = None,
    k: int | None = None,
    d_key: str | None = None,
    l_sub_key: str | None = None,
    sup_key: str | None = None,
    last: bool = False,
) -> list[LossRow]:
    """Read logged contrastive losses, one :class:`LossRow` per K (sorted by K).

    The loss column is ``loss_key`` or the one column whose name contains "loss",
    "contrastive", "infonce" or "nce"; K comes from ``k_key`` (default: a column named k,
    num_negatives, negatives, …) or is fixed by ``k``. Rows without a loss value (other
    metrics logged at other steps) are skipped.
    """
    columns, records, lines = read_table(path)
    if not records:
        raise InputError(f"{path}: no rows", argument="path")
    if k is not None and k_key is not None:
        raise InputError("`k` and `k_key`: give one or the other", argument="k_key")
    kcol = None if k is not None else _pick(columns, k_key, _K_NAMES, "K", "k_key", required=False)
    if k is None and kcol is None:
        raise InputError(f"{path}: no column holds K; fix it with `k` or name it with `k_key` (columns: {', '.join(columns)})", argument="path")
    loss_cols = columns if loss_key is not None else [c for c in columns if c != kcol]
    lcol = _pick(loss_cols, loss_key, _LOSS_WORDS, "loss", "loss_key")
    extra = {name: _pick(columns, key, (), name, flag) if key else None
             for name, key, flag in (("d", d_key, "d_key"), ("l_sub", l_sub_key, "l_sub_key"), ("sup", sup_key, "sup_key"))}
    groups: dict[int, list[dict]] = {}
    skipped = 0
    for rec, line in zip(records, lines, strict=True):
        where = f"{path}: line {line}" if path != "-" else f"stdin: line {line}"
        loss = _number(rec.get(lcol), f"{where}, column {lcol!r}")
        if loss is None:
            skipped += _is_nan(rec.get(lcol))
            continue
        kv = k if k is not None else _number(rec.get(kcol), f"{where}, column {kcol!r}")
        if kv is None:
            continue
        if kv < 0 or kv != int(kv):
            raise InputError(f"{where}: K must be a whole number ≥ 0, got {rec.get(kcol)!r}", argument="path")
        vals: dict[str, float | None] = {"loss": loss}
        for name, col in extra.items():
            if col is not None:
                vals[name] = _number(rec.get(col), f"{where}, column {col!r}")
        groups.setdefault(int(kv), []).append(vals)
    if skipped:
        warnings.warn(f"{path}: skipped {skipped} row(s) whose {lcol!r} is NaN", stacklevel=2)
    if not groups:
        raise InputError(f"{path}: no row has a value in column {lcol!r}", argument="path")
    out = []
    for kv in sorted(groups):
        rows = groups[kv][-1:] if last else groups[kv]
        means = {name: _mean_of(rows, name) for name in ("loss", "d", "l_sub", "sup")}
        out.append(LossRow(kv, float(means["loss"] or 0.0), len(rows), means["d"], means["l_sub"], means["sup"]))
    return out


def _mean_of(rows: list[dict[str, float | None]], name: str) -> float | None:
    xs = [x for r in rows if (x := r.get(name)) is not None]
    return math.fsum(xs) / len(xs) if xs else None
