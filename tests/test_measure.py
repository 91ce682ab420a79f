"""The torch adapter against plain numpy re-computations of each term, on the CPU and, where
CUDA is available, on CUDA (the ``device`` fixture; the CUDA cases skip without a GPU)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.measure import (  # noqa: E402
    HARD_FRACTIONS,
    Measurement,
    Measurements,
    average_features,
    bootstrap_counts,
    extract_features,
    measure,
    measure_encoder,
)

CUDA = torch.cuda.is_available()
#: Every torch test runs on each of these; CUDA cases skip cleanly where there is no GPU.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="no CUDA device here"))]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


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
def test_against_numpy_reference(k, c, device):
    z1, z2, y = data(n=70, c=c, seed=k)
    ref = reference(z1, z2, y, k, 0.5)
    got = measure(z1, z2, y, k, 0.5, dtype=torch.float64, device=device, keep_order=True)
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


def test_float32_close_to_float64(device):
    z1, z2, y = data(n=200, c=4)
    a = measure(z1, z2, y, 7, 0.2, device=device)
    b = measure(z1, z2, y, 7, 0.2, device=device, dtype=torch.float64)
    assert a.l_cont == pytest.approx(b.l_cont, rel=1e-5)
    assert a.sup_part == pytest.approx(b.sup_part, rel=1e-5, abs=1e-7)
    # long rows: float32 row sums of B = 2048 terms (cascade summation), float64 per-batch sums
    z1, z2, y = data(n=2 * 2048, d=32, c=50, seed=15)
    a = quiet(z1.astype(np.float32), z2.astype(np.float32), y, [255, 2047], 0.1, device=device, bootstrap=50)
    b = quiet(z1, z2, y, [255, 2047], 0.1, device=device, dtype=torch.float64, bootstrap=50)
    for x, w in zip(a, b, strict=True):
        for key in ("l_cont", "l_sup", "sup_part", "sub_part", "d", "collision_upper_bound", "lower_bound", "curl_sub_part"):
            assert getattr(x, key) == pytest.approx(getattr(w, key), rel=1e-5, abs=1e-9), key
        assert x.intervals["l_cont"] == pytest.approx(w.intervals["l_cont"], rel=1e-5)


@pytest.mark.parametrize("t", [0.5, 0.01, 0.002])
def test_both_score_shifts_agree_with_the_reference(t, device):
    """Rows are shifted by 1/t inside the product where e^{−2/t} cannot underflow (float32:
    t ≥ 0.025, float64: t ≥ 0.00286), else by their maximum: t = 0.01 takes the second path in
    float32 and the first in float64, t = 0.002 the second in both."""
    z1, z2, y = data(n=96, c=3, seed=14)
    ref = reference(z1, z2, y, 7, t)
    f64 = quiet(z1, z2, y, 7, t, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    f32 = quiet(z1.astype(np.float32), z2.astype(np.float32), y, 7, t, device=device, keep_order=True, bootstrap=0)
    for ours, theirs in dict(l_cont="l_cont", l_sup="lsup", collision_term="col").items():
        assert getattr(f64, ours) == pytest.approx(ref[theirs], rel=1e-10), ours
        assert getattr(f32, ours) == pytest.approx(ref[theirs], rel=1e-5), ours
    for j, band in enumerate(f64.hardness[: len(HARD_FRACTIONS)]):
        assert band["same_class_share"] == pytest.approx(ref[f"h{j}"], rel=1e-12)


@pytest.mark.parametrize("chunk", [1, 7, 50, 10**9])
def test_chunked_equals_unchunked(chunk, device):
    z1, z2, y = data(n=96, c=3)
    full = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device)
    part = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, chunk_elements=chunk)
    for key, val in full.as_dict().items():
        if isinstance(val, float):
            assert getattr(part, key) == pytest.approx(val, rel=1e-12, abs=1e-14), key
    for a, b in zip(full.hardness, part.hardness, strict=True):
        assert a["same_class_share"] == pytest.approx(b["same_class_share"], rel=1e-12)


def test_given_means_and_shuffle(device):
    z1, z2, y = data(n=80, c=3)
    mu = np.random.default_rng(1).normal(size=(3, 8))
    ref = reference(z1, z2, y, 3, 0.5, mu=mu)
    got = measure(z1, z2, y, 3, 0.5, means=mu, dtype=torch.float64, device=device, keep_order=True)
    assert got.l_sup == pytest.approx(ref["lsup"], rel=1e-10)
    a = measure(z1, z2, y, 3, 0.5, seed=5, device=device)
    b = measure(z1, z2, y, 3, 0.5, seed=5, device=device)
    assert a == b
    perm = torch.randperm(80, generator=torch.Generator().manual_seed(5)).numpy()
    c = measure(z1[perm], z2[perm], y[perm], 3, 0.5, device=device, keep_order=True)
    assert c.l_cont == pytest.approx(a.l_cont, rel=1e-6)


def test_errors(device):
    z1, z2, y = data(n=10)
    with pytest.raises(ValueError, match="k"):
        measure(z1, z2, y, 0, 0.5, device=device)
    with pytest.raises(ValueError, match="temperature"):
        measure(z1, z2, y, 3, -1.0, device=device)
    with pytest.raises(ValueError, match="no complete batch"):
        measure(z1, z2, y, 20, 0.5, device=device)
    with pytest.raises(ValueError, match="labels"):
        measure(z1, z2, y[:5], 3, 0.5, device=device)
    for value in (np.nan, np.inf):
        bad = z1.copy()
        bad[0, 0] = value
        with pytest.raises(ValueError, match="finite"):
            measure(bad, z2, y, 3, 0.5, device=device)
        with pytest.raises(ValueError, match="finite"):
            measure(bad.astype(np.float32), z2.astype(np.float32), y, 3, 0.5, device=device)  # the float32 path
    with pytest.raises(ValueError, match="k: the list of K is empty"):
        measure(z1, z2, y, [], 0.5, device=device)
    with pytest.raises(TypeError, match="k"):
        measure(z1, z2, y, "3,7", 0.5, device=device)


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


def test_extract_and_average_features(device):
    enc = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    enc.train()
    xs = torch.randn(10, 4)
    loader = [([xs[:5] + 0.1, xs[:5] - 0.1, xs[:5]], torch.tensor([0, 1, 0, 1, 2])),
              ([xs[5:] + 0.1, xs[5:] - 0.1, xs[5:]], torch.tensor([2, 1, 0, 0, 1]))]
    z1, z2, y = extract_features(enc, loader, device=device)
    assert z1.shape == (10, 3) and torch.allclose(z1.norm(dim=1), torch.ones(10))
    assert enc.training  # mode restored
    with torch.no_grad():
        want = torch.nn.functional.normalize(enc((xs[:5] + 0.1).to(device)), dim=1).cpu()
    assert torch.allclose(z1[:5], want, atol=1e-6)
    m, y2 = average_features(enc, loader, device=device)
    assert m.shape == (10, 3) and torch.equal(y, y2)


def test_cli_measure_from_files(tmp_path, device):
    import json

    from typer.testing import CliRunner

    from boundcalc.cli import app

    z1, z2, y = data(n=96, c=3)
    np.save(tmp_path / "z1.npy", z1)
    np.save(tmp_path / "z2.npy", z2)
    torch.save(torch.from_numpy(y), tmp_path / "y.pt")
    runner = CliRunner()
    res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"),
                              "--labels", str(tmp_path / "y.pt"), "--k", "7", "--temperature", "0.5", "-f", "json", "--device", device])
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    for key in ["l_cont", "upsilon", "tau", "sup_part", "sub_part", "collision_term", "d", "l_sup", "accuracy", "lower_bound", "bounds"]:
        assert key in out
    direct = measure(z1, z2, y, 7, 0.5, device=device)
    assert out["l_cont"] == pytest.approx(direct.l_cont, rel=1e-12)
    assert {b["method"] for b in out["bounds"]} == {"arora", "nozawa-sato", "ash", "bao"}
    for b in out["bounds"]:
        assert b["k"] == 7 and b["measured_sup"] == pytest.approx(direct.l_sup)
        if b["upper_bound"] is not None:
            assert b["holds"] == (b["upper_bound"] >= direct.l_sup)
    for fmt in ["table", "csv", "markdown", "latex"]:
        res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"),
                                  "--labels", str(tmp_path / "y.pt"), "--k", "7", "-t", "0.5", "-f", fmt])
        assert res.exit_code == 0 and ("Nozawa \\& Sato" if fmt == "latex" else "nozawa-sato") in res.output  # LaTeX: the paper's names
    res = runner.invoke(app, ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "nope.npy"),
                              "--labels", str(tmp_path / "y.pt"), "--k", "7", "-t", "0.5"])
    assert res.exit_code == 2 and "no such file" in res.output


def test_cli_measure_from_encoder_end_to_end(monkeypatch, device):
    import json
    from pathlib import Path

    from typer.testing import CliRunner

    from boundcalc.cli import app

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    res = CliRunner().invoke(app, ["measure", "--encoder", "examples.torch_encoder:make_encoder", "--data",
                                   "examples.torch_encoder:make_loader", "--k", "15", "-t", "0.5", "-f", "json", "--device", device])
    assert res.exit_code == 0, res.output
    (out,) = json.loads(res.stdout)
    assert out["n_anchors"] == 256 and 0 < out["upsilon"] <= 1 and out["accuracy"] > 0.5
    ns = next(b for b in out["bounds"] if b["method"] == "nozawa-sato")
    assert ns["holds"] is True


def test_benchmark_script_runs_small(device):
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_measure.py"
    out = runpy.run_path(str(path), run_name="example")["main"](["--batches", "2", "--batch-size", "64", "--dim", "8", "--classes", "5", "--device", device])
    assert out["anchors_per_second"] > 0


# --------------------------------------------------------------------------- faithful by default (issue: measure)
def quiet(*args, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure(*args, **kw)


def test_class_sorted_features_are_shuffled_by_default(device):
    """Features saved in class order (an ImageFolder loader without shuffling): batched as given,
    no batch is covered; the default shuffle gives what pre-shuffled features give."""
    z1, z2, y = data(n=1200, c=4, seed=3)
    order = np.argsort(y, kind="stable")
    sorted_ = (z1[order], z2[order], y[order])
    as_given = quiet(*sorted_, 15, 0.5, device=device, keep_order=True)
    assert as_given.upsilon == 0.0
    default = quiet(*sorted_, 15, 0.5, device=device)
    pre = quiet(*data(n=1200, c=4, seed=3), 15, 0.5, device=device, seed=9)
    for term in ("l_cont", "upsilon", "collision_term", "tau"):
        lo, hi = pre.intervals[term]
        width = hi - lo
        assert lo - width <= getattr(default, term) <= hi + width, term


@pytest.mark.parametrize("scale", [1e19, 1e-14, 1e-30])
def test_extreme_scales_give_the_scale_one_result(scale, device):
    z1, z2, y = data(n=96, c=3)
    one = quiet(z1.astype(np.float32), z2.astype(np.float32), y, 7, 0.5, device=device, bootstrap=0)
    big = quiet((z1 * scale).astype(np.float32), (z2 * scale).astype(np.float32), y, 7, 0.5, device=device, bootstrap=0)
    for key in ("l_cont", "d", "l_sup", "collision_term", "sup_part"):
        assert getattr(big, key) == pytest.approx(getattr(one, key), rel=1e-5, abs=1e-6), key


def test_zero_vectors_and_bad_classes_are_refused(device):
    z1, z2, y = data(n=40, c=3)
    z1[4] = 0
    with pytest.raises(ValueError, match="row 4 is all zeros"):
        quiet(z1, z2, y, 3, 0.5, device=device)
    z1, z2, y = data(n=40, c=3)
    with pytest.raises(ValueError, match="class index 2 outside 0..1"):
        measure(z1, z2, y, 3, 0.5, device=device, num_classes=2)


def test_sparse_label_ids_are_remapped_densely(device):
    import warnings

    z1, z2, y = data(n=64, c=3)
    sparse = np.array([7, 3_000_000, 42])[y]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = measure(z1, z2, sparse, 7, 0.5, device=device, bootstrap=0)
    assert any("C = 3 classes, from the labels (ids remapped" in str(w.message) for w in caught)
    dense = np.searchsorted(np.array([7, 42, 3_000_000]), sparse)
    b = quiet(z1, z2, dense, 7, 0.5, device=device, bootstrap=0)
    assert a.num_classes == 3 and a.l_sup == pytest.approx(b.l_sup, rel=1e-12)
    c = measure(z1, z2, y, 7, 0.5, device=device, bootstrap=0, num_classes=5)  # two classes never occur
    assert c.num_classes == 5 and c.upsilon == 0 and c.class_counts[3:] == [0, 0]


def test_bootstrap_intervals_match_a_slow_loop(device):
    z1, z2, y = data(n=160, c=3, seed=4)
    got = quiet(z1, z2, y, 7, 0.5, device=device, dtype=torch.float64, keep_order=True, bootstrap=300, seed=11)
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


def test_passes_pool_reshuffled_passes(device):
    z1, z2, y = data(n=96, c=3)
    one = [quiet(z1, z2, y, 7, 0.5, device=device, dtype=torch.float64, seed=s, bootstrap=0) for s in (4, 5)]
    both = quiet(z1, z2, y, 7, 0.5, device=device, dtype=torch.float64, seed=4, passes=2, bootstrap=0)
    assert both.n_anchors == 2 * one[0].n_anchors and both.passes == 2
    assert both.l_cont == pytest.approx((one[0].l_cont + one[1].l_cont) / 2, rel=1e-12)
    with pytest.raises(ValueError, match="passes"):
        quiet(z1, z2, y, 7, 0.5, device=device, passes=2, keep_order=True)


def test_numpy_scalars_accepted(device):
    z1, z2, y = data(n=64, c=3)
    a = quiet(z1, z2, y, np.int64(7), np.float32(0.5), device=device, bootstrap=0)
    b = quiet(z1, z2, y, 7, 0.5, device=device, bootstrap=0)
    assert a.l_cont == b.l_cont


def test_averaged_features_from_independent_augmentations(device):
    enc = torch.nn.Sequential(torch.nn.Linear(4, 3))
    enc.train()
    xs = torch.randn(6, 4)
    calls = {"n": 0}

    def loader():
        calls["n"] += 1
        g = torch.Generator().manual_seed(calls["n"])
        return [([xs + 0.1 * torch.randn(xs.shape, generator=g) for _ in range(2)], torch.tensor([0, 1, 2, 0, 1, 2]))]

    m, y = average_features(enc, loader, device=device, views=5)  # 3 passes of 2 views, 5 used
    assert enc.training and calls["n"] == 3
    calls["n"] = 0
    with torch.no_grad():
        feats = [torch.nn.functional.normalize(enc(v.to(device)), dim=1).cpu() for p in range(3) for v in loader()[0][0]][:5]
    assert torch.allclose(m, torch.stack(feats).mean(0), atol=1e-6)


def test_measure_encoder_passes_rerun_the_loader(device):
    from examples.torch_encoder import make_encoder, make_loader

    enc = make_encoder()
    seeds = iter(range(100, 200))
    res = quiet_encoder(enc, lambda: make_loader(next(seeds)), 15, 0.5, passes=2, augmentations=4, device=device)
    assert res.passes == 2 and res.n_anchors == 2 * 256 and 0 < res.accuracy_two_views <= 1


def quiet_encoder(*args, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return measure_encoder(*args, **kw)


def test_measure_outputs_keep_measured_names(tmp_path, device):
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
            str(tmp_path / "y.npy"), "--k", "7", "-t", "0.5", "--bootstrap", "50", "--device", device]
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


# --------------------------------------------------------------------------- the papers' protocol (issues 21, 22)
def uns_curl_parts(z1, y, mu, k, t, c):
    """UNS code/bound.py's eval_bound, re-done in numpy for batches of the rows as given: its
    curl_sup_loss and curl_partial_sup_loss (shares of all anchors). Per batch the classes seen
    once are found with unique counts; a covered batch adds the full cross-entropy of those
    anchors to both sums, an uncovered one the cross-entropy over the classes it holds to the
    partial sum only."""
    u = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    b = k + 1
    nb = len(y) // b
    curl_sup = curl_partial = 0.0
    for bi in range(nb):
        zs, labels = u[bi * b:(bi + 1) * b], y[bi * b:(bi + 1) * b]
        classes, freq = np.unique(labels, return_counts=True)
        lone = np.concatenate([np.where(labels == cl)[0] for cl in classes[freq == 1]] or [np.array([], int)])
        if len(classes) == c:
            scores = zs @ mu.T / t
            loss = np.log(np.exp(scores).sum(1)) - scores[np.arange(b), labels]
            curl_sup += loss[lone].sum()
            curl_partial += loss[lone].sum()
        else:
            scores = zs @ mu[classes].T / t
            partial = np.searchsorted(classes, labels)
            loss = np.log(np.exp(scores).sum(1)) - scores[np.arange(b), partial]
            curl_partial += loss[lone].sum()
    return curl_sup / (nb * b), curl_partial / (nb * b)


def notebook_collision_bound(z1, z2, y):
    """UNS code/notebooks/collision.ipynb, cells 3-4, as written there (per class, view X0 = the
    negatives' view z2, X1 = the anchors' z1): mean over all samples of
    Σ_i |X0_i·X1_j − X0_j·X1_j| / (n_c − 1)."""
    x0 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    x1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    per = []
    for cl in np.unique(y):
        ids = y == cl
        cos = x0[ids] @ x1[ids].T
        per.append(np.abs(cos - np.diag(cos)).sum(axis=0) / (ids.sum() - 1))
    return float(np.concatenate(per).mean())


def class_means(m, y, c):
    return np.stack([m[y == j].mean(0) for j in range(c)])


def normed(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("k,c", [(3, 3), (7, 4), (5, 2)])
def test_curl_sub_uncovered_part_is_uns_partial_minus_sup(k, c, device):
    z1, z2, y = data(n=96, c=c, seed=k + c)
    got = quiet(z1, z2, y, k, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=30)
    mu = class_means((normed(z1) + normed(z2)) / 2, y, c)
    sup, partial = uns_curl_parts(z1, y, mu, k, 0.5, c)
    assert got.curl_sub_uncovered_part == pytest.approx(partial - sup, rel=1e-10, abs=1e-13)
    assert got.curl_sub_part == pytest.approx(partial, rel=1e-10, abs=1e-13)
    assert 0 <= got.curl_sub_uncovered_part <= got.curl_sub_part
    lo, hi = got.intervals["curl_sub_uncovered_part"]
    assert lo <= hi


def test_collision_upper_bound_is_the_notebooks(device):
    z1, z2, y = data(n=120, c=4, seed=2)
    got = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=40)  # 120 = 15 × 8: all rows
    want = notebook_collision_bound(z1, z2, y)
    assert got.collision_upper_bound == pytest.approx(want, rel=1e-12)
    lo, hi = got.intervals["collision_upper_bound"]
    assert lo <= got.collision_upper_bound <= hi
    many = quiet(z1, z2, y, [3, 7, 14], 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    assert many[1].collision_upper_bound == pytest.approx(want, rel=1e-12)  # from the features, not the batches
    f32 = quiet(z1.astype(np.float32), z2.astype(np.float32), y, 7, 0.5, device=device, keep_order=True, bootstrap=0)
    assert f32.collision_upper_bound == pytest.approx(want, rel=1e-5)
    alone = quiet(z1[:8], z2[:8], np.arange(8), 3, 0.5, device=device, bootstrap=10)
    assert alone.collision_upper_bound is None and alone.intervals["collision_upper_bound"] == (None, None)


def test_collision_upper_bound_from_a_subset_of_large_classes(monkeypatch, device):
    """Past the pair budget each anchor meets a seeded subset of its class: the estimate stays
    near the all-pairs value, and the pairs kept are exactly the budget's."""
    import boundcalc.measure as bm

    z1, z2, y = data(n=600, c=2, seed=5)
    want = notebook_collision_bound(z1, z2, y)
    monkeypatch.setattr(bm, "COLLISION_PAIRS", 1)  # references = MIN_REFERENCES = 64 < 300 per class
    a = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    b = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0, seed=1)
    assert a.collision_upper_bound != b.collision_upper_bound  # other references
    for est in (a, b):
        assert est.collision_upper_bound == pytest.approx(want, rel=0.1)
    monkeypatch.setattr(bm, "MIN_REFERENCES", 1000)  # every class whole again: exact
    c = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    assert c.collision_upper_bound == pytest.approx(notebook_collision_bound(z1[:600], z2[:600], y[:600]), rel=1e-12)


