"""The command line: documented examples, formats, errors (exit 2, one line, no traceback)."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import boundcalc as bc
from boundcalc.cli import app

runner = CliRunner()

def documented_examples() -> list[str]:
    """Every "Example:" (and further) command line in the commands' help texts."""
    import re

    from boundcalc.cli import plot_app

    docs = [c.callback.__doc__ or "" for c in app.registered_commands + plot_app.registered_commands]
    return [m for d in docs for m in re.findall(r"^\s*(?:Example|From [^:]*):\s*(boundcalc .+?)\s*$", d, re.M)]


EXAMPLES = documented_examples()


@pytest.fixture
def example_dir(tmp_path, monkeypatch):
    """A working directory with the files the documented examples name."""
    import shutil
    from pathlib import Path

    import numpy as np

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=1024)
    np.save(tmp_path / "z1.npy", rng.normal(size=(1024, 8)) + y[:, None])
    np.save(tmp_path / "z2.npy", rng.normal(size=(1024, 8)) + y[:, None])
    np.save(tmp_path / "y.npy", y)
    (tmp_path / "metrics.csv").write_text("k,loss\n127,3.32\n255,3.98\n511,4.66\n")
    shutil.copytree(Path(__file__).resolve().parent / "data" / "logs" / "lightning_csv", tmp_path / "lightning_logs")
    (tmp_path / "examples").mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "examples" / "torch_encoder.py", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def needs(args: str):
    if args.startswith("boundcalc plot") and "-o" in args:
        pytest.importorskip("matplotlib")
    if args.startswith("boundcalc measure"):
        pytest.importorskip("torch")


def run(args: str, input: str | None = None):
    return runner.invoke(app, args.split(), input=input)


def test_examples_were_found():
    commands = {e.split()[1] for e in EXAMPLES}
    assert {"coverage", "collision", "draws", "bound", "simulate", "plot", "measure", "presets"} <= commands


@pytest.mark.parametrize("example", EXAMPLES)
def test_documented_examples_run(example, example_dir):
    needs(example)
    import shlex

    res = runner.invoke(app, shlex.split(example)[1:])
    assert res.exit_code == 0, res.output
    proc = subprocess.run([sys.executable, "-m", "boundcalc", *shlex.split(example)[1:]], capture_output=True,
                          text=True, timeout=300, cwd=example_dir)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout + proc.stderr).strip()


def test_every_help_shows_its_example():
    for example in EXAMPLES:
        words = example.split()
        path = words[1:3] if words[1] == "plot" else words[1:2]
        res = runner.invoke(app, [*path, "--help"], terminal_width=400)
        assert res.exit_code == 0
        assert example in " ".join(res.output.split()), example
    assert run("--help").exit_code == 0


