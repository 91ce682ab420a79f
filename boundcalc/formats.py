"""Output formats for tables of results: rich table, JSON, CSV, Markdown, LaTeX.

A result is a list of flat dicts (rows) with snake_case keys. JSON keeps full float precision
(an object for one row, a list for several; inf and NaN never appear: non-finite floats become
null); the text formats round to ``digits`` significant digits.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

from .errors import InputError

FORMATS = ("table", "json", "csv", "markdown", "latex")


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_clean(x) for x in v]
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if hasattr(v, "item") and not isinstance(v, (list, dict)):  # numpy scalar
        return _clean(v.item())
    return v


def cell(v: Any, digits: int = 10) -> str:
    """A value as text: floats to ``digits`` significant digits, None as an empty cell."""
    v = _clean(v) if not (isinstance(v, float) and math.isinf(v)) else v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}g}"
    return str(v)


def to_json(rows: Sequence[dict]) -> str:
    data = [{k: _clean(v) for k, v in r.items()} for r in rows]
    return json.dumps(data[0] if len(data) == 1 else data, indent=2, allow_nan=False)


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if _clean(r.get(c)) is None else repr(_clean(r.get(c))) if isinstance(_clean(r.get(c)), float) else _clean(r.get(c)) for c in columns])
    return buf.getvalue()


def to_markdown(rows: Sequence[dict], columns: Sequence[str], digits: int = 6) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(cell(r.get(c), digits).replace("|", "\\|") for c in columns) + " |")
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _tex(s: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in s)


def to_latex(rows: Sequence[dict], columns: Sequence[str], digits: int = 6, caption: str | None = None) -> str:
    """A booktabs tabular (needs \\usepackage{booktabs})."""
    out = [r"\begin{table}[t]", r"\centering"]
    if caption:
        out.append(r"\caption{" + _tex(caption) + "}")
    out.append(r"\begin{tabular}{" + "l" * len(columns) + "}")
    out.append(r"\toprule")
    out.append(" & ".join(_tex(c) for c in columns) + r" \\")
    out.append(r"\midrule")
    for r in rows:
        out.append(" & ".join(_tex(cell(r.get(c), digits)) for c in columns) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


def render_text(rows: Sequence[dict], columns: Sequence[str], fmt: str, digits: int = 6, title: str | None = None) -> str:
    """Rows in one of the text formats (json, csv, markdown, latex)."""
    if fmt == "json":
        return to_json(rows) + "\n"
    if fmt == "csv":
        return to_csv(rows, columns)
    if fmt == "markdown":
        return to_markdown(rows, columns, digits)
    if fmt == "latex":
        return to_latex(rows, columns, digits, caption=title)
    raise InputError(f"format: unknown {fmt!r}; choose from {', '.join(FORMATS)}")


#: Column headers for terminal tables (JSON/CSV keep the snake_case keys).
LABELS = {
    "upsilon": "υ_(K+1)",
    "log_upsilon": "ln υ",
    "one_minus_upsilon": "1 − υ",
    "log_one_minus_upsilon": "ln(1 − υ)",
    "expected_draws": "E[T]",
    "tau": "τ_K",
    "expected_collisions": "E[Col]",
    "collision_term": "E[ln(1+Col)]",
    "expected": "E[T]",
    "ceil_expected": "⌈E[T]⌉",
    "ceil_expected_draws": "⌈E[T]⌉",
    "std": "sd[T]",
    "upper_bound": "L_sup ≤",
    "log_upper_bound": "ln(bound)",
    "lower_bound": "L_sup ≥",
    "measured_sup": "L_sup (measured)",
    "within_ci": "in 95% CI",
    "l_cont": "L_cont",
    "l_sup": "L_sup (mean classifier)",
    "l_sup_covered": "E[L_sup | covered]",
    "sup_part": "sup part",
    "sub_part": "sub part",
    "lower_bound_l_cont": "L_cont ≥ (Nozawa–Sato)",
    "n_anchors": "anchors",
    "k_from": "K from",
    "n_values": "values used",
    "logged_at": "last used at",
    "n_batches": "batches",
    "ci_low": "95% low",
    "ci_high": "95% high",
    "hardest": "m hardest",
    "expected_same_class_in_hardest": "E[same-class in m]",
    "same_class_share_ideal": "share (ideal)",
    "same_class_share_random": "share (random)",
    "deputy_rank": "deputy rank",
}


def label(key: str) -> str:
    if key.startswith("quantile_"):
        return f"{key[9:]}-quantile of T"
    return LABELS.get(key, key)


def rich_table(rows: Sequence[dict[str, Any]], columns: Iterable[str], title: str | None = None, digits: int = 10) -> Table:
    """A rich Table of the rows (numbers right-aligned); one wide row is shown vertically."""
    from rich.markup import escape
    from rich.table import Table

    cols = list(columns)
    table = Table(title=escape(title) if title else None, title_justify="left", header_style="bold")
    if len(rows) == 1 and len(cols) > 6:
        table.add_column("quantity")
        table.add_column("value", justify="right")
        for c in cols:
            table.add_row(escape(label(c)), escape(cell(rows[0].get(c), digits)))
        return table
    for c in cols:
        numeric = any(isinstance(_clean(r.get(c)), (int, float)) and not isinstance(r.get(c), bool) for r in rows)
        table.add_column(escape(label(c)), justify="right" if numeric else "left", overflow="fold")
    for r in rows:
        table.add_row(*(escape(label(str(r[c])) if c == "quantity" else cell(r.get(c), digits)) for c in cols))
    return table
