"""The trend section: median latency, top-1, bit-exact % and arena of each combination
across the runs in the store, with every step beyond the verdict rule ringed in red (the
rule is `hilbench.results.comparison.trend_step`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hilbench.report import svg
from hilbench.report.format import DETERMINISTIC
from hilbench.report.model import Report
from hilbench.results.comparison import trend_step

TREND_RUNS = 30  # points per trend chart


def trend_views(rep: Report) -> list[dict[str, Any]]:
    """Per board x model x dataset: median latency, top-1, bit-exact % and arena across the
    runs in the store (up to and including this one, same timing source), with every point
    whose change from the run before is beyond the verdict rule ringed in red."""
    out = []
    h = rep.history
    for c in rep.combos:
        if h.empty:
            break
        g = (
            h[
                (h["board"] == c.board)
                & (h["model"] == c.model)
                & (h["dataset"] == c.dataset)
                & (h["timing_source"] == c.timing_source)
            ]
            .sort_values("run_id")
            .tail(TREND_RUNS)
        )
        if g.empty:
            continue
        det = c.timing_source in DETERMINISTIC
        g = g.reset_index(drop=True)
        x = np.arange(len(g), dtype=float)
        ticks = [
            (float(i), pd.Timestamp(t).strftime("%m-%d %H:%M"))
            for i, t in zip(x, g["started_at"], strict=False)
        ]
        lat_col, lat_name = (
            ("cycles_median", f"median cycles{c.mark}")
            if det and g["cycles_median"].notna().all()
            else ("latency_ms", "median latency (ms)" + c.mark)
        )
        metrics = [
            ("latency", lat_col, lat_name, 1.0),
            ("top1", "top1", "top-1 (%)", 100.0),
            ("bit_exact", "bit_exact_pct", "bit-exact (%)", 1.0),
            ("arena", "arena_used", "arena (bytes)", 1.0),
        ]
        charts = []
        regressions = []
        for metric, col, name, scale in metrics:
            vals = pd.to_numeric(g[col], errors="coerce").astype(float).to_numpy() * scale
            if not np.isfinite(vals).any():
                continue
            hl = []
            for i in range(1, len(g)):
                j = i - 1
                while j >= 0 and not math.isfinite(vals[j]):
                    j -= 1
                if j < 0 or not math.isfinite(vals[i]):
                    continue
                v = trend_step(metric, vals[j], vals[i], det, int(g["n"][i]) == int(g["n"][j]))
                if v:
                    rel = (vals[i] - vals[j]) / vals[j] if vals[j] else 0.0
                    what = f"{name} {svg.fmt_num(vals[j])} → {svg.fmt_num(vals[i])} ({rel:+.2%}) in {g['run_id'][i]}"
                    hl.append(svg.Highlight(float(i), float(vals[i]), "regressed: " + what, svg.RED))
                    regressions.append(what)
            cur = [i for i in range(len(g)) if g["run_id"][i] == rep.run_id]
            for i in cur:
                if math.isfinite(vals[i]):
                    hl.append(svg.Highlight(float(i), float(vals[i]), "this run", svg.INK))
            tips = [f"{g['run_id'][i]}: {svg.fmt_num(vals[i])}" for i in range(len(g))]
            leg = [("this run", svg.INK, "ring")]
            if any(h_.color == svg.RED for h_ in hl):
                leg.insert(0, ("regressed", svg.RED, "ring"))
            charts.append(
                svg.line_chart(
                    [svg.Series(name, x, vals, svg.BLUE, "line+points", tips=tips)],
                    title=name,
                    y_label="",
                    x_ticks=ticks,
                    highlights=hl,
                    width=290,
                    height=210,
                    legend=leg,
                )
            )
        out.append(
            dict(
                label=c.key,
                charts=charts,
                runs=len(g),
                regressions=regressions,
                note="" if len(g) > 1 else "the first run of this combination in the store",
            )
        )
    return out
