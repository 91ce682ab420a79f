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
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
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
    e = math.floor(math.log10(exploded))
    assert any(f"{exploded / 10**e:.2f}\\times10^{{{e}}}" in t.get_text() for t in ax.texts)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("d(f) = 0 assumed" in t for t in labels)
    legend_box = fig.legends[0].get_window_extent()
    assert legend_box.y1 <= ax.get_window_extent().y0  # under the axes: outside the data area
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


# ------------------------------------------------------------------ figures that read like the papers'
README_PLOT = ["--classes", "10", "--loss", "2.02,2.64,3.29", "--k", "31,63,127", "--d", "-1.16,-1.17,-1.18", "-t", "0.5"]


def _readme_rows():
    from boundcalc.bounds import compute_bounds

    return compute_bounds([2.02, 2.64, 3.29], [31, 63, 127], 10, d=[-1.16, -1.17, -1.18], temperature=0.5)


def _boxes(fig, artists):
    fig.draw_without_rendering()
    return [a.get_window_extent() for a in artists if (a.get_text() if hasattr(a, "get_text") else True)]


def test_ticks_are_the_k_plotted_and_the_chance_line_is_drawn():
    pytest.importorskip("matplotlib")
    from boundcalc.plotting import bounds_figure

    rows = _readme_rows()
    fig, _ = bounds_figure(rows, prior=bc.Prior.uniform(10))
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [31, 63, 127]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["31", "63", "127"]
    chance = [line for line in ax.get_lines() if len(line.get_ydata()) == 2 and line.get_linestyle() == "--"]
    assert chance and chance[0].get_ydata()[0] == pytest.approx(math.log(10), rel=1e-15)
    assert any(t.get_text().startswith("ln C = 2.303: chance") for t in fig.legends[0].get_texts())
    fig2, _ = bounds_figure(rows, prior=bc.Prior.uniform(10), x="draws")
    assert list(fig2.axes[0].get_xticks()) == [32, 64, 128] and "K+1" in fig2.axes[0].get_xlabel()
    imagenet = bc.Prior.preset("imagenet1k")
    from boundcalc.bounds import compute_bounds

    fig3, _ = bounds_figure(compute_bounds([7.0, 7.5], [8191, 16383], imagenet, temperature=0.1), prior=imagenet)
    assert any(f"H(ρ) = {imagenet.entropy:.4g}" in t.get_text() for t in fig3.legends[0].get_texts())
    with pytest.raises(ValueError, match="x: one of k, draws"):
        bounds_figure(rows, x="log")


def test_off_axis_values_stack_without_overlap_and_lines_reach_the_top():
    pytest.importorskip("matplotlib")
    from boundcalc.bounds import compute_bounds
    from boundcalc.plotting import bounds_figure

    for rows, runs in ((_readme_rows(), None),
                       (compute_bounds([2.0, 2.05, 2.6, 2.7, 3.3, 3.3], [31, 31, 63, 63, 127, 127], 10, d=-1.1, temperature=0.5),
                        None)):
        fig, _ = bounds_figure(rows, runs=runs, ylim=(2.0, 8.0))
        ax = fig.axes[0]
        top = ax.get_window_extent().y1
        marks = [t for t in ax.texts if t.get_window_extent().y0 >= top - 1]  # the values above the top edge
        assert len(marks) >= 4
        boxes = _boxes(fig, marks)
        assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        arora = [line for line in ax.get_lines() if line.get_color() == "#d62728" and len(line.get_xdata()) > 1]
        assert arora and max(arora[0].get_ydata()) > ax.get_ylim()[1]  # the line goes on beyond the top edge
    texts = [t.get_text() for t in ax.texts]
    assert any("–" in t for t in texts)  # two runs at one K: one marker, the range of their values


def test_plain_tick_labels_at_any_ylim_and_linear_y():
    pytest.importorskip("matplotlib")
    from boundcalc.plotting import bounds_figure

    for ylim in ((2.0, 8.0), (1.5, 3.0), (0.5, 50.0), (1.0, 1e30)):
        fig, _ = bounds_figure(_readme_rows(), ylim=ylim)
        ax = fig.axes[0]
        labels = [ax.yaxis.get_major_formatter()(v) for v in ax.get_yticks() if ylim[0] <= v <= ylim[1]]
        assert len(labels) >= 2
        assert not any("10^{0}" in t or "times10^{1}" in t for t in labels), labels
    fig, _ = bounds_figure(_readme_rows(), ylim=(2.0, 8.0))
    ax = fig.axes[0]
    assert [ax.yaxis.get_major_formatter()(v) for v in ax.get_yticks()][:3] == ["2", "3", "4"]
    lin, _ = bounds_figure(_readme_rows(), linear_y=True)
    assert lin.axes[0].get_yscale() == "linear" and lin.axes[0].get_ylim()[0] == 0
    assert lin.axes[0].get_ylim()[1] < 20  # the informative range: Arora's and Ash's 10^3–10^6 go to the top edge


