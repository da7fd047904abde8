"""Line charts: series of points in execution order (a latency or energy trace, shaded bands
for the warm-up and the performance windows) and across runs (the history trend, ringed
highlights for regressions and the current run). Long series become a min/max envelope of
at most `MAX_POINTS` columns, so the file stays small whatever the data."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hilbench.report.svg.axes import (
    BLUE,
    GREY,
    INK,
    MAX_POINTS,
    RED,
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
    text_width,
    tick_labels,
)


@dataclass
class Series:
    name: str
    x: Sequence[float] | np.ndarray
    y: Sequence[float] | np.ndarray
    color: str = BLUE
    mode: str = "line"  # line | points | line+points
    tips: Sequence[str] | None = None  # a tooltip per point (points modes)


@dataclass
class Band:
    """A shaded x range (an inference window, the warm-up)."""

    x0: float
    x1: float
    label: str
    color: str = GREY


@dataclass
class Highlight:
    """A ringed point (a regression, the current run)."""

    x: float
    y: float
    label: str
    color: str = RED


def envelope(
    x: np.ndarray, y: np.ndarray, columns: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x centre, y min, y max) of `columns` equal slices of the series, for long series."""
    n = x.size
    edges = np.linspace(0, n, columns + 1).astype(int)
    edges = np.unique(edges)
    starts = edges[:-1]
    mins = np.minimum.reduceat(y, starts)
    maxs = np.maximum.reduceat(y, starts)
    centers = np.array([(x[a] + x[b - 1]) / 2 for a, b in itertools.pairwise(edges)])
    return centers, mins, maxs


def line_chart(
    series: Sequence[Series],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    bands: Sequence[Band] = (),
    highlights: Sequence[Highlight] = (),
    width: int = 560,
    height: int = 240,
    y_zero: bool = False,
    y_fmt=fmt_num,
    x_fmt=fmt_num,
    x_ticks: Sequence[tuple[float, str]] | None = None,
    legend: Sequence[tuple[str, str, str]] = (),
) -> str:
    f = Frame(width, height, left=30, right=20, bottom=48)
    make_room_for_header(f, title, legend)
    xs_all = [float(v) for s in series for v in np.asarray(s.x, dtype=float) if math.isfinite(v)]
    ys_all = [float(v) for s in series for v in np.asarray(s.y, dtype=float) if math.isfinite(v)]
    xs_all += [b.x0 for b in bands] + [b.x1 for b in bands] + [h.x for h in highlights]
    ys_all += [h.y for h in highlights]
    ys = Scale.fit(ys_all, f.y0, f.y1, log=False, zero=y_zero, pad=0.08)
    fit_left(f, tick_labels(ys.ticks(), y_fmt, False), y_label)
    if xs_all:
        lo, hi = min(xs_all), max(xs_all)
        d = (hi - lo) * (0.06 if x_ticks is not None else 0.01) or 0.5
        xs = Scale(lo - d, hi + d, f.x0, f.x1)
    else:
        xs = Scale(0.0, 1.0, f.x0, f.x1)
    out = open_svg(f, title, "line")
    for b in bands:
        a, c = xs(b.x0), xs(b.x1)
        out.append(
            f'<rect x="{coord(a)}" y="{coord(f.y1)}" width="{coord(max(c - a, 2))}" height="{coord(f.y0 - f.y1)}" '
            f'fill="{b.color}" opacity="0.16"><title>{esc(b.label)}</title></rect>'
        )
    if x_ticks is not None:
        out += draw_axes(f, None, ys, "", y_label, y_fmt=y_fmt)
        shown: list[tuple[float, str]] = []
        for t, lab in x_ticks:  # keep labels apart; the last (newest) one always shows
            if shown and xs(t) - xs(shown[-1][0]) < text_width(lab, 10) + 8:
                continue
            shown.append((t, lab))
        if x_ticks and shown[-1] != tuple(x_ticks[-1]):
            last_t, last_lab = x_ticks[-1]
            last = (float(last_t), str(last_lab))
            while shown and xs(last[0]) - xs(shown[-1][0]) < text_width(last[1], 10) + 8:
                shown.pop()
            shown.append(last)
        for tick, lab in shown:
            px = xs(tick)
            out.append(
                f'<line x1="{coord(px)}" x2="{coord(px)}" y1="{coord(f.y0)}" y2="{coord(f.y0 + 4)}" stroke="{INK}"/>'
            )
            out.append(
                f'<text x="{coord(px)}" y="{coord(f.y0 + 16)}" text-anchor="middle" font-size="10">{esc(lab)}</text>'
            )
        if x_label:
            out.append(
                f'<text x="{coord((f.x0 + f.x1) / 2)}" y="{coord(f.height - 6)}" text-anchor="middle" '
                f'font-size="11">{esc(x_label)}</text>'
            )
    else:
        out += draw_axes(f, xs, ys, x_label, y_label, y_fmt=y_fmt, x_fmt=x_fmt)
    for s in series:
        x = np.asarray(s.x, dtype=float)
        y = np.asarray(s.y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        tips = [tip for tip, k in zip(s.tips, ok, strict=False) if k] if s.tips is not None else None
        if x.size == 0:
            continue
        if x.size > MAX_POINTS:
            cx, mn, mx = envelope(x, y)
            path = "".join(
                f"M{coord(xs(a))} {coord(ys(lo))}V{coord(min(ys(hi), ys(lo) - 1))}"
                for a, lo, hi in zip(cx, mn, mx, strict=False)
            )
            out.append(
                f'<path d="{path}" stroke="{s.color}" stroke-width="1.6" fill="none"><title>{esc(s.name)} '
                f"({x.size:,} points, min/max per column)</title></path>"
            )
            continue
        if "line" in s.mode and x.size > 1:
            pts = " ".join(f"{coord(xs(a))},{coord(ys(b))}" for a, b in zip(x, y, strict=False))
            out.append(
                f'<polyline points="{pts}" fill="none" stroke="{s.color}" stroke-width="1.6">'
                f"<title>{esc(s.name)}</title></polyline>"
            )
        if "points" in s.mode or x.size == 1:
            few = x.size <= 80
            r = 3.2 if few else 2.0
            dots = []
            for i, (a, b) in enumerate(zip(x, y, strict=False)):
                if few:  # a tooltip per point; for many points one for the series keeps the file small
                    tip = tips[i] if tips else f"{s.name}: {fmt_num(b)}"
                    dots.append(
                        f'<circle cx="{coord(xs(a))}" cy="{coord(ys(b))}" r="{r}"><title>{esc(tip)}</title></circle>'
                    )
                else:
                    dots.append(f'<circle cx="{coord(xs(a))}" cy="{coord(ys(b))}" r="{r}"/>')
            title_el = "" if few else f"<title>{esc(s.name)} ({x.size:,} points)</title>"
            out.append(f'<g fill="{s.color}">{title_el}' + "".join(dots) + "</g>")
    for h in highlights:
        out.append(
            f'<circle cx="{coord(xs(h.x))}" cy="{coord(ys(h.y))}" r="7" fill="none" stroke="{h.color}" '
            f'stroke-width="2.2"><title>{esc(h.label)}</title></circle>'
        )
    if legend:
        out += draw_legend(f, legend)
    out.append("</svg>")
    return "".join(out)
