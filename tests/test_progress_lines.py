"""Progress a log can show (hilbench.runner.progress).

Before: rich's transient bar drew nothing when stderr was not a terminal, so a nightly
job's log was silent for the whole run. Now, off a terminal, one line per job start and
end, and one every 10 % of the job or every 30 s, whichever comes first.

(a) the line reporter with an injected clock: every N, every interval, start / end lines,
    rate and ETA arithmetic, the failed end line;
(b) `hilbench run` (the default emulated board, a few vectors) with stderr piped: the
    start line, at least one intermediate line, the end line with the total.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hilbench.runner.progress import LineProgress, every_n, format_duration, job_label
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool, shared_path


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def reporter(interval_s: float = 30.0) -> tuple[LineProgress, list[str], Clock]:
    lines: list[str] = []
    clock = Clock()
    return LineProgress(lines.append, interval_s=interval_s, clock=clock), lines, clock


LABEL = job_label("mps2-an386", "kws_ref_model")


def test_start_every_n_and_end_lines_with_rate_and_eta() -> None:
    p, lines, clock = reporter()
    p.start("j", LABEL, 1000, note="kws01")
    assert lines == ["hilbench: [mps2-an386 × kws_ref_model] start: 1000 inferences (kws01)"]
    for _ in range(99):  # 10 s for 99 inferences: below N = 100, below 30 s
        clock.t += 10 / 99
        p.advance("j")
    assert len(lines) == 1
    clock.t = 110.0 + 2.0
    p.advance("j")  # the 100th, at 12 s: 8.33/s, 900 to go -> 108 s
    assert lines[-1] == "hilbench: [mps2-an386 × kws_ref_model] 100/1000 inferences, 8.3/s, ETA 108 s"
    clock.t += 1
    p.advance("j", 150)  # 250 at 13 s: 19.2/s, 750 to go -> 39 s
    assert lines[-1] == "hilbench: [mps2-an386 × kws_ref_model] 250/1000 inferences, 19.2/s, ETA 39 s"
    clock.t = 150.0
    p.advance("j", 750)
    p.finish("j")
    assert lines[-1] == "hilbench: [mps2-an386 × kws_ref_model] done: 1000/1000 inferences in 50.0 s, 20.0/s"
    assert len(lines) == 5


def test_interval_line_when_n_is_far() -> None:
    p, lines, clock = reporter(interval_s=30.0)
    p.start("j", LABEL, 10_000)  # N = 1000
    for _ in range(1, 40):
        clock.t += 1.0
        p.advance("j", 2)
    # one line at 30 s (60 done), none before, the next one due only at 60 s
    assert lines[1:] == ["hilbench: [mps2-an386 × kws_ref_model] 60/10000 inferences, 2.0/s, ETA 1 h 22 min"]
    p.finish("j", error="link broke")
    assert lines[-1] == "hilbench: [mps2-an386 × kws_ref_model] failed after 78/10000 inferences in 39.0 s"


def test_interval_zero_means_every_n_only_and_tiny_jobs_get_n_of_one() -> None:
    assert every_n(5) == 1 and every_n(1000) == 100 and every_n(1001) == 100 and every_n(None) is None
    p, lines, clock = reporter(interval_s=0)
    p.start("j", "host × m", 3)
    for _ in range(3):
        clock.t += 100
        p.advance("j")
    assert [ln.split("] ")[1] for ln in lines] == [
        "start: 3 inferences",
        "1/3 inferences, 0.01/s, ETA 3 min 20 s",
        "2/3 inferences, 0.01/s, ETA 100 s",
        "3/3 inferences, 0.01/s, ETA 0 s",
    ]


def test_total_known_late_and_absolute_updates() -> None:
    """MLPerf Tiny's runner reports (done, total) and knows the total only once it runs."""
    p, lines, clock = reporter()
    p.start("m", "b × m MLPerf Tiny accuracy", None, unit="vectors")
    assert lines[-1] == "hilbench: [b × m MLPerf Tiny accuracy] start"
    clock.t += 4
    p.update("m", 50, 500)
    assert lines[-1].endswith("] 50/500 vectors, 12.5/s, ETA 36 s")
    p.update("m", 60, 500)
    assert len(lines) == 2
    p.advance("unknown job")  # never started: ignored, not an error
    p.finish("unknown job")
    assert len(lines) == 2


