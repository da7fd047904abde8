"""Hand-written inline SVG charts for the HTML report: no JavaScript plotting library, no
network, nothing to load. Every function returns one ``<svg>`` element as a string.

One module per kind of chart, on shared primitives:

- `axes`: colours, number formats, `Scale`, `Frame`, axes and legends;
- `distribution`: `histogram` (marker lines, marked extra points such as the warm-up);
- `line`: `line_chart` (series of points or min/max envelopes, shaded bands, highlighted
  points: the execution-order traces and the history trend);
- `bars`: `bar_chart` (horizontal bars with a note per bar);
- `scatter`: `scatter` (log or linear axes, the Pareto front a caller marked);
- `heatmap`: `heatmap` (a confusion matrix).

This package re-exports them so a caller writes ``svg.histogram(...)``. Sizes stay small
whatever the data: histograms bin, long series become envelopes. Native tooltips come from
SVG ``<title>`` elements, so the charts need no script at all.
"""

from __future__ import annotations

from hilbench.report.svg.axes import (
    BLUE,
    FONT,
    GREEN,
    GREY,
    GRID,
    INK,
    MAX_POINTS,
    ORANGE,
    PALETTE,
    PINK,
    RED,
    SKY,
    VERMILION,
    Frame,
    Scale,
    axis_labels,
    fmt_num,
    nice_step,
)
from hilbench.report.svg.bars import bar_chart
from hilbench.report.svg.distribution import Marker, histogram
from hilbench.report.svg.heatmap import heatmap
from hilbench.report.svg.line import Band, Highlight, Series, envelope, line_chart
from hilbench.report.svg.scatter import Point, scatter

__all__ = [
    "BLUE",
    "FONT",
    "GREEN",
    "GREY",
    "GRID",
    "INK",
    "MAX_POINTS",
    "ORANGE",
    "PALETTE",
    "PINK",
    "RED",
    "SKY",
    "VERMILION",
    "Band",
    "Frame",
    "Highlight",
    "Marker",
    "Point",
    "Scale",
    "Series",
    "axis_labels",
    "bar_chart",
    "envelope",
    "fmt_num",
    "heatmap",
    "histogram",
    "line_chart",
    "nice_step",
    "scatter",
]