def test_real_subprocess():
    out = subprocess.run([sys.executable, "-m", "boundcalc", "coverage", "--classes", "1000", "--k", "7700", "-f", "json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (data,) = json.loads(out.stdout)
    assert data["upsilon"] == pytest.approx(bc.coverage_probability(7701, 1000), rel=1e-14)
    bad = subprocess.run([sys.executable, "-m", "boundcalc", "coverage", "--classes", "0", "--k", "3"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--classes" in bad.stderr


def test_coverage_json_keys_and_values():
    (data,) = json.loads(run("coverage --prior imagenet1k --k 7700 --target 0.99 -f json").output)
    for key in ["k", "draws", "upsilon", "log_upsilon", "one_minus_upsilon", "expected_draws", "k_for_target"]:
        assert key in data
    assert data["draws"] == 7701
    assert data["k_for_target"] == bc.draws_for_coverage(0.99, "imagenet1k") - 1
    many = json.loads(run("coverage -c 10 --k 9..12 -f json").output)
    assert [r["k"] for r in many] == [9, 10, 11, 12] and many[0]["upsilon"] == bc.coverage_probability(10, 10)
    assert json.loads(run("coverage -c 10 --draws 32 -f json").output)[0]["k"] == 31


def test_collision_and_draws_json():
    (data,) = json.loads(run("collision -c 10 --k 31 -f json").output)
    assert {"k", "tau", "collision_term"} <= set(data)
    assert data["collision_term"] == bc.collision_term(31, 10)
    (d,) = json.loads(run("draws --prior cifar100 -f json").output)
    assert math.ceil(d["expected"]) == 519 and d["std"] > 0 and "quantile_0.99" in d


def test_bound_json_rows():
    rows = json.loads(run("bound -c 10 --loss 2.02,2.64 --k 31,63 -f json").output)
    assert len(rows) == 8
    for r in rows:
        for key in ["k", "method", "loss", "upper_bound", "log_upper_bound", "status"]:
            assert key in r
    statuses = {r["method"]: r["status"] for r in rows if r["k"] == 31}
    assert statuses == {"arora": "assumes_d_zero", "nozawa-sato": "assumes_d_zero", "ash": "ok", "bao": "needs_temperature"}
    (one,) = json.loads(run("bound -c 10 --loss 3 --k 5 --method nozawa-sato -f json").output)
    assert one["status"] == "vacuous" and one["upper_bound"] is None


def test_bound_from_log_and_stdin(tmp_path):
    f = tmp_path / "metrics.csv"
    f.write_text("k,loss,d\n31,2.0,-1.16\n31,2.04,-1.16\n63,2.64,-1.17\n")
    rows = json.loads(run(f"bound -c 10 --log {f} --d-key d -t 0.5 -f json").output)
    assert {r["loss"] for r in rows if r["k"] == 31} == {2.04}  # the last logged value
    assert {(r["reduce"], r["n_values"]) for r in rows} == {("last", 1)}
    assert all(r["status"] == "ok" for r in rows)
    rows = json.loads(run(f"bound -c 10 --log {f} --d-key d -t 0.5 --reduce mean -f json").output)
    assert {r["loss"] for r in rows if r["k"] == 31} == {(2.0 + 2.04) / 2}
    res = runner.invoke(app, ["bound", "-c", "10", "--log", "-", "--method", "ash", "-f", "json"], input='{"k": 31, "loss": 2.0}\n{"k": 63, "loss": 2.6}\n')
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)) == 2


@pytest.mark.parametrize("fmt", ["csv", "markdown", "latex", "table", "json"])
def test_formats_and_output_file(tmp_path, fmt):
    out = tmp_path / f"t.{fmt}"
    res = run(f"bound -c 10 --loss 2.02 --k 31 --d -1.16 -t 0.5 -f {fmt} -o {out}")
    assert res.exit_code == 0, res.output
    text = out.read_text()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 4 and float(rows[1]["upper_bound"]) > 0
    elif fmt == "markdown":  # the wide layout: one row per K, a column per method
        table = text.split("\n\n")[0]
        assert table.startswith("| K | L_cont | Arora et al. (2019) |") and table.count("\n") == 2
        assert "No bound is below the chance loss ln C" in text  # every bound here is above ln 10
    elif fmt == "latex":
        # the compact layout (methods down, K across), fitted to a paper's column
        assert "\\begin{tabular}{lr}" in text and r"Nozawa \& Sato (2021)" in text and "\\bottomrule" in text
        assert "Chance: $\\ln C = 2.303$" in text
    elif fmt == "json":
        assert len(json.loads(text)) == 4
    else:
        assert "nozawa-sato" in text


@pytest.mark.parametrize(
    "args,msg",
    [
        ("coverage --classes 0 --k 3", "--classes"),
        ("coverage --classes 10 --k -3", "--k"),
        ("coverage --classes 10 --k 2.5", "--k"),
        ("coverage --classes 10 --k 100000000000000000000", "--k"),
        ("collision --classes 10 --k 100000000000000000000", "--k"),
        ("coverage --prior nope --k 3", "known presets"),
        ("coverage --classes 10 --prior cifar10 --k 3", "exactly one"),
        ("coverage --classes 10", "exactly one of --k"),
        ("coverage --classes 10 --k 3 --target 1.5", "--target"),
        ("coverage --classes 10 --draws 0", "--draws"),
        ("coverage --classes 10 --k 5 --without-replacement", "--without-replacement"),
        ("draws --classes 10 --quantiles 1.5", "--quantiles"),
        ("bound --classes 10 --loss 2 --k 3 --d-key d", "--d-key"),
        ("bound --classes 10 --loss nan --k 3", "--loss"),
        ("bound --classes 10 --loss inf --k 3", "--loss"),
        ("bound --classes 10 --loss 2 --k 3 --d 0.5", "d"),
        ("bound --classes 10 --loss 2 --k 3 --method foo", "--method"),
        ("bound --classes 10 --log /nonexistent.csv", "no such file"),
        ("bound --classes 10 --loss 2 --log x.csv", "one or the other"),
        ("coverage --prior-file /nonexistent.json --k 3", "no such file"),
        ("simulate --classes 1000000000 --k 3 --trials 10", "too many"),
    ],
)
def test_errors_exit_2_with_one_line(args, msg):
    res = run(args)
    assert res.exit_code == 2, res.output
    assert msg in res.output
    assert "Traceback" not in res.output


def test_huge_values_answer_quickly():
    t = time.perf_counter()
    res = run("coverage --classes 1000000000 --k 1000000000000 -f json")
    assert res.exit_code == 0, res.output
    (data,) = json.loads(res.output)
    assert 0 <= data["upsilon"] <= 1 and data["log_one_minus_upsilon"] < 0
    res = run("bound --classes 1000000000 --loss 25 --k 1000000000000 -t 0.1 -f json")
    assert res.exit_code == 0, res.output
    assert time.perf_counter() - t < 30


def test_zero_count_warning(tmp_path):
    f = tmp_path / "counts.txt"
    f.write_text("5\n0\n3\n")
    res = run(f"coverage --prior-file {f} --k 5")
    assert res.exit_code == 0 and "dropped 1 class" in res.output


def test_labels_prior(tmp_path):
    f = tmp_path / "y.txt"
    f.write_text("a\nb\na\nc\n")
    (data,) = json.loads(run(f"coverage --labels {f} --k 2 -f json").output)
    assert data["upsilon"] == pytest.approx(bc.coverage_probability(3, [2, 1, 1]), rel=1e-14)


def test_version():
    assert bc.__version__ in run("--version").output


#: Modules a light path must not load (rich: tables are drawn by boundcalc.boxtable; rich draws only
#: progress bars, which appear on a terminal after a second).
HEAVY = ("scipy", "sympy", "mpmath", "torch", "matplotlib", "tensorboard", "pydantic", "rich")


def _modules_after(argv: list[str]) -> set[str]:
    """The heavy modules (and numpy) a fresh interpreter has loaded after running ``boundcalc argv``."""
    code = ("import sys\n"
            f"sys.argv = ['boundcalc', *{argv!r}]\n"
            "from boundcalc.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('loaded:' + ','.join(m for m in ('numpy', *{HEAVY!r}) if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    line = [x for x in out.stderr.splitlines() if x.startswith("loaded:")][-1]
    return set(filter(None, line.removeprefix("loaded:").split(",")))


def test_import_and_help_stay_light():
    """`import boundcalc`, the command line's import and its help load neither numpy nor anything heavy."""
    code = f"import sys, boundcalc, boundcalc.cli; print(','.join(m for m in ('numpy', *{HEAVY!r}) if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == ""
    assert _modules_after(["--help"]) == set()
    assert _modules_after(["coverage", "--help"]) == set()


@pytest.mark.parametrize("argv", [
    ["coverage", "--classes", "1000", "--k", "7700"],
    ["coverage", "--classes", "1000", "--k", "0..2000"],
    ["collision", "--classes", "10", "--k", "31,63"],
    ["draws", "--classes", "1000"],
    ["draws", "--prior", "imagenet1k"],
    ["coverage", "--prior", "imagenet_lt", "--k", "7700", "--without-replacement"],
    ["bound", "--classes", "10", "--loss", "2.02", "--k", "31", "--d", "-1.16", "--temperature", "0.5"],
])
def test_default_paths_load_no_heavy_module(argv):
    """The everyday commands with default options need numpy only (closed forms for the uniform
    prior, numpy quadrature for the moments of the others)."""
    assert _modules_after(argv) == {"numpy"}


@pytest.mark.parametrize(
    "module,args,extra",
    [
        ("torch", "measure --features a.npy b.npy --labels y.npy --k 3 -t 0.5", "torch"),
        ("matplotlib", "plot coverage --classes 10 --k-max 50 -o x.png", "plot"),
    ],
)
def test_missing_extra_is_named(monkeypatch, tmp_path, module, args, extra):
    import numpy as np

    monkeypatch.chdir(tmp_path)
    for name in ("a.npy", "b.npy", "y.npy"):
        np.save(name, np.zeros(4))
    monkeypatch.setitem(sys.modules, module, None)
    res = run(args)
    assert res.exit_code == 2, res.output
    assert f'"{extra}" extra' in res.output


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_bar_only_on_a_terminal_after_its_delay(monkeypatch, terminal):
    """rich draws the bar on stderr once the task has run PROGRESS_DELAY seconds, and only on a terminal."""
    from boundcalc.cli import render

    err = _Tty() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(render, "PROGRESS_DELAY", 0.0)
    with render.progress_bar("summing", total=10) as advance:
        advance(4)
        advance(6)
    assert ("summing" in err.getvalue()) == terminal