def test_runs_sharing_a_k_get_a_marker_each_and_accuracy_a_second_axis():
    pytest.importorskip("matplotlib")
    from boundcalc.bounds import compute_bounds
    from boundcalc.plotting import bounds_figure

    ks = [31, 31, 63, 63]
    rows = compute_bounds([2.0, 2.1, 2.6, 2.7], ks, 10, d=-1.1, temperature=0.5)
    runs = [name for name in ("seed0", "seed1", "seed0", "seed1") for _ in range(4)]
    fig, _ = bounds_figure(rows, runs=runs, accuracy=[0.75, 0.74, 0.72, 0.73], prior=bc.Prior.uniform(10))
    ax, ax2 = fig.axes
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert "seed0" in labels and "seed1" in labels and "accuracy (right axis)" in labels
    handles = dict(zip(labels, legend.legend_handles, strict=True))
    assert handles["seed0"].get_marker() != handles["seed1"].get_marker()
    bao = [line for line in ax.get_lines() if line.get_color() == "#9467bd" and len(line.get_xdata()) == 1]
    assert {line.get_marker() for line in bao} == {handles["seed0"].get_marker(), handles["seed1"].get_marker()}
    assert len({float(line.get_xdata()[0]) for line in bao}) == 4  # runs at one K drawn apart
    accs = sorted(float(y) for line in ax2.get_lines() if len(line.get_ydata()) == 1 for y in line.get_ydata())
    assert accs == [0.72, 0.73, 0.74, 0.75] and ax2.get_ylim()[0] < 0.72 < 0.75 < ax2.get_ylim()[1]
    with pytest.raises(ValueError, match="accuracy"):
        bounds_figure(rows, runs=runs, accuracy=[0.7, 0.8])
    with pytest.raises(ValueError, match="accuracy"):
        bounds_figure(rows, runs=runs, accuracy=[1.5])


def test_figures_are_library_safe(tmp_path):
    """No pyplot, no backend switch: a caller's backend is what it was after a figure is made
    and saved; figures are freed once the caller lets go of them."""
    import subprocess

    code = f"""
import gc, sys, weakref
import matplotlib
matplotlib.use("svg")
import boundcalc as bc
import boundcalc.plotting as p
from boundcalc.bounds import compute_bounds
fig, _ = p.bounds_figure(compute_bounds([2.02, 2.64], [31, 63], 10, temperature=0.5))
p.save(fig, {str(tmp_path / "a.png")!r}); p.save(fig, {str(tmp_path / "a.pdf")!r})
c, _ = p.coverage_figure([bc.Prior.uniform(10)], 100, points=20)
n, _ = p.negatives_figure(bc.Prior.uniform(10), 50)
refs = [weakref.ref(f) for f in (fig, c, n)]
del fig, c, n
gc.collect()
from boundcalc.reports import BoundRequest, LossInput, plot_bounds
from boundcalc.priors import PriorSource
plot_bounds(BoundRequest(PriorSource(classes=10), LossInput(loss=[2.0], k=[31])), {str(tmp_path / "b.png")!r})
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules, [r() is None for r in refs])
"""
    pytest.importorskip("matplotlib")
    env = {**__import__("os").environ, "PYTHONPATH": str(EXAMPLES.parent)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.stdout.strip() == "svg False [True, True, True]", res.stderr[-2000:]
    for name in ("a.png", "a.pdf", "b.png"):
        assert_image(tmp_path / name)


def test_figures_draw_into_the_callers_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from boundcalc.plotting import bounds_figure, coverage_figure

    mine = Figure()
    ax = mine.add_subplot(1, 2, 1)
    fig, _ = bounds_figure(_readme_rows(), ax=ax)
    assert fig is mine and ax.get_lines() and len(mine.axes) == 1 and ax.get_legend() is not None
    top, bottom = mine.add_subplot(2, 2, 2), mine.add_subplot(2, 2, 4)
    fig2, _ = coverage_figure([bc.Prior.uniform(10)], 100, points=20, axes=(top, bottom))
    assert fig2 is mine and top.get_lines() and bottom.get_lines()


def test_figures_are_written_like_every_output(tmp_path):
    pytest.importorskip("matplotlib")
    from boundcalc.plotting import bounds_figure, save

    fig, _ = bounds_figure(_readme_rows())
    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.png"
    link.symlink_to(target)
    save(fig, link)
    assert link.is_symlink() and target.read_bytes()[:4] == b"\x89PNG" and (target.stat().st_mode & 0o777) == 0o640

    def broken(fh, **kw):
        fh.write(b"half a figure")
        raise OSError(28, "No space left on device")

    fig.savefig = broken
    before = target.read_bytes()
    with pytest.raises(OSError, match="No space left"):
        save(fig, target)
    assert target.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["link.png", "real.png"]


def test_plot_bounds_command_options(tmp_path):
    pytest.importorskip("matplotlib")
    runner = CliRunner()
    out = tmp_path / "b.png"
    res = runner.invoke(app, ["plot", "bounds", *README_PLOT, "--x", "draws", "--accuracy", "0.75,0.74,0.73", "--linear-y",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert_image(out)
    bad = runner.invoke(app, ["plot", "bounds", *README_PLOT, "--accuracy", "0.75,0.74", "-o", str(out)])
    assert bad.exit_code == 2 and "--accuracy" in bad.output
    bad = runner.invoke(app, ["plot", "bounds", *README_PLOT, "--run-names", "a=b", "-o", str(out)])
    assert bad.exit_code == 2 and "--run-names" in bad.output
