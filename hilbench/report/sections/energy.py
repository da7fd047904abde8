"""The energy section: the energy of every inference in execution order, per metered job."""

from __future__ import annotations

from typing import Any

import numpy as np

from hilbench.report import svg
from hilbench.report.format import fmt
from hilbench.report.model import Report
from hilbench.results.stats import phase_labels


def energy_view(rep: Report) -> list[dict[str, Any]]:
    out = []
    for c in rep.combos:
        rows = c.rows.reset_index(drop=True)
        if "energy_uj" not in rows or rows["energy_uj"].notna().sum() == 0:
            continue
        lab = phase_labels(rows).to_numpy()
        idx = np.arange(len(rows), dtype=float)
        e = rows["energy_uj"].to_numpy(dtype=np.float64, na_value=np.nan)
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
                        f"inference window {int(w)}",
                        svg.GREY,
                    )
                )
        src = ", ".join(sorted(set(rows["energy_source"].dropna()))) or "unknown source"
        leg = [("energy / inference", svg.GREEN, "line")]
        if warm.any():
            leg.append(("warm-up", svg.ORANGE, "band"))
        if any(b.color == svg.GREY for b in bands):
            leg.append(("window", svg.GREY, "band"))
        chart = svg.line_chart(
            [svg.Series("energy per inference", idx, e, svg.GREEN, "line+points")],
            title="energy trace",
            x_label="inference (execution order)",
            y_label="energy (µJ)",
            bands=bands,
            legend=leg,
            width=760,
            y_zero=True,
        )
        meas = rows[rows["phase"] == "measure"]["energy_uj"].dropna()
        out.append(
            dict(
                label=c.label,
                key=c.key,
                svg=chart,
                source=src,
                median=fmt(meas.median(), "{:,.2f} µJ"),
                p90=fmt(meas.quantile(0.9), "{:,.2f} µJ"),
                total=fmt(meas.sum() / 1e3, "{:,.2f} mJ"),
                n=len(meas),
            )
        )
    return out
