"""Rendering reports and errors: every command's output and every refusal goes through here."""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from ..boxtable import DIM, RED, YELLOW, BoxTable, styled, takes_colour
from ..errors import BoundcalcError

if TYPE_CHECKING:
    from ..reports import Report

__all__ = ["Format", "Layout", "TableEnv", "XAxis", "describe_output", "latex_options", "write_text", "emit", "output_format", "progress_bar", "fail",
           "command", "say", "option_name"]

#: Fewest columns a terminal table keeps before it turns to quantity/value pairs: the leading
#: columns of every report are what a row is about and its main value (K, method, loss, bound).
MIN_TABLE_COLUMNS = 4
#: Tables with more rows than this are summarised in table format (their first and last
#: SUMMARY_ROWS rows): drawing 10^5 rows takes rich most of a minute and no one reads them there.
MAX_TABLE_ROWS = 200
SUMMARY_ROWS = 10
#: The cell of the row that stands for the rows left out.
ELIDED = "⋮"


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"
    latex = "latex"


class Layout(str, Enum):
    wide = "wide"
    long = "long"
    compact = "compact"


class TableEnv(str, Enum):
    table = "table"
    table_star = "table*"


class XAxis(str, Enum):
    k = "k"
    draws = "draws"


#: The command-line option for each argument name the library uses, where the two differ.
OPTION_NAMES = {
    "preset": "--prior",
    "methods": "--method",
    "quantiles": "--quantiles",
    "q": "--quantiles",
    "replace": "--without-replacement",
    "n_classes": "--classes",
    "num_classes": "--classes",
    "prior": "--classes/--prior/--prior-file/--labels",
    "fractions": "--fraction",
    "measured_sup": "--l-sup",
}


#: Library messages quote other arguments as `name`; the command line shows its options there.
_NAMED = re.compile(r"`([A-Za-z_]\w*)`")


def option_name(argument: str) -> str:
    """The option a user typed for the library's ``argument``."""
    if argument.startswith("-"):
        return argument
    return OPTION_NAMES.get(argument, "--" + argument.replace("_", "-"))


def say(text: str, label: str = "", style: str = "") -> None:
    """One line on stderr (what was written, a warning, an error), its label styled on a terminal."""
    stream = sys.stderr
    stream.write(f"{styled(label, style, takes_colour(stream))} {text}\n" if label else f"{text}\n")


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    say(message, "error:", RED)
    raise typer.Exit(2)


def command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors into one line naming the option, exit status 2; show warnings.
    Anything else is a bug and keeps its traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                _check_output(kwargs)
                return func(*args, **kwargs)
            except BoundcalcError as exc:
                _say_warnings(caught)  # what was skipped explains the error: said first
                caught.clear()
                detail = _NAMED.sub(lambda m: option_name(m.group(1)), exc.detail)
                option = option_name(exc.argument) if exc.argument else None
                text = f"{option}: {detail}" if option and option not in detail else detail
                fail(text.splitlines()[0] if text else type(exc).__name__)
            finally:
                _say_warnings(caught)

    return wrapper


def _check_output(kwargs: dict[str, Any]) -> None:
    """Refuse an output the command could not write before any work: a folder, a missing folder,
    a socket; for tables, a suffix that names no format (unless --format says which)."""
    output = kwargs.get("output")
    if output is None:
        return
    from ..outputs import resolve_target

    resolve_target(output)
    if "fmt" in kwargs:
        output_format(kwargs["fmt"], output)


#: A progress bar appears only once a task has run this long (seconds): quick commands stay quiet.
PROGRESS_DELAY = 1.0


@contextmanager
def progress_bar(description: str, total: float | None = None) -> Iterator[Callable[[int], None]]:
    """A callback ``advance(n)`` for the library's ``progress`` argument; on a terminal, once the
    task has run for PROGRESS_DELAY seconds, it drives a transient rich bar on stderr."""
    import time

    start = time.monotonic()
    done = 0
    bar: Any = None  # rich.progress is imported only once a bar is shown
    task: Any = None

    def advance(n: int) -> None:
        nonlocal done, bar, task
        done += n
        if bar is not None:
            bar.update(task, completed=done)
        elif sys.stderr.isatty() and time.monotonic() - start > PROGRESS_DELAY:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           TimeRemainingColumn(), console=Console(stderr=True, emoji=False), transient=True)
            task = bar.add_task(description, total=total, completed=done)
            bar.start()

    try:
        yield advance
    finally:
        if bar is not None:
            bar.stop()


def _say_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, UserWarning):
            text = _NAMED.sub(lambda m: option_name(m.group(1)), str(w.message))
            say(text, "warning:", YELLOW)


