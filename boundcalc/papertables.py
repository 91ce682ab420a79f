"""Tables for papers: compact layouts that fit a column, and the float around any LaTeX table.

The compact layout puts the methods as rows and the (run, K) entries as columns, or the
transpose, whichever is narrower (:class:`Grid`). Every LaTeX table's width is estimated from
Computer Modern's glyph widths (:func:`tex_width`: an upper estimate, checked against pdflatex
by the tests) and set so that it fits ``\\columnwidth`` of a two-column article where it can —
first as it is, then in ``\\small`` with narrower column gaps — else as ``table*``, which is said
in a LaTeX comment and as a warning. Captions and notes speak the paper's language: symbols
and words, never the tool's options.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .formats import WIDE_FOOTNOTES, human_number, latex_text, rename_runs

__all__ = ["LatexOptions", "Grid", "tex_width", "tabular_width", "float_env", "bound_grid", "measure_tables", "bound_tables",
           "paper_notes", "COLUMN_WIDTH_PT", "TEXT_WIDTH_PT", "TABLE_ENVS", "COMPACT_DIGITS"]

#: \columnwidth of a two-column article on A4 at 10 pt (letter paper: 229.5 pt; ACL: 219 pt), and
#: its \textwidth (what table* spans), in TeX points.
COLUMN_WIDTH_PT = 221.0
TEXT_WIDTH_PT = 452.0
#: LaTeX's default \tabcolsep (each side of every column).
TABCOLSEP_PT = 6.0
#: \small in a 10 pt document is 9 pt, whose cmr9 glyphs are relatively wider: a 9 pt digit is
#: 4.59 pt, 92 % of a 10 pt one (the size our widths are estimated at).
SMALL_SIZE = 9.2
#: How a table is set, tried in turn until it fits: (size command, size for the widths, \tabcolsep).
SETTINGS = ((None, 10.0, TABCOLSEP_PT), (r"\small", SMALL_SIZE, 4.0), (r"\small", SMALL_SIZE, 3.0))
#: A table is taken to fit when its estimated width, times this, is within the column: the
#: estimate is within 3 % of what pdflatex sets (tests/test_formats.py measures it).
FIT_MARGIN = 1.03
TABLE_ENVS = ("table", "table*")
#: Significant digits of a compact table when none are asked for: what a paper prints.
COMPACT_DIGITS = 3

#: Widths of Computer Modern Roman 10 pt glyphs (cmr10 TFM, points); others count as an "m" would.
_CMR10 = {
    **dict.fromkeys("0123456789", 5.0), ".": 2.78, ",": 2.78, ":": 2.78, ";": 2.78, " ": 3.33, "-": 3.33, "(": 3.89,
    ")": 3.89, "[": 2.78, "]": 2.78, "/": 5.0, "%": 8.33, "=": 7.78, "+": 7.78, "<": 7.78, ">": 7.78, "*": 5.0, "'": 2.78,
    "!": 2.78, "?": 4.72, "|": 2.78, "a": 5.0, "b": 5.56, "c": 4.44, "d": 5.56, "e": 4.44, "f": 3.06, "g": 5.0, "h": 5.56,
    "i": 2.78, "j": 3.06, "k": 5.28, "l": 2.78, "m": 8.33, "n": 5.56, "o": 5.0, "p": 5.56, "q": 5.28, "r": 3.92, "s": 3.94,
    "t": 3.89, "u": 5.56, "v": 5.28, "w": 7.22, "x": 5.28, "y": 5.28, "z": 4.44, "A": 7.5, "B": 7.08, "C": 7.22, "D": 7.64,
    "E": 6.81, "F": 6.53, "G": 7.85, "H": 7.5, "I": 3.61, "J": 5.14, "K": 7.78, "L": 6.25, "M": 9.17, "N": 7.5, "O": 7.78,
    "P": 6.81, "Q": 7.78, "R": 7.36, "S": 5.56, "T": 7.22, "U": 7.5, "V": 7.5, "W": 10.28, "X": 7.5, "Y": 7.5, "Z": 6.11,
}
_DEFAULT_GLYPH = 8.33
#: Math italic letters are a little wider than roman ones (cmmi10 against cmr10).
_MATH_ITALIC = 1.08
#: Width (points, 10 pt) of the commands our tables use; a command not listed counts as _DEFAULT_GLYPH.
_COMMANDS = {
    "times": 7.78, "le": 7.78, "ge": 7.78, "leq": 7.78, "geq": 7.78, "dagger": 4.44, "infty": 10.0, "ldots": 10.0,
    "upsilon": 5.7, "tau": 4.4, "rho": 5.2, "sigma": 5.7, "mu": 6.0, "varepsilon": 4.7, "to": 10.0, "neq": 7.78,
    "pm": 7.78, "cdot": 2.78, "lceil": 4.44, "rceil": 4.44, ",": 1.67, " ": 3.33, "&": 7.78, "%": 8.33, "_": 5.0, "#": 8.33,
    "$": 5.0, "{": 5.0, "}": 5.0, "textasciitilde": 5.0, "textbackslash": 5.0, "ln": 8.34, "log": 12.8, "hat": 0.0,
    "widehat": 0.0, "mathrm": 0.0, "text": 0.0, "mathbb": 0.0, "num": 0.0, "emph": 0.0, "textit": 0.0, "textbf": 0.0,
    "slash": 5.0, "allowbreak": 0.0, "relax": 0.0, "/": 0.0, "-": 0.0,
}
#: Superscripts and subscripts are set at 7 pt in a 10 pt line, in cmr7/cmmi7, whose glyphs are
#: relatively wider: a 7 pt digit is 4.09 pt wide, 82 % of a 10 pt one.
_SCRIPT = 0.82
#: Space math mode puts around a binary operator (2 × \medmuskip = 8/18 em) and a relation
#: (2 × \thickmuskip = 10/18 em), points at 10 pt; a minus sign in math is 7.78 pt wide.
_BINARY_SPACE = 4.44
_RELATION_SPACE = 5.56
_MATH_MINUS = 7.78
_BINARY = {"times", "pm", "cdot"}
_RELATIONS = {"le", "ge", "leq", "geq", "neq", "to"}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}$^_])|(.)", re.S)


def tex_width(latex: str, size: float = 10.0) -> float:
    """An estimate (points) of the width ``latex`` typesets to at ``size`` pt in Computer Modern:
    glyph widths from cmr10 (math letters from cmmi10, about 8 % wider), scripts as cmr7 sets
    them, the space math puts around operators and relations, and the widths of the commands
    our tables use. Within a few percent for table cells (the tests compare it with pdflatex)."""
    width = 0.0
    math_mode = False
    first_in_math = False
    levels: list[float] = []  # the scale of each open group
    scale = 1.0
    pending_script = False
    for m in _TOKEN.finditer(latex):
        command, special, char = m.groups()
        current = scale * (_SCRIPT if pending_script else 1.0)
        if special == "$":
            math_mode = not math_mode
            first_in_math = math_mode
            continue
        if special in ("^", "_"):
            pending_script = True
            continue
        if special == "{":
            levels.append(scale)
            scale = current
            pending_script = False
            continue
        if special == "}":
            scale = levels.pop() if levels else 1.0
            continue
        spaced = math_mode and not first_in_math and scale == 1.0 and not pending_script
        if command is not None:
            width += _COMMANDS.get(command, _DEFAULT_GLYPH) * current
            if spaced and command in _BINARY:
                width += _BINARY_SPACE
            elif spaced and command in _RELATIONS:
                width += _RELATION_SPACE
        elif char is not None:
            if math_mode and char == "-":
                width += _MATH_MINUS * current + (_BINARY_SPACE if spaced else 0.0)
            elif math_mode and char in "=<>":
                width += _CMR10[char] * current + (_RELATION_SPACE if spaced else 0.0)
            elif math_mode and char == "+":
                width += _CMR10[char] * current + (_BINARY_SPACE if spaced else 0.0)
            else:
                glyph = _CMR10.get(char, _DEFAULT_GLYPH)
                width += glyph * (_MATH_ITALIC if math_mode and char.isalpha() else 1.0) * current
        if math_mode and (command is not None or char is not None) and char != " ":
            first_in_math = False
        pending_script = False
    return width * size / 10.0


@dataclass(frozen=True)
class LatexOptions:
    """How a LaTeX table is set: ``caption`` (LaTeX, as written; default: one in words from the
    data), ``label`` (for \\label), ``table_env`` ("table", "table*", or None: table where it fits a
    column, else table*), ``run_names`` (renames runs: {old: new} or "old=new,…"), ``digits``
    (significant digits; None: :data:`COMPACT_DIGITS` in compact tables), ``siunitx``."""

    caption: str | None = None
    label: str | None = None
    table_env: str | None = None
    run_names: str | Mapping[str, str] | None = None
    digits: int | None = None
    siunitx: bool = False

    def __post_init__(self) -> None:
        if self.table_env is not None and self.table_env not in TABLE_ENVS:
            raise InputError(f"table_env: table or table*, got {self.table_env!r}")
        if self.label is not None and (not self.label.strip() or re.search(r"[\s{}\\#%]", self.label)):
            raise InputError(f"label: a LaTeX label without spaces, braces, backslashes, # or %, got {self.label!r}")


@dataclass
class Grid:
    """A table of ``cells`` with one row per ``row_names`` entry and one column per
    ``col_keys`` entry; ``col_levels`` name the parts of a column's key (e.g. run, K). Either
    orientation can be set (:meth:`tabular`). ``rules_after``: row indices followed by a rule;
    ``short_names``: the row names as column headers of the transpose."""

    row_names: list[str]
    col_levels: list[str]
    col_keys: list[tuple[str, ...]]
    cells: list[list[str]]
    rules_after: set[int] = field(default_factory=set)
    #: The row names as column headers (transposed), where shorter ones say the same.
    short_names: list[str] | None = None

    def _table(self, transpose: bool) -> tuple[list[list[str]], int, str, list[int]]:
        """(lines of cells, header lines, column spec, rule positions) of one orientation."""
        if not transpose:
            head = [[lvl, *(key[i] for key in self.col_keys)] for i, lvl in enumerate(self.col_levels)]
            body = [[name, *cells] for name, cells in zip(self.row_names, self.cells, strict=True)]
            spec = "l" + "r" * len(self.col_keys)
            rules = sorted(i for i in self.rules_after if i < len(body) - 1)
        else:
            head = [[*self.col_levels, *(self.short_names or self.row_names)]]
            body = [[*key, *(row[j] for row in self.cells)] for j, key in enumerate(self.col_keys)]
            spec = "l" * (len(self.col_levels) - 1) + "r" + "r" * len(self.row_names)
            rules = []
        return head + body, len(head), spec, rules

    def width(self, transpose: bool, size: float = 10.0, sep: float = TABCOLSEP_PT) -> float:
        """Estimated width of the tabular (points)."""
        return tabular_width(self.cells_as_set(transpose), size, sep)

    def cells_as_set(self, transpose: bool) -> list[list[str]]:
        """Every cell of the tabular, header lines included."""
        return self._table(transpose)[0]

    def tabular(self, transpose: bool) -> list[str]:
        """The tabular's lines (booktabs)."""
        lines, n_head, spec, rules = self._table(transpose)
        out = [r"\begin{tabular}{" + spec + "}", r"\toprule"]
        for i, line in enumerate(lines):
            out.append(" & ".join(line) + r" \\")
            if i == n_head - 1 or i >= n_head and (i - n_head) in rules:
                out.append(r"\midrule")
        out += [r"\bottomrule", r"\end{tabular}"]
        return out


