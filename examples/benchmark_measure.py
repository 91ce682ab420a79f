"""Throughput and peak memory of the torch measurement (anchors per second) at B = 4096, D = 128.

Run:  python examples/benchmark_measure.py [--batches 8] [--classes 100] [--device cpu]

The baseline timed in the same run is one plain B×B similarity matmul per batch (the least any
implementation must do), so the ratio says what the rest of the measurement costs. Peak memory is
the process's resident high-water mark (features included), read before the baseline runs.

The large uncovered case (no batch holds every class; memory must stay bounded by the chunk):

    python examples/benchmark_measure.py --batches 2 --batch-size 65536 --classes 100000 --bootstrap 0 --max-gb 2
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from boundcalc.measure import default_device, measure

#: Scores per block of the baseline matmul: the measurement's own block size.
CHUNK = 1 << 24


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--device", default=None)
    ap.add_argument("--bootstrap", type=int, default=400)
    ap.add_argument("--max-gb", type=float, default=None, help="fail when the peak resident memory exceeds this")
    args = ap.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()
    b, n = args.batch_size, args.batch_size * args.batches
    g = torch.Generator().manual_seed(0)
    y = torch.randint(args.classes, (n,), generator=g)
    z1 = torch.randn(n, args.dim, generator=g).to(device)
    z2 = (z1 + 0.1 * torch.randn(n, args.dim, generator=g).to(device))
    measure(z1[: 2 * b], z2[: 2 * b], y[: 2 * b], b - 1, 0.5, device=device, bootstrap=0, num_classes=args.classes)
    t0 = time.perf_counter()
    res = measure(z1, z2, y, b - 1, 0.5, device=device, bootstrap=args.bootstrap, num_classes=args.classes)
    took = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux; before the baseline
    rows = max(1, CHUNK // b)  # the baseline in the same bounded blocks (a whole B×B matrix at B = 65,536 is 17 GB)
    t0 = time.perf_counter()
    for s in range(0, n, b):
        for r in range(0, b, rows):
            (z1[s + r : s + min(r + rows, b)] @ z2[s : s + b].T).sum().item()
    base = time.perf_counter() - t0
    print(f"device {device}, B = {b}, D = {args.dim}, C = {args.classes}, N = {n}")
    print(f"  measurement : {took:8.3f} s   {n / took:12,.0f} anchors/s")
    print(f"  plain matmul: {base:8.3f} s   (measurement / matmul = {took / base:.1f}x)")
    print(f"  peak memory : {peak_gb:8.2f} GB (resident, whole process)"
          + ("" if args.max_gb is None else f"   target ≤ {args.max_gb:g} GB: {'ok' if peak_gb <= args.max_gb else 'FAILED'}"))
    print(f"  L_cont = {res.l_cont:.4f}, υ̂ = {res.upsilon:.3f}, τ̂ = {res.tau:.3f}")
    if args.max_gb is not None and peak_gb > args.max_gb:
        raise SystemExit(1)
    return {"anchors_per_second": n / took, "ratio_to_matmul": took / base, "peak_gb": peak_gb}


if __name__ == "__main__":
    main()
