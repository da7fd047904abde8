"""The device-choice scatter: accuracy against a cost (latency, RAM, energy), the points on
the Pareto front ringed and joined by a staircase. Which points are on the front is
decided by the analysis (`hilbench.results.choice`), not here: this only draws."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from hilbench.report.svg.axes import (
    BLUE,
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
class Point:
    x: float
    y: float
    label: str
    color: str = BLUE
    hollow: bool = False
    tip: str = ""
    front: bool = False
    shape: str = "dot"  # dot | square


def scatter(
    points: Sequence[Point],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    log_x: bool | None = None,
    width: int = 460,
    height: int = 300,
    y_fmt=fmt_num,
    x_fmt=fmt_num,
    front_label: str = "Pareto front",
    y_range: tuple[float, float] | None = None,
) -> str:
    """Points with labels; points with ``front=True`` joined by a staircase (the Pareto
    front, lower x and higher y better) and ringed."""
    f = Frame(width, height, left=30, right=24, top=30, bottom=48)
    make_room_for_header(f, title, [(front_label, RED, "dash")] if any(p.front for p in points) else [])
    xv = [p.x for p in points]
    yv = [p.y for p in points] + (list(y_range) if y_range else [])
    ys = Scale.fit(yv, f.y0, f.y1, log=False, pad=0.15)
    fit_left(f, tick_labels(ys.ticks(), y_fmt, False), y_label)
    xs = Scale.fit(xv, f.x0, f.x1, log=log_x, pad=0.12)
    out = open_svg(f, title, "scatter") + draw_axes(
        f, xs, ys, x_label, y_label, x_fmt=x_fmt, y_fmt=y_fmt, x_grid=True
    )
    front = sorted((p for p in points if p.front), key=lambda p: (p.x, -p.y))
    if len(front) > 1:
        d = f"M{coord(xs(front[0].x))} {coord(ys(front[0].y))}"
        for _a, b in itertools.pairwise(front):
            d += f"H{coord(xs(b.x))}V{coord(ys(b.y))}"
        out.append(
            f'<path d="{d}" fill="none" stroke="{RED}" stroke-width="1.6" stroke-dasharray="5 3">'
            f"<title>{esc(front_label)}</title></path>"
        )
    order = sorted(points, key=lambda p: not p.hollow)
    marks = [(xs(p.x), ys(p.y)) for p in order]
    for p, (x, y) in zip(order, marks, strict=False):
        tip = p.tip or f"{p.label}: {fmt_num(p.x)}, {fmt_num(p.y)}"
        fill = "white" if p.hollow else p.color
        if p.shape == "square":
            out.append(
                f'<rect x="{coord(x - 4.5)}" y="{coord(y - 4.5)}" width="9" height="9" fill="{fill}" '
                f'stroke="{p.color}" stroke-width="1.8"><title>{esc(tip)}</title></rect>'
            )
        else:
            out.append(
                f'<circle cx="{coord(x)}" cy="{coord(y)}" r="5" fill="{fill}" stroke="{p.color}" stroke-width="1.8">'
                f"<title>{esc(tip)}</title></circle>"
            )
        if p.front:
            out.append(
                f'<circle cx="{coord(x)}" cy="{coord(y)}" r="9" fill="none" stroke="{RED}" stroke-width="1.6"/>'
            )
    # Labels: the first of a few positions around the point whose box overlaps no other
    # label and no other point; failing that, the least crowded one.
    boxes: list[tuple[float, float, float, float]] = []
    pts_boxes = [(x - 6, y - 6, x + 6, y + 6) for x, y in marks]

    def overlap(bx: tuple[float, float, float, float]) -> float:
        area = 0.0
        for ox in boxes + pts_boxes:
            w = min(bx[2], ox[2]) - max(bx[0], ox[0])
            h = min(bx[3], ox[3]) - max(bx[1], ox[1])
            if w > 0 and h > 0:
                area += w * h
        if bx[0] < f.x0 or bx[2] > f.width - 2 or bx[1] < f.y1 - 6 or bx[3] > f.y0:
            area += 1e6
        return area

    for p, (x, y) in zip(order, marks, strict=False):
        w, h = text_width(p.label), 12.0
        cands = [
            (x + 10, y - 4),
            (x + 10, y + 12),
            (x - 10 - w, y - 4),
            (x - 10 - w, y + 12),
            (x - w / 2, y - 11),
            (x - w / 2, y + 20),
            (x + 10, y - 17),
            (x - 10 - w, y - 17),
            (x + 10, y + 25),
            (x - 10 - w, y + 25),
        ]
        best = min(cands, key=lambda c: (overlap((c[0], c[1] - h + 2, c[0] + w, c[1] + 2)), cands.index(c)))
        boxes.append((best[0], best[1] - h + 2, best[0] + w, best[1] + 2))
        out.append(
            f'<text x="{coord(best[0])}" y="{coord(best[1])}" font-size="11" '
            f'paint-order="stroke" stroke="white" stroke-width="3">{esc(p.label)}</text>'
        )
    if front:
        out += draw_legend(f, [(front_label, RED, "dash")])
    out.append("</svg>")
    return "".join(out)