def test_several_k_equal_each_k_alone(device):
    z1, z2, y = data(n=200, c=3, seed=6)
    ks = [15, 3, 7]
    for kw in ({}, {"chunk_elements": 40}, {"keep_order": True}, {"passes": 2}):
        many = quiet(z1, z2, y, ks, 0.5, dtype=torch.float64, device=device, bootstrap=25, **kw)
        assert isinstance(many, Measurements) and many.ks == ks and len(many) == 3
        for m, k in zip(many, ks, strict=True):
            alone = quiet(z1, z2, y, k, 0.5, dtype=torch.float64, device=device, bootstrap=25, **kw)
            assert isinstance(alone, Measurement)
            for key, val in alone.as_dict().items():
                if isinstance(val, float):
                    assert getattr(m, key) == pytest.approx(val, rel=1e-12, abs=1e-14), (kw, k, key)
                elif key == "intervals":
                    for term, pair in val.items():
                        for mine, theirs in zip(m.intervals[term], pair, strict=True):
                            assert mine == (theirs if theirs is None else pytest.approx(theirs, rel=1e-12, abs=1e-14)), term
                elif key != "hardness":
                    assert getattr(m, key) == val, key
    assert isinstance(many[0:2], Measurements) and many[0:2].ks == [15, 3]
    one = quiet(z1, z2, y, [7], 0.5, device=device, bootstrap=0)
    assert isinstance(one, Measurements) and one.ks == [7]


