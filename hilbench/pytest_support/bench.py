"""The `hil_bench` fixture: a benchmark run inside a test, through the results store.

`hil_bench(model=..., dataset=...)` runs one job on the test's board with
`hilbench.runner.run_jobs`, so the run lands in the same results store as `hilbench run`
(`--hil-results`, default `$HILBENCH_RESULTS` or `./results`) and shows up in
`hilbench history`, `show` and `compare`. It returns a `BenchResult` to assert on:

    result = hil_bench()                         # the demo model and its vectors
    assert result.latency.median_us < 20_000
    assert result.accuracy.top1 >= 0.9
    assert result.bit_exact

With `--hil-baseline` each run is also compared with the last good run of the same test,
board, model and dataset (a baseline tag `pytest:<test id>:<model>:<dataset>` in the
results store): a regression fails the test, and a run with no regression becomes the
new baseline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilbench.pytest_support.session import DutSession, acquire_board, prebuild


@dataclass(frozen=True)
class Latency:
    """Latency over the measured inferences (µs; on an emulated board at its nominal clock)."""

    n: int
    median_us: float
    mean_us: float
    p90_us: float
    p99_us: float
    min_us: float
    max_us: float
    cv: float
    median_cycles: float | None
    cold_us: float | None
    timing_source: str
    emulated: bool


@dataclass(frozen=True)
class Accuracy:
    top1: float | None
    top5: float | None
    n: int


@dataclass
class BenchResult:
    """One hil_bench run: the summary figures, plus where the rows are stored."""

    run_id: str
    run_dir: Path
    board: str
    model: str
    dataset: str
    latency: Latency
    accuracy: Accuracy
    bit_exact: bool
    bit_exact_pct: float | None
    max_abs_diff_lsb: float | None
    arena_used: int | None
    firmware_sha256: str | None
    model_sha256: str
    summary: dict[str, Any]
    rows: list[dict[str, Any]] = field(repr=False, default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    baseline_run_id: str | None = None

    @property
    def samples(self) -> Any:
        """The sample rows as a pandas DataFrame (one row per inference)."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    @property
    def regressions(self) -> list[Any]:
        return [v for v in self.verdicts if v.regressed]


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if v != v else v  # NaN -> None


def build_result(result: Any) -> BenchResult:
    """A BenchResult from a RunResult of one job."""
    import pandas as pd

    from hilbench.results.summary import summarize

    out = result.outcomes[0]
    job_meta = result.meta["jobs"][0]
    summary_df = summarize(pd.DataFrame(result.rows), pd.DataFrame(result.meta.get("jobs", [])))
    s = summary_df.to_dict("records")[0] if len(summary_df) else {}
    measured = [r for r in result.rows if r["phase"] == "measure" and r.get("window") is None]
    acc_n = sum(1 for r in measured if r.get("label") is not None)
    pct = _f(s.get("bit_exact_pct"))
    lat = Latency(
        n=int(s.get("n") or 0),
        median_us=_f(s.get("latency_us_median")) or 0.0,
        mean_us=_f(s.get("latency_us_mean")) or 0.0,
        p90_us=_f(s.get("latency_us_p90")) or 0.0,
        p99_us=_f(s.get("latency_us_p99")) or 0.0,
        min_us=_f(s.get("latency_us_min")) or 0.0,
        max_us=_f(s.get("latency_us_max")) or 0.0,
        cv=_f(s.get("latency_us_cv")) or 0.0,
        median_cycles=_f(s.get("cycles_median")),
        cold_us=_f(s.get("cold_latency_us")),
        timing_source=str(s.get("timing_source") or ""),
        emulated=bool(s.get("emulated")),
    )
    return BenchResult(
        run_id=result.run_id,
        run_dir=result.run_dir,
        board=out.job.board.name,
        model=job_meta["model"],
        dataset=job_meta["dataset"],
        latency=lat,
        accuracy=Accuracy(top1=_f(s.get("top1")), top5=_f(s.get("top5")), n=acc_n),
        bit_exact=pct == 100.0,
        bit_exact_pct=pct,
        max_abs_diff_lsb=_f(s.get("max_abs_diff_lsb")),
        arena_used=out.arena_used,
        firmware_sha256=job_meta.get("firmware_sha256"),
        model_sha256=job_meta["model_sha256"],
        summary=s,
        rows=result.rows,
    )


_TAG_UNSAFE = re.compile(r"\s+")


