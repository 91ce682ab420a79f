"""Output formats for tables of results: terminal table, JSON, JSONL, CSV, TSV, Markdown, LaTeX.

A result is a list of flat dicts (rows) with snake_case keys. JSON is always a list of row
objects (JSONL: one object per line) and keeps full float precision; inf and NaN never appear
(non-finite floats become null). CSV/TSV keep full precision too. Markdown and LaTeX are for
reading: numbers to ``digits`` significant digits, fixed notation or ×10^k (never ``e+06``),
right-aligned, with the symbols of the papers as headers; a column ``c`` with a companion
``c_status`` (the wide bound layout) shows "—" for a missing bound and a dagger for one resting on
d(f) = 0, each explained under the table.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .boxtable import BoxTable

from .errors import InputError

FORMATS = ("table", "json", "jsonl", "csv", "tsv", "markdown", "latex")
#: The format an output file's suffix implies (``--output`` without ``--format``).
SUFFIX_FORMATS = {".json": "json", ".jsonl": "jsonl", ".csv": "csv", ".tsv": "tsv", ".md": "markdown",
                  ".markdown": "markdown", ".tex": "latex", ".txt": "table"}
#: Formats a person reads (and the bound table's wide layout is their default).
READING_FORMATS = ("markdown", "latex")
#: Numbers with a decimal exponent in this range are written in fixed notation, others as m×10^k.
FIXED_EXPONENTS = range(-3, 6)


def choose_format(fmt: str | None, output: str | Path | None) -> str:
    """``fmt`` when given, else the format the suffix of ``output`` implies, else ``table`` (no
    output, ``-``, or a name without a suffix such as ``/dev/stdout``); a suffix that names no
    format is refused unless ``fmt`` says which, and a ``fmt`` that contradicts a known suffix
    is refused."""
    suffix = Path(str(output)).suffix.lower() if output is not None and str(output) != "-" else ""
    implied = SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        if suffix and implied is None:
            raise InputError(f"{Path(str(output)).name}: unknown suffix {suffix}; known: {', '.join(SUFFIX_FORMATS)} "
                             "(or name the format with `format`)", argument="output")
        return implied or "table"
    if fmt not in FORMATS:
        raise InputError(f"format: unknown {fmt!r}; choose from {', '.join(FORMATS)}")
    if implied is not None and implied != fmt:
        raise InputError(f"format: {fmt} was asked for, but the output file's suffix {suffix} means {implied}; "
                         "make them agree")
    return fmt


def rename_runs(names: Sequence[str | None], mapping: str | Mapping[str, str] | None) -> list[str | None]:
    """``names`` with runs renamed: ``mapping`` is {old: new} or its text "old=new,old2=new2"
    (``run_names``). An old name that is no run's is refused, naming the runs there are."""
    if mapping is None:
        return list(names)
    if isinstance(mapping, str):
        pairs: dict[str, str] = {}
        for item in (x for x in mapping.split(",") if x.strip()):
            old, eq, new = item.partition("=")
            if not eq or not old.strip() or not new.strip():
                raise InputError(f"run_names: OLD=NEW pairs separated by commas, got {item.strip()!r}")
            pairs[old.strip()] = new.strip()
        mapping = pairs
    known = list(dict.fromkeys(n for n in names if n is not None))
    unknown = [old for old in mapping if old not in known]
    if unknown:
        raise InputError(f"run_names: no run is named {unknown[0]!r}; the runs are {', '.join(known)}")
    return [mapping.get(n, n) if n is not None else None for n in names]


#: Cell types that need no cleaning.
_PLAIN = (int, str, bool, type(None))


def default_layout(fmt: str) -> str:
    """The bound table's layout: ``compact`` (methods against K, fitted to a paper's column) for
    LaTeX, ``wide`` (one row per K) for Markdown, else ``long``."""
    return "compact" if fmt == "latex" else "wide" if fmt in READING_FORMATS else "long"


def _clean(v: Any) -> Any:
    if type(v) in _PLAIN:  # the common case, first (tables of 10^6 cells)
        return v
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


