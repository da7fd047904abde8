"""A signal during a run.json / batch write waits for the write to finish.

The regression this guards: the writer used to block signals with pthread_sigmask in the
main thread only; with a serial-reader thread alive the kernel handed SIGTERM to that
thread and CPython raised in the main thread mid-`close()`, leaving run.json `running`."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from hilbench.signals import Interrupted, held, stop_on_signals


def _other_thread() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()  # the kernel may deliver to it
    return stop


def test_a_signal_inside_held_is_raised_when_the_block_ends() -> None:
    stop = _other_thread()
    finished = []
    try:
        with stop_on_signals():
            with pytest.raises(Interrupted) as info:
                with held():
                    os.kill(os.getpid(), signal.SIGTERM)
                    for _ in range(50):  # many bytecodes and a sleep: the handler has run by now
                        time.sleep(0.002)
                    finished.append(True)
            assert info.value.name == "SIGTERM" and info.value.exit_code == 143
    finally:
        stop.set()
    assert finished == [True]


def test_nested_held_raises_only_at_the_outermost_end() -> None:
    stop = _other_thread()
    order: list[str] = []
    try:
        with stop_on_signals(), pytest.raises(Interrupted):
            with held():
                with held():
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.05)
                order.append("inner done")
                time.sleep(0.05)
                order.append("outer done")
    finally:
        stop.set()
    assert order == ["inner done", "outer done"]


def test_outside_held_a_signal_raises_at_once() -> None:
    with stop_on_signals(), pytest.raises(Interrupted):
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(1)
        pytest.fail("SIGHUP did not interrupt")
