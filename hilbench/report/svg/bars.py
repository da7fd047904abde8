"""Horizontal bar charts with a note per bar: the per-layer profile and the bit-exactness
of each board's outputs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hilbench.report.svg.axes import (
    BLUE,
    GRID,
    INK,
    Frame,
    Scale,
    axis_labels,
    coord,
    esc,
    fmt_num,
    open_svg,
    text_width,
)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    x_label: str = "",
    notes: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    width: int = 560,
    row: int = 20,
    label_width: int | None = None,
    x_max: float | None = None,
    tips: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one per label (top to bottom), a note at the end of each bar."""
    n = len(labels)
    lw = label_width or int(min(280, max(60, max((text_width(s) for s in labels), default=20) + 14)))
    nw = int(10 + max((text_width(s) for s in notes), default=0)) if notes else 20
    top = 28 if title else 8
    f = Frame(width, top + n * row + 40, left=lw, right=min(nw, width // 3), top=top, bottom=40)
    vals = [float(v) if v is not None and math.isfinite(float(v)) else 0.0 for v in values]
    if x_max is not None and max(vals, default=0.0) <= x_max:
        xs = Scale(0.0, float(x_max), f.x0, f.x1)
    else:
        xs = Scale.fit([0.0, *(vals or [1.0])], f.x0, f.x1, zero=True, pad=0.02)
    out = open_svg(f, title, "bar")
    bt = xs.ticks()
    for t, lab in zip(bt, axis_labels(bt), strict=False):
        x = xs(t)
        out.append(
            f'<line x1="{coord(x)}" x2="{coord(x)}" y1="{coord(f.y1)}" y2="{coord(f.y0)}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{coord(x)}" y="{coord(f.y0 + 15)}" text-anchor="middle" font-size="11">{esc(lab)}</text>'
        )
    if x_label:
        out.append(
            f'<text x="{coord((f.x0 + f.x1) / 2)}" y="{coord(f.height - 6)}" text-anchor="middle" '
            f'font-size="11">{esc(x_label)}</text>'
        )
    for i, (lab, v) in enumerate(zip(labels, vals, strict=False)):
        y = f.y1 + i * row + 3
        c = colors[i] if colors else BLUE
        w = max(xs(v) - f.x0, 1.0 if v > 0 else 0.0)
        tip = tips[i] if tips else f"{lab}: {fmt_num(v)}"
        out.append(
            f'<text x="{coord(f.x0 - 6)}" y="{coord(y + row / 2 + 1)}" text-anchor="end" font-size="11">{esc(lab)}</text>'
        )
        out.append(
            f'<rect x="{coord(f.x0)}" y="{coord(y)}" width="{coord(w)}" height="{row - 6}" fill="{c}">'
            f"<title>{esc(tip)}</title></rect>"
        )
        if notes:
            out.append(
                f'<text x="{coord(f.x0 + w + 5)}" y="{coord(y + row / 2 + 1)}" font-size="11" fill="#444">'
                f"{esc(notes[i])}</text>"
            )
    out.append(
        f'<line x1="{coord(f.x0)}" x2="{coord(f.x0)}" y1="{coord(f.y1)}" y2="{coord(f.y0)}" stroke="{INK}"/>'
    )
    out.append("</svg>")
    return "".join(out)
