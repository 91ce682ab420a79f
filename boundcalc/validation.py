"""Argument checks shared by every public function: one place decides what a count, a
probability level or a precision may be, and every refusal names the argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputError, InputTypeError

__all__ = ["FloatOrArray", "shaped_like", "MAX_COUNT", "whole_numbers", "whole_number", "positive_int", "finite_number", "check_digits", "MAX_DIGITS"]

#: Largest number of draws (or negatives) accepted: beyond 2**53 consecutive integers are no
#: longer distinct in float64, so n and n + 1 would silently give the same answer.
MAX_COUNT = 2**53

#: What a vectorised function returns: a float for a scalar argument, an array for an array.
FloatOrArray = float | NDArray[np.float64]


def shaped_like(x: NDArray[np.float64], like: ArrayLike) -> FloatOrArray:
    """``x`` as a float when the argument ``like`` was a scalar, else as the array."""
    return float(x) if np.ndim(like) == 0 else x


#: Largest precision accepted by ``digits=``: the mpmath paths cost grows like D² per node.
MAX_DIGITS = 1000


def whole_numbers(values: Any, name: str) -> np.ndarray:
    """``values`` (scalar or array) as an int64 array of whole numbers in [0, 2**53]."""
    if type(values) is int and 0 <= values <= MAX_COUNT:  # the common case, without array checks
        return np.array(values, dtype=np.int64)
    if isinstance(values, (bool, np.bool_)):
        raise InputTypeError(f"{name}: expected a whole number, got bool")
    try:
        arr = np.asarray(values)
    except OverflowError:
        raise InputError(f"{name}: must be at most 2**53") from None
    if arr.dtype == object and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr.ravel()):
        if any(int(x) > MAX_COUNT or int(x) < 0 for x in arr.ravel()):
            raise InputError(f"{name}: must lie in 0..2**53")
        arr = arr.astype(np.int64)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise InputTypeError(f"{name}: expected whole numbers, got {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise InputError(f"{name}: must be finite")
        if np.any(arr != np.round(arr)):
            raise InputError(f"{name}: must be whole numbers")
    if np.any(arr < 0):
        raise InputError(f"{name}: must be non-negative")
    if np.any(arr > MAX_COUNT):
        raise InputError(f"{name}: must be at most 2**53")
    return arr.astype(np.int64)


def whole_number(value: Any, name: str, minimum: int = 0) -> int:
    """A single whole number ≥ ``minimum`` (numpy integers accepted, bool and floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"{name}: expected a whole number, got {type(value).__name__}")
    if value < minimum:
        raise InputError(f"{name}: must be at least {minimum}, got {value}")
    if value > MAX_COUNT:
        raise InputError(f"{name}: must be at most 2**53, got {value}")
    return int(value)


def positive_int(value: Any, name: str) -> int:
    """A whole number ≥ 1."""
    return whole_number(value, name, 1)


def finite_number(value: Any, name: str) -> float:
    """A finite real number (numpy scalars accepted, bool refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputTypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise InputError(f"{name}: must be finite, got {value}")
    return float(value)


def check_digits(digits: Any) -> int:
    """A precision for ``digits=``: a whole number from 1 to 1000."""
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= MAX_DIGITS:
        raise InputError(f"digits: expected a whole number from 1 to {MAX_DIGITS}, got {digits!r}")
    return int(digits)
