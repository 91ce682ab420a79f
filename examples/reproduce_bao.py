"""Rebuild Figure 4 of Bao, Nagano & Nozawa (2022) with boundcalc: the coefficient of the
contrastive loss in each published upper bound (panel a) and each bound evaluated at the least
contrastive loss R*_cont (panel b), C = 10, b = 1, K = 1 … 99.

The authors' script (nzw0301/gap-contrastive-and-supervised-losses, scripts/compare_upper_bound.py,
with nceloss_min and ub_intercept from scripts/plot_k_msuploss.py) prints no numbers; the figure
is a function of the parameters recorded in examples/data/bao_published.json. This example
evaluates every curve twice — with boundcalc (``compute_bounds``: arora, nozawa-sato, ash, bao;
τ_K, υ_{K+1}, E[ln(1+Col)] exact for the uniform prior) and with the script's own float
arithmetic, re-implemented here — and prints where they differ. They agree to rounding except
Ash et al.'s, where the script approximates H_{C−1} by ln(C − 1) + 0.577.

Bao et al.'s setting has no augmentation, so no d(f): the Arora and Nozawa–Sato bounds are taken
with d = 0 and L_sub = 0, as in the script.

R*_cont and R*_sup are computed by a local function of this example, ``least_contrastive_loss``
(LOCAL: boundcalc has no public R* yet).

Run:  python examples/reproduce_bao.py [--outdir DIR] [--no-figure]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from scipy.special import comb
from scipy.stats import binom

import boundcalc as bc
from boundcalc.bounds import compute_bounds
from boundcalc.errors import MissingExtraError
from boundcalc.special import harmonic

DATA = Path(__file__).resolve().parent / "data" / "bao_published.json"
METHODS = ("arora", "nozawa-sato", "ash", "bao")
#: The script's stand-in for H_{c−1} (coef_ash in compare_upper_bound.py): ln(c − 1) + 0.577.
EULER_GAMMA_AS_WRITTEN = 0.577


def load(path: Path = DATA) -> dict:
    """The recorded parameters of Figure 4."""
    return json.loads(path.read_text())


def least_contrastive_loss(k: int, classes: int, b: float) -> float:
    """LOCAL (not boundcalc's API): R*_cont = E[ln(1 + Col + (K − Col) e^{−2b²})] for the uniform
    prior, Col ~ Binomial(K, 1/C) (Bao et al. 2022; scripts/plot_k_msuploss.py nceloss_min): the
    least contrastive loss of features of norm ≤ b. Binomial pmf from scipy (log-space), K ≥ 1."""
    m = np.arange(k + 1)
    return float(np.sum(binom.pmf(m, k, 1.0 / classes) * np.log1p(m + (k - m) * math.exp(-2.0 * b * b))))


def least_supervised_loss(classes: int, b: float) -> float:
    """LOCAL (not boundcalc's API): R*_sup = ln(1 + (C − 1) e^{−2b²}) (Bao et al. 2022;
    scripts/plot_k_msuploss.py suploss_min), the least supervised loss of the mean classifier."""
    return math.log1p((classes - 1) * math.exp(-2.0 * b * b))


#: One curve per method (None where the bound is vacuous), per panel.
Curves = dict[str, dict[str, list[float | None]]]


def boundcalc_curves(ks: np.ndarray, classes: int, b: float) -> Curves:
    """Panel (a): the coefficient of L_cont in each bound, from boundcalc's exact τ_K, υ_{K+1}
    and H_{C−1}; panel (b): compute_bounds at L_cont = R*_cont (d = 0, L_sub = 0, norm bound b)."""
    log_1mt = np.atleast_1d(bc.log_collision_complement(ks, classes))
    log_ups = np.atleast_1d(bc.log_coverage_probability(ks + 1, classes))
    h = harmonic(classes - 1)
    coef: dict[str, list[float | None]] = {
        "bao": [1.0] * len(ks),
        "arora": [math.exp(-a - u) if u > -math.inf else None for a, u in zip(log_1mt, log_ups, strict=True)],
        "nozawa-sato": [2.0 * math.exp(-u) if u > -math.inf else None for u in log_ups],
        "ash": [2.0 * max(1.0, 2.0 * (classes - 1) * h / int(k)) * math.exp(-a) for k, a in zip(ks, log_1mt, strict=True)],
    }
    rstar: list[float | None] = [least_contrastive_loss(int(k), classes, b) for k in ks]
    rows = compute_bounds(rstar, ks, classes, methods=list(METHODS), d=0.0, l_sub=0.0, norm_bound=b)
    bound = {m: [r.upper_bound for r in rows if r.method == m] for m in METHODS}
    return {"coefficient": coef, "bound": bound, "r_star_cont": {"all": rstar}}


def script_curves(ks: np.ndarray, classes: int, b: float) -> Curves:
    """The same curves in the script's own float arithmetic (re-implemented): τ = 1 − (1 − 1/c)^K,
    υ by the dynamic program over the number of classes seen, binomial sums with float
    binomials, H_{c−1} ≈ ln(c − 1) + 0.577."""
    p = 1.0 / classes

    def coupon(n: int) -> float:
        seen = np.zeros(classes + 1)
        seen[0] = 1.0
        for _ in range(n):
            seen[1:] = seen[1:] * np.arange(1, classes + 1) / classes + seen[:-1] * (classes - np.arange(classes)) / classes
            seen[0] = 0.0
        return float(seen[classes])

    def binomial_mean(k: int, f: np.ndarray) -> float:
        m = np.arange(k + 1)
        return float(np.sum(comb(k, m) * p**m * (1 - p) ** (k - m) * f))

    tau = 1 - (1 - p) ** ks
    ups = np.array([coupon(int(k) + 1) for k in ks])
    col = np.array([binomial_mean(int(k), np.log(1 + np.arange(k + 1))) for k in ks])
    rstar = np.array([binomial_mean(int(k), np.log(1 + np.arange(k + 1) + (k - np.arange(k + 1)) * np.exp(-2 * b**2))) for k in ks])
    with np.errstate(divide="ignore"):  # υ = 0 for K + 1 < C: the script plots those K only for Ash and Bao
        return _script_terms(ks, classes, b, p, tau, ups, col, rstar)


def _script_terms(ks: np.ndarray, classes: int, b: float, p: float, tau: np.ndarray, ups: np.ndarray, col: np.ndarray,
                  rstar: np.ndarray) -> Curves:
    ash_coef = 2 * np.maximum(1, 2 * (classes - 1) * (math.log(classes - 1) + EULER_GAMMA_AS_WRITTEN) / ks) / (1 - tau)
    coef = {"bao": np.ones(len(ks)), "arora": 1 / ((1 - tau) * ups), "nozawa-sato": 2 / ups, "ash": ash_coef}
    delta_u = np.log(p * classes**2 * np.cosh(b**2) ** 2 / ks)
    bound = {"bao": rstar + delta_u, "arora": coef["arora"] * (rstar - col), "nozawa-sato": (2 * rstar - col) / ups,
             "ash": ash_coef * (rstar - col)}
    return {"coefficient": {m: [float(v) for v in c] for m, c in coef.items()},
            "bound": {m: [float(v) for v in c] for m, c in bound.items()}, "r_star_cont": {"all": [float(v) for v in rstar]}}


def differences(ours: dict, script: dict, ks: np.ndarray, plotted_from: dict[str, int]) -> list[dict]:
    """Largest relative difference of boundcalc's curve from the script's, over the plotted K."""
    out = []
    for panel in ("coefficient", "bound"):
        for m in METHODS:
            pairs = [(o, s) for k, o, s in zip(ks, ours[panel][m], script[panel][m], strict=True) if k >= plotted_from[m]]
            rel = max(abs(o - s) / abs(s) for o, s in pairs if o is not None)
            out.append({"panel": panel, "method": m, "max_rel_difference": rel, "points": len(pairs)})
    return out


def figure(ks: np.ndarray, ours: dict, script: dict, plotted_from: dict[str, int], ylim: list[float], outdir: Path) -> Path | None:
    """Figure 4's two panels, boundcalc solid and the script's arithmetic dashed. Without
    matplotlib, says so and returns None."""
    try:
        from boundcalc.plotting import require_matplotlib, save

        figure_class = require_matplotlib()
    except MissingExtraError as e:
        print(f"\nno figure: {e}")
        return None
    fig = figure_class(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    labels = {"bao": "Bao et al. (ours in the paper)", "arora": "Arora et al.", "nozawa-sato": "Nozawa & Sato", "ash": "Ash et al."}
    for ax, panel in zip(axes, ("coefficient", "bound"), strict=True):
        for i, m in enumerate(METHODS):
            keep = ks >= plotted_from[m]
            color = f"C{i}"
            ax.plot(ks[keep], np.array(ours[panel][m], dtype=float)[keep], "-", color=color, label=f"{labels[m]} (boundcalc)")
            ax.plot(ks[keep], np.array(script[panel][m], dtype=float)[keep], "--", color=color, lw=1, label=f"{labels[m]} (script)")
        ax.set_yscale("log")
        ax.set_ylim(*ylim)
        ax.set_xlabel("K")
        ax.axvline(10, color="k", ls=":", lw=1)
    axes[0].set_title("(a) coefficient of the contrastive loss")
    axes[1].set_title("(b) upper bound at R*_cont")
    axes[1].legend(fontsize=7)
    outdir.mkdir(parents=True, exist_ok=True)
    return save(fig, outdir / "bao_figure4.png")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=Path("."), help="where to write the figure")
    ap.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    args = ap.parse_args(argv)
    data = load()
    c, b = data["classes"], data["b"]
    ks = np.arange(data["k"]["first"], data["k"]["last"] + 1)
    plotted_from = {m: data["plotted_from_k"][m] for m in METHODS}
    ours, script = boundcalc_curves(ks, c, b), script_curves(ks, c, b)
    diffs = differences(ours, script, ks, plotted_from)
    print(f"Bao, Nagano & Nozawa (2022), Figure 4: C = {c}, b = {b}, K = {ks[0]} … {ks[-1]}")
    print(f"R*_sup = ln(1 + (C − 1) e^(−2b²)) = {least_supervised_loss(c, b):.6f} (LOCAL function; not in Figure 4)")
    print(f"{'K':>4} {'R*_cont':>9} " + " ".join(f"{m + ' coef':>17} {m + ' bound':>17}" for m in METHODS))
    for i, k in enumerate(ks):
        if k in (1, 5, 9, 10, 11, 20, 50, 99):
            cells = []
            for m in METHODS:
                co, bo = ours["coefficient"][m][i], ours["bound"][m][i]
                cells.append(f"{co:>17.6g} {bo:>17.6g}" if co is not None and bo is not None else f"{'none':>17} {'none':>17}")
            print(f"{k:>4} {ours['r_star_cont']['all'][i]:>9.5f} " + " ".join(cells))
    print("\nboundcalc against the script's arithmetic (largest relative difference over the plotted K):")
    for d in diffs:
        why = "  (the script uses H_(C−1) ≈ ln(C − 1) + 0.577)" if d["method"] == "ash" else ""
        print(f"  panel {d['panel']:<12} {d['method']:<12} {d['max_rel_difference']:.2e} over {d['points']} K{why}")
    path = None if args.no_figure else figure(ks, ours, script, plotted_from, data["ylim"], args.outdir)
    if path is not None:
        print(f"wrote {path}")
    return {"k": ks, "boundcalc": ours, "script": script, "differences": diffs, "figure": path}


if __name__ == "__main__":
    main()
