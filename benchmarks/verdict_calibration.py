"""False-regression rate and power of `compare_samples` at its default settings.

Simulates the documented noise model (hilbench.results.verdict.simulated_timings: lognormal
jitter, CV 3-5 %, 2 % outliers 20-50 % slow), seeded, and prints the verdict rates beside
the goals of issue 4: at most 1 % false regressions over 1000 null comparisons, and a true
5 % shift with 50 samples a side detected at least 95 % of the time. Also shows what falls
outside the model (run-to-run drift) and how min_effect trades against it.

    python benchmarks/verdict_calibration.py [--trials 1000] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from hilbench.results.verdict import compare_samples, simulated_timings


def rates(
    trials: int,
    *,
    shift: float,
    cv: float | tuple[float, float],
    n: int = 50,
    drift: float = 0.0,
    min_effect: float = 0.02,
    seed: int = 1,
    higher_is_better: bool = False,
) -> Counter:
    rng = np.random.default_rng(seed)
    out: Counter = Counter()
    for _ in range(trials):
        c = rng.uniform(*cv) if isinstance(cv, tuple) else cv
        a = simulated_timings(rng, n, cv=c, drift=drift)
        b = simulated_timings(rng, n, cv=c, shift=shift, drift=drift)
        out[compare_samples(a, b, min_effect=min_effect, higher_is_better=higher_is_better).verdict] += 1
    return out


def line(label: str, c: Counter, trials: int, key: str, goal: str) -> None:
    r = {k: c.get(k, 0) / trials for k in ("regressed", "improved", "unchanged", "inconclusive")}
    cells = "  ".join(f"{k[:5]} {v:6.1%}" for k, v in r.items())
    print(f"{label:<44} {cells}   {key} {r[key]:6.1%}  goal {goal}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="only the acceptance rows")
    args = ap.parse_args()
    t0 = time.perf_counter()
    T = args.trials
    print(f"n = 50 a side, alpha 0.01, min_effect 2 %, {T} trials per row\n")
    line("null, CV U(3,5) %", rates(T, shift=0.0, cv=(0.03, 0.05)), T, "regressed", "<= 1 %")
    line("+5 %, CV U(3,5) %", rates(T, shift=0.05, cv=(0.03, 0.05), seed=2), T, "regressed", ">= 95 %")
    line(
        "-5 % (improvement), CV U(3,5) %",
        rates(T, shift=-0.05, cv=(0.03, 0.05), seed=3),
        T,
        "improved",
        ">= 95 %",
    )
    if not args.quick:
        for cv in (0.03, 0.04, 0.05):
            line(f"null, CV {cv:.0%}", rates(T, shift=0.0, cv=cv, seed=4), T, "regressed", "<= 1 %")
            line(f"+5 %, CV {cv:.0%}", rates(T, shift=0.05, cv=cv, seed=5), T, "regressed", ">= 95 %")
        print("\noutside the model: run-to-run drift (one factor exp(N(0, d)) per run), CV U(3,5) %")
        for drift in (0.005, 0.01):
            for m in (0.02, 0.03):
                line(
                    f"null, drift {drift:.1%}, min_effect {m:.0%}",
                    rates(T, shift=0.0, cv=(0.03, 0.05), drift=drift, min_effect=m, seed=6),
                    T,
                    "regressed",
                    "<= 1 %",
                )
                line(
                    f"+5 %, drift {drift:.1%}, min_effect {m:.0%}",
                    rates(T, shift=0.05, cv=(0.03, 0.05), drift=drift, min_effect=m, seed=7),
                    T,
                    "regressed",
                    ">= 95 %",
                )
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