def write_text(output: Path | None, text: str) -> None:
    """Write ``text`` where ``output`` says (None or ``-``: standard output) through
    :func:`boundcalc.outputs.open_output`, and say where, unless it went to standard output. A
    closed pipe (``| head``) ends the command quietly with status 141, as for any filter."""
    from ..outputs import DIRECT, FILE, STDOUT, open_output, resolve_target

    target = resolve_target("-" if output is None else output)
    try:
        with open_output(target) as fh:
            fh.write(text)
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(BROKEN_PIPE_STATUS) from None
    except BoundcalcError:
        if target.kind == STDOUT:
            _silence_stdout()  # what could not be written must not be retried (and fail again) at exit
        raise
    if target.kind in (FILE, DIRECT):
        say(f"wrote {target.describe()}")


def latex_options(fmt: str, table_env: TableEnv | None, caption: str | None, label: str | None) -> Any:
    """The LaTeX options of a command (None when there are none); refused for another format."""
    given = [name for name, v in (("--table-env", table_env), ("--caption", caption), ("--label", label)) if v is not None]
    if not given:
        return None
    if fmt != "latex":
        from ..errors import InputError

        raise InputError(f"{given[0]}: sets a LaTeX table; the output is {fmt}")
    from ..papertables import LatexOptions

    return LatexOptions(caption=caption, label=label, table_env=table_env.value if table_env is not None else None)


def describe_output(path: Path | str) -> str:
    """How a file was written, for the 'wrote …' line (a symlink's target, a device written directly)."""
    from ..outputs import resolve_target

    try:
        return resolve_target(path).describe()
    except BoundcalcError:
        return str(path)


#: Exit status of a filter whose reader went away (128 + SIGPIPE, what a shell reports for `head`).
BROKEN_PIPE_STATUS = 141


