"""The ``boundcalc`` command line. Each command parses its options into one of the library's
request objects (:mod:`boundcalc.reports`), calls one library function, and renders the report;
no mathematics and no decisions live here."""

import copy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import __version__
from ..errors import InputError
from .options import (
    Caption,
    Digits,
    Fmt,
    KList,
    Label,
    Method,
    OptKList,
    Output,
    Preset,
    PriorFile,
    RunNames,
    Seed,
    TableEnvOption,
    Title,
    WithoutReplacement,
    bound_request,
    prior_source,
    uses,
)
from .parse import parse_float_list, parse_int_list
from .render import Layout, XAxis, command, describe_output, emit, latex_options, output_format, progress_bar, say

if TYPE_CHECKING:
    from ..priors import PriorSource
    from ..reports import BoundRequest

__all__ = ["app", "plot_app", "main"]

app = typer.Typer(
    name="boundcalc",
    help="Exact, fast numbers for the theory of contrastive learning: coverage, collisions, "
    "coupon-collector draws, and the four published bounds on the supervised loss.",
    no_args_is_help=True,
    # click's plain help: typer's rich help imports markdown-it and pygments, which alone take
    # longer than numpy (issue 12: `boundcalc --help` within 1.3x of `import numpy`).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
plot_app = typer.Typer(help="Plots: bounds against K, coverage curves (needs the 'plot' extra).", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(plot_app, name="plot")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"boundcalc {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """boundcalc: the reference calculator for the theory of contrastive self-supervised learning."""


@app.command()
@command
@uses(source=prior_source)
def coverage(
    source: "PriorSource",
    k: OptKList = None,
    draws: Annotated[str | None, typer.Option("--draws", "-n", help="Number of draws K+1 instead of --k.")] = None,
    target: Annotated[float | None, typer.Option("--target", help="Also find the smallest K with υ_{K+1} ≥ this probability.")] = None,
    without_replacement: WithoutReplacement = False,
    fmt: Fmt = None,
    output: Output = None,
    digits: Digits = 10,
) -> None:
    """Coverage υ_{K+1}: the probability that K+1 draws contain every class.

    Example: boundcalc coverage --classes 1000 --k 7700
    """
    from ..reports import CoverageRequest, coverage_report

    req = CoverageRequest(
        source,
        k=None if k is None else parse_int_list(k, "--k"),
        draws=None if draws is None else parse_int_list(draws, "--draws"),
        target=target,
        replace=not without_replacement,
    )
    with progress_bar("coverage", total=len(req.k or req.draws or [])) as advance:
        report = coverage_report(req, advance)
    emit(report, output_format(fmt, output), output, digits)


@app.command()
@command
@uses(source=prior_source)
def collision(source: "PriorSource", k: KList, without_replacement: WithoutReplacement = False, fmt: Fmt = None,
              output: Output = None, digits: Digits = 10) -> None:
    """Collisions: τ_K = P(a negative shares the anchor's class), E[Col], E[ln(1+Col)].

    Example: boundcalc collision --classes 10 --k 31,63,127
    """
    from ..reports import CollisionRequest, collision_report

    ks = parse_int_list(k, "--k")
    with progress_bar("collisions", total=len(ks)) as advance:
        report = collision_report(CollisionRequest(source, ks, not without_replacement), advance)
    emit(report, output_format(fmt, output), output, digits)


@app.command()
@command
@uses(source=prior_source)
def draws(
    source: "PriorSource",
    quantiles: Annotated[str, typer.Option("--quantiles", "-q", help="Comma list of probabilities.")] = "0.5,0.9,0.99",
    without_replacement: WithoutReplacement = False,
    fmt: Fmt = None,
    output: Output = None,
    digits: Digits = 10,
) -> None:
    """Draws T until every class is seen: E[T], sd, and quantiles (the K+1 needed).

    Example: boundcalc draws --prior imagenet1k
    """
    from ..reports import DrawsRequest, draws_report

    req = DrawsRequest(source, parse_float_list(quantiles, "--quantiles"), not without_replacement)
    emit(draws_report(req), output_format(fmt, output), output, digits)


@app.command()
@command
@uses(req=bound_request)
def bound(
    req: "BoundRequest",
    fmt: Fmt = None,
    output: Output = None,
    digits: Annotated[int | None, typer.Option(
        "--digits", min=1, max=17, help="Significant digits in table, markdown and latex output (default 6; 3 in a compact table).")] = None,
    layout: Annotated[Layout | None, typer.Option(
        "--layout", help="compact (LaTeX default): methods against K, or the transpose, whichever is narrower; wide: a row per K, "
        "a column per bound (markdown default); long: a row per bound.")] = None,
    siunitx: Annotated[bool, typer.Option(
        "--siunitx", help="LaTeX numbers in siunitx S columns.")] = False,
    table_env: TableEnvOption = None,
    caption: Caption = None,
    label: Label = None,
    run_names: RunNames = None,
) -> None:
    """The four bounds on the supervised loss L_sup, side by side, for each K.

    Example: boundcalc bound --classes 10 --loss 2.02 --k 31 --d -1.16 --temperature 0.5

    From training logs (docs/logs.md): boundcalc bound --prior cifar100 --log lightning_logs/
    """
    from ..formats import default_layout
    from ..reports import bound_report

    chosen = output_format(fmt, output)
    how = layout.value if layout is not None else default_layout(chosen)
    latex = latex_options(chosen, table_env, caption, label)
    if how == "compact" and chosen != "latex":
        raise InputError(f"layout: compact is a LaTeX layout (for {chosen}: wide or long)")
    report = bound_report(req, "long" if how == "compact" else how)
    emit(report, chosen, output, digits, siunitx, layout=how, latex=latex, run_names=run_names)


@app.command()
@command
@uses(source=prior_source)
def simulate(
    source: "PriorSource",
    k: Annotated[int, typer.Option("--k", "-k", help="Negatives K (one value).")],
    trials: Annotated[int, typer.Option("--trials", "-T", help="Monte Carlo trials.")] = 100_000,
    seed: Seed = None,
    without_replacement: WithoutReplacement = False,
    fmt: Fmt = None,
    output: Output = None,
    digits: Digits = 6,
) -> None:
    """Monte Carlo estimates with 95% intervals beside the exact values.

    Example: boundcalc simulate --classes 10 --k 31 --trials 100000 --seed 0
    """
    from ..reports import SimulateRequest, simulate_report

    req = SimulateRequest(source, k, trials, seed, not without_replacement)
    with progress_bar("simulating", total=3 * max(trials, 0)) as advance:
        report = simulate_report(req, advance)
    emit(report, output_format(fmt, output), output, digits)


@app.command()
@command
def measure(
    k: Annotated[str, typer.Option("--k", "-k", help="Negatives K: batches of K+1 rows; a list 31,63,127 (or a range 32..1024:x2) "
                                   "measures each K from the same features, one row per K.")],
    temperature: Annotated[float, typer.Option("--temperature", "-t", help="Temperature t of the scores.")],
    features: Annotated[tuple[Path, Path] | None, typer.Option("--features", help="Two views' features Z1 Z2 (N×D, .npy or .pt).")] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="Labels Y (N integer class ids, .npy or .pt).")] = None,
    encoder: Annotated[str | None, typer.Option("--encoder", help="module:factory returning the encoder (instead of --features).")] = None,
    data: Annotated[str | None, typer.Option("--data", help="module:factory returning a loader of (views, labels).")] = None,
    means: Annotated[Path | None, typer.Option("--means", help="Mean-classifier weights μ (C×D); default: class means of the features.")] = None,
    averaged_features: Annotated[Path | None, typer.Option(
        "--averaged-features", help="N×D features averaged over independent augmentations (m for μ and d).")] = None,
    augmentations: Annotated[int, typer.Option(
        "--augmentations", min=0, help="With --encoder: m from this many independent augmentations (the authors: 10).")] = 0,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed of the row shuffle and the bootstrap.")] = 0,
    keep_order: Annotated[bool, typer.Option("--keep-order", help="Batch the rows as given (pre-batched features), no shuffle.")] = False,
    passes: Annotated[int, typer.Option("--passes", min=1, help="Pool this many reshuffled passes (with --encoder: fresh augmentations).")] = 1,
    bootstrap: Annotated[int | None, typer.Option("--bootstrap", min=0, help="Bootstrap replicates for the 95% intervals (0: none; default 400).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 … (default: CUDA when present).")] = None,
    amp: Annotated[bool, typer.Option("--amp", help="Automatic mixed precision when running --encoder.")] = False,
    classes: Annotated[int | None, typer.Option("--classes", "-c", help="Number of classes C (labels 0..C−1; default: the distinct labels).")] = None,
    train_features: Annotated[tuple[Path, Path] | None, typer.Option(
        "--train-features", help="A training split's two views Z1 Z2: μ = its class means (the authors' protocol); every term on --features.")] = None,
    train_labels: Annotated[Path | None, typer.Option("--train-labels", help="The training split's labels (with --train-features).")] = None,
    train_averaged_features: Annotated[Path | None, typer.Option(
        "--train-averaged-features", help="The training split's features averaged over augmentations (m for μ; the authors: 10).")] = None,
    train_data: Annotated[str | None, typer.Option(
        "--train-data", help="With --encoder: module:factory of the training split's loader (μ from it, averaged over --augmentations).")] = None,
    prior: Preset = None,
    prior_file: PriorFile = None,
    method: Method = "all",
    fmt: Fmt = None,
    output: Output = None,
    digits: Annotated[int | None, typer.Option(
        "--digits", min=1, max=17, help="Significant digits in table output (default 6; 3 in LaTeX).")] = None,
    table_env: TableEnvOption = None,
    caption: Caption = None,
    label: Label = None,
) -> None:
    """Measure every term of the bounds from saved features (or an encoder), with 95% intervals; then the bounds.

    Example: boundcalc measure --features z1.npy z2.npy --labels y.npy --k 31,63,127 --temperature 0.5

    The authors' protocol (μ from the training split): add --train-features t1.npy t2.npy --train-labels ty.npy

    From your encoder: boundcalc measure --encoder examples.torch_encoder:make_encoder --data examples.torch_encoder:make_loader --k 15 -t 0.5
    """
    from ..priors import PriorSource
    from ..reports import MeasureRequest, measure_report

    given = any(x is not None for x in (prior, prior_file))
    ks = parse_int_list(k, "--k")
    req = MeasureRequest(ks[0] if len(ks) == 1 else ks, temperature, features=features, labels=labels, encoder=encoder, data=data,
                         means=means, seed=seed, device=device, amp=amp, prior=PriorSource(None, prior, prior_file) if given else None,
                         methods=method, classes=classes, averaged_features=averaged_features, augmentations=augmentations,
                         keep_order=keep_order, passes=passes, bootstrap=bootstrap, train_features=train_features,
                         train_labels=train_labels, train_averaged_features=train_averaged_features, train_data=train_data)
    chosen = output_format(fmt, output)
    latex = latex_options(chosen, table_env, caption, label)
    with progress_bar("measuring") as advance:
        report = measure_report(req, advance)
    emit(report, chosen, output, digits, layout="compact" if chosen == "latex" else None, latex=latex)


Fractions = Annotated[str, typer.Option("--fraction", help="Hardest fractions of the K negatives (comma list).")]
Confidence = Annotated[float, typer.Option("--confidence", help="Probability that the deputy-rank negative is of another class.")]


@app.command()
@command
@uses(source=prior_source)
def negatives(
    source: "PriorSource",
    k: KList,
    fraction: Fractions = "0.001,0.01,0.05",
    confidence: Confidence = 0.99,
    without_replacement: WithoutReplacement = False,
    fmt: Fmt = None,
    output: Output = None,
    digits: Digits = 6,
) -> None:
    """Same-class ("false") negatives among the hardest: the share an ideally clustered encoder puts
    there, the share at random, and the deputy rank (Morcos et al. 2020; Wang et al. 2021).

    Example: boundcalc negatives --prior imagenet1k --k 65536
    """
    from ..reports import NegativesRequest, negatives_report

    req = NegativesRequest(source, parse_int_list(k, "--k"), parse_float_list(fraction, "--fraction"), confidence,
                           not without_replacement)
    emit(negatives_report(req), output_format(fmt, output), output, digits)


@app.command()
@command
def presets(fmt: Fmt = None, output: Output = None) -> None:
    """The named priors, with C and E[T].

    Example: boundcalc presets
    """
    from ..reports import presets_report

    emit(presets_report(), output_format(fmt, output), output, 10)


@plot_app.command("bounds")
@command
@uses(req=bound_request)
def plot_bounds_command(
    req: "BoundRequest",
    output: Annotated[Path, typer.Option("--output", "-o", help="Figure file: .png, .svg or .pdf.", readable=False)],
    title: Title = None,
    ylim: Annotated[str | None, typer.Option(
        "--ylim", help="y-axis range LOW,HIGH (default: the informative range; bounds above it marked at the edge).")] = None,
    accuracy: Annotated[str | None, typer.Option(
        "--accuracy", help="Measured accuracy (a fraction; one, or one per K or run) on a second axis.")] = None,
    x: Annotated[XAxis, typer.Option("--x", help="x-axis: k (negatives K) or draws (K + 1, as the papers plot it).")] = XAxis.k,
    linear_y: Annotated[bool, typer.Option("--linear-y", help="A linear y-axis (default: log).")] = False,
    run_names: RunNames = None,
) -> None:
    """Every bound against K, the chance loss ln C (or H(ρ)) as a line, measured L_sup as points, accuracy on a second axis.

    Example: boundcalc plot bounds --classes 10 --loss 2.02,2.64,3.29 --k 31,63,127 --d -1.16,-1.17,-1.18 -t 0.5 -o bounds.png
    """
    from ..reports import plot_bounds

    limits = None
    if ylim is not None:
        lo_hi = parse_float_list(ylim, "--ylim")
        if len(lo_hi) != 2:
            raise InputError(f"ylim: two numbers LOW,HIGH, got {ylim!r}")
        limits = (lo_hi[0], lo_hi[1])
    acc = None if accuracy is None else parse_float_list(accuracy, "--accuracy")
    path = plot_bounds(req, output, title, limits, accuracy=acc, x=x.value, linear_y=linear_y, run_names=run_names)
    say(f"wrote {describe_output(path)}")


@plot_app.command("coverage")
@command
def plot_coverage_command(
    k_max: Annotated[int, typer.Option("--k-max", help="Largest K on the axis.")],
    classes: Annotated[list[int], typer.Option("--classes", "-c", help="Uniform prior over C classes (repeatable).")] = [],  # noqa: B006
    prior: Annotated[list[str], typer.Option("--prior", "-p", help="Preset name (repeatable).")] = [],  # noqa: B006
    prior_file: Annotated[list[Path], typer.Option("--prior-file", help="Counts or weights file (repeatable).")] = [],  # noqa: B006
    labels: Annotated[list[Path], typer.Option("--labels", help="Per-sample labels file (repeatable).")] = [],  # noqa: B006
    without_replacement: WithoutReplacement = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Figure file (.png, .svg, .pdf); without it, a terminal chart.",
                                                     readable=False)] = None,
    title: Title = None,
    logx: Annotated[bool | None, typer.Option(
        "--logx/--linear-x", help="K on a log axis (default: when k-max exceeds the smallest C fifty-fold).")] = None,
) -> None:
    """Coverage υ_{K+1} and 1 − υ against K, E[T] and the 50/90/99% points marked; several priors share one plot.

    Example: boundcalc plot coverage --classes 1000 --prior imagenet1k --k-max 16000 -o coverage.png
    """
    from ..priors import PriorSource
    from ..reports import CoveragePlotRequest, coverage_chart_report, plot_coverage

    sources = [PriorSource(classes=c) for c in classes] + [PriorSource(preset=n) for n in prior]
    sources += [PriorSource(prior_file=f) for f in prior_file] + [PriorSource(labels=f) for f in labels]
    req = CoveragePlotRequest(sources, k_max, not without_replacement, logx)
    if output is None:
        emit(coverage_chart_report(req), "table", None, 4)
    else:
        say(f"wrote {describe_output(plot_coverage(req, output, title))}")


@plot_app.command("negatives")
@command
@uses(source=prior_source)
def plot_negatives_command(
    source: "PriorSource",
    k_max: Annotated[int, typer.Option("--k-max", help="Largest K on the axis.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Figure file: .png, .svg or .pdf.", readable=False)],
    fraction: Fractions = "0.001,0.01,0.05",
    confidence: Confidence = 0.99,
    without_replacement: WithoutReplacement = False,
    title: Title = None,
) -> None:
    """The same-class share of the hardest 0.1/1/5% of negatives and the deputy rank against K.

    Example: boundcalc plot negatives --prior imagenet1k --k-max 65536 -o negatives.png
    """
    from ..reports import NegativesPlotRequest, plot_negatives

    req = NegativesPlotRequest(source, k_max, parse_float_list(fraction, "--fraction"), confidence, not without_replacement)
    say(f"wrote {describe_output(plot_negatives(req, output, title))}")


def _app_for(args: list[str]) -> typer.Typer:
    """The application reduced to the one top-level command ``args`` name, if they name one:
    typer builds the options of every registered command on start-up, which for a quick command
    costs more than running it. Help, ``plot`` and unknown names get the whole application."""
    name = args[0] if args else ""
    chosen = [c for c in app.registered_commands if (c.name or c.callback.__name__ if c.callback else None) == name]
    if not chosen:
        return app
    lean = copy.copy(app)
    lean.registered_commands = chosen
    lean.registered_groups = []
    return lean


def main() -> None:
    """Entry point of the console script: usage errors, like every other error, are one line
    on stderr naming the option, with exit status 2 (click's own errors carry
    ``format_message`` and ``exit_code``, whichever copy of click typer uses)."""
    cli = typer.main.get_command(_app_for(sys.argv[1:]))
    try:
        code = cli.main(standalone_mode=False, prog_name="boundcalc")
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        message = getattr(exc, "format_message", None)
        if message is None or not isinstance(getattr(exc, "exit_code", None), int):
            raise
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            sys.exit(0)
        sys.stderr.write(f"error: {message()}\n")
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    sys.exit(code if isinstance(code, int) else 0)
