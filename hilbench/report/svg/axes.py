"""The primitives every chart of the report is drawn with: colours, number formats, scales,
the frame of a chart, its axes and its legend. No chart of its own: the chart modules beside
this one (distribution, line, bars, scatter, heatmap) build on these.

Hand-written SVG, no plotting library and no network: every chart is one ``<svg>`` string.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION = PALETTE[:6]
RED = "#C62828"
GREY = "#888888"
INK = "#222222"
GRID = "#E6E6E6"
FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
MAX_POINTS = 600  # columns of a line chart before it becomes a min/max envelope


def esc(s: object) -> str:
    return escape(str(s), quote=True)


def coord(x: float) -> str:
    """Compact coordinate: 1 decimal, no trailing zeros."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def fmt_num(x: float | None, digits: int = 3) -> str:
    """A readable number: 19,640 / 1.24 M / 0.786 / 95.8."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.{digits}g} G"
    if a >= 1e6:
        return f"{x / 1e6:.{digits}g} M"
    if float(x).is_integer():
        return f"{int(x):,}"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}"


def axis_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels with just enough decimals to tell neighbours apart (30,884,000 and
    30,886,000 must not both read 30.9 M)."""
    t = [float(v) for v in ticks]
    if len(t) < 2:
        return [fmt_num(v) for v in t]
    step = min(abs(b - a) for a, b in itertools.pairwise(t)) or 1.0
    big = max(abs(v) for v in t)
    div, suffix = (1e6, " M") if big >= 1e6 and step >= 1e4 else (1.0, "")
    for d in range(0, 9):
        if all(abs(round(v / div, d) - v / div) <= 1e-9 * max(1.0, abs(v / div)) for v in t):
            break
    return ["0" if v == 0 else f"{v / div:,.{d}f}{suffix}" for v in t]


# -- scales ------------------------------------------------------------------------------


