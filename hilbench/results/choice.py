"""Device choice: which board x model to ship, as an analysis of results (no drawing).

The candidates for one dataset are every board x model of a run plus the newest earlier
result of every other board x model on the same dataset in the history; a candidate is on
the Pareto front of accuracy against a cost (median latency, RAM, energy) when no other
candidate is at least as good on both and better on one.

Why here, in `hilbench.results`, and not in the report: this is a question asked of the
results store (the history is its input, like `hilbench history --where`), its answer is
data a script can use (`hilbench.results.choice.mark_fronts`), and the HTML, Markdown and
terminal views only show it. The charts in `hilbench.report.svg.scatter` draw the front
this module marks; they decide nothing.

Host-clock timings are never on a front: the host is not a device one ships.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

FRONT_AXES = ("latency_ms", "arena", "energy_uj")  # the costs a candidate is weighed on


def _num(x: Any) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def pareto_front(
    points: Sequence[tuple[float, float]], *, minimize_x: bool = True, maximize_y: bool = True
) -> list[int]:
    """Indices of the non-dominated points (lower x and higher y are better by default):
    a point is dominated when another is at least as good on both axes and better on one."""

    def better_eq(a: tuple[float, float], b: tuple[float, float]) -> tuple[bool, bool]:
        ax, ay = (a[0] if minimize_x else -a[0]), (-a[1] if maximize_y else a[1])
        bx, by = (b[0] if minimize_x else -b[0]), (-b[1] if maximize_y else b[1])
        return ax <= bx and ay <= by, ax < bx or ay < by

    out = []
    for i, p in enumerate(points):
        dominated = False
        for j, q in enumerate(points):
            if i == j:
                continue
            ge, strict = better_eq(q, p)
            if ge and strict:
                dominated = True
                break
        if not dominated:
            out.append(i)
    return out


def history_points(
    history: pd.DataFrame, datasets: Iterable[str], seen: set[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    """The newest earlier result of every board x model x dataset in `history` (one row per
    run x board x model x dataset, `hilbench.results.history`) on `datasets` that is not in
    `seen` and has an accuracy. `seen` is updated."""
    out: list[dict[str, Any]] = []
    if history.empty:
        return out
    h = history[history["dataset"].isin(set(datasets))].sort_values("run_id", ascending=False)
    for r in h.to_dict("records"):
        k = (r["board"], r["model"], r["dataset"])
        if k in seen or _num(r.get("top1")) is None:
            continue
        seen.add(k)
        out.append(
            dict(
                board=r["board"],
                model=r["model"],
                dataset=r["dataset"],
                timing_source=r.get("timing_source"),
                emulated=bool(r.get("emulated")),
                latency_ms=_num(r.get("latency_ms")),
                accuracy=_num(r.get("top1")),
                accuracy_name="top-1",
                arena=_num(r.get("arena_used")),
                energy_uj=None,
                run_id=r["run_id"],
                current=False,
            )
        )
    return out


def mark_fronts(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set `front_<axis>` on every point (dicts with board, dataset, timing_source, accuracy
    and the FRONT_AXES costs): whether it is on its dataset's Pareto front of accuracy
    against that cost. Host-clock points and points missing the figure are never on it."""
    for ds in dict.fromkeys(p["dataset"] for p in points):
        pts = [p for p in points if p["dataset"] == ds]
        for axis in FRONT_AXES:
            elig = [
                i
                for i, p in enumerate(pts)
                if p["timing_source"] != "host_clock"
                and _num(p[axis]) is not None
                and _num(p["accuracy"]) is not None
            ]
            front = pareto_front([(float(pts[i][axis]), float(pts[i]["accuracy"])) for i in elig])
            on = {elig[i] for i in front}
            for i, p in enumerate(pts):
                p[f"front_{axis}"] = i in on
    return points


def candidates(current: list[dict[str, Any]], history: pd.DataFrame) -> list[dict[str, Any]]:
    """The current run's points, then the history's, with their fronts marked."""
    seen = {(p["board"], p["model"], p["dataset"]) for p in current}
    points = list(current) + history_points(history, {p["dataset"] for p in current}, seen)
    return mark_fronts(points)