def tabular_width(lines: Sequence[Sequence[str]], size: float, sep: float) -> float:
    n = max(len(line) for line in lines)
    cols = [max((tex_width(line[j], size) for line in lines if j < len(line)), default=0.0) for j in range(n)]
    return sum(cols) + 2 * sep * n


def float_env(tabular: Sequence[str], cells: Sequence[Sequence[str]], options: LatexOptions, caption: str, notes: Sequence[str],
              what: str) -> str:
    """A float holding the ``tabular`` lines, whose ``cells`` (as typeset) give its width: set in
    the first of :data:`SETTINGS` in which it fits :data:`COLUMN_WIDTH_PT`. The environment is
    ``options.table_env``, or table where the tabular fits a column, else table* (in the first
    setting that fits :data:`TEXT_WIDTH_PT`); a table wider than a column says so in a LaTeX
    comment and a warning naming ``what``."""
    widths = [tabular_width(cells, size, sep) * FIT_MARGIN for _, size, sep in SETTINGS]
    column = next((i for i, w in enumerate(widths) if w <= COLUMN_WIDTH_PT), None)
    env = options.table_env or ("table" if column is not None else "table*")
    chosen = column if column is not None else next((i for i, w in enumerate(widths) if w <= TEXT_WIDTH_PT), len(SETTINGS) - 1)
    if env == "table*" and column is None:
        chosen = next((i for i, w in enumerate(widths) if w <= TEXT_WIDTH_PT), len(SETTINGS) - 1)
    comment = []
    if column is None:
        shown = widths[chosen]
        said = (f"{what}: {shown:.0f} pt wide, more than a column ({COLUMN_WIDTH_PT:.0f} pt in a two-column article): "
                f"it needs table*" + ("" if env == "table*" else " (set as table, as asked)"))
        if shown > TEXT_WIDTH_PT:
            said += f"; wider than the text ({TEXT_WIDTH_PT:.0f} pt) too: fewer columns or digits"
        comment.append(f"% boundcalc: {said}.")
        warnings.warn(said, stacklevel=3)
    out = [*comment, rf"\begin{{{env}}}[t]", r"\centering"]
    text = options.caption if options.caption is not None else caption
    if text:
        out.append(r"\caption{" + text + "}")
    if options.label:
        out.append(r"\label{" + options.label + "}")
    size, _, sep = SETTINGS[chosen]
    if size:  # the table's body only: the caption keeps the document's size
        out += [size, rf"\setlength{{\tabcolsep}}{{{sep:g}pt}}"]
    out += list(tabular)
    if notes:
        out.append(r"\par\smallskip{\footnotesize\raggedright " + r" \\ ".join(notes) + r"\par}")
    out.append(rf"\end{{{env}}}")
    return "\n".join(out) + "\n"


