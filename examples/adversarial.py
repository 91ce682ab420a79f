"""The full adversarial accuracy sweep: the worst relative error per quantity.

Run:  python examples/adversarial.py   (about half a minute)

The cases and their high-precision references are in tests/adversarial.py (uniform priors up to
C = 10^6, priors with 2–3 distinct masses by grouped inclusion–exclusion in mpmath, dominant and
tiny classes, up to 10^5 distinct masses, n from below C to far above E[T], with and without
replacement, the collision law and the moments of T); ``tests/test_adversarial.py`` runs its fast
subset in CI. Errors: |Δ ln p| / max(1, |ln p|) for probabilities, relative for the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.adversarial import QUANTITIES, TOLERANCE, cases, error  # noqa: E402


def main() -> None:
    sweep = cases(full=True)
    worst: dict[str, tuple[float, str]] = {q: (0.0, "") for q in QUANTITIES}
    for case in sweep:
        e = error(case)
        if e >= worst[case.quantity][0]:
            worst[case.quantity] = (e, f"{case.label}, argument {case.arg}")
    print(f"{len(sweep)} cases; tolerance {TOLERANCE:g}\n")
    print("| quantity | worst error | at |")
    print("|---|---|---|")
    for q, (e, where) in worst.items():
        print(f"| {q} | {e:.1e} | {where} |")
    failed = [q for q, (e, _) in worst.items() if not e <= TOLERANCE]
    print("\nall within tolerance" if not failed else f"\nOUT OF TOLERANCE: {', '.join(failed)}")


if __name__ == "__main__":
    main()
