"""Every command-line option, declared once (``Annotated``) and shared by the commands that take it,
and the builders that turn a group of options into one of the library's request objects."""

import inspect
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..names import METHODS, PRESETS
from .parse import parse_float_list, parse_int_list
from .render import Format, TableEnv

if TYPE_CHECKING:
    from ..priors import PriorSource
    from ..reports import BoundRequest

Classes = Annotated[int | None, typer.Option("--classes", "-c", help="Uniform prior over C classes.")]
Preset = Annotated[str | None, typer.Option("--prior", "-p", help=f"Preset: {', '.join(PRESETS)}.")]
PriorFile = Annotated[Path | None, typer.Option(
    "--prior-file", help="Per-class counts or weights: JSON, CSV/TSV, text (one per line) or .npy.")]
Labels = Annotated[Path | None, typer.Option(
    "--labels", help="Per-sample labels (text, CSV column or .npy); counts are computed.")]
Fmt = Annotated[Format | None, typer.Option(
    "--format", "-f", help="Output format (default: from the --output suffix, else table).")]
Output = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file instead of the terminal (- for standard output).", readable=False)]
Digits = Annotated[int, typer.Option(
    "--digits", min=1, max=17, help="Significant digits in table, markdown and latex output.")]
WithoutReplacement = Annotated[bool, typer.Option(
    "--without-replacement", help="Draw without replacement from the pool of per-class counts.")]
KList = Annotated[str, typer.Option("--k", "-k", help="Negatives K: one value, a list 31,63,127 or a range 32..1024:x2.")]
OptKList = Annotated[str | None, typer.Option(
    "--k", "-k", help="Negatives K: 7700, a list 31,63,127 or a range 32..1024:x2.")]
Method = Annotated[str, typer.Option("--method", "-m", help=f"all, or a comma list of: {', '.join(METHODS)}.")]
Title = Annotated[str | None, typer.Option("--title", help="Figure title.")]
RunNames = Annotated[str | None, typer.Option(
    "--run-names", help="Rename runs in tables and figures: OLD=NEW,OLD2=NEW2 (short names fit a paper's column).")]
TableEnvOption = Annotated[TableEnv | None, typer.Option(
    "--table-env", help="LaTeX float: table or table* (default: table where it fits a two-column article's column, else table*).")]
Caption = Annotated[str | None, typer.Option("--caption", help="LaTeX caption, as written (default: one in words from the data).")]
Label = Annotated[str | None, typer.Option("--label", help="LaTeX \\label of the table (measure: LABEL-terms, LABEL-bounds).")]
Seed = Annotated[int | None, typer.Option("--seed", "-s", help="Random seed (reproducible results).")]

Loss = Annotated[str | None, typer.Option(
    "--loss", "-l", help="Measured contrastive loss L_cont (one, or one per K).")]
BoundK = Annotated[str | None, typer.Option(
    "--k", "-k", help="Negatives K (with --loss), or the K of --log runs that log none.")]
Log = Annotated[list[Path], typer.Option(
    "--log", help="Training log, run folder or folder of runs (Lightning, TensorBoard, Hugging Face, MLflow, W&B, "
    "Keras, CSV/JSON/JSONL; - for stdin). Repeatable: one row per run and K. PATH::KEY: this log's loss key(s).", allow_dash=True,
    metavar="PATH")]
LossKey = Annotated[str | None, typer.Option(
    "--loss-key", help="Loss column/tag/metric in --log, or a comma list tried in order; one log's own: --log PATH::KEY "
    "(default: loss, train_loss, train/loss, train_nce_loss, train_loss_ssl, …; _epoch before _step).")]
KKey = Annotated[str | None, typer.Option(
    "--k-key", help="Key holding K in --log or its hparams/params/config (default: k, num_negatives, …).")]
Reduce = Annotated[str | None, typer.Option(
    "--reduce", help="A run's loss: last (default), mean, min, or last:N (mean of the last N values).")]
DKey = Annotated[str | None, typer.Option("--d-key", help="Column holding d(f) in --log.")]
LSubKey = Annotated[str | None, typer.Option("--l-sub-key", help="Column holding L_sub in --log.")]
SupKey = Annotated[str | None, typer.Option("--sup-key", help="Column holding the measured L_sup in --log.")]
TKey = Annotated[str | None, typer.Option(
    "--t-key", help="Key holding the temperature in --log or its hparams/params/config (default: temperature, t, tau, temp).")]
D = Annotated[str | None, typer.Option(
    "--d", help="d(f) ≤ 0 (one, or one per K; with --log one per run or per run and K). Without it d = 0 is assumed and said.")]
LSub = Annotated[str | None, typer.Option(
    "--l-sub", help="L_sub ≥ 0 for Nozawa–Sato (default 0, which keeps it valid; with --log one, one per run or per run and K).")]
CollisionTerm = Annotated[str | None, typer.Option(
    "--collision-term", help="Measured E[ln(1+Col)] (one, or one per K; default: exact for the prior or pool).")]
