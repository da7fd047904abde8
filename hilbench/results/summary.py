"""Summaries computed from the sample rows (never stored instead of them).

Per board x model x dataset: latency statistics over the measured inferences (n, mean,
min, max, median, p90, p95, p99, std and CV, as trtexec reports them, of cycles and
microseconds, each with its timing source), the cold first inference after the model was
loaded kept apart, accuracy over the accuracy pass (top-1 by the argmax convention, with
ties reported), and fidelity against the reference interpreter from the raw outputs.

A model without predictions (its output is not one value per class, e.g. an autoencoder's
reconstruction) has no top-1 and no ties: `top1` is None.

Anomaly-detection jobs (rows with a `score`: one row per window, docs/datasets.md) report
instead of top-1: `file_scores` (per file, the mean of its window scores, as MLPerf Tiny
scores a clip), `auc` and `pauc` (ROC AUC and the McClish partial AUC at FPR <= 0.1 of the
file scores against the labels, 1 = anomaly; None unless both classes are present),
`score_mean` (mean of the file scores) and `n_files`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hilbench.datasets import ad_file_of
from hilbench.datasets.anomaly import AD_PAUC_MAX_FPR
from hilbench.results.metrics import classification_summary, fidelity, roc_auc
from hilbench.results.stats import latency_stats, throughput_per_s

GROUP = ["board", "model", "dataset", "timing_source", "emulated"]


def _outputs(col: pd.Series, dtype: str | None = None) -> np.ndarray | None:
    """The raw output bytes of rows as one (rows x elements) array of the model's output
    type (the job's `output_dtype`; int8, the type of every MLPerf Tiny reference model,
    for runs recorded before it was stored). Read as int8, a uint8 classifier's 200 would
    be -56 and its argmax wrong."""
    vals = [v for v in col if isinstance(v, (bytes, bytearray))]
    if not vals or len(vals) != len(col) or len({len(v) for v in vals}) != 1:
        return None
    dt = np.dtype(dtype or "int8")
    if len(vals[0]) % dt.itemsize:
        return None
    return np.frombuffer(b"".join(vals), dtype=dt).reshape(len(vals), -1)


def ad_file_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Per AD file (in order of first appearance): file, label (1 anomaly, 0 normal, None),
    windows, score = mean of the window scores.

    `rows` are sample rows of one job; only accuracy-pass rows with a score count
    (performance windows and the warm-up are ignored), and with --repeat only the first
    row of each window. The mean is taken over the windows in window order with
    ``np.mean`` in float64, as `hilbench.mlperf_tiny.ad_reference.score_file` does, so bit-exact
    outputs give the very same file score as the reference interpreter.
    """
    cols = ["file", "label", "windows", "score"]
    if "score" not in rows:
        return pd.DataFrame(columns=cols)
    r = rows[(rows["phase"] == "measure") & rows["score"].notna()]
    if "window" in r:
        r = r[r["window"].isna()]
    r = r.drop_duplicates("sample_id", keep="first")
    if r.empty:
        return pd.DataFrame(columns=cols)
    files = r["sample_id"].map(ad_file_of)
    k = r["sample_id"].str.rsplit("#w", n=1).str[-1]
    order = pd.to_numeric(k, errors="coerce")
    out = []
    for f, g in r.assign(_file=files, _k=order).groupby("_file", sort=False):
        g = g.sort_values("_k", kind="stable")
        lab = g["label"].dropna()
        out.append(
            {
                "file": f,
                "label": int(lab.iloc[0]) if len(lab) else None,
                "windows": len(g),
                "score": float(np.mean(g["score"].to_numpy(dtype=np.float64))),
            }
        )
    df = pd.DataFrame(out, columns=cols)
    df["label"] = pd.Series([o["label"] for o in out], dtype=object)  # 1, 0 or None (not NaN)
    return df


def ad_summary(rows: pd.DataFrame) -> dict[str, Any]:
    """file_scores, auc, pauc (max_fpr 0.1), score_mean and n_files of one AD job's rows."""
    fs = ad_file_scores(rows)
    labelled = fs[fs["label"].notna()]
    y = labelled["label"].astype(int).to_numpy()
    both = len(labelled) > 0 and 0 < y.sum() < len(y)
    sc = labelled["score"].to_numpy(dtype=np.float64)
    return {
        "file_scores": dict(zip(fs["file"], fs["score"].astype(float))),
        "n_files": len(fs),
        "auc": roc_auc(sc, y) if both else None,
        "pauc": roc_auc(sc, y, max_fpr=AD_PAUC_MAX_FPR) if both else None,
        "score_mean": float(np.mean(fs["score"].to_numpy(dtype=np.float64))) if len(fs) else None,
    }


