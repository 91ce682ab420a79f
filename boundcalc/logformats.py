"""What training tools write, read as runs: records in logged order plus the run's configuration.

One reader per tool's default output (docs/logs.md §1):

- text tables: CSV/TSV (Lightning's ``metrics.csv`` with its sparse step/epoch rows, Keras'
  ``CSVLogger``, W&B's UI export with ``"<run> - <key>"`` columns), JSON (records or columns, or
  one record), JSONL (W&B ``wandb-history.jsonl``-style history, one record per line); ``-`` is
  standard input;
- TensorBoard event files and run folders (optional extra ``tensorboard``), K from a scalar tag
  or from the hyperparameters that ``add_hparams``/Lightning store;
- Hugging Face ``trainer_state.json`` (its ``log_history``), or the output/checkpoint folder;
- MLflow's file store (``mlruns/``, an experiment or a run folder) and SQLite store (``mlflow.db``);
- W&B run folders (``run-<id>.wandb``, the binary log W&B writes locally, online or offline);
- a folder holding any of these, searched recursively: one run per run folder found.

A reader decides nothing about losses or K: it returns :class:`LoggedRun` objects, and
:mod:`boundcalc.logs` applies the same semantics to every format.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sqlite3
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, MissingExtraError
from .textfiles import check_regular_file, read_text

__all__ = ["LoggedRun", "read_runs_at", "MAX_LOG_BYTES", "MAX_RUNS", "KINDS"]

#: Largest text log read (a CSV of a long run with many metrics stays well below).
MAX_LOG_BYTES = 64 * 2**20
#: Largest binary run log read into memory (W&B's run-<id>.wandb holds every record of a run).
MAX_BINARY_LOG_BYTES = 512 * 2**20
#: Most runs one ``--log`` folder may hold: more is almost surely the wrong folder (a home
#: directory), and would otherwise be walked at length before anything is said.
MAX_RUNS = 10_000
#: Blank cells as the tools write them: Keras' CSVLogger writes "NA" for a metric not logged.
BLANKS = frozenset({"", "na", "none", "null"})
#: The readers, as :attr:`LoggedRun.kind` names them.
KINDS = ("csv", "json", "jsonl", "tensorboard", "huggingface", "mlflow", "wandb")


@dataclass
class LoggedRun:
    """One training run as logged: ``records`` in logged order (dicts of key → value, a value
    being a number, a text cell or None), ``where[i]`` locating record i for messages, and the
    run's ``config`` (hyperparameters, params, config; nested keys joined with '.').

    ``kind`` names the reader (:data:`KINDS`: several loggers' copies of one run differ in it);
    ``config_from`` says what the config is: "hparams" (Lightning's ``hparams.yaml``,
    TensorBoard's hparams, MLflow params, a Hugging Face trial's parameters) or "config" (a
    run's config file, W&B's config)."""

    name: str
    source: str
    records: list[dict[str, Any]]
    where: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    kind: str = "csv"
    config_from: str = "config"

    def columns(self) -> list[str]:
        """Every key of every record, in order of first appearance."""
        seen: dict[str, None] = {}
        for r in self.records:
            seen.update(dict.fromkeys(r))
        return list(seen)


# --------------------------------------------------------------------------- dispatch
def read_runs_at(path: str) -> list[LoggedRun]:
    """Every run logged at ``path`` (a file, a folder searched recursively, or '-')."""
    if path == "-":
        return _text_runs("-", "stdin", "", {}, "config")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file or folder", argument="path")
    if p.is_dir():
        runs = _folder_runs(p, path)
        if not runs:
            raise InputError(f"{path}: no training log found in this folder (see docs/logs.md for what is read)",
                             argument="path")
        return runs
    check_regular_file(path, "path")
    return _file_runs(p, path)


def _file_runs(p: Path, label: str) -> list[LoggedRun]:
    name = p.name
    if name.startswith("events.out.tfevents"):
        return [_tensorboard_run(p, label)]
    if name == "trainer_state.json":
        return [_huggingface_run(p, label)]
    if p.suffix == ".wandb":
        return [_wandb_run(p, label)]
    if _is_sqlite(p):
        return _mlflow_sqlite_runs(p, label)
    config: dict[str, Any] = {}
    config_from = "config"
    for hp, what in ((p.parent / "hparams.yaml", "hparams"), (p.parent / "config.yaml", "config")):  # Lightning; W&B's files/
        if hp.is_file():
            config, config_from = read_simple_yaml(hp), what
            break
    return _text_runs(str(p), label, p.suffix.lower(), config, config_from)


def _folder_runs(root: Path, label: str) -> list[LoggedRun]:
    runs: list[LoggedRun] = []
    for d, files in _walk(root):
        rel = d.relative_to(root).as_posix()
        name = label if rel == "." else rel
        if "meta.yaml" in files and (d / "metrics").is_dir():
            run = _mlflow_file_run(d, name)
            if run is not None:
                runs.append(run)
            continue
        if "trainer_state.json" in files:
            runs.append(_huggingface_run(d / "trainer_state.json", name))
            continue
        ckpts = _hf_checkpoints(d)
        if ckpts:  # an output folder without a final state: its latest checkpoint
            runs.append(_huggingface_run(ckpts[-1] / "trainer_state.json", name))
            continue
        events = sorted(f for f in files if f.startswith("events.out.tfevents"))
        if events:
            runs.append(_tensorboard_run(d, name))
        for f in sorted(files):
            fp = d / f
            if fp.suffix == ".wandb":
                runs.append(_wandb_run(fp, name))
            elif f in ("mlflow.db",) or (fp.suffix in (".db", ".sqlite") and _is_sqlite(fp)):
                runs.extend(_mlflow_sqlite_runs(fp, f if rel == "." else f"{rel}/{f}"))
            elif fp.suffix.lower() in (".csv", ".tsv", ".jsonl") and not events:
                runs.extend(_file_runs(fp, name if f == "metrics.csv" else f if rel == "." else f"{rel}/{f}"))
        if len(runs) > MAX_RUNS:
            raise InputError(f"{label}: more than {MAX_RUNS} runs in this folder; give the folder of the runs you mean",
                             argument="path")
    return runs


def _walk(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """(folder, its file names) top-down, sorted, symbolic links not followed (W&B's
    ``latest-run`` link would give its run twice), and not into the folders a run owns."""
    for d, dirs, files in os.walk(root):
        here = Path(d)
        dirs.sort()
        if ("meta.yaml" in files and "metrics" in dirs) or "trainer_state.json" in files or _hf_checkpoints(here):
            dirs[:] = []  # an MLflow run's metric folders, a Hugging Face output's checkpoints
        dirs[:] = [x for x in dirs if not x.startswith(".") and not (here / x).is_symlink()]
        yield here, files


def _hf_checkpoints(d: Path) -> list[Path]:
    found = [c for c in d.glob("checkpoint-*") if c.name[11:].isdigit() and (c / "trainer_state.json").is_file()]
    return sorted(found, key=lambda c: int(c.name[11:]))


# --------------------------------------------------------------------------- text tables
def _text_runs(path: str, label: str, suffix: str, config: dict[str, Any], config_from: str) -> list[LoggedRun]:
    where_name = "stdin" if path == "-" else path
    text = read_text(path, limit=MAX_LOG_BYTES)
    if not text.strip():
        raise InputError(f"{where_name}: file is empty", argument="path")
    stripped = text.lstrip()
    if suffix == ".jsonl" or (stripped.startswith("{") and "\n{" in stripped.strip()):
        records, lines = [], []
        all_lines = text.splitlines()
        for i, line in enumerate(all_lines, start=1):
            if not line.strip():
                continue
            if i == len(all_lines) and not _ends_a_line(text) and _cut_json(line):
                _say_cut(where_name, i, "not a whole JSON object")
                break
            rec = _json(line, f"{where_name}: line {i}")
            if not isinstance(rec, dict):
                raise InputError(f"{where_name}: line {i} is not a JSON object", argument="path")
            records.append(rec)
            lines.append(f"line {i}")
        return [LoggedRun(label, where_name, records, lines, config, "jsonl", config_from)]
    if suffix == ".json" or stripped[:1] in "[{":
        data = _json(text, where_name)
        if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):  # columns
            n = len(next(iter(data.values())))
            if any(len(v) != n for v in data.values()):
                raise InputError(f"{where_name}: the JSON columns have different lengths", argument="path")
            records = [{c: data[c][i] for c in data} for i in range(n)]
        elif isinstance(data, dict) and not any(isinstance(v, (list, dict)) for v in data.values()):
            records = [data]  # one record, e.g. one JSONL line on standard input
        elif isinstance(data, list) and all(isinstance(r, dict) for r in data):
            records = data
        else:
            raise InputError(f"{where_name}: JSON must be a list of records, an object of columns or one record",
                             argument="path")
        return [LoggedRun(label, where_name, records, [f"record {i}" for i in range(1, len(records) + 1)], config, "json",
                          config_from)]
    return _csv_runs(text, where_name, label, config, config_from)


def _ends_a_line(text: str) -> bool:
    return text.endswith(("\n", "\r"))


def _cut_json(line: str) -> bool:
    """Whether an unterminated last JSONL line is a cut record: any proper prefix of a JSON
    object is malformed, so a line that parses is whole (its writer left out the final line end)."""
    try:
        json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return True
    return False


def _say_cut(where: str, line: int, why: str) -> None:
    """A file whose last line was cut while being written (a crashed or still-running job): the
    whole lines are read and the cut one is said, as the cut tail of a TensorBoard file is."""
    warnings.warn(f"{where}: truncated: line {line} is cut off ({why}, no line end) and was not read", stacklevel=3)


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: malformed JSON ({exc.msg}, line {exc.lineno})", argument="path") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply", argument="path") from None


#: W&B's UI export names a column "<run> - <key>" and adds "<run> - <key>__MIN"/"__MAX".
_WANDB_EXPORT = re.compile(r"^(?P<run>.+?) - (?P<key>.+?)(?P<band>__MIN|__MAX)?$")


def _csv_runs(text: str, where_name: str, label: str, config: dict[str, Any], config_from: str) -> list[LoggedRun]:
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    csv.field_size_limit(MAX_LOG_BYTES)
    text = _without_cut_row(text, delim, where_name)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    records, lines = [], []
    try:
        header = [h.strip() for h in next(reader)]
        for i, row in enumerate(reader, start=2):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise InputError(f"{where_name}: line {i} has {len(row)} fields, the header has {len(header)}",
                                 argument="path")
            records.append(dict(zip(header, row, strict=True)))
            lines.append(f"line {i}")
    except csv.Error as exc:
        raise InputError(f"{where_name}: not a readable CSV file ({exc})", argument="path") from None
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{where_name}: column(s) named twice in the header: {', '.join(dup)}", argument="path")
    export = [_WANDB_EXPORT.match(h) for h in header[1:]]
    if len(header) > 1 and all(export):
        return _split_wandb_export(header, records, lines, where_name)
    return [LoggedRun(label, where_name, records, lines, config, config_from=config_from)]


def _without_cut_row(text: str, delim: str, where: str) -> str:
    """``text`` less its last line where that line was cut while being written: it has no line end
    and fewer fields than the header, an empty last field (cut just after a separator) or an
    open quote. A cut inside the last field of a row leaves a row that looks whole; the text
    cannot tell it from a file written without a final line end, and it is read (docs/logs.md §2)."""
    head, sep, last = text.rpartition("\n")
    if _ends_a_line(text) or not sep or not last.strip():
        return text
    n_header = len(next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delim)))
    row = next(csv.reader([last], delimiter=delim), [])
    if last.count('"') % 2 == 1:
        why = "an open quote"
    elif len(row) < n_header:
        why = f"{len(row)} of {n_header} fields"
    elif len(row) == n_header and not row[-1].strip():
        why = "its last field empty"
    else:
        return text
    _say_cut(where, text.count("\n") + 1, why)
    return head + sep


def _split_wandb_export(header: list[str], records: list[dict], lines: list[str], where: str) -> list[LoggedRun]:
    """One run per "<run> - " prefix; the __MIN/__MAX band columns (W&B's sampling range) are
    dropped, the step column is kept as "step"."""
    runs: dict[str, list[tuple[str, str]]] = {}
    for h in header[1:]:
        m = _WANDB_EXPORT.match(h)
        assert m is not None
        if not m["band"]:
            runs.setdefault(m["run"], []).append((h, m["key"]))
    out = []
    for run, cols in runs.items():
        recs = [{"step": r[header[0]], **{key: r[h] for h, key in cols}} for r in records]
        out.append(LoggedRun(run, where, recs, list(lines)))
    return out


# --------------------------------------------------------------------------- YAML (the subset tools write)
_YAML_LINE = re.compile(r"^(?P<indent> *)(?P<key>[^\s#:][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s+(?P<value>.*?))?\s*$")


def read_simple_yaml(path: Path) -> dict[str, Any]:
    """The scalar entries of a block-style YAML mapping, nested keys joined with '.':
    what Lightning's ``hparams.yaml``, W&B's ``config.yaml`` and MLflow's ``meta.yaml`` hold
    (lists, flow collections and tagged Python objects are skipped: K is never one)."""
    out: dict[str, Any] = {}
    stack: list[tuple[int, str]] = []
    for line in read_text(str(path), limit=MAX_LOG_BYTES).splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-", "---")):
            continue
        m = _YAML_LINE.match(line)
        if m is None:
            continue
        indent, key = len(m["indent"]), m["key"].strip("'\"")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        full = ".".join([k for _, k in stack] + [key])
        value = m["value"]
        if value is None or value == "":
            stack.append((indent, key))
        elif not value.startswith(("!", "[", "{", "&", "*", "|", ">")):
            out[full] = _yaml_scalar(value)
    # W&B's config.yaml wraps each value: "k: {desc: null, value: 255}" written as a block
    for key in [k for k in out if k.endswith(".value")]:
        out.setdefault(key[: -len(".value")], out[key])
    return out


def _yaml_scalar(text: str) -> Any:
    if text[:1] in "'\"" and text[-1:] == text[:1]:
        return text[1:-1]
    text = text.split(" #", 1)[0].strip()
    if text in ("null", "~", "None"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


# --------------------------------------------------------------------------- TensorBoard
def _event_accumulator() -> Any:
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        raise MissingExtraError(
            'reading TensorBoard logs needs the "tensorboard" extra: pip install "boundcalc[tensorboard]"',
            argument="path") from None
    return event_accumulator


def _tensorboard_run(path: Path, name: str) -> LoggedRun:
    """Scalars of an event file or run folder, one record per step (steps in order); config from
    the run's hparams (its own, those ``add_hparams`` wrote in a sub-folder, and Lightning's
    ``hparams.yaml``)."""
    ea = _event_accumulator()
    files = [path] if path.is_file() else sorted(path.glob("events.out.tfevents*"))
    for f in files:
        complete, tail = _tfrecord_framing(f)
        if tail:
            warnings.warn(f"{f}: truncated: {tail} byte(s) after the last of {complete} whole record(s) were not read",
                          stacklevel=2)
    acc = _load_events(ea, path)
    by_step: dict[int, dict[str, Any]] = {}
    for tag in acc.Tags().get("scalars", []):  # torch's SummaryWriter, tensorboardX: simple values
        for ev in acc.Scalars(tag):
            by_step.setdefault(ev.step, {"step": ev.step})[tag] = float(ev.value)
    for tag in acc.Tags().get("tensors", []):  # TensorFlow 2, Keras, tensorboard.summary: scalar tensors
        if acc.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            from tensorboard.util import tensor_util

            for tev in acc.Tensors(tag):
                value = tensor_util.make_ndarray(tev.tensor_proto)
                if value.size == 1:
                    by_step.setdefault(tev.step, {"step": tev.step})[tag] = float(value.reshape(()))
    steps = sorted(by_step)
    folder = path if path.is_dir() else path.parent
    config = _tb_hparams(acc)
    for sub in sorted(x for x in folder.iterdir() if x.is_dir() and any(x.glob("events.out.tfevents*"))):
        for key, v in _tb_hparams(_load_events(ea, sub)).items():
            config.setdefault(key, v)
    if (folder / "hparams.yaml").is_file():
        for key, v in read_simple_yaml(folder / "hparams.yaml").items():
            config.setdefault(key, v)
    return LoggedRun(name, str(path), [by_step[s] for s in steps], [f"step {s}" for s in steps], config, "tensorboard", "hparams")


def _load_events(ea: Any, path: Path) -> Any:
    acc = ea.EventAccumulator(str(path), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    try:
        acc.Reload()
    except Exception as exc:  # a corrupt event file; TensorBoard raises several unrelated types
        raise InputError(f"{path}: cannot read TensorBoard events ({exc})", argument="path") from None
    return acc


def _tb_hparams(acc: Any) -> dict[str, Any]:
    try:
        contents = acc.PluginTagToContent("hparams")
    except KeyError:
        return {}
    from tensorboard.plugins.hparams import plugin_data_pb2

    out: dict[str, Any] = {}
    for content in contents.values():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.WhichOneof("data") == "session_start_info":
            for key, v in data.session_start_info.hparams.items():
                kind = v.WhichOneof("kind")
                out[key] = getattr(v, kind) if kind else None
    return out


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


# --------------------------------------------------------------------------- Hugging Face
def _huggingface_run(path: Path, name: str) -> LoggedRun:
    """``log_history`` of a Trainer state. The closing summary record (the one with
    ``train_runtime``) is left out: its ``train_loss`` is the run's average, not a logged value."""
    data = _json(read_text(str(path), limit=MAX_LOG_BYTES), str(path))
    history = data.get("log_history") if isinstance(data, dict) else None
    if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        raise InputError(f"{path}: not a Hugging Face trainer state (no log_history list)", argument="path")
    kept = [(i, r) for i, r in enumerate(history, start=1) if "train_runtime" not in r]
    trial = data.get("trial_params")  # hyperparameter search: the trial's parameters
    config = dict(trial) if isinstance(trial, dict) else {}
    return LoggedRun(name, str(path), [r for _, r in kept], [f"log_history record {i}" for i, _ in kept], config, "huggingface",
                     "hparams")


# --------------------------------------------------------------------------- MLflow
def _mlflow_file_run(d: Path, name: str) -> LoggedRun | None:
    """A run folder of MLflow's file store: metrics/<key> files of "timestamp value step" lines
    (a key with '/' is a sub-folder), params/<key> files, the run name in meta.yaml or tags/."""
    meta = read_simple_yaml(d / "meta.yaml")
    if meta.get("lifecycle_stage") == "deleted":
        return None
    points: list[tuple[int, int, str, float]] = []
    for f in sorted((d / "metrics").rglob("*")):
        if not f.is_file():
            continue
        key = f.relative_to(d / "metrics").as_posix()
        for n, line in enumerate(read_text(str(f), limit=MAX_LOG_BYTES).splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise InputError(f"{f}: line {n} is not 'timestamp value step'", argument="path")
            try:
                ts, value, step = int(parts[0]), float(parts[1]), int(parts[2]) if len(parts) == 3 else 0
            except ValueError:
                raise InputError(f"{f}: line {n} is not 'timestamp value step'", argument="path") from None
            points.append((step, ts, key, value))
    params = {}
    if (d / "params").is_dir():
        for f in sorted((d / "params").rglob("*")):
            if f.is_file():
                params[f.relative_to(d / "params").as_posix()] = _yaml_scalar(read_text(str(f)).strip())
    tag = d / "tags" / "mlflow.runName"
    run_name = read_text(str(tag)).strip() if tag.is_file() else str(meta.get("run_name") or name)
    records, where = _merge_points(points)
    return LoggedRun(run_name, str(d), records, where, params, "mlflow", "hparams")


def _merge_points(points: list[tuple[int, int, str, float]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(step, timestamp, key, value) points as records, one per step (a key logged twice at one
    step starts a new record), in step then time order."""
    records: list[dict[str, Any]] = []
    where: list[str] = []
    for step, _, key, value in sorted(points, key=lambda p: (p[0], p[1])):
        if not records or records[-1]["step"] != step or key in records[-1]:
            records.append({"step": step})
            where.append(f"step {step}")
        records[-1][key] = value
    return records, where


def _is_sqlite(p: Path) -> bool:
    with open(p, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _mlflow_sqlite_runs(p: Path, label: str) -> list[LoggedRun]:
    """Every active run of an MLflow SQLite store, read with the standard library."""
    try:
        con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{label}: cannot open the SQLite file ({exc})", argument="path") from None
    try:
        runs = con.execute("SELECT run_uuid, name FROM runs WHERE lifecycle_stage = 'active' ORDER BY start_time").fetchall()
        out = []
        for run_id, run_name in runs:
            rows = con.execute("SELECT step, timestamp, key, value, is_nan FROM metrics WHERE run_uuid = ?", (run_id,))
            points = [(s, t, k, math.nan if nan else v) for s, t, k, v, nan in rows]
            params = {k: _yaml_scalar(v) for k, v in con.execute("SELECT key, value FROM params WHERE run_uuid = ?", (run_id,))}
            records, where = _merge_points(points)
            out.append(LoggedRun(run_name or run_id, f"{label} (run {run_id})", records, where, params, "mlflow", "hparams"))
    except sqlite3.Error as exc:
        raise InputError(f"{label}: not an MLflow tracking database ({exc})", argument="path") from None
    finally:
        con.close()
    return out


# --------------------------------------------------------------------------- W&B
#: W&B's run log: a 7-byte header (":W&B", magic 0xBEE1, version 0), then LevelDB-log framing in
#: 32 KiB blocks: each chunk is crc32 (of type and data), length (uint16), type (1 whole, 2 first,
#: 3 middle, 4 last), data; a block's last < 7 bytes are padding. Each record is a protobuf
#: ``Record`` (wandb/proto/wandb_internal.proto): history = 2, config = 5, run = 17.
_WANDB_HEADER = b":W&B\xe1\xbe\x00"
_WANDB_BLOCK, _WANDB_CHUNK_HEAD = 32768, 7
_REC_HISTORY, _REC_CONFIG, _REC_RUN = 2, 5, 17


def _wandb_run(path: Path, name: str) -> LoggedRun:
    """History rows and config of a W&B run log (``run-<id>.wandb``); the run's display name."""
    if path.stat().st_size > MAX_BINARY_LOG_BYTES:
        raise InputError(f"{path}: larger than {MAX_BINARY_LOG_BYTES >> 20} MiB; not read", argument="path")
    raw = path.read_bytes()
    if not raw.startswith(_WANDB_HEADER):
        raise InputError(f"{path}: not a W&B run log (unexpected header)", argument="path")
    chunks, bad = _leveldb_records(raw)
    if bad:
        warnings.warn(f"{path}: truncated or damaged: {bad} byte(s) after the last whole record were not read", stacklevel=2)
    try:
        return _wandb_decode(chunks, path, name)
    except (IndexError, InputError):
        raise InputError(f"{path}: a damaged W&B record (not a protobuf message)", argument="path") from None


def _wandb_decode(chunks: list[bytes], path: Path, name: str) -> LoggedRun:
    records: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    display = ""
    for rec in chunks:
        for fnum, value in _protobuf_fields(rec):
            if fnum == _REC_HISTORY and isinstance(value, bytes):
                records.append(_wandb_history(value))
            elif fnum == _REC_CONFIG and isinstance(value, bytes):
                config.update(_wandb_items(value))
            elif fnum == _REC_RUN and isinstance(value, bytes):
                for f, v in _protobuf_fields(value):
                    if f == 8 and isinstance(v, bytes):  # display_name
                        display = v.decode("utf-8", "replace")
                    elif f == 4 and isinstance(v, bytes):  # config
                        config.update(_wandb_items(v))
    where = [f"history step {r.get('_step', i)}" for i, r in enumerate(records)]
    return LoggedRun(display or name, str(path), records, where, config, "wandb", "config")


def _leveldb_records(raw: bytes) -> tuple[list[bytes], int]:
    out: list[bytes] = []
    pos, pending = len(_WANDB_HEADER), b""
    while pos + _WANDB_CHUNK_HEAD <= len(raw):
        left = _WANDB_BLOCK - pos % _WANDB_BLOCK
        if left < _WANDB_CHUNK_HEAD:
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", raw[pos : pos + _WANDB_CHUNK_HEAD])
        data = raw[pos + _WANDB_CHUNK_HEAD : pos + _WANDB_CHUNK_HEAD + length]
        if len(data) < length or zlib.crc32(bytes([kind]) + data) != crc:
            break
        pos += _WANDB_CHUNK_HEAD + length
        if kind == 1:
            out.append(data)
        elif kind == 2:
            pending = data
        elif kind == 3:
            pending += data
        elif kind == 4:
            out.append(pending + data)
            pending = b""
    rest = len(raw) - pos
    return out, rest if rest >= _WANDB_CHUNK_HEAD or any(raw[pos:]) else 0


def _protobuf_fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as int, length-delimited as bytes
    (fixed 32/64-bit fields are returned as bytes too; W&B's records need none of them)."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        fnum, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _varint(buf, pos)
            yield fnum, v
        elif wire == 2:
            n, pos = _varint(buf, pos)
            yield fnum, buf[pos : pos + n]
            pos += n
        elif wire in (1, 5):
            n = 8 if wire == 1 else 4
            yield fnum, buf[pos : pos + n]
            pos += n
        else:
            raise InputError(f"unsupported protobuf wire type {wire}", argument="path")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _wandb_item(buf: bytes) -> tuple[str, Any]:
    """HistoryItem/ConfigItem: key = 1, nested_key = 2 (repeated, joined with '.'), value_json = 16."""
    key, nested, value = "", [], None
    for f, v in _protobuf_fields(buf):
        if isinstance(v, bytes) and f == 1:
            key = v.decode("utf-8", "replace")
        elif isinstance(v, bytes) and f == 2:
            nested.append(v.decode("utf-8", "replace"))
        elif isinstance(v, bytes) and f == 16:
            try:
                value = json.loads(v)
            except (json.JSONDecodeError, UnicodeDecodeError):
                value = None
    return (".".join(nested) if nested else key), value


def _wandb_items(buf: bytes) -> dict[str, Any]:
    """The ``update`` items (field 1) of a ConfigRecord."""
    items = dict(_wandb_item(v) for f, v in _protobuf_fields(buf) if f == 1 and isinstance(v, bytes))
    return {k: v for k, v in items.items() if not k.startswith("_wandb")}


def _wandb_history(buf: bytes) -> dict[str, Any]:
    """A HistoryRecord: items (field 1); its step (field 2, HistoryStep.num) as ``_step``."""
    rec: dict[str, Any] = {}
    for f, v in _protobuf_fields(buf):
        if f == 1 and isinstance(v, bytes):
            key, value = _wandb_item(v)
            rec[key] = value
        elif f == 2 and isinstance(v, bytes):
            rec.setdefault("_step", next((n for g, n in _protobuf_fields(v) if g == 1), 0))
    return rec
