"""Parsers for the values typed on the command line: lists and ranges of K, lists of numbers.

A range's length is computed from its ends before any list is built, so ``0..10**9`` is refused
at once instead of filling memory.
"""

import math
import re

from ..errors import InputError

__all__ = ["parse_int_list", "parse_float_list", "MAX_LIST"]

#: Most values one list or range may hold (a table of a million rows is already unreadable).
MAX_LIST = 10**6
#: Largest whole number accepted (beyond it float64 cannot tell n from n + 1).
MAX_INT = 2**53

_RANGE = re.compile(r"^\s*(\d+)\s*\.\.\s*(\d+)\s*(?::\s*(x?)([0-9.]+))?\s*$")


def _geometric(a: int, b: int, factor: float, part: str, name: str) -> list[int]:
    if factor <= 1:
        raise InputError(f"{name}: the factor in {part!r} must exceed 1")
    if a == 0:
        raise InputError(f"{name}: a geometric range cannot start at 0")
    if math.log(b / a) / math.log(factor) + 1 > MAX_LIST:
        raise InputError(f"{name}: range {part!r} has more than {MAX_LIST:,} values")
    vals: list[int] = []
    v = float(a)
    while v <= b:
        r = int(round(v))
        if not vals or r != vals[-1]:
            vals.append(r)
        v *= factor
    return vals


def parse_int_list(text: str, name: str = "--k") -> list[int]:
    """'31', '31,63,127', '1..100', '0..1000:100' (step) or '32..1024:x2' (factor) → ints."""
    out: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        m = _RANGE.match(part)
        if m:
            a, b, geo, step = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
            if b < a:
                raise InputError(f"{name}: empty range {part!r}")
            if b > MAX_INT:
                raise InputError(f"{name}: values must be at most 2**53")
            if geo:
                out.extend(_geometric(a, b, float(step), part, name))
            else:
                if step is not None and not step.isdigit():
                    raise InputError(f"{name}: the step in {part!r} must be a whole number")
                s = int(step) if step else 1
                if s < 1:
                    raise InputError(f"{name}: the step in {part!r} must be at least 1")
                if (b - a) // s + 1 > MAX_LIST:
                    raise InputError(f"{name}: range {part!r} has more than {MAX_LIST:,} values")
                out.extend(range(a, b + 1, s))
            if len(out) > MAX_LIST:
                raise InputError(f"{name}: more than {MAX_LIST:,} values")
            continue
        try:
            v = float(part)
        except ValueError:
            raise InputError(f"{name}: expected whole numbers, a comma list or a range like 32..1024:x2, got {part!r}") from None
        if not math.isfinite(v) or v != int(v):
            raise InputError(f"{name}: expected whole numbers, got {part!r}")
        if v < 0:
            raise InputError(f"{name}: must be non-negative, got {part!r}")
        if v > MAX_INT:
            raise InputError(f"{name}: values must be at most 2**53")
        out.append(int(part) if part.isdigit() else int(v))
    if not out:
        raise InputError(f"{name}: no values given")
    return out


def parse_float_list(text: str, name: str) -> list[float]:
    """'2.02' or '2.02,2.64,3.29' → finite floats."""
    out = []
    for part in str(text).split(","):
        if not part.strip():
            continue
        try:
            v = float(part)
        except ValueError:
            raise InputError(f"{name}: expected numbers, got {part.strip()!r}") from None
        if not math.isfinite(v):
            raise InputError(f"{name}: value must be finite, got {part.strip()!r}")
        out.append(v)
    if not out:
        raise InputError(f"{name}: expected numbers, got {text!r}")
    return out
