"""Training logs, read right: the files the real tools wrote (tests/data/logs, made by
tests/data/logs/make_fixtures.py), and the semantics every format shares (last value by default,
K carried forward or from the config, one row per run and K, nothing skipped silently)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundcalc.cli.parse import parse_int_list
from boundcalc.logformats import _tfrecord_framing
from boundcalc.logs import Reduce, read_losses

LOGS = Path(__file__).parent / "data" / "logs"
EXPECTED = json.loads((LOGS / "expected.json").read_text())


def runs_of(path: str | Path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = read_losses(str(path), **kw)
    return rows, [str(w.message) for w in caught]


# --------------------------------------------------------------------------- files the real tools wrote
# (what the user passes, keyword arguments, the fixture's expected.json key, the run's label)
CASES = [
    ("lightning_csv", {}, "lightning_csv/k_per_step", "k_per_step/version_0"),
    ("lightning_csv", {}, "lightning_csv/k_in_hparams", "k_in_hparams/version_0"),
    ("lightning_csv/k_in_hparams/version_0/metrics.csv", {}, "lightning_csv/k_in_hparams", None),
    ("lightning_tb", {}, "lightning_tb/simclr/version_0", "simclr/version_0"),
    ("tensorboard", {}, "tensorboard/k_at_step0", "k_at_step0"),
    ("tensorboard", {}, "tensorboard/k_changes", "k_changes"),
    ("tensorboard", {}, "tensorboard/k_in_hparams", "k_in_hparams"),
    ("tensorboard/tbx", {}, "tensorboard/tbx", None),
    ("tensorboard/tf2_scalars", {"k": 63}, "tensorboard/tf2_scalars", None),
    ("huggingface/simclr-out", {}, "huggingface/simclr-out", None),
    ("huggingface/simclr-out/trainer_state.json", {}, "huggingface/simclr-out", None),
    ("mlflow_file/mlruns", {}, "mlflow_file/k-param", "k-param"),
    ("mlflow_file/mlruns", {}, "mlflow_file/k-metric", "k-metric"),
    ("mlflow_sqlite/mlflow.db", {}, "mlflow_sqlite/k-param", "k-param"),
    ("mlflow_sqlite/mlflow.db", {}, "mlflow_sqlite/k-metric", "k-metric"),
    ("mlflow_sqlite", {}, "mlflow_sqlite/k-metric", "k-metric"),
    ("wandb/wandb", {}, "wandb/k-config", "k-config"),
    ("wandb/wandb", {}, "wandb/k-first-record", "k-first-record"),
    ("wandb/wandb_export.csv", {"k": 255}, "wandb/wandb_export.csv", "k-config"),
    ("keras/training.log", {"k": 255}, "keras/training.log", None),
    ("lightning_copies", {}, "lightning_copies/simclr", "simclr/version_0 = simclr/version_1"),
    ("ssl_libraries", {}, "ssl_libraries/solo_learn/version_0", "solo_learn/version_0"),
    ("ssl_libraries", {}, "ssl_libraries/lightly/version_0", "lightly/version_0"),
    ("crashed", {}, "crashed/cut_csv/version_0", "cut_csv/version_0"),
]


@pytest.mark.parametrize("path,kw,key,run", CASES, ids=[f"{c[0]}:{c[3] or ''}" for c in CASES])
def test_real_tool_logs(path, kw, key, run):
    if "tensorboard" in path or "lightning_tb" in path or "copies" in path:
        pytest.importorskip("tensorboard")
    want = EXPECTED[key]
    rows, _ = runs_of(LOGS / path, **kw)
    mine = [r for r in rows if r.run == (run or str(LOGS / path))]
    assert mine, [r.run for r in rows]
    final = mine[-1]
    assert final.loss == want["loss"] and final.loss_key == want["loss_key"]
    assert final.k == (want["k"] if want["k"] is not None else kw["k"])
    assert final.reduce == "last" and final.n_values == 1
    if "temperature" in want:  # the run's own, from its hparams
        assert (final.temperature, final.t_from) == (want["temperature"], "hparams")
    else:
        assert (final.temperature, final.t_from) == (None, "none")


def test_lightning_sparse_rows_and_k_on_step_rows_only():
    """K logged on step rows only (blank on epoch rows) is carried to the epoch rows."""
    rows, said = runs_of(LOGS / "lightning_csv/k_per_step/version_0/metrics.csv")
    want = EXPECTED["lightning_csv/k_per_step"]
    (r,) = rows
    assert (r.k, r.k_from, r.loss, r.loss_key) == (255, "log", want["loss"], "train_loss_epoch") and not said
    step, _ = runs_of(LOGS / "lightning_csv/k_per_step/version_0/metrics.csv", loss_key="train_loss_step")
    assert step[0].loss == want["last_step_loss"]


def test_k_from_hparams_is_said():
    rows, _ = runs_of(LOGS / "lightning_csv/k_in_hparams")
    assert rows[0].k_from == "config" and rows[0].k == EXPECTED["lightning_csv/k_in_hparams"]["k"]


def test_tensorboard_k_changes_mid_run_gives_one_row_per_k():
    pytest.importorskip("tensorboard")
    want = EXPECTED["tensorboard/k_changes"]
    rows, _ = runs_of(LOGS / "tensorboard/k_changes")
    assert [(r.k, r.loss) for r in rows] == [(want["first_k"], want["first_k_loss"]), (want["k"], want["loss"])]


def test_tensorboard_folder_of_runs_skips_hparams_subfolder_with_a_line():
    pytest.importorskip("tensorboard")
    rows, said = runs_of(LOGS / "tensorboard")
    assert {r.run for r in rows} == {"k_at_step0", "k_changes", "k_in_hparams", "tbx"}
    assert len(said) == 2
    assert any(s.startswith("skipped 1 run(s) without a conventional loss key: k_in_hparams/") for s in said)
    assert any(s.startswith("skipped 12 loss value(s) logged before any K") and "tf2_scalars" in s for s in said)


def test_huggingface_summary_record_is_not_the_loss():
    """The closing record's train_loss is the run's average; the loss is the last logged 'loss'."""
    state = json.loads((LOGS / "huggingface/simclr-out/trainer_state.json").read_text())
    summary = state["log_history"][-1]
    assert "train_runtime" in summary and summary["train_loss"] != EXPECTED["huggingface/simclr-out"]["loss"]
    rows, _ = runs_of(LOGS / "huggingface/simclr-out")
    assert rows[0].loss == EXPECTED["huggingface/simclr-out"]["loss"] and rows[0].k_from == "log"
    ck, _ = runs_of(LOGS / "huggingface/simclr-out/checkpoint-5")
    assert ck[0].loss == EXPECTED["huggingface/simclr-out"]["checkpoint-5"]


def test_huggingface_output_folder_without_final_state_uses_latest_checkpoint(tmp_path):
    out = tmp_path / "out"
    shutil.copytree(LOGS / "huggingface/simclr-out", out)
    (out / "trainer_state.json").unlink()
    rows, _ = runs_of(out)
    assert rows[0].loss == EXPECTED["huggingface/simclr-out"]["loss"] and rows[0].run == str(out)


def test_wandb_latest_run_link_is_not_a_second_run():
    assert (LOGS / "wandb/wandb/latest-run").is_symlink()
    rows, _ = runs_of(LOGS / "wandb/wandb")
    assert sorted(r.run for r in rows) == ["k-config", "k-first-record"]


def test_wandb_export_is_split_into_runs():
    rows, _ = runs_of(LOGS / "wandb/wandb_export.csv", k=255)
    assert [r.run for r in rows] == EXPECTED["wandb/wandb_export.csv"]["runs"]
    assert all(r.k_from == "given" for r in rows)


def test_wandb_truncated_run_log_is_reported(tmp_path):
    src = next((LOGS / "wandb/wandb").glob("*k*/run-*.wandb"), None) or next((LOGS / "wandb/wandb").glob("*/run-*.wandb"))
    blob = src.read_bytes()
    f = tmp_path / "run-x.wandb"
    f.write_bytes(blob[:-5])
    rows, said = runs_of(f, k=7)
    assert rows and any("truncated or damaged" in s for s in said)
    f.write_bytes(b"not a wandb log")
    with pytest.raises(ValueError, match="not a W&B run log"):
        read_losses(str(f))


def test_wandb_leveldb_framing_across_blocks(tmp_path):
    """A record longer than a 32 KiB block is split in first/middle/last chunks and rejoined."""
    from boundcalc.logformats import _leveldb_records

    def chunk(kind: int, data: bytes) -> bytes:
        return struct.pack("<IHB", zlib.crc32(bytes([kind]) + data), len(data), kind) + data

    big = bytes(range(256)) * 300  # 76,800 bytes: three blocks
    head = b":W&B\xe1\xbe\x00"
    blob, pos, pieces = bytearray(head), len(head), []
    rest = big
    while rest:
        room = 32768 - pos % 32768 - 7
        pieces.append(rest[:room])
        rest = rest[room:]
        pos += 7 + len(pieces[-1])
    kinds = [2] + [3] * (len(pieces) - 2) + [4]
    for kind, data in zip(kinds, pieces, strict=True):
        blob += chunk(kind, data)
    blob += chunk(1, b"small")
    records, bad = _leveldb_records(bytes(blob))
    assert records == [big, b"small"] and bad == 0


# --------------------------------------------------------------------------- semantics, the same for every format
def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_last_value_is_the_default_and_reduce_says_otherwise(tmp_path):
    f = write(tmp_path, "m.csv", "k,loss\n31,5.25\n31,3.0\n31,2.0\n31,1.5\n")
    assert [(r.loss, r.reduce, r.n_values, r.n_logged) for r in runs_of(f)[0]] == [(1.5, "last", 1, 4)]
    assert runs_of(f, reduce="mean")[0][0].loss == (5.25 + 3.0 + 2.0 + 1.5) / 4
    assert runs_of(f, reduce="min")[0][0].loss == 1.5
    r = runs_of(f, reduce="last:2")[0][0]
    assert (r.loss, r.n_values, r.reduce) == ((2.0 + 1.5) / 2, 2, "last:2")
    for bad in ["median", "last:0", "last:x", "last:-1", ""]:
        with pytest.raises(ValueError, match="reduce"):
            read_losses(str(f), reduce=bad)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), st.integers(1, 40))
def test_reductions_agree_with_their_definitions(values, n):
    assert Reduce.parse("last")(values) == values[-1]
    assert Reduce.parse("min")(values) == min(values)
    tail = values[-n:]
    assert Reduce.parse(f"last:{n}")(values) == pytest.approx(sum(tail) / len(tail), rel=1e-12, abs=1e-9)
    assert min(values) <= Reduce.parse("mean")(values) <= max(values)
    if n >= len(values):
        assert Reduce.parse(f"last:{n}")(values) == Reduce.parse("mean")(values)


def test_k_carried_forward_from_a_single_record(tmp_path):
    f = write(tmp_path, "h.jsonl", '{"k": 255, "loss": 5.25}\n{"loss": 4.0}\n{"loss": 1.625}\n')
    (r,) = runs_of(f)[0]
    assert (r.k, r.loss, r.k_from, r.logged_at) == (255, 1.625, "log", "line 3")


def test_k_from_config_then_given_k(tmp_path):
    run = tmp_path / "version_0"
    run.mkdir()
    write(run, "metrics.csv", "step,train_loss\n0,5.0\n1,2.0\n")
    write(run, "hparams.yaml", "model:\n  dim: 128\nnum_negatives: 1023\nlr: 0.1\n")
    (r,) = runs_of(run)[0]
    assert (r.k, r.k_from, r.run) == (1023, "config", str(run))
    rows, said = runs_of(run, k=63)
    assert rows[0].k == 1023 and any("used only where the log gives no K" in s for s in said)
    (run / "hparams.yaml").unlink()
    assert runs_of(run, k=63)[0][0].k_from == "given"
    with pytest.raises(ValueError, match="no K in run .*give `k`"):
        read_losses(str(run))


def test_wandb_config_yaml_next_to_history(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    write(files, "config.yaml", "wandb_version: 1\n\n_wandb:\n  desc: null\n  value:\n    cli_version: 0.15.0\n"
                                "k:\n  desc: null\n  value: 4095\n")
    write(files, "wandb-history.jsonl", '{"_step": 0, "loss": 3.0}\n{"_step": 1, "loss": 2.5}\n')
    (r,) = runs_of(files / "wandb-history.jsonl")[0]
    assert (r.k, r.loss, r.k_from) == (4095, 2.5, "config")


def test_rows_without_k_before_the_first_k_are_counted(tmp_path):
    f = write(tmp_path, "m.csv", "k,loss\n,5.0\n,4.0\n63,2.0\n")
    rows, said = runs_of(f)
    assert [(r.k, r.loss) for r in rows] == [(63, 2.0)]
    assert said == ["skipped 2 loss value(s) logged before any K, with no K in the run's config and no `k` given "
                    "(run " + str(f) + ")"]


def test_nan_values_are_counted_and_blank_cells_are_not(tmp_path):
    f = write(tmp_path, "m.csv", "k,loss,acc\n31,nan,\n31,2.0,\n31,,0.5\n31,NA,0.6\n")
    rows, said = runs_of(f)
    assert rows[0].loss == 2.0 and rows[0].n_logged == 1
    assert len(said) == 1 and said[0].startswith("skipped 1 NaN value(s) of the loss")


def test_several_logs_give_one_labelled_row_per_run(tmp_path):
    a = write(tmp_path, "a.csv", "k,loss\n31,2.5\n")
    b = write(tmp_path, "b.csv", "k,loss\n63,3.0\n")
    rows = read_losses([str(a), str(b)])
    assert [(r.run, r.k, r.loss) for r in rows] == [(str(a), 31, 2.5), (str(b), 63, 3.0)]
    for d in ("x", "y"):  # the same run name under two roots is qualified by where it came from
        (tmp_path / d / "version_0").mkdir(parents=True)
        write(tmp_path / d / "version_0", "metrics.csv", "k,loss\n31,1.0\n")
    rows = read_losses([str(tmp_path / "x"), str(tmp_path / "y")])
    assert len({r.run for r in rows}) == 2 and all(r.run.startswith("version_0 (") for r in rows)
    with pytest.raises(ValueError, match="standard input"):
        read_losses(["-", "-"])


def test_loss_key_is_exact_never_a_substring(tmp_path):
    f = write(tmp_path, "m.csv", "k,distance,val_loss,lossy\n31,0.5,2.0,1.0\n")
    with pytest.raises(ValueError, match="none of 1 run has a conventional loss key") as e:
        read_losses(str(f))
    assert "distance, val_loss, lossy" in str(e.value) and "loss_key" in str(e.value)
    assert read_losses(str(f), loss_key="val_loss")[0].loss == 2.0
    g = write(tmp_path, "g.csv", "k,loss,train_loss\n31,1.0,2.0\n")
    with pytest.raises(ValueError, match="several loss keys: loss, train_loss; choose one with `loss_key`"):
        read_losses(str(g))
    with pytest.raises(ValueError, match="has the loss key 'nope'"):
        read_losses(str(g), loss_key="nope")


def test_runs_without_the_loss_are_reported(tmp_path):
    write(tmp_path, "a.csv", "k,loss\n31,2.0\n")
    write(tmp_path, "b.csv", "k,acc\n31,0.5\n")
    rows, said = runs_of(tmp_path)
    assert [r.run for r in rows] == ["a.csv"] and said == ["skipped 1 run(s) without a conventional loss key: b.csv"]


def test_stdin_single_jsonl_line(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"k": 255, "loss": 1.62}\n')))
    (r,) = read_losses("-")
    assert (r.k, r.loss, r.run) == (255, 1.62, "stdin")


def test_mlflow_file_store_nested_keys_and_deleted_runs(tmp_path):
    run = tmp_path / "mlruns" / "1" / "abc"
    (run / "metrics" / "train").mkdir(parents=True)
    (run / "params").mkdir()
    write(run, "meta.yaml", "run_id: abc\nrun_name: sweep-7\nlifecycle_stage: active\n")
    write(run / "metrics" / "train", "loss", "1700000000000 4.0 0\n1700000000001 2.5 1\n")
    write(run / "params", "num_negatives", "511")
    gone = tmp_path / "mlruns" / "1" / "def"
    shutil.copytree(run, gone)
    write(gone, "meta.yaml", "run_id: def\nrun_name: old\nlifecycle_stage: deleted\n")
    (r,) = runs_of(tmp_path / "mlruns")[0]
    assert (r.run, r.k, r.loss, r.loss_key, r.k_from) == ("sweep-7", 511, 2.5, "train/loss", "config")
    write(run / "metrics" / "train", "loss", "1700000000000 four 0\n")
    with pytest.raises(ValueError, match="not 'timestamp value step'"):
        read_losses(str(tmp_path / "mlruns"))


def test_extra_keys_reduced_the_same_way(tmp_path):
    f = write(tmp_path, "m.tsv", "k\tloss\td\tlsub\tsup\n31\t2.02\t-1.16\t1.5\t0.9\n31\t2.00\t-1.18\t1.4\t0.8\n")
    (r,) = read_losses(str(f), d_key="d", l_sub_key="lsub", sup_key="sup")
    assert (r.d, r.l_sub, r.sup) == (-1.18, 1.4, 0.8)
    with pytest.raises(ValueError, match="no key 'dd'"):
        read_losses(str(f), d_key="dd")


@pytest.mark.parametrize(
    "text,suffix,msg",
    [
        ("", ".csv", "empty"),
        ("k,loss\n31,abc\n", ".csv", "line 2, 'loss': expected a number"),
        ("k,loss\n31,nan\n", ".csv", "no loss value with a K"),
        ("k,loss\n31,inf\n", ".csv", "finite"),
        ("k,loss\n31\n", ".csv", "line 2 has 1 fields"),
        ("k,loss\n-1,2.0\n", ".csv", "K must be a whole number"),
        ("k,loss\n2.5,2.0\n", ".csv", "K must be a whole number"),
        ("k,loss\n1e30,2.0\n", ".csv", "line 2, 'k': K must be a whole number from 0 to 2\\*\\*53"),
        ("k,loss,k\n2,2.0,3\n", ".csv", "named twice"),
        ('{"k": 1, "loss": 2}\n{"k": 2, "loss": \n', ".jsonl", "line 2: malformed JSON"),
        ("[1, 2", ".json", "malformed JSON"),
        ("[1, 2]", ".json", "list of records"),
        ('{"k": [1], "loss": 2}', ".json", "list of records"),
    ],
)
def test_bad_logs(tmp_path, text, suffix, msg):
    f = write(tmp_path, f"log{suffix}", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=msg):
            read_losses(str(f))


def test_missing_paths(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_losses(str(tmp_path / "nope.csv"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no training log found"):
        read_losses(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="at least one"):
        read_losses([])


def test_parse_int_list():
    assert parse_int_list("7700") == [7700]
    assert parse_int_list("31,63,127") == [31, 63, 127]
    assert parse_int_list("1..4") == [1, 2, 3, 4]
    assert parse_int_list("0..1000:250") == [0, 250, 500, 750, 1000]
    assert parse_int_list("32..1024:x2") == [32, 64, 128, 256, 512, 1024]
    for bad in ["-1", "2.5", "a", "5..1", "", "0..8:x2"]:
        with pytest.raises(ValueError):
            parse_int_list(bad)


def test_truncated_event_file_is_reported(tmp_path):
    """A TFRecord file cut inside its last record: the whole records are counted and the cut
    is reported (TensorBoard's reader skips it silently)."""
    records = [b"x" * 10, b"y" * 3, b"z" * 40]
    blob = b"".join(len(r).to_bytes(8, "little") + b"\0" * 4 + r + b"\0" * 4 for r in records)
    f = tmp_path / "events.out.tfevents.1"
    f.write_bytes(blob)
    assert _tfrecord_framing(f) == (3, 0)
    f.write_bytes(blob[:-5])
    assert _tfrecord_framing(f) == (2, len(records[2]) + 16 - 5)
    pytest.importorskip("tensorboard")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):  # not real events: no scalars, refused
            read_losses(str(f), k=31)
    assert any("truncated" in str(w.message) for w in caught)


