"""The per-layer section: where the time of one inference goes, operator by operator."""

from __future__ import annotations

from typing import Any

import numpy as np

from hilbench.report import svg
from hilbench.report.format import fmt, num
from hilbench.report.model import Combo


def layer_chart(c: Combo) -> tuple[str, list[dict[str, Any]]]:
    lay = c.layers.sort_values("op_index")
    use_cycles = lay["cycles"].notna().all()
    vals = (lay["cycles"] if use_cycles else lay["latency_us"]).astype(float).to_numpy()
    total = float(np.nansum(vals)) or 1.0
    labels = [f"#{int(i)} {n}" for i, n in zip(lay["op_index"], lay["op_name"], strict=False)]
    rows = []
    notes = []
    tips = []
    for (_i, r), v in zip(lay.iterrows(), vals, strict=False):
        macs = num(r.get("macs"))
        cyc = num(r.get("cycles"))
        mpc = macs / cyc if macs and cyc else None
        share = 100 * v / total
        notes.append(f"{share:.1f} %" + (f" · {mpc:.2f} MAC/c" if mpc else ""))
        tips.append(
            f"#{int(r['op_index'])} {r['op_name']}: {svg.fmt_num(v)} {'cycles' if use_cycles else 'µs'}, "
            f"{share:.1f} % of the inference, {svg.fmt_num(macs) if macs else 0} MACs"
        )
        rows.append(
            dict(
                op=int(r["op_index"]),
                name=r["op_name"],
                macs=fmt(macs),
                cycles=fmt(cyc),
                us=fmt(r.get("latency_us"), "{:,.1f}"),
                share=f"{share:.1f} %",
                mpc=fmt(mpc, "{:.3f}"),
            )
        )
    unit = ("cycles" if use_cycles else "µs") + c.mark
    colors = [svg.BLUE if (num(m) or 0) > 0 else svg.SKY for m in lay["macs"]]
    chart = svg.bar_chart(
        labels, vals, title="", x_label=unit, notes=notes, colors=colors, tips=tips, width=620
    )
    return chart, rows
