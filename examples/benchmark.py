"""Speed of boundcalc's coverage probability against the research code it replaces.

Run:  python examples/benchmark.py  [--quick]

Every figure is a ratio against a baseline timed in the same run (machines are noisy):
the exact dynamic program of the follow-up work, re-implemented here in pure Python,
O(K·C): the number of distinct classes seen after each of the K+1 draws is a Markov chain.
The float alternating sum of the authors' notebook is timed too, with the value it returns.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import boundcalc as bc


def dp_coverage_pure_python(draws: int, c: int) -> float:
    """P(all C classes seen after `draws` uniform draws), the O(draws·C) dynamic program."""
    p = [0.0] * (c + 1)
    p[0] = 1.0
    for _ in range(draws):
        new = [0.0] * (c + 1)
        for j in range(c + 1):
            if p[j]:
                new[j] += p[j] * j / c
                if j < c:
                    new[j + 1] += p[j] * (c - j) / c
        p = new
    return p[c]


def float_alternating_sum(draws: int, c: int) -> float:
    """The notebook's formula Σ_j (−1)^j binom(C, j) (1 − j/C)^n in floating point."""
    return sum((-1) ** j * math.comb(c, j) * (1 - j / c) ** draws for j in range(c + 1))


def best_of(f, repeat: int = 5) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller baseline (C=300, K+1=2000), for a fast check")
    args = ap.parse_args()
    c, n = (300, 2000) if args.quick else (1000, 7701)

    t_dp, v_dp = best_of(lambda: dp_coverage_pure_python(n, c), repeat=1)
    t_bc, v_bc = best_of(lambda: bc.coverage_probability(n, c), repeat=20)
    t_alt, v_alt = best_of(lambda: float_alternating_sum(n, c), repeat=1)
    bad_n, bad_c = 128, 100
    v_alt_bad = float_alternating_sum(bad_n, bad_c)
    v_bc_bad = bc.coverage_probability(bad_n, bad_c)
    print(f"υ_{{K+1}} for C={c}, K+1={n}")
    print(f"  pure-Python DP baseline : {t_dp * 1e3:10.1f} ms   value {v_dp:.16g}")
    print(f"  float alternating sum   : {t_alt * 1e3:10.1f} ms   value {v_alt:.16g}")
    print(f"  boundcalc               : {t_bc * 1e3:10.3f} ms   value {v_bc:.16g}")
    print(f"  speed-up over the DP    : {t_dp / t_bc:10.0f}x   (target ≥ 1000x)")
    print(f"  relative difference     : {abs(v_bc - v_dp) / v_dp:.2e}")
    print(f"υ_{bad_n} for C={bad_c}: float alternating sum {v_alt_bad:.3g}, boundcalc {v_bc_bad:.6g}")

    rows = []
    t, _ = best_of(lambda: bc.coverage_probability(7701, "imagenet1k"), repeat=20)
    rows.append(("υ_7701, ImageNet-1K prior (target < 20 ms)", t))
    z = 1.0 / np.arange(1, 21842)
    counts = np.maximum(1, np.round(z / z.sum() * 14e6)).astype(np.int64)
    lt = bc.Prior.from_counts(counts, name="zipf-21841")
    t, _ = best_of(lambda: bc.coverage_probability(10**6, lt), repeat=3)
    rows.append(("υ_{10^6}, 21,841-class Zipf prior (target < 1 s)", t))
    t, _ = best_of(lambda: bc.coverage_probability(np.arange(1, 10**5 + 1), 1000), repeat=3)
    rows.append(("curve υ_n, n = 1..10^5, C = 1000 (target < 1 s)", t))
    t, _ = best_of(lambda: bc.log_coverage_sf(np.arange(1, 10**4 + 1), "imagenet1k"), repeat=1)
    rows.append(("ln(1 − υ_n), n = 1..10^4, ImageNet-1K prior", t))
    t, _ = best_of(lambda: bc.collision_term(10**7, "imagenet1k"), repeat=5)
    rows.append(("E[ln(1+Col)], K = 10^7, ImageNet-1K prior", t))
    bc.coverage.clear_caches()
    t, _ = best_of(lambda: (bc.coverage.clear_caches(), bc.expected_draws("imagenet1k")), repeat=3)
    rows.append(("E[T], ImageNet-1K prior", t))
    print()
    for label, t in rows:
        print(f"  {label:<55s} {t * 1e3:9.1f} ms   (= {t / t_dp:.2e} × the DP's time for one value)")


if __name__ == "__main__":
    main()
