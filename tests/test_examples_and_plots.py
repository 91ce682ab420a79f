"""Examples run end to end; figures are written and hold the expected numbers."""

from __future__ import annotations

import math
import runpy
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import boundcalc as bc
from boundcalc.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF", ".svg": b"<?xml"}


def load(name: str):
    sys.path.insert(0, str(EXAMPLES))
    try:
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")
    finally:
        sys.path.remove(str(EXAMPLES))


def assert_image(path: Path):
    assert path.exists() and path.stat().st_size > 1000
    assert path.read_bytes()[: len(MAGIC[path.suffix])] == MAGIC[path.suffix]
    if path.suffix == ".svg":
        assert "<svg" in path.read_text()


def test_table3_example():
    rows = load("table3")["main"]()
    assert {r["name"]: r["ceil"] for r in rows}["imagenet1k"] == 7709
    assert all(r["ceil"] == r["published"] for r in rows)


def test_cifar_example(tmp_path):
    pytest.importorskip("matplotlib")
    out = load("cifar_bounds")["main"](["--outdir", str(tmp_path)])
    ns = {b.k: b.upper_bound for b in out["cifar10"] if b.method == "nozawa-sato"}
    assert ns[31] == pytest.approx((2 * (2.02 + 1.16) - bc.collision_term(31, 10)) / bc.coverage_probability(32, 10), rel=1e-14)
    arora = [b.upper_bound for b in out["cifar10"] if b.method == "arora"]
    assert arora == sorted(arora) and arora[-1] > 1e23  # explodes with K
    assert max(ns.values()) < 10  # does not
    for name in ("cifar10", "cifar100"):
        assert_image(tmp_path / f"{name}_bounds.png")


def test_imagenet_coverage_example(tmp_path):
    pytest.importorskip("matplotlib")
    out = load("imagenet_coverage")["main"](["--outdir", str(tmp_path), "--k-max", "14000"])
    assert out["imagenet1k"]["k99"] == bc.draws_for_coverage(0.99, "imagenet1k") - 1
    assert out["uniform(C=1000)"]["upsilon_7701"] > out["imagenet1k"]["upsilon_7701"]
    data = out["figure_data"]["imagenet1k"]
    i = list(data["k"]).index(7700) if 7700 in data["k"] else None
    k0 = int(data["k"][len(data["k"]) // 2])
    assert data["upsilon"][len(data["k"]) // 2] == pytest.approx(bc.coverage_probability(k0 + 1, "imagenet1k"), rel=1e-14)
    assert i is None or data["upsilon"][i] == pytest.approx(bc.coverage_probability(7701, "imagenet1k"), rel=1e-14)
    assert_image(tmp_path / "imagenet_coverage.png")


def test_alternating_sum_example():
    rows = load("alternating_sum_failure")["main"]()
    assert max(r["boundcalc_rel_error"] for r in rows) < 1e-12
    assert max(r["float_rel_error"] for r in rows) > 1.0  # the float sum fails somewhere


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_plot_commands_write_files(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    runner = CliRunner()
    out = tmp_path / f"bounds{suffix}"
    res = runner.invoke(app, ["plot", "bounds", "--classes", "10", "--loss", "1.5,2.02,2.64", "--k", "5,31,63",
                              "--d", "-1.0,-1.16,-1.17", "-t", "0.5", "--measured-sup", "0.5,0.45,0.4", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert_image(out)
    out2 = tmp_path / f"coverage{suffix}"
    res = runner.invoke(app, ["plot", "coverage", "--classes", "100", "--prior", "cifar100", "--k-max", "1500", "-o", str(out2)])
    assert res.exit_code == 0, res.output
    assert_image(out2)


def test_bounds_figure_keeps_vacuous_and_off_scale_points():
    pytest.importorskip("matplotlib")
    from boundcalc.bounds import compute_bounds
    from boundcalc.plotting import bounds_figure

    rows = compute_bounds([1.5, 10.0], [5, 20000], 10, d=-1.0, temperature=0.5)
    fig, data = bounds_figure(rows)
    arora = dict((k, (u, s)) for k, u, s in data["arora"])
    assert arora[5] == (None, "vacuous") and arora[20000][0] == math.inf
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("no finite bound" in t for t in labels) and any("above the axis" in t for t in labels)
    assert "> float64" in [t.get_text() for t in fig.axes[0].texts]


def test_bounds_figure_keeps_the_informative_range():
    """Arora's bound at K + 1 just above C is ~1e22; the axis stays where the other bounds are,
    the exploded point is marked at the top edge with its value, and d = 0 points are hollow."""
    pytest.importorskip("matplotlib")
    from boundcalc.bounds import compute_bounds
    from boundcalc.plotting import bounds_figure

    ks = [64, 128, 256, 512, 1024]
    rows = compute_bounds([4.2, 4.4, 4.7, 5.0, 5.4], ks, 100, temperature=0.5)
    fig, _ = bounds_figure(rows)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    exploded = max(b.upper_bound for b in rows if b.upper_bound is not None)
    assert exploded > 1e20 and hi < 1e8 and lo > 0
    assert any(t.get_text().startswith(f"{exploded / 10 ** math.floor(math.log10(exploded)):.1f}e") for t in ax.texts)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("d(f) = 0 assumed" in t for t in labels)
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1  # outside the data area
    fig2, _ = bounds_figure(rows, ylim=(1.0, 1e30))
    assert fig2.axes[0].get_ylim() == pytest.approx((1.0, 1e30))
    with pytest.raises(ValueError, match="ylim"):
        bounds_figure(rows, ylim=(10.0, 1.0))


def test_coverage_figure_ten_priors_readable():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    from boundcalc.plotting import coverage_figure
    from boundcalc.priors import Prior

    priors = [Prior.uniform(c) for c in (5, 10, 20, 50, 100, 200, 300, 500, 700, 1000)]
    fig, data = coverage_figure(priors, 12000, points=60)
    top, bottom = fig.axes
    colors = {to_hex(line.get_color()) for line in top.get_lines() if line.get_label() and not line.get_label().startswith("_")}
    assert len(colors) == 10
    assert bottom.get_ylim()[1] <= 1.5 and bottom.get_xscale() == "log"  # 1 − υ ≤ 1; C = 5 not crushed
    legend = fig.legends[0].get_window_extent()
    assert legend.y1 <= bottom.get_window_extent().y0  # under the axes: hides no marker
    fig_lin, _ = coverage_figure(priors[-1:], 12000, points=60, logx=False)
    assert fig_lin.axes[1].get_xscale() == "linear"


def test_plot_errors():
    runner = CliRunner()
    res = runner.invoke(app, ["plot", "bounds", "-c", "10", "--loss", "2", "--k", "3", "-o", "x.gif"])
    assert res.exit_code == 2 and ".png" in res.output
    res = runner.invoke(app, ["plot", "coverage", "--k-max", "100"])
    assert res.exit_code == 2 and "at least one" in res.output
    res = runner.invoke(app, ["plot", "coverage", "--classes", "10", "--k-max", "60"])
    assert res.exit_code == 0 and "0.9" in res.output  # terminal chart
