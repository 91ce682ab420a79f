"""Reading per-class counts (or weights) and per-sample labels from the files users have.

Accepted, and nothing else (anything ambiguous is refused with a message saying what was seen):

* ``.npy``: a one-dimensional array of real numbers (counts, weights) or of labels (integers or
  strings); 2-D, complex, boolean and object arrays are refused.
* ``.json``: an object class → count, or a list of counts (labels: a list of labels).
* text, CSV, TSV (see :mod:`boundcalc.textfiles` for encodings and line endings):
  counts as one value per line, one row of values, two columns (class, count) whose class column
  has no repeats, or a CSV with a header naming the count column (``count``, ``weight``, …);
  labels as one label per line (an optional header word such as ``label``), one row of labels,
  or a CSV with a header naming the label column.
Labels that are all whole numbers are compared as integers (``1`` and ``1.0`` are one class).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .textfiles import Columns, check_regular_file, is_number, parse_number, read_columns, read_text

__all__ = ["read_counts", "read_labels", "COUNT_COLUMNS", "LABEL_COLUMNS"]

#: Column names that hold per-class counts or weights (case-insensitive).
COUNT_COLUMNS = ("count", "counts", "n", "images", "num_images", "n_images", "frequency", "freq", "weight", "weights",
                 "probability", "prob", "p", "mass", "size")
#: Column names that hold a class (or a per-sample label), case-insensitive.
LABEL_COLUMNS = ("label", "labels", "class", "classes", "class_id", "class_name", "target", "targets", "y", "category",
                 "wnid", "name", "id")


def _pick(names: list[str], wanted: tuple[str, ...]) -> int | None:
    hits = [i for i, n in enumerate(names) if n.strip().lower() in wanted]
    return hits[0] if len(hits) == 1 else None


def _load_npy(path: str | Path) -> np.ndarray:
    p = check_regular_file(path, "path")
    try:
        arr = np.load(p, allow_pickle=False)
    except Exception as exc:  # malformed, truncated or pickled .npy
        raise InputError(f"{path}: not a readable .npy file ({exc})", argument="path") from None
    if not isinstance(arr, np.ndarray):
        raise InputError(f"{path}: expected a single array, got an archive", argument="path")
    if arr.ndim != 1:
        raise InputError(f"{path}: expected a one-dimensional array, got shape {arr.shape}", argument="path")
    return arr


def read_counts(path: str | Path) -> tuple[list[float] | np.ndarray, list[str] | None]:
    """(per-class values, class names or None) from a counts/weights file."""
    if Path(path).suffix.lower() == ".npy":
        arr = _load_npy(path)
        if arr.dtype.kind not in "iuf":
            raise InputError(f"{path}: expected real numbers, got an array of {arr.dtype}", argument="path")
        return arr.astype(np.float64), None
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: file is empty", argument="path")
    if Path(path).suffix.lower() == ".json" or text.lstrip()[:1] in "[{":
        return _counts_from_json(text, path)
    table = read_columns(text, str(path))
    return _counts_from_table(table, path)


def _json(text: str, path: str | Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}", argument="path") from None


def _json_number(v: Any, path: str | Path, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{path}: {where}: expected a number, got {v!r}", argument="path")
    return float(v)


def _counts_from_json(text: str, path: str | Path) -> tuple[list[float], list[str] | None]:
    data = _json(text, path)
    if isinstance(data, dict):
        return [_json_number(v, path, f"key {k!r}") for k, v in data.items()], [str(k) for k in data]
    if isinstance(data, list):
        return [_json_number(v, path, f"item {i}") for i, v in enumerate(data)], None
    raise InputError(f"{path}: JSON must be an object (class → count) or a list of counts", argument="path")


def _values(cells: list[str], table: Columns, path: str | Path) -> list[float]:
    return [parse_number(c, f"{path}: line {n}") for c, n in zip(cells, table.lines, strict=True)]


def _counts_from_table(table: Columns, path: str | Path) -> tuple[list[float], list[str] | None]:
    width = len(table.rows[0])
    if table.names is not None:
        if width == 1:
            return _values(table.column(0), table, path), None
        col = _pick(table.names, COUNT_COLUMNS)
        if col is None:
            raise InputError(
                f"{path}: which column holds the counts? name it count or weight (columns: {', '.join(table.names)})",
                argument="path",
            )
        others = [i for i in range(width) if i != col]
        name_col = _pick(table.names, LABEL_COLUMNS) if width > 2 else others[0]
        names = table.column(name_col) if name_col is not None else None
        return _values(table.column(col), table, path), names
    if len(table.rows) == 1:  # one row of values
        return [parse_number(c, f"{path}: value {i + 1}") for i, c in enumerate(table.rows[0])], None
    if width == 1:
        return _values(table.column(0), table, path), None
    if width == 2:
        first = table.column(0)
        if len(set(first)) < len(first):
            raise InputError(
                f"{path}: two columns whose first repeats ({first[0]!r} …): decimal commas? Write 0.5, not 0,5; "
                "for (class, count) rows give each class once",
                argument="path",
            )
        return _values(table.column(1), table, path), first
    raise InputError(
        f"{path}: {width} columns and no header; give one value per line, one row of values, two columns "
        "(class, count), or a header naming the count column",
        argument="path",
    )


def read_labels(path: str | Path) -> np.ndarray:
    """Per-sample labels from a file, as an array (integers when every label is a whole number)."""
    if Path(path).suffix.lower() == ".npy":
        arr = _load_npy(path)
        if arr.dtype.kind in "iuU":
            return arr
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise InputError(f"{path}: labels must be whole numbers or strings, got an array of {arr.dtype}", argument="path")
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: file is empty", argument="path")
    if Path(path).suffix.lower() == ".json" or text.lstrip()[:1] == "[":
        data = _json(text, path)
        if not isinstance(data, list) or any(isinstance(v, (list, dict)) for v in data):
            raise InputError(f"{path}: labels JSON must be a flat list", argument="path")
        return _as_labels([str(v) for v in data], path)
    table = read_columns(text, str(path), numeric=False)
    rows = table.rows
    width = len(rows[0])
    if len(rows) == 1 and width > 1:  # one row of labels
        return _as_labels(rows[0], path)
    if width == 1:
        cells = table.column(0)
        if len(cells) > 1 and cells[0].strip().lower() in LABEL_COLUMNS and not is_number(cells[0]):
            cells = cells[1:]
        return _as_labels(cells, path)
    col = _pick(rows[0], LABEL_COLUMNS)
    if col is None:
        raise InputError(
            f"{path}: which column holds the labels? add a header naming it label (first row: {', '.join(rows[0])})",
            argument="path",
        )
    return _as_labels([r[col] for r in rows[1:]], path)


def _as_labels(cells: list[str], path: str | Path) -> np.ndarray:
    if not cells:
        raise InputError(f"{path}: no labels found", argument="path")
    numeric = [is_number(c) for c in cells]
    if all(numeric):
        vals = np.array([float(c) for c in cells])
        if not (np.all(np.isfinite(vals)) and np.all(vals == np.round(vals))):
            raise InputError(f"{path}: numeric labels must be whole numbers", argument="path")
        return vals.astype(np.int64)
    if any(numeric):
        i = numeric.index(True) if not numeric[0] else numeric.index(False)
        raise InputError(f"{path}: labels mix numbers and names ({cells[0]!r}, {cells[i]!r})", argument="path")
    return np.array([c.strip() for c in cells])
