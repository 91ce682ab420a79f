"""The ``boundcalc`` command line: parses, calls the library, renders. No mathematics here."""

from __future__ import annotations

import math
import sys
import warnings
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__

app = typer.Typer(
    name="boundcalc",
    help="Exact, fast numbers for the theory of contrastive learning: coverage, collisions, "
    "coupon-collector draws, and the four published bounds on the supervised loss.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
plot_app = typer.Typer(help="Plots: bounds against K, coverage curves (needs the 'plot' extra).", no_args_is_help=True)
app.add_typer(plot_app, name="plot")

out_console = Console()
err_console = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


# ------------------------------------------------------------------ shared options
ClassesOpt = typer.Option(None, "--classes", "-c", help="Uniform prior over C classes.", rich_help_panel="Prior")
PriorOpt = typer.Option(
    None, "--prior", "-p", help="Preset: binary, ag_news, cifar10, cifar100, wiki3029, imagenet1k, imagenet_lt, places_lt.",
    rich_help_panel="Prior",
)
PriorFileOpt = typer.Option(
    None, "--prior-file", help="Per-class counts or weights: JSON, CSV/TSV, text (one per line) or .npy.", rich_help_panel="Prior"
)
LabelsOpt = typer.Option(None, "--labels", help="Per-sample labels (text, CSV column or .npy); counts are computed.", rich_help_panel="Prior")
FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.", rich_help_panel="Output")
OutputOpt = typer.Option(None, "--output", "-o", help="Write to this file instead of the terminal.", rich_help_panel="Output")
DigitsOpt = typer.Option(10, "--digits", min=1, max=17, help="Significant digits in table, markdown and latex output.", rich_help_panel="Output")
WorOpt = typer.Option(False, "--without-replacement", help="Draw without replacement from the pool of per-class counts.")


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def command(func: Callable) -> Callable:
    """Turn library errors into one line on stderr and exit status 2; show warnings."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = func(*args, **kwargs)
            except (ValueError, TypeError, ImportError, OSError, OverflowError, FloatingPointError) as exc:
                _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            finally:
                for w in caught:
                    if issubclass(w.category, UserWarning):
                        err_console.print(f"[yellow]warning:[/] {escape(str(w.message))}", soft_wrap=True)
        return result

    return wrapper


def _prior(classes, prior, prior_file, labels):
    from .priors import Prior

    given = [x is not None for x in (classes, prior, prior_file, labels)]
    if sum(given) != 1:
        raise ValueError("give exactly one of --classes, --prior, --prior-file, --labels")
    if classes is not None:
        if classes < 1:
            raise ValueError(f"--classes: must be at least 1, got {classes}")
        return Prior.uniform(classes)
    if prior is not None:
        return Prior.preset(prior)
    if prior_file is not None:
        return Prior.from_file(prior_file)
    return Prior.from_file(labels, labels=True)


def _pool_prior(p, without_replacement: bool):
    """Check that a prior used with --without-replacement defines a pool of per-class counts."""
    if without_replacement and not p.is_counts:
        raise ValueError("--without-replacement needs per-class counts (--prior-file, --labels or a count preset such as imagenet1k)")
    return p


def _ks(k: Optional[str], draws: Optional[str]) -> list[int]:
    from .logs import parse_int_list

    if (k is None) == (draws is None):
        raise ValueError("give exactly one of --k and --draws")
    if k is not None:
        return parse_int_list(k, "--k")
    ns = parse_int_list(draws, "--draws")
    if min(ns) < 1:
        raise ValueError("--draws: at least 1 (the anchor itself is one draw; draws = K + 1)")
    return [n - 1 for n in ns]


def _emit(rows: list[dict], columns: list[str], fmt: Format, output: Optional[Path], title: str,
          digits: int, notes: list[str] = (), json_columns: list[str] | None = None) -> None:
    from .formats import render_text, rich_table

    if fmt == Format.table:
        table = rich_table(rows, columns, title=title, digits=digits)
        if output is not None:
            with open(output, "w") as fh:
                con = Console(file=fh, width=200, no_color=True)
                con.print(table)
                for n in notes:
                    con.print(n)
        else:
            out_console.print(table)
            for n in notes:
                out_console.print(f"[dim]{escape(n)}[/]", soft_wrap=True)
        return
    cols = json_columns or columns
    selected = [{c: r.get(c) for c in cols} for r in rows]
    text = render_text(selected, cols, fmt.value, digits=min(digits, 6) if fmt in (Format.markdown, Format.latex) else digits, title=title)
    if output is not None:
        Path(output).write_text(text)
        err_console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


def _version(value: bool):
    if value:
        out_console.print(f"boundcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
):
    """boundcalc: the reference calculator for the theory of contrastive self-supervised learning."""


# ------------------------------------------------------------------------ coverage
@app.command()
@command
def coverage(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    k: Optional[str] = typer.Option(None, "--k", "-k", help="Negatives K: 7700, a list 31,63,127 or a range 32..1024:x2."),
    draws: Optional[str] = typer.Option(None, "--draws", "-n", help="Number of draws K+1 instead of --k."),
    target: Optional[float] = typer.Option(None, "--target", help="Also find the smallest K with υ_{K+1} ≥ this probability."),
    without_replacement: bool = WorOpt,
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = DigitsOpt,
):
    """Coverage υ_{K+1}: the probability that K+1 draws contain every class.

    Example: [bold]boundcalc coverage --classes 1000 --k 7700[/]
    """
    from .coverage import cover_time, log_coverage_probability, log_coverage_sf

    p = _pool_prior(_prior(classes, prior, prior_file, labels), without_replacement)
    ks = _ks(k, draws)
    replace = not without_replacement
    t = cover_time(p, replace)
    import numpy as np

    n = np.asarray(ks, dtype=np.int64) + 1
    lc = np.atleast_1d(log_coverage_probability(n, p, replace))
    ls = np.atleast_1d(log_coverage_sf(n, p, replace))
    mean = t.mean()
    k_target = None
    if target is not None:
        if not 0 < target < 1:
            raise ValueError(f"--target: a probability strictly between 0 and 1, got {target}")
        k_target = int(t.ppf(target)) - 1
    rows = []
    for kv, a, b in zip(ks, lc, ls):
        row = {
            "k": kv, "draws": kv + 1, "upsilon": math.exp(a), "log_upsilon": float(a),
            "one_minus_upsilon": math.exp(b), "log_one_minus_upsilon": float(b), "expected_draws": mean,
            "prior": p.name, "classes": p.n_classes, "sampling": "without_replacement" if without_replacement else "iid",
        }
        if target is not None:
            row.update(target=target, k_for_target=k_target)
        rows.append(row)
    cols = ["k", "draws", "upsilon", "log_upsilon", "one_minus_upsilon"]
    notes = [f"E[T] = {mean:.{digits}g} draws to see every class (⌈E[T]⌉ = {math.ceil(mean)})"]
    if target is not None:
        notes.append(f"smallest K with υ_(K+1) ≥ {target:g}: K = {k_target}")
    title = f"coverage — {p}" + (" — without replacement" if without_replacement else "")
    _emit(rows, cols, fmt, output, title, digits, notes, json_columns=list(rows[0]))


# ------------------------------------------------------------------------ collision
@app.command()
@command
def collision(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    k: str = typer.Option(..., "--k", "-k", help="Negatives K: one value, a list or a range."),
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = DigitsOpt,
):
    """Collisions: τ_K = P(a negative shares the anchor's class), E[Col], E\\[ln(1+Col)].

    Example: [bold]boundcalc collision --classes 10 --k 31,63,127[/]
    """
    import numpy as np

    from .collision import collision_mean, collision_probability, collision_term
    from .logs import parse_int_list

    p = _prior(classes, prior, prior_file, labels)
    ks = np.asarray(parse_int_list(k, "--k"), dtype=np.int64)
    tau = np.atleast_1d(collision_probability(ks, p))
    mean = np.atleast_1d(collision_mean(ks, p))
    term = np.atleast_1d(collision_term(ks, p))
    rows = [{"k": int(a), "tau": float(b), "expected_collisions": float(c), "collision_term": float(d),
             "prior": p.name, "classes": p.n_classes} for a, b, c, d in zip(ks, tau, mean, term)]
    _emit(rows, ["k", "tau", "expected_collisions", "collision_term"], fmt, output, f"collisions — {p}", digits,
          json_columns=list(rows[0]))


# ------------------------------------------------------------------------ draws
@app.command()
@command
def draws(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    quantiles: str = typer.Option("0.5,0.9,0.99", "--quantiles", "-q", help="Comma list of probabilities."),
    without_replacement: bool = WorOpt,
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = DigitsOpt,
):
    """Draws T until every class is seen: E[T], sd, and quantiles (the K+1 needed).

    Example: [bold]boundcalc draws --prior imagenet1k[/]
    """
    from .coverage import cover_time
    from .logs import parse_float_list

    p = _pool_prior(_prior(classes, prior, prior_file, labels), without_replacement)
    qs = parse_float_list(quantiles, "--quantiles")
    if any(not 0 <= q <= 1 for q in qs):
        raise ValueError(f"--quantiles: probabilities in [0, 1], got {quantiles!r}")
    t = cover_time(p, not without_replacement)
    row = {"prior": p.name, "classes": p.n_classes, "expected": t.mean(), "ceil_expected": math.ceil(t.mean()), "std": t.std()}
    for q in qs:
        row[f"quantile_{q:g}"] = int(t.ppf(q)) if math.isfinite(t.ppf(q)) else None
    _emit([row], list(row), fmt, output, f"draws until every class is seen — {p}", digits)


# ------------------------------------------------------------------------ bound
MethodOpt = typer.Option("all", "--method", "-m", help="all, or a comma list of: arora, nozawa-sato, ash, bao.")

LossOpt = typer.Option(None, "--loss", "-l", help="Measured contrastive loss L_cont (one, or one per K).", rich_help_panel="Inputs")
BoundKOpt = typer.Option(None, "--k", "-k", help="Negatives K (with --loss), or the fixed K of every --log row.", rich_help_panel="Inputs")
LogOpt = typer.Option(None, "--log", help="Logged losses: CSV/TSV, JSON, JSONL, TensorBoard events or run dir; - for stdin.", rich_help_panel="Inputs", allow_dash=True)
LossKeyOpt = typer.Option(None, "--loss-key", help="Loss column/tag in --log.", rich_help_panel="Log columns")
KKeyOpt = typer.Option(None, "--k-key", help="Column holding K in --log.", rich_help_panel="Log columns")
DKeyOpt = typer.Option(None, "--d-key", help="Column holding d(f) in --log.", rich_help_panel="Log columns")
LSubKeyOpt = typer.Option(None, "--l-sub-key", help="Column holding L_sub in --log.", rich_help_panel="Log columns")
SupKeyOpt = typer.Option(None, "--sup-key", help="Column holding the measured L_sup in --log.", rich_help_panel="Log columns")
LastOpt = typer.Option(False, "--last", help="Use the last logged row per K instead of the mean.", rich_help_panel="Log columns")
DOpt = typer.Option(None, "--d", help="d(f) ≤ 0 (one, or one per K). Without it d = 0 is assumed and said.", rich_help_panel="Inputs")
LSubOpt = typer.Option(None, "--l-sub", help="L_sub ≥ 0 for Nozawa–Sato (default 0, which keeps it valid).", rich_help_panel="Inputs")
CollisionOpt = typer.Option(None, "--collision-term", help="Measured E\\[ln(1+Col)] (default: exact for the prior).", rich_help_panel="Inputs")
TemperatureOpt = typer.Option(None, "--temperature", "-t", help="Temperature t (Bao et al.: b² = 1/t).", rich_help_panel="Inputs")
NormBoundOpt = typer.Option(None, "--norm-bound", help="Feature-norm bound b instead of --temperature.", rich_help_panel="Inputs")
MeasuredSupOpt = typer.Option(None, "--measured-sup", help="Measured L_sup (one per K): says whether each bound holds.", rich_help_panel="Inputs")


def _methods(method: str) -> tuple[str, ...]:
    from .bounds import METHODS

    if method.strip() == "all":
        return METHODS
    ms = tuple(m.strip().lower().replace("_", "-") for m in method.split(",") if m.strip())
    for m in ms:
        if m not in METHODS:
            raise ValueError(f"--method: unknown {m!r}; choose all or from {', '.join(METHODS)}")
    return ms


def _bound_inputs(loss, k, log, loss_key, k_key, d_key, l_sub_key, sup_key, last, d, l_sub, measured_sup):
    """(ks, losses, ds, l_subs, sups, n_rows) from flags or a log file."""
    from .logs import parse_float_list, parse_int_list, read_losses

    if log is not None:
        if loss is not None:
            raise ValueError("--loss and --log: give one or the other")
        fixed_k = None
        if k is not None:
            fixed = parse_int_list(k, "--k")
            if len(fixed) != 1:
                raise ValueError("--k with --log fixes one K for every row")
            fixed_k = fixed[0]
        rows = read_losses(str(log), loss_key, k_key, fixed_k, d_key, l_sub_key, sup_key, last)
        ks = [r.k for r in rows]
        ds = [r.d if r.d is not None else d for r in rows]
        subs = [r.l_sub if r.l_sub is not None else l_sub for r in rows]
        sups = [r.sup for r in rows] if sup_key else [None] * len(rows)
        return ks, [r.loss for r in rows], ds, subs, sups, [r.n_rows for r in rows]
    if loss is None or k is None:
        raise ValueError("give --loss and --k, or --log FILE")
    keys = {"--loss-key": loss_key, "--k-key": k_key, "--d-key": d_key, "--l-sub-key": l_sub_key, "--sup-key": sup_key}
    given = [flag for flag, v in keys.items() if v is not None] + (["--last"] if last else [])
    if given:
        raise ValueError(f"{given[0]} reads a column of --log; without --log give the values with --loss, --d, …")
    ks = parse_int_list(k, "--k")
    losses = parse_float_list(loss, "--loss")
    if len(losses) == 1:
        losses = losses * len(ks)
    if len(losses) != len(ks):
        raise ValueError(f"--loss: one value, or one per K ({len(ks)}); got {len(losses)}")

    def per_k(text, name):
        if text is None:
            return [None] * len(ks)
        vals = parse_float_list(text, name)
        if len(vals) == 1:
            return vals * len(ks)
        if len(vals) != len(ks):
            raise ValueError(f"{name}: one value, or one per K ({len(ks)}); got {len(vals)}")
        return vals

    return ks, losses, per_k(d, "--d"), per_k(l_sub, "--l-sub"), per_k(measured_sup, "--measured-sup"), [None] * len(ks)


def _bound_rows(p, loss, k, log, loss_key, k_key, d_key, l_sub_key, sup_key, last, d, l_sub, collision_term,
                temperature, norm_bound, measured_sup, method):
    """(bounds, rows averaged per K, measured L_sup per K) for the bound and plot commands."""
    from .bounds import compute_bounds

    ks, losses, ds, subs, sups, counts = _bound_inputs(loss, k, log, loss_key, k_key, d_key, l_sub_key, sup_key,
                                                       last, d, l_sub, measured_sup)
    methods = _methods(method)
    bounds = []
    for kv, lv, dv, sv, mv in zip(ks, losses, ds, subs, sups):
        bounds += compute_bounds(lv, kv, p, methods, dv, sv, collision_term, temperature, norm_bound, mv)
    measured = {kv: mv for kv, mv in zip(ks, sups) if mv is not None}
    return bounds, dict(zip(ks, counts)), measured


@app.command()
@command
def bound(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    loss: Optional[str] = LossOpt,
    k: Optional[str] = BoundKOpt,
    log: Optional[Path] = LogOpt,
    loss_key: Optional[str] = LossKeyOpt,
    k_key: Optional[str] = KKeyOpt,
    d_key: Optional[str] = DKeyOpt,
    l_sub_key: Optional[str] = LSubKeyOpt,
    sup_key: Optional[str] = SupKeyOpt,
    last: bool = LastOpt,
    d: Optional[str] = DOpt,
    l_sub: Optional[str] = LSubOpt,
    collision_term: Optional[float] = CollisionOpt,
    temperature: Optional[float] = TemperatureOpt,
    norm_bound: Optional[float] = NormBoundOpt,
    measured_sup: Optional[str] = MeasuredSupOpt,
    method: str = MethodOpt,
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = typer.Option(6, "--digits", min=1, max=17, help="Significant digits in table, markdown and latex output.", rich_help_panel="Output"),
):
    """The four bounds on the supervised loss L_sup, side by side, for each K.

    Example: [bold]boundcalc bound --classes 10 --loss 2.02 --k 31 --d -1.16 --temperature 0.5[/]

    From a training log: [bold]boundcalc bound --prior cifar100 --log metrics.csv --k-key k[/]
    """
    p = _prior(classes, prior, prior_file, labels)
    bounds, counts, _ = _bound_rows(p, loss, k, log, loss_key, k_key, d_key, l_sub_key, sup_key, last, d, l_sub,
                                    collision_term, temperature, norm_bound, measured_sup, method)
    rows = []
    for b in bounds:
        row = b.as_dict()
        if log is not None:
            row["n_rows"] = counts[b.k]
        rows.append(row)
    cols = ["k", "method", "loss", "upper_bound", "log_upper_bound", "status"] + (["n_rows"] if log is not None else [])
    if any(r.get("holds") is not None for r in rows):
        cols += ["measured_sup", "holds"]
    notes = []
    statuses = {r["status"] for r in rows}
    if "assumes_d_zero" in statuses:
        notes.append("assumes_d_zero: d(f) was not given; d = 0 was used, so the true Arora and Nozawa–Sato bounds are larger (d ≤ 0).")
    if "vacuous" in statuses:
        notes.append("vacuous: no finite bound (υ_(K+1) = 0 when K+1 < C, or a numerator ≤ 0).")
    if "needs_temperature" in statuses:
        notes.append("needs_temperature: Bao et al. need --temperature or --norm-bound.")
    if any(r.get("upper_bound") == math.inf for r in rows):
        notes.append("inf: the bound exceeds float64; its natural log is in log_upper_bound.")
    json_cols = ["k", "method", "loss", "upper_bound", "log_upper_bound", "lower_bound", "status", "notes", "tau",
                 "upsilon", "collision_term", "d", "l_sub", "measured_sup", "holds"] + (["n_rows"] if log is not None else [])
    _emit(rows, cols, fmt, output, f"bounds on L_sup — {p}", digits, notes, json_columns=json_cols)


# ------------------------------------------------------------------------ simulate
@app.command()
@command
def simulate(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    k: int = typer.Option(..., "--k", "-k", help="Negatives K (one value)."),
    trials: int = typer.Option(100_000, "--trials", "-T", help="Monte Carlo trials."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Random seed (numpy Generator)."),
    without_replacement: bool = WorOpt,
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = typer.Option(6, "--digits", min=1, max=17, help="Significant digits in table output.", rich_help_panel="Output"),
):
    """Monte Carlo estimates with 95% intervals beside the exact values.

    Example: [bold]boundcalc simulate --classes 10 --k 31 --trials 100000 --seed 0[/]
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from .collision import collision_mean, collision_probability, collision_term
    from .coverage import coverage_probability, expected_draws
    from .montecarlo import simulate_collision, simulate_cover_time, simulate_coverage

    p = _pool_prior(_prior(classes, prior, prior_file, labels), without_replacement)
    replace = not without_replacement
    if k < 0:
        raise ValueError(f"--k: must be non-negative, got {k}")
    if trials < 1:
        raise ValueError(f"--trials: must be at least 1, got {trials}")
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=err_console,
                        transient=True, disable=not err_console.is_terminal)
    with progress:
        task = progress.add_task("simulating", total=3 * trials)
        step = lambda b: progress.advance(task, b)  # noqa: E731
        col = simulate_collision(k, p, trials, seed, replace, step)
        cov = simulate_coverage(k + 1, p, trials, None if seed is None else seed + 1, replace, step)
        et = simulate_cover_time(p, trials, None if seed is None else seed + 2, replace, step)
    exact = {"upsilon": coverage_probability(k + 1, p, replace), "expected_draws": expected_draws(p, replace)}
    if replace:
        exact.update(tau=collision_probability(k, p), expected_collisions=collision_mean(k, p), collision_term=collision_term(k, p))
    est = {"tau": col["tau"], "expected_collisions": col["mean"], "collision_term": col["collision_term"], "upsilon": cov, "expected_draws": et}
    rows = []
    for name, e in est.items():
        x = exact.get(name)
        rows.append({"quantity": name, "exact": x, "estimate": e.value, "ci_low": e.low, "ci_high": e.high,
                     "stderr": e.stderr, "trials": e.trials, "within_ci": None if x is None else e.contains(x)})
    notes = ["95% intervals: Wilson for probabilities, normal for means; about 1 row in 20 falls outside by chance."]
    if not replace:
        notes.append("exact collision values are for i.i.d. draws only; without replacement only the estimates are shown.")
    _emit(rows, ["quantity", "exact", "estimate", "ci_low", "ci_high", "within_ci"], fmt, output,
          f"Monte Carlo, K = {k} — {p}", digits, notes, json_columns=list(rows[0]))


# ------------------------------------------------------------------------ plots
@plot_app.command("bounds")
@command
def plot_bounds(
    classes: Optional[int] = ClassesOpt,
    prior: Optional[str] = PriorOpt,
    prior_file: Optional[Path] = PriorFileOpt,
    labels: Optional[Path] = LabelsOpt,
    loss: Optional[str] = LossOpt,
    k: Optional[str] = BoundKOpt,
    log: Optional[Path] = LogOpt,
    loss_key: Optional[str] = LossKeyOpt,
    k_key: Optional[str] = KKeyOpt,
    d_key: Optional[str] = DKeyOpt,
    l_sub_key: Optional[str] = LSubKeyOpt,
    sup_key: Optional[str] = SupKeyOpt,
    last: bool = LastOpt,
    d: Optional[str] = DOpt,
    l_sub: Optional[str] = LSubOpt,
    collision_term: Optional[float] = CollisionOpt,
    temperature: Optional[float] = TemperatureOpt,
    norm_bound: Optional[float] = NormBoundOpt,
    measured_sup: Optional[str] = MeasuredSupOpt,
    method: str = MethodOpt,
    output: Path = typer.Option(..., "--output", "-o", help="Figure file: .png, .svg or .pdf."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title."),
):
    """Every bound against K on log axes; vacuous points marked, measured L_sup as dots.

    Example: [bold]boundcalc plot bounds --classes 10 --loss 2.02,2.64,3.29,3.96,4.64 --k 31,63,127,255,511 --d -1.16,-1.17,-1.18,-1.18,-1.19 -t 0.5 -o bounds.png[/]
    """
    from .plotting import bounds_figure, save

    p = _prior(classes, prior, prior_file, labels)
    rows, _, measured = _bound_rows(p, loss, k, log, loss_key, k_key, d_key, l_sub_key, sup_key, last, d, l_sub,
                                    collision_term, temperature, norm_bound, measured_sup, method)
    fig, _ = bounds_figure(rows, measured or None, title or f"Bounds on the supervised loss — {p}")
    err_console.print(f"wrote {save(fig, output)}")


@plot_app.command("coverage")
@command
def plot_coverage(
    classes: List[int] = typer.Option([], "--classes", "-c", help="Uniform prior over C classes (repeatable)."),
    prior: List[str] = typer.Option([], "--prior", "-p", help="Preset name (repeatable)."),
    prior_file: List[Path] = typer.Option([], "--prior-file", help="Counts or weights file (repeatable)."),
    labels: List[Path] = typer.Option([], "--labels", help="Per-sample labels file (repeatable)."),
    k_max: int = typer.Option(..., "--k-max", help="Largest K on the axis."),
    without_replacement: bool = WorOpt,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Figure file (.png, .svg, .pdf); without it, a terminal chart."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title."),
):
    """Coverage υ_{K+1} and 1 − υ against K, E[T] and the 50/90/99% points marked; several priors share one plot.

    Example: [bold]boundcalc plot coverage --classes 1000 --prior imagenet1k --k-max 16000 -o coverage.png[/]
    """
    from .priors import Prior

    priors = [Prior.uniform(c) for c in classes] + [Prior.preset(n) for n in prior]
    priors += [Prior.from_file(f) for f in prior_file] + [Prior.from_file(f, labels=True) for f in labels]
    if not priors:
        raise ValueError("give at least one of --classes, --prior, --prior-file, --labels")
    if any(c < 1 for c in classes):
        raise ValueError("--classes: must be at least 1")
    if output is None:
        _terminal_coverage(priors, k_max, not without_replacement)
        return
    from .plotting import coverage_figure, save

    fig, _ = coverage_figure(priors, k_max, not without_replacement, title=title)
    err_console.print(f"wrote {save(fig, output)}")


def _terminal_coverage(priors, k_max: int, replace: bool) -> None:
    """A bar chart of υ_{K+1} in the terminal, 16 rows from K = 0 to k_max."""
    import numpy as np
    from rich.table import Table

    from .coverage import coverage_probability

    if k_max < 1:
        raise ValueError(f"--k-max: must be at least 1, got {k_max}")
    ks = np.unique(np.linspace(0, k_max, 16).round().astype(np.int64))
    table = Table(title="coverage υ_(K+1) (give --output FILE.png for a figure)", title_justify="left")
    table.add_column("K", justify="right")
    for p in priors:
        table.add_column(escape(p.name), no_wrap=True)
    vals = [coverage_probability(ks + 1, p, replace) for p in priors]
    for i, kv in enumerate(ks):
        table.add_row(str(kv), *(f"{v[i]:.4f} {'█' * int(round(v[i] * 20))}" for v in vals))
    out_console.print(table)


# ------------------------------------------------------------------------ measure
def _load_array(path: Path, name: str):
    import numpy as np

    if not Path(path).is_file():
        raise ValueError(f"{name}: {path}: no such file")
    if Path(path).suffix == ".pt":
        from .measure import require_torch

        torch = require_torch()
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ValueError(f"{name}: {path}: not a readable tensor file ({exc})") from None
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"{name}: {path}: not a readable .npy file ({exc})") from None


