"""Cross-process locks on boards: one user of a board at a time, across processes.

Why: under pytest-xdist (`-n 4`) several worker processes run hil tests at once, and a
board (a serial port, a QEMU instance, the host firmware) must never be driven by two of
them together. A lock is an `fcntl.flock` on a file `<lock dir>/<key>.lock`; the kernel
drops it when the holding process exits, however it exits, so a crashed worker never
leaves a board locked.

- Lock dir: `$HILBENCH_LOCK_DIR`, else `<tmp>/hilbench-locks` (shared by every user of the
  machine, as the boards are).
- Key: the board name; a real board with a serial `port` is keyed by the port's real
  path, so two boards.toml entries for one device share one lock.
- Re-entrant within a process: taking a lock this process already holds only counts, so
  a `hil_bench` run inside a test that holds the same board's `dut` does not wait on
  itself.
- The lock file names its holder (pid, host, what for) so a wait that times out says
  who has the board; a process waiting for a lock leaves a `<key>.wait.<pid>` file, so
  a holder that keeps a board open between tests can hand it over (`others_waiting`).

Only the stdlib is imported here: the pytest plugin uses this module.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hilbench import envvars
from hilbench.errors import HilbenchError

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
NOTICE_EVERY_S = 30.0  # how often a waiting process says it is still waiting


def _to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def lock_timeout() -> float | None:
    """$HILBENCH_LOCK_TIMEOUT seconds (default 1800; 0 or negative: wait for ever)."""
    return envvars.lock_timeout()


@contextmanager
def physical_board_lock(board: Any, owner: str) -> Iterator[None]:
    """Hold the board's lock while the block runs if the board is a physical device
    (kind "mcu": one serial port, one board). Emulated and native boards are new
    processes per session, so two runs on one of them never collide and take no lock."""
    if getattr(board, "kind", None) != "mcu":
        yield
        return
    lock = BoardLock(lock_key(board), owner=owner)
    lock.acquire(timeout=lock_timeout())
    try:
        yield
    finally:
        lock.release()


class LockTimeout(HilbenchError):
    """A board stayed locked by another process for longer than the timeout."""


def lock_dir() -> Path:
    """Where lock files live: $HILBENCH_LOCK_DIR, else <tmp>/hilbench-locks."""
    env = os.environ.get("HILBENCH_LOCK_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "hilbench-locks"


def lock_key(board: Any) -> str:
    """The lock name of a board (a BoardConfig or anything with `name` and `port`)."""
    port = getattr(board, "port", None)
    if port and "://" not in port:
        return "port" + _SAFE.sub("_", os.path.realpath(port))
    return "board-" + _SAFE.sub("_", str(getattr(board, "name", board)))


class _Held:
    def __init__(self, fd: int, pid: int) -> None:
        self.fd = fd
        self.pid = pid
        self.count = 1


_held: dict[str, _Held] = {}
_guard = threading.RLock()


class BoardLock:
    """An exclusive, re-entrant (per process) lock named `key`.

    >>> with BoardLock("board-mps2-an386", owner="my test"):
    ...     pass  # nobody else in any process holds board mps2-an386 here
    """

    def __init__(self, key: str, directory: str | Path | None = None, owner: str = "") -> None:
        self.key = _SAFE.sub("_", key)
        self.directory = Path(directory) if directory is not None else lock_dir()
        self.path = self.directory / f"{self.key}.lock"
        self.owner = owner
        self._mine = False  # this object has taken one count of the process's hold

    @property
    def held(self) -> bool:
        return self._mine

    def try_acquire(self) -> bool:
        """Take the lock if it is free (or already this process's); never wait."""
        return self._take(blocking=False)

    def acquire(
        self,
        timeout: float | None = None,
        poll: float = 0.05,
        notify: Callable[[str], None] | None = None,
        notice_every: float = NOTICE_EVERY_S,
    ) -> None:
        """Wait for the lock, at most `timeout` seconds (None: for ever). While waiting,
        a `<key>.wait.<pid>` file says so (`others_waiting` reads them).

        A wait is never silent: once when it starts and then every `notice_every` seconds
        a line naming the lock and its holder goes to `notify` (default: stderr), and a
        timeout's error names the holder too.
        """
        if self._take(blocking=False):
            return
        say = notify if notify is not None else _to_stderr
        start = time.monotonic()
        end = None if timeout is None else start + timeout
        limit = "no timeout" if timeout is None else f"timeout {timeout:g} s"
        say(f"hilbench: waiting for board lock {self.key!r} held by {self._holder_text()} ({limit})")
        next_notice = start + notice_every
        wait_file = self.directory / f"{self.key}.wait.{os.getpid()}"
        try:
            wait_file.touch()
        except OSError:
            pass
        try:
            while not self._take(blocking=False):
                now = time.monotonic()
                if end is not None and now >= end:
                    raise LockTimeout(
                        f"{self.path}: still locked after {timeout:g} s by {self._holder_text()} "
                        f"(board lock {self.key!r}; HILBENCH_LOCK_TIMEOUT sets the wait)"
                    )
                if now >= next_notice:
                    say(
                        f"hilbench: still waiting for board lock {self.key!r} after {now - start:.0f} s, "
                        f"held by {self._holder_text()} ({limit})"
                    )
                    next_notice += notice_every
                time.sleep(poll)
        finally:
            try:
                wait_file.unlink()
            except OSError:
                pass

    def _holder_text(self) -> str:
        return self.holder() or "an unknown process (its lock file names no holder)"

    def others_waiting(self) -> bool:
        """Whether another live process on this host is waiting for this lock."""
        me = os.getpid()
        for f in self.directory.glob(f"{self.key}.wait.*"):
            try:
                pid = int(f.name.rsplit(".", 1)[1])
            except ValueError:
                continue
            if pid == me:
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                try:  # left behind by a process that died waiting
                    f.unlink()
                except OSError:
                    pass
                continue
            except PermissionError:
                pass  # alive, another user's
            return True
        return False

    def release(self) -> None:
        if not self._mine:
            return
        self._mine = False
        with _guard:
            h = _held.get(str(self.path))
            if h is None or h.pid != os.getpid():
                return
            h.count -= 1
            if h.count > 0:
                return
            del _held[str(self.path)]
            try:
                fcntl.flock(h.fd, fcntl.LOCK_UN)
            finally:
                os.close(h.fd)

    def holder(self) -> str | None:
        """What the lock file says about its current (or last) holder."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        return text or None

    def _take(self, blocking: bool) -> bool:
        if self._mine:
            return True
        path = str(self.path)
        with _guard:
            h = _held.get(path)
            if h is not None and h.pid != os.getpid():  # inherited across fork: not ours
                del _held[path]
                h = None
            if h is not None:
                h.count += 1
                self._mine = True
                return True
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            _held[path] = _Held(fd, os.getpid())
            self._mine = True
        self._note_holder(fd)
        return True

    def _open(self) -> int:
        try:
            if not self.directory.is_dir():
                self.directory.mkdir(parents=True, exist_ok=True)
                try:  # one lock directory for every user of the machine (the boards are shared)
                    os.chmod(self.directory, 0o1777)
                except OSError:
                    pass
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.path, flags, 0o666)
        except OSError as exc:
            raise HilbenchError(
                f"{self.path}: cannot create the board lock file: {exc.strerror or exc} "
                "(HILBENCH_LOCK_DIR sets the lock directory)"
            ) from None
        try:
            os.fchmod(fd, 0o666)
        except OSError:
            pass
        return fd

    def _note_holder(self, fd: int) -> None:
        text = f"pid {os.getpid()} on {socket.gethostname()}"
        if self.owner:
            text += f" ({self.owner})"
        data = (text + f" since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n").encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError:
            pass

    def __enter__(self) -> BoardLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def held_keys() -> list[str]:
    """Keys of the locks this process holds (for tests and diagnostics)."""
    with _guard:
        return sorted(Path(p).stem for p, h in _held.items() if h.pid == os.getpid())
