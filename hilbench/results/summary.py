"""Summaries computed from the sample rows (never stored instead of them)."""

from __future__ import annotations

import pandas as pd

GROUP = ["board", "model", "dataset", "timing_source", "emulated"]


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """One row per board x model x dataset over the measured (non-warm-up) samples."""
    m = df[df["phase"] == "measure"]
    if m.empty:
        return pd.DataFrame(columns=GROUP + ["n"])

    def one(g: pd.DataFrame) -> pd.Series:
        cyc = g["cycles"].dropna()
        us = g["latency_us"].dropna()
        correct = g["correct"].dropna()
        exact = g["bit_exact"].dropna()
        return pd.Series({
            "n": len(g),
            "cycles_median": float(cyc.median()) if len(cyc) else None,
            "cycles_p90": float(cyc.quantile(0.9)) if len(cyc) else None,
            "latency_us_median": float(us.median()) if len(us) else None,
            "latency_us_p90": float(us.quantile(0.9)) if len(us) else None,
            "clock_hz": int(g["clock_hz"].iloc[0]),
            "top1": float(correct.mean()) if len(correct) else None,
            "bit_exact_pct": 100.0 * float(exact.mean()) if len(exact) else None,
        })

    return m.groupby(GROUP, dropna=False).apply(one, include_groups=False).reset_index()
