"""How the report writes a number: missing values as a dash, latencies in a unit that suits
their size, and what a timing figure is when it is not silicon time. Shared by every view
(HTML, Markdown, terminal), so they never disagree on a figure's wording."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hilbench.report.caveats import emulated_note, emulated_short

DETERMINISTIC = {"qemu_icount"}


def num(x: Any) -> float | None:
    """A finite float, or None for None / NaN / NA / non-numbers."""
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt(x: Any, spec: str = "{:,.0f}", missing: str = "–") -> str:
    v = num(x)
    return missing if v is None else spec.format(v)


def pct(x: Any, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage."""
    v = num(x)
    return "–" if v is None else f"{100 * v:.{digits}f} %"


def short_hash(h: Any, n: int = 12) -> str:
    return str(h)[:n] if isinstance(h, str) and h else "–"


def stem(model: str) -> str:
    return model[:-7] if model.endswith(".tflite") else model


@dataclass
class LatencyUnit:
    name: str  # "µs" | "ms" | "s"
    div: float  # µs per unit

    @classmethod
    def for_us(cls, median_us: float | None) -> LatencyUnit:
        m = median_us or 0.0
        if m >= 1e7:
            return cls("s", 1e6)
        if m >= 1e3:
            return cls("ms", 1e3)
        return cls("µs", 1.0)

    def show(self, us: Any, digits: int = 4) -> str:
        v = num(us)
        if v is None:
            return "–"
        x = v / self.div
        return f"{x:,.{max(1, digits - len(str(int(abs(x)))))}f} {self.name}"


def caveat(timing_source: str | None, emulated: bool, clock_hz: Any) -> str:
    """What a latency figure is, when it is not silicon time."""
    if emulated or timing_source in DETERMINISTIC:
        mhz = num(clock_hz)
        return emulated_note(timing_source, f"{mhz / 1e6:g} MHz" if mhz else None)
    if timing_source == "host_clock":
        return "host_clock: microseconds of the host CPU running the firmware natively, not of any device"
    return ""


def short_caveat(timing_source: str | None, emulated: bool, clock_hz: Any) -> str:
    """One line under every latency chart."""
    if emulated or timing_source in DETERMINISTIC:
        mhz = num(clock_hz)
        return emulated_short(timing_source, f"{mhz / 1e6:g} MHz" if mhz else None)
    if timing_source == "host_clock":
        return "host_clock: the host CPU's time, not a device's"
    return ""


def source_badge(timing_source: str | None, emulated: bool) -> str:
    if emulated or timing_source in DETERMINISTIC:
        return "emulated"
    if timing_source == "host_clock":
        return "host"
    return "device"
