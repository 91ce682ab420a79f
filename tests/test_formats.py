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
                                        (".md", "markdown"), (".tex", "latex"), (".txt", "table")])
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
        assert "\\begin{table" in text and "\\toprule" in text
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
    res = run(f"{BOUND} -f latex --layout wide")
    text = res.stdout
    assert res.exit_code == 0 and text.isascii()
    assert "e+" not in text and "\\begin{tabular}{rrrrrr}" in text
    assert "$K$ & $L_{\\mathrm{cont}}$ & Arora et al.\\ (2019)" in text
    body = text.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    assert len(body) == 4  # one row per K
    assert "$^\\dagger$" in body[0] and "---" in body[3]  # d = 0 assumed; vacuous at K + 1 < C
    assert "$d(f)$ = 0 assumed" in text and "no finite bound" in text
    digits9 = run(f"{BOUND} -f latex --digits 9").stdout
    assert re.search(r"\d\.\d{8}", digits9)  # --digits is respected, not capped
    s = run(f"{BOUND} -f latex --siunitx --layout wide").stdout
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
    assert "\\begin{table" in text and text.isascii() and "?" not in text
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


# ------------------------------------------------------------------ tables for papers
README_BOUND = "bound --prior cifar100 --log examples/data/lightning_logs/ -t 0.5"
README_MEASURE = "measure --features examples/data/z1.npy examples/data/z2.npy --labels examples/data/y.npy --k 255 -t 0.5"
ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
HAS_PDFLATEX = __import__("shutil").which("pdflatex") is not None


def _body(text: str) -> list[list[str]]:
    """The cells of a LaTeX table's rows (header lines included), rules left out."""
    inner = text.split("\\begin{tabular}", 1)[1].split("\\end{tabular}", 1)[0].splitlines()[1:]
    return [line[: -len(" \\\\")].split(" & ") for line in inner if line.endswith(" \\\\")]


def test_compact_layout_holds_the_long_layouts_numbers():
    """Methods as rows, K as columns; each cell is the long row's bound to the digits asked."""
    from boundcalc.papertables import LatexOptions, bound_tables

    req = BoundRequest(PriorSource(classes=10), LossInput(loss=[2.02, 2.64, 3.29], k=[31, 63, 127], d=[-1.16, -1.17, -1.18]),
                       temperature=0.5)
    long = bound_report(req, "long")
    text = bound_tables(long.rows, long.title, long.notes, LatexOptions(digits=4))
    cells = _body(text)
    assert cells[0] == ["$K$", "31", "63", "127"]
    names = [c[0] for c in cells]
    assert names[1] == r"$L_{\mathrm{cont}}$" and names[2:] == ["Arora et al.", r"Nozawa \& Sato", "Ash et al.", "Bao et al."]
    method_of = dict(zip(names[2:], ["arora", "nozawa-sato", "ash", "bao"], strict=True))
    for line in cells[2:]:
        for k, got in zip((31, 63, 127), line[1:], strict=True):
            r = next(x for x in long.rows if x["k"] == k and x["method"] == method_of[line[0]])
            assert got == human_number(r["upper_bound"], 4, "latex")  # the same number, written for a paper
    assert "a uniform prior over $C = 10$ classes" in text and "Arora et al.\\ (2019)" in text


def test_compact_layout_takes_the_narrower_orientation():
    few = run("bound -c 10 --loss 2.02,2.64 --k 31,63 -t 0.5 -f latex").stdout
    many = run("bound -c 10 --loss 2 --k 31..40 -t 0.5 -f latex").stdout
    assert _body(few)[0][0] == "$K$" and len(_body(few)) == 6  # K across, methods down
    head = _body(many)[0]
    assert head[:2] == ["$K$", r"$L_{\mathrm{cont}}$"] and len(_body(many)) == 11  # ten K down, methods across
    for text in (few, many):
        assert "% boundcalc" not in text and "\\begin{table}[t]" in text  # fits a column


