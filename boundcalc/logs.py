"""The loss of each logged training run, its K and its temperature: one semantics for every log format.

:mod:`boundcalc.logformats` reads what a tool wrote into runs (records in logged order plus
the run's configuration); this module decides, the same way for every format
(docs/logs.md §2):

- the loss of a run is its LAST logged value, unless ``reduce`` says ``mean``, ``min`` or
  ``last:N`` (the mean of the last N logged values);
- K for a logged value is the value of the K key at that record, else the latest earlier one
  (carried forward), else the run's configuration (hparams, params, config) under a K key, also
  nested (``model.num_negatives``), else the ``k`` given; a run whose K changes gives one
  result per K; the temperature is read the same way (:data:`T_NAMES`, else ``temperature``);
- the default loss key is one of a few exact, conventional names (:data:`LOSS_NAMES`, with
  Lightning's ``_epoch`` preferred over ``_step``); none or several in a run is an error that
  lists the candidates; ``loss_key`` is a comma list tried in order, also per path
  (``PATH::KEY``);
- copies of one run written by several loggers (same hparams, steps and values) are one result
  naming every copy;
- values skipped (NaN, no K), runs without the loss and settings given that a run contradicts
  are reported by one warning per kind, with counts; nothing is dropped silently.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InputError
from .logformats import BLANKS, LoggedRun, read_runs_at
from .textfiles import parse_number
from .validation import MAX_COUNT

__all__ = ["RunLoss", "Reduce", "read_losses", "read_runs", "LOSS_NAMES", "K_NAMES", "T_NAMES", "PATH_KEY_SEPARATOR"]

#: Loss names recognised without ``loss_key`` (compared in lower case), each also with
#: Lightning's suffixes ``_epoch`` and ``_step`` (a value logged with ``on_step`` and
#: ``on_epoch``): the names tools and contrastive-learning code bases log by default —
#: solo-learn's ``train_nce_loss``, lightly's examples' ``train_loss_ssl``. Substrings are not
#: enough: "nce" is in "distance", "loss" in "val_loss" (a held-out loss, not the training loss a
#: bound is about).
LOSS_BASES = (
    "loss", "train_loss", "train/loss", "training_loss", "epoch_loss", "contrastive_loss", "train/contrastive_loss",
    "train_contrastive_loss", "info_nce", "infonce", "info_nce_loss", "infonce_loss", "train/info_nce", "nce_loss",
    "nt_xent", "ntxent", "nt_xent_loss", "simclr_loss", "moco_loss", "train_nce_loss", "train_loss_ssl",
)
#: Lightning's suffixes, most preferred first: the epoch mean over the last step's value (less
#: noisy, and what the epoch's checkpoint was trained to).
LOSS_SUFFIXES = ("_epoch", "", "_step")
LOSS_NAMES = frozenset(base + suffix for base in LOSS_BASES for suffix in LOSS_SUFFIXES)
#: K keys recognised without ``k_key`` (exact, lower case; in the config also as the last part
#: of a nested key).
K_NAMES = ("k", "num_negatives", "n_negatives", "negatives", "num_neg", "n_neg", "k_negatives")
#: Temperature keys recognised without ``t_key``, as K's.
T_NAMES = ("temperature", "t", "tau", "temp")
#: ``PATH::KEY`` names the loss key (a comma list) of one ``--log`` path.
PATH_KEY_SEPARATOR = "::"
#: Steps as the tools log them beside the values: copies of one run are told by them.
_STEP_KEYS = ("step", "_step", "global_step", "trainer/global_step")
#: A temperature given differs from a run's own when more than float32 rounding apart (TensorBoard
#: keeps scalars in float32).
_T_RELATIVE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Reduce:
    """How a run's logged values become one: ``last``, ``mean``, ``min`` or ``last:N``
    (the mean of the last N values)."""

    how: str = "last"
    n: int | None = None

    @classmethod
    def parse(cls, text: str | Reduce) -> Reduce:
        """``last``, ``mean``, ``min`` or ``last:N`` with N ≥ 1."""
        if isinstance(text, Reduce):
            return text
        t = str(text).strip().lower()
        if t in ("last", "mean", "min"):
            return cls(t)
        head, _, n = t.partition(":")
        if head == "last" and n.isdigit() and int(n) >= 1:
            return cls("last", int(n))
        raise InputError(f"reduce: last, mean, min or last:N (N ≥ 1), got {text!r}")

    def __call__(self, values: Sequence[float]) -> float:
        if self.how == "min":
            return min(values)
        used = values if self.how == "mean" else values[-(self.n or 1):]
        # the correctly rounded sum over n can land an ulp outside the values (three equal
        # values); a mean never does
        return min(max(math.fsum(used) / len(used), min(used)), max(used))

    def used(self, count: int) -> int:
        """How many of ``count`` logged values the reduction uses."""
        return 1 if self.how == "last" and self.n is None else min(count, self.n) if self.n else count

    def __str__(self) -> str:
        return f"last:{self.n}" if self.n else self.how


@dataclass(frozen=True)
class RunLoss:
    """The loss of one run at one K, and where each value came from.

    ``k_from`` is "log" (the K key in the records, carried forward), "config" (the run's
    hparams/params/config) or "given" (the ``k`` argument); ``t_from`` is "log", "hparams"
    (Lightning's hparams.yaml, TensorBoard's hparams, MLflow params), "config" (a config file,
    W&B's config), "option" (the ``temperature`` argument) or "none"; ``logged_at`` locates the
    last value used; ``n_values`` counts the values reduced, ``n_logged`` those logged at this K;
    ``copies`` names the other loggers' copies of this run that were merged into it."""

    run: str
    source: str
    k: int
    k_from: str
    loss: float
    loss_key: str
    reduce: str
    n_values: int
    n_logged: int
    logged_at: str
    d: float | None = None
    l_sub: float | None = None
    sup: float | None = None
    temperature: float | None = None
    t_from: str = "none"
    copies: tuple[str, ...] = ()

    @property
    def provenance(self) -> str:
        """The loss key, where K and where t came from, in one short cell: ``train_loss_epoch · K
        config · t=0.5 hparams``."""
        t = "t none" if self.temperature is None else f"t={self.temperature:g} {self.t_from}"
        return f"{self.loss_key} · K {self.k_from} · {t}"


@dataclass
class _Tally:
    """Counts of what was skipped or set aside, by kind, said once per kind at the end."""

    nan: dict[str, int] = field(default_factory=dict)
    no_k: dict[str, int] = field(default_factory=dict)
    no_loss: dict[str, list[str]] = field(default_factory=dict)
    k_overridden: dict[str, set[int]] = field(default_factory=dict)
    t_overridden: dict[str, set[float]] = field(default_factory=dict)
    t_varies: dict[str, tuple[float, float]] = field(default_factory=dict)
    t_missing: list[str] = field(default_factory=list)
    not_numbers: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    k_seen: bool = False

    def say(self, k_given: int | None, t_given: float | None, t_key: str | None) -> None:
        if self.nan:
            warnings.warn(f"skipped {sum(self.nan.values())} NaN value(s) of the loss ({_runs(self.nan)})", stacklevel=3)
        if self.no_k:
            warnings.warn(f"skipped {sum(self.no_k.values())} loss value(s) logged before any K, with no K in the "
                          f"run's config and no `k` given ({_runs(self.no_k)})", stacklevel=3)
        for what, names in self.no_loss.items():
            listed = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            warnings.warn(f"skipped {len(names)} run(s) without {what}: {listed}", stacklevel=3)
        if self.k_overridden:
            ks = sorted({k for v in self.k_overridden.values() for k in v})
            warnings.warn(f"`k` = {k_given} used only where the log gives no K: {_runs(self.k_overridden)} "
                          f"log(s) K = {', '.join(map(str, ks))}", stacklevel=3)
        if self.t_overridden:
            ts = sorted({t for v in self.t_overridden.values() for t in v})
            warnings.warn(f"`temperature` = {t_given:g} set aside where a run gives its own: {_runs(self.t_overridden)} "
                          f"(t = {', '.join(f'{t:g}' for t in ts)}); each run's own is used", stacklevel=3)
        if self.t_varies:
            first, last = next(iter(self.t_varies.values()))
            warnings.warn(f"the temperature changes over the values reduced ({_runs(self.t_varies)}: {first:g} to "
                          f"{last:g}); each row takes the temperature of its last value", stacklevel=3)
        if self.t_missing:
            warnings.warn(f"no key {t_key!r} (`t_key`) in {_runs(dict.fromkeys(self.t_missing))}", stacklevel=3)
        if self.not_numbers:
            warnings.warn(f"not read, not a number: {'; '.join(self.not_numbers[:3])}"
                          + (f" (and {len(self.not_numbers) - 3} more)" if len(self.not_numbers) > 3 else ""), stacklevel=3)
        if self.copies:
            warnings.warn(f"{_plural(len(self.copies), 'run')} logged by several loggers (same hparams, steps and values) "
                          f"reported once: {'; '.join(self.copies[:3])}" + (", …" if len(self.copies) > 3 else ""), stacklevel=3)


def _runs(d: dict[str, Any]) -> str:
    names = list(d)
    return (f"run {names[0]}" if len(names) == 1 else f"{len(names)} runs: " + ", ".join(names[:3])
            + (", …" if len(names) > 3 else ""))


def read_runs(paths: str | Sequence[str]) -> list[LoggedRun]:
    """Every run at each path (files, folders searched recursively, '-'; a ``PATH::KEY`` suffix
    is set aside), as logged."""
    return [run for run, _ in _read(paths)]


def _read(paths: str | Sequence[str]) -> list[tuple[LoggedRun, tuple[str, ...] | None]]:
    """Every run at each path with the loss keys its path names (``PATH::KEY``, else None)."""
    ps = [paths] if isinstance(paths, str) else list(paths)
    if not ps:
        raise InputError("path: give at least one log")
    specs = [split_path_key(p) for p in ps]
    if [path for path, _ in specs].count("-") > 1:
        raise InputError("path: standard input ('-') can be read once")
    runs = [(run, keys) for path, keys in specs for run in read_runs_at(path)]
    names = [r.name for r, _ in runs]
    if len(set(names)) != len(names):  # the same run name under two roots: say which root
        for r, _ in runs:
            if names.count(r.name) > 1:
                r.name = f"{r.source}" if r.name in (r.source, "stdin") else f"{r.name} ({r.source})"
    return runs


def split_path_key(path: str) -> tuple[str, tuple[str, ...] | None]:
    """``PATH::KEY1,KEY2`` → (PATH, (KEY1, KEY2)); a path without ``::`` → (path, None). The
    last ``::`` splits, so a path holding ``::`` is written with a trailing ``::`` (no keys)."""
    path = str(path)
    if PATH_KEY_SEPARATOR not in path:
        return path, None
    head, _, keys = path.rpartition(PATH_KEY_SEPARATOR)
    if not head:
        raise InputError(f"path: {path!r} names a loss key but no path (PATH::KEY)")
    return head, (_key_list(keys, "path") if keys.strip() else None)


def _key_list(keys: str | Sequence[str], argument: str) -> tuple[str, ...]:
    """A comma list of keys (or a sequence of them), each non-empty."""
    parts = [k.strip() for k in keys.split(",")] if isinstance(keys, str) else [str(k).strip() for k in keys]
    if not parts or not all(parts):
        raise InputError(f"{argument}: an empty key in {keys!r} (a comma list of keys, tried in order)", argument=argument)
    return tuple(parts)


def read_losses(
    paths: str | Sequence[str],
    loss_key: str | Sequence[str] | None = None,
    k_key: str | None = None,
    k: int | None = None,
    reduce: str | Reduce = "last",
    d_key: str | None = None,
    l_sub_key: str | None = None,
    sup_key: str | None = None,
    temperature: float | None = None,
    t_key: str | None = None,
) -> list[RunLoss]:
    """One :class:`RunLoss` per run and K from the training logs at ``paths``.

    ``loss_key`` names the loss: a key or a comma list tried in order, the first a run has (default:
    the one name of :data:`LOSS_NAMES` a run has, ``_epoch`` before the plain name before
    ``_step``); a path ``PATH::KEY`` names its own. K is the ``k_key`` value (default: a key of
    :data:`K_NAMES`) at each record, carried forward, else from the run's configuration, else
    ``k``; the temperature likewise (``t_key``, :data:`T_NAMES`, else ``temperature``: a run's own
    value is used where ``temperature`` contradicts it, and that is said). ``reduce`` turns each
    run's values at one K into one (default: the last logged value). ``d_key``, ``l_sub_key`` and
    ``sup_key`` name columns reduced the same way. Copies of one run written by several loggers
    (same config, steps and values) give one result naming each. Raises
    :class:`~boundcalc.errors.InputError` when no run has a loss.
    """
    how = Reduce.parse(reduce)
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        raise InputError(f"k: a whole number ≥ 0, got {k!r}")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
                                    or not math.isfinite(temperature) or temperature <= 0):
        raise InputError(f"temperature: a positive number, got {temperature!r}")
    keys = _key_list(loss_key, "loss_key") if loss_key is not None else None
    runs = _read(paths)
    tally = _Tally()
    found: list[tuple[LoggedRun, list[tuple[RunLoss, tuple[Any, ...]]]]] = []
    candidates: dict[str, None] = {}
    settings = _Settings(k_key, k, t_key, None if temperature is None else float(temperature))
    for run, path_keys in runs:
        wanted = path_keys or keys
        cols = run.columns()
        lcol = _loss_key(run, cols, wanted)
        if lcol is None:
            tally.no_loss.setdefault(_what(wanted), []).append(run.name)
            candidates.update(dict.fromkeys(c for c in cols if _numeric_column(run, c)))
            continue
        entries = _run_losses(run, cols, lcol, settings, how, {"d": d_key, "l_sub": l_sub_key, "sup": sup_key}, tally)
        if entries:
            found.append((run, entries))
    out = _merge_copies(found, tally)
    if not out:
        asked = {path_keys or keys for _, path_keys in runs}
        per_path = any(path_keys is not None for _, path_keys in runs)
        what = _what(next(iter(asked))) if len(asked) == 1 else "the loss key asked for"
        if tally.no_k and not tally.k_seen:
            runs_without = _runs(tally.no_k)
            tally.no_k.clear()
            tally.say(k, settings.t_given, t_key)
            named = f"key {k_key!r}" if k_key else f"key named {', '.join(K_NAMES)}"
            raise InputError(f"no K in {runs_without}: no {named} in the records or the config; "
                             "give `k` (the K of runs that log none) or name the key with `k_key`", argument="k")
        if tally.nan or tally.no_k:
            tally.say(k, settings.t_given, t_key)
            raise InputError(f"no loss value with a K in {_plural(len(runs), 'run')} (see the warnings above)",
                             argument="path")
        cands = ", ".join(list(candidates)[:20]) or "none"
        how_to = ("check the key after '::'" if per_path else "check `loss_key`") if asked != {None} else \
            "name the loss with `loss_key`"
        raise InputError(f"none of {_plural(len(runs), 'run')} has {what}; numeric keys: {cands}; {how_to}",
                         argument="loss_key" if keys and not per_path else "path")
    tally.say(k, settings.t_given, t_key)
    return out