def _grid_float(grid: Grid, options: LatexOptions, caption: str, notes: Sequence[str], what: str) -> str:
    transpose = grid.width(True) < grid.width(False)
    return float_env(grid.tabular(transpose), grid.cells_as_set(transpose), options, caption, notes, what)


# ------------------------------------------------------------------ the bound table
#: Methods as a compact table names them (the caption cites them in full).
COMPACT_METHODS = {"arora": "Arora et al.", "nozawa-sato": r"Nozawa \& Sato", "ash": "Ash et al.", "bao": "Bao et al.",
                   "arora-ns": r"Arora (N\&S form)", "nozawa-sato-uns": r"N\&S (their code)"}
#: Methods as the header of a column (the transposed compact table; the caption cites them in full).
SHORT_METHODS = {"arora": "Arora", "nozawa-sato": r"N\&S", "ash": "Ash", "bao": "Bao", "arora-ns": r"Arora (N\&S)",
                 "nozawa-sato-uns": r"N\&S (code)"}
#: The published sources, for captions.
SOURCES = {"arora": "Arora et al.\\ (2019)", "nozawa-sato": "Nozawa \\& Sato (2021)", "ash": "Ash et al.\\ (2022)",
           "bao": "Bao et al.\\ (2022)", "arora-ns": "Arora et al.\\ (2019) as compared by Nozawa \\& Sato (2021)",
           "nozawa-sato-uns": "Nozawa \\& Sato (2021) as their code computes it"}