def test_train_split_means_are_the_authors(device):
    zt1, zt2, yt = data(n=150, c=3, seed=7)
    z1, z2, y = data(n=64, c=3, seed=8)
    mu = class_means((normed(zt1) + normed(zt2)) / 2, yt, 3)  # fax of two views, not re-normalised
    got = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0,
                train_features=(zt1, zt2), train_labels=yt)
    ref = reference(z1, z2, y, 7, 0.5, mu=mu)
    assert got.means_from == "train"
    for ours, theirs in dict(l_sup="lsup", d="d", sup_part="sup", sub_part="sub", accuracy="acc", l_cont="l_cont").items():
        assert getattr(got, ours) == pytest.approx(ref[theirs], rel=1e-10, abs=1e-12), ours
    avg = normed(zt1 + 0.3 * zt2)  # any averaged features: μ = their class means
    got2 = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0,
                 train_averaged=avg, train_labels=yt)
    assert got2.l_sup == pytest.approx(reference(z1, z2, y, 7, 0.5, mu=class_means(avg, yt, 3))["lsup"], rel=1e-10)
    default = quiet(z1, z2, y, 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    assert default.means_from == "features" and default.l_sup == pytest.approx(reference(z1, z2, y, 7, 0.5)["lsup"], rel=1e-10)
    sparse = np.array([10, 20, 30])
    remapped = quiet(z1, z2, sparse[y], 7, 0.5, dtype=torch.float64, device=device, keep_order=True, bootstrap=0,
                     train_features=(zt1, zt2), train_labels=sparse[yt])
    assert remapped.l_sup == pytest.approx(got.l_sup, rel=1e-12)
    with pytest.raises(ValueError, match="train_labels: class 2 has no training sample"):
        quiet(z1, z2, y, 7, 0.5, device=device, num_classes=3, train_features=(zt1[yt < 2], zt2[yt < 2]), train_labels=yt[yt < 2])
    with pytest.raises(ValueError, match="train_labels"):
        quiet(z1, z2, y, 7, 0.5, device=device, train_features=(zt1, zt2), train_labels=yt[:10])
    with pytest.raises(ValueError, match="train_features"):
        quiet(z1, z2, y, 7, 0.5, device=device, train_labels=yt)
    with pytest.raises(ValueError, match="D = 4 differs"):
        quiet(z1, z2, y, 7, 0.5, device=device, train_features=(zt1[:, :4], zt2[:, :4]), train_labels=yt)


def test_measure_encoder_with_a_training_loader(device):
    from examples.torch_encoder import make_encoder, make_loader

    enc = make_encoder()
    train = make_loader(3)
    res = quiet_encoder(enc, make_loader(4), [7, 15], 0.5, device=device, train_loader=train, bootstrap=0, dtype=torch.float64)
    m, yt = average_features(enc, train, device=device)
    mu = torch.stack([m[yt == j].mean(0) for j in range(int(yt.max()) + 1)])
    same = quiet_encoder(enc, make_loader(4), [7, 15], 0.5, device=device, means=mu, bootstrap=0, dtype=torch.float64)
    assert res[0].means_from == "train" and same[0].means_from == "given"
    for a, b in zip(res, same, strict=True):
        assert a.l_sup == pytest.approx(b.l_sup, rel=1e-6) and a.d == pytest.approx(b.d, rel=1e-6, abs=1e-9)


def test_l_cont_keeps_its_digits_when_tiny(device):
    """A near-perfect encoder: L_cont ≈ K e^{−1/t} ≈ 1e−8; float32 keeps its relative accuracy
    (a float32 log-sum-exp minus the positive's score would return rounding noise of 1/t)."""
    rng = np.random.default_rng(0)
    z = np.eye(16)[rng.permutation(16)] + 1e-3 * rng.normal(size=(16, 16))
    y = np.arange(16) % 4
    exact = quiet(z, z, y, 7, 0.05, dtype=torch.float64, device=device, keep_order=True, bootstrap=0)
    fast = quiet(z.astype(np.float32), z.astype(np.float32), y, 7, 0.05, device=device, keep_order=True, bootstrap=0)
    assert 1e-10 < exact.l_cont < 1e-6
    assert fast.l_cont == pytest.approx(exact.l_cont, rel=1e-4)


def test_bounds_from_the_measurement(device):
    from boundcalc.bounds import compute_bounds

    z1, z2, y = data(n=256, c=3, seed=9)
    many = quiet(z1, z2, y, [3, 7], 0.5, device=device, bootstrap=0)
    rows = many.bounds(methods="arora-ns,nozawa-sato")
    assert [(b.k, b.method) for b in rows] == [(3, "arora-ns"), (3, "nozawa-sato"), (7, "arora-ns"), (7, "nozawa-sato")]
    for b in rows:
        m = many[0] if b.k == 3 else many[1]
        assert b.tau_from == b.collision_term_from == "measured" and b.tau == m.tau and b.collision_term == m.collision_term
        assert b.measured_sup == m.l_sup and b.d == m.d and b.loss == m.l_cont
        if b.method == "nozawa-sato":
            assert b.upsilon_from == "measured" and b.upsilon == m.upsilon and b.l_sub == m.l_sub_uncovered
        if b.method == "arora-ns":  # (L − curl_sub − Col − d)/(1 − τ̂), UNS notebooks/bound.ipynb cell 7
            want = (m.l_cont - m.curl_sub_uncovered_part - m.collision_term - m.d) / (1 - m.tau)
            assert b.upper_bound == pytest.approx(want, rel=1e-12) if want > 0 and m.tau < 1 else b.upper_bound is None
    prior = many[0].bounds(methods="nozawa-sato", measured_terms=())
    direct = compute_bounds(many[0].l_cont, 3, np.bincount(y).tolist(), "nozawa-sato", d=many[0].d,
                            l_sub=many[0].l_sub_uncovered, temperature=0.5, measured_sup=many[0].l_sup)
    assert prior[0].upsilon_from == "prior" and prior[0].upper_bound == pytest.approx(direct[0].upper_bound, rel=1e-14)
    import inspect

    import boundcalc as bc

    if "replace" in inspect.signature(bc.collision_probability).parameters:  # the pool's terms (issue 21 item 1) landed
        pool = many[1].bounds(methods="nozawa-sato", measured_terms=("collision_term",), replace=False)
        assert pool[0].upsilon_from == "pool" and pool[0].collision_term_from == "measured"
    assert many[0].bounds(prior=[1, 1, 1], methods="bao")[0].upper_bound is not None
    with pytest.raises(ValueError, match="measured_terms: l_sup unknown"):
        many.bounds(measured_terms=("l_sup",))


def test_to_frame_with_and_without_pandas(monkeypatch, device):
    import sys
    import types

    z1, z2, y = data(n=128, c=3, seed=10)
    many = quiet(z1, z2, y, [3, 7], 0.5, device=device, bootstrap=20)
    monkeypatch.setitem(sys.modules, "pandas", None)  # not installed: plain rows
    rows = many.to_frame()
    assert rows == many.rows() and [r["k"] for r in rows] == [3, 7]
    assert rows[1]["collision_upper_bound"] == many[1].collision_upper_bound
    assert rows[0]["l_cont_ci_low"] == many[0].intervals["l_cont"][0]
    assert many[0].to_frame() == [many[0].as_row()]
    bounds = many.bounds(methods="bao")
    assert bounds.to_frame() == [b.as_dict() for b in bounds]
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows: ("frame", rows)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert many.to_frame() == ("frame", many.rows())
    assert bounds.to_frame()[0] == "frame"


#: The keys of each row of `measure --format json` that `bound --measured` and users rely on.
ROW_KEYS = {"k", "temperature", "l_cont", "upsilon", "tau", "collision_term", "d", "l_sub_uncovered", "sub_part",
            "curl_sub_part", "l_sup", "accuracy", "intervals", "curl_sub_uncovered_part", "collision_upper_bound"}


def test_cli_several_k_feed_bound_measured(tmp_path, device):
    import json

    from typer.testing import CliRunner

    from boundcalc.cli import app

    z1, z2, y = data(n=256, c=3, seed=11)
    zt1, zt2, yt = data(n=120, c=3, seed=12)
    for name, arr in (("z1", z1), ("z2", z2), ("y", y), ("t1", zt1), ("t2", zt2), ("ty", yt)):
        np.save(tmp_path / f"{name}.npy", arr)
    args = ["measure", "--features", str(tmp_path / "z1.npy"), str(tmp_path / "z2.npy"), "--labels", str(tmp_path / "y.npy"),
            "--k", "3,7,15", "-t", "0.5", "--bootstrap", "30", "--device", device, "-c", "3"]
    runner = CliRunner()
    res = runner.invoke(app, [*args, "-f", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [row["k"] for row in doc] == [3, 7, 15]
    direct = measure(z1, z2, y, [3, 7, 15], 0.5, device=device, bootstrap=30, num_classes=3)
    for row, m in zip(doc, direct, strict=True):
        assert set(row) >= ROW_KEYS
        for key in ROW_KEYS - {"intervals", "k", "temperature"}:
            assert row[key] == getattr(m, key), key
        assert row["intervals"]["curl_sub_uncovered_part"] == list(m.intervals["curl_sub_uncovered_part"])
        assert row["means_from"] == "features"
    out = runner.invoke(app, ["bound", "--measured", "-", "--classes", "3", "--method", "arora-ns,nozawa-sato", "-f", "json"],
                        input=res.stdout)
    assert out.exit_code == 0, out.output
    bounds = json.loads(out.stdout)
    assert sorted({(b["k"], b["method"]) for b in bounds}) == [(k, m) for k in (3, 7, 15) for m in ("arora-ns", "nozawa-sato")]
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "not the authors' protocol" in table.output and "collision bound" in table.output
    train = runner.invoke(app, [*args, "--train-features", str(tmp_path / "t1.npy"), str(tmp_path / "t2.npy"),
                                "--train-labels", str(tmp_path / "ty.npy"), "-f", "json"])
    assert train.exit_code == 0, train.output
    want = measure(z1, z2, y, [3, 7, 15], 0.5, device=device, bootstrap=30, num_classes=3, train_features=(zt1, zt2), train_labels=yt)
    assert [row["l_sup"] for row in json.loads(train.stdout)] == [m.l_sup for m in want]
    assert json.loads(train.stdout)[0]["means_from"] == "train"
    bad = runner.invoke(app, [*args, "--train-labels", str(tmp_path / "ty.npy")])
    assert bad.exit_code == 2 and "train_features" in bad.output


# --------------------------------------------------------------------------- devices and mixed precision (issue 22 item 5)
def _close(a, b, rel, abs_):
    for key, val in a.as_dict().items():
        if isinstance(val, float):
            assert getattr(b, key) == pytest.approx(val, rel=rel, abs=abs_), key


@pytest.mark.skipif(not CUDA, reason="no CUDA device here")
@pytest.mark.parametrize("dtype,rel,abs_", [(torch.float32, 1e-6, 1e-7), (torch.float64, 1e-12, 1e-14)])
def test_cuda_equals_cpu(dtype, rel, abs_):
    z1, z2, y = data(n=4 * 64 + 9, c=5, seed=13)
    if dtype == torch.float32:
        z1, z2 = z1.astype(np.float32), z2.astype(np.float32)
    for kw in ({"k": [7, 63]}, {"k": [15], "chunk_elements": 100}):
        cpu = quiet(z1, z2, y, temperature=0.5, device="cpu", dtype=dtype, bootstrap=50, **kw)
        gpu = quiet(z1, z2, y, temperature=0.5, device="cuda", dtype=dtype, bootstrap=50, **kw)
        for a, b in zip(cpu, gpu, strict=True):
            _close(a, b, rel, abs_)
            if dtype == torch.float64:  # rankings can swap near-ties in float32
                for ha, hb in zip(a.hardness, b.hardness, strict=True):
                    assert hb["same_class_share"] == pytest.approx(ha["same_class_share"], rel=rel, abs=abs_)


def _autocast_available(device):
    try:
        with torch.autocast(device_type=device):
            return True
    except (RuntimeError, ValueError):
        return False


def test_amp_features_close_to_full_precision(device):
    if not _autocast_available(device):
        pytest.skip(f"autocast is not supported on {device} here")
    from examples.torch_encoder import make_encoder, make_loader

    enc = make_encoder()
    full = extract_features(enc, make_loader(5), device=device, amp=False)
    half = extract_features(enc, make_loader(5), device=device, amp=True)
    assert half[0].dtype == torch.float32 and torch.equal(full[2], half[2])
    assert torch.allclose(half[0], full[0], atol=3e-2) and torch.allclose(half[1], full[1], atol=3e-2)
    assert not torch.equal(half[0], full[0])  # autocast did run in lower precision
    a = quiet_encoder(enc, make_loader(5), 15, 0.5, device=device, amp=False, bootstrap=0)
    b = quiet_encoder(enc, make_loader(5), 15, 0.5, device=device, amp=True, bootstrap=0)
    for key in ("l_cont", "l_sup", "collision_upper_bound"):
        assert getattr(b, key) == pytest.approx(getattr(a, key), rel=2e-2), key
    assert b.tau == a.tau and b.upsilon == a.upsilon  # labels only