def test_a_table_wider_than_a_column_says_it_needs_table_star(tmp_path):
    res = runner.invoke(app, ["coverage", "--prior", "imagenet1k", "--k", "1000,7700,20000", "-o", str(tmp_path / "c.tex")])
    text = (tmp_path / "c.tex").read_text()
    assert res.exit_code == 0
    assert text.startswith("% boundcalc: the table: ") and "it needs table*" in text and "\\begin{table*}[t]" in text
    warning = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "it needs table*" in warning[0]
    asked = run("bound -c 10 --loss 2.02,2.64,3.29,5 --k 31,63,127,4 -t 0.5 -f latex --layout wide --table-env table")
    assert "\\begin{table}[t]" in asked.stdout and "(set as table, as asked)" in asked.stdout
    star = run("bound -c 10 --loss 2.02 --k 31 -t 0.5 -f latex --table-env table*").stdout
    assert "\\begin{table*}[t]" in star and "% boundcalc" not in star


def test_caption_label_and_run_names(tmp_path):
    res = run(f"{README_BOUND} -f latex --caption Bounds_for_CIFAR-100 --label tab:bounds --run-names version_0=SimCLR")
    assert res.exit_code == 0, res.output
    assert "\\caption{Bounds_for_CIFAR-100}\n\\label{tab:bounds}" in res.stdout
    assert _body(res.stdout)[0] == ["run", "SimCLR"]
    csv_rows = list(csv.DictReader(io.StringIO(run(f"{README_BOUND} -f csv --run-names version_0=SimCLR").stdout)))
    assert {r["run"] for r in csv_rows} == {"SimCLR"}
    bad = run(f"{README_BOUND} -f latex --run-names nope=x")
    assert bad.exit_code == 2 and "--run-names: no run is named 'nope'; the runs are version_0" in bad.output
    assert run(f"{README_BOUND} -f csv --caption x").exit_code == 2  # a LaTeX option with another format
    assert run("bound -c 10 --loss 2 --k 31 -f latex --label 'a b'").exit_code == 2
    assert run("bound -c 10 --loss 2 --k 31 -f markdown --layout compact").exit_code == 2


@pytest.mark.parametrize("cmd", [README_BOUND, BOUND, "bound -c 10 --loss 2.02 --k 31 -t 0.5 --measured-sup 1.3"])
def test_latex_speaks_the_papers_language(cmd):
    text = run(f"{cmd} -f latex").stdout
    for tool_word in ("set with", "--", "reduce:", "assumes_d_zero", "needs_temperature", "_status", "log_upper_bound"):
        assert tool_word not in text.replace("---", "").replace("% boundcalc", ""), tool_word