def nice_step(span: float, n: int) -> float:
    raw = span / max(n, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


@dataclass
class Scale:
    lo: float
    hi: float
    r0: float
    r1: float
    log: bool = False

    @classmethod
    def fit(
        cls,
        values: Sequence[float],
        r0: float,
        r1: float,
        *,
        log: bool | None = None,
        zero: bool = False,
        pad: float = 0.05,
        nice: bool = True,
    ) -> Scale:
        v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
        if not v:
            v = [0.0, 1.0]
        lo, hi = min(v), max(v)
        if log is None:
            log = lo > 0 and hi / lo > 50
        if log:
            lo, hi = 10 ** math.floor(math.log10(lo) + 1e-9), 10 ** math.ceil(math.log10(hi) - 1e-9)
            if lo == hi:
                lo, hi = lo / 10, hi * 10
            return cls(lo, hi, r0, r1, True)
        if zero:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        if lo == hi:
            d = abs(lo) * 0.01 or 1.0
            lo, hi = lo - d, hi + d
        span = hi - lo
        if not zero or lo < 0:
            lo -= span * pad
        hi += span * pad
        if nice:
            step = nice_step(hi - lo, 5)
            lo2, hi2 = math.floor(lo / step) * step, math.ceil(hi / step) * step
            if zero and min(v) >= 0:
                lo2 = max(lo2, 0.0)
            lo, hi = lo2, hi2
        return cls(lo, hi, r0, r1, False)

    def __call__(self, x: float) -> float:
        if self.log:
            x = max(x, self.lo * 1e-3)
            t = (math.log10(x) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (x - self.lo) / (self.hi - self.lo) if self.hi != self.lo else 0.5
        return self.r0 + t * (self.r1 - self.r0)

    def ticks(self, n: int = 5) -> list[float]:
        if self.log:
            a, b = round(math.log10(self.lo)), round(math.log10(self.hi))
            return [10.0**k for k in range(a, b + 1)]
        step = nice_step(self.hi - self.lo, n)
        start = math.ceil(self.lo / step - 1e-9) * step
        out, x = [], start
        while x <= self.hi + step * 1e-9:
            out.append(0.0 if abs(x) < step * 1e-9 else x)
            x += step
        return out


# -- frame -------------------------------------------------------------------------------


@dataclass
class Frame:
    width: int
    height: int
    left: int = 64
    right: int = 16
    top: int = 28
    bottom: int = 44
    legend_y: int = 12

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:  # bottom of the plot area
        return self.height - self.bottom

    @property
    def y1(self) -> float:  # top of the plot area
        return self.top


def open_svg(f: Frame, title: str, kind: str) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {f.width} {f.height}" '
        f'width="{f.width}" height="{f.height}" role="img" aria-label="{esc(title)}" '
        f'font-family="{esc(FONT)}" font-size="12" fill="{INK}">',
        f"<title>{esc(title)}</title>",
    ]
    if title:
        out.append(f'<text x="8" y="16" font-weight="600" font-size="13">{esc(title)}</text>')
    return out


def tick_labels(ticks: list[float], fmt, log: bool) -> list[str]:
    if fmt is fmt_num and not log:
        return axis_labels(ticks)
    return [fmt(t) for t in ticks]


def text_width(s: str, size: float = 11) -> float:
    """Approximate rendered width of a label (DejaVu Sans / system-ui at `size` px)."""
    return 0.62 * size * len(s)


def legend_width(items: Sequence[tuple[str, str, str]]) -> float:
    return sum(text_width(label) + 26 for label, _, _ in items)


def make_room_for_header(f: Frame, title: str, legend: Sequence[tuple[str, str, str]]) -> None:
    """Room for the title and the legend: one row when both fit, else the legend goes on a
    second row under the title and the plot area moves down."""
    if legend and title and 8 + text_width(title, 13) + 16 + legend_width(legend) > f.width - f.right:
        f.legend_y = 31
        f.top += 18


def fit_left(f: Frame, labels: Sequence[str], y_label: str) -> None:
    """Left margin wide enough for the y tick labels (and the rotated axis title)."""
    need = max((text_width(s) for s in labels), default=0) + 10 + (20 if y_label else 4)
    f.left = max(f.left, int(need))


def draw_axes(
    f: Frame,
    xs: Scale | None,
    ys: Scale | None,
    x_label: str,
    y_label: str,
    x_fmt=fmt_num,
    y_fmt=fmt_num,
    y_grid: bool = True,
    x_grid: bool = False,
) -> list[str]:
    out: list[str] = []
    if ys is not None:
        yt = ys.ticks()
        ylab = tick_labels(yt, y_fmt, ys.log)
        for t, lab in zip(yt, ylab, strict=False):
            y = ys(t)
            if y_grid:
                out.append(
                    f'<line x1="{coord(f.x0)}" x2="{coord(f.x1)}" y1="{coord(y)}" y2="{coord(y)}" stroke="{GRID}"/>'
                )
            out.append(
                f'<text x="{coord(f.x0 - 6)}" y="{coord(y + 4)}" text-anchor="end" font-size="11">{esc(lab)}</text>'
            )
        if y_label:
            cy = (f.y0 + f.y1) / 2
            out.append(
                f'<text transform="translate(14 {coord(cy)}) rotate(-90)" text-anchor="middle" '
                f'font-size="11">{esc(y_label)}</text>'
            )
    if xs is not None:
        xt = xs.ticks()
        for t, lab in zip(xt, tick_labels(xt, x_fmt, xs.log), strict=False):
            x = xs(t)
            if x_grid:
                out.append(
                    f'<line x1="{coord(x)}" x2="{coord(x)}" y1="{coord(f.y1)}" y2="{coord(f.y0)}" stroke="{GRID}"/>'
                )
            out.append(
                f'<line x1="{coord(x)}" x2="{coord(x)}" y1="{coord(f.y0)}" y2="{coord(f.y0 + 4)}" stroke="{INK}"/>'
            )
            out.append(
                f'<text x="{coord(x)}" y="{coord(f.y0 + 16)}" text-anchor="middle" font-size="11">{esc(lab)}</text>'
            )
    if x_label:
        out.append(
            f'<text x="{coord((f.x0 + f.x1) / 2)}" y="{coord(f.height - 6)}" text-anchor="middle" '
            f'font-size="11">{esc(x_label)}</text>'
        )
    out.append(
        f'<line x1="{coord(f.x0)}" x2="{coord(f.x1)}" y1="{coord(f.y0)}" y2="{coord(f.y0)}" stroke="{INK}"/>'
    )
    out.append(
        f'<line x1="{coord(f.x0)}" x2="{coord(f.x0)}" y1="{coord(f.y1)}" y2="{coord(f.y0)}" stroke="{INK}"/>'
    )
    return out


def draw_legend(f: Frame, items: Sequence[tuple[str, str, str]]) -> list[str]:
    """items: (label, colour, shape: box | line | dot | ring | tri | band), right-aligned on the title row."""
    out: list[str] = []
    x = f.x1
    cy = f.legend_y
    for label, color, shape in reversed(items):
        x -= text_width(label) + 26
        if shape == "line":
            out.append(
                f'<line x1="{coord(x)}" x2="{coord(x + 14)}" y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2"/>'
            )
        elif shape == "dash":
            out.append(
                f'<line x1="{coord(x)}" x2="{coord(x + 14)}" y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2" '
                f'stroke-dasharray="4 3"/>'
            )
        elif shape == "dot":
            out.append(f'<circle cx="{coord(x + 7)}" cy="{cy}" r="4" fill="{color}"/>')
        elif shape == "ring":
            out.append(
                f'<circle cx="{coord(x + 7)}" cy="{cy}" r="5" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        elif shape == "tri":
            out.append(f'<path d="M{coord(x + 7)} {cy - 5}l5 9h-10z" fill="{color}"/>')
        elif shape == "band":
            out.append(
                f'<rect x="{coord(x)}" y="{cy - 6}" width="14" height="12" fill="{color}" opacity="0.35"/>'
            )
        else:
            out.append(f'<rect x="{coord(x)}" y="{cy - 6}" width="14" height="12" fill="{color}"/>')
        out.append(f'<text x="{coord(x + 18)}" y="{cy + 4}" font-size="11">{esc(label)}</text>')
    return out
