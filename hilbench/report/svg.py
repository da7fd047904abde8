"""Hand-written inline SVG charts for the HTML report: no JavaScript plotting library, no
network, nothing to load. Every function returns one ``<svg>`` element as a string.

Charts: `histogram` (with marker lines and marked extra points, e.g. warm-up), `line_chart`
(series of points or min/max envelopes, shaded bands, highlighted points), `bar_chart`
(horizontal bars with a note per bar), `scatter` (log or linear axes, a Pareto front) and
`heatmap` (a confusion matrix). Sizes stay small whatever the data: histograms bin, long
series are drawn as a min/max envelope of at most `MAX_POINTS` columns.

Native tooltips come from SVG ``<title>`` elements, so the charts need no script at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Sequence

import numpy as np

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, PINK, SKY, VERMILION = PALETTE[:6]
RED = "#C62828"
GREY = "#888888"
INK = "#222222"
GRID = "#E6E6E6"
FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
MAX_POINTS = 600  # columns of a line chart before it becomes a min/max envelope


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _f(x: float) -> str:
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
    step = min(abs(b - a) for a, b in zip(t, t[1:])) or 1.0
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
    def fit(cls, values: Sequence[float], r0: float, r1: float, *, log: bool | None = None, zero: bool = False,
            pad: float = 0.05, nice: bool = True) -> "Scale":
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
            a, b = int(round(math.log10(self.lo))), int(round(math.log10(self.hi)))
            return [10.0 ** k for k in range(a, b + 1)]
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


def _open(f: Frame, title: str, kind: str) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {f.width} {f.height}" '
        f'width="{f.width}" height="{f.height}" role="img" aria-label="{_e(title)}" '
        f'font-family="{_e(FONT)}" font-size="12" fill="{INK}">',
        f"<title>{_e(title)}</title>",
    ]
    if title:
        out.append(f'<text x="8" y="16" font-weight="600" font-size="13">{_e(title)}</text>')
    return out


def _labels_for(ticks: list[float], fmt, log: bool) -> list[str]:
    if fmt is fmt_num and not log:
        return axis_labels(ticks)
    return [fmt(t) for t in ticks]


def _text_w(s: str, size: float = 11) -> float:
    """Approximate rendered width of a label (DejaVu Sans / system-ui at `size` px)."""
    return 0.62 * size * len(s)


def _legend_w(items: Sequence[tuple[str, str, str]]) -> float:
    return sum(_text_w(label) + 26 for label, _, _ in items)


def _header(f: Frame, title: str, legend: Sequence[tuple[str, str, str]]) -> None:
    """Room for the title and the legend: one row when both fit, else the legend goes on a
    second row under the title and the plot area moves down."""
    if legend and title and 8 + _text_w(title, 13) + 16 + _legend_w(legend) > f.width - f.right:
        f.legend_y = 31
        f.top += 18


def _fit_left(f: Frame, labels: Sequence[str], y_label: str) -> None:
    """Left margin wide enough for the y tick labels (and the rotated axis title)."""
    need = max((_text_w(s) for s in labels), default=0) + 10 + (20 if y_label else 4)
    f.left = max(f.left, int(need))


def _axes(f: Frame, xs: Scale | None, ys: Scale | None, x_label: str, y_label: str,
          x_fmt=fmt_num, y_fmt=fmt_num, y_grid: bool = True, x_grid: bool = False) -> list[str]:
    out: list[str] = []
    if ys is not None:
        yt = ys.ticks()
        ylab = _labels_for(yt, y_fmt, ys.log)
        for t, lab in zip(yt, ylab):
            y = ys(t)
            if y_grid:
                out.append(f'<line x1="{_f(f.x0)}" x2="{_f(f.x1)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{GRID}"/>')
            out.append(f'<text x="{_f(f.x0 - 6)}" y="{_f(y + 4)}" text-anchor="end" font-size="11">{_e(lab)}</text>')
        if y_label:
            cy = (f.y0 + f.y1) / 2
            out.append(f'<text transform="translate(14 {_f(cy)}) rotate(-90)" text-anchor="middle" '
                       f'font-size="11">{_e(y_label)}</text>')
    if xs is not None:
        xt = xs.ticks()
        for t, lab in zip(xt, _labels_for(xt, x_fmt, xs.log)):
            x = xs(t)
            if x_grid:
                out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(f.y1)}" y2="{_f(f.y0)}" stroke="{GRID}"/>')
            out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(f.y0)}" y2="{_f(f.y0 + 4)}" stroke="{INK}"/>')
            out.append(f'<text x="{_f(x)}" y="{_f(f.y0 + 16)}" text-anchor="middle" font-size="11">{_e(lab)}</text>')
    if x_label:
        out.append(f'<text x="{_f((f.x0 + f.x1) / 2)}" y="{_f(f.height - 6)}" text-anchor="middle" '
                   f'font-size="11">{_e(x_label)}</text>')
    out.append(f'<line x1="{_f(f.x0)}" x2="{_f(f.x1)}" y1="{_f(f.y0)}" y2="{_f(f.y0)}" stroke="{INK}"/>')
    out.append(f'<line x1="{_f(f.x0)}" x2="{_f(f.x0)}" y1="{_f(f.y1)}" y2="{_f(f.y0)}" stroke="{INK}"/>')
    return out


def _legend(f: Frame, items: Sequence[tuple[str, str, str]]) -> list[str]:
    """items: (label, colour, shape: box | line | dot | ring | tri | band), right-aligned on the title row."""
    out: list[str] = []
    x = f.x1
    cy = f.legend_y
    for label, color, shape in reversed(items):
        x -= _text_w(label) + 26
        if shape == "line":
            out.append(f'<line x1="{_f(x)}" x2="{_f(x + 14)}" y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2"/>')
        elif shape == "dash":
            out.append(f'<line x1="{_f(x)}" x2="{_f(x + 14)}" y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2" '
                       f'stroke-dasharray="4 3"/>')
        elif shape == "dot":
            out.append(f'<circle cx="{_f(x + 7)}" cy="{cy}" r="4" fill="{color}"/>')
        elif shape == "ring":
            out.append(f'<circle cx="{_f(x + 7)}" cy="{cy}" r="5" fill="none" stroke="{color}" stroke-width="2"/>')
        elif shape == "tri":
            out.append(f'<path d="M{_f(x + 7)} {cy - 5}l5 9h-10z" fill="{color}"/>')
        elif shape == "band":
            out.append(f'<rect x="{_f(x)}" y="{cy - 6}" width="14" height="12" fill="{color}" opacity="0.35"/>')
        else:
            out.append(f'<rect x="{_f(x)}" y="{cy - 6}" width="14" height="12" fill="{color}"/>')
        out.append(f'<text x="{_f(x + 18)}" y="{cy + 4}" font-size="11">{_e(label)}</text>')
    return out


# -- histogram ---------------------------------------------------------------------------


@dataclass
class Marker:
    """A vertical line (kind="line") or a marked point under the axis (kind="point")."""

    value: float
    label: str
    color: str = INK
    kind: str = "line"


def histogram(values: Sequence[float] | np.ndarray, *, title: str = "", x_label: str = "", bins: int = 40,
              markers: Sequence[Marker] = (), width: int = 560, height: int = 250,
              color: str = BLUE, legend: Sequence[tuple[str, str, str]] = ()) -> str:
    """Counts of `values` in `bins` equal bins; markers drawn over it. Constant values give
    one bar. The x range is the values' own: a marker outside it (a slow warm-up) is pinned
    to the edge with an arrow and its value, so it never squashes the distribution."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    f = Frame(width, height, left=40, right=24, bottom=48)
    _header(f, title, legend)
    allx = [float(np.min(v)), float(np.max(v))] if v.size else \
        [m.value for m in markers if m.value is not None and math.isfinite(m.value)] or [0.0, 1.0]
    if v.size and float(np.min(v)) == float(np.max(v)):
        counts, edges = np.array([v.size]), np.array([v[0], v[0]])
    elif v.size:
        counts, edges = np.histogram(v, bins=bins, range=(float(v.min()), float(v.max())))
    else:
        counts, edges = np.array([]), np.array([0.0])
    ys = Scale.fit([0, int(counts.max()) if counts.size else 1], f.y0, f.y1, zero=True, pad=0.08)
    y_fmt = lambda t: f"{t:,.0f}" if t == int(t) else ""  # noqa: E731
    _fit_left(f, [y_fmt(t) for t in ys.ticks()], "inferences")
    xs = Scale.fit(allx, f.x0, f.x1, log=False, pad=0.04)
    out = _open(f, title, "histogram") + _axes(f, xs, ys, x_label, "inferences", y_fmt=y_fmt)
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
        parts.append(f'<rect x="{_f(a)}" y="{_f(y)}" width="{_f(max(b - a - 0.5, 1))}" height="{_f(f.y0 - y)}">'
                     f"<title>{_e(fmt_num(lo_e))} .. {_e(fmt_num(hi_e))}: {int(c)}</title></rect>")
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
            tip = f"<title>{_e(m.label)}: {_e(fmt_num(m.value))} (outside the distribution)</title>"
            if side == "hi":
                out.append(f'<path d="M{_f(f.x1)} {_f(y - 4)}l-9 -5v10z" fill="{m.color}">{tip}</path>'
                           f'<text x="{_f(f.x1 - 12)}" y="{_f(y)}" text-anchor="end" font-size="10" fill="{m.color}">'
                           f"{_e(m.label.split(':')[0])} {_e(fmt_num(m.value))} →</text>")
            else:
                out.append(f'<path d="M{_f(f.x0)} {_f(y - 4)}l9 -5v10z" fill="{m.color}">{tip}</path>'
                           f'<text x="{_f(f.x0 + 12)}" y="{_f(y)}" font-size="10" fill="{m.color}">'
                           f"← {_e(m.label.split(':')[0])} {_e(fmt_num(m.value))}</text>")
            continue
        if m.kind == "point":
            out.append(f'<path d="M{_f(x)} {_f(f.y0 - 1)}l6 -11h-12z" fill="{m.color}" stroke="white" stroke-width="0.8">'
                       f"<title>{_e(m.label)}: {_e(fmt_num(m.value))}</title></path>")
        else:
            out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(f.y1)}" y2="{_f(f.y0)}" stroke="{m.color}" '
                       f'stroke-width="1.5" stroke-dasharray="4 3"><title>{_e(m.label)}: {_e(fmt_num(m.value))}</title></line>')
    if legend:
        out += _legend(f, legend)
    out.append("</svg>")
    return "".join(out)


