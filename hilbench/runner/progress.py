"""Progress of a run's jobs: a rich bar on a terminal, plain lines in a log.

Why: rich's transient bar draws nothing when stderr is not a terminal, so a nightly job's
log said nothing for the whole run. Off a terminal, `LineProgress` prints one line per job
start and end, and one every N inferences (10 % of the job, at least 1) or every
`interval_s` seconds (30), whichever comes first, as twister does:

    hilbench: [mps2-an386 × kws_ref_model] start: 1001 inferences (kws01)
    hilbench: [mps2-an386 × kws_ref_model] 250/1001 inferences, 21.3/s, ETA 35 s
    hilbench: [mps2-an386 × kws_ref_model] done: 1001/1001 inferences in 47.0 s, 21.3/s

The runner and the MLPerf Tiny runner call one small interface, `JobProgress`
(start / advance / update / finish, keyed by job id; thread-safe: boards run in parallel);
`job_progress()` picks the bar or the lines for a console.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

DEFAULT_INTERVAL_S = 30.0
DEFAULT_FRACTION = 0.10
PREFIX = "hilbench: "


class JobProgress(Protocol):
    """What a runner tells about its jobs' progress."""

    def start(
        self, key: str, label: str, total: int | None, unit: str = "inferences", note: str = ""
    ) -> None:
        """Job `key` (shown as `label`, e.g. "board × model") begins; `total` units expected."""

    def advance(self, key: str, n: int = 1) -> None:
        """`n` more units of job `key` are done."""

    def update(self, key: str, done: int, total: int | None = None) -> None:
        """Job `key` has `done` units done (of `total`, if that is known only now)."""

    def finish(self, key: str, error: str | None = None) -> None:
        """Job `key` ended (with `error`, if it failed)."""


def job_label(board: str, model: str) -> str:
    return f"{board} × {model}"


def format_duration(seconds: float) -> str:
    """35 s, 4 min 10 s, 1 h 02 min: short enough for a log line, exact enough for an ETA."""
    s = max(0, round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def every_n(total: int | None, fraction: float = DEFAULT_FRACTION) -> int | None:
    """A line every this many units: `fraction` of the job, at least 1 (None: total unknown)."""
    if not total:
        return None
    return max(1, int(total * fraction))


@dataclass
class _Job:
    label: str
    total: int | None
    unit: str
    t0: float
    done: int = 0
    last_t: float = 0.0
    last_done: int = 0


class LineProgress:
    """Plain progress lines for logs (stderr not a terminal). `clock` is injectable for tests."""

    def __init__(
        self,
        write: Callable[[str], None] | None = None,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        fraction: float = DEFAULT_FRACTION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write or _stderr_line
        self.interval_s = interval_s
        self.fraction = fraction
        self._clock = clock
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def _line(self, j: _Job, text: str) -> None:
        self._write(f"{PREFIX}[{j.label}] {text}")

    def start(
        self, key: str, label: str, total: int | None, unit: str = "inferences", note: str = ""
    ) -> None:
        with self._lock:
            now = self._clock()
            j = self._jobs[key] = _Job(label, total, unit, now, last_t=now)
            size = f": {total} {unit}" if total is not None else ""  # MLPerf Tiny: known once it runs
            self._line(j, f"start{size}" + (f" ({note})" if note else ""))

    def advance(self, key: str, n: int = 1) -> None:
        with self._lock:
            j = self._jobs.get(key)
            if j is not None:
                self._moved(j, j.done + n)

    def update(self, key: str, done: int, total: int | None = None) -> None:
        with self._lock:
            j = self._jobs.get(key)
            if j is not None:
                if total is not None:
                    j.total = total
                self._moved(j, done)

    def _moved(self, j: _Job, done: int) -> None:
        j.done = done
        now = self._clock()
        n = every_n(j.total, self.fraction)
        due = (n is not None and done - j.last_done >= n) or (
            self.interval_s > 0 and now - j.last_t >= self.interval_s
        )
        if due and done != j.last_done:
            j.last_t, j.last_done = now, done
            self._line(j, self.status(j, now))

    def status(self, j: _Job, now: float) -> str:
        """`250/1000 inferences, 21.3/s, ETA 35 s` (rate and ETA once anything is done)."""
        elapsed = now - j.t0
        of = f"{j.done}/{j.total}" if j.total is not None else f"{j.done}"
        text = f"{of} {j.unit}"
        if j.done and elapsed > 0:
            rate = j.done / elapsed
            text += f", {_rate(rate)}/s"
            if j.total is not None:
                text += f", ETA {format_duration(max(0, j.total - j.done) / rate)}"
        return text

    def finish(self, key: str, error: str | None = None) -> None:
        with self._lock:
            j = self._jobs.pop(key, None)
            if j is None:
                return
            elapsed = self._clock() - j.t0
            of = f"{j.done}/{j.total}" if j.total is not None else f"{j.done}"
            rate = f", {_rate(j.done / elapsed)}/s" if j.done and elapsed > 0 else ""
            if error is None:
                self._line(j, f"done: {of} {j.unit} in {elapsed:.1f} s{rate}")
            else:
                self._line(j, f"failed after {of} {j.unit} in {elapsed:.1f} s")  # the error has its own line


def _rate(r: float) -> str:
    return f"{r:.1f}" if r >= 1 else f"{r:.2g}"


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class BarProgress:
    """A rich bar per running job, described as "board × model" (a terminal)."""

    def __init__(self, bar: Any, placeholder: int | None = None) -> None:
        self._bar = bar
        self._placeholder = placeholder  # "starting devices": until the first job starts
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start(
        self, key: str, label: str, total: int | None, unit: str = "inferences", note: str = ""
    ) -> None:
        with self._lock:
            if self._placeholder is not None:
                self._bar.remove_task(self._placeholder)
                self._placeholder = None
            self._tasks[key] = self._bar.add_task(label, total=total)

    def advance(self, key: str, n: int = 1) -> None:
        with self._lock:
            if key in self._tasks:
                self._bar.update(self._tasks[key], advance=n)

    def update(self, key: str, done: int, total: int | None = None) -> None:
        with self._lock:
            if key in self._tasks:
                if total is not None:
                    self._bar.update(self._tasks[key], completed=done, total=total)
                else:
                    self._bar.update(self._tasks[key], completed=done)

    def finish(self, key: str, error: str | None = None) -> None:
        with self._lock:
            task = self._tasks.pop(key, None)
            if task is not None:
                self._bar.remove_task(task)


@contextmanager
def job_progress(
    console: Any,
    interval_s: float = DEFAULT_INTERVAL_S,
    placeholder: str = "starting devices",
    stream: TextIO | None = None,
) -> Iterator[JobProgress]:
    """The bar when `console` (a rich Console on stderr) is an interactive terminal, else lines."""
    if not console.is_interactive:
        out = stream or console.file

        def write(line: str) -> None:
            out.write(line + "\n")
            out.flush()

        yield LineProgress(write, interval_s=interval_s)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        yield BarProgress(bar, bar.add_task(placeholder, total=None))


def interval_from(raw: str | None) -> float:
    """--progress-interval / HILBENCH_PROGRESS_INTERVAL as seconds (0: lines every N only)."""
    from hilbench.envvars import option_value, parse_float

    return option_value(
        raw,
        "--progress-interval",
        "HILBENCH_PROGRESS_INTERVAL",
        lambda s: parse_float(s, 0.0),
        "a number of seconds >= 0",
        DEFAULT_INTERVAL_S,
    )