def mantissa_exponent(v: float, digits: int) -> tuple[str, int | None]:
    """``v`` rounded to ``digits`` significant digits, as (fixed text, None) when its decimal
    exponent is in :data:`FIXED_EXPONENTS` and fits the digits, else (mantissa, exponent).
    Trailing zeros after the point are dropped."""
    sci = f"{v:.{digits - 1}e}"
    mant, exp = sci.split("e")
    e = int(exp)
    if e in FIXED_EXPONENTS and e < max(digits, 1):
        return _trim(f"{v:.{max(digits - 1 - e, 0)}f}"), None
    return _trim(mant), e


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def human_number(v: Any, digits: int, style: str) -> str:
    """A number for a reader: ``style`` "text" (1.22×10⁶), "latex" ($1.22\times10^{6}$) or
    "siunitx" (1.22e6, for an S column)."""
    v = _clean(v) if not (isinstance(v, float) and math.isinf(v)) else v
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return cell(v, digits)
    if isinstance(v, int):
        return str(v)
    if math.isinf(v):
        sign = "" if v > 0 else "-"
        return {"text": f"{sign.replace('-', '−')}∞", "latex": rf"${sign}\infty$", "siunitx": rf"{{${sign}\infty$}}"}[style]
    if v == 0:
        return "0"
    mant, e = mantissa_exponent(v, digits)
    if style == "siunitx":
        return mant if e is None else f"{mant}e{e}"
    if e is None:
        if style == "text":
            return mant.replace("-", "−")
        return f"${mant}$" if mant.startswith("-") else mant  # a minus sign, not a hyphen
    if style == "latex":
        return rf"${mant}\times10^{{{e}}}$"
    return f"{mant.replace('-', '−')}×10{str(e).translate(_SUPERSCRIPTS)}"


def to_json(rows: Sequence[dict]) -> str:
    """A JSON list of row objects (always a list, whatever the number of rows)."""
    return json.dumps([{k: _clean(v) for k, v in r.items()} for r in rows], indent=2, allow_nan=False)


def to_jsonl(rows: Sequence[dict]) -> str:
    """One JSON object per line."""
    return "".join(json.dumps({k: _clean(v) for k, v in r.items()}, allow_nan=False) + "\n" for r in rows)


