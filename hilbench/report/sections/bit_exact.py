"""The fidelity section: how many outputs are bit-exact with the tflite-micro reference, and
by how many LSB the others differ."""

from __future__ import annotations

from typing import Any

import pandas as pd

from hilbench.report import svg
from hilbench.report.format import fmt, num, pct
from hilbench.report.model import Report


def fidelity_view(rep: Report) -> dict[str, Any]:
    labels, vals, notes, rows, diffs = [], [], [], [], []
    for c in rep.combos:
        s = c.summary
        be = num(s.get("bit_exact_pct"))
        m = c.rows[(c.rows["phase"] == "measure") & c.rows["bit_exact"].notna()]
        rows.append(
            dict(
                board=c.board,
                model=c.model,
                dataset=c.dataset,
                n=len(m),
                bit_exact=fmt(be, "{:.2f} %"),
                max_lsb=fmt(s.get("max_abs_diff_lsb")),
                rmse=fmt(s.get("rmse_lsb"), "{:.3f}"),
                cosine=fmt(s.get("cosine_similarity"), "{:.5f}"),
                agree=pct(s.get("top1_agreement"), 2),
            )
        )
        if be is not None:
            labels.append(c.label)
            vals.append(be)
            notes.append(f"{be:.1f} %  ({int(m['bit_exact'].sum())}/{len(m)})")
        d = (
            m["max_abs_diff_vs_reference"].dropna()
            if "max_abs_diff_vs_reference" in m
            else pd.Series(dtype=float)
        )
        if len(d) and (d > 0).any():
            vc = d.astype(int).value_counts().sort_index()
            diffs.append(
                dict(
                    label=c.label,
                    svg=svg.bar_chart(
                        [f"{int(k)} LSB" for k in vc.index],
                        vc.to_numpy(float),
                        title=f"max |DUT − reference| per output ({c.label})",
                        x_label="outputs",
                        notes=[f"{int(v)}" for v in vc.to_numpy()],
                        colors=[svg.GREEN if k == 0 else svg.VERMILION for k in vc.index],
                    ),
                )
            )
    chart = (
        svg.bar_chart(
            labels,
            vals,
            title="outputs bit-exact with the tflite-micro reference",
            x_label="% bit-exact",
            notes=notes,
            x_max=100,
            colors=[svg.GREEN if v == 100 else svg.VERMILION for v in vals],
            width=620,
        )
        if labels
        else ""
    )
    return dict(rows=rows, chart=chart, diffs=diffs)
