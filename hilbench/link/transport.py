"""Byte pipes to a DUT: the only place that knows what carries the bytes.

A serial port, a QEMU pty, a `socket://` or `rfc2217://` URL (ser2net, labgrid) all go
through pyserial; the host build of the firmware runs as a subprocess talking over its
stdin/stdout. The protocol layer above sees the same `Transport` for all of them.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from typing import Protocol

from hilbench.errors import LinkError


class Transport(Protocol):
    """A bidirectional byte stream to one DUT."""

    name: str

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Bytes that arrived within timeout seconds (at least one, or b"" on timeout)."""
        ...

    def close(self) -> None: ...


class SerialTransport:
    """pyserial port or URL; opened once and kept open for the whole session.

    Keeping it open matters on QEMU ptys: guest output written while no host has the
    pty open is lost (docs/architecture.md §5).
    """

    def __init__(self, url: str, baudrate: int = 115200) -> None:
        import serial  # pyserial; imported here so `import hilbench` stays light

        self.name = url
        try:
            self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0, write_timeout=30)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open serial port {url}: {exc}") from None
        self._serial = serial

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (self._serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.name}: write failed: {exc}") from None

    def read(self, timeout: float) -> bytes:
        try:
            self._port.timeout = max(timeout, 0.0)
            first = self._port.read(1)
            if not first:
                return b""
            self._port.timeout = 0
            waiting = self._port.in_waiting
            return first + (self._port.read(waiting) if waiting else b"")
        except (self._serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.name}: read failed: {exc}") from None

    def close(self) -> None:
        try:
            self._port.close()
        except Exception:
            pass


class ProcessTransport:
    """The host build of the firmware as a child process speaking over stdin/stdout."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = " ".join(argv)
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise LinkError(f"cannot start {argv[0]}: {exc}") from None
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin
        self._out = self._proc.stdout.fileno()

    @property
    def process(self) -> subprocess.Popen:
        return self._proc

    def write(self, data: bytes) -> None:
        try:
            self._in.write(data)
            self._in.flush()
        except (BrokenPipeError, OSError):
            raise LinkError(f"{self.name}: DUT process exited ({self._exit_note()})") from None

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._out], [], [], max(timeout, 0.0))
        if not ready:
            return b""
        data = os.read(self._out, 65536)
        if not data:
            time.sleep(0.01)
            raise LinkError(f"{self.name}: DUT process closed its output ({self._exit_note()})")
        return data

    def _exit_note(self) -> str:
        code = self._proc.poll()
        if code is None:
            return "still running"
        err = b""
        if self._proc.stderr is not None:
            try:
                err = self._proc.stderr.read() or b""
            except OSError:
                pass
        tail = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
        return f"exit code {code}" + (f": {tail[0]}" if tail else "")

    def close(self) -> None:
        try:
            self._in.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        if self._proc.stderr is not None:
            self._proc.stderr.close()