def _factory(spec: str, name: str):
    import importlib

    if ":" not in spec:
        raise ValueError(f"{name}: expected module:factory, got {spec!r}")
    mod_name, func_name = spec.split(":", 1)
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ValueError(f"{name}: cannot import {mod_name!r} ({exc})") from None
    func = getattr(mod, func_name, None)
    if not callable(func):
        raise ValueError(f"{name}: {mod_name!r} has no callable {func_name!r}")
    return func()


@app.command()
@command
def measure(
    features: Optional[Tuple[Path, Path]] = typer.Option(None, "--features", help="Two views' features Z1 Z2 (N×D, .npy or .pt)."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Labels Y (N integers 0..C−1, .npy or .pt)."),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="module:factory returning the encoder (instead of --features)."),
    data: Optional[str] = typer.Option(None, "--data", help="module:factory returning a loader of (views, labels)."),
    k: int = typer.Option(..., "--k", "-k", help="Negatives K: batches of K+1 rows."),
    temperature: float = typer.Option(..., "--temperature", "-t", help="Temperature t of the scores."),
    means: Optional[Path] = typer.Option(None, "--means", help="Mean-classifier weights μ (C×D); default: class means of the features."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Shuffle the rows with this seed before batching."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu, cuda, cuda:1 … (default: CUDA when present)."),
    amp: bool = typer.Option(False, "--amp", help="Automatic mixed precision when running --encoder."),
    classes: Optional[int] = typer.Option(None, "--classes", "-c", help="Prior for the bounds: uniform over C (default: the label counts).", rich_help_panel="Prior"),
    prior: Optional[str] = typer.Option(None, "--prior", "-p", help="Prior for the bounds: a preset.", rich_help_panel="Prior"),
    prior_file: Optional[Path] = typer.Option(None, "--prior-file", help="Prior for the bounds: counts or weights file.", rich_help_panel="Prior"),
    method: str = MethodOpt,
    fmt: Format = FormatOpt,
    output: Optional[Path] = OutputOpt,
    digits: int = typer.Option(6, "--digits", min=1, max=17, help="Significant digits in table output.", rich_help_panel="Output"),
):
    """Measure every term of the bounds from saved features (or an encoder), then the bounds.

    Example: [bold]boundcalc measure --features z1.npy z2.npy --labels y.npy --k 255 --temperature 0.5[/]

    From your encoder: [bold]boundcalc measure --encoder examples.torch_encoder:make_encoder --data examples.torch_encoder:make_loader --k 15 -t 0.5[/]
    """
    import numpy as np

    from .bounds import compute_bounds
    from .measure import extract_features
    from .measure import measure as run_measure
    from .priors import Prior

    if (features is None) == (encoder is None):
        raise ValueError("give either --features Z1 Z2 with --labels, or --encoder with --data")
    if features is not None:
        if labels is None or data is not None:
            raise ValueError("--features needs --labels (and no --data)")
        z1, z2 = _load_array(features[0], "--features"), _load_array(features[1], "--features")
        y = _load_array(labels, "--labels")
    else:
        if data is None or labels is not None:
            raise ValueError("--encoder needs --data (and no --labels)")
        z1, z2, y = extract_features(_factory(encoder, "--encoder"), _factory(data, "--data"), device=device, amp=amp)
    mu = _load_array(means, "--means") if means is not None else None
    res = run_measure(z1, z2, y, k, temperature, means=mu, shuffle_seed=seed, device=device)
    given = [x is not None for x in (classes, prior, prior_file)]
    if sum(given) > 1:
        raise ValueError("give at most one of --classes, --prior, --prior-file")
    if any(given):
        p = _prior(classes, prior, prior_file, None)
    else:
        p = Prior.from_labels(np.asarray(y.cpu() if hasattr(y, "cpu") else y).ravel().astype(np.int64), name="label counts")
    bounds = compute_bounds(res.l_cont, k, p, _methods(method), d=res.d, l_sub=res.l_sub_uncovered,
                            collision_term=res.collision_term, temperature=temperature, measured_sup=res.l_sup)
    terms = res.as_dict()
    rows = [b.as_dict() for b in bounds]
    if fmt == Format.json:
        text = to_json_measure(terms, rows)
        if output is not None:
            Path(output).write_text(text)
            err_console.print(f"wrote {output}")
        else:
            sys.stdout.write(text)
        return
    term_cols = ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "l_sup_covered",
                 "l_sup", "accuracy", "lower_bound", "n_anchors", "n_batches"]
    bound_cols = ["method", "upper_bound", "status", "holds"]
    if fmt == Format.table:
        from .formats import rich_table

        shown = {**terms, "lower_bound_l_cont": terms["lower_bound"]}
        cols = [c if c != "lower_bound" else "lower_bound_l_cont" for c in term_cols]
        tables = [rich_table([shown], cols, title=f"measured terms — K = {k}, t = {temperature:g}", digits=digits),
                  rich_table(rows, bound_cols + ["notes"], title=f"bounds on L_sup — {p}; holds = bound ≥ measured L_sup", digits=digits)]
        if output is None:
            for tb in tables:
                out_console.print(tb)
        else:
            with open(output, "w") as fh:
                con = Console(file=fh, width=200, no_color=True)
                for tb in tables:
                    con.print(tb)
        return
    flat = [{**{c: terms[c] for c in term_cols}, **r} for r in rows]
    _emit(flat, ["k", "method", "loss", "upper_bound", "status", "measured_sup", "holds"] + term_cols, fmt, output,
          f"measured terms and bounds — K = {k}", digits)


def to_json_measure(terms: dict, rows: list[dict]) -> str:
    """The measure command's JSON: the measured terms plus a "bounds" list."""
    from .formats import to_json

    return to_json([{**terms, "bounds": rows}]) + "\n"


# ------------------------------------------------------------------------ presets
@app.command()
@command
def presets(fmt: Format = FormatOpt, output: Optional[Path] = OutputOpt):
    """The named priors, with C and E[T].

    Example: [bold]boundcalc presets[/]
    """
    from .coverage import expected_draws
    from .priors import PRESETS, Prior

    rows = []
    for name in PRESETS:
        p = Prior.preset(name)
        et = expected_draws(p)
        rows.append({"name": name, "classes": p.n_classes, "uniform": p.is_uniform, "images": int(p.total) if p.is_counts else None,
                     "expected_draws": et, "ceil_expected_draws": math.ceil(et)})
    _emit(rows, list(rows[0]), fmt, output, "presets", 10)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