def _number(v: Any, digits: int, siunitx: bool) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "{---}" if siunitx else "---"
    text = human_number(v, digits, "siunitx" if siunitx else "latex")
    return text


def _bound_cell(r: Mapping[str, Any], digits: int, siunitx: bool) -> str:
    u = r.get("upper_bound")
    if u is None:
        return "{---}" if siunitx else "---"
    text = _number(u, digits, siunitx)
    if r.get("status") == "assumes_d_zero":
        return "{\\num{" + text + "}$^\\dagger$}" if siunitx else text + "$^\\dagger$"
    return text


def _entries(rows: Sequence[Mapping[str, Any]], run_names: str | Mapping[str, str] | None) -> list[tuple[str | None, Any]]:
    runs = rename_runs([r.get("run") for r in rows], run_names) if any("run" in r for r in rows) else [None] * len(rows)
    if run_names is not None and not any("run" in r for r in rows):
        raise InputError("run_names: renames the runs of a `log`; there is none")
    return [(run, r["k"]) for run, r in zip(runs, rows, strict=True)]


def bound_grid(rows: Sequence[Mapping[str, Any]], options: LatexOptions) -> tuple[Grid, list[str]]:
    """The bounds of the long layout's ``rows`` (one per run, K and method) as a compact grid:
    L_cont, measured L_sup where given, and one row per method, against one column per (run, K);
    and the notes its marks need."""
    digits = options.digits or COMPACT_DIGITS
    keys = _entries(rows, options.run_names)
    order = list(dict.fromkeys(keys))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    col = {key: j for j, key in enumerate(order)}
    with_runs = any(run is not None for run, _ in order)
    cells: dict[str, list[str]] = {m: ["---"] * len(order) for m in methods}
    loss = ["---"] * len(order)
    sup: list[str | None] = [None] * len(order)
    for key, r in zip(keys, rows, strict=True):
        j = col[key]
        cells[r["method"]][j] = _bound_cell(r, digits, options.siunitx)
        loss[j] = _number(r.get("loss"), digits, options.siunitx)
        if r.get("measured_sup") is not None:
            sup[j] = _number(r["measured_sup"], digits, options.siunitx)
    names = [r"$L_{\mathrm{cont}}$"]
    body = [loss]
    if any(s is not None for s in sup):
        names.append(r"$L_{\mathrm{sup}}$ (measured)")
        body.append([s or "---" for s in sup])
    rules = {len(body) - 1}
    short = list(names)
    for m in methods:
        names.append(COMPACT_METHODS.get(m, latex_text(m)))
        short.append(SHORT_METHODS.get(m, latex_text(m)))
        body.append(cells[m])
    levels = (["run"] if with_runs else []) + ["$K$"]
    col_keys = [((latex_text(str(run)),) if with_runs else ()) + (str(k),) for run, k in order]
    grid = Grid(names, levels, col_keys, body, rules, short)
    notes = []
    if any(r.get("upper_bound") is None for r in rows):
        notes.append(latex_text(WIDE_FOOTNOTES["missing"]))
    if any(r.get("status") == "assumes_d_zero" and r.get("upper_bound") is not None for r in rows):
        notes.append(latex_text(WIDE_FOOTNOTES["assumes_d_zero"]))
    return grid, notes


