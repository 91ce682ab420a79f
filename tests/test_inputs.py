"""Files users really have, read right or refused: every input the hostile-input review listed,
with the number it must give or the word its refusal must contain (exit 2, one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import boundcalc as bc
from boundcalc.cli import app
from boundcalc.montecarlo import simulate_collision, simulate_coverage
from boundcalc.priors import Prior

runner = CliRunner()


def classes_of(tmp_path, content: bytes, suffix: str = ".txt", labels: bool = False) -> Prior:
    f = tmp_path / f"f{suffix}"
    f.write_bytes(content)
    return Prior.from_file(f, labels=labels)


@pytest.mark.parametrize(
    "content,suffix,labels,classes,total",
    [
        (b"\xef\xbb\xbf10\n20\n30\n", ".txt", False, 3, 60),  # UTF-8 byte-order mark
        (b"10 20 30\n", ".txt", False, 3, 60),  # one row of values
        (b"10,20,30\n", ".csv", False, 3, 60),
        (b"10\r20\r30\r", ".txt", False, 3, 60),  # old Mac line endings
        (b"10\r\n20\r\n30\r\n", ".txt", False, 3, 60),
        (b"count\n10\n20\n30\n", ".txt", False, 3, 60),  # a header
        (b"class,count\r\ncat,10\r\ndog,20\r\n", ".csv", False, 2, 30),
        (b"images\tname\n10\tcat\n20\tdog\n", ".tsv", False, 2, 30),
        (b"0,10\n1,20\n2,30\n", ".csv", False, 3, 60),  # (class id, count)
        (b"label,image\n0,a.jpg\n1,b.jpg\n0,c.jpg\n", ".csv", True, 2, 3),  # the label column by name
        (b"\xef\xbb\xbf0\n1\n0\n", ".txt", True, 2, 3),  # BOM before labels
        (b"1\n1.0\n2\n", ".txt", True, 2, 3),  # 1 and 1.0 are one class
        (b"label\ncat\ndog\ncat\n", ".txt", True, 2, 3),
        (b"cat dog cat\n", ".txt", True, 2, 3),
        (b'["a", "b", "a"]', ".json", True, 2, 3),
        (b'{"a": 3, "b": 1}', ".json", False, 2, 4),
        ("10\r\n20\r\n".encode("utf-16"), ".txt", False, 2, 30),  # PowerShell's `>` writes UTF-16
    ],
)
def test_read_right(tmp_path, content, suffix, labels, classes, total):
    p = classes_of(tmp_path, content, suffix, labels)
    assert p.n_classes == classes
    assert p.total == total


@pytest.mark.parametrize(
    "content,suffix,labels,word",
    [
        (b"0x10\n20\n", ".txt", False, "0x10"),  # hex is not a header
        (b"0,5\n0,25\n0,25\n", ".txt", False, "decimal comma"),
        (b"0,5;0,25\n", ".csv", False, "decimal comma"),
        (b"1_000\n2\n", ".txt", False, "1_000"),
        (b"a,b\n1,2\n3,4\n", ".csv", False, "count or weight"),
        (b"1 2 3\n4 5 6\n", ".txt", False, "3 columns"),
        (b"image,path\n0,a\n", ".csv", True, "label"),
        (b"0\ncat\n", ".txt", True, "mix"),
        (b"0.5\n1\n", ".txt", True, "whole"),
        (b"10\n\x00\x01", ".txt", False, "binary"),
        (b"10\n\xe9\n", ".txt", False, "UTF-8"),
        (b"", ".txt", False, "empty"),
        (b"[1, [2]]", ".json", False, "expected a number"),
        (b"[true, 2]", ".json", False, "expected a number"),
        (b"1,2\n3\n", ".csv", False, "fields"),
    ],
)
def test_refused(tmp_path, content, suffix, labels, word):
    with pytest.raises(ValueError, match=word):
        classes_of(tmp_path, content, suffix, labels)


@pytest.mark.parametrize(
    "array,labels,word",
    [
        (np.array([1 + 2j, 3]), False, "complex"),
        (np.ones((2, 3)), False, "one-dimensional"),
        (np.array([True, False]), False, "bool"),
        (np.array([0.5, 1.0]), True, "whole"),
    ],
)
def test_npy_refused(tmp_path, array, labels, word):
    f = tmp_path / "a.npy"
    np.save(f, array)
    with pytest.raises(ValueError, match=word):
        Prior.from_file(f, labels=labels)


def test_not_regular_files(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        Prior.from_file(tmp_path)
    with pytest.raises(ValueError, match="not a regular file"):
        Prior.from_file("/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        Prior.from_file(fifo)


def test_size_cap(tmp_path, monkeypatch):
    import boundcalc.textfiles as tf

    monkeypatch.setattr(tf, "MAX_TEXT_BYTES", 100)
    f = tmp_path / "big.txt"
    f.write_text("1\n" * 100)
    with pytest.raises(ValueError, match="larger than"):
        tf.read_text(f, limit=100)


def run(args: str, input: str | None = None):
    return runner.invoke(app, args.split(), input=input)


@pytest.mark.parametrize(
    "args,word",
    [
        ("coverage -c 10 --k 0..1000000000", "more than"),
        ("coverage -c 10 --k 1..100:x1.0000001", "more than"),
        ("coverage -c 10 --k 0..10:2.5", "whole number"),
        ("bound -c 10 --loss 2 --k 31 -m ,", "no method"),
        ("bound -c 10 --loss 2 --k 31 --measured-sup -1", "non-negative"),
        ("bound -c 10 --log /dev/zero", "not a regular file"),
        ("coverage --prior-file /tmp --k 3", "folder"),
        ("draws -c 10 -q 0.5,0.5", "once"),
    ],
)
def test_cli_refusals(args, word):
    res = run(args)
    assert res.exit_code == 2, res.output
    assert word in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_cli_reads_cr_only_stdin():
    res = run("bound -c 10 --log - -m ash -f json", input="k,loss\r31,2.0\r63,2.5\r")
    assert res.exit_code == 0, res.output
    assert [r["k"] for r in json.loads(res.output)] == [31, 63]


def test_huge_csv_field_is_refused_not_crashed(tmp_path):
    f = tmp_path / "big.csv"
    f.write_text("k,loss\n31," + "x" * 200_000 + "\n")
    res = run(f"bound -c 10 --log {f}")
    assert res.exit_code == 2 and len(res.output) < 400


def test_nan_rows_reported(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("k,loss\n31,nan\n31,2.0\n")
    res = run(f"bound -c 10 --log {f} -m ash -f json")
    assert res.exit_code == 0 and "skipped 1 NaN value(s) of the loss" in res.output


def test_distinct_quantile_names():
    res = run("draws -c 10 -q 0.9999999,1 -f json")
    (row,) = json.loads(res.output)
    assert "quantile_0.9999999" in row and "quantile_1.0" in row


def test_wilson_interval_contains_its_estimate():
    never = simulate_collision(0, 10, 1000, seed=0)["tau"]  # K = 0: no collision, p̂ = 0
    always = simulate_coverage(1, 1, 1000, seed=0)  # one class, one draw: always covered
    some = simulate_coverage(12, 10, 1000, seed=0)
    for e, want in ((never, 0.0), (always, 1.0), (some, None)):
        assert e.low <= e.value <= e.high and e.low >= 0.0 and e.high <= 1.0
        assert e.contains(e.value)
        if want is not None:
            assert e.value == want and e.contains(want)


def test_probabilities_stay_in_range_at_the_edges():
    assert bc.collision_probability(0, 10) == 0.0
    assert bc.log_collision_complement(0, 10) == 0.0
    assert bc.collision_probability(0, [0.3, 0.7]) >= 0.0


def test_device_refused_in_one_line(tmp_path):
    pytest.importorskip("torch")
    for name in ("a.npy", "b.npy"):
        np.save(tmp_path / name, np.random.default_rng(0).normal(size=(8, 3)))
    np.save(tmp_path / "y.npy", np.array([0, 1] * 4))
    for device, word in (("bogus", "unknown device"), ("cuda:7", "CUDA")):
        res = run(f"measure --features {tmp_path}/a.npy {tmp_path}/b.npy --labels {tmp_path}/y.npy --k 3 -t 0.5 --device {device}")
        if device.startswith("cuda") and "not available" not in res.output and res.exit_code == 0:
            continue  # a machine with 8 GPUs
        assert res.exit_code == 2 and word in res.output, res.output


def test_atomic_output_keeps_the_old_file(tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old")
    res = run(f"coverage -c 0 --k 3 -o {out}")
    assert res.exit_code == 2 and out.read_text() == "old"
    res = run(f"coverage -c 10 --k 3 -f json -o {out}")
    assert res.exit_code == 0 and json.loads(out.read_text())[0]["k"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary left behind


def test_output_dash_is_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("coverage -c 10 --k 3 -f csv -o -")
    assert res.exit_code == 0 and res.output.startswith("k,draws")
    assert not (tmp_path / "-").exists()


def test_usage_errors_are_one_line():
    for args in (["coverage", "--kk", "3"], ["coverage", "--classes", "x", "--k", "3"], ["nosuchcommand"]):
        proc = subprocess.run([sys.executable, "-m", "boundcalc", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error:") and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