def to_csv(rows: Sequence[dict], columns: Sequence[str], delimiter: str = ",") -> str:
    """CSV (or TSV), floats with every digit (``repr``), None as an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    w.writerow(columns)
    w.writerows([_csv_cell(r.get(c)) for c in columns] for r in rows)
    return buf.getvalue()


def _csv_cell(v: Any) -> Any:
    """A CSV cell: floats with every digit (``repr``), non-finite floats and None empty."""
    if type(v) is float:
        return repr(v) if math.isfinite(v) else ""
    v = _clean(v)
    return "" if v is None else repr(v) if isinstance(v, float) else v


#: Marks of the wide bound layout: what a "<column>_status" means in the cell, and its footnote.
MISSING_MARK = "—"
DAGGER = "†"
WIDE_FOOTNOTES = {
    "missing": f"{MISSING_MARK} no finite bound: vacuous (υ_(K+1) = 0 or a numerator ≤ 0), or a temperature "
               "is needed (Bao et al.).",
    "assumes_d_zero": f"{DAGGER} d(f) = 0 assumed (not given): the true bound is larger.",
}


def _marked(r: dict, c: str, text: str, dagger: str) -> str:
    status = r.get(f"{c}_status")
    if status is None:
        return text
    if r.get(c) is None:
        return MISSING_MARK
    return text + dagger if status == "assumes_d_zero" else text


def footnotes(rows: Sequence[dict], columns: Sequence[str]) -> list[str]:
    """The footnotes the marks in ``rows`` need."""
    statuses = [r.get(f"{c}_status") for r in rows for c in columns if f"{c}_status" in r]
    cells = [r.get(c) for r in rows for c in columns if f"{c}_status" in r]
    out = []
    if any(v is None for v in cells):
        out.append(WIDE_FOOTNOTES["missing"])
    if any(s == "assumes_d_zero" and v is not None for s, v in zip(statuses, cells, strict=True)):
        out.append(WIDE_FOOTNOTES["assumes_d_zero"])
    return out


def _numeric(rows: Sequence[dict], c: str) -> bool:
    vals = [_clean(r.get(c)) for r in rows]
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals) and not any(
        isinstance(v, str) and v != "⋮" for v in vals)  # "⋮" stands for rows left out of a long table


def to_markdown(rows: Sequence[dict], columns: Sequence[str], digits: int = 6, notes: Sequence[str] = (),
                labels: Mapping[str, str] | None = None) -> str:
    """A GitHub-flavoured Markdown table: headers as symbols, numbers right-aligned."""
    align = ["---:" if _numeric(rows, c) else ":---" for c in columns]
    lines = ["| " + " | ".join(label(c, labels).replace("|", "\\|") for c in columns) + " |", "|" + "|".join(align) + "|"]
    for r in rows:
        cells = [_marked(r, c, human_number(r.get(c), digits, "text"), DAGGER) for c in columns]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    extra = [*footnotes(rows, columns), *notes]
    return "\n".join(lines) + "\n" + "".join(f"\n{n}\n" for n in extra)
#: Column headers for terminal tables (JSON/CSV keep the snake_case keys).
LABELS = {
    "k": "K",
    "loss": "L_cont",
    "arora": "Arora et al. (2019)",
    "nozawa-sato": "Nozawa & Sato (2021)",
    "ash": "Ash et al. (2022)",
    "bao": "Bao et al. (2022)",
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
    "informative": "< chance",
    "accuracy_at_least": "acc ≥",
    "chance_loss": "chance loss",
    "within_ci": "in 95% CI",
    "l_cont": "L_cont",
    "l_sup": "L_sup (mean classifier)",
    "l_sup_covered": "E[L_sup | covered]",
    "sup_part": "sup part",
    "sub_part": "sub part",
    "lower_bound_l_cont": "L_cont ≥ (Nozawa–Sato)",
    "n_anchors": "anchors",
    "k_from": "K from",
    "upper_bound_ci_low": "95% low",
    "upper_bound_ci_high": "95% high",
    "same_class_share": "same-class share (measured)",
    "upsilon_prior": "υ_(K+1) (prior)",
    "tau_prior": "τ_K (prior)",
    "band": "band",
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


def label(key: str, overrides: Mapping[str, str] | None = None) -> str:
    """The header of column ``key``: a report's own name for it (``overrides``), else LABELS."""
    if overrides and key in overrides:
        return overrides[key]
    if key.startswith("quantile_"):
        return f"{key[9:]}-quantile of T"
    return LABELS.get(key, key)


def box_table(rows: Sequence[dict[str, Any]], columns: Iterable[str], title: str | None = None, digits: int = 10,
              vertical: bool = False, labels: Mapping[str, str] | None = None) -> BoxTable:
    """A terminal table of the rows (numbers right-aligned, no cell ever wrapped or cut); one row
    with many columns, or ``vertical=True``, is shown as quantity/value pairs."""
    from .boxtable import BoxTable

    cols = list(columns)
    if vertical or (len(rows) == 1 and len(cols) > 6):
        several = len(rows) > 1
        # vertical: the narrowest layout, without borders, so that it fits where nothing else does
        table = BoxTable([*(["row"] if several else []), "quantity", "value"], [*([True] if several else []), False, True],
                         title=title, compact=vertical)
        for i, r in enumerate(rows, start=1):
            for j, c in enumerate(cols):
                pair = (label(c, labels), _marked(r, c, cell(r.get(c), digits), DAGGER))
                table.add_row([*((str(i) if j == 0 else "",) if several else ()), *pair], end_section=j == len(cols) - 1)
        return table
    table = BoxTable([label(c, labels) for c in cols], [_numeric(rows, c) for c in cols], title=title)
    for r in rows:
        table.add_row([label(str(r[c])) if c == "quantity" else _marked(r, c, cell(r.get(c), digits), DAGGER) for c in cols])
    return table


