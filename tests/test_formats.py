"""Outputs a paper and a script can rely on: the format from the suffix, JSON always a list,
numbers for readers without e+06, the wide bound table, terminal tables that never cut a cell."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from boundcalc.boxtable import cell_width
from boundcalc.cli import app
from boundcalc.cli.render import _fitted
from boundcalc.formats import choose_format, human_number, mantissa_exponent
from boundcalc.priors import PriorSource
from boundcalc.reports import BoundRequest, LossInput, bound_report

runner = CliRunner()
BOUND = "bound -c 10 --loss 2.02,2.64,3.29,5 --k 31,63,127,4 -t 0.5"


def run(args: str):
    return runner.invoke(app, args.split())


@pytest.mark.parametrize("suffix,fmt", [(".json", "json"), (".jsonl", "jsonl"), (".csv", "csv"), (".tsv", "tsv"),
                                        (".md", "markdown"), (".tex", "latex"), (".txt", "table"), (".out", "table")])
def test_output_suffix_chooses_the_format(tmp_path, suffix, fmt):
    assert choose_format(None, f"x{suffix}") == fmt
    out = tmp_path / f"b{suffix}"
    res = run(f"{BOUND} -o {out}")
    assert res.exit_code == 0, res.output
    text = out.read_text()
    if fmt == "json":
        assert isinstance(json.loads(text), list)
    elif fmt == "jsonl":
        assert len([json.loads(line) for line in text.splitlines()]) == 16
    elif fmt in ("csv", "tsv"):
        rows = list(csv.DictReader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
        assert len(rows) == 16 and rows[0]["method"] == "arora"
    elif fmt == "latex":
        assert text.startswith("\\begin{table}") and "\\toprule" in text
    elif fmt == "markdown":
        assert text.startswith("| K |")
    else:
        assert "┏" in text and "nozawa-sato" in text


def test_format_and_suffix_must_agree(tmp_path):
    res = run(f"{BOUND} -f csv -o {tmp_path / 'b.tex'}")
    assert res.exit_code == 2 and "--format: csv was asked for, but the output file's suffix .tex means latex" in res.output
    assert not (tmp_path / "b.tex").exists()
    assert run(f"{BOUND} -f csv -o {tmp_path / 'b.dat'}").exit_code == 0


@pytest.mark.parametrize("cmd", ["coverage -c 10 --k 31", "collision -c 10 --k 31", "draws -c 10", "presets",
                                 "bound -c 10 --loss 2 --k 31", "negatives -c 10 --k 31"])
def test_json_is_always_a_list(cmd):
    res = run(f"{cmd} -f json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert isinstance(data, list) and data and all(isinstance(r, dict) for r in data)
    lines = run(f"{cmd} -f jsonl").stdout.splitlines()
    assert [json.loads(x) for x in lines] == data


@given(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False).filter(lambda v: v != 0),
       st.integers(1, 17))
def test_human_numbers_round_to_the_digits_asked(v, digits):
    mant, e = mantissa_exponent(v, digits)
    back = float(mant) * (10.0 ** e if e is not None else 1.0)
    assert back == pytest.approx(v, rel=10.0 ** (1 - digits) / 2 + 1e-15)
    significant = len(mant.lstrip("-").replace(".", "").lstrip("0"))
    assert significant <= digits
    for style in ("text", "latex"):
        assert "e" not in human_number(v, digits, style).replace("times", "")


def test_human_number_styles():
    assert human_number(1220350.0, 6, "text") == "1.22035×10⁶"
    assert human_number(1220350.0, 6, "latex") == r"$1.22035\times10^{6}$"
    assert human_number(1220350.0, 6, "siunitx") == "1.22035e6"
    assert human_number(2.875, 6, "text") == "2.875" and human_number(3.0, 6, "text") == "3"
    assert human_number(-0.00012345, 3, "text") == "−1.23×10⁻⁴"
    assert human_number(math.inf, 6, "latex") == r"$\infty$" and human_number(7, 6, "latex") == "7"


def test_latex_table_is_ready_for_a_paper():
    res = run(f"{BOUND} -f latex")
    text = res.stdout
    assert res.exit_code == 0 and text.isascii()
    assert "e+" not in text and "\\begin{tabular}{rrrrrr}" in text
    assert "$K$ & $L_{\\mathrm{cont}}$ & Arora et al.\\ (2019)" in text
    body = text.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    assert len(body) == 4  # one row per K
    assert "$^\\dagger$" in body[0] and "---" in body[3]  # d = 0 assumed; vacuous at K + 1 < C
    assert "d(f) = 0 assumed" in text and "no finite bound" in text
    digits9 = run(f"{BOUND} -f latex --digits 9").stdout
    assert re.search(r"\d\.\d{8}", digits9)  # --digits is respected, not capped
    s = run(f"{BOUND} -f latex --siunitx").stdout
    assert "{SSSSSS}" in s and "{---}" in s and "{$K$}" in s


def test_wide_layout_holds_the_long_layouts_numbers():
    req = BoundRequest(PriorSource(classes=10), LossInput(loss=[2.02, 2.64], k=[31, 63]), temperature=0.5)
    long, wide = bound_report(req, "long"), bound_report(req, "wide")
    assert len(wide.rows) == 2 and wide.columns == ["k", "loss", "arora", "nozawa-sato", "ash", "bao"]
    for r in long.rows:
        w = next(x for x in wide.rows if x["k"] == r["k"])
        assert w[r["method"]] == r["upper_bound"] and w[f"{r['method']}_status"] == r["status"]
    res = run("bound -c 10 --loss 2.02 --k 31 --layout long -f markdown")
    assert res.stdout.startswith("| K | method |")
    wide_csv = list(csv.DictReader(io.StringIO(run("bound -c 10 --loss 2.02 --k 31 --layout wide -f csv").stdout)))
    assert wide_csv[0]["arora_status"] == "assumes_d_zero" and float(wide_csv[0]["ash"]) > 0


@pytest.mark.parametrize("width", [34, 40, 60, 80, 120])
def test_terminal_tables_never_cut_a_cell(width):
    req = BoundRequest(PriorSource(classes=100), LossInput(loss=[2.02, 2.64, 3.29], k=[31, 255, 4095]), temperature=0.5)
    report = bound_report(req)
    tables, notes = _fitted(report, 6, width)
    lines = [line for t in tables for line in t.lines()]
    text = "\n".join(lines)
    assert "…" not in text
    assert all(cell_width(line) <= width for line in lines[1:])  # the title may be longer; the table fits
    for r in report.rows:
        assert f"{r['upper_bound']:.6g}" in text if r["upper_bound"] is not None else True


def test_piped_tables_keep_every_column():
    res = run("bound -c 100 --log tests/data/logs/lightning_csv -m ash")
    assert res.exit_code == 0 and "…" not in res.stdout
    assert "k_per_step/version_0" in res.stdout and "k_in_hparams/version_0" in res.stdout


@pytest.mark.parametrize("cmd", ["coverage --prior imagenet1k --k 1000,7700,20000", "collision -c 100 --k 31,255",
                                 "draws --prior cifar100", "presets", BOUND, "negatives --prior imagenet1k --k 65536",
                                 "simulate -c 10 --k 31 --trials 2000 --seed 0", "bound -c 10 --loss 2 --k 31 --layout long"])
def test_latex_is_plain_ascii_and_minus_signs_are_math(cmd):
    text = run(f"{cmd} -f latex").stdout
    assert text.startswith("\\begin{table}") and text.isascii() and "?" not in text
    assert not re.search(r"(^|& )-\d", text, re.M)  # a negative number is $-1.5$, not a hyphen


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("extra", ["", "--siunitx"])
def test_latex_compiles_in_a_paper(tmp_path, extra):
    import subprocess

    table = run(f"{BOUND} -f latex {extra}").stdout
    (tmp_path / "t.tex").write_text(table)
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\\usepackage{booktabs,amsmath,amssymb,siunitx}"
                                        "\\begin{document}\\input{t.tex}\\end{document}\n")
    res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-2000:]


def test_long_tables_are_summarised_and_files_keep_every_row():
    res = run("coverage -c 10 --k 0..999")
    assert res.exit_code == 0 and "1,000 rows: the first and last 10 shown" in res.stdout
    assert len(res.stdout.splitlines()) < 40 and "⋮" in res.stdout and "│ 999 │" in res.stdout.replace("  ", " ")
    rows = list(csv.DictReader(io.StringIO(run("coverage -c 10 --k 0..999 -f csv").stdout)))
    assert len(rows) == 1000


def test_progress_over_long_ranges_changes_no_value():
    from boundcalc.reports import CollisionRequest, CoverageRequest, collision_report, coverage_report

    done: list[int] = []
    ks = list(range(0, 4500))
    for report, req in ((coverage_report, CoverageRequest(PriorSource(preset="cifar100"), k=ks)),
                        (collision_report, CollisionRequest(PriorSource(preset="cifar100"), ks))):
        done.clear()
        chunked, whole = report(req, done.append), report(req)
        assert sum(done) == len(ks) and len(done) == 3
        for a, b in zip(chunked.rows, whole.rows, strict=True):
            for key, val in b.items():
                # Chunks share saddle-point circles differently: the values agree to rounding, which
                # for a probability p is |ln p| · 1e−16 relative (here |ln p| ≤ 40).
                assert a[key] == (pytest.approx(val, rel=5e-14, abs=1e-300) if isinstance(val, float) else val), key