def _prior_words(prior: str) -> str:
    """A prior as the report prints it ("cifar100 (C=100, uniform)", "uniform(C=10)") in words."""
    m = re.fullmatch(r"uniform\(C=(\d+)\)", prior)
    if m:
        return f"a uniform prior over $C = {m.group(1)}$ classes"
    m = re.fullmatch(r"(.+) \(C=(\d+), (uniform|counts|weights)\)", prior)
    if m:
        how = {"uniform": "uniform over", "counts": "class counts of", "weights": "class weights of"}[m.group(3)]
        return f"the {latex_text(m.group(1))} prior ({how} $C = {m.group(2)}$ classes)"
    return latex_text(prior)


def _chance_note(rows: Sequence[Mapping[str, Any]], uniform: bool) -> list[str]:
    chance = next((r.get("chance_loss") for r in rows if r.get("chance_loss") is not None), None)
    if chance is None:
        return []
    name = r"\ln C" if uniform else r"H(\rho)"
    below = [r for r in rows if r.get("upper_bound") is not None and r["upper_bound"] < chance]
    tail = "." if below else "; no bound here is below it, so none certifies anything about the classifier."
    return [f"Chance: ${name} = {chance:.4g}$, the loss of a classifier that ignores its input{tail}"]


def paper_notes(notes: Sequence[str], statuses: set[str]) -> list[str]:
    """The report's notes a paper keeps, in its words: notes on a status (the marks say it) or on
    certificates (the chance note says it) are left out; what names an option is cut."""
    out = []
    for n in notes:
        head = n.split(":", 1)[0]
        if head in statuses or head in ("informative", "inf") or n.startswith("No bound is below"):
            continue
        n = re.sub(r"\s*\([^()]*(--|`)[^()]*\)", "", n)  # "(reduce: last; set with --reduce)"
        n = re.sub(r";[^;]*--[\w-]+[^;]*", "", n)
        if "--" in n or "`" in n:
            continue
        if n.startswith("loss: "):
            n = "L_cont: " + n[len("loss: "):]
        n = re.sub(r"\b(tau|upsilon|collision_term)\b", lambda m: {"tau": "τ_K", "upsilon": "υ_(K+1)",
                                                                      "collision_term": "E[ln(1+Col)]"}[m.group(1)], n)
        out.append(latex_text(n.rstrip(".") + "."))
    return out


