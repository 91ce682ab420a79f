"""Property-based fuzzing of the command line: random argument lists over the commands and
their options, and random bytes or near-valid text as prior, label and log files. Every run ends
with exit status 0 or 2 (never a traceback), quickly, and a failed run leaves no output file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from boundcalc.cli import app

runner = CliRunner()

NUMBERS = ["0", "1", "2", "3", "10", "31", "-1", "2.5", "0.5", "1e308", "nan", "inf", "-inf", "", "x", "1e-320",
           "100000000000000000000", "9007199254740993", "0x10", "1_000", "0,5"]
K_LISTS = ["0", "5", "31,63", "1..40", "0..50:5", "2..64:x2", "3..1", "0..10:2.5", "1..10:x1", "0..10:x2", ",", "a..b", "-3"]
FLOAT_LISTS = ["2.0", "2,3", "-1", "nan", "1e400", "", "3.1,", ",", "abc"]
FORMATS = ["table", "json", "csv", "markdown", "latex", "xml"]
PRESETS = ["cifar10", "binary", "imagenet_lt", "nope", ""]

#: Text that looks almost like a prior, label or log file.
NEAR_TEXT = st.text(alphabet="0123456789,.;\t\n\r -+exaNnI_klosKL\"{}[]:", max_size=120)
HEADERS = st.sampled_from(["", "count\n", "label\n", "k,loss\n", "class,count\n", "loss,k,d\n", "\ufeffk,loss\n", "step,train_loss\n"])
FILE_CONTENT = st.one_of(
    st.binary(max_size=160),
    st.builds(lambda h, t: (h + t).encode("utf-8"), HEADERS, NEAR_TEXT),
    st.builds(lambda rows: ("k,loss\n" + "".join(f"{a},{b}\n" for a, b in rows)).encode(), st.lists(
        st.tuples(st.sampled_from(NUMBERS + ["31", "63"]), st.sampled_from(NUMBERS)), max_size=6)),
)
SUFFIX = st.sampled_from([".txt", ".csv", ".tsv", ".json", ".jsonl", ".npy", ""])


def mostly(valid: list[str], anything: list[str]) -> st.SearchStrategy[str]:
    """A valid value three times in four, so that runs reach the computation behind the checks."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(anything))


def _prior_options(draw, files: list[str]) -> list[str]:
    kind = draw(st.sampled_from(["classes", "classes", "classes", "prior", "file", "labels", "none", "two"]))
    if kind == "classes":  # mostly valid, so that runs get past the prior into the computation
        return ["--classes", draw(st.one_of(st.sampled_from(["1", "3", "10", "100"]), st.sampled_from(NUMBERS)))]
    if kind == "prior":
        return ["--prior", draw(st.sampled_from(PRESETS))]
    if kind == "file":
        return ["--prior-file", draw(st.sampled_from(files))]
    if kind == "labels":
        return ["--labels", draw(st.sampled_from(files))]
    if kind == "two":
        return ["--classes", "10", "--prior", "cifar10"]
    return []


