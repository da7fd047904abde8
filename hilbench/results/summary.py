"""Summaries computed from the sample rows (never stored instead of them).

Per board x model x dataset: latency statistics over the measured inferences (cycles and
microseconds, each with its timing source), the cold first inference after the model was
loaded kept apart, accuracy over the accuracy pass (top-1 by the argmax convention, with
ties reported), and fidelity against the reference interpreter from the raw outputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hilbench.results.metrics import classification_summary, fidelity
from hilbench.results.stats import latency_stats

GROUP = ["board", "model", "dataset", "timing_source", "emulated"]


def _outputs(col: pd.Series) -> np.ndarray | None:
    vals = [v for v in col if isinstance(v, (bytes, bytearray))]
    if not vals or len(vals) != len(col) or len({len(v) for v in vals}) != 1:
        return None
    return np.frombuffer(b"".join(vals), dtype=np.int8).reshape(len(vals), -1)


def summarize_group(g: pd.DataFrame, macs: int | None = None) -> dict[str, Any]:
    """Every summary figure of one board x model x dataset."""
    measured = g[g["phase"] == "measure"]
    cyc = latency_stats(measured["cycles"])
    us = latency_stats(measured["latency_us"])
    first = g.iloc[0]
    out: dict[str, Any] = {
        "n": cyc.n if cyc.n else us.n,
        **{f"cycles_{k}": v for k, v in cyc.to_dict().items() if k != "n"},
        **{f"latency_us_{k}": v for k, v in us.to_dict().items() if k != "n"},
        "cold_cycles": first["cycles"], "cold_latency_us": first["latency_us"],
        "clock_hz": int(first["clock_hz"]),
        "macs": macs,
        "mac_per_cycle": (macs / cyc.median) if macs and cyc.n and cyc.median > 0 else None,
    }
    acc = measured[measured["window"].isna()] if "window" in measured else measured
    labelled = acc[acc["label"].notna()]
    outs = _outputs(labelled["output"]) if "output" in labelled else None
    if outs is not None and len(labelled):
        ncls = outs.shape[1]
        cs = classification_summary(outs, labelled["label"].astype(int).to_numpy(), ncls,
                                    ks=tuple(k for k in (1, 5) if k < ncls))
        out.update(top1=cs.top1, top1_ties_any=cs.topk_ties_any.get(1), top5=cs.topk.get(5),
                   top1_tied=cs.top1_tied, confusion_matrix=cs.confusion_matrix.tolist(), num_classes=ncls)
    else:
        correct = labelled["correct"].dropna() if len(labelled) else pd.Series(dtype=bool)
        out.update(top1=float(correct.mean()) if len(correct) else None)
    ref_rows = acc[acc["reference_output"].notna()] if "reference_output" in acc else acc.iloc[0:0]
    d, r = (_outputs(ref_rows["output"]), _outputs(ref_rows["reference_output"])) if len(ref_rows) else (None, None)
    if d is not None and r is not None and d.shape == r.shape:
        f = fidelity(d, r)
        out.update(bit_exact_pct=f.bit_exact_pct, max_abs_diff_lsb=f.max_abs_diff_lsb, rmse_lsb=f.rmse_lsb,
                   cosine_similarity=f.cosine_similarity, top1_agreement=f.top1_agreement)
    else:
        exact = acc["bit_exact"].dropna()
        out.update(bit_exact_pct=100.0 * float(exact.mean()) if len(exact) else None)
    return out


def summarize(df: pd.DataFrame, jobs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per board x model x dataset (in order of first appearance)."""
    if df.empty or not (df["phase"] == "measure").any():
        return pd.DataFrame(columns=GROUP + ["n"])
    macs: dict[tuple[str, str], int] = {}
    if jobs is not None and not jobs.empty:
        for r in jobs.to_dict("records"):
            if r.get("macs") is not None and not (isinstance(r["macs"], float) and math.isnan(r["macs"])):
                macs[(r["board"], r["model"])] = int(r["macs"])
    rows = []
    for key, g in df.groupby(GROUP, dropna=False, sort=False):
        k = dict(zip(GROUP, key))
        rows.append({**k, **summarize_group(g, macs.get((k["board"], k["model"])))})
    return pd.DataFrame(rows)
