"""The latency distribution chart: a histogram with marker lines (median, p99) and marked
extra points (the warm-up, the cold first inference) pinned to the edge when outside the
distribution, so a slow warm-up never squashes the steady state."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hilbench.report.svg.axes import (
    BLUE,
    INK,
    Frame,
    Scale,
    coord,
    draw_axes,
    draw_legend,
    esc,
    fit_left,
    fmt_num,
    make_room_for_header,
    open_svg,
)


@dataclass
class Marker:
    """A vertical line (kind="line") or a marked point under the axis (kind="point")."""

    value: float
    label: str
    color: str = INK
    kind: str = "line"


def histogram(
    values: Sequence[float] | np.ndarray,
    *,
    title: str = "",
    x_label: str = "",
    bins: int = 40,
    markers: Sequence[Marker] = (),
    width: int = 560,
    height: int = 250,
    color: str = BLUE,
    legend: Sequence[tuple[str, str, str]] = (),
) -> str:
    """Counts of `values` in `bins` equal bins; markers drawn over it. Constant values give
    one bar. The x range is the values' own: a marker outside it (a slow warm-up) is pinned
    to the edge with an arrow and its value, so it never squashes the distribution."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    f = Frame(width, height, left=40, right=24, bottom=48)
    make_room_for_header(f, title, legend)
    allx = (
        [float(np.min(v)), float(np.max(v))]
        if v.size
        else [m.value for m in markers if m.value is not None and math.isfinite(m.value)] or [0.0, 1.0]
    )
    if v.size and float(np.min(v)) == float(np.max(v)):
        counts, edges = np.array([v.size]), np.array([v[0], v[0]])
    elif v.size:
        counts, edges = np.histogram(v, bins=bins, range=(float(v.min()), float(v.max())))
    else:
        counts, edges = np.array([]), np.array([0.0])
    ys = Scale.fit([0, int(counts.max()) if counts.size else 1], f.y0, f.y1, zero=True, pad=0.08)
    y_fmt = lambda t: f"{t:,.0f}" if t == int(t) else ""  # noqa: E731
    fit_left(f, [y_fmt(t) for t in ys.ticks()], "inferences")
    xs = Scale.fit(allx, f.x0, f.x1, log=False, pad=0.04)
    out = open_svg(f, title, "histogram") + draw_axes(f, xs, ys, x_label, "inferences", y_fmt=y_fmt)
    bar_min = 3.0
    parts: list[str] = []
    for i, c in enumerate(counts):
        if c == 0:
            continue
        lo_e, hi_e = edges[i], edges[i + 1] if i + 1 < len(edges) else edges[i]
        a, b = xs(lo_e), xs(hi_e)
        if b - a < bar_min:
            mid = (a + b) / 2
            a, b = mid - bar_min / 2, mid + bar_min / 2
        y = ys(c)
        parts.append(
            f'<rect x="{coord(a)}" y="{coord(y)}" width="{coord(max(b - a - 0.5, 1))}" height="{coord(f.y0 - y)}">'
            f"<title>{esc(fmt_num(lo_e))} .. {esc(fmt_num(hi_e))}: {int(c)}</title></rect>"
        )
    out.append(f'<g class="bars" fill="{color}">' + "".join(parts) + "</g>")
    pinned = {"lo": 0, "hi": 0}
    for m in markers:
        if m.value is None or not math.isfinite(m.value):
            continue
        x = xs(m.value)
        side = "lo" if x < f.x0 else "hi" if x > f.x1 else None
        if m.kind == "point" and side:
            # outside the distribution: an arrow at the edge, with the value (three a side at most)
            k = pinned[side]
            if k >= 3:
                continue
            pinned[side] += 1
            y = f.y1 + 14 + 15 * k
            tip = f"<title>{esc(m.label)}: {esc(fmt_num(m.value))} (outside the distribution)</title>"
            if side == "hi":
                out.append(
                    f'<path d="M{coord(f.x1)} {coord(y - 4)}l-9 -5v10z" fill="{m.color}">{tip}</path>'
                    f'<text x="{coord(f.x1 - 12)}" y="{coord(y)}" text-anchor="end" font-size="10" fill="{m.color}">'
                    f"{esc(m.label.split(':')[0])} {esc(fmt_num(m.value))} →</text>"
                )
            else:
                out.append(
                    f'<path d="M{coord(f.x0)} {coord(y - 4)}l9 -5v10z" fill="{m.color}">{tip}</path>'
                    f'<text x="{coord(f.x0 + 12)}" y="{coord(y)}" font-size="10" fill="{m.color}">'
                    f"← {esc(m.label.split(':')[0])} {esc(fmt_num(m.value))}</text>"
                )
            continue
        if m.kind == "point":
            out.append(
                f'<path d="M{coord(x)} {coord(f.y0 - 1)}l6 -11h-12z" fill="{m.color}" stroke="white" stroke-width="0.8">'
                f"<title>{esc(m.label)}: {esc(fmt_num(m.value))}</title></path>"
            )
        else:
            out.append(
                f'<line x1="{coord(x)}" x2="{coord(x)}" y1="{coord(f.y1)}" y2="{coord(f.y0)}" stroke="{m.color}" '
                f'stroke-width="1.5" stroke-dasharray="4 3"><title>{esc(m.label)}: {esc(fmt_num(m.value))}</title></line>'
            )
    if legend:
        out += draw_legend(f, legend)
    out.append("</svg>")
    return "".join(out)