def _what(keys: tuple[str, ...] | None) -> str:
    if keys is None:
        return "a conventional loss key"
    return f"the loss key {keys[0]!r}" if len(keys) == 1 else f"any of the loss keys {', '.join(map(repr, keys))}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _loss_key(run: LoggedRun, cols: list[str], keys: tuple[str, ...] | None) -> str | None:
    """The first of ``keys`` the run has; by default its one conventional name (of one base
    name's Lightning variants, ``_epoch`` first, then the plain name, then ``_step``)."""
    if keys is not None:
        return next((key for key in keys if key in cols), None)
    found = [c for c in cols if c.lower() in LOSS_NAMES]
    bases = {_loss_base(c)[0] for c in found}
    if len(bases) > 1:
        raise InputError(f"{run.name}: several loss keys: {', '.join(found)}; choose one with `loss_key`",
                         argument="loss_key")
    return min(found, key=lambda c: _loss_base(c)[1]) if found else None


def _loss_base(col: str) -> tuple[str, int]:
    """(base name, rank of its suffix in :data:`LOSS_SUFFIXES`) of a conventional loss name."""
    low = col.lower()
    for rank, suffix in enumerate(LOSS_SUFFIXES):
        base = low[: len(low) - len(suffix)] if suffix and low.endswith(suffix) else low
        if (not suffix or low.endswith(suffix)) and base in LOSS_BASES:
            return base, rank
    return low, len(LOSS_SUFFIXES)


