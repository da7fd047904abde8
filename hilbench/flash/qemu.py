"""Start and stop a QEMU emulated board, with no way to leave an orphan behind.

QEMU is started stopped (-S) with its serial port on a pty and a QMP socket; the host
opens the pty first, then resumes the CPU over QMP, so no guest output is lost
(docs/architecture.md §5). QEMU runs in its own process group and gets SIGKILL if hilbench dies
(PR_SET_PDEATHSIG), and `close()` kills the group on every exit path.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from hilbench.errors import DeviceError, ToolMissingError

_PTY_RE = re.compile(rb"char device redirected to (/dev/pts/\d+)")
_PR_SET_PDEATHSIG = 1


def qemu_package(binary: str) -> str:
    """The Debian package that provides a qemu-system-* binary."""
    target = Path(binary).name.removeprefix("qemu-system-")
    if target in ("arm", "aarch64"):
        return "qemu-system-arm"
    if target in ("x86_64", "i386"):
        return "qemu-system-x86"
    for family in ("ppc", "mips", "sparc", "s390x"):
        if target.startswith(family):
            return f"qemu-system-{family}"
    return "qemu-system-misc"  # riscv32, riscv64, xtensa, m68k, ...


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when hilbench's process ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class QemuProcess:
    """One QEMU instance running a firmware image, its serial port on a pty."""

    def __init__(
        self,
        binary: str,
        machine: str,
        kernel: Path,
        cpu: str | None = None,
        icount_shift: int | None = 0,
        extra_args: list[str] | None = None,
        start_timeout: float = 15.0,
    ) -> None:
        exe = shutil.which(binary)
        if exe is None:
            pkg = qemu_package(binary)
            raise ToolMissingError(f"{binary} not found: install it with `apt-get install {pkg}`")
        self._tmp = tempfile.TemporaryDirectory(prefix="hilbench-qemu-")
        self.qmp_path = Path(self._tmp.name) / "qmp.sock"
        argv = [exe, "-M", machine]
        if cpu:
            argv += ["-cpu", cpu]
        argv += ["-kernel", str(kernel), "-display", "none", "-monitor", "none", "-serial", "pty", "-S"]
        argv += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        argv += ["-semihosting-config", "enable=on,target=native"]
        if icount_shift is not None:
            argv += ["-icount", f"shift={icount_shift}"]
        argv += list(extra_args or [])
        self.argv = argv
        self.pty: str | None = None
        self._proc: subprocess.Popen | None = None
        self._exit_stderr: str | None = None
        self._start(start_timeout)

    def _start(self, timeout: float) -> None:
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert self._proc.stdout is not None
        out = b""
        end = time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while self.pty is None:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace").strip() if self._proc.stderr else ""
                self.close()
                from hilbench.devices.recovery import describe_returncode

                code = self._proc.returncode
                tail = (
                    err.splitlines()[-1] if err and code >= 0 else f"exited with {describe_returncode(code)}"
                )
                raise DeviceError(f"QEMU ({self.argv[0]} -M {self.argv[2]}) failed to start: {tail}")
            if time.monotonic() > end:
                self.close()
                raise DeviceError(f"QEMU did not report its serial pty within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 4096)
                out += chunk
                m = _PTY_RE.search(out)
                if m:
                    self.pty = m.group(1).decode()

    def resume(self) -> None:
        """Let the CPU run (QMP `cont`); call after the pty is open."""
        try:
            self._qmp("cont")
        except (OSError, ValueError) as exc:
            raise DeviceError(
                f"QEMU ({self.argv[0]} -M {self.argv[2]}) stopped before it ran: {self._stderr_tail() or exc}"
            ) from None

    def _stderr_tail(self) -> str:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return ""
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return ""
        lines = [ln for ln in proc.stderr.read().decode(errors="replace").splitlines() if ln.strip()]
        return lines[0].strip() if lines else ""

    def _qmp(self, command: str, timeout: float = 5.0) -> dict:
        end = time.monotonic() + timeout
        while not self.qmp_path.exists():
            if time.monotonic() > end:
                raise DeviceError("QEMU QMP socket did not appear")
            time.sleep(0.02)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.qmp_path))
            reader = sock.makefile("rb")
            json.loads(reader.readline())  # greeting
            for cmd in ("qmp_capabilities", command):
                sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
                while True:
                    msg = json.loads(reader.readline())
                    if "return" in msg:
                        break
                    if "error" in msg:
                        raise DeviceError(f"QEMU QMP {cmd} failed: {msg['error'].get('desc')}")
            return msg

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def exit_reason(self, wait: float = 0.0) -> str | None:
        """Why QEMU ended ('exited with signal 9 (SIGKILL)'), or None while it runs.

        `wait`: a QEMU whose pty just closed may not be reaped yet. QEMU catches SIGTERM,
        SIGINT and SIGHUP and exits 0 after printing "terminating on signal N"; that line
        is what names the signal then.
        """
        from hilbench.devices.recovery import describe_returncode, wait_returncode

        proc = self._proc
        if proc is None:
            return None
        code = wait_returncode(proc.poll, wait)
        if code is None:
            return None
        if self._exit_stderr is None:
            try:
                self._exit_stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            except (OSError, ValueError):
                self._exit_stderr = ""
        m = re.search(r"terminating on signal (\d+)", self._exit_stderr)
        if m:
            return f"exited with {describe_returncode(-int(m.group(1)))}"
        lines = [ln.strip() for ln in self._exit_stderr.splitlines() if ln.strip()]
        return f"exited with {describe_returncode(code)}" + (f": {lines[-1]}" if lines and code > 0 else "")

    def stopped(self) -> bool:
        """True while QEMU is stopped by a signal (SIGSTOP, SIGTSTP; /proc state T)."""
        from hilbench.devices.recovery import process_state

        return self.running and self.pid is not None and process_state(self.pid) in ("T", "t")

    def close(self) -> None:
        """Kill QEMU's whole process group and reap it; safe to call twice."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self._tmp.cleanup()

    def __enter__(self) -> QemuProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
