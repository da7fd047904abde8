"""The device-choice section: accuracy against latency, RAM and energy per dataset, with the
Pareto front `hilbench.results.choice` marked; one candidate is said in one line."""

from __future__ import annotations

import math
from typing import Any

from hilbench.report import svg
from hilbench.report.format import fmt, num, pct, stem
from hilbench.report.model import Report


def choice_views(rep: Report) -> list[dict[str, Any]]:
    """Per dataset of the run: a scatter per cost with its front, and the candidates' table;
    a dataset with one candidate gets its one line (`single`) and no chart."""
    out = []
    boards = sorted({p["board"] for p in rep.choice})
    color = {b: svg.PALETTE[i % len(svg.PALETTE)] for i, b in enumerate(boards)}
    for ds in rep.datasets:
        pts = rep.choice_points(ds)
        if not pts:
            continue
        acc_name = pts[0]["accuracy_name"]
        single = rep.single_choice_line(ds)
        charts = []
        for axis, xl in (
            ("latency_ms", "median latency (ms)"),
            ("arena", "RAM: tensor arena used on the DUT (bytes)"),
            ("energy_uj", "energy per inference (µJ)"),
        ):
            sel = [p for p in pts if num(p[axis]) is not None and float(p[axis]) > 0]
            if not sel or single:
                continue
            xv = [float(p[axis]) for p in sel]
            log = max(xv) / min(xv) > 50
            if log:
                xl = xl[:-1] + ", log scale)"
            sp = [
                svg.Point(
                    float(p[axis]),
                    100 * float(p["accuracy"]),
                    f"{p['board']} · {stem(p['model'])}" + ("*" if p["emulated"] else ""),
                    color=color[p["board"]] if p["timing_source"] != "host_clock" else svg.GREY,
                    hollow=not p["current"] or p["timing_source"] == "host_clock",
                    front=p[f"front_{axis}"],
                    shape="square" if p["emulated"] else "dot",
                    tip=(
                        f"{p['board']} · {p['model']}: {acc_name} {100 * p['accuracy']:.2f} %, "
                        f"{svg.fmt_num(p[axis])} {xl.split('(')[-1].rstrip(')').split(',')[0]} "
                        f"(run {p['run_id']}{', emulated' if p['emulated'] else ''}"
                        f"{', host_clock: not a device' if p['timing_source'] == 'host_clock' else ''})"
                    ),
                )
                for p in sel
            ]
            charts.append(
                svg.scatter(
                    sp,
                    title=f"{acc_name} vs {xl.split(' (')[0].split(':')[0]}",
                    x_label=xl,
                    y_label=f"{acc_name} (%)",
                    log_x=log,
                    width=460,
                    height=320,
                )
            )
        rows = []
        for p in sorted(pts, key=lambda p: num(p["latency_ms"]) or math.inf):
            rows.append(
                dict(
                    board=p["board"],
                    model=p["model"],
                    latency=fmt(p["latency_ms"], "{:,.3f} ms"),
                    accuracy=pct(p["accuracy"], 2),
                    arena=fmt(p["arena"], "{:,.0f} B"),
                    energy=fmt(p["energy_uj"], "{:,.2f} µJ"),
                    run=p["run_id"],
                    current=p["current"],
                    emulated=p["emulated"],
                    host=p["timing_source"] == "host_clock",
                    front_latency=p["front_latency_ms"],
                    front_arena=p["front_arena"],
                    front_energy=p["front_energy_uj"],
                )
            )
        out.append(
            dict(
                dataset=ds,
                acc_name=acc_name,
                charts=charts,
                rows=rows,
                energy_missing=not any(num(p["energy_uj"]) is not None for p in pts),
                single=single,
            )
        )
    return out
