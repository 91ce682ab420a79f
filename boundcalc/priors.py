"""Class priors: the distribution ρ over the C latent classes.

A :class:`Prior` stores the prior compactly as distinct masses ``a_u`` with multiplicities
``m_u`` (class c has probability ρ_c = a_c / A with A = Σ_u m_u a_u). A uniform prior over
10^9 classes is one mass with multiplicity 10^9, and every algorithm in boundcalc works on
the distinct masses, so its cost does not grow with the number of equal classes.

When the masses are integer counts (images per class) the prior also knows the finite pool,
which the "without replacement" sampling model needs.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Union

import numpy as np

from .errors import InputError, InputTypeError, renamed_arguments
from .names import COUNT_PRESETS, PRESETS, UNIFORM_PRESETS
from .validation import positive_int

__all__ = ["Prior", "PriorSource", "as_prior", "require_pool", "PRESETS", "UNIFORM_PRESETS", "COUNT_PRESETS", "PriorLike"]


#: Largest number of classes whose per-class arrays are ever materialised.
MAX_MATERIALISED_CLASSES = 10**7


@dataclass(frozen=True, eq=False)
class Prior:
    """A class prior ρ over C classes, stored as distinct masses with multiplicities.

    Attributes
    ----------
    masses : float64 array (U,)
        Distinct positive masses a_u (integer-valued when the prior comes from counts).
    multiplicities : int64 array (U,)
        How many classes have mass a_u; C = Σ m_u.
    is_counts : bool
        True when the masses are integer counts, so the prior defines a finite pool
        (needed for sampling without replacement).
    name : str
        A short label for output.
    class_masses : float64 array (C,) or None
        The per-class masses in the order given, when the prior was built from a list.
    class_names : tuple of str or None
        Class identifiers, when known (JSON objects, two-column CSV).
    """

    masses: np.ndarray
    multiplicities: np.ndarray
    is_counts: bool = False
    name: str = "prior"
    class_masses: np.ndarray | None = field(default=None, repr=False, compare=False)
    class_names: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A value: the arrays cannot change behind a cached result.
        for arr in (self.masses, self.multiplicities, self.class_masses):
            if arr is not None:
                arr.setflags(write=False)

    def _key(self) -> tuple[bytes, bytes, bool]:
        """The canonical grouped masses: what every computed quantity depends on."""
        return (self.masses.tobytes(), self.multiplicities.tobytes(), self.is_counts)

    def __eq__(self, other: object) -> bool:
        """Equal when the grouped masses (and the counts flag) agree; names do not count."""
        if not isinstance(other, Prior):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    # ----------------------------------------------------------------- constructors
    @classmethod
    def uniform(cls, n_classes: int, name: str | None = None) -> Prior:
        """The uniform prior ρ_c = 1/C over ``n_classes`` classes (C ≥ 1)."""
        c = positive_int(n_classes, "n_classes")
        return cls(np.array([1.0]), np.array([c], dtype=np.int64), False, name or f"uniform(C={c})")

    @classmethod
    def from_counts(
        cls,
        values: Sequence[float] | np.ndarray,
        name: str = "prior",
        class_names: Sequence[str] | None = None,
    ) -> Prior:
        """A prior from non-negative per-class counts or weights (normalised internally).

        Zero entries are dropped with a warning (such a class can never be drawn, so it could
        never be covered); negative, NaN or infinite entries raise ValueError. Integer-valued
        entries make a count prior, which also supports sampling without replacement. Exact
        rationals (``fractions.Fraction``) are kept exact: scaled by their common denominator to
        integer masses (a weight prior, not a pool), so complements such as 1 − ρ come from them.
        """
        rational = _common_denominator(values)
        arr = _as_float_vector([v * rational for v in values] if rational else values, "prior")
        if np.any(~np.isfinite(arr)):
            raise InputError("prior: entries must be finite (found NaN or infinity)")
        if np.any(arr < 0):
            raise InputError(f"prior: entries must be non-negative (found {arr[arr < 0][0]:g})")
        names = tuple(str(s) for s in class_names) if class_names is not None else None
        if names is not None and len(names) != arr.size:
            raise InputError("prior: class_names and values differ in length")
        zero = arr == 0
        if zero.all():
            raise InputError("prior: all entries are zero")
        if zero.any():
            warnings.warn(
                f"prior: dropped {int(zero.sum())} class(es) with zero count; they can never be drawn",
                stacklevel=2,
            )
            arr = arr[~zero]
            if names is not None:
                names = tuple(n for n, z in zip(names, zero, strict=False) if not z)
        is_counts = bool(np.all(arr == np.round(arr)) and arr.max() < 2.0**53) and not rational
        # Scale weights so that the largest is 1 when they are not counts (keeps sums tame).
        if not is_counts and not rational:
            arr = arr / arr.max()
        masses, mult = np.unique(arr, return_counts=True)
        return cls(masses, mult.astype(np.int64), is_counts, name, arr, names)

    @classmethod
    def from_labels(cls, labels: Iterable, name: str = "labels") -> Prior:
        """A count prior from per-sample labels (any hashable values): counts = occurrences."""
        arr = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels)
        if arr.size == 0:
            raise InputError("labels: no labels given")
        if arr.ndim != 1:
            raise InputError("labels: expected a one-dimensional sequence of labels")
        uniq, counts = np.unique(arr, return_counts=True)
        return cls.from_counts(counts, name=name, class_names=[str(u) for u in uniq])

    @classmethod
    def preset(cls, name: str) -> Prior:
        """A named preset: uniform ``binary``, ``ag_news``, ``cifar10``, ``cifar100``,
        ``wiki3029``; real training-set counts ``imagenet1k``, ``imagenet_lt``, ``places_lt``."""
        key = str(name).lower().replace("-", "_")
        if key in UNIFORM_PRESETS or key in COUNT_PRESETS:
            return _preset(key)
        raise InputError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}", argument="name")

    @classmethod
    def from_file(cls, path: str | Path, labels: bool = False) -> Prior:
        """Read counts/weights (or, with ``labels=True``, per-sample labels) from a file.

        Formats (:mod:`boundcalc.priorfiles`): ``.npy``; ``.json`` (object class → count, or a
        list); text/CSV/TSV with one value per line, one row of values, two columns (class,
        count), or a header naming the count column. ``-`` reads standard input. Anything
        ambiguous (decimal commas, unnamed columns, mixed labels) is refused, never guessed.
        """
        from .priorfiles import read_counts, read_labels

        name = Path(path).stem if str(path) != "-" else "stdin"
        if labels:
            return cls.from_labels(read_labels(path), name=name)
        values, names = read_counts(path)
        return cls.from_counts(values, name=name, class_names=names)

    # ----------------------------------------------------------------- properties
    @cached_property
    def n_classes(self) -> int:
        """C, the number of classes."""
        return int(self.multiplicities.sum())

    @cached_property
    def total(self) -> float:
        """A = Σ_c a_c (the pool size N for a count prior)."""
        return math.fsum((self.masses * self.multiplicities).tolist()) if self.masses.size > 1 else float(self.masses[0]) * int(self.multiplicities[0])

    @cached_property
    def probabilities(self) -> np.ndarray:
        """The distinct class probabilities a_u / A (aligned with ``multiplicities``)."""
        out = self.masses / self.total
        out.setflags(write=False)  # computed once per prior and shared
        return out

    @cached_property
    def log_complements(self) -> np.ndarray:
        """ln(1 − ρ_u) for each distinct probability, accurate for a dominant class.

        Below ρ = ½, log1p(−ρ) loses nothing. A class above half the total (at most one) has
        1 − ρ = (A − a)/A formed from the other classes' mass, Σ m_v a_v − a summed exactly
        (``math.fsum``): for counts [10^12, 1 × 10] that is 10/(10^12 + 10) to full precision,
        where 1 − fl(ρ) keeps only about four digits.
        """
        total = self.total
        rho = self.masses / total
        with np.errstate(divide="ignore"):  # one class: ln 0 = −inf
            out = np.log1p(-rho)
        for u in np.nonzero(rho > 0.5)[0]:
            others = math.fsum([*(float(a) * int(m) for a, m in zip(self.masses, self.multiplicities, strict=True)),
                                -float(self.masses[u])])
            out[u] = math.log(others / total) if others > 0 else -math.inf
        out.setflags(write=False)  # computed once per prior and shared
        return out

    @property
    def is_uniform(self) -> bool:
        """True when every class has the same probability."""
        return self.masses.size == 1

    @property
    def max_probability(self) -> float:
        """ρ_max."""
        return float(self.masses.max() / self.total)

    @property
    def entropy(self) -> float:
        """H(ρ) = −Σ ρ_c ln ρ_c (nats)."""
        p = self.probabilities
        return float(-np.sum(self.multiplicities * p * np.log(p)))

    @property
    def collision_index(self) -> float:
        """Σ_c ρ_c², the probability that two independent draws share a class."""
        p = self.probabilities
        return float(np.sum(self.multiplicities * p * p))

    def per_class(self) -> np.ndarray:
        """The per-class masses a_c as an array of length C (refused for huge C)."""
        if self.class_masses is not None:
            return self.class_masses
        c = self.n_classes
        if c > MAX_MATERIALISED_CLASSES:
            raise InputError(f"prior: {c} classes is too many to list one by one (limit {MAX_MATERIALISED_CLASSES})")
        return np.repeat(self.masses, self.multiplicities)

    def __str__(self) -> str:
        if self.name.startswith("uniform("):
            return self.name
        kind = "uniform" if self.is_uniform else ("counts" if self.is_counts else "weights")
        return f"{self.name} (C={self.n_classes}, {kind})"


PriorLike = Union[int, str, Sequence[float], np.ndarray, Prior]  # noqa: UP007 (a runtime alias; py3.10 cannot | a string)


@dataclass(frozen=True)
class PriorSource:
    """Where a prior comes from: exactly one of a number of classes, a preset name, a file of
    per-class counts or weights, or a file of per-sample labels. :meth:`load` reads it, and its
    errors name the field that was at fault."""

    classes: int | None = None
    preset: str | None = None
    prior_file: str | Path | None = None
    labels: str | Path | None = None

    def load(self) -> Prior:
        """The :class:`Prior` this source describes."""
        given = [name for name in ("classes", "preset", "prior_file", "labels") if getattr(self, name) is not None]
        if len(given) != 1:
            raise InputError("give exactly one of `classes`, `preset`, `prior_file`, `labels`")
        if self.classes is not None:
            with renamed_arguments({"n_classes": "classes"}):
                return Prior.uniform(self.classes)
        if self.preset is not None:
            with renamed_arguments({"name": "preset"}):
                return Prior.preset(self.preset)
        field_name = given[0]
        with renamed_arguments({"path": field_name, "prior": field_name, "labels": field_name, None: field_name}):
            return Prior.from_file(getattr(self, field_name), labels=field_name == "labels")


def as_prior(prior: PriorLike) -> Prior:
    """Coerce ``prior`` to a :class:`Prior`.

    An int C is the uniform prior over C classes, a string a preset name, a sequence or array
    non-negative counts or weights, and a :class:`Prior` is returned as is.
    """
    if isinstance(prior, Prior):
        return prior
    if isinstance(prior, (bool, np.bool_)):
        raise InputTypeError("prior: expected an int, a preset name, a sequence of counts or a Prior, got bool")
    if isinstance(prior, (int, np.integer)):
        return _uniform(int(prior))
    if isinstance(prior, str):
        return Prior.preset(prior)
    if isinstance(prior, float):
        raise InputTypeError("prior: a number of classes must be an int, got float")
    if isinstance(prior, (Sequence, np.ndarray)):
        return Prior.from_counts(prior)  # type: ignore[arg-type]  # str was handled above
    raise InputTypeError(f"prior: expected an int, a preset name, a sequence of counts or a Prior, got {type(prior).__name__}")


# --------------------------------------------------------------------- helpers
#: Uniform priors kept per process: ``as_prior(1000)`` in a loop then reuses one Prior and the
#: values it caches (its C, total, log-complements) instead of rebuilding them per call.
_UNIFORM_CACHE_SIZE = 64


@lru_cache(maxsize=len(PRESETS))
def _preset(key: str) -> Prior:
    """The preset ``key``, read once: a Prior is immutable, so every call can share it (a count
    preset's JSON would otherwise be read and parsed at every call, 10x the cost of υ itself)."""
    if key in UNIFORM_PRESETS:
        return Prior.uniform(UNIFORM_PRESETS[key], name=key)
    import json
    from importlib import resources

    text = resources.files("boundcalc").joinpath("data").joinpath(COUNT_PRESETS[key]).read_text()
    data = json.loads(text)
    return Prior.from_counts(list(data.values()), name=key, class_names=list(data.keys()))


@lru_cache(maxsize=_UNIFORM_CACHE_SIZE)
def _uniform(n_classes: int) -> Prior:
    return Prior.uniform(n_classes)


def _common_denominator(values: Any) -> int:
    """The least common denominator of a sequence of ints and Fractions with at least one
    Fraction, when the scaled values are exact in float64 (below 2^53); else 0."""
    if isinstance(values, (str, bytes, np.ndarray)) or not isinstance(values, Sequence) or "fractions" not in sys.modules:
        return 0  # (no Fraction can exist before the fractions module is imported: start-up need not import it)
    from fractions import Fraction

    if not any(isinstance(v, Fraction) for v in values) or not all(isinstance(v, (int, Fraction)) for v in values):
        return 0
    den = math.lcm(*(Fraction(v).denominator for v in values))
    return den if max(abs(Fraction(v)) * den for v in values) < 2**53 else 0


def _as_float_vector(values: Any, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise InputTypeError(f"{name}: expected a sequence of numbers, got a string")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(f"{name}: expected a sequence of numbers") from None
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a one-dimensional sequence, got shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{name}: no classes given")
    return arr


def require_pool(prior: Prior, argument: str = "replace") -> Prior:
    """``prior`` itself when it is a pool of integer per-class counts (what sampling without
    replacement draws from); otherwise the one refusal every without-replacement path gives,
    naming ``argument``."""
    if not prior.is_counts:
        raise InputError(
            "sampling without replacement needs a pool of integer per-class counts (a counts file, labels or a count "
            f"preset such as imagenet1k), got {prior}", argument=argument,
        )
    return prior