def bound_tables(rows: Sequence[Mapping[str, Any]], title: str, notes: Sequence[str], options: LatexOptions) -> str:
    """The compact LaTeX table of ``bound``'s long rows: methods against (run, K), whichever
    orientation is narrower, in a float that fits a column where it can."""
    grid, marks = bound_grid(rows, options)
    prior = title.split(" — ", 1)[1] if " — " in title else ""
    uniform = "uniform" in prior
    prior = _prior_words(prior)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cites = "; ".join(SOURCES.get(m, latex_text(m)) for m in methods)
    where = f", {prior}" if prior else ""
    caption = (rf"Upper bounds on the supervised loss $L_{{\mathrm{{sup}}}}$ of the mean classifier from the contrastive "
               rf"loss $L_{{\mathrm{{cont}}}}${where}: {cites}.")
    statuses = {str(r.get("status")) for r in rows}
    return _grid_float(grid, options, caption, [*marks, *_chance_note(rows, uniform), *paper_notes(notes, statuses)],
                       "the bound table")


# ------------------------------------------------------------------ measure's tables
#: The measured terms as a paper writes them (hats: estimates from the features).
MEASURED_SYMBOLS = {
    "l_cont": r"$L_{\mathrm{cont}}$", "upsilon": r"$\hat\upsilon_{K+1}$", "tau": r"$\hat\tau_K$",
    "sup_part": "sup part", "sub_part": "sub part", "collision_term": r"$\mathbb{E}[\ln(1+\mathrm{Col})]$",
    "d": "$d(f)$", "lower_bound": r"$L_{\mathrm{cont}}$ bound (N\&S)", "l_sup_covered": r"$L_{\mathrm{sup}}$ (covered)",
    "l_sub_uncovered": r"$L_{\mathrm{sub}}$ (uncovered)", "l_sup": r"$L_{\mathrm{sup}}$", "accuracy": "accuracy",
    "accuracy_two_views": "accuracy (2 views)", "curl_sub_part": "CURL part", "l_sub_no_collision": r"$L_{\mathrm{sub}}$ (no repeat)",
    "l_cont_no_collision": r"$L_{\mathrm{cont}}$ (no repeat)", "arora_lower_bound": r"$L_{\mathrm{cont}}$ bound (Arora)",
}


