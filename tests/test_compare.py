"""Regression verdicts between stored runs, and the exit codes a nightly job relies on.

Runs here are written with the real store (write_run) from rows shaped like the runner's,
so the comparison logic is tested on its own; tests/test_regression_emulated.py does it
end to end with a firmware that is really 5 % slower.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from hilbench.results.comparison import compare_runs
from hilbench.results.store import write_run
from hilbench.results.tags import resolve, set_tag
from tests.clihelp import run_cli


def _rows(
    run_id: str, cycles: list[int], correct: list[bool], emulated: bool = True, board: str = "b1"
) -> list[dict]:
    t = datetime(2026, 11, 28, tzinfo=timezone.utc)
    return [
        dict(
            run_id=run_id,
            started_at=t,
            board=board,
            model="m.tflite",
            dataset="d",
            phase="measure",
            iteration=0,
            sample_id=f"s{i}",
            label=1,
            cycles=c,
            ticks=c // 40,
            latency_us=c / 25.0,
            timing_source="qemu_icount" if emulated else "dwt_cycles",
            emulated=emulated,
            correct=ok,
            prediction=1 if ok else 0,
            bit_exact=True,
            clock_hz=25_000_000,
        )
        for i, (c, ok) in enumerate(zip(cycles, correct))
    ]


def _run(tmp: Path, run_id: str, rows: list[dict], arena: int = 1000) -> None:
    jobs = [dict(run_id=run_id, board=rows[0]["board"], model="m.tflite", dataset="d", arena_used=arena)]
    write_run(tmp / run_id, rows, {"run_id": run_id}, complete=True, jobs=jobs)


def test_identical_emulated_runs_are_unchanged(tmp_path: Path) -> None:
    cyc = [10_000 + 40 * (i % 3) for i in range(50)]
    ok = [i % 10 != 0 for i in range(50)]
    _run(tmp_path, "r1", _rows("r1", cyc, ok))
    _run(tmp_path, "r2", _rows("r2", cyc, ok))
    verdicts = compare_runs("r1", "r2", tmp_path)
    assert {v.metric: v.verdict for v in verdicts} == {
        "cycles": "unchanged",
        "top1": "unchanged",
        "bit_exact": "unchanged",
        "arena": "unchanged",
    }
    r = run_cli("compare", "r1", "r2", "--results-dir", str(tmp_path))
    assert r.code == 0, r.stdout + r.stderr


def test_five_percent_slower_emulated_run_regresses_with_exit_1(tmp_path: Path) -> None:
    cyc = [10_000] * 50
    _run(tmp_path, "r1", _rows("r1", cyc, [True] * 50))
    _run(tmp_path, "r2", _rows("r2", [10_500] * 50, [True] * 50))
    v = {v.metric: v for v in compare_runs("r1", "r2", tmp_path)}
    assert v["cycles"].verdict == "regressed" and v["cycles"].effect == pytest.approx(0.05)
    junit = tmp_path / "j.xml"
    r = run_cli("compare", "r1", "r2", "--results-dir", str(tmp_path), "--junit", str(junit))
    assert r.code == 1 and "regressed" in r.stdout
    xml = junit.read_text()
    assert 'failures="1"' in xml and 'name="cycles"' in xml and "<failure" in xml


def test_one_more_wrong_answer_on_a_bit_exact_run_is_flagged(tmp_path: Path) -> None:
    _run(tmp_path, "r1", _rows("r1", [100] * 50, [True] * 50))
    _run(tmp_path, "r2", _rows("r2", [100] * 50, [True] * 49 + [False]))
    v = {v.metric: v for v in compare_runs("r1", "r2", tmp_path)}
    assert v["top1"].verdict == "regressed"


def test_noisy_real_board_timings_use_the_rank_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    base = (20_000 * rng.lognormal(0, 0.03, 60)).astype(int).tolist()
    same = (20_000 * rng.lognormal(0, 0.03, 60)).astype(int).tolist()
    _run(tmp_path, "r1", _rows("r1", base, [True] * 60, emulated=False))
    _run(tmp_path, "r2", _rows("r2", same, [True] * 60, emulated=False))
    lat = next(v for v in compare_runs("r1", "r2", tmp_path) if v.metric == "latency")
    assert lat.method.startswith("mann-whitney") and lat.verdict in ("unchanged", "inconclusive")
    assert lat.p_value is not None


def test_arena_growth_regresses(tmp_path: Path) -> None:
    _run(tmp_path, "r1", _rows("r1", [100] * 20, [True] * 20), arena=1000)
    _run(tmp_path, "r2", _rows("r2", [100] * 20, [True] * 20), arena=1100)
    assert next(v for v in compare_runs("r1", "r2", tmp_path) if v.metric == "arena").verdict == "regressed"


def test_baseline_tags_and_last(tmp_path: Path) -> None:
    _run(tmp_path, "20261101T000000Z-aaaaaa", _rows("a", [1] * 5, [True] * 5))
    _run(tmp_path, "20261102T000000Z-bbbbbb", _rows("b", [1] * 5, [True] * 5))
    assert resolve("last", tmp_path) == "20261102T000000Z-bbbbbb"
    assert resolve("last", tmp_path, exclude="20261102T000000Z-bbbbbb") == "20261101T000000Z-aaaaaa"
    set_tag("good", "20261101T000000Z-aaaaaa", tmp_path)
    assert resolve("good", tmp_path) == "20261101T000000Z-aaaaaa"
    r = run_cli("baseline", "tag", "last", "nightly", "--results-dir", str(tmp_path))
    assert r.code == 0 and resolve("nightly", tmp_path) == "20261102T000000Z-bbbbbb"
    r = run_cli("compare", "nope", "last", "--results-dir", str(tmp_path))
    assert r.code == 2 and "no run or tag named 'nope'" in r.stderr
