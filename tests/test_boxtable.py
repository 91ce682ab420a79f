"""Terminal tables drawn by boundcalc.boxtable: every line as wide as the table says, cells
aligned and never cut, wide and combining characters measured as a terminal shows them, styles
only on a terminal that takes colour."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundcalc.boxtable import BOLD, BoxTable, cell_width, styled, takes_colour

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_cell_width_counts_terminal_columns():
    assert cell_width("K") == 1 and cell_width("υ_(K+1)") == 7 and cell_width("1 − υ") == 5
    assert cell_width("υ̂ (measured)") == 12  # the hat is a combining mark: no column of its own
    assert cell_width("犬") == 2 and cell_width("ｶ") == 1 and cell_width("") == 0


text = st.text(alphabet=st.sampled_from(list("abcK019.-−υτ̂犬 ⋮")), max_size=12)


@given(headers=st.lists(text, min_size=1, max_size=5), data=st.data(), compact=st.booleans())
def test_every_line_is_as_wide_as_the_table(headers, data, compact):
    n = len(headers)
    right = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    table = BoxTable(headers, right, compact=compact)
    for _ in range(data.draw(st.integers(0, 4))):
        table.add_row(data.draw(st.lists(text, min_size=n, max_size=n)), end_section=data.draw(st.booleans()))
    lines = table.lines()
    widths = {cell_width(line) for line in lines}
    if compact:  # rows end where their last cell does; the rule under the header is full width
        assert max(widths) == table.width() == cell_width(lines[1])
    else:
        assert widths == {table.width()}
    for row in table.rows:  # every cell appears whole
        assert all(cell.rstrip() in "\n".join(lines) for cell in row)


def test_alignment_sections_and_layout():
    table = BoxTable(["K", "method", "value"], [True, False, True], title="t")
    table.add_row(["31", "arora", "1.5"])
    table.add_row(["4095", "ash", "12.25"], end_section=True)
    table.add_row(["7", "bao", ""])
    lines = table.lines()
    assert lines[0] == "t" and lines[1].startswith("┏") and lines[-1].startswith("└")
    assert lines[4] == "│   31 │ arora  │   1.5 │" and lines[5] == "│ 4095 │ ash    │ 12.25 │"
    assert lines[6].startswith("├") and lines[7] == "│    7 │ bao    │       │"
    with pytest.raises(ValueError):
        table.add_row(["1", "2"])


def test_styles_only_where_asked():
    table = BoxTable(["K"], [True], title="title")
    table.add_row(["1"])
    assert not any(ANSI.search(line) for line in table.lines(colour=False))
    styled_lines = table.lines(colour=True)
    assert f"\x1b[{BOLD}mK\x1b[0m" in styled_lines[2]
    assert [ANSI.sub("", line) for line in styled_lines] == table.lines()
    assert styled("x", BOLD, False) == "x" and styled("", BOLD, True) == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert takes_colour(_Tty()) and not takes_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not takes_colour(_Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not takes_colour(_Tty())
