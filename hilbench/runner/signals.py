"""SIGINT, SIGTERM and SIGHUP end a run the same clean way.

`timeout`, CI cancellation and a closed terminal send SIGTERM or SIGHUP, not Ctrl-C, and
Python's default for those is to die on the spot: no rows flushed, QEMU and its temporary
directory left to chance. Inside `stop_on_signals()` each of the three raises
`Interrupted` (a KeyboardInterrupt, so every `finally` and context manager on the way out
runs: the runner flushes its rows, marks the run partial naming the signal, closes the
devices). A second signal while that cleanup runs is noted and ignored, so a
double Ctrl-C cannot cut the cleanup short. The CLI exits 128 + the signal number (130,
143, 129), the shell convention.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)


def signal_name(exc: BaseException) -> str:
    return exc.name if isinstance(exc, Interrupted) else "SIGINT"


def interrupted_message(exc: BaseException) -> str:
    """The CLI's one line: which signal, and what became of the run it stopped."""
    run = getattr(exc, "hilbench_run", None)
    line = f"hilbench: interrupted by {signal_name(exc)}"
    if run:
        run_id, rows = run
        line += (f": run {run_id} is partial ({rows} rows kept); finish it with `hilbench run --resume {run_id}`")
    return line


def exit_code(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, Interrupted) else 130


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into `Interrupted` in the main thread (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return  # cleanup of the first signal is running: let it finish
        fired.append(signum)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in HANDLED}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