# --------------------------------------------------------------------------- docs/logs.md §1, run as written
#: The tool column of docs/logs.md §1 → the fixture standing for the default path its command names.
DOC_FIXTURES = {
    "Lightning `CSVLogger`": ("lightning_logs/", "lightning_csv"),
    "Lightning `TensorBoardLogger`": ("lightning_logs/", "lightning_tb"),
    "TensorBoard `SummaryWriter`": ("runs/", "tensorboard"),
    "Hugging Face": ("output_dir/", "huggingface/simclr-out"),
    "MLflow file store": ("mlruns/", "mlflow_file/mlruns"),
    "MLflow SQLite": ("mlflow.db", "mlflow_sqlite/mlflow.db"),
    "Weights & Biases run folders": ("wandb/", "wandb/wandb"),
    "Weights & Biases UI export": ("wandb_export.csv", "wandb/wandb_export.csv"),
    "Keras": ("training.log", "keras/training.log"),
    "One run logged by Lightning": ("lightning_logs/", "lightning_copies"),
    "solo-learn": ("lightning_logs/", "ssl_libraries"),
    "a CSV/TSV/JSON/JSONL": ("losses.csv", "losses.csv"),
    "one record on standard input": ("-", "-"),
}


def _doc_commands() -> list[tuple[str, str]]:
    text = (Path(__file__).parents[1] / "docs" / "logs.md").read_text()
    section = text.split("## §1", 1)[1].split("## §2", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(.+)` \|$", section, re.M)
    return [(tool, cmd.replace("\\|", "|")) for tool, cmd in rows if "boundcalc" in cmd]


def test_every_tool_row_is_tested():
    tools = [tool for tool, _ in _doc_commands()]
    assert len(tools) == len(DOC_FIXTURES)
    assert all(any(tool.startswith(key) for tool in tools) for key in DOC_FIXTURES)


@pytest.mark.parametrize("tool,command", _doc_commands(), ids=[t[:30] for t, _ in _doc_commands()])
def test_docs_command_runs_on_the_real_tools_output(tool, command):
    from typer.testing import CliRunner

    from boundcalc.cli import app

    if "TensorBoard" in tool:
        pytest.importorskip("tensorboard")
    (default, fixture), = [v for key, v in DOC_FIXTURES.items() if tool.startswith(key)]
    stdin = None
    if "|" in command:
        echo, command = (part.strip() for part in command.split("|"))
        stdin = shlex.split(echo)[1] + "\n"
    args = shlex.split(command)[1:]
    i = args.index("--log") + 1
    assert args[i] == default, f"docs/logs.md: {tool}: expected the default path {default}"
    args[i] = fixture if fixture == "-" else str(LOGS / fixture)
    res = CliRunner().invoke(app, [*args, "--format", "json"], input=stdin)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    rows = rows if isinstance(rows, list) else [rows]
    assert rows and all(r["reduce"] == "last" for r in rows)


# --------------------------------------------------------------------------- issue 27 §1: runs as users think of them
def test_one_run_by_two_lightning_loggers_is_one_row_naming_both():
    """CSVLogger + TensorBoardLogger into one save_dir (written by Lightning): version_0 and
    version_1 hold the same run; one row names both, and a line says so."""
    pytest.importorskip("tensorboard")
    want = EXPECTED["lightning_copies/simclr"]
    rows, said = runs_of(LOGS / "lightning_copies")
    (r,) = rows
    assert r.run == " = ".join(f"simclr/{v}" for v in want["versions"]) and r.copies == ("simclr/version_1",)
    assert "metrics.csv" in r.source and "version_1" in r.source.split("; ")[1]
    assert (r.loss, r.k, r.loss_key, r.temperature) == (want["loss"], want["k"], want["loss_key"], want["temperature"])
    assert said == ["1 run logged by several loggers (same hparams, steps and values) reported once: "
                    "simclr/version_0 (csv) = simclr/version_1 (tensorboard)"]
    # each copy alone is what it was
    for version, kind_source in (("version_0", "metrics.csv"), ("version_1", "events.out")):
        (alone,), _ = runs_of(LOGS / "lightning_copies/simclr" / version)
        assert alone.copies == () and (alone.loss, alone.k, alone.temperature) == (r.loss, r.k, r.temperature)
        assert kind_source in alone.source or any(f.name.startswith(kind_source) for f in Path(alone.source).glob("*"))


@pytest.mark.parametrize("change", ["config", "value", "step"])
def test_runs_that_differ_are_never_merged(tmp_path, change):
    """Copies must agree on the config keys they share and on every (step, loss) pair."""
    pytest.importorskip("tensorboard")
    root = tmp_path / "logs"
    shutil.copytree(LOGS / "lightning_copies", root)
    csv_run = root / "simclr" / "version_0"
    if change == "config":
        (csv_run / "hparams.yaml").write_text((csv_run / "hparams.yaml").read_text().replace("lr: 0.1", "lr: 0.2"))
    else:
        text = (csv_run / "metrics.csv").read_text()
        old = "1,7,3.875,"
        assert old in text
        (csv_run / "metrics.csv").write_text(text.replace(old, "1,7,3.75," if change == "value" else "1,6,3.875,"))
    rows, said = runs_of(root)
    assert [r.run for r in rows] == ["simclr/version_0", "simclr/version_1"] and not any("several loggers" in s for s in said)


def test_two_runs_of_one_logger_are_two_rows(tmp_path):
    for d in ("version_0", "version_1"):
        shutil.copytree(LOGS / "lightning_copies/simclr/version_0", tmp_path / d)
    rows, _ = runs_of(tmp_path)
    assert [r.run for r in rows] == ["version_0", "version_1"] and all(r.copies == () for r in rows)


def test_solo_learn_and_lightly_share_one_table_without_flags():
    """solo-learn's train_nce_loss (on_epoch: _step and _epoch columns, _epoch chosen) and lightly's
    train_loss_ssl, written by Lightning; K and the temperature from each run's hparams (solo-learn
    nests its temperature under method_kwargs)."""
    rows, said = runs_of(LOGS / "ssl_libraries")
    got = {r.run: (r.loss_key, r.loss, r.k, r.temperature, r.t_from) for r in rows}
    for run in ("solo_learn/version_0", "lightly/version_0"):
        want = EXPECTED[f"ssl_libraries/{run}"]
        assert got[run] == (want["loss_key"], want["loss"], want["k"], want["temperature"], "hparams")
    assert not said
    assert "train_nce_loss_step" in (LOGS / "ssl_libraries/solo_learn/version_0/metrics.csv").read_text()


@pytest.mark.parametrize("columns,chosen", [
    ("train_loss_step,train_loss_epoch", "train_loss_epoch"),
    ("train_loss_step,train_loss", "train_loss"),
    ("train_loss_epoch,train_loss", "train_loss_epoch"),
    ("Train_NCE_Loss_step", "Train_NCE_Loss_step"),
    ("train_loss_ssl_step,train_loss_ssl_epoch", "train_loss_ssl_epoch"),
])
def test_epoch_before_plain_before_step(tmp_path, columns, chosen):
    f = write(tmp_path, "m.csv", f"k,{columns}\n" + "31," + ",".join(str(i + 1) for i in range(columns.count(",") + 1)) + "\n")
    (r,) = read_losses(str(f))
    assert r.loss_key == chosen and r.loss == float(columns.split(",").index(chosen) + 1)


def test_two_names_of_different_losses_are_still_an_error(tmp_path):
    f = write(tmp_path, "m.csv", "k,train_nce_loss_epoch,train_loss_step\n31,1.0,2.0\n")
    with pytest.raises(ValueError, match="several loss keys: train_nce_loss_epoch, train_loss_step"):
        read_losses(str(f))


def test_loss_key_comma_list_is_tried_in_order(tmp_path):
    a = write(tmp_path, "a.csv", "k,mine,theirs\n31,1.0,2.0\n")
    b = write(tmp_path, "b.csv", "k,theirs\n31,3.0\n")
    rows = read_losses([str(a), str(b)], loss_key="mine,theirs")
    assert [(r.loss_key, r.loss) for r in rows] == [("mine", 1.0), ("theirs", 3.0)]
    assert read_losses(str(a), loss_key=["theirs", "mine"])[0].loss == 2.0
    with pytest.raises(ValueError, match="loss_key: an empty key"):
        read_losses(str(a), loss_key="mine,,theirs")
    with pytest.raises(ValueError, match="any of the loss keys 'x', 'y'"):
        read_losses(str(a), loss_key="x,y")


def test_path_key_applies_to_its_own_log(tmp_path):
    a = write(tmp_path, "a.csv", "k,mine,loss\n31,1.0,2.0\n")
    b = write(tmp_path, "b.csv", "k,loss\n63,3.0\n")
    rows = read_losses([f"{a}::mine", str(b)])
    assert [(r.run, r.loss_key, r.loss) for r in rows] == [(str(a), "mine", 1.0), (str(b), "loss", 3.0)]
    rows = read_losses([f"{a}::nope,mine", str(b)], loss_key="loss")  # the path's own keys replace loss_key
    assert [r.loss_key for r in rows] == ["mine", "loss"]
    odd = write(tmp_path, "odd::name.csv", "k,loss\n31,4.0\n")
    assert read_losses(f"{odd}::")[0].loss == 4.0  # a trailing '::' keeps a path that holds '::'
    with pytest.raises(ValueError, match="names a loss key but no path"):
        read_losses("::loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="none of 1 run has the loss key 'nope'"):
            read_losses(f"{a}::nope")


def test_nested_k_in_the_config_and_disagreeing_keys(tmp_path):
    run = tmp_path / "version_0"
    run.mkdir()
    write(run, "metrics.csv", "step,train_loss\n0,2.0\n")
    write(run, "hparams.yaml", "model:\n  num_negatives: 4095\n  dim: 128\n")
    assert runs_of(run)[0][0].k == 4095
    write(run, "hparams.yaml", "k: 255\nmodel:\n  num_negatives: 4095\n")
    with pytest.raises(ValueError, match=r"several K keys in the config: k = 255, model.num_negatives = 4095; .*`k_key`"):
        read_losses(str(run))
    assert read_losses(str(run), k_key="model.num_negatives")[0].k == 4095
    write(run, "hparams.yaml", "k: auto\nnum_negatives: 63\n")
    rows, said = runs_of(run)
    assert rows[0].k == 63 and said == [f"not read, not a number: {run}: config 'k' = 'auto' (as K)"]


# --------------------------------------------------------------------------- issue 22 §4 / 27 §1: the temperature of each run
def _run_with(tmp_path, hparams: str | None = None, metrics: str = "step,k,train_loss\n0,31,2.0\n1,31,1.5\n",
              name: str = "version_0", config: str = "hparams.yaml") -> Path:
    run = tmp_path / name
    run.mkdir(parents=True)
    write(run, "metrics.csv", metrics)
    if hparams is not None:
        write(run, config, hparams)
    return run


@pytest.mark.parametrize("hparams,t", [
    ("temperature: 0.07\n", 0.07), ("t: 0.5\n", 0.5), ("tau: 0.2\n", 0.2), ("TEMP: 1.0\n", 1.0),
    ("loss:\n  temperature: 0.1\n", 0.1), ("method_kwargs:\n  tau: 0.3\n", 0.3),
    ("temperature: 0.5\nloss:\n  temperature: 0.5\n", 0.5),  # two keys that agree
])
def test_temperature_from_hparams(tmp_path, hparams, t):
    (r,), said = runs_of(_run_with(tmp_path, hparams))
    assert (r.temperature, r.t_from) == (t, "hparams") and not said


def test_temperature_from_a_config_file_the_log_the_option_or_none(tmp_path):
    files = _run_with(tmp_path, "temperature:\n  desc: null\n  value: 0.07\n", name="files", config="config.yaml")
    assert runs_of(files)[0][0].t_from == "config" and runs_of(files)[0][0].temperature == 0.07  # W&B's config.yaml
    logged = _run_with(tmp_path, "temperature: 0.5\n", "k,loss,temperature\n31,2.0,0.5\n31,1.5,0.4\n31,1.25,\n", name="v1")
    (r,), said = runs_of(logged)
    assert (r.temperature, r.t_from, r.loss) == (0.4, "log", 1.25) and not said  # carried forward past a blank cell
    (m,), said = runs_of(logged, reduce="mean")
    assert m.temperature == 0.4 and said == [f"the temperature changes over the values reduced (run {logged}: 0.5 to 0.4); "
                                             "each row takes the temperature of its last value"]
    bare = _run_with(tmp_path, None, name="v2")
    assert [(r.temperature, r.t_from) for r in runs_of(bare)[0]] == [(None, "none")]
    assert [(r.temperature, r.t_from) for r in runs_of(bare, temperature=0.25)[0]] == [(0.25, "option")]


def test_temperature_from_mlflow_params(tmp_path):
    run = tmp_path / "mlruns" / "1" / "abc"
    (run / "metrics").mkdir(parents=True)
    (run / "params").mkdir()
    write(run, "meta.yaml", "run_id: abc\nrun_name: r\nlifecycle_stage: active\n")
    write(run / "metrics", "loss", "1700000000000 2.5 0\n")
    write(run / "params", "k", "255")
    write(run / "params", "temperature", "0.2")
    (r,) = runs_of(tmp_path / "mlruns")[0]
    assert (r.temperature, r.t_from, r.k) == (0.2, "hparams", 255)


def test_temperature_option_contradicted_by_a_run_is_one_line_and_the_run_wins(tmp_path):
    a = _run_with(tmp_path, "temperature: 0.2\n", name="a")
    b = _run_with(tmp_path, "temperature: 0.5\n", name="b")
    c = _run_with(tmp_path, None, name="c")
    rows, said = runs_of(tmp_path, temperature=0.5)
    assert [(r.run, r.temperature, r.t_from) for r in rows] == [("a", 0.2, "hparams"), ("b", 0.5, "hparams"), ("c", 0.5, "option")]
    assert said == ["`temperature` = 0.5 set aside where a run gives its own: run a (t = 0.2); each run's own is used"]
    assert a and b and c
    # float32 rounding of a logged temperature is not a contradiction
    f32 = _run_with(tmp_path / "x", None, "k,loss,t\n31,2.0,0.10000000149011612\n")
    assert runs_of(f32, temperature=0.1)[1] == []


def test_t_key_names_the_temperature(tmp_path):
    run = _run_with(tmp_path, "loss:\n  scale: 0.3\ntemperature: 9.0\n")
    assert runs_of(run, t_key="loss.scale")[0][0].temperature == 0.3
    rows, said = runs_of(run, t_key="nope", temperature=0.5)
    assert rows[0].t_from == "option" and said == [f"no key 'nope' (`t_key`) in run {run}"]


@pytest.mark.parametrize("hparams,msg", [
    ("temperature: 0.5\nloss:\n  tau: 0.2\n", r"several temperature keys in the config: temperature = 0.5, loss.tau = 0.2; .*`t_key`"),
    ("temperature: -0.5\n", "the temperature must be a positive number"),
    ("temperature: 0\n", "the temperature must be a positive number"),
    ("t: inf\n", "the temperature must be a positive number, got inf"),
])
def test_bad_temperatures_are_refused(tmp_path, hparams, msg):
    with pytest.raises(ValueError, match=msg):
        read_losses(str(_run_with(tmp_path, hparams)))


def test_a_temperature_key_holding_text_is_skipped_with_a_line(tmp_path):
    run = _run_with(tmp_path, "temp: /scratch/tmp\n")
    (r,), said = runs_of(run)
    assert r.t_from == "none" and said == [f"not read, not a number: {run}: config 'temp' = '/scratch/tmp' (as temperature)"]
    with pytest.raises(ValueError, match="temperature: a positive number"):
        read_losses(str(run), temperature=-1.0)


# --------------------------------------------------------------------------- the bound request from logs: per run, per entry
def _bound_json(*args: str, stdin: str | None = None):
    from typer.testing import CliRunner

    from boundcalc.cli import app

    res = CliRunner().invoke(app, ["bound", "--classes", "10", *args, "--format", "json"], input=stdin)
    return res, (json.loads(res.stdout) if res.exit_code == 0 else None)


def _three_runs_four_rows(tmp_path) -> list[str]:
    """Three runs in the order printed; the second's K changes: four rows."""
    a = write(tmp_path, "a.csv", "k,loss\n31,2.0\n")
    b = write(tmp_path, "b.csv", "k,loss\n31,2.5\n63,3.0\n")
    c = write(tmp_path, "c.csv", "k,loss\n127,3.5\n")
    return [str(a), str(b), str(c)]


@pytest.mark.parametrize("option,key", [("--d", "d"), ("--l-sub", "l_sub"), ("--l-sup", "measured_sup"),
                                        ("--measured-sup", "measured_sup")])
def test_values_per_run_or_per_row_from_logs(tmp_path, option, key):
    logs = [x for p in _three_runs_four_rows(tmp_path) for x in ("--log", p)]
    sign = -1.0 if key == "d" else 1.0
    cases = {"0.5": [0.5] * 4, "0.1,0.2,0.3": [0.1, 0.2, 0.2, 0.3], "0.1,0.2,0.3,0.4": [0.1, 0.2, 0.3, 0.4]}
    for text, want in cases.items():
        given = ",".join(str(sign * float(x)) for x in text.split(","))
        res, rows = _bound_json(*logs, option, given, "-m", "nozawa-sato")
        assert res.exit_code == 0, res.output
        assert [(r["run"], r["k"]) for r in rows] == [(logs[1], 31), (logs[3], 31), (logs[3], 63), (logs[5], 127)]
        assert [r[key] for r in rows] == [sign * w for w in want]
        if key == "measured_sup":
            assert all(r["holds"] == (r["upper_bound"] >= r["measured_sup"]) for r in rows)
    res, _ = _bound_json(*logs, option, "0.1,0.2", "-m", "nozawa-sato")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [f"error: {'--l-sup' if key == 'measured_sup' else option}: with a --log, "
                                               "one value, one per run (3) or one per run and K (4, in the order of the rows); "
                                               "got 2"]


def test_value_per_run_matches_the_bounds_computed_by_hand(tmp_path):
    from boundcalc.bounds import compute_bounds

    logs = _three_runs_four_rows(tmp_path)
    res, rows = _bound_json(*[x for p in logs for x in ("--log", p)], "--d", "-1.0,-1.1,-1.2", "-m", "nozawa-sato,arora")
    assert res.exit_code == 0, res.output
    by_hand = compute_bounds([2.0, 2.5, 3.0, 3.5], [31, 31, 63, 127], 10, "nozawa-sato,arora", d=[-1.0, -1.1, -1.1, -1.2])
    assert [r["upper_bound"] for r in rows] == [b.upper_bound for b in by_hand]


def test_a_logged_value_wins_over_the_option_and_that_is_said(tmp_path):
    f = write(tmp_path, "m.csv", "k,loss,d\n31,2.0,-1.0\n")
    res, rows = _bound_json("--log", str(f), "--d-key", "d", "--d", "-2.0", "-m", "arora")
    assert res.exit_code == 0 and rows[0]["d"] == -1.0
    assert "--d set aside where the log gives its own (1 row(s)" in res.stderr


def test_bao_takes_each_runs_temperature_and_says_the_contradiction():
    from boundcalc.bounds import compute_bounds

    res, rows = _bound_json("--log", str(LOGS / "ssl_libraries"), "-t", "0.5", "-m", "bao")
    assert res.exit_code == 0, res.output
    for r in rows:
        want = EXPECTED[f"ssl_libraries/{r['run']}"]
        (b,) = compute_bounds(want["loss"], want["k"], 10, "bao", temperature=want["temperature"])
        assert (r["temperature"], r["t_from"], r["upper_bound"]) == (want["temperature"], "hparams", b.upper_bound)
    assert res.stderr.count("\n") == 1 and "--temperature = 0.5 set aside where a run gives its own: 2 runs" in res.stderr
    res, rows = _bound_json("--log", str(LOGS / "ssl_libraries"), "-m", "bao")  # no -t needed
    assert res.exit_code == 0 and all(r["status"] == "ok" for r in rows) and not res.stderr


def test_per_k_keys_and_norm_bound_with_logs():
    from boundcalc.reports import LossInput

    lo = LossInput(logs=[str(LOGS / "ssl_libraries")])
    cols = lo.per_k()
    assert {"k", "loss", "d", "l_sub", "measured_sup", "runs", "temperature", "k_from", "t_from"} <= set(cols)
    assert cols["temperature"] == [0.1, 0.2] and cols["t_from"] == ["hparams"] * 2 and cols["k_from"] == ["config"] * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nb = lo.per_k(norm_bound=2.0)
    assert nb["temperature"] == [None, None] and len(caught) == 1 and "set aside" in str(caught[0].message)
    with pytest.raises(ValueError, match="give one or the other"):
        lo.per_k(0.5, 2.0)
    given = LossInput(loss=[2.0, 3.0], k=[31, 63]).per_k(0.5)
    assert given["temperature"] == [0.5, 0.5] and given["t_from"] == ["option"] * 2
    with pytest.raises(ValueError, match="t_key: reads a `log`"):
        LossInput(loss=[2.0], k=[31], t_key="t").per_k()


def test_table_shows_the_provenance_column():
    from typer.testing import CliRunner

    from boundcalc.cli import app

    res = CliRunner().invoke(app, ["bound", "--classes", "10", "--log", str(LOGS / "ssl_libraries"), "-m", "bao"],
                             env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "train_nce_loss_epoch · K config · t=0.2 hparams" in res.stdout
    assert "train_loss_ssl · K config · t=0.1 hparams" in res.stdout


def test_cli_path_key_and_loss_key_list(tmp_path):
    a = write(tmp_path, "a.csv", "k,mine\n31,2.0\n")
    b = write(tmp_path, "b.csv", "k,theirs\n31,3.0\n")
    res, rows = _bound_json("--log", f"{a}::mine", "--log", str(b), "--loss-key", "theirs", "-m", "bao", "-t", "0.5")
    assert res.exit_code == 0, res.output
    assert [(r["loss_key"], r["loss"]) for r in rows] == [("mine", 2.0), ("theirs", 3.0)]
    res, rows = _bound_json("--log", str(a), "--log", str(b), "--loss-key", "mine,theirs", "-m", "bao", "-t", "0.5")
    assert res.exit_code == 0 and [r["loss"] for r in rows] == [2.0, 3.0]


# --------------------------------------------------------------------------- issue 27 §2: running and crashed jobs
def test_lightning_csv_cut_while_written_reads_its_whole_lines():
    want = EXPECTED["crashed/cut_csv/version_0"]
    f = LOGS / "crashed/cut_csv/version_0/metrics.csv"
    assert f.read_text().splitlines()[-1] == want["cut_text"]
    (r,), said = runs_of(LOGS / "crashed")
    assert (r.loss, r.k, r.logged_at) == (want["loss"], want["k"], f"line {want['cut_line'] - 1}")
    assert said == [f"{f}: truncated: line {want['cut_line']} is cut off (2 of 3 fields, no line end) and was not read"]


@pytest.mark.parametrize("name,text,loss,said", [
    ("m.jsonl", '{"k": 31, "loss": 2.0}\n{"k": 31, "loss": 1.', 2.0, "line 2 is cut off (not a whole JSON object, no line end)"),
    ("m.jsonl", '{"k": 31, "loss": 2.0}\n{"k": 31, "loss": 1.5}', 1.5, None),  # whole, without a final line end
    ("m.csv", "k,loss\n31,2.0\n31,1.5", 1.5, None),
    ("m.csv", "k,loss\r\n31,2.0\r\n31", 2.0, "line 3 is cut off (1 of 2 fields, no line end)"),
    ("m.tsv", "k\tloss\tacc\n31\t2.0\t0.5\n31\t1.5", 2.0, "line 3 is cut off (2 of 3 fields, no line end)"),
    ("m.csv", 'k,loss,note\n31,2.0,ok\n31,1.5,"cut', 2.0, "line 3 is cut off (an open quote, no line end)"),
    ("m.csv", "k,loss,note\n31,2.0,ok\n31,1.5,", 2.0, "line 3 is cut off (its last field empty, no line end)"),
])
def test_a_cut_last_line_is_skipped_with_one_line(tmp_path, name, text, loss, said):
    f = write(tmp_path, name, text)
    (r,), lines = runs_of(f)
    assert r.loss == loss
    assert lines == ([] if said is None else [f"{f}: truncated: {said} and was not read"])


@pytest.mark.parametrize("name,text,msg", [
    ("m.csv", "k,loss\n31\n31,1.5\n", "line 2 has 1 fields, the header has 2"),
    ("m.csv", "k,loss\n31,2.0\n31\n", "line 3 has 1 fields"),  # a short last line with its line end is whole: damaged
    ("m.jsonl", '{"k": 31, "loss": 2.0}\n{"k": 31, "lo\n{"k": 31, "loss": 1.5}\n', "line 2: malformed JSON"),
])
def test_a_cut_in_the_middle_stays_an_error(tmp_path, name, text, msg):
    with pytest.raises(ValueError, match=msg):
        read_losses(str(write(tmp_path, name, text)))


@given(st.lists(st.tuples(st.integers(0, 10**6), st.floats(0.001, 100.0)), min_size=2, max_size=8), st.data())
def test_cutting_the_last_row_anywhere_reads_the_whole_rows(rows, data):
    """A CSV as csv.writer writes it, cut at any byte inside its last row: the rows before it are
    read exactly; the cut row is skipped with one line when it lost a field (or all of its last
    one), and read otherwise (then only its last field can differ: a cut inside the last field
    cannot be seen)."""
    import csv
    import io
    import tempfile

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["step", "k", "loss"])
    for step, loss in rows:
        w.writerow([step, 31, repr(loss)])
    text = buf.getvalue()
    start = text.rstrip("\r\n").rindex("\n") + 1
    cut = data.draw(st.integers(start + 1, len(text.rstrip("\r\n")) - 1))
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "metrics.csv"
        f.write_text(text[:cut], newline="")
        got, said = runs_of(f, reduce="mean")
    lost_a_field = text[:cut].count(",") - text[:start].count(",") < 2 or text[:cut].endswith(",")
    (r,) = got
    if lost_a_field:
        assert r.n_logged == len(rows) - 1 and r.loss == Reduce.parse("mean")([x for _, x in rows[:-1]])
        assert len(said) == 1 and "truncated" in said[0]
    else:
        assert r.n_logged == len(rows) and not said
