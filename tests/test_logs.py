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
]


@pytest.mark.parametrize("path,kw,key,run", CASES, ids=[f"{c[0]}:{c[3] or ''}" for c in CASES])
def test_real_tool_logs(path, kw, key, run):
    if "tensorboard" in path or "lightning_tb" in path:
        pytest.importorskip("tensorboard")
    want = EXPECTED[key]
    rows, _ = runs_of(LOGS / path, **kw)
    mine = [r for r in rows if r.run == (run or str(LOGS / path))]
    assert mine, [r.run for r in rows]
    final = mine[-1]
    assert final.loss == want["loss"] and final.loss_key == want["loss_key"]
    assert final.k == (want["k"] if want["k"] is not None else kw["k"])
    assert final.reduce == "last" and final.n_values == 1


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
