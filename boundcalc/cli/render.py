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

__all__ = ["Format", "Layout", "emit", "output_format", "progress_bar", "fail", "command", "say", "option_name"]

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
    "measured_sup": "--measured-sup",
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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    that a failure leaves any old file untouched and no partial file behind."""
    import tempfile  # (only when writing a file: its import costs a few milliseconds of start-up)

    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        fail(f"--output: {path}: cannot write there ({exc.strerror or exc})")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        fail(f"--output: {path}: {exc.strerror or exc}")


def output_format(fmt: Format | None, output: Path | None) -> str:
    """The format: --format, else the suffix of --output, else a table."""
    from ..formats import choose_format

    return choose_format(fmt.value if fmt is not None else None, output)


def _fitted(report: Report, digits: int, width: int | None) -> tuple[list[BoxTable], list[str]]:
    """The report's tables, each within ``width`` (None: its natural width): columns are
    dropped from the right, down to MIN_TABLE_COLUMNS, with a note; past that, rows are shown
    as quantity/value pairs. No cell is ever folded or cut."""
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
        while width is not None and table.width() > width and len(cols) > MIN_TABLE_COLUMNS:
            cols.pop()
            table = box_table(part.rows, cols, title=part.title, digits=digits, labels=part.labels)
        if width is not None and table.width() > width:
            cols = list(part.columns)
            table = box_table(part.rows, cols, title=part.title, digits=digits, vertical=True, labels=part.labels)
        hidden = [label(c, part.labels) for c in part.columns if c not in cols]
        if hidden:
            notes.append(f"not shown at this width: {', '.join(hidden)} (a wider terminal, or --format csv/json, shows them)")
        tables.append(table)
    return tables, notes


def _chart(report: Report) -> BoxTable:
    names = report.columns[1:]
    table = BoxTable(["K", *names], [True, *(False for _ in names)], title=report.title)
    for r in report.rows:
        table.add_row([str(r["k"]), *(f"{r[n]:.4f} {'█' * int(round(r[n] * 20))}" for n in names)])
    return table


def emit(report: Report, fmt: str, output: Path | None, digits: int, siunitx: bool = False) -> None:
    """Render ``report`` in ``fmt`` (see :func:`output_format`) to the terminal, or to ``output``
    (``-``: standard output)."""
    from ..formats import footnotes, render_text

    to_stdout = output is None or str(output) == "-"
    if fmt == "table":
        terminal = to_stdout and sys.stdout.isatty()
        if report.chart:
            items, fit_notes = [_chart(report)], list[str]()
        else:
            items, fit_notes = _fitted(report, digits, shutil.get_terminal_size().columns if terminal else None)
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
        text = render_text(selected, shown, fmt, digits=digits, title=report.title, notes=report.notes, siunitx=siunitx,
                           labels=report.labels)
    if to_stdout:
        sys.stdout.write(text)
        return
    assert output is not None
    write_atomic(Path(output), text)
    say(f"wrote {output}")
