"""The latency section: per board x model, the distribution of the steady-state inferences
and every inference in execution order."""

from __future__ import annotations

import math

import numpy as np

from hilbench.report import svg
from hilbench.report.model import Combo
from hilbench.results.stats import phase_labels


def latency_charts(c: Combo) -> dict[str, str]:
    """Histogram of the steady-state latencies (median and p99 marked, warm-up and the cold
    first measured inference as triangles) and the latency of every inference in execution
    order (warm-up shaded, performance windows shaded). A constant distribution is no
    histogram (one spike) but one line, `constant` (`Combo.constant_line`)."""
    constant = c.constant_line
    rows = c.rows.reset_index(drop=True)
    lab = phase_labels(rows).to_numpy()
    lat = rows["latency_us"].to_numpy(dtype=np.float64, na_value=np.nan) / c.unit.div
    steady = lat[lab == "steady"]
    if steady.size == 0:
        steady = lat[lab == "cold"]
    u = c.unit.name + c.mark
    markers: list[svg.Marker] = []
    if steady.size:
        markers.append(svg.Marker(float(np.nanmedian(steady)), "median", svg.INK))
        markers.append(svg.Marker(float(np.nanpercentile(steady, 99)), "p99", svg.PINK))
    for v in lat[lab == "warmup"][:50]:
        markers.append(svg.Marker(float(v), "warm-up inference", svg.ORANGE, "point"))
    for v in lat[lab == "cold"]:
        markers.append(svg.Marker(float(v), "cold: first measured inference", svg.VERMILION, "point"))
    legend = [("steady", svg.BLUE, "box"), ("median", svg.INK, "dash"), ("p99", svg.PINK, "dash")]
    if (lab == "warmup").any():
        legend.append(("warm-up", svg.ORANGE, "tri"))
    legend.append(("cold", svg.VERMILION, "tri"))
    hist = (
        ""
        if constant
        else svg.histogram(
            steady, title="distribution", x_label=f"latency ({u})", markers=markers, legend=legend, width=630
        )
    )

    idx = np.arange(len(rows), dtype=float)
    series = []
    bands = []
    warm = lab == "warmup"
    if warm.any():
        bands.append(
            svg.Band(float(idx[warm].min()) - 0.5, float(idx[warm].max()) + 0.5, "warm-up", svg.ORANGE)
        )
    if "window" in rows:
        for w, g in rows[rows["window"].notna()].groupby("window"):
            bands.append(
                svg.Band(
                    float(g.index.min()) - 0.5,
                    float(g.index.max()) + 0.5,
                    f"performance window {int(w)} ({len(g)} inferences on one vector)",
                    svg.GREY,
                )
            )
    meas = lab != "warmup"
    series.append(svg.Series("measured", idx[meas], lat[meas], svg.BLUE, "points"))
    if warm.any():
        series.append(svg.Series("warm-up", idx[warm], lat[warm], svg.ORANGE, "points"))
    hl = [
        svg.Highlight(float(i), float(lat[i]), "cold: first measured inference", svg.VERMILION)
        for i in np.nonzero(lab == "cold")[0]
        if math.isfinite(lat[i])
    ]
    leg = [("measured", svg.BLUE, "dot")]
    if warm.any():
        leg.append(("warm-up", svg.ORANGE, "band"))
    if any(b.color == svg.GREY for b in bands):
        leg.append(("perf. window", svg.GREY, "band"))
    leg.append(("cold", svg.VERMILION, "ring"))
    seq = svg.line_chart(
        series,
        title="in execution order",
        x_label="inference (execution order)",
        y_label=f"latency ({u})",
        bands=bands,
        highlights=hl,
        legend=leg,
        width=630,
    )
    return {"hist": hist, "seq": seq, "constant": constant or ""}
