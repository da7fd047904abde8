"""Latency statistics, DUT counter arithmetic and phase splitting over sample rows.

Everything here is a pure function of its inputs (numbers or a DataFrame in the §4
schema); nothing reads the store or talks to a device.

Percentiles use numpy's default ``'linear'`` method (Hyndman & Fan type 7: the p-th
percentile of n sorted values is interpolated at position ``(n - 1) * p``), which is also
what ``pandas.Series.quantile`` does, so these agree with ``hilbench.results.summary``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

PERCENTILE_METHOD: Final = "linear"


@dataclass(frozen=True)
class LatencyStats:
    """Summary of one board x model latency (or cycles, energy...) distribution.

    ``std`` is the sample standard deviation (ddof=1) and ``cv = std / mean``. With no
    values every field but ``n`` is NaN; with one value ``std`` and ``cv`` are NaN. The
    fields are trtexec's (min, max, mean, median, p90, p95, p99) plus n, std and cv;
    throughput is `throughput_per_s` of the mean.
    """

    n: int
    mean: float
    median: float
    p90: float
    p95: float
    p99: float
    min: float
    max: float
    std: float
    cv: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def latency_stats(values: Iterable[float] | np.ndarray | pd.Series) -> LatencyStats:
    """n, mean, median, p90, p95, p99, min, max, std (ddof=1), cv of the finite values.

    Nulls / NaN (a sample with no timing) are dropped and not counted in ``n``; an
    infinite value is an error, not a sample.
    """
    s = (
        values
        if isinstance(values, pd.Series)
        else pd.Series(values if isinstance(values, np.ndarray) else list(values), dtype=object)
    )
    x = pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    x = x[~np.isnan(x)]
    if np.isinf(x).any():
        raise ValueError("latency_stats: infinite value among the samples")
    n = int(x.size)
    nan = math.nan
    if n == 0:
        return LatencyStats(0, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    mean = float(np.mean(x))
    p50, p90, p95, p99 = (float(v) for v in np.percentile(x, [50, 90, 95, 99], method=PERCENTILE_METHOD))
    std = float(np.std(x, ddof=1)) if n > 1 else nan
    cv = std / mean if (n > 1 and mean != 0) else nan
    return LatencyStats(n, mean, p50, p90, p95, p99, float(np.min(x)), float(np.max(x)), std, cv)


def throughput_per_s(mean_us: float | None) -> float:
    """Inferences per second of one-at-a-time inference, ``1e6 / mean latency in µs`` (as
    trtexec's throughput, from the mean, not the median); NaN when the mean is missing or
    not positive. It is in the unit of the latency's timing source: a qemu_icount mean
    gives inferences per second *at the nominal clock*, not of silicon."""
    if mean_us is None or not math.isfinite(mean_us) or mean_us <= 0:
        return math.nan
    return 1e6 / mean_us


# --------------------------------------------------------------------------- counters


def _mask(bits: int) -> int:
    if not 1 <= int(bits) <= 64:
        raise ValueError(f"counter width must be 1..64 bits, got {bits}")
    return (1 << int(bits)) - 1


def elapsed_ticks(t0: Any, t1: Any, bits: int = 32) -> Any:
    """Ticks from raw counter reading ``t0`` to ``t1`` on a ``bits``-wide up-counter.

    ``(t1 - t0) mod 2**bits``: correct whenever the true interval is shorter than one
    counter period (2**bits ticks), i.e. the counter wrapped at most once between the two
    reads *and* did not come back past ``t0``. An interval of a whole period or more is
    indistinguishable from one period less; no arithmetic can recover it — keep timed
    regions below :func:`wrap_period_s` (a 32-bit counter: 25.6 s at 168 MHz, 71.6 min at
    1 MHz), or read a 64-bit / wrap-extended counter on the DUT.

    Scalars (Python ints, exact for any width up to 64) or array-likes (returns an int64
    array; widths up to 63 bits so the result fits).
    """
    mask = _mask(bits)
    if np.ndim(t0) == 0 and np.ndim(t1) == 0:
        s0, s1 = int(t0), int(t1)
        _check_range(np.array([s0, s1], dtype=object), mask)
        return (s1 - s0) & mask
    if bits > 63:
        raise ValueError("elapsed_ticks: arrays support counters up to 63 bits; pass scalars for 64")
    a = np.asarray(t0, dtype=np.int64)
    b = np.asarray(t1, dtype=np.int64)
    _check_range(a, mask)
    _check_range(b, mask)
    return (b - a) & np.int64(mask)


def unwrap_counter(raw_ticks_sequence: Iterable[int] | np.ndarray, bits: int = 32) -> np.ndarray:
    """Monotonic timestamps from successive raw readings of a free-running ``bits``-wide
    up-counter: ``out[0] = raw[0]``, ``out[i] = out[i-1] + elapsed_ticks(raw[i-1], raw[i])``.

    Unambiguous only if *consecutive* reads are less than one counter period apart (at
    most one wrap between them, never back past the previous reading); a longer gap
    silently loses whole periods. A sequence of readings taken at least once per period
    can span any total length. Returns int64 (widths up to 63 bits).

    >>> unwrap_counter([0xFFFF_FFF0, 0x10, 0x20]).tolist()
    [4294967280, 4294967312, 4294967328]
    """
    mask = _mask(bits)
    if bits > 63:
        raise ValueError("unwrap_counter: counters up to 63 bits (int64 result)")
    raw = np.asarray(
        list(raw_ticks_sequence) if not isinstance(raw_ticks_sequence, np.ndarray) else raw_ticks_sequence,
        dtype=np.int64,
    )
    if raw.ndim != 1:
        raise ValueError("unwrap_counter: expected a 1-D sequence of readings")
    _check_range(raw, mask)
    if raw.size == 0:
        return raw.copy()
    steps = (raw[1:] - raw[:-1]) & np.int64(mask)
    out = np.empty_like(raw)
    out[0] = raw[0]
    np.cumsum(steps, out=out[1:])
    out[1:] += raw[0]
    return out


def wrap_period_s(clock_hz: float, bits: int = 32) -> float:
    """Seconds for a ``bits``-wide counter at ``clock_hz`` to wrap once: the longest
    interval :func:`elapsed_ticks` / :func:`unwrap_counter` can resolve."""
    if clock_hz <= 0:
        raise ValueError("clock_hz must be positive")
    return (_mask(bits) + 1) / float(clock_hz)


def _check_range(a: np.ndarray, mask: int) -> None:
    if a.size and (a.min() < 0 or a.max() > mask):
        raise ValueError(f"counter reading out of range for a {mask.bit_length()}-bit counter")


# --------------------------------------------------------------------------- phases

JOB_KEYS = ["job_id", "board", "model"]


@dataclass(frozen=True)
class Phases:
    """Rows of a run split three ways (each keeps the original index and columns)."""

    warmup: pd.DataFrame  # phase == "warmup"
    cold: pd.DataFrame  # first measured row of each job_id x board x model
    steady: pd.DataFrame  # every other measured row


def phase_labels(df: pd.DataFrame) -> pd.Series:
    """Label each row "warmup", "cold" or "steady" (index aligned with ``df``).

    The cold row of a job (job_id x board x model, nulls grouped together) is its first
    ``phase == "measure"`` row by ``iteration``; ties — the runner restarts ``iteration``
    at 0 for every input vector and every timing window — are broken by row order, which
    is execution order in a stored run. ``sample_id`` is not used for ordering (its order
    is the dataset's, not the run's). Rows whose phase is neither "warmup" nor "measure"
    are labelled "other".

    Note that when a job has warm-up inferences the truly cold inference is its first
    warm-up row; the "cold" row here is the first one that counts as measured.
    """
    missing = [c for c in ["phase", "iteration", *JOB_KEYS] if c not in df.columns]
    if missing:
        raise KeyError(f"phase_labels: missing columns {missing}")
    labels = pd.Series("other", index=df.index, dtype=object)
    phase = df["phase"]
    labels[phase == "warmup"] = "warmup"
    measured = df[phase == "measure"]
    if measured.empty:
        return labels
    pos = pd.Series(np.arange(len(df)), index=df.index)[phase == "measure"]
    order = measured.assign(_pos=pos.to_numpy()).sort_values(
        ["iteration", "_pos"], kind="mergesort", na_position="last"
    )
    first_pos = order.groupby(JOB_KEYS, dropna=False, sort=False)["_pos"].first().to_numpy()
    is_measure = (phase == "measure").to_numpy()
    lab = labels.to_numpy(copy=True)
    lab[is_measure] = "steady"
    lab[first_pos] = "cold"
    return pd.Series(lab, index=df.index, dtype=object)


def split_phases(df: pd.DataFrame) -> Phases:
    """Warm-up rows, the cold first measured inference of each job, and the steady-state
    measured rows (see :func:`phase_labels` for the rules)."""
    lab = phase_labels(df).to_numpy()
    return Phases(warmup=df[lab == "warmup"], cold=df[lab == "cold"], steady=df[lab == "steady"])