def test_measure_writes_two_compact_tables(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(ROOT)
    out = tmp_path / "m.tex"
    res = runner.invoke(app, [*README_MEASURE.split(), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert text.count("\\begin{table") == 2 and text.count("\\begin{tabular}") == 2
    terms, bounds = text.split("\\end{table", 1)[0], text.split("\\end{table", 1)[1]
    data = json.loads(runner.invoke(app, [*README_MEASURE.split(), "-f", "json"]).stdout)[0]
    lo, hi = data["intervals"]["l_cont"]
    assert f"{human_number(data['l_cont'], 3, 'latex')} [{human_number(lo, 3, 'latex')}, {human_number(hi, 3, 'latex')}]" in terms
    assert "95\\% bootstrap intervals" in terms and "Nozawa \\& Sato" in bounds and "[" in bounds
    assert "% boundcalc" not in text  # both fit a column


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex not installed")
def test_readme_tables_compile_in_a_two_column_article_without_overfull_boxes(tmp_path, monkeypatch):
    """The README's `bound … -o bounds.tex` and `measure … -o m.tex`, and a few more, in the
    two-column article a paper uses: pdflatex's log has no overfull box."""
    import subprocess

    monkeypatch.chdir(ROOT)
    commands = [README_BOUND, BOUND, "bound -c 100 --loss 4.2,4.4,4.7,5.0,5.4 --k 64,128,256,512,1024 -t 0.5",
                "bound -c 10 --loss 2.02,2.64,3.29 --k 31,63,127 --d -1.16,-1.17,-1.18 -t 0.5 --siunitx"]
    if __import__("importlib").util.find_spec("torch") is not None:
        commands.append(README_MEASURE)
    inputs = []
    for i, cmd in enumerate(commands):
        out = tmp_path / f"t{i}.tex"
        res = runner.invoke(app, [*cmd.split(), "-o", str(out)])
        assert res.exit_code == 0, (cmd, res.output)
        # Arora's bound at 5 K is 3.69×10²² wide in every cell: that one needs table* (and says so)
        assert ("it needs table*" in out.read_text()) == ("--k 64," in cmd), cmd
        inputs.append(f"\\input{{t{i}.tex}}\\clearpage")
    for options in ("10pt,twocolumn", "10pt,twocolumn,a4paper"):
        (tmp_path / "paper.tex").write_text(f"\\documentclass[{options}]{{article}}\\usepackage{{booktabs,amsmath,amssymb,siunitx}}"
                                            "\\begin{document}\n" + "\n".join(inputs) + "\n\\end{document}\n")
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:]
        log = (tmp_path / "paper.log").read_text(errors="replace")
        assert "Overfull \\hbox" not in log, log[log.find("Overfull"):][:500]


@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex not installed")
def test_width_estimates_are_within_three_percent_of_pdflatex(tmp_path):
    """The estimate that chooses a layout, against the width pdflatex sets the same tabular to."""
    import subprocess

    from boundcalc.papertables import SETTINGS, tabular_width

    tables = [run(f"{c} -f latex").stdout for c in (BOUND, "bound -c 10 --loss 2 --k 31..40 -t 0.5", README_BOUND,
                                                    "collision -c 100 --k 31,255", "draws --prior cifar100",
                                                    "negatives --prior imagenet1k --k 65536", "bound -c 10 --loss 2 --k 31 --layout long")]
    boxes, estimates = [], []
    for i, text in enumerate(tables):
        tab = "\\begin{tabular}" + text.split("\\begin{tabular}", 1)[1].split("\\end{tabular}", 1)[0] + "\\end{tabular}"
        for j, (size, pt, sep) in enumerate(SETTINGS):
            boxes.append(f"{{{size or ''}\\setlength{{\\tabcolsep}}{{{sep}pt}}\\sbox0{{{tab}}}\\typeout{{W{i}-{j}=\\the\\wd0}}}}")
            estimates.append((f"{i}-{j}", tabular_width(_body(text), pt, sep)))
    (tmp_path / "w.tex").write_text("\\documentclass[10pt]{article}\\usepackage{booktabs,amsmath,amssymb}\\begin{document}\n"
                                    + "\n".join(boxes) + "\n\\end{document}\n")
    out = subprocess.run(["pdflatex", "-interaction=nonstopmode", "w.tex"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120).stdout
    actual = {m.group(1): float(m.group(2)) for m in re.finditer(r"W(\d+-\d+)=([\d.]+)pt", out)}
    assert len(actual) == len(estimates)
    for key, est in estimates:
        assert abs(est / actual[key] - 1) < 0.03, (key, est, actual[key])


def test_narrow_terminals_keep_status_and_whole_intervals():
    from boundcalc.reports import Report

    req = BoundRequest(PriorSource(classes=10), LossInput(loss=[2.02], k=[31]), temperature=0.5)
    report = bound_report(req)
    natural = _fitted(report, 6, None)[0][0].width()
    tables, notes = _fitted(report, 6, natural - 1)  # one column too narrow: ln(bound) goes first, status stays
    text = "\n".join(line for t in tables for line in t.lines())
    assert "status" in text and "assumes_d_zero" in text and "L_sup ≤" in text
    assert "ln(bound)" not in text and any("ln(bound)" in n for n in notes)
    rows = [{"quantity": "L_cont", "value": 2.0123456789, "ci_low": 1.9123456789, "ci_high": 2.1123456789,
             "n_values": 12345678, "source": "x" * 30}]
    tables, _ = _fitted(Report("t", rows, ["quantity", "value", "ci_low", "ci_high", "n_values", "source"]), 10, 60)
    header = tables[0].lines()[2]
    assert ("95% low" in header) == ("95% high" in header)  # an interval is whole or absent
    assert "source" not in header and "95% low" in header
