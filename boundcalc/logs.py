"""The loss of each logged training run, and its K: one semantics for every log format.

:mod:`boundcalc.logformats` reads what a tool wrote into runs (records in logged order plus
the run's configuration); this module decides, the same way for every format
(docs/logs.md §2):

- the loss of a run is its LAST logged value, unless ``reduce`` says ``mean``, ``min`` or
  ``last:N`` (the mean of the last N logged values);
- K for a logged value is the value of the K key at that record, else the latest earlier one
  (carried forward), else the run's configuration (hparams, params, config) under the same key,
  else the ``k`` given; a run whose K changes gives one result per K;
- the default loss key is one of a few exact, conventional names (:data:`LOSS_NAMES`); none or
  several in a run is an error that lists the candidates;
- values skipped (NaN, no K) and runs without the loss are reported by one warning per kind,
  with counts; nothing is dropped silently.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .logformats import BLANKS, LoggedRun, read_runs_at
from .textfiles import parse_number
from .validation import MAX_COUNT

__all__ = ["RunLoss", "Reduce", "read_losses", "read_runs", "LOSS_NAMES", "K_NAMES"]

#: Loss keys recognised without ``loss_key`` (compared in lower case): the names tools and
#: contrastive-learning code bases log by default. Substrings are not enough: "nce" is in
#: "distance", "loss" in "val_loss" (a held-out loss, not the training loss a bound is about).
LOSS_NAMES = frozenset({
    "loss", "train_loss", "train/loss", "training_loss", "train_loss_epoch", "loss_epoch", "epoch_loss",
    "contrastive_loss", "train/contrastive_loss", "train_contrastive_loss", "info_nce", "infonce",
    "info_nce_loss", "infonce_loss", "train/info_nce", "nce_loss", "nt_xent", "ntxent", "nt_xent_loss",
    "simclr_loss", "moco_loss",
})
#: K keys recognised without ``k_key`` (exact, lower case).
K_NAMES = ("k", "num_negatives", "n_negatives", "negatives", "num_neg", "n_neg", "k_negatives")


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
    """The loss of one run at one K, and where both came from.

    ``k_from`` is "log" (the K key in the records, carried forward), "config" (the run's
    hparams/params/config) or "given" (the ``k`` argument); ``logged_at`` locates the last
    value used; ``n_values`` counts the values reduced, ``n_logged`` those logged at this K."""

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


@dataclass
class _Tally:
    """Counts of what was skipped, by kind, said once per kind at the end."""

    nan: dict[str, int] = field(default_factory=dict)
    no_k: dict[str, int] = field(default_factory=dict)
    no_loss: list[str] = field(default_factory=list)
    k_overridden: dict[str, set[int]] = field(default_factory=dict)
    k_seen: bool = False

    def say(self, loss_what: str, k_given: int | None) -> None:
        if self.nan:
            warnings.warn(f"skipped {sum(self.nan.values())} NaN value(s) of the loss ({_runs(self.nan)})", stacklevel=3)
        if self.no_k:
            warnings.warn(f"skipped {sum(self.no_k.values())} loss value(s) logged before any K, with no K in the "
                          f"run's config and no `k` given ({_runs(self.no_k)})", stacklevel=3)
        if self.no_loss:
            names = ", ".join(self.no_loss[:5]) + (", …" if len(self.no_loss) > 5 else "")
            warnings.warn(f"skipped {len(self.no_loss)} run(s) without {loss_what}: {names}", stacklevel=3)
        if self.k_overridden:
            ks = sorted({k for v in self.k_overridden.values() for k in v})
            warnings.warn(f"`k` = {k_given} used only where the log gives no K: {_runs(self.k_overridden)} "
                          f"log(s) K = {', '.join(map(str, ks))}", stacklevel=3)


def _runs(d: dict[str, Any]) -> str:
    names = list(d)
    return (f"run {names[0]}" if len(names) == 1 else f"{len(names)} runs: " + ", ".join(names[:3])
            + (", …" if len(names) > 3 else ""))


def read_runs(paths: str | Sequence[str]) -> list[LoggedRun]:
    """Every run at each path (files, folders searched recursively, '-'), as logged."""
    ps = [paths] if isinstance(paths, str) else list(paths)
    if not ps:
        raise InputError("path: give at least one log")
    if ps.count("-") > 1:
        raise InputError("path: standard input ('-') can be read once")
    runs = [run for p in ps for run in read_runs_at(p)]
    names = [r.name for r in runs]
    if len(set(names)) != len(names):  # the same run name under two roots: say which root
        for r in runs:
            if names.count(r.name) > 1:
                r.name = f"{r.source}" if r.name in (r.source, "stdin") else f"{r.name} ({r.source})"
    return runs


def read_losses(
    paths: str | Sequence[str],
    loss_key: str | None = None,
    k_key: str | None = None,
    k: int | None = None,
    reduce: str | Reduce = "last",
    d_key: str | None = None,
    l_sub_key: str | None = None,
    sup_key: str | None = None,
) -> list[RunLoss]:
    """One :class:`RunLoss` per run and K from the training logs at ``paths``.

    ``loss_key`` names the loss (default: the one key of :data:`LOSS_NAMES` a run has); K is the
    ``k_key`` value (default: a key of :data:`K_NAMES`) at each record, carried forward, else
    from the run's configuration, else ``k``; ``reduce`` turns each run's values at one K into
    one (default: the last logged value). ``d_key``, ``l_sub_key`` and ``sup_key`` name columns
    reduced the same way. Raises :class:`~boundcalc.errors.InputError` when no run has a loss.
    """
    how = Reduce.parse(reduce)
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        raise InputError(f"k: a whole number ≥ 0, got {k!r}")
    runs = read_runs(paths)
    tally = _Tally()
    out: list[RunLoss] = []
    candidates: dict[str, None] = {}
    for run in runs:
        cols = run.columns()
        lcol = _loss_key(run, cols, loss_key)
        if lcol is None:
            tally.no_loss.append(run.name)
            candidates.update(dict.fromkeys(c for c in cols if _numeric_column(run, c)))
            continue
        out.extend(_run_losses(run, cols, lcol, k_key, k, how, {"d": d_key, "l_sub": l_sub_key, "sup": sup_key}, tally))
    what = f"the loss key {loss_key!r}" if loss_key else "a conventional loss key"
    if not out:
        if tally.no_k and not tally.k_seen:
            runs_without = _runs(tally.no_k)
            tally.no_k.clear()
            tally.say(what, k)
            named = f"key {k_key!r}" if k_key else f"key named {', '.join(K_NAMES)}"
            raise InputError(f"no K in {runs_without}: no {named} in the records or the config; "
                             "give `k` (the K of runs that log none) or name the key with `k_key`", argument="k")
        if tally.nan or tally.no_k:
            tally.say(what, k)
            raise InputError(f"no loss value with a K in {_plural(len(runs), 'run')} (see the warnings above)",
                             argument="path")
        cands = ", ".join(list(candidates)[:20]) or "none"
        how_to = "name the loss with `loss_key`" if loss_key is None else "check `loss_key`"
        raise InputError(f"none of {_plural(len(runs), 'run')} has {what}; numeric keys: {cands}; {how_to}",
                         argument="loss_key" if loss_key else "path")
    tally.say(what, k)
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _loss_key(run: LoggedRun, cols: list[str], loss_key: str | None) -> str | None:
    if loss_key is not None:
        return loss_key if loss_key in cols else None
    found = [c for c in cols if c.lower() in LOSS_NAMES]
    if len(found) > 1:
        raise InputError(f"{run.name}: several loss keys: {', '.join(found)}; choose one with `loss_key`",
                         argument="loss_key")
    return found[0] if found else None


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


def _k_key(run: LoggedRun, cols: list[str], k_key: str | None) -> str | None:
    if k_key is not None:
        return k_key
    found = [c for c in cols if c.lower() in K_NAMES] or [c for c in run.config if c.lower() in K_NAMES]
    if len(found) > 1:
        raise InputError(f"{run.name}: several K keys: {', '.join(found)}; choose one with `k_key`", argument="k_key")
    return found[0] if found else None


def _run_losses(run: LoggedRun, cols: list[str], lcol: str, k_key: str | None, k_given: int | None, how: Reduce,
                extra_keys: dict[str, str | None], tally: _Tally) -> list[RunLoss]:
    kcol = _k_key(run, cols, k_key)
    k_config = _whole(run.config.get(kcol), f"{run.name}: config {kcol!r}") if kcol is not None else None
    for name, key in extra_keys.items():
        if key is not None and key not in cols:
            raise InputError(f"{run.name}: no key {key!r}; keys: {', '.join(cols[:20])}", argument=f"{name}_key")
    current: int | None = None
    groups: dict[int, dict[str, Any]] = {}
    for rec, where in zip(run.records, run.where, strict=True):
        at = f"{run.name}: {where}"
        if kcol is not None and kcol in rec:
            kv = _whole(_value(rec[kcol], f"{at}, {kcol!r}"), f"{at}, {kcol!r}")
            if kv is not None:
                current = kv
        if current is not None:
            kv, source = current, "log"
        elif k_config is not None:
            kv, source = k_config, "config"
        else:
            kv, source = k_given, "given"
        if kv is not None and source != "given" and k_given is not None and kv != k_given:
            tally.k_overridden.setdefault(run.name, set()).add(kv)
        loss = _value(rec.get(lcol), f"{at}, {lcol!r}")
        tally.k_seen |= kv is not None
        if kv is None:
            if loss is not None and not math.isnan(loss):
                tally.no_k[run.name] = tally.no_k.get(run.name, 0) + 1
            continue
        g = groups.setdefault(kv, {"loss": [], "where": [], "k_from": source, "d": [], "l_sub": [], "sup": []})
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
        g["k_from"] = source
    out = []
    for kv, g in groups.items():
        if not g["loss"]:
            continue
        n = len(g["loss"])
        extras = {name: how(g[name]) if g[name] else None for name in extra_keys}
        out.append(RunLoss(run.name, run.source, kv, g["k_from"], how(g["loss"]), lcol, str(how), how.used(n), n,
                           g["where"][-1], **extras))
    return out


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
