"""Throughput and peak memory of the torch measurement (anchors per second) at B = 4096, D = 128.

Run:  python examples/benchmark_measure.py [--batches 8] [--classes 100] [--device cpu|cuda]

The baseline timed in the same run is one plain B×B similarity matmul per batch (the least any
implementation must do), so the ratio says what the rest of the measurement costs (every term,
the collision bound, hardness bands, bootstrap). Targets (issues 22, 25): ≤ 2× on the CPU at
B = 4096, D = 128, C = 100; ≤ 2× on CUDA at B = 8192, D = 256:

    python examples/benchmark_measure.py --device cuda --batch-size 8192 --dim 256

On CUDA both timings wait for the device (torch.cuda.synchronize). Peak memory is the process's
resident high-water mark (features included), read before the baseline runs, and on CUDA also the
device's peak allocation.

The large uncovered case (no batch holds every class; memory must stay bounded by the chunk):

    python examples/benchmark_measure.py --batches 2 --batch-size 65536 --classes 100000 --bootstrap 0 --max-gb 2
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from typing import Any

import torch

from boundcalc.measure import measure, resolve_device

#: Scores per block of the baseline matmul: the measurement's own block size.
CHUNK = 1 << 24


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: CUDA when present)")
    ap.add_argument("--bootstrap", type=int, default=400)
    ap.add_argument("--max-gb", type=float, default=None, help="fail when the peak resident memory exceeds this")
    ap.add_argument("--repeat", type=int, default=3, help="time both this many times, alternately, and keep each one's best "
                    "(a shared machine's load inflates single timings)")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    cuda = device.type == "cuda"

    def wait() -> None:
        if cuda:
            torch.cuda.synchronize(device)

    b, n = args.batch_size, args.batch_size * args.batches
    g = torch.Generator().manual_seed(0)
    y = torch.randint(args.classes, (n,), generator=g)
    z1 = torch.randn(n, args.dim, generator=g).to(device)
    z2 = (z1 + 0.1 * torch.randn(n, args.dim, generator=g).to(device))
    measure(z1[: 2 * b], z2[: 2 * b], y[: 2 * b], b - 1, 0.5, device=device, bootstrap=0, num_classes=args.classes)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    rows = max(1, CHUNK // b)  # the baseline in the same bounded blocks (a whole B×B matrix at B = 65,536 is 17 GB)

    def baseline() -> None:
        acc = torch.zeros((), device=device)
        for s in range(0, n, b):
            for r in range(0, b, rows):
                acc += (z1[s + r : s + min(r + rows, b)] @ z2[s : s + b].T).sum()
        acc.item()

    def timed(run: Any) -> tuple[float, Any]:
        wait()
        t0 = time.perf_counter()
        out = run()
        wait()
        return time.perf_counter() - t0, out

    if cuda:  # the first products also pay for the kernels' start
        baseline()
    took, base, peak_gb, device_gb = math.inf, math.inf, 0.0, None
    for _ in range(max(1, args.repeat)):
        seconds, res = timed(lambda: measure(z1, z2, y, b - 1, 0.5, device=device, bootstrap=args.bootstrap,
                                             num_classes=args.classes))
        took = min(took, seconds)
        if peak_gb == 0.0:  # the first measurement's high-water mark, before any baseline
            peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux
            device_gb = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
        base = min(base, timed(baseline)[0])
    ratio = took / base
    print(f"device {device}{f' ({torch.cuda.get_device_name(device)})' if cuda else ''}, B = {b}, D = {args.dim}, "
          f"C = {args.classes}, N = {n}, bootstrap = {args.bootstrap}")
    print(f"  measurement : {took:8.3f} s   {n / took:12,.0f} anchors/s   (best of {max(1, args.repeat)})")
    print(f"  plain matmul: {base:8.3f} s   (measurement / matmul = {ratio:.2f}x; target ≤ 2x: {'ok' if ratio <= 2 else 'not met'})")
    print(f"  peak memory : {peak_gb:8.2f} GB (resident, whole process)"
          + ("" if device_gb is None else f", {device_gb:.2f} GB on the device")
          + ("" if args.max_gb is None else f"   target ≤ {args.max_gb:g} GB: {'ok' if peak_gb <= args.max_gb else 'FAILED'}"))
    print(f"  L_cont = {res.l_cont:.4f}, υ̂ = {res.upsilon:.3f}, τ̂ = {res.tau:.3f}")
    if args.max_gb is not None and peak_gb > args.max_gb:
        raise SystemExit(1)
    return {"anchors_per_second": n / took, "ratio_to_matmul": ratio, "peak_gb": peak_gb, "device_gb": device_gb,
            "device": str(device)}


if __name__ == "__main__":
    from boundcalc.errors import InputError

    try:
        main()
    except InputError as exc:
        raise SystemExit(f"benchmark_measure: {exc}") from None