@st.composite
def invocations(draw, files: list[str]):
    command = draw(st.sampled_from(["coverage", "collision", "draws", "bound", "simulate", "presets", "plot coverage", "negatives"]))
    args = command.split()
    if command != "presets":
        args += _prior_options(draw, files)
    if draw(st.integers(0, 9)) > 0:  # the options a command needs, nearly always present
        if command in ("coverage", "collision", "negatives"):
            args += ["--k", draw(mostly(["5", "31,63", "1..40", "2..64:x2"], K_LISTS))]
        elif command == "simulate":
            args += ["--k", draw(mostly(["3", "31"], NUMBERS[:8])), "--trials", draw(mostly(["20", "200"], ["0", "-5"]))]
        elif command == "plot coverage":
            args += ["--k-max", draw(mostly(["1", "50"], ["0", "-3", "x"]))]
        elif command == "bound":
            args += ["--loss", draw(mostly(["2.0", "4.5"], FLOAT_LISTS)), "--k", draw(mostly(["31", "5", "31,63"], K_LISTS))]
    pool: list[tuple[str, st.SearchStrategy[str]]] = [
        ("--format", mostly(["table", "json", "csv"], FORMATS)),
        ("--digits", mostly(["1", "6", "17"], ["0", "99", "x"])),
    ]
    if command in ("coverage", "collision", "bound"):
        pool.append(("--k", mostly(["5", "31,63", "1..40", "2..64:x2"], K_LISTS)))
    if command == "coverage":
        pool += [("--draws", mostly(["12", "1..30"], K_LISTS)), ("--target", mostly(["0.5", "0.99"], NUMBERS))]
    if command == "negatives":
        pool += [("--fraction", mostly(["0.01", "0.001,0.05"], ["0", "1.5", "", "x", "1"])),
                 ("--confidence", mostly(["0.9", "0.99"], ["0", "1", "-1", "nan"]))]
    if command in ("coverage", "draws", "simulate", "plot coverage", "negatives"):
        pool.append(("--without-replacement", st.just("")))
    if command == "draws":
        pool.append(("--quantiles", st.sampled_from(["0.5", "0.5,0.9", "0.9999999,1", "1.5", "", "0,1", "0.5,0.5"])))
    if command == "bound":
        pool += [("--loss", mostly(["2.0", "2,3", "4.5"], FLOAT_LISTS)), ("--log", st.sampled_from([*files, "-"])),
                 ("--d", mostly(["-1.0", "-0.5,-0.6"], FLOAT_LISTS)), ("--l-sub", mostly(["1.0"], FLOAT_LISTS)),
                 ("--temperature", mostly(["0.5", "0.1"], NUMBERS)), ("--norm-bound", st.sampled_from(NUMBERS)),
                 ("--collision-term", st.sampled_from(NUMBERS)), ("--measured-sup", mostly(["1.0", "2,3"], FLOAT_LISTS)),
                 ("--method", st.sampled_from(["all", "ash", "bao,arora", "", "foo", ","])),
                 ("--loss-key", st.sampled_from(["loss", "nope", "k"])), ("--k-key", st.sampled_from(["k", "loss", "x"])),
                 ("--last", st.just(""))]
    if command == "simulate":
        pool += [("--seed", st.sampled_from(["0", "1", "-1"]))]
    given_flags = set(args)
    chosen = draw(st.lists(st.sampled_from([p for p in pool if p[0] not in given_flags]), max_size=5, unique_by=lambda p: p[0]))
    for flag, values in chosen:
        args.append(flag)
        value = draw(values)
        if flag not in ("--without-replacement", "--last"):  # switches take no value
            args.append(value)
    if draw(st.booleans()) and command != "plot coverage":
        args += ["--output", "OUT"]
    return args


@settings(max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), contents=st.lists(st.tuples(FILE_CONTENT, SUFFIX), min_size=1, max_size=3), stdin=NEAR_TEXT)
def test_cli_never_crashes(data, contents, stdin):
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, (content, suffix) in enumerate(contents):
            f = Path(tmp) / f"in{i}{suffix}"
            f.write_bytes(content)
            files.append(str(f))
        args = data.draw(invocations(files))
        out = Path(tmp) / "out.file"
        args = [str(out) if a == "OUT" else a for a in args]
        res = runner.invoke(app, args, input=stdin)
        event(f"{args[0]} exit {res.exit_code}")  # pytest --hypothesis-show-statistics shows the mix
        assert res.exit_code in (0, 2), (args, res.output, repr(res.exception))
        assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
        assert "Traceback" not in res.output, args
        if res.exit_code == 2:
            assert not out.exists(), ("a failed run left an output file", args)
        elif out.exists() and "--format" in args and args[args.index("--format") + 1] == "json":
            json.loads(out.read_text())  # complete, not half-written
        leftovers = [p.name for p in Path(tmp).iterdir() if p.name.startswith(".out.file")]
        assert not leftovers, ("temporary output left behind", args)
