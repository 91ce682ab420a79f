"""The torch adapter against a plain numpy re-computation (CPU)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.measure import average_features, extract_features, measure  # noqa: E402


def reference(z1, z2, y, k, t, mu=None):
    """Straightforward float64 numpy version of the definitions (loops over batches)."""
    u = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
    v = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    m = (u + v) / 2
    c = int(y.max()) + 1 if mu is None else mu.shape[0]
    if mu is None:
        mu = np.stack([m[y == j].mean(0) for j in range(c)])
    b = k + 1
    nb = len(y) // b
    s = dict(l_cont=0.0, cov=0.0, sup=0.0, sub=0.0, col=0.0, tau=0.0, d=0.0, lsup=0.0, acc=0.0)
    for bi in range(nb):
        sl = slice(bi * b, (bi + 1) * b)
        ub, vb, mb, yb = u[sl], v[sl], m[sl], y[sl]
        scores = ub @ vb.T / t
        for i in range(b):
            row = scores[i]
            s["l_cont"] += np.log(np.exp(row - row.max()).sum()) + row.max() - row[i]
        present = sorted(set(yb.tolist()))
        covered = len(present) == c
        for i in range(b):
            logits = ub[i] @ mu.T / t
            ce = np.log(np.exp(logits).sum()) - logits[yb[i]]
            s["lsup"] += ce
            s["acc"] += float(np.argmax(logits) == yb[i])
            if covered:
                s["cov"] += 1
                s["sup"] += ce
            else:
                s["sub"] += np.log(np.exp(logits[present]).sum()) - logits[yb[i]]
            cnt = int((yb == yb[i]).sum())
            s["col"] += math.log(cnt)
            s["tau"] += float(cnt >= 2)
            s["d"] += min(0.0, ub[i] @ (mu[yb[i]] - mb[i]) / t)
    n = nb * b
    return {key: val / n for key, val in s.items()}


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
    got = measure(z1, z2, y, k, 0.5, dtype=torch.float64, device="cpu")
    assert got.n_anchors == (70 // (k + 1)) * (k + 1)
    pairs = dict(l_cont="l_cont", upsilon="cov", sup_part="sup", sub_part="sub", collision_term="col", tau="tau", d="d", l_sup="lsup", accuracy="acc")
    for ours, theirs in pairs.items():
        assert getattr(got, ours) == pytest.approx(ref[theirs], rel=1e-10, abs=1e-12), ours
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


def test_given_means_and_shuffle():
    z1, z2, y = data(n=80, c=3)
    mu = np.random.default_rng(1).normal(size=(3, 8))
    ref = reference(z1, z2, y, 3, 0.5, mu=mu)
    got = measure(z1, z2, y, 3, 0.5, means=mu, dtype=torch.float64, device="cpu")
    assert got.l_sup == pytest.approx(ref["lsup"], rel=1e-10)
    a = measure(z1, z2, y, 3, 0.5, shuffle_seed=5, device="cpu")
    b = measure(z1, z2, y, 3, 0.5, shuffle_seed=5, device="cpu")
    assert a == b
    perm = torch.randperm(80, generator=torch.Generator().manual_seed(5)).numpy()
    c = measure(z1[perm], z2[perm], y[perm], 3, 0.5, device="cpu")
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
    res = measure(z1[sl], z2[sl], y[sl], 7, 0.5, dtype=torch.float64, device="cpu")
    if rank == 0:
        out.put(res.as_dict())
    torch.distributed.destroy_process_group()


def test_two_gloo_processes_equal_single(tmp_path):
    import torch.multiprocessing as mp

    z1, z2, y = data(n=128, c=3)
    single = measure(z1, z2, y, 7, 0.5, dtype=torch.float64, device="cpu")
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
        if isinstance(val, float):
            assert res[key] == pytest.approx(val, rel=1e-12, abs=1e-14), key
        else:
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
    (out,) = json.loads(res.output)
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
    (out,) = json.loads(res.output)
    assert out["n_anchors"] == 256 and 0 < out["upsilon"] <= 1 and out["accuracy"] > 0.5
    ns = next(b for b in out["bounds"] if b["method"] == "nozawa-sato")
    assert ns["holds"] is True


def test_benchmark_script_runs_small():
    import runpy
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "benchmark_measure.py"
    out = runpy.run_path(str(path), run_name="example")["main"](["--batches", "2", "--batch-size", "64", "--dim", "8", "--classes", "5", "--device", "cpu"])
    assert out["anchors_per_second"] > 0
