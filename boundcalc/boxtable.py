"""Tables for the terminal, drawn with box characters: numbers right-aligned, no cell ever
wrapped or cut, the header set off by a heavy rule (the look of rich's HEAVY_HEAD box).

Drawn here rather than by rich because importing rich's console and table costs more than the
first command's whole computation (issue 12: the first command within 1.6× of ``import
numpy``); rich still draws the progress bars. Styles (bold header, italic title, dim notes) are
ANSI codes, used only where the caller says the stream is a terminal that takes colour.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from typing import TextIO

__all__ = ["BoxTable", "cell_width", "takes_colour", "styled", "BOLD", "ITALIC", "DIM", "RED", "YELLOW"]

BOLD, ITALIC, DIM, RED, YELLOW = "1", "3", "2", "1;31", "33"
#: The space between columns of the compact layout.
_COMPACT_GAP = "  "


def cell_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: East Asian wide and full-width characters take
    two, combining marks none, everything else one."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def takes_colour(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that should get styles: not with NO_COLOR set or
    TERM=dumb (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def styled(text: str, style: str, on: bool) -> str:
    """``text`` in the ANSI ``style`` (e.g. BOLD) when ``on``, else as it is."""
    return f"\x1b[{style}m{text}\x1b[0m" if on and text else text


class BoxTable:
    """A table of text cells. ``right[i]`` right-aligns column i; a row added with
    ``end_section=True`` is followed by a rule; ``compact`` draws no border at all, only a rule
    under the header (the narrowest layout). (A plain class: a dataclass costs a millisecond of
    start-up.)"""

    def __init__(self, headers: list[str], right: list[bool], title: str | None = None, compact: bool = False):
        self.headers, self.right, self.title, self.compact = headers, right, title, compact
        self.rows: list[list[str]] = []
        self.ends: set[int] = set()

    def add_row(self, cells: Sequence[str], end_section: bool = False) -> None:
        if len(cells) != len(self.headers):
            raise ValueError(f"a row of {len(cells)} cells in a table of {len(self.headers)} columns")
        self.rows.append(list(cells))
        if end_section:
            self.ends.add(len(self.rows) - 1)

    def widths(self) -> list[int]:
        return [max(cell_width(c) for c in col) for col in zip(self.headers, *self.rows, strict=True)]

    def width(self) -> int:
        """The table's width in terminal columns (its natural width: nothing is ever folded)."""
        w = self.widths()
        if self.compact:
            return sum(w) + len(_COMPACT_GAP) * (len(w) - 1)
        return sum(w) + 3 * len(w) + 1

    def lines(self, colour: bool = False) -> list[str]:
        """The title (if any) and the table, one string per line; styled when ``colour``."""
        w = self.widths()

        def cells(row: list[str], style: str | None = None) -> list[str]:
            out = []
            for text, width, right in zip(row, w, self.right, strict=True):
                pad = " " * (width - cell_width(text))
                text = styled(text, style, colour) if style else text
                out.append(pad + text if right else text + pad)
            return out

        out = [styled(self.title, ITALIC, colour)] if self.title else []
        if self.compact:
            out.append(_COMPACT_GAP.join(cells(self.headers, BOLD)).rstrip())
            out.append(_COMPACT_GAP.join("─" * x for x in w))
            for i, row in enumerate(self.rows):
                out.append(_COMPACT_GAP.join(cells(row)).rstrip())
                if i in self.ends and i != len(self.rows) - 1:
                    out.append("")
            return out

        def rule(left: str, mid: str, right: str, line: str) -> str:
            return left + mid.join(line * (x + 2) for x in w) + right

        out.append(rule("┏", "┳", "┓", "━"))
        out.append("┃ " + " ┃ ".join(cells(self.headers, BOLD)) + " ┃")
        out.append(rule("┡", "╇", "┩", "━"))
        for i, row in enumerate(self.rows):
            out.append("│ " + " │ ".join(cells(row)) + " │")
            if i in self.ends and i != len(self.rows) - 1:
                out.append(rule("├", "┼", "┤", "─"))
        out.append(rule("└", "┴", "┘", "─"))
        return out
