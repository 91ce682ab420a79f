"""Rendering reports and errors: every command's output and every refusal goes through here."""

import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import BoundcalcError
from ..reports import Report

__all__ = ["Format", "emit", "fail", "command", "out_console", "err_console", "option_name"]

out_console = Console()
err_console = Console(stderr=True)

#: Width of the console that renders a terminal table into a file (no terminal to measure).
FILE_TABLE_WIDTH = 200
#: Markdown and LaTeX tables are for reading: at most this many significant digits.
TEXT_TABLE_DIGITS = 6


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    latex = "latex"


#: The command-line option for each argument name the library uses, where the two differ.
OPTION_NAMES = {
    "preset": "--prior",
    "methods": "--method",
    "quantiles": "--quantiles",
    "q": "--quantiles",
    "replace": "--without-replacement",
    "n_classes": "--classes",
    "prior": "--classes/--prior/--prior-file/--labels",
    "fractions": "--fraction",
}


#: Library messages quote other arguments as `name`; the command line shows its options there.
_NAMED = re.compile(r"`([A-Za-z_]\w*)`")


def option_name(argument: str) -> str:
    """The option a user typed for the library's ``argument``."""
    if argument.startswith("-"):
        return argument
    return OPTION_NAMES.get(argument, "--" + argument.replace("_", "-"))


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
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


def _say_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, UserWarning):
            text = _NAMED.sub(lambda m: option_name(m.group(1)), str(w.message))
            err_console.print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    that a failure leaves any old file untouched and no partial file behind."""
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


def _tables(report: Report, digits: int) -> list[Any]:
    from ..formats import rich_table

    return [rich_table(p.rows, p.columns, title=p.title, digits=digits) for p in report.parts or [report]]


def _chart(report: Report) -> Any:
    from rich.table import Table

    table = Table(title=report.title, title_justify="left")
    table.add_column("K", justify="right")
    names = report.columns[1:]
    for n in names:
        table.add_column(escape(n), no_wrap=True)
    for r in report.rows:
        table.add_row(str(r["k"]), *(f"{r[n]:.4f} {'█' * int(round(r[n] * 20))}" for n in names))
    return table


def emit(report: Report, fmt: Format, output: Path | None, digits: int) -> None:
    """Render ``report`` in ``fmt`` to the terminal, or to ``output`` (``-``: standard output)."""
    from ..formats import render_text, to_json

    to_stdout = output is None or str(output) == "-"
    if fmt == Format.table:
        items = [_chart(report)] if report.chart else _tables(report, digits)
        if to_stdout:
            for item in items:
                out_console.print(item)
            for n in report.notes:
                out_console.print(f"[dim]{escape(n)}[/]", soft_wrap=True)
            return
        import io

        buf = io.StringIO()
        con = Console(file=buf, width=FILE_TABLE_WIDTH, no_color=True)
        for item in items:
            con.print(item)
        for n in report.notes:
            con.print(n)
        text = buf.getvalue()
    elif fmt == Format.json and report.document is not None:
        text = to_json(report.document) + "\n"
    else:
        cols = report.data_columns or (list(report.rows[0]) if report.rows else report.columns)
        selected = [{c: r.get(c) for c in cols} for r in report.rows]
        shown = min(digits, TEXT_TABLE_DIGITS) if fmt in (Format.markdown, Format.latex) else digits
        text = render_text(selected, cols, fmt.value, digits=shown, title=report.title)
    if to_stdout:
        sys.stdout.write(text)
        return
    assert output is not None
    write_atomic(Path(output), text)
    err_console.print(f"wrote {output}")
