"""`hilbench serve` and `hilbench proxy` as test fixtures use them: children whose first
stdout line (`hilbench serve: board X on /dev/pts/N`, `hilbench proxy: listening on ...`)
gives the address, and a boards.toml with a `kind = "mcu"` board on such a port."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.clihelp import ROOT


class Child:
    """A `hilbench` subprocess whose first stdout line we wait for; always killed."""

    def __init__(self, *args: str, prefix: str, timeout: float = 60.0) -> None:
        env = dict(os.environ, COLUMNS="200")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hilbench", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        end = time.monotonic() + timeout
        line = ""
        while time.monotonic() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith(prefix):
            self.kill()
            raise AssertionError(f"{args}: expected '{prefix} ...', got {line!r}; stderr: {self.stderr()}")
        self.address = line.strip().rsplit(" ", 1)[1]

    def stderr(self) -> str:
        try:
            _, err = self.proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            return ""
        return err or ""

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def mcu_boards(tmp_path: Path, port: str) -> Path:
    p = tmp_path / "boards.toml"
    p.write_text(
        f'[boards.bench-mcu]\nkind = "mcu"\ncore = "cortex-m4f"\nclock_hz = 25_000_000\nport = "{port}"\n'
    )
    return p


@contextmanager
def served(board: str = "mps2-an386") -> Iterator[Child]:
    """`hilbench serve BOARD` running (its image built first), killed at the end."""
    from hilbench import firmware
    from tests.conftest import need_tool

    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    firmware.build_image(board)
    serve = Child(
        "serve",
        board,
        "--boards",
        str(ROOT / "boards.toml"),
        prefix=f"hilbench serve: board {board} on /dev/pts/",
    )
    try:
        yield serve
    finally:
        serve.kill()
