"""Waiting for a board lock is never silent, and a timeout names the holder.

Before: a process waited up to 1800 s (HILBENCH_LOCK_TIMEOUT) for a board held by another
without printing anything.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hilbench.locks import BoardLock, LockTimeout

_HOLDER = """
import sys
from hilbench.locks import BoardLock
lock = BoardLock(sys.argv[1], directory=sys.argv[2], owner="nightly suite")
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""

_WAITER = """
import sys
from hilbench.locks import BoardLock, LockTimeout
try:
    BoardLock(sys.argv[1], directory=sys.argv[2]).acquire(timeout=0.5)
except LockTimeout as exc:
    print("timeout:", exc)
"""


@pytest.fixture()
def holder(tmp_path: Path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, "board-nano", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    assert proc.stdin is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=10)


def test_wait_says_so_at_start_and_periodically_and_timeout_names_holder(tmp_path: Path, holder) -> None:
    lines: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(LockTimeout) as err:
        BoardLock("board-nano", directory=tmp_path).acquire(
            timeout=1.5, notify=lines.append, notice_every=0.4
        )
    assert time.monotonic() - t0 >= 1.5
    who = rf"pid {holder.pid} on \S+ \(nightly suite\) since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re_match(
        rf"hilbench: waiting for board lock 'board-nano' held by {who} \(timeout 1.5 s\)$", lines[0]
    )
    assert 2 <= len(lines) - 1 <= 4, lines  # about every 0.4 s over 1.5 s
    for ln in lines[1:]:
        assert re_match(
            rf"hilbench: still waiting for board lock 'board-nano' after \d+ s, held by {who}", ln
        )
    assert re_match(
        rf".*board-nano\.lock: still locked after 1.5 s by {who} \(board lock 'board-nano'; "
        r"HILBENCH_LOCK_TIMEOUT sets the wait\)$",
        str(err.value),
    )


def test_default_notice_goes_to_stderr_once_for_a_short_wait(tmp_path: Path, holder) -> None:
    r = subprocess.run(
        [sys.executable, "-c", _WAITER, "board-nano", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith(
        "hilbench: waiting for board lock 'board-nano' held by pid "
    ), r.stderr
    assert err[0].endswith("(timeout 0.5 s)")
    assert "waiting" not in r.stdout and f"by pid {holder.pid}" in r.stdout


def test_free_lock_prints_nothing(tmp_path: Path) -> None:
    lines: list[str] = []
    lock = BoardLock("board-free", directory=tmp_path)
    lock.acquire(timeout=1, notify=lines.append)
    lock.release()
    assert lines == []


def re_match(pattern: str, text: str) -> bool:
    import re

    assert re.match(pattern, text), (pattern, text)
    return True


def test_bad_lock_timeout_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from hilbench.errors import HilbenchError
    from hilbench.locks import lock_timeout

    monkeypatch.setenv("HILBENCH_LOCK_TIMEOUT", "30min")
    with pytest.raises(HilbenchError, match=r"^HILBENCH_LOCK_TIMEOUT='30min': not a number of seconds"):
        lock_timeout()
    monkeypatch.setenv("HILBENCH_LOCK_TIMEOUT", "0")
    assert lock_timeout() is None
    monkeypatch.setenv("HILBENCH_LOCK_TIMEOUT", "2.5")
    assert lock_timeout() == 2.5


def test_unusable_lock_dir_is_one_clear_error(tmp_path: Path) -> None:
    from hilbench.errors import HilbenchError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(
        HilbenchError, match=r"board-x\.lock: cannot create the board lock file: .*HILBENCH_LOCK_DIR"
    ):
        BoardLock("board-x", directory=blocker).try_acquire()