#: LaTeX headers: the symbols of the papers, in math mode.
LATEX_LABELS = {
    "k": "$K$", "draws": "$K+1$", "loss": r"$L_{\mathrm{cont}}$", "l_cont": r"$L_{\mathrm{cont}}$",
    "upper_bound": r"$L_{\mathrm{sup}}\le$", "log_upper_bound": r"$\ln(\text{bound})$",
    "lower_bound": r"$L_{\mathrm{sup}}\ge$", "measured_sup": r"$L_{\mathrm{sup}}$ (measured)",
    "tau": r"$\tau_K$", "upsilon": r"$\upsilon_{K+1}$", "log_upsilon": r"$\ln\upsilon_{K+1}$",
    "one_minus_upsilon": r"$1-\upsilon_{K+1}$", "log_one_minus_upsilon": r"$\ln(1-\upsilon_{K+1})$",
    "expected_draws": r"$\mathbb{E}[T]$", "expected": r"$\mathbb{E}[T]$", "ceil_expected": r"$\lceil\mathbb{E}[T]\rceil$",
    "ceil_expected_draws": r"$\lceil\mathbb{E}[T]\rceil$", "std": r"$\mathrm{sd}[T]$",
    "expected_collisions": r"$\mathbb{E}[\mathrm{Col}]$", "collision_term": r"$\mathbb{E}[\ln(1+\mathrm{Col})]$",
    "d": "$d(f)$", "l_sub": r"$L_{\mathrm{sub}}$", "upsilon_prior": r"$\upsilon_{K+1}$ (prior)",
    "tau_prior": r"$\tau_K$ (prior)", "run": "run", "method": "method", "status": "status",
    "arora": r"Arora et al.\ (2019)", "nozawa-sato": r"Nozawa \& Sato (2021)", "ash": r"Ash et al.\ (2022)",
    "bao": r"Bao et al.\ (2022)", "arora-ns": r"Arora et al.\ (as in Nozawa \& Sato)",
    "nozawa-sato-uns": r"Nozawa \& Sato (their code)", "chance_loss": r"$H(\rho)$",
    "informative": r"$<H(\rho)$", "accuracy_at_least": r"acc.\ $\ge$",
}
#: Unicode the text of a caption or cell may hold, as LaTeX (pdflatex reads ASCII only).
_TEX_UNICODE = {"—": "---", "–": "--", "−": "-", "≤": r"$\le$", "≥": r"$\ge$", "×": r"$\times$",
                "υ": r"$\upsilon$", "τ": r"$\tau$", "†": r"$^\dagger$", "∞": r"$\infty$", "≈": r"$\approx$",
                "⌈": r"$\lceil$", "⌉": r"$\rceil$", "·": r"$\cdot$", "…": r"\ldots{}", "→": r"$\to$", "μ": r"$\mu$",
                "σ": r"$\sigma$", "ε": r"$\varepsilon$", "≠": r"$\neq$", "±": r"$\pm$", "²": r"$^2$", "̂": ""}
_LATEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\^{}", "\\": r"\textbackslash{}", "\x02": "{}"}


def _tex(s: str) -> str:
    """Text for LaTeX: the symbols of :data:`_TEX_WORDS` in math mode, specials escaped, the
    Unicode our reports use as LaTeX, anything else outside ASCII as "?" (pdflatex would stop
    at it)."""
    for word, math_word in _TEX_WORDS.items():
        s = s.replace(word, "\0" + math_word + "\0")
    out = []
    for piece_index, piece in enumerate(s.split("\0")):
        if piece_index % 2:  # a symbol already in LaTeX
            out.append(piece)
            continue
        out.append(_tex_chars(piece.replace("--", "-\x02-")))  # an option's "--", not an en dash
    return "".join(out)


#: Symbols our captions and notes write in text, as the papers write them.
_TEX_WORDS = {"υ̂": r"$\hat\upsilon$", "τ̂": r"$\hat\tau$", "L_sup": r"$L_{\mathrm{sup}}$", "L_cont": r"$L_{\mathrm{cont}}$", "L_sub": r"$L_{\mathrm{sub}}$",
              "υ_(K+1)": r"$\upsilon_{K+1}$", "τ_K": r"$\tau_K$", "d(f)": "$d(f)$"}


def _tex_chars(s: str) -> str:
    out = []
    for ch in s:
        t = _LATEX_ESCAPES.get(ch)
        if t is None:
            t = _TEX_UNICODE.get(ch, ch if ch.isascii() else "?")
        out.append(t)
    return "".join(out)


