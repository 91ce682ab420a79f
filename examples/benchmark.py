"""Speed targets of boundcalc, each as a ratio against a baseline timed in the same run.

Run:  python examples/benchmark.py  [--quick]

Machines are noisy, so every target is a ratio to something timed alongside it:

* start-up: a command against ``python -c "import numpy"`` (fresh interpreters, best of N,
  interleaved); the package is byte-compiled first, as ``pip install`` does;
* whole curves and long ranges: against numpy exponentiating 10^7 doubles (best of 5);
* single values: against the exact O(K·C) dynamic program of the follow-up work, in pure
  Python over a numpy array as written there (and, for the ImageNet-1K and long-tail priors,
  the time itself, as the issue states).

Each line prints the measurement, the ratio, the target and whether it holds; the last line
says whether all hold. ``--quick`` times fewer repetitions (for a fast check, not for the README).
"""

from __future__ import annotations

import argparse
import compileall
import math
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

import boundcalc as bc

ROOT = Path(__file__).resolve().parent.parent


def dp_coverage_pure_python(draws: int, c: int) -> float:
    """P(all C classes seen after `draws` uniform draws) by the follow-up work's O(draws·C)
    dynamic program, as it is written there: the probabilities of having seen j classes in a
    numpy array, every one of the C + 1 states updated element by element after each draw
    (the program the issue's "20,000×" was measured against)."""
    seen = np.zeros(c + 1)
    seen[0] = 1.0
    for _ in range(draws):
        for j in range(c, 0, -1):  # from the top, so that seen[j − 1] is still the previous draw's
            seen[j] = seen[j] * j / c + seen[j - 1] * (c - j + 1) / c
        seen[0] = 0.0
    return float(seen[c])


def best_of(f: Callable[[], object], repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def fresh_processes(commands: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """Best wall time of each command line in a fresh process, the commands interleaved."""
    best = dict.fromkeys(commands, math.inf)
    for _ in range(repeat):
        for name, argv in commands.items():
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def zipf_prior(c: int = 21841, total: float = 14e6) -> bc.Prior:
    z = 1.0 / np.arange(1, c + 1)
    return bc.Prior.from_counts(np.maximum(1, np.round(z / z.sum() * total)).astype(np.int64), name=f"zipf-{c}")


class Table:
    """The lines of the report: what was timed, the figure, and the target it meets or not."""

    def __init__(self) -> None:
        self.held: list[bool] = []

    def ratio(self, label: str, seconds: float, base: float, limit: float, above: bool = False) -> None:
        r = seconds / base if not above else base / seconds
        ok = r >= limit if above else r <= limit
        self.held.append(ok)
        sign = "≥" if above else "≤"
        print(f"  {label:<62s} {seconds * 1e3:10.3f} ms  {r:10.2f}x  (target {sign} {limit:g}x)  {'ok' if ok else 'MISSED'}")

    def absolute(self, label: str, seconds: float, limit: float) -> None:
        ok = seconds <= limit
        self.held.append(ok)
        print(f"  {label:<62s} {seconds * 1e3:10.3f} ms  {'':11s}  (target < {limit * 1e3:g} ms)  {'ok' if ok else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a fast check)")
    args = ap.parse_args()
    reps = 3 if args.quick else 15
    table = Table()
    compileall.compile_dir(str(ROOT / "boundcalc"), quiet=1)

    print(f"start-up (fresh processes, best of {reps}, interleaved)")
    exe = [sys.executable, "-m", "boundcalc"]
    t = fresh_processes({
        "numpy": [sys.executable, "-c", "import numpy"],
        "first": [*exe, "coverage", "--classes", "1000", "--k", "7700"],
        "help": [*exe, "--help"],
        "floor": [sys.executable, "-c", "import numpy, typer"],
    }, reps)
    baseline = 'python -c "import numpy" (the baseline)'
    print(f"  {baseline:<62s} {t['numpy'] * 1e3:10.3f} ms")
    table.ratio("boundcalc coverage --classes 1000 --k 7700", t["first"], t["numpy"], 1.6)
    table.ratio("boundcalc --help", t["help"], t["numpy"], 1.3)
    floor = "(floor: importing numpy and typer alone)"
    print(f"  {floor:<62s} {t['floor'] * 1e3:10.3f} ms  {t['floor'] / t['numpy']:10.2f}x")

    x = np.random.default_rng(0).random(10**7)
    cal = best_of(lambda: np.exp(x), 5)
    print(f"\nwhole curves and long ranges (baseline: np.exp over 10^7 doubles, {cal * 1e3:.1f} ms)")
    imagenet = bc.Prior.preset("imagenet1k")
    n = np.arange(1, 10**5 + 1)
    repeat = 1 if args.quick else 3
    table.ratio("υ_n and 1 − υ_n, n = 1..10^5, ImageNet-1K",
                best_of(lambda: bc.coverage.log_coverage_and_sf(n, imagenet), repeat), cal, 20)
    table.ratio("E[ln(1+Col)], K = 0..99,999, ImageNet-1K",
                best_of(lambda: bc.collision_term(n - 1, imagenet), repeat), cal, 20)
    cli = fresh_processes({"range": [*exe, "coverage", "--prior", "imagenet1k", "--k", "0..99999", "--format", "csv"]},
                          repeat)
    table.ratio("CLI coverage --prior imagenet1k --k 0..99999 --format csv", cli["range"], cal, 60)

    c, draws = 1000, 7701
    t_dp = best_of(lambda: dp_coverage_pure_python(draws, c), 1)
    print(f"\nsingle values (baseline: the follow-up work's O(K·C) dynamic program, {t_dp:.2f} s for υ_{draws}, C = {c})")
    single = 50 if args.quick else 300
    table.ratio(f"υ_{draws}, C = {c} (speed-up over the DP)",
                best_of(lambda: bc.coverage_probability(draws, c), single), t_dp, 50_000, above=True)
    table.absolute(f"υ_{draws}, ImageNet-1K prior", best_of(lambda: bc.coverage_probability(draws, imagenet), single), 3e-4)
    by_object = best_of(lambda: bc.coverage_probability(draws, imagenet), single)
    table.ratio(f"υ_{draws}, preset name 'imagenet1k' against a Prior object",
                best_of(lambda: bc.coverage_probability(draws, "imagenet1k"), single), by_object, 1.2)
    zipf = zipf_prior()
    table.absolute("υ_{10^6}, 21,841-class Zipf prior", best_of(lambda: bc.coverage_probability(10**6, zipf), 5), 0.05)

    print("\nmemory for 10^6 distinct class masses (peak traced allocation)")
    masses = bc.Prior.from_counts(np.arange(1, 10**6 + 1, dtype=np.float64) + 0.5)
    for label, f in (("υ_{3·10^7}", lambda: bc.coverage_probability(3 * 10**7, masses)),
                     ("τ_K and ln(1 − τ_K), K = 10^7", lambda: (bc.collision_probability(10**7, masses),
                                                                bc.log_collision_complement(10**7, masses)))):
        tracemalloc.start()
        start = time.perf_counter()
        f()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ok = peak < 1 << 30
        table.held.append(ok)
        print(f"  {label:<62s} {seconds * 1e3:10.1f} ms  peak {peak / 2**20:7.1f} MiB  (target < 1 GiB)  {'ok' if ok else 'MISSED'}")

    print(f"\n{sum(table.held)} of {len(table.held)} targets hold")


if __name__ == "__main__":
    main()