def test_two_jobs_at_once_keep_their_own_counts() -> None:
    p, lines, clock = reporter()
    p.start("a", "b1 × m", 10)
    p.start("b", "b2 × m", 20)
    clock.t += 1
    p.advance("a")
    p.advance("b", 2)
    assert lines[2:] == [
        "hilbench: [b1 × m] 1/10 inferences, 1.0/s, ETA 9 s",
        "hilbench: [b2 × m] 2/20 inferences, 2.0/s, ETA 9 s",
    ]


@pytest.mark.parametrize(
    "s,text", [(0, "0 s"), (35.4, "35 s"), (119, "119 s"), (250, "4 min 10 s"), (3725, "1 h 02 min")]
)
def test_durations(s: float, text: str) -> None:
    assert format_duration(s) == text


LINE = re.compile(r"^hilbench: \[mps2-an386 × digits_mlp\] (.*)$")


@pytest.mark.emulated
def test_hilbench_run_with_stderr_piped_prints_progress_lines(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    r = run_cli(
        "run", "--limit", "20", "--no-report", "--no-profile", "--results-dir", str(tmp_path), cwd=ROOT
    )
    assert r.code == 0, r.stderr
    got = [m.group(1) for ln in r.stderr.splitlines() if (m := LINE.match(ln))]
    assert got, r.stderr
    total = 1 + 20  # one warm-up, 20 vectors
    assert got[0] == f"start: {total} inferences (digits)", got
    assert re.fullmatch(rf"done: {total}/{total} inferences in [0-9.]+ s, [0-9.]+/s", got[-1]), got
    middle = got[1:-1]
    assert middle and all(
        re.fullmatch(rf"\d+/{total} inferences, [0-9.]+/s, ETA \d+ s", m) for m in middle
    ), got
    done = [int(m.split("/")[0]) for m in middle]
    assert done == sorted(done) and len(middle) >= 5  # every 10 % (2 inferences) at most once


def test_terminal_gets_the_bar_named_board_x_model_and_a_pipe_gets_lines() -> None:
    import io

    from rich.console import Console

    from hilbench.runner.progress import BarProgress, job_progress

    tty = Console(file=io.StringIO(), force_terminal=True, force_interactive=True, width=100)
    with job_progress(tty) as jp:
        assert isinstance(jp, BarProgress)
        jp.start("j", job_label("mps2-an386", "kws_ref_model"), 10)
        jp.advance("j", 4)
        tasks = jp._bar.tasks  # the bar's own state: what a terminal shows
        assert [(t.description, t.completed, t.total) for t in tasks] == [
            ("mps2-an386 × kws_ref_model", 4, 10)
        ]
        jp.finish("j")
    out = io.StringIO()
    pipe = Console(file=out, force_terminal=False, width=100)
    with job_progress(pipe) as jp:
        assert isinstance(jp, LineProgress)
        jp.start("j", "host × m", 2)
    assert out.getvalue() == "hilbench: [host × m] start: 2 inferences\n"


@pytest.mark.emulated
def test_mlperf_tiny_run_prints_the_same_lines(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    data = shared_path("datasets", "kws01")
    shared_path("models", "mlperf-tiny", "kws_ref_model.tflite")  # the board's model
    r = run_cli(
        "run",
        "-b",
        "mps2-an386-mlperf",
        "--mlperf-tiny",
        "accuracy",
        "-d",
        str(data),
        "--limit",
        "10",
        "--no-report",
        "--results-dir",
        str(tmp_path),
    )
    assert r.code == 0, r.stderr
    label = re.escape("hilbench: [mps2-an386-mlperf × kws_ref_model MLPerf Tiny accuracy] ")
    got = [ln for ln in r.stderr.splitlines() if re.match(label, ln)]
    assert got[0].endswith("] start") and re.search(r"\] done: 10/10 vectors in [0-9.]+ s", got[-1]), got
    assert any(re.search(r"\] \d/10 vectors, [0-9.]+/s, ETA \d+ s$", ln) for ln in got[1:-1]), got
