"""The torch adapter against a plain numpy re-computation (CPU)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.measure import (  # noqa: E402
    HARD_FRACTIONS,
    average_features,
    bootstrap_counts,
    extract_features,
    measure,
    measure_encoder,
)


def reference(z1, z2, y, k, t, mu=None, per_batch=False):
    """Straightforward float64 numpy version of the definitions (loops over batches of the rows
    as given); with ``per_batch``, also the per-batch sums."""
    u = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    v = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    m = (u + v) / 2
    c = int(y.max()) + 1 if mu is None else mu.shape[0]
    if mu is None:
        mu = np.stack([m[y == j].mean(0) for j in range(c)])
    b = k + 1
    nb = len(y) // b
    marks = [max(1, math.ceil(f * k - 1e-9)) for f in HARD_FRACTIONS]
    keys = ["l_cont", "cov", "sup", "sub", "col", "tau", "d", "lsup", "acc", "acc2", "curl", "curl_n", "curl_lc",
            *[f"h{j}" for j in range(len(marks))], "rest"]
    batches = []
    for bi in range(nb):
        s = dict.fromkeys(keys, 0.0)
        sl = slice(bi * b, (bi + 1) * b)
        ub, vb, mb, yb = u[sl], v[sl], m[sl], y[sl]
        scores = ub @ vb.T / t
        present = sorted(set(yb.tolist()))
        covered = len(present) == c
        for i in range(b):
            row = scores[i]
            lc = np.log(np.exp(row - row.max()).sum()) + row.max() - row[i]
            s["l_cont"] += lc
            logits = ub[i] @ mu.T / t
            ce = np.log(np.exp(logits).sum()) - logits[yb[i]]
            ce_present = np.log(np.exp(logits[present]).sum()) - logits[yb[i]]
            s["lsup"] += ce
            s["acc"] += float(np.argmax(logits) == yb[i])
            two = (ub[i] + vb[i]) / np.linalg.norm(ub[i] + vb[i])
            s["acc2"] += float(np.argmax(two @ mu.T) == yb[i])
            if covered:
                s["cov"] += 1
                s["sup"] += ce
            else:
                s["sub"] += ce_present
            cnt = int((yb == yb[i]).sum())
            s["col"] += math.log(cnt)
            s["tau"] += float(cnt >= 2)
            if cnt == 1:
                s["curl"] += ce_present
                s["curl_n"] += 1
                s["curl_lc"] += lc
            s["d"] += min(0.0, ub[i] @ (mu[yb[i]] - mb[i]) / t)
            negs = [j for j in range(b) if j != i]
            ranked = sorted(negs, key=lambda j: -row[j])  # hardest first
            same = [float(yb[j] == yb[i]) for j in ranked]
            for jj, mk in enumerate(marks):
                s[f"h{jj}"] += sum(same[:mk])
            s["rest"] += sum(same[marks[-1]:])
        batches.append(s)
    n = nb * b
    out = {key: sum(bt[key] for bt in batches) / n for key in keys}
    for jj, mk in enumerate(marks):
        out[f"h{jj}"] /= mk
    out["rest"] = out["rest"] / (k - marks[-1]) if k > marks[-1] else float("nan")
    if per_batch:
        return out, batches
    return out


def data(n=64, d=8, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    centers = rng.normal(size=(c, d))
    z1 = centers[y] + 0.7 * rng.normal(size=(n, d))
    z2 = centers[y] + 0.7 * rng.normal(size=(n, d))
    return z1, z2, y


@pytest.mark.parametrize("k,c", [(3, 3), (5, 4), (15, 3), (1, 2)])
def test_against_numpy_reference(k, c):
    z1, z2, y = data(n=70, c=c, seed=k)
    ref = reference(z1, z2, y, k, 0.5)
    got = measure(z1, z2, y, k, 0.5, dtype=torch.float64, device="cpu", keep_order=True)
    assert got.n_anchors == (70 // (k + 1)) * (k + 1)
    pairs = dict(l_cont="l_cont", upsilon="cov", sup_part="sup", sub_part="sub", collision_term="col", tau="tau", d="d",
                 l_sup="lsup", accuracy="acc", accuracy_two_views="acc2", curl_sub_part="curl")
    for ours, theirs in pairs.items():
        assert getattr(got, ours) == pytest.approx(ref[theirs], rel=1e-10, abs=1e-12), ours
    assert got.arora_lower_bound == pytest.approx(ref["curl"] + ref["col"] + ref["d"], rel=1e-10, abs=1e-12)
    if ref["curl_n"]:
        assert got.l_cont_no_collision == pytest.approx(ref["curl_lc"] / ref["curl_n"], rel=1e-10)
        assert got.l_sub_no_collision == pytest.approx(ref["curl"] / ref["curl_n"], rel=1e-10)
    for j, band in enumerate(got.hardness[: len(HARD_FRACTIONS)]):
        assert band["same_class_share"] == pytest.approx(ref[f"h{j}"], rel=1e-12, abs=1e-15), band["band"]
    if got.hardness[-1]["band"] == "rest":
        assert got.hardness[-1]["same_class_share"] == pytest.approx(ref["rest"], rel=1e-12, abs=1e-15)
    assert got.lower_bound == pytest.approx(0.5 * (ref["sup"] + ref["sub"] + ref["col"]) + ref["d"], rel=1e-10)
    if got.upsilon > 0:
        assert got.l_sup_covered == pytest.approx(ref["sup"] / ref["cov"], rel=1e-10)


def test_float32_close_to_float64():
    z1, z2, y = data(n=200, c=4)
    a = measure(z1, z2, y, 7, 0.2, device="cpu")
    b = measure(z1, z2, y, 7, 0.2, device="cpu", dtype=torch.float64)
    assert a.l_cont == pytest.approx(b.l_cont, rel=1e-5)
    assert a.sup_part == pytest.approx(b.sup_part, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("chunk", [1, 7, 50, 10**9])
def test_chunked_equals_unchunked(chunk):
    z1, z2, y = data(n=96, c=3)
    full = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device="cpu")
    part = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device="cpu", chunk_elements=chunk)
    for key, val in full.as_dict().items():
        if isinstance(val, float):
            assert getattr(part, key) == pytest.approx(val, rel=1e-12, abs=1e-14), key
    for a, b in zip(full.hardness, part.hardness, strict=True):
        assert a["same_class_share"] == pytest.approx(b["same_class_share"], rel=1e-12)


def test_given_means_and_shuffle():
    z1, z2, y = data(n=80, c=3)
    mu = np.random.default_rng(1).normal(size=(3, 8))
    ref = reference(z1, z2, y, 3, 0.5, mu=mu)
    got = measure(z1, z2, y, 3, 0.5, means=mu, dtype=torch.float64, device="cpu", keep_order=True)
    assert got.l_sup == pytest.approx(ref["lsup"], rel=1e-10)
    a = measure(z1, z2, y, 3, 0.5, seed=5, device="cpu")
    b = measure(z1, z2, y, 3, 0.5, seed=5, device="cpu")
    assert a == b
    perm = torch.randperm(80, generator=torch.Generator().manual_seed(5)).numpy()
    c = measure(z1[perm], z2[perm], y[perm], 3, 0.5, device="cpu", keep_order=True)
    assert c.l_cont == pytest.approx(a.l_cont, rel=1e-6)


def test_errors():
    z1, z2, y = data(n=10)
    with pytest.raises(ValueError, match="k"):
        measure(z1, z2, y, 0, 0.5)
    with pytest.raises(ValueError, match="temperature"):
        measure(z1, z2, y, 3, -1.0)
    with pytest.raises(ValueError, match="no complete batch"):
        measure(z1, z2, y, 20, 0.5)
    with pytest.raises(ValueError, match="labels"):
        measure(z1, z2, y[:5], 3, 0.5)
    with pytest.raises(ValueError, match="finite"):
        bad = z1.copy()
        bad[0, 0] = np.nan
        measure(bad, z2, y, 3, 0.5)


def _worker(rank, world, init_file, z1, z2, y, out):
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    half = len(y) // world
    sl = slice(rank * half, (rank + 1) * half)
    res = measure(z1[sl], z2[sl], y[sl], 7, 0.5, dtype=torch.float64, device="cpu", keep_order=True, num_classes=3)
    if rank == 0:
        out.put(res.as_dict())
    torch.distributed.destroy_process_group()


def test_two_gloo_processes_equal_single(tmp_path):
    import torch.multiprocessing as mp

    z1, z2, y = data(n=128, c=3)
    single = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device="cpu", keep_order=True, num_classes=3)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    init = tmp_path / "init"
    procs = [ctx.Process(target=_worker, args=(r, 2, str(init), z1, z2, y, q)) for r in range(2)]
    for p in procs:
        p.start()
    res = q.get(timeout=120)
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    for key, val in single.as_dict().items():
        if key == "collision_upper_bound":  # compares each anchor with its class in its own shard (documented)
            continue
        if isinstance(val, float):
            assert res[key] == pytest.approx(val, rel=1e-12, abs=1e-14), key
        elif key == "intervals":  # the same batches, gathered: the same bootstrap
            for term, pair in val.items():
                if term == "collision_upper_bound":
                    continue
                for mine, theirs in zip(res[key][term], pair, strict=True):
                    assert mine == (theirs if theirs is None else pytest.approx(theirs, rel=1e-12, abs=1e-14)), term
        elif key != "hardness":
            assert res[key] == val, key


def test_extract_and_average_features():
    enc = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    enc.train()
    xs = torch.randn(10, 4)
    loader = [([xs[:5] + 0.1, xs[:5] - 0.1, xs[:5]], torch.tensor([0, 1, 0, 1, 2])),
              ([xs[5:] + 0.1, xs[5:] - 0.1, xs[5:]], torch.tensor([2, 1, 0, 0, 1]))]
    z1, z2, y = extract_features(enc, loader, device="cpu")
    assert z1.shape == (10, 3) and torch.allclose(z1.norm(dim=1), torch.ones(10))
    assert enc.training  # mode restored
    with torch.no_grad():
        want = torch.nn.functional.normalize(enc(xs[:5] + 0.1), dim=1)
    assert torch.allclose(z1[:5], want, atol=1e-6)
    m, y2 = average_features(enc, loader, device="cpu")
    assert m.shape == (10, 3) and torch.equal(y, y2)


def test_cli_measure_from_files(tmp_path):
    import json

    from typer.testing import CliRunner

    from boundcalc.cli import app

    z1, z2, y = data(n=96, c=3)
    np.save(tmp_path / "z1.npy", z1)
    np.save(tmp_path / "z2.npy", z2)
    torch.save(torch.from_numpy(y), tmp_path / "y.pt")
    runner = CliRunner()
    res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"),
                              "--labels", str(tmp_path / "y.pt"), "--k", "7", "--temperature", "0.5", "-f", "json", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    for key in ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "l_sup", "accuracy", "lower_bound", "bounds"]:
        assert key in out
    direct = measure(z1, z2, y, 7, 0.5, device="cpu")
    assert out["l_cont"] == pytest.approx(direct.l_cont, rel=1e-12)
    assert {b["method"] for b in out["bounds"]} == {"arora", "nozawa-sato", "ash", "bao"}
    for b in out["bounds"]:
        assert b["k"] == 7 and b["measured_sup"] == pytest.approx(direct.l_sup)
        if b["upper_bound"] is not None:
            assert b["holds"] == (b["upper_bound"] >= direct.l_sup)
    for fmt in ["table", "csv", "markdown", "latex"]:
        res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"),
                                  "--labels", str(tmp_path / "y.pt"), "--k", "7", "-t", "0.5", "-f", fmt])
        assert res.exit_code == 0 and "nozawa-sato" in res.output
    res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "nope.npy"),
                              "--labels", str(tmp_path / "y.pt"), "--k", "7", "-t", "0.5"])
    assert res.exit_code == 2 and "no such file" in res.output


def test_cli_measure_from_encoder_end_to_end(monkeypatch):
    import json
    from pathlib import Path

    from typer.testing import CliRunner

    from boundcalc.cli import app

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    res = CliRunner().invoke(app, ["measure", "--encoder", "examples.torch_encoder:make_encoder", "--data",
                                   "examples.torch_encoder:make_loader", "--k", "15", "-t", "0.5", "-f", "json"])
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    assert out["n_anchors"] == 256 and 0 < out["upsilon"] <= 1 and out["accuracy"] > 0.5
    ns = next(b for b in out["bounds"] if b["method"] == "nozawa-sato")
    assert ns["holds"] is True


def test_benchmark_script_runs_small():
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_measure.py"
    out = runpy.run_path(str(path), run_name="example")["main"](["--batches", "2", "--batch-size", "64", "--dim", "8", "--classes", "5", "--device", "cpu"])
    assert out["anchors_per_second"] > 0


# --------------------------------------------------------------------------- faithful by default (issue: measure)
def quiet(*args, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure(*args, **kw)


def test_class_sorted_features_are_shuffled_by_default():
    """Features saved in class order (an ImageFolder loader without shuffling): batched as given,
    no batch is covered; the default shuffle gives what pre-shuffled features give."""
    z1, z2, y = data(n=1200, c=4, seed=3)
    order = np.argsort(y, kind="stable")
    sorted_ = (z1[order], z2[order], y[order])
    as_given = quiet(*sorted_, 15, 0.5, device="cpu", keep_order=True)
    assert as_given.upsilon == 0.0
    default = quiet(*sorted_, 15, 0.5, device="cpu")
    pre = quiet(*data(n=1200, c=4, seed=3), 15, 0.5, device="cpu", seed=9)
    for term in ("l_cont", "upsilon", "collision_term", "tau"):
        lo, hi = pre.intervals[term]
        width = hi - lo
        assert lo - width <= getattr(default, term) <= hi + width, term


@pytest.mark.parametrize("scale", [1e19, 1e-14, 1e-30])
def test_extreme_scales_give_the_scale_one_result(scale):
    z1, z2, y = data(n=96, c=3)
    one = quiet(z1.astype(np.float32), z2.astype(np.float32), y, 7, 0.5, device="cpu", bootstrap=0)
    big = quiet((z1 * scale).astype(np.float32), (z2 * scale).astype(np.float32), y, 7, 0.5, device="cpu", bootstrap=0)
    for key in ("l_cont", "d", "l_sup", "collision_term", "sup_part"):
        assert getattr(big, key) == pytest.approx(getattr(one, key), rel=1e-5, abs=1e-6), key


def test_zero_vectors_and_bad_classes_are_refused():
    z1, z2, y = data(n=40, c=3)
    z1[4] = 0
    with pytest.raises(ValueError, match="row 4 is all zeros"):
        quiet(z1, z2, y, 3, 0.5, device="cpu")
    z1, z2, y = data(n=40, c=3)
    with pytest.raises(ValueError, match="class index 2 outside 0..1"):
        measure(z1, z2, y, 3, 0.5, device="cpu", num_classes=2)


def test_sparse_label_ids_are_remapped_densely():
    import warnings

    z1, z2, y = data(n=64, c=3)
    sparse = np.array([7, 3_000_000, 42])[y]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = measure(z1, z2, sparse, 7, 0.5, device="cpu", bootstrap=0)
    assert any("C = 3 classes, from the labels (ids remapped" in str(w.message) for w in caught)
    dense = np.searchsorted(np.array([7, 42, 3_000_000]), sparse)
    b = quiet(z1, z2, dense, 7, 0.5, device="cpu", bootstrap=0)
    assert a.num_classes == 3 and a.l_sup == pytest.approx(b.l_sup, rel=1e-12)
    c = measure(z1, z2, y, 7, 0.5, device="cpu", bootstrap=0, num_classes=5)  # two classes never occur
    assert c.num_classes == 5 and c.upsilon == 0 and c.class_counts[3:] == [0, 0]


def test_bootstrap_intervals_match_a_slow_loop():
    z1, z2, y = data(n=160, c=3, seed=4)
    got = quiet(z1, z2, y, 7, 0.5, device="cpu", dtype=torch.float64, keep_order=True, bootstrap=300, seed=11)
    _, batches = reference(z1, z2, y, 7, 0.5, per_batch=True)
    lc = np.array([bt["l_cont"] for bt in batches])
    col = np.array([bt["col"] for bt in batches])
    reps_l, reps_c = [], []
    for counts in bootstrap_counts(len(batches), 300, 11):
        for row in counts:
            anchors = 8 * row.sum()
            reps_l.append(sum(w * x for w, x in zip(row, lc, strict=True)) / anchors)
            reps_c.append(sum(w * x for w, x in zip(row, col, strict=True)) / anchors)
    assert got.intervals["l_cont"] == pytest.approx(tuple(np.percentile(reps_l, [2.5, 97.5])), rel=1e-10)
    assert got.intervals["collision_term"] == pytest.approx(tuple(np.percentile(reps_c, [2.5, 97.5])), rel=1e-10)
    lo, hi = got.intervals["l_cont"]
    assert lo <= got.l_cont <= hi


def test_passes_pool_reshuffled_passes():
    z1, z2, y = data(n=96, c=3)
    one = [quiet(z1, z2, y, 7, 0.5, device="cpu", dtype=torch.float64, seed=s, bootstrap=0) for s in (4, 5)]
    both = quiet(z1, z2, y, 7, 0.5, device="cpu", dtype=torch.float64, seed=4, passes=2, bootstrap=0)
    assert both.n_anchors == 2 * one[0].n_anchors and both.passes == 2
    assert both.l_cont == pytest.approx((one[0].l_cont + one[1].l_cont) / 2, rel=1e-12)
    with pytest.raises(ValueError, match="passes"):
        quiet(z1, z2, y, 7, 0.5, device="cpu", passes=2, keep_order=True)


def test_numpy_scalars_accepted():
    z1, z2, y = data(n=64, c=3)
    a = quiet(z1, z2, y, np.int64(7), np.float32(0.5), device="cpu", bootstrap=0)
    b = quiet(z1, z2, y, 7, 0.5, device="cpu", bootstrap=0)
    assert a.l_cont == b.l_cont


def test_averaged_features_from_independent_augmentations():
    enc = torch.nn.Sequential(torch.nn.Linear(4, 3))
    enc.train()
    xs = torch.randn(6, 4)
    calls = {"n": 0}

    def loader():
        calls["n"] += 1
        g = torch.Generator().manual_seed(calls["n"])
        return [([xs + 0.1 * torch.randn(xs.shape, generator=g) for _ in range(2)], torch.tensor([0, 1, 2, 0, 1, 2]))]

    m, y = average_features(enc, loader, device="cpu", views=5)  # 3 passes of 2 views, 5 used
    assert enc.training and calls["n"] == 3
    calls["n"] = 0
    with torch.no_grad():
        feats = [torch.nn.functional.normalize(enc(v), dim=1) for p in range(3) for v in loader()[0][0]][:5]
    assert torch.allclose(m, torch.stack(feats).mean(0), atol=1e-6)


def test_measure_encoder_passes_rerun_the_loader():
    from examples.torch_encoder import make_encoder, make_loader

    enc = make_encoder()
    seeds = iter(range(100, 200))
    res = quiet_encoder(enc, lambda: make_loader(next(seeds)), 15, 0.5, passes=2, augmentations=4, device="cpu")
    assert res.passes == 2 and res.n_anchors == 2 * 256 and 0 < res.accuracy_two_views <= 1


def quiet_encoder(*args, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure_encoder(*args, **kw)


def test_measure_outputs_keep_measured_names(tmp_path):
    """CSV rows carry the measured terms under their JSON names and the prior's values apart."""
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from boundcalc.cli import app

    z1, z2, y = data(n=256, c=3)
    for name, arr in (("z1", z1), ("z2", z2), ("y", y)):
        np.save(tmp_path / f"{name}.npy", arr)
    args = ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"), "--labels",
            str(tmp_path / "y.npy"), "--k", "7", "-t", "0.5", "--bootstrap", "50"]
    runner = CliRunner()
    (doc,) = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, [*args, "-f", "csv"]).stdout)))
    assert len(rows) == 4
    for row in rows:
        for term in ("l_cont", "upsilon", "tau", "collision_term", "d", "lower_bound", "l_sup", "accuracy"):
            assert float(row[term]) == doc[term], term
        if row["method"] == "nozawa-sato":  # the prior's υ_{K+1} under the label counts, not υ̂
            import boundcalc as bc

            want = bc.coverage_probability(8, np.bincount(y).tolist())
            assert float(row["upsilon_prior"]) == pytest.approx(want, rel=1e-13)
        assert "tau_prior" in row and "l_cont_ci_low" in row and float(row["l_cont_ci_low"]) <= doc["l_cont"]
    assert {b["method"] for b in doc["bounds"]} == {"arora", "nozawa-sato", "ash", "bao"}
    assert [h["band"] for h in doc["hardness"]][-1] == "rest"
    header = runner.invoke(app, [*args, "-f", "markdown"]).stdout.splitlines()[0]
    assert "υ̂ (measured)" in header and "υ_(K+1) (prior)" in header and "τ̂ (measured)" in header
