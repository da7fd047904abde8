"""Latency statistics, counter-wrap arithmetic and phase splitting (hilbench.results.stats)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hilbench.results.stats import (
    LatencyStats,
    elapsed_ticks,
    latency_stats,
    phase_labels,
    split_phases,
    unwrap_counter,
    wrap_period_s,
)

# ------------------------------------------------------------------ latency_stats


def test_latency_stats_matches_numpy_linear_percentiles():
    x = np.arange(1, 101, dtype=float)  # 1..100
    s = latency_stats(x)
    assert s.n == 100
    assert s.mean == pytest.approx(50.5)
    assert s.median == pytest.approx(50.5)
    assert s.p90 == pytest.approx(90.1)  # linear: position 0.9 * 99 = 89.1 -> 90 + 0.1
    assert s.p95 == pytest.approx(95.05)  # position 0.95 * 99 = 94.05 -> 95 + 0.05
    assert s.p99 == pytest.approx(99.01)
    assert (s.min, s.max) == (1.0, 100.0)
    assert s.std == pytest.approx(np.std(x, ddof=1))
    assert s.cv == pytest.approx(s.std / s.mean)
    # same as pandas (and so the summary table)
    assert s.p90 == pytest.approx(pd.Series(x).quantile(0.9))


def test_latency_stats_small_example_and_dict():
    s = latency_stats([10, 20, 30, 40])
    assert s == LatencyStats(
        n=4,
        mean=25.0,
        median=25.0,
        p90=37.0,
        p95=pytest.approx(38.5),
        p99=pytest.approx(39.7),
        min=10.0,
        max=40.0,
        std=pytest.approx(12.909944),
        cv=pytest.approx(0.516398),
    )
    d = s.to_dict()
    assert set(d) == {"n", "mean", "median", "p90", "p95", "p99", "min", "max", "std", "cv"}


def test_latency_stats_drops_nulls_and_accepts_series():
    s = latency_stats(pd.Series([5, None, 7, np.nan], dtype="float64"))
    assert s.n == 2 and s.median == 6.0
    s = latency_stats(pd.Series([1, 2, None], dtype="Int64"))
    assert s.n == 2 and s.mean == 1.5
    assert latency_stats([3, None, 5]).n == 2


def test_latency_stats_degenerate_inputs():
    empty = latency_stats([])
    assert empty.n == 0 and all(math.isnan(v) for k, v in empty.to_dict().items() if k != "n")
    one = latency_stats([7])
    assert one.n == 1 and one.median == 7 and one.p99 == 7
    assert math.isnan(one.std) and math.isnan(one.cv)
    zero_mean = latency_stats([-1.0, 1.0])
    assert math.isnan(zero_mean.cv)
    with pytest.raises(ValueError):
        latency_stats([1.0, math.inf])


# ------------------------------------------------------------------ counters


def test_elapsed_ticks_scalar_with_and_without_wrap():
    assert elapsed_ticks(100, 250) == 150
    assert elapsed_ticks(0xFFFF_FF00, 0x0000_0100) == 0x200
    assert elapsed_ticks(5, 5) == 0
    assert elapsed_ticks(0xFFFF, 0x0001, bits=16) == 2
    assert elapsed_ticks(2**64 - 1, 1, bits=64) == 2
    # an interval of one whole period or more cannot be told from one period less
    assert elapsed_ticks(10, 10 + 2**32 + 7 - 2**32) == 7


def test_elapsed_ticks_arrays():
    t0 = np.array([0xFFFF_FFF0, 10, 0])
    t1 = np.array([0x0000_0010, 30, 0xFFFF_FFFF])
    np.testing.assert_array_equal(elapsed_ticks(t0, t1), [0x20, 20, 0xFFFF_FFFF])
    with pytest.raises(ValueError):
        elapsed_ticks(np.array([0]), np.array([1]), bits=64)


def test_counter_range_and_width_checked():
    with pytest.raises(ValueError):
        elapsed_ticks(0, 2**32)
    with pytest.raises(ValueError):
        elapsed_ticks(-1, 0)
    with pytest.raises(ValueError):
        unwrap_counter([1, 2**16], bits=16)
    with pytest.raises(ValueError):
        elapsed_ticks(0, 1, bits=0)


def test_unwrap_counter_multiple_wraps():
    true = np.array([0, 3_000_000_000, 6_000_000_000, 9_000_000_000, 9_000_000_001], dtype=np.int64)
    start = 2**32 - 100
    raw = (true + start) % 2**32
    out = unwrap_counter(raw)
    np.testing.assert_array_equal(out - out[0], true)
    assert out[0] == start
    assert out.dtype == np.int64
    np.testing.assert_array_equal(np.diff(out), elapsed_ticks(raw[:-1], raw[1:]))


def test_unwrap_counter_doc_example_and_edges():
    assert unwrap_counter([0xFFFF_FFF0, 0x10, 0x20]).tolist() == [0xFFFF_FFF0, 2**32 + 0x10, 2**32 + 0x20]
    assert unwrap_counter([]).tolist() == []
    assert unwrap_counter([42]).tolist() == [42]
    assert unwrap_counter(np.array([250, 5, 10]), bits=8).tolist() == [250, 261, 266]
    # a gap longer than a period loses the period (documented limitation)
    assert unwrap_counter([0, 5], bits=8).tolist() == [0, 5]


def test_wrap_period():
    assert wrap_period_s(168e6) == pytest.approx(25.565, abs=1e-3)
    assert wrap_period_s(1e6) == pytest.approx(4294.967, abs=1e-3)
    assert wrap_period_s(25e6, bits=24) == pytest.approx(0.671, abs=1e-3)
    with pytest.raises(ValueError):
        wrap_period_s(0)


# ------------------------------------------------------------------ phases


def _rows(job: str, board: str, model: str, warmup: int, vectors: list[str], repeat: int) -> list[dict]:
    """Rows in the order the runner writes them (warm-ups at iteration 0, then per vector
    iterations 0..repeat-1)."""
    rows = [
        dict(job_id=job, board=board, model=model, phase="warmup", iteration=0, sample_id=vectors[0])
        for _ in range(warmup)
    ]
    rows += [
        dict(job_id=job, board=board, model=model, phase="measure", iteration=it, sample_id=v)
        for v in vectors
        for it in range(repeat)
    ]
    return rows


def test_split_phases_runner_order():
    df = pd.DataFrame(
        _rows("j1", "an386", "kws", 2, ["s9", "s1"], 3) + _rows("j2", "an386", "ad", 0, ["a", "b"], 1)
    )
    ph = split_phases(df)
    assert len(ph.warmup) == 2 and (ph.warmup.phase == "warmup").all()
    assert ph.cold.index.tolist() == [2, 8]  # the first measured row of each job
    assert ph.cold.sample_id.tolist() == ["s9", "a"]  # execution order, not sample_id order
    assert len(ph.steady) == 5 + 1
    assert sorted(ph.warmup.index.tolist() + ph.cold.index.tolist() + ph.steady.index.tolist()) == list(
        range(len(df))
    )
    assert list(ph.steady.columns) == list(df.columns)


def test_split_phases_uses_iteration_over_row_order():
    # rows shuffled: the cold row is the lowest iteration; ties by row order
    df = pd.DataFrame(
        [
            dict(job_id="j", board="b", model="m", phase="measure", iteration=2, sample_id="x"),
            dict(job_id="j", board="b", model="m", phase="measure", iteration=0, sample_id="y"),
            dict(job_id="j", board="b", model="m", phase="measure", iteration=0, sample_id="z"),
            dict(job_id="j", board="b", model="m", phase="warmup", iteration=0, sample_id="x"),
        ],
        index=[10, 11, 12, 13],
    )
    lab = phase_labels(df)
    assert lab.to_dict() == {10: "steady", 11: "cold", 12: "steady", 13: "warmup"}


def test_split_phases_groups_by_board_and_model_with_null_job():
    df = pd.DataFrame(
        _rows(None, "b1", "m", 0, ["v"], 2)
        + _rows(None, "b2", "m", 0, ["v"], 2)
        + _rows(None, "b1", "m2", 1, ["v"], 2)
    )
    ph = split_phases(df)
    assert len(ph.cold) == 3
    assert set(zip(ph.cold.board, ph.cold.model)) == {("b1", "m"), ("b2", "m"), ("b1", "m2")}
    assert len(ph.steady) == 3 and len(ph.warmup) == 1


def test_split_phases_empty_and_other_and_missing_columns():
    df = pd.DataFrame(_rows("j", "b", "m", 2, ["v"], 0))
    ph = split_phases(df)
    assert len(ph.warmup) == 2 and ph.cold.empty and ph.steady.empty
    odd = pd.DataFrame(
        [dict(job_id="j", board="b", model="m", phase="calibrate", iteration=0, sample_id="v")]
    )
    assert phase_labels(odd).tolist() == ["other"]
    empty = pd.DataFrame(columns=["job_id", "board", "model", "phase", "iteration", "sample_id"])
    ph = split_phases(empty)
    assert ph.warmup.empty and ph.cold.empty and ph.steady.empty
    with pytest.raises(KeyError):
        split_phases(pd.DataFrame({"phase": ["measure"]}))