def _silence_stdout() -> None:
    """Point file descriptor 1 at the null device, so that Python's final flush of what is
    left in sys.stdout's buffer neither fails nor prints a second message."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass


def output_format(fmt: Format | None, output: Path | None) -> str:
    """The format: --format, else the suffix of --output, else a table."""
    from ..formats import choose_format

    return choose_format(fmt.value if fmt is not None else None, output)


def _fitted(report: Report, digits: int, width: int | None) -> tuple[list[BoxTable], list[str]]:
    """The report's tables, each within ``width`` (None: its natural width): columns are
    dropped (see :func:`_drop_order`: derived and provenance columns first, never the bound, its
    status or half an interval), with a note; past that, rows are shown as quantity/value
    pairs. No cell is ever folded or cut."""
    from ..formats import box_table, label
    from ..reports import Report

    tables: list[BoxTable] = []
    notes: list[str] = []
    for whole in report.parts or [report]:
        part = whole
        if len(whole.rows) > MAX_TABLE_ROWS:  # a terminal table is for reading: the ends, and how to get all
            elided = {c: ELIDED for c in whole.columns}
            part = Report(whole.title, [*whole.rows[:SUMMARY_ROWS], elided, *whole.rows[-SUMMARY_ROWS:]], whole.columns,
                          labels=whole.labels)
            notes.append(f"{len(whole.rows):,} rows: the first and last {SUMMARY_ROWS} shown; "
                         "--format csv (or -o rows.csv) gives every row")
        table = box_table(part.rows, part.columns, title=part.title, digits=digits, labels=part.labels)
        cols = list(part.columns)
        for drop in _drop_order(cols):
            if width is None or table.width() <= width:
                break
            cols = [c for c in cols if c not in drop]
            table = box_table(part.rows, cols, title=part.title, digits=digits, labels=part.labels)
        if width is not None and table.width() > width:
            cols = list(part.columns)
            table = box_table(part.rows, cols, title=part.title, digits=digits, vertical=True, labels=part.labels)
        hidden = [label(c, part.labels) for c in part.columns if c not in cols]
        if hidden:
            notes.append(f"not shown at this width: {', '.join(hidden)} (a wider terminal, or --format csv/json, shows them)")
        tables.append(table)
    return tables, notes


#: Columns a narrow terminal drops first (derived or provenance: the CSV and JSON keep them), in
#: this order; then others from the right. ``status`` (what a bound rests on) is never dropped.
FIRST_DROPPED = ("log_upper_bound", "k_from", "tau_from", "upsilon_from", "collision_term_from", "source", "loss_key",
                 "logged_at", "n_values", "reduce", "form", "certifies")
#: Columns kept as long as any table is drawn: the bound, and what it rests on.
NEVER_DROPPED = ("upper_bound", "status")
#: Columns shown or dropped together: an interval is whole or absent.
TOGETHER = (("ci_low", "ci_high"), ("upper_bound_ci_low", "upper_bound_ci_high"))


def _drop_order(columns: list[str]) -> list[tuple[str, ...]]:
    """The groups of ``columns`` a narrow terminal drops, one group at a time: :data:`FIRST_DROPPED`,
    then from the right (an interval's two ends together), never the first MIN_TABLE_COLUMNS nor
    :data:`NEVER_DROPPED`."""
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()

    def group_of(c: str) -> tuple[str, ...]:
        pair = next((g for g in TOGETHER if c in g), (c,))
        return tuple(x for x in pair if x in columns)

    for c in FIRST_DROPPED:
        if c in columns[MIN_TABLE_COLUMNS:]:
            groups.append((c,))
            seen.add(c)
    for c in reversed(columns[MIN_TABLE_COLUMNS:]):
        if c in seen or c in NEVER_DROPPED:
            continue
        g = group_of(c)
        if any(x in columns[:MIN_TABLE_COLUMNS] for x in g):
            continue
        groups.append(g)
        seen.update(g)
    return groups


def _chart(report: Report) -> BoxTable:
    names = report.columns[1:]
    table = BoxTable(["K", *names], [True, *(False for _ in names)], title=report.title)
    for r in report.rows:
        table.add_row([str(r["k"]), *(f"{r[n]:.4f} {'█' * int(round(r[n] * 20))}" for n in names)])
    return table


def emit(report: Report, fmt: str, output: Path | None, digits: int | None, siunitx: bool = False, *,
         layout: str | None = None, latex: Any = None, run_names: str | None = None) -> None:
    """Render ``report`` in ``fmt`` (see :func:`output_format`) to the terminal, or to ``output``
    (``-``: standard output). ``layout`` "compact" (LaTeX) pivots a bound or measure report into
    the papers' tables (:mod:`boundcalc.papertables`); ``latex`` holds the LaTeX options;
    ``run_names`` ("old=new,…") renames the runs in every format. ``digits`` None: the format's
    own (6, or 3 in a compact table)."""
    from ..formats import footnotes, rename_runs, render_text
    from ..outputs import STDOUT, resolve_target

    if run_names is not None:
        names = rename_runs([r.get("run") for r in report.rows], run_names)
        if all(n is None for n in names):
            from ..errors import InputError

            raise InputError("run_names: renames the runs of a --log; there is none")
        report.rows = [{**r, "run": n} if "run" in r else r for r, n in zip(report.rows, names, strict=True)]
    to_stdout = resolve_target("-" if output is None else output).kind == STDOUT
    if layout == "compact" and fmt == "latex":
        text = _compact_latex(report, digits, siunitx, latex)
    elif fmt == "table":
        terminal = to_stdout and sys.stdout is not None and sys.stdout.isatty()
        if report.chart:
            items, fit_notes = [_chart(report)], list[str]()
        else:
            items, fit_notes = _fitted(report, digits or DEFAULT_DIGITS, shutil.get_terminal_size().columns if terminal else None)
        notes = [*fit_notes, *footnotes(report.rows, report.columns), *report.notes]
        colour = terminal and takes_colour(sys.stdout)
        text = "".join(line + "\n" for item in items for line in item.lines(colour))
        text += "".join(styled(n, DIM, colour) + "\n" for n in notes)
    elif fmt in ("json", "jsonl") and report.document is not None:
        text = render_text(report.document, [], fmt)
    else:
        cols = report.data_columns or (list(report.rows[0]) if report.rows else report.columns)
        shown = report.columns if fmt in ("markdown", "latex") else cols
        selected = [{c: r.get(c) for c in (cols if fmt not in ("markdown", "latex") else list(r))} for r in report.rows]
        text = render_text(selected, shown, fmt, digits=digits or DEFAULT_DIGITS, title=report.title, notes=report.notes,
                           siunitx=siunitx, labels=report.labels, latex=latex)
    write_text(output, text)


#: Significant digits of a table when none are asked for.
DEFAULT_DIGITS = 6


def _compact_latex(report: Report, digits: int | None, siunitx: bool, latex: Any) -> str:
    """The papers' tables of a bound report (long rows) or a measure report (flat rows)."""
    from dataclasses import replace

    from ..errors import InputError
    from ..papertables import LatexOptions, bound_tables, measure_tables

    opts = replace(latex if latex is not None else LatexOptions(), digits=digits, siunitx=siunitx)
    keys = set(report.rows[0]) if report.rows else set()
    if "upper_bound_ci_low" in keys:
        return measure_tables(report.rows, opts)
    if {"k", "method", "upper_bound"} <= keys:
        return bound_tables(report.rows, report.title, report.notes, opts)
    raise InputError("layout: compact is the bound and measure tables' layout")