Tau = Annotated[str | None, typer.Option(
    "--tau", help="Measured τ_K in [0, 1] (one, or one per K; default: exact for the prior or pool).")]
Upsilon = Annotated[str | None, typer.Option(
    "--upsilon", help="Measured υ_(K+1) in [0, 1] (one, or one per K; default: exact for the prior or pool).")]
CurlSub = Annotated[str | None, typer.Option(
    "--curl-sub", help="For arora-ns: the measured no-collision sub-task loss on draws missing a class, as a share of "
    "all anchors (measure's curl_sub_uncovered_part; default 0).")]
Measured = Annotated[str | None, typer.Option(
    "--measured", help="Measured terms: the JSON of `boundcalc measure --format json` (- for stdin); one row per K.",
    metavar="FILE")]
PriorTerms = Annotated[bool, typer.Option(
    "--prior-terms", help="With --measured: take τ, υ and the collision term from the prior (or pool), not the file.")]
Temperature = Annotated[float | None, typer.Option(
    "--temperature", "-t", help="Temperature t (Bao et al.: b² = 1/t); with --log for runs whose hparams/config give none.")]
NormBound = Annotated[float | None, typer.Option(
    "--norm-bound", help="Feature-norm bound b instead of --temperature.")]
MeasuredSup = Annotated[str | None, typer.Option(
    "--l-sup", "--measured-sup", help="Measured L_sup (one per K; with --log one, one per run or per run and K): says whether "
    "each bound holds.")]


def prior_source(classes: Classes = None, prior: Preset = None, prior_file: PriorFile = None, labels: Labels = None) -> "PriorSource":
    """The --classes / --prior / --prior-file / --labels group."""
    from ..priors import PriorSource

    return PriorSource(classes, prior, prior_file, labels)


def bound_request(
    classes: Classes = None,
    prior: Preset = None,
    prior_file: PriorFile = None,
    labels: Labels = None,
    loss: Loss = None,
    k: BoundK = None,
    log: Log = [],  # noqa: B006 (typer's way to a repeatable option; never mutated)
    loss_key: LossKey = None,
    k_key: KKey = None,
    d_key: DKey = None,
    l_sub_key: LSubKey = None,
    sup_key: SupKey = None,
    t_key: TKey = None,
    reduce: Reduce = None,
    d: D = None,
    l_sub: LSub = None,
    collision_term: CollisionTerm = None,
    tau: Tau = None,
    upsilon: Upsilon = None,
    curl_sub: CurlSub = None,
    measured: Measured = None,
    prior_terms: PriorTerms = False,
    without_replacement: WithoutReplacement = False,
    temperature: Temperature = None,
    norm_bound: NormBound = None,
    measured_sup: MeasuredSup = None,
    method: Method = "all",
) -> "BoundRequest":
    """The options of ``bound`` and ``plot bounds``, as one request."""
    from ..errors import InputError
    from ..reports import BoundRequest, LossInput, TermInput

    def floats(text: str | None, name: str) -> list[float] | None:
        return None if text is None else parse_float_list(text, name)

    losses = LossInput(
        loss=floats(loss, "--loss"), k=None if k is None else parse_int_list(k, "--k"), d=floats(d, "--d"),
        l_sub=floats(l_sub, "--l-sub"), measured_sup=floats(measured_sup, "--l-sup"),
        logs=[str(p) for p in log], loss_key=loss_key, k_key=k_key, d_key=d_key, l_sub_key=l_sub_key,
        sup_key=sup_key, reduce=reduce, t_key=t_key,
    )
    terms = TermInput(tau=floats(tau, "--tau"), upsilon=floats(upsilon, "--upsilon"),
                      collision_term=floats(collision_term, "--collision-term"), curl_sub=floats(curl_sub, "--curl-sub"))
    if prior_terms and measured is None:
        raise InputError("--prior-terms: goes with --measured (the measured terms it sets aside)")
    return BoundRequest(prior_source(classes, prior, prior_file, labels), losses, method, terms=terms, measured=measured,
                        prior_terms=prior_terms, replace=not without_replacement, temperature=temperature, norm_bound=norm_bound)


def uses(**builders: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the options of each builder: the command's parameter ``name`` receives
    ``builders[name](**those options)``. Typer sees one flat signature (builder options first)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(func)
        own = [p for name, p in sig.parameters.items() if name not in builders]
        taken = {name: list(inspect.signature(b).parameters) for name, b in builders.items()}
        extra = [p for b in builders.values() for p in inspect.signature(b).parameters.values()]
        annotations = {k: v for b in builders.values() for k, v in b.__annotations__.items() if k != "return"}

        @wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            made = {name: b(**{n: kwargs.pop(n) for n in taken[name]}) for name, b in builders.items()}
            return func(**made, **kwargs)

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in extra + own]
        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {**annotations, **{k: v for k, v in func.__annotations__.items() if k not in builders}}
        return wrapper

    return decorate
