"""The one small interface every flasher of a real board implements.

A flasher writes an image, verifies it where its tool can, and skips the write when the
board already holds that image (`matches`), so `hilbench flash` twice in a row costs one
connect, not one erase. Every failure is a `FlashError` of one line naming the board and
the tool and carrying the tool's own message, because "flash failed" alone sends the user
to a debugger; "esptool: Failed to connect to ESP32-C3: No serial data received" does not.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from hilbench.errors import DeviceError, ToolMissingError


class FlashError(DeviceError):
    """Flashing a board failed; the message names board, tool and the tool's own words."""


@dataclass(frozen=True)
class FlashResult:
    """What a flash did: `skipped` when the board already held the image, `verified` when
    the tool read the flash back (or hashed it on the device) after writing."""

    board: str
    tool: str
    image: Path
    address: int | None
    skipped: bool
    verified: bool
    seconds: float
    argv: tuple[str, ...] = field(default=())  # the command run, for subprocess tools

    def summary(self) -> str:
        where = f" at {self.address:#x}" if self.address is not None else ""
        if self.skipped:
            return f"{self.board}: {self.image.name}{where} already on the board ({self.tool}); write skipped"
        check = "verified" if self.verified else "not verified (the tool cannot read back)"
        return f"{self.board}: {self.image.name}{where} written with {self.tool} in {self.seconds:.1f} s, {check}"


@runtime_checkable
class Flasher(Protocol):
    """One tool that writes images to one board."""

    tool: str  # "esptool", "pyocd", ... (the boards.toml `flasher` value)
    timeout_s: float

    def matches(self, image: Path, address: int | None = None) -> bool | None:
        """True when the board already holds `image`; None when this tool cannot tell."""
        ...

    def flash(self, image: Path, address: int | None = None, force: bool = False) -> FlashResult:
        """Write `image` (unless it already matches and not `force`), verify, reset."""
        ...


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def one_line(text: str, limit: int = 300) -> str:
    """A tool's message as one line: ANSI colours and blank lines dropped, lines joined."""
    lines = [ln.strip() for ln in _ANSI.sub("", text).splitlines() if ln.strip()]
    joined = " | ".join(lines)
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def tool_error_line(
    output: str, patterns: tuple[str, ...] = ("error", "fail", "no device", "not found")
) -> str:
    """The line of a tool's output that says what went wrong: its first "Error..." line
    (openocd's cause comes first, its summaries after), else the last line matching
    `patterns`, else its last line."""
    lines = [ln.strip() for ln in _ANSI.sub("", output).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error")]
    if errors:
        return errors[0]
    hits = [ln for ln in lines if any(p in ln.lower() for p in patterns)]
    if hits:
        return hits[-1]
    return lines[-1] if lines else "(no output)"


def find_tool(binary: str, package: str) -> str:
    exe = shutil.which(binary)
    if exe is None:
        raise ToolMissingError(f"{binary} not found: install it with `apt-get install {package}`")
    return exe


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int | None  # None: killed at the timeout
    output: str  # stdout and stderr, interleaved as the tool wrote them

    def why(self, timeout_s: float, keywords: tuple[str, ...]) -> str:
        """What went wrong, in one line: the timeout, or the tool's own error line."""
        if self.returncode is None:
            return f"no result within the timeout ({timeout_s:g} s)"
        return tool_error_line(self.output, keywords)


def run_tool(argv: list[str], timeout_s: float) -> ToolRun:
    """Run a flashing tool in its own process group; kill the group at the timeout (a
    tool waiting on a USB device that never appears must not hang the bench)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
        return ToolRun(tuple(argv), proc.returncode, out)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out, _ = proc.communicate()
        return ToolRun(tuple(argv), None, out or "")


class Stopwatch:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.t0


T = TypeVar("T")


def call_with_timeout(
    work: Callable[[], T], timeout_s: float, on_timeout: Callable[[], None], name: str
) -> tuple[bool, T | None, BaseException | None]:
    """Run `work` in a worker thread for tools driven through their Python API (esptool,
    pyocd): (finished, value, error). At the timeout `on_timeout` runs (close the port the
    tool is blocked on) and the caller reports the timeout; a daemon thread never keeps
    hilbench alive after that."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        on_timeout()
        worker.join(5)
        return False, None, None
    return True, box.get("value"), box.get("error")
