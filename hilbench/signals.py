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
        line += (
            f": run {run_id} is partial ({rows} rows kept); finish it with `hilbench run --resume {run_id}`"
        )
    return line


def exit_code(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, Interrupted) else 130


class _State:
    """What the handler installed by `stop_on_signals` knows (main thread only)."""

    def __init__(self) -> None:
        self.active = False
        self.fired: list[int] = []
        self.depth = 0  # > 0 inside `held()`
        self.pending: list[int] = []


_state = _State()


@contextmanager
def held() -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP until the block is done (a run.json or batch write).

    Blocking the signal with pthread_sigmask is not enough: the kernel then hands it to
    any other thread (a serial reader, a board worker), and CPython runs the Python
    handler in the main thread at its next bytecode regardless of the main thread's mask.
    So the handler itself checks this flag and keeps the signal until the block ends.
    Nests; a no-op outside the main thread, where Python handlers never run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending and _state.active:
            signum = _state.pending.pop(0)
            _state.pending.clear()
            _state.fired.append(signum)
            raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into `Interrupted` in the main thread (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if _state.fired:
            return  # cleanup of the first signal is running: let it finish
        if _state.depth:
            if not _state.pending:
                _state.pending.append(signum)
            return  # raised when the write in progress is done (see `held`)
        _state.fired.append(signum)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in HANDLED}
    _state.active, _state.fired, _state.pending = True, [], []
    try:
        yield
    finally:
        _state.active = False
        for s, h in previous.items():
            signal.signal(s, h)
