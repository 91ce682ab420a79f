"""Reading the files users give: one careful path for every text input (prior files, label files,
logs), so that each is read right or refused with a message that says what was seen.

* :func:`read_text`: regular files (or ``-`` for standard input) only, up to a size cap, UTF-8
  with or without a byte-order mark, any line ending (LF, CRLF, CR); NUL bytes mean binary.
* :func:`parse_number`: a strict decimal number; decimal commas, hex, digit separators and
  words are refused with a message naming the token.
* :func:`read_columns`: a table of values: one value per line, one row of values, or a CSV/TSV
  with a header naming its columns; the header is recognised only when the first line is
  entirely non-numeric and the lines after it are numeric.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

__all__ = ["MAX_TEXT_BYTES", "read_text", "read_json", "parse_number", "is_number", "Columns", "read_columns", "check_regular_file"]

#: Largest text input read (32 MiB: a label per line for 4 million samples). Larger data belong
#: in a .npy file, which is read without building Python objects per value.
MAX_TEXT_BYTES = 32 * 2**20

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_SPECIAL = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def check_regular_file(path: str | Path, argument: str) -> Path:
    """``path`` as a Path, refused unless it names an existing regular file."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file", argument=argument)
    if p.is_dir():
        raise InputError(f"{path}: is a folder, not a file", argument=argument)
    if not p.is_file():
        raise InputError(f"{path}: not a regular file (a device, pipe or socket); give a file or - for standard input", argument=argument)
    return p


def read_text(path: str | Path, argument: str = "path", limit: int = MAX_TEXT_BYTES) -> str:
    """The text of a file (or of standard input for ``-``): at most ``limit`` bytes, UTF-8 (a
    byte-order mark is dropped), line endings turned into ``\\n``."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1) if hasattr(sys.stdin, "buffer") else sys.stdin.read(limit + 1).encode()
        name = "standard input"
    else:
        p = check_regular_file(path, argument)
        try:
            with open(p, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})", argument=argument) from None
        name = str(path)
    if len(data) > limit:
        raise InputError(f"{name}: larger than {limit // 2**20} MiB; give large data as a .npy file", argument=argument)
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"  # Windows shells write UTF-16
    if encoding != "utf-16" and b"\x00" in data:
        raise InputError(f"{name}: a binary file, not text", argument=argument)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})", argument=argument) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_number(token: str) -> bool:
    """True for a plain decimal number (``12``, ``-0.5``, ``1e6``) or nan/inf."""
    t = token.strip()
    return bool(_NUMBER.match(t)) or t.lower() in _SPECIAL


def parse_number(token: str, where: str, argument: str = "path") -> float:
    """A strict decimal number; refuses ``0,5`` (decimal comma), ``0x10``, ``1_000`` and words."""
    t = token.strip()
    if _NUMBER.match(t) or t.lower() in _SPECIAL:
        return float(t)
    if _DECIMAL_COMMA.match(t):
        raise InputError(f"{where}: {t!r} has a decimal comma; write {t.replace(',', '.')!r}", argument=argument)
    raise InputError(f"{where}: expected a number (decimal, like 2.5), got {t!r}", argument=argument)


@dataclass(frozen=True)
class Columns:
    """A table read from text: column names (None when the file has no header) and the cells of
    each data row, with the 1-based line number of each row."""

    names: list[str] | None
    rows: list[list[str]]
    lines: list[int]

    def column(self, index: int) -> list[str]:
        return [r[index] for r in self.rows]


def _split(text: str, source: str, argument: str) -> tuple[list[list[str]], list[int]]:
    lines = text.split("\n")
    sample = "\n".join(lines[:50])
    # Tab, then semicolon (the CSV of locales with decimal commas), then comma.
    delim = next((d for d in ("\t", ";", ",") if d in sample), None)
    rows, numbers = [], []
    if delim is None:
        for i, line in enumerate(lines, start=1):
            if line.strip():
                rows.append(line.split())
                numbers.append(i)
        return rows, numbers
    csv.field_size_limit(MAX_TEXT_BYTES)
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text), delimiter=delim), start=1):
            cells = [c.strip() for c in row]
            if any(cells):
                rows.append(cells)
                numbers.append(i)
    except csv.Error as exc:
        raise InputError(f"{source}: not a readable CSV file ({exc})", argument=argument) from None
    return rows, numbers


def _header_word(cell: str) -> bool:
    """A column name: starts with a letter or underscore and is not nan/inf (``0x10`` is not
    a name but a malformed number, and is refused as such)."""
    c = cell.strip()
    return bool(c) and (c[0].isalpha() or c[0] == "_") and not is_number(c)


def read_columns(text: str, source: str, argument: str = "path", numeric: bool = True) -> Columns:
    """Split text into a table. When the data are ``numeric``, a first line whose every cell is
    a name (starts with a letter) is a header, provided the lines after it hold numbers;
    otherwise the caller decides from the names. Rows of unequal length are refused."""
    rows, numbers = _split(text, source, argument)
    if not rows:
        raise InputError(f"{source}: no values found", argument=argument)
    names = None
    first = rows[0]
    if numeric and len(rows) > 1 and all(_header_word(c) for c in first) and all(any(is_number(c) for c in r) for r in rows[1:]):
        names, rows, numbers = first, rows[1:], numbers[1:]
    width = len(rows[0])
    for r, n in zip(rows, numbers, strict=True):
        if len(r) != width:
            raise InputError(f"{source}: line {n} has {len(r)} fields, line {numbers[0]} has {width}", argument=argument)
    if names is not None and len(names) != width:
        raise InputError(f"{source}: the header has {len(names)} fields, the rows {width}", argument=argument)
    return Columns(names, rows, numbers)



#: Deepest nesting and longest integer a JSON input may hold: measured terms and logs are flat
#: records; deeper or longer values are hostile or damaged, and Python's parser would recurse or
#: spend quadratic time on them.
MAX_JSON_DEPTH = 64
MAX_JSON_INT_DIGITS = 40


def read_json(path: str | Path, argument: str = "path", limit: int = MAX_TEXT_BYTES) -> object:
    """The JSON document in a file (or ``-``), read by :func:`read_text`; malformed JSON, a
    duplicate key in an object (Python would keep the last silently), nesting deeper than
    MAX_JSON_DEPTH and integers longer than MAX_JSON_INT_DIGITS digits are refused naming the
    file and what was seen; NaN and infinities are kept as floats."""
    text = read_text(path, argument, limit)
    name = "standard input" if str(path) == "-" else str(path)
    if not text.strip():
        raise InputError(f"{name}: file is empty", argument=argument)
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:  # a linear scan for nesting before the recursive parser sees the text
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise InputError(f"{name}: JSON nested {deepest} levels deep (at most {MAX_JSON_DEPTH})", argument=argument)

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in items:
            if key in out:
                raise InputError(f"{name}: duplicate key {key!r} in a JSON object", argument=argument)
            out[key] = value
        return out

    def integer(token: str) -> int:
        if len(token.lstrip("-")) > MAX_JSON_INT_DIGITS:
            raise InputError(f"{name}: an integer of {len(token.lstrip('-'))} digits (at most {MAX_JSON_INT_DIGITS})",
                             argument=argument)
        return int(token)

    import json

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: malformed JSON at line {exc.lineno}: {exc.msg}", argument=argument) from None