# -- line chart --------------------------------------------------------------------------


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


def envelope(x: np.ndarray, y: np.ndarray, columns: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x centre, y min, y max) of `columns` equal slices of the series, for long series."""
    n = x.size
    edges = np.linspace(0, n, columns + 1).astype(int)
    edges = np.unique(edges)
    starts = edges[:-1]
    mins = np.minimum.reduceat(y, starts)
    maxs = np.maximum.reduceat(y, starts)
    centers = np.array([(x[a] + x[b - 1]) / 2 for a, b in zip(edges[:-1], edges[1:])])
    return centers, mins, maxs


def line_chart(series: Sequence[Series], *, title: str = "", x_label: str = "", y_label: str = "",
               bands: Sequence[Band] = (), highlights: Sequence[Highlight] = (), width: int = 560,
               height: int = 240, y_zero: bool = False, y_fmt=fmt_num, x_fmt=fmt_num,
               x_ticks: Sequence[tuple[float, str]] | None = None,
               legend: Sequence[tuple[str, str, str]] = ()) -> str:
    f = Frame(width, height, left=30, right=20, bottom=48)
    _header(f, title, legend)
    xs_all = [float(v) for s in series for v in np.asarray(s.x, dtype=float) if math.isfinite(v)]
    ys_all = [float(v) for s in series for v in np.asarray(s.y, dtype=float) if math.isfinite(v)]
    xs_all += [b.x0 for b in bands] + [b.x1 for b in bands] + [h.x for h in highlights]
    ys_all += [h.y for h in highlights]
    ys = Scale.fit(ys_all, f.y0, f.y1, log=False, zero=y_zero, pad=0.08)
    _fit_left(f, _labels_for(ys.ticks(), y_fmt, False), y_label)
    if xs_all:
        lo, hi = min(xs_all), max(xs_all)
        d = (hi - lo) * (0.06 if x_ticks is not None else 0.01) or 0.5
        xs = Scale(lo - d, hi + d, f.x0, f.x1)
    else:
        xs = Scale(0.0, 1.0, f.x0, f.x1)
    out = _open(f, title, "line")
    for b in bands:
        a, c = xs(b.x0), xs(b.x1)
        out.append(f'<rect x="{_f(a)}" y="{_f(f.y1)}" width="{_f(max(c - a, 2))}" height="{_f(f.y0 - f.y1)}" '
                   f'fill="{b.color}" opacity="0.16"><title>{_e(b.label)}</title></rect>')
    if x_ticks is not None:
        out += _axes(f, None, ys, "", y_label, y_fmt=y_fmt)
        shown: list[tuple[float, str]] = []
        for t, lab in x_ticks:  # keep labels apart; the last (newest) one always shows
            if shown and xs(t) - xs(shown[-1][0]) < _text_w(lab, 10) + 8:
                continue
            shown.append((t, lab))
        if x_ticks and shown[-1] != tuple(x_ticks[-1]):
            last = tuple(x_ticks[-1])
            while shown and xs(last[0]) - xs(shown[-1][0]) < _text_w(last[1], 10) + 8:
                shown.pop()
            shown.append(last)  # type: ignore[arg-type]
        for t, lab in shown:
            x = xs(t)
            out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(f.y0)}" y2="{_f(f.y0 + 4)}" stroke="{INK}"/>')
            out.append(f'<text x="{_f(x)}" y="{_f(f.y0 + 16)}" text-anchor="middle" font-size="10">{_e(lab)}</text>')
        if x_label:
            out.append(f'<text x="{_f((f.x0 + f.x1) / 2)}" y="{_f(f.height - 6)}" text-anchor="middle" '
                       f'font-size="11">{_e(x_label)}</text>')
    else:
        out += _axes(f, xs, ys, x_label, y_label, y_fmt=y_fmt, x_fmt=x_fmt)
    for s in series:
        x = np.asarray(s.x, dtype=float)
        y = np.asarray(s.y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        tips = [t for t, k in zip(s.tips, ok) if k] if s.tips is not None else None
        if x.size == 0:
            continue
        if x.size > MAX_POINTS:
            cx, mn, mx = envelope(x, y)
            d = "".join(f"M{_f(xs(a))} {_f(ys(lo))}V{_f(min(ys(hi), ys(lo) - 1))}" for a, lo, hi in zip(cx, mn, mx))
            out.append(f'<path d="{d}" stroke="{s.color}" stroke-width="1.6" fill="none"><title>{_e(s.name)} '
                       f"({x.size:,} points, min/max per column)</title></path>")
            continue
        if "line" in s.mode and x.size > 1:
            pts = " ".join(f"{_f(xs(a))},{_f(ys(b))}" for a, b in zip(x, y))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{s.color}" stroke-width="1.6">'
                       f"<title>{_e(s.name)}</title></polyline>")
        if "points" in s.mode or x.size == 1:
            few = x.size <= 80
            r = 3.2 if few else 2.0
            dots = []
            for i, (a, b) in enumerate(zip(x, y)):
                if few:  # a tooltip per point; for many points one for the series keeps the file small
                    tip = tips[i] if tips else f"{s.name}: {fmt_num(b)}"
                    dots.append(f'<circle cx="{_f(xs(a))}" cy="{_f(ys(b))}" r="{r}"><title>{_e(tip)}</title></circle>')
                else:
                    dots.append(f'<circle cx="{_f(xs(a))}" cy="{_f(ys(b))}" r="{r}"/>')
            title_el = "" if few else f"<title>{_e(s.name)} ({x.size:,} points)</title>"
            out.append(f'<g fill="{s.color}">{title_el}' + "".join(dots) + "</g>")
    for h in highlights:
        out.append(f'<circle cx="{_f(xs(h.x))}" cy="{_f(ys(h.y))}" r="7" fill="none" stroke="{h.color}" '
                   f'stroke-width="2.2"><title>{_e(h.label)}</title></circle>')
    if legend:
        out += _legend(f, legend)
    out.append("</svg>")
    return "".join(out)


# -- bar chart ---------------------------------------------------------------------------


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "", x_label: str = "",
              notes: Sequence[str] | None = None, colors: Sequence[str] | None = None, width: int = 560,
              row: int = 20, label_width: int | None = None, x_max: float | None = None,
              tips: Sequence[str] | None = None) -> str:
    """Horizontal bars, one per label (top to bottom), a note at the end of each bar."""
    n = len(labels)
    lw = label_width or int(min(280, max(60, max((_text_w(s) for s in labels), default=20) + 14)))
    nw = int(10 + max((_text_w(s) for s in notes), default=0)) if notes else 20
    top = 28 if title else 8
    f = Frame(width, top + n * row + 40, left=lw, right=min(nw, width // 3), top=top, bottom=40)
    vals = [float(v) if v is not None and math.isfinite(float(v)) else 0.0 for v in values]
    if x_max is not None and max(vals, default=0.0) <= x_max:
        xs = Scale(0.0, float(x_max), f.x0, f.x1)
    else:
        xs = Scale.fit([0.0, *(vals or [1.0])], f.x0, f.x1, zero=True, pad=0.02)
    out = _open(f, title, "bar")
    bt = xs.ticks()
    for t, lab in zip(bt, axis_labels(bt)):
        x = xs(t)
        out.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(f.y1)}" y2="{_f(f.y0)}" stroke="{GRID}"/>')
        out.append(f'<text x="{_f(x)}" y="{_f(f.y0 + 15)}" text-anchor="middle" font-size="11">{_e(lab)}</text>')
    if x_label:
        out.append(f'<text x="{_f((f.x0 + f.x1) / 2)}" y="{_f(f.height - 6)}" text-anchor="middle" '
                   f'font-size="11">{_e(x_label)}</text>')
    for i, (lab, v) in enumerate(zip(labels, vals)):
        y = f.y1 + i * row + 3
        c = colors[i] if colors else BLUE
        w = max(xs(v) - f.x0, 1.0 if v > 0 else 0.0)
        tip = tips[i] if tips else f"{lab}: {fmt_num(v)}"
        out.append(f'<text x="{_f(f.x0 - 6)}" y="{_f(y + row / 2 + 1)}" text-anchor="end" font-size="11">{_e(lab)}</text>')
        out.append(f'<rect x="{_f(f.x0)}" y="{_f(y)}" width="{_f(w)}" height="{row - 6}" fill="{c}">'
                   f"<title>{_e(tip)}</title></rect>")
        if notes:
            out.append(f'<text x="{_f(f.x0 + w + 5)}" y="{_f(y + row / 2 + 1)}" font-size="11" fill="#444">'
                       f"{_e(notes[i])}</text>")
    out.append(f'<line x1="{_f(f.x0)}" x2="{_f(f.x0)}" y1="{_f(f.y1)}" y2="{_f(f.y0)}" stroke="{INK}"/>')
    out.append("</svg>")
    return "".join(out)


# -- scatter with a Pareto front -----------------------------------------------------------


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


def pareto_front(points: Sequence[tuple[float, float]], *, minimize_x: bool = True,
                 maximize_y: bool = True) -> list[int]:
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


def scatter(points: Sequence[Point], *, title: str = "", x_label: str = "", y_label: str = "",
            log_x: bool | None = None, width: int = 460, height: int = 300, y_fmt=fmt_num, x_fmt=fmt_num,
            front_label: str = "Pareto front", y_range: tuple[float, float] | None = None) -> str:
    """Points with labels; points with ``front=True`` joined by a staircase (the Pareto
    front, lower x and higher y better) and ringed."""
    f = Frame(width, height, left=30, right=24, top=30, bottom=48)
    _header(f, title, [(front_label, RED, "dash")] if any(p.front for p in points) else [])
    xv = [p.x for p in points]
    yv = [p.y for p in points] + (list(y_range) if y_range else [])
    ys = Scale.fit(yv, f.y0, f.y1, log=False, pad=0.15)
    _fit_left(f, _labels_for(ys.ticks(), y_fmt, False), y_label)
    xs = Scale.fit(xv, f.x0, f.x1, log=log_x, pad=0.12)
    out = _open(f, title, "scatter") + _axes(f, xs, ys, x_label, y_label, x_fmt=x_fmt, y_fmt=y_fmt, x_grid=True)
    front = sorted((p for p in points if p.front), key=lambda p: (p.x, -p.y))
    if len(front) > 1:
        d = f"M{_f(xs(front[0].x))} {_f(ys(front[0].y))}"
        for a, b in zip(front, front[1:]):
            d += f"H{_f(xs(b.x))}V{_f(ys(b.y))}"
        out.append(f'<path d="{d}" fill="none" stroke="{RED}" stroke-width="1.6" stroke-dasharray="5 3">'
                   f"<title>{_e(front_label)}</title></path>")
    order = sorted(points, key=lambda p: not p.hollow)
    marks = [(xs(p.x), ys(p.y)) for p in order]
    for p, (x, y) in zip(order, marks):
        tip = p.tip or f"{p.label}: {fmt_num(p.x)}, {fmt_num(p.y)}"
        fill = "white" if p.hollow else p.color
        if p.shape == "square":
            out.append(f'<rect x="{_f(x - 4.5)}" y="{_f(y - 4.5)}" width="9" height="9" fill="{fill}" '
                       f'stroke="{p.color}" stroke-width="1.8"><title>{_e(tip)}</title></rect>')
        else:
            out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="5" fill="{fill}" stroke="{p.color}" stroke-width="1.8">'
                       f"<title>{_e(tip)}</title></circle>")
        if p.front:
            out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="9" fill="none" stroke="{RED}" stroke-width="1.6"/>')
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

    for p, (x, y) in zip(order, marks):
        w, h = _text_w(p.label), 12.0
        cands = [(x + 10, y - 4), (x + 10, y + 12), (x - 10 - w, y - 4), (x - 10 - w, y + 12),
                 (x - w / 2, y - 11), (x - w / 2, y + 20), (x + 10, y - 17), (x - 10 - w, y - 17),
                 (x + 10, y + 25), (x - 10 - w, y + 25)]
        best = min(cands, key=lambda c: (overlap((c[0], c[1] - h + 2, c[0] + w, c[1] + 2)), cands.index(c)))
        boxes.append((best[0], best[1] - h + 2, best[0] + w, best[1] + 2))
        out.append(f'<text x="{_f(best[0])}" y="{_f(best[1])}" font-size="11" '
                   f'paint-order="stroke" stroke="white" stroke-width="3">{_e(p.label)}</text>')
    if front:
        out += _legend(f, [(front_label, RED, "dash")])
    out.append("</svg>")
    return "".join(out)


# -- heatmap -----------------------------------------------------------------------------


def heatmap(matrix: Sequence[Sequence[float]] | np.ndarray, *, row_labels: Sequence[str], col_labels: Sequence[str],
            title: str = "", x_label: str = "predicted", y_label: str = "true", cell: int | None = None) -> str:
    """A confusion matrix: cell colour is the count as a fraction of its row (recall), the
    diagonal in blue, errors in vermilion; counts written in the cells."""
    m = np.asarray(matrix, dtype=np.float64)
    nr, nc = m.shape
    cell = cell or max(16, min(30, 340 // max(nr, nc, 1)))
    lw = int(min(120, 8 + _text_w(max(row_labels, key=len, default="00"), 10)))
    th = int(min(90, 10 + 0.87 * _text_w(max(col_labels, key=len, default="00"), 10)))  # rotated -60 degrees
    top = 46 + th
    f = Frame(max(lw + 24 + nc * cell + 20, 8 + int(_text_w(title, 13)) + 16), top + nr * cell + 12,
              left=lw + 24, right=20, top=top, bottom=12)
    out = _open(f, title, "heatmap")
    rows = m.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(rows > 0, m / rows, 0.0)
    for j, lab in enumerate(col_labels):
        x = f.x0 + j * cell + cell / 2
        out.append(f'<text transform="translate({_f(x + 4)} {_f(f.y1 - 6)}) rotate(-60)" font-size="10">{_e(lab)}</text>')
    for i, lab in enumerate(row_labels):
        y = f.y1 + i * cell + cell / 2 + 4
        out.append(f'<text x="{_f(f.x0 - 5)}" y="{_f(y)}" text-anchor="end" font-size="10">{_e(lab)}</text>')
    cells = []
    for i in range(nr):
        for j in range(nc):
            v, t = m[i, j], frac[i, j]
            if i == j:
                rgb = (int(255 - t * (255 - 0)), int(255 - t * (255 - 114)), int(255 - t * (255 - 178)))
            else:
                t = min(1.0, t * 2.5) if v else 0.0
                rgb = (int(255 - t * (255 - 213)), int(255 - t * (255 - 94)), int(255 - t * (255 - 0)))
            col = "#%02x%02x%02x" % rgb
            x, y = f.x0 + j * cell, f.y1 + i * cell
            cells.append(f'<rect x="{_f(x)}" y="{_f(y)}" width="{cell - 1}" height="{cell - 1}" fill="{col}">'
                         f"<title>true {_e(row_labels[i])}, predicted {_e(col_labels[j])}: {int(v)} "
                         f"({100 * frac[i, j]:.1f} % of the row)</title></rect>")
            if v:
                tc = "white" if (i == j and frac[i, j] > 0.55) else INK
                fs = 10 if cell < 26 else 11
                cells.append(f'<text x="{_f(x + cell / 2 - 0.5)}" y="{_f(y + cell / 2 + 4)}" text-anchor="middle" '
                             f'font-size="{fs}" fill="{tc}">{int(v)}</text>')
    out.append("<g>" + "".join(cells) + "</g>")
    out.append(f'<text x="{_f(f.x0 + nc * cell / 2)}" y="36" text-anchor="middle" font-size="11">'
               f"{_e(x_label)} →</text>")
    cy = f.y1 + nr * cell / 2
    out.append(f'<text transform="translate(12 {_f(cy)}) rotate(-90)" text-anchor="middle" font-size="11">'
               f"← {_e(y_label)}</text>")
    out.append("</svg>")
    return "".join(out)