def _with_interval(v: Any, lo: Any, hi: Any, digits: int) -> str:
    """A value and its interval, "4.42 [4.41, 4.43]"; where all three share a power of ten beyond
    the fixed range, it is written once: "2.85 [2.83, 2.87]×10¹⁰" (narrower, and the digits line up)."""
    from .formats import mantissa_exponent

    text = _number(v, digits, False)
    if lo is None or hi is None or v is None:
        return text
    parts = [mantissa_exponent(float(x), digits) if isinstance(x, (int, float)) and x != 0 else ("0", None) for x in (v, lo, hi)]
    exps = {e for _, e in parts}
    if len(exps) == 1 and None not in exps:
        (mv, e), (ml, _), (mh, _) = parts
        return f"${mv}\\,[{ml}, {mh}]\\times10^{{{e}}}$"
    return f"{text} [{_number(lo, digits, False)}, {_number(hi, digits, False)}]"


def measure_tables(rows: Sequence[Mapping[str, Any]], options: LatexOptions) -> str:
    """``measure``'s flat rows (one per K and method) as two compact LaTeX tables: the measured
    terms with their 95 % intervals, and the bounds with theirs — terms (methods) against K, or
    the transpose, whichever is narrower."""
    digits = options.digits or COMPACT_DIGITS
    ks = list(dict.fromkeys(r["k"] for r in rows))
    first = {k: next(r for r in rows if r["k"] == k) for k in ks}
    terms = [t for t in MEASURED_SYMBOLS if any(first[k].get(t) is not None for k in ks)]
    col_keys: list[tuple[str, ...]] = [(str(k),) for k in ks]
    term_cells = [[_with_interval(first[k].get(t), first[k].get(f"{t}_ci_low"), first[k].get(f"{t}_ci_high"), digits)
                   for k in ks] for t in terms]
    terms_grid = Grid([MEASURED_SYMBOLS[t] for t in terms], ["$K$"], col_keys, term_cells)
    one = first[ks[0]]
    batches = ", ".join(f"{first[k].get('n_anchors')} anchors in {first[k].get('n_batches')} batches" for k in ks)
    temperature = one.get("temperature")
    replicates = one.get("bootstrap")
    t_text = f" at temperature $t = {temperature:g}$" if isinstance(temperature, (int, float)) else ""
    interval = f"95\\% bootstrap intervals over batches ({replicates} replicates)" if replicates else "no intervals"
    caption_terms = f"The terms of the bounds measured from the encoder's features{t_text} ({batches}); {interval}."
    methods = list(dict.fromkeys(r["method"] for r in rows))
    bound_cells = []
    for m in methods:
        line = []
        for k in ks:
            r = next(x for x in rows if x["k"] == k and x["method"] == m)
            cell = _with_interval(r.get("upper_bound"), r.get("upper_bound_ci_low"), r.get("upper_bound_ci_high"), digits)
            line.append(cell + ("$^\\dagger$" if r.get("status") == "assumes_d_zero" and r.get("upper_bound") is not None else ""))
        bound_cells.append(line)
    bounds_grid = Grid([COMPACT_METHODS.get(m, latex_text(m)) for m in methods], ["$K$"], col_keys, bound_cells,
                       short_names=[SHORT_METHODS.get(m, latex_text(m)) for m in methods])
    cites = "; ".join(SOURCES.get(m, latex_text(m)) for m in methods)
    caption_bounds = (r"Upper bounds on the supervised loss $L_{\mathrm{sup}}$ from the measured terms, with 95\% bootstrap "
                      rf"intervals: {cites}.")
    marks = []
    if any(r.get("upper_bound") is None for r in rows):
        marks.append(latex_text(WIDE_FOOTNOTES["missing"]))
    if any(r.get("status") == "assumes_d_zero" for r in rows):
        marks.append(latex_text(WIDE_FOOTNOTES["assumes_d_zero"]))
    label = options.label
    out = []
    for grid, caption, notes, suffix, what in ((terms_grid, caption_terms, [], "terms", "the measured terms' table"),
                                               (bounds_grid, caption_bounds, marks, "bounds", "the bound table")):
        opts = LatexOptions(None, f"{label}-{suffix}" if label else None, options.table_env, None, digits, False)
        out.append(_grid_float(grid, opts, caption if options.caption is None else f"{options.caption} {caption}", notes, what))
    return "\n".join(out)