def _has_predictions(rows: pd.DataFrame) -> bool:
    """A job predicts a class only when the output has one value per class (runner/job.py).

    An autoencoder run on a labelled classifier-layout dataset has 640 outputs and no
    prediction: an argmax over them is no top-1 (it printed "top-1 0.0 % (10 tied)").
    """
    return "prediction" not in rows or bool(rows["prediction"].notna().all())


def is_ad_rows(rows: pd.DataFrame) -> bool:
    return "score" in rows and bool(rows["score"].notna().any())


def summarize_group(
    g: pd.DataFrame, macs: int | None = None, output_dtype: str | None = None
) -> dict[str, Any]:
    """Every summary figure of one board x model x dataset."""
    measured = g[g["phase"] == "measure"]
    cyc = latency_stats(measured["cycles"])
    us = latency_stats(measured["latency_us"])
    first = g.iloc[0]
    out: dict[str, Any] = {
        "n": cyc.n if cyc.n else us.n,
        **{f"cycles_{k}": v for k, v in cyc.to_dict().items() if k != "n"},
        **{f"latency_us_{k}": v for k, v in us.to_dict().items() if k != "n"},
        # inferences/s from the mean latency, in the unit of `timing_source` (trtexec's throughput)
        "throughput_per_s": throughput_per_s(us.mean),
        "cold_cycles": first["cycles"],
        "cold_latency_us": first["latency_us"],
        "clock_hz": int(first["clock_hz"]),
        "macs": macs,
        "mac_per_cycle": (macs / cyc.median) if macs and cyc.n and cyc.median > 0 else None,
    }
    acc = measured[measured["window"].isna()] if "window" in measured else measured
    labelled = acc[acc["label"].notna()]
    outs = _outputs(labelled["output"], output_dtype) if "output" in labelled else None
    if is_ad_rows(acc):
        out.update(top1=None, **ad_summary(acc))
    elif outs is not None and len(labelled) and _has_predictions(labelled):
        ncls = outs.shape[1]
        cs = classification_summary(
            outs, labelled["label"].astype(int).to_numpy(), ncls, ks=tuple(k for k in (1, 5) if k < ncls)
        )
        out.update(
            top1=cs.top1,
            top1_ties_any=cs.topk_ties_any.get(1),
            top5=cs.topk.get(5),
            top1_tied=cs.top1_tied,
            confusion_matrix=cs.confusion_matrix.tolist(),
            num_classes=ncls,
        )
    else:
        correct = labelled["correct"].dropna() if len(labelled) else pd.Series(dtype=bool)
        out.update(top1=float(correct.mean()) if len(correct) else None)
    ref_rows = acc[acc["reference_output"].notna()] if "reference_output" in acc else acc.iloc[0:0]
    d, r = (
        (_outputs(ref_rows["output"], output_dtype), _outputs(ref_rows["reference_output"], output_dtype))
        if len(ref_rows)
        else (None, None)
    )
    if d is not None and r is not None and d.shape == r.shape:
        f = fidelity(d, r)
        out.update(
            bit_exact_pct=f.bit_exact_pct,
            max_abs_diff_lsb=f.max_abs_diff_lsb,
            rmse_lsb=f.rmse_lsb,
            cosine_similarity=f.cosine_similarity,
            top1_agreement=f.top1_agreement,
        )
    else:
        exact = acc["bit_exact"].dropna()
        out.update(bit_exact_pct=100.0 * float(exact.mean()) if len(exact) else None)
    return out


def summarize(df: pd.DataFrame, jobs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per board x model x dataset (in order of first appearance)."""
    if df.empty or not (df["phase"] == "measure").any():
        return pd.DataFrame(columns=GROUP + ["n"])
    macs: dict[tuple[str, str], int] = {}
    dtypes: dict[tuple[str, str, str], str] = {}
    if jobs is not None and not jobs.empty:
        for r in jobs.to_dict("records"):
            if r.get("macs") is not None and not (isinstance(r["macs"], float) and math.isnan(r["macs"])):
                macs[(r["board"], r["model"])] = int(r["macs"])
            if isinstance(r.get("output_dtype"), str):
                dtypes[(r["board"], r["model"], r.get("dataset"))] = r["output_dtype"]
    rows = []
    for key, g in df.groupby(GROUP, dropna=False, sort=False):
        k = dict(zip(GROUP, key))
        rows.append(
            {
                **k,
                **summarize_group(
                    g, macs.get((k["board"], k["model"])), dtypes.get((k["board"], k["model"], k["dataset"]))
                ),
            }
        )
    return pd.DataFrame(rows)