def baseline_tag(nodeid: str, model: str, dataset: str) -> str:
    return _TAG_UNSAFE.sub("_", f"pytest:{nodeid}:{model}:{dataset}")


class HilBench:
    """The callable a test gets as `hil_bench`."""

    def __init__(
        self,
        board: Any,
        nodeid: str,
        results_dir: Path | None,
        baseline: bool,
        sessions: Callable[[], list[DutSession]],
        record: Callable[[str, Any], None],
    ) -> None:
        self.board = board
        self.nodeid = nodeid
        self.results_dir = results_dir
        self.baseline = baseline
        self._sessions = sessions
        self._record = record
        self.runs: list[BenchResult] = []

    def __call__(
        self,
        model: str | Path | None = None,
        dataset: str | Path | None = None,
        *,
        limit: int | None = None,
        warmup: int = 1,
        repeat: int = 1,
        profile: bool = False,
        windows: int = 0,
        label: str | None = None,
    ) -> BenchResult:
        """Benchmark `model` (default: the demo model) on `dataset` (default: the demo
        vectors; required with a model of your own) on this test's board."""
        import pytest

        from hilbench.config import MeasureConfig
        from hilbench.errors import HilbenchError
        from hilbench.runner.bench import run_jobs
        from hilbench.runner.job import Job
        from hilbench.runner.progress import LineProgress

        if model is None:
            from hilbench import demo

            model, dataset = demo.DEMO_MODEL, dataset or demo.DEMO_DATASET
        elif dataset is None:
            raise ValueError(
                "hil_bench(model=...) needs dataset= too (a vector directory, MLPerf Tiny layout)"
            )
        measure = MeasureConfig(windows=windows)
        job = Job(
            self.board,
            Path(model),
            Path(dataset),
            label=label,
            limit=limit,
            warmup=warmup,
            repeat=repeat,
            measure=measure,
            profile=profile,
        )
        self._record("board", self.board.name)
        # A real board has one serial port: this process's idle dut on it steps aside.
        if self.board.kind == "mcu":
            for s in self._sessions():
                if s.board.name == self.board.name and s.is_open:
                    s.suspend()
        lock = acquire_board(self.board, owner=f"hil_bench {self.nodeid}")
        try:
            try:
                prebuild(self.board)
                # progress lines on stderr, as `hilbench run` prints them in a log (shown with -s
                # or in a failed test's captured stderr)
                run = run_jobs(
                    [job], self.results_dir, suite=f"pytest:{self.nodeid}", jobs_progress=LineProgress()
                )
            except HilbenchError as exc:
                pytest.fail(f"hil_bench on {self.board.name}: {exc}", pytrace=False)
        finally:
            lock.release()
        out = run.outcomes[0]
        if out.status != "ok":
            pytest.fail(
                f"hil_bench on {self.board.name}: {out.error_kind or ''} error: {out.error}", pytrace=False
            )
        result = build_result(run)
        self._record("firmware_sha256", result.firmware_sha256)
        self._record("model_sha256", result.model_sha256)
        self._record("hil_run_id", result.run_id)
        if self.baseline:
            self._compare(result)
        self.runs.append(result)
        return result

    def _compare(self, result: BenchResult) -> None:
        import pytest

        from hilbench.locks import BoardLock
        from hilbench.results.comparison import compare_runs
        from hilbench.results.tags import read_tags, set_tag

        tag = baseline_tag(self.nodeid, result.model, result.dataset)
        # tags.json is read-modify-write: one writer at a time across xdist workers.
        with BoardLock("results-tags", owner=f"baseline {tag}"):
            base = read_tags(self.results_dir).get(tag)
            if base is not None and not (Path(self.results_dir or _default_results()) / base).is_dir():
                base = None
            if base is not None:
                result.baseline_run_id = base
                result.verdicts = compare_runs(base, result.run_id, self.results_dir)
            if not result.regressions:
                set_tag(tag, result.run_id, self.results_dir)
        self._record("baseline_run_id", result.baseline_run_id)
        if result.regressions:
            lines = [
                f"{v.metric} {v.effect:+.2%} ({v.method}): {v.detail}"
                if v.effect is not None
                else f"{v.metric}: {v.detail}"
                for v in result.regressions
            ]
            pytest.fail(
                f"hil_bench on {result.board}: regressed against baseline run {result.baseline_run_id}: "
                + "; ".join(lines),
                pytrace=False,
            )


def _default_results() -> Path:
    from hilbench.results.store import default_results_dir

    return default_results_dir()