def _numeric_column(run: LoggedRun, col: str) -> bool:
    for r in run.records:
        v = r.get(col)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return True
        if isinstance(v, str) and v.strip().lower() not in BLANKS:
            try:
                parse_number(v, col)
            except ValueError:
                return False
            return True
    return False


# --------------------------------------------------------------------------- K and the temperature of a run
@dataclass(frozen=True)
class _Settings:
    """The K and temperature asked for: keys named (else the conventional names) and values given."""

    k_key: str | None
    k_given: int | None
    t_key: str | None
    t_given: float | None


@dataclass(frozen=True)
class _Setting:
    """Where a run keeps one setting: its column in the records (or None), and its value in the
    run's configuration (or None) with the key it was found under."""

    column: str | None
    config_value: float | None
    config_key: str | None


def _flat(config: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Config entries with nested mappings (W&B's, Hugging Face's) expanded to '.'-joined keys."""
    for key, v in config.items():
        full = f"{prefix}{key}"
        if isinstance(v, dict):
            yield from _flat(v, f"{full}.")
        else:
            yield full, v


def _last_part(key: str) -> str:
    """The last part of a nested key: ``loss.temperature``, ``method_kwargs/temperature`` → temperature."""
    return key.replace("/", ".").rsplit(".", 1)[-1].lower()


def _setting(run: LoggedRun, cols: list[str], names: Sequence[str], key: str | None, what: str, argument: str,
             tally: _Tally) -> _Setting:
    """The column and config value of K or the temperature in ``run``: the key named, else a
    column of ``names`` (several: an error) and a config key whose name, or last nested part,
    is one of ``names`` (several that disagree: an error; values that are not numbers are
    skipped and said)."""
    config = dict(_flat(run.config))
    if key is not None:
        v = config.get(key)
        return _Setting(key if key in cols else None, None if v is None else _number(v, f"{run.name}: config {key!r}"),
                        key if v is not None else None)
    found = [c for c in cols if c.lower() in names]
    if len(found) > 1:
        raise InputError(f"{run.name}: several {what} keys: {', '.join(found)}; choose one with `{argument}`",
                         argument=argument)
    values: dict[str, float] = {}
    for ck, v in config.items():
        if ck.startswith("_wandb") or _last_part(ck) not in names or v is None:
            continue
        x = _config_number(v)
        if x is None:
            tally.not_numbers.append(f"{run.name}: config {ck!r} = {str(v)[:40]!r} (as {what})")
        else:
            values[ck] = x
    if len(set(values.values())) > 1:
        listed = ", ".join(f"{ck} = {x:g}" for ck, x in list(values.items())[:4])
        raise InputError(f"{run.name}: several {what} keys in the config: {listed}; choose one with `{argument}`",
                         argument=argument)
    first = next(iter(values), None)
    return _Setting(found[0] if found else None, values[first] if first is not None else None, first)


def _config_number(v: Any) -> float | None:
    """A config value as a number; None for text that is not one (it is not K or t)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return float(v) if abs(v) <= MAX_COUNT else math.inf  # (a K beyond range is refused by _whole)
    if isinstance(v, float):
        return v
    if isinstance(v, str) and v.strip().lower() not in BLANKS:
        try:
            return parse_number(v, "")
        except ValueError:
            return None
    return None


def _number(v: Any, where: str) -> float | None:
    """A value under a key named by the caller: a number, or refused."""
    x = _config_number(v)
    if x is None and not (isinstance(v, str) and v.strip().lower() in BLANKS):
        raise InputError(f"{where}: expected a number, got {str(v)[:40]!r}", argument="path")
    return x


def _positive(x: float | None, where: str) -> float | None:
    """A temperature: finite and > 0, or None when absent."""
    if x is not None and not (math.isfinite(x) and x > 0):
        raise InputError(f"{where}: the temperature must be a positive number, got {x!r}", argument="path")
    return x


def _step(rec: dict[str, Any]) -> float | None:
    """The step logged with a record, where the tool logs one."""
    for key in _STEP_KEYS:
        v = rec.get(key)
        if v is not None:
            return _config_number(v)
    return None


def _run_losses(run: LoggedRun, cols: list[str], lcol: str, settings: _Settings, how: Reduce,
                extra_keys: dict[str, str | None], tally: _Tally) -> list[tuple[RunLoss, tuple[Any, ...]]]:
    """The run's results, one per K, each with its series of (step, loss) (what copies share)."""
    ks = _setting(run, cols, K_NAMES, settings.k_key, "K", "k_key", tally)
    ts = _setting(run, cols, T_NAMES, settings.t_key, "temperature", "t_key", tally)
    if settings.t_key is not None and ts.column is None and ts.config_key is None:
        tally.t_missing.append(run.name)
    k_config = _whole(ks.config_value, f"{run.name}: config {ks.config_key!r}")
    t_config = _positive(ts.config_value, f"{run.name}: config {ts.config_key!r}")
    for name, key in extra_keys.items():
        if key is not None and key not in cols:
            raise InputError(f"{run.name}: no key {key!r}; keys: {', '.join(cols[:20])}", argument=f"{name}_key")
    current: int | None = None
    t_current: float | None = None
    groups: dict[int, dict[str, Any]] = {}
    for rec, where in zip(run.records, run.where, strict=True):
        at = f"{run.name}: {where}"
        if ks.column is not None and ks.column in rec:
            kv = _whole(_value(rec[ks.column], f"{at}, {ks.column!r}"), f"{at}, {ks.column!r}")
            if kv is not None:
                current = kv
        if ts.column is not None and ts.column in rec:
            tv = _value(rec[ts.column], f"{at}, {ts.column!r}")
            if tv is not None and not math.isnan(tv):
                t_current = _positive(tv, f"{at}, {ts.column!r}")
        if current is not None:
            kv, source = current, "log"
        elif k_config is not None:
            kv, source = k_config, "config"
        else:
            kv, source = settings.k_given, "given"
        if kv is not None and source != "given" and settings.k_given is not None and kv != settings.k_given:
            tally.k_overridden.setdefault(run.name, set()).add(kv)
        loss = _value(rec.get(lcol), f"{at}, {lcol!r}")
        tally.k_seen |= kv is not None
        if kv is None:
            if loss is not None and not math.isnan(loss):
                tally.no_k[run.name] = tally.no_k.get(run.name, 0) + 1
            continue
        g = groups.setdefault(kv, {"loss": [], "where": [], "k_from": source, "t": [], "steps": [], "d": [], "l_sub": [],
                                   "sup": []})
        for name, key in extra_keys.items():
            if key is not None and (x := _value(rec.get(key), f"{at}, {key!r}")) is not None and not math.isnan(x):
                g[name].append(x)
        if loss is None:
            continue
        if math.isnan(loss):
            tally.nan[run.name] = tally.nan.get(run.name, 0) + 1
            continue
        g["loss"].append(loss)
        g["where"].append(where)
        g["steps"].append(_step(rec))
        g["t"].append(_temperature_at(t_current, t_config, run.config_from, settings.t_given))
        g["k_from"] = source
    out = []
    for kv, g in groups.items():
        if not g["loss"]:
            continue
        n = len(g["loss"])
        extras = {name: how(g[name]) if g[name] else None for name in extra_keys}
        t, t_from = g["t"][-1]
        used_t = {x for x, _ in g["t"][n - how.used(n):] if x is not None}
        if len(used_t) > 1:
            tally.t_varies[run.name] = (g["t"][n - how.used(n)][0], t)
        if t_from not in ("option", "none") and settings.t_given is not None and t is not None and \
                abs(t - settings.t_given) > _T_RELATIVE_TOLERANCE * settings.t_given:
            tally.t_overridden.setdefault(run.name, set()).add(t)
        result = RunLoss(run.name, run.source, kv, g["k_from"], how(g["loss"]), lcol, str(how), how.used(n), n,
                         g["where"][-1], extras["d"], extras["l_sub"], extras["sup"], t, t_from)
        out.append((result, (lcol, kv, n, tuple(zip(g["steps"], g["loss"], strict=True)))))
    return out


def _temperature_at(logged: float | None, config: float | None, config_from: str, given: float | None) -> tuple[float | None, str]:
    """The temperature of a logged value and where it came from: the log (carried forward), the
    run's hparams or config, the value given, or none."""
    if logged is not None:
        return logged, "log"
    if config is not None:
        return config, config_from
    return (given, "option") if given is not None else (None, "none")


# --------------------------------------------------------------------------- copies of one run
def _merge_copies(found: list[tuple[LoggedRun, list[tuple[RunLoss, tuple[Any, ...]]]]], tally: _Tally) -> list[RunLoss]:
    """The results, with the copies of one run that several loggers wrote (Lightning's CSVLogger
    and TensorBoardLogger in one save_dir: version_0 and version_1) merged into the first: runs
    read by different readers with the same K, temperature and (step, loss) series at each K,
    and configs that agree on every key they share (and share one, unless both are empty)."""
    buckets: dict[tuple[Any, ...], list[int]] = {}
    for i, (_, entries) in enumerate(found):
        buckets.setdefault(tuple((r.k, r.temperature, series) for r, series in entries), []).append(i)
    groups: dict[int, list[int]] = {}
    for members in buckets.values():
        while members:
            group = [members[0]]
            for j in members[1:]:
                if all(_copies(found[m][0], found[j][0]) for m in group):
                    group.append(j)
            groups[group[0]] = group
            members = [j for j in members if j not in group]
    out: list[RunLoss] = []
    for first in sorted(groups):
        runs = [found[j][0] for j in groups[first]]
        for r, _ in found[first][1]:
            out.append(r if len(runs) == 1 else replace(r, run=" = ".join(x.name for x in runs),
                                                         source="; ".join(x.source for x in runs),
                                                         copies=tuple(x.name for x in runs[1:])))
        if len(runs) > 1:
            tally.copies.append(" = ".join(f"{x.name} ({x.kind})" for x in runs))
    return out


def _copies(a: LoggedRun, b: LoggedRun) -> bool:
    """Whether two runs with the same results are two loggers' copies of one run."""
    if a.kind == b.kind:
        return False
    ca, cb = dict(_flat(a.config)), dict(_flat(b.config))
    shared = ca.keys() & cb.keys()
    if (ca or cb) and not shared:
        return False
    return all(_same_value(ca[key], cb[key]) for key in shared)


def _same_value(x: Any, y: Any) -> bool:
    """Config values equal as written, or as numbers (TensorBoard keeps an int hparam as a float)."""
    if x == y:
        return True
    nx, ny = _config_number(x), _config_number(y)
    return nx is not None and nx == ny


def _value(v: Any, where: str) -> float | None:
    """A logged number; None for a blank cell (another metric's row); NaN for a logged NaN."""
    if v is None:
        return None
    if isinstance(v, str):
        t = v.strip()
        if t.lower() in BLANKS:
            return None
        if t.lower() in ("nan", "-nan", "+nan"):
            return math.nan
        x = parse_number(t, where)
    elif isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(f"{where}: expected a number, got {v!r}", argument="path")
    else:
        x = float(v)
    if math.isinf(x):
        raise InputError(f"{where}: value must be finite, got {v!r}", argument="path")
    return x


def _whole(v: Any, where: str) -> int | None:
    """A K value: a whole number ≥ 0 (logged as 255 or 255.0), or None when absent."""
    if v is None:
        return None
    x = v if isinstance(v, float) else _value(v, where)
    if x is None:
        return None
    if not math.isfinite(x) or x < 0 or x != int(x) or x > MAX_COUNT:
        raise InputError(f"{where}: K must be a whole number from 0 to 2**53, got {v!r}", argument="path")
    return int(x)
