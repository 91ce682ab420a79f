"""bound --measured: the JSON that measure writes, read right or refused naming the row."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from boundcalc.bounds import compute_bounds
from boundcalc.cli import app
from boundcalc.errors import InputError
from boundcalc.measured import measured_columns, read_measured
from boundcalc.textfiles import MAX_JSON_DEPTH, read_json

ROWS = [
    {"k": 127, "temperature": 0.5, "l_cont": 3.32, "upsilon": 0.0, "tau": 0.72, "collision_term": 0.69, "d": -0.99,
     "l_sub_uncovered": 2.9, "curl_sub_uncovered_part": 0.4, "l_sup": 1.6, "accuracy": 0.6, "intervals": {"l_cont": [3.3, 3.34]}},
    {"k": 255, "temperature": 0.5, "l_cont": 4.0, "upsilon": 0.2, "tau": 0.92, "collision_term": 1.2, "d": -1.0,
     "l_sub_uncovered": 3.1, "curl_sub_uncovered_part": 0.1, "l_sup": 1.5, "accuracy": 0.62},
]


def test_columns_feed_compute_bounds_as_typed_values_would():
    cols = measured_columns(ROWS)
    got = compute_bounds(cols["loss"], cols["k"], 100, ("arora", "arora-ns", "nozawa-sato", "bao"), d=cols["d"],
                         l_sub=cols["l_sub"], curl_sub=cols["curl_sub"], collision_term=cols["collision_term"], tau=cols["tau"],
                         upsilon=cols["upsilon"], temperature=cols["temperature"], measured_sup=cols["measured_sup"])
    want = []
    for r in ROWS:
        want += compute_bounds(r["l_cont"], r["k"], 100, ("arora", "arora-ns", "nozawa-sato", "bao"), d=r["d"],
                               l_sub=r["l_sub_uncovered"], curl_sub=r["curl_sub_uncovered_part"], collision_term=r["collision_term"],
                               tau=r["tau"], upsilon=r["upsilon"], temperature=0.5, measured_sup=r["l_sup"])
    assert [b.as_dict() for b in got] == [b.as_dict() for b in want]


def test_prior_terms_set_the_measured_probabilities_aside():
    cols = measured_columns(ROWS, prior_terms=True)
    assert cols["tau"] == cols["upsilon"] == cols["collision_term"] == [None, None]
    assert cols["loss"] == [3.32, 4.0] and cols["d"] == [-0.99, -1.0]


@pytest.mark.parametrize("rows,msg", [
    ([], "non-empty JSON list"),
    ({"k": 1}, "non-empty JSON list"),
    ([1], "row 1: expected an object"),
    ([{"l_cont": 1.0}], "row 1: needs `k` and `l_cont`"),
    ([{"k": 3, "l_cont": 1.0}, {"k": 3, "l_cont": 2.0}], "row 2: K = 3 again"),
    ([{"k": 3, "l_cont": 1.0, "tau": 1.2}], r"row 1: tau = 1.2 lies outside its domain \[0, 1\]"),
    ([{"k": 3, "l_cont": 1.0, "upsilon": -0.1}], "upsilon = -0.1"),
    ([{"k": 3, "l_cont": 1.0, "d": 0.5}], "d = 0.5"),
    ([{"k": 3, "l_cont": "2"}], "l_cont must be a number"),
    ([{"k": 2.5, "l_cont": 1.0}], "k must be a whole number"),
    ([{"k": True, "l_cont": 1.0}], "k must be a whole number"),
    ([{"k": 3, "l_cont": 1.0, "temperature": 0}], "temperature = 0"),
])
def test_bad_rows_refused_naming_the_row(rows, msg):
    with pytest.raises(InputError, match=msg):
        measured_columns(rows)


def test_json_reader_refuses_duplicate_keys_depth_and_long_integers(tmp_path):
    f = tmp_path / "m.json"
    f.write_text('[{"k": 3, "l_cont": 1.0, "k": 4}]')
    with pytest.raises(InputError, match="duplicate key 'k'"):
        read_measured(f)
    f.write_text("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(InputError, match="nested"):
        read_json(f)
    f.write_text('[{"k": ' + "9" * 5000 + ', "l_cont": 1.0}]')
    with pytest.raises(InputError, match="5000 digits"):
        read_json(f)
    f.write_text('[{"k": 3, "l_cont": 1.0, "s": "[[[[ not nesting ]]]] \\" [["}]')
    assert read_json(f) == [{"k": 3, "l_cont": 1.0, "s": '[[[[ not nesting ]]]] " [['}]
    f.write_text('[{"k": 3,')
    with pytest.raises(InputError, match="malformed JSON"):
        read_json(f)
    f.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_json(f)


runner = CliRunner()


def test_cli_bound_from_measured_file_and_stdin(tmp_path):
    f = tmp_path / "m.json"
    f.write_text(json.dumps(ROWS))
    res = runner.invoke(app, ["bound", "--classes", "100", "--measured", str(f), "--method", "arora-ns,nozawa-sato", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [(r["k"], r["method"]) for r in rows] == [(127, "arora-ns"), (127, "nozawa-sato"), (255, "arora-ns"), (255, "nozawa-sato")]
    assert rows[0]["upper_bound"] == pytest.approx((3.32 - 0.4 - 0.69 + 0.99) / (1 - 0.72), rel=1e-14)
    assert rows[0]["tau_from"] == "measured" and rows[1]["status"] == "vacuous"
    res = runner.invoke(app, ["bound", "--classes", "100", "--measured", "-", "--prior-terms", "-f", "json"], input=json.dumps(ROWS))
    assert res.exit_code == 0, res.output
    assert {r["tau_from"] for r in json.loads(res.stdout) if r["method"] != "bao"} == {"prior"}


@pytest.mark.parametrize("extra,msg", [
    (["--loss", "2"], "--loss"),
    (["--tau", "0.5"], "--tau"),
    (["-t", "0.2"], "--temperature: 0.2 differs from the measured terms' temperature 0.5"),
])
def test_cli_measured_conflicts_refused(tmp_path, extra, msg):
    f = tmp_path / "m.json"
    f.write_text(json.dumps(ROWS))
    res = runner.invoke(app, ["bound", "--classes", "100", "--measured", str(f), *extra])
    assert res.exit_code == 2 and msg in res.output


def test_cli_prior_terms_needs_measured():
    res = runner.invoke(app, ["bound", "--classes", "10", "--loss", "2", "--k", "31", "--prior-terms"])
    assert res.exit_code == 2 and "--prior-terms: goes with --measured" in res.output


def test_cli_issue_example_measured_by_value():
    args = "bound --classes 100 --k 127 --loss 3.32 --d -0.99 --tau 0.72 --collision-term 0.69 --upsilon 0"
    res = runner.invoke(app, [*args.split(), "--method", "arora-ns,nozawa-sato", "--format", "json"])
    assert res.exit_code == 0, res.output
    a, ns = json.loads(res.stdout)
    assert a["upper_bound"] == pytest.approx((3.32 - 0.69 + 0.99) / (1 - 0.72), rel=1e-14)
    assert ns["status"] == "vacuous" and ns["upsilon_from"] == "measured" and a["collision_term_from"] == "measured"