def latex_text(s: str) -> str:
    """Text (captions, notes, cells) for LaTeX: the papers' symbols in math mode, specials
    escaped, the Unicode our reports use as LaTeX (see :func:`_tex`)."""
    return _tex(s)


def latex_label(key: str, overrides: Mapping[str, str] | None = None) -> str:
    """The LaTeX header of column ``key`` (a report's own name for it, as LaTeX, comes first)."""
    if overrides and key in overrides:
        return _tex(overrides[key])
    if key in LATEX_LABELS:
        return LATEX_LABELS[key]
    return _tex(label(key))


def to_latex(rows: Sequence[dict], columns: Sequence[str], digits: int = 6, caption: str | None = None,
             notes: Sequence[str] = (), siunitx: bool = False, labels: Mapping[str, str] | None = None,
             options: Any = None) -> str:
    """A booktabs table to ``\\input`` (needs ``\\usepackage{booktabs}``, and ``siunitx`` with
    ``siunitx=True``): math headers, numbers right-aligned (S columns with siunitx), in a float
    that fits a column where it can (:func:`boundcalc.papertables.float_env`; ``options``: its
    :class:`~boundcalc.papertables.LatexOptions`)."""
    from .papertables import LatexOptions, float_env

    opts = options if options is not None else LatexOptions(siunitx=siunitx)
    siunitx = siunitx or opts.siunitx
    numeric = [_numeric(rows, c) for c in columns]
    spec = "".join(("S" if siunitx else "r") if n else "l" for n in numeric)
    heads = [latex_label(c, labels) for c in columns]
    lines = [["{" + h + "}" if siunitx and n else h for h, n in zip(heads, numeric, strict=True)]]
    style = "siunitx" if siunitx else "latex"
    for r in rows:
        cells = []
        for c, n in zip(columns, numeric, strict=True):
            v = r.get(c)
            is_number = isinstance(v, (int, float)) and not isinstance(v, bool)
            text = human_number(v, digits, style) if is_number else _tex(cell(v, digits))
            marked = _marked(r, c, text, r"$^\dagger$")
            if marked == MISSING_MARK:
                marked = "{---}" if siunitx and n else "---"
            elif siunitx and n and marked != text:  # an S column parses numbers only: typeset this one
                marked = "{\\num{" + text + "}$^\\dagger$}"
            cells.append(marked)
        lines.append(cells)
    measured = [[_siunitx_as_set(c) if siunitx else c for c in line] for line in lines]

    tabular = [r"\begin{tabular}{" + spec + "}", r"\toprule", " & ".join(lines[0]) + r" \\", r"\midrule",
               *(" & ".join(line) + r" \\" for line in lines[1:]), r"\bottomrule", r"\end{tabular}"]
    extra = [_tex(n) for n in (*footnotes(rows, columns), *notes)]
    return float_env(tabular, measured, opts, _tex(caption) if caption else "", extra, "the table")


def _siunitx_as_set(cell_text: str) -> str:
    """An S column's cell as siunitx sets it (1.2e6 as 1.2×10⁶; braces are not printed), for its width."""
    text = cell_text[1:-1] if cell_text.startswith("{") and cell_text.endswith("}") else cell_text
    return re.sub(r"(-?[\d.]+)e(-?\d+)", lambda m: f"${m.group(1)}\\times10^{{{m.group(2)}}}$", text)


def render_text(rows: Sequence[dict], columns: Sequence[str], fmt: str, digits: int = 6, title: str | None = None,
                notes: Sequence[str] = (), siunitx: bool = False, labels: Mapping[str, str] | None = None,
                latex: Any = None) -> str:
    """Rows in one of the file formats (json, jsonl, csv, tsv, markdown, latex)."""
    if fmt == "json":
        return to_json(rows) + "\n"
    if fmt == "jsonl":
        return to_jsonl(rows)
    if fmt in ("csv", "tsv"):
        return to_csv(rows, columns, "," if fmt == "csv" else "\t")
    if fmt == "markdown":
        return to_markdown(rows, columns, digits, notes, labels)
    if fmt == "latex":
        return to_latex(rows, columns, digits, caption=title, notes=notes, siunitx=siunitx, labels=labels, options=latex)
    raise InputError(f"format: unknown {fmt!r}; choose from {', '.join(FORMATS)}")
