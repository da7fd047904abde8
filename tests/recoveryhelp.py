"""Fault injection for the recovery tests: real signals to the real DUT process or QEMU.

The DUT processes are found as children of the process that runs the benchmark (this
test process for in-process runs, the `hilbench` CLI for subprocess runs) in /proc, so
no hook in hilbench is needed to kill them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from hilbench.results.events import EVENT_SCHEMA, EventLog

DUT_NAMES = ("qemu-system-", "hilbench-dut")


def dut_children(ppid: int) -> list[int]:
    """Live (not zombie) child processes of ppid that are a DUT: QEMU or the host firmware."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            exe = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 1 :].split()
        if int(rest[1]) == ppid and rest[0] != "Z" and any(n in Path(exe).name for n in DUT_NAMES):
            found.append(int(entry))
    return found


HANG = 0  # DutKiller(sig=HANG): pause QEMU's guest CPU over QMP (the process runs on; the firmware hangs)


def qmp_stop(pid: int) -> None:
    """QMP `stop` to the QEMU with that pid (its -qmp unix: socket from its command line):
    the emulator process keeps running and answers nothing, as a hung firmware would."""
    import json
    import socket

    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    spec = next(a.decode() for a in argv if a.startswith(b"unix:"))
    path = spec.removeprefix("unix:").split(",")[0]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        reader = sock.makefile("rb")
        reader.readline()
        for cmd in ("qmp_capabilities", "stop"):
            sock.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
            while "return" not in json.loads(reader.readline()):
                pass


class DutKiller:
    """A progress callback that signals the DUT once `at` samples are done (after a seeded
    sub-millisecond-to-millisecond delay, so the signal lands anywhere in the next exchange).

    With `every_start`, it then keeps killing every DUT process that appears (a board whose
    emulator dies each time it starts) until `stop()`.
    """

    def __init__(
        self,
        at: int,
        sig: int = signal.SIGKILL,
        seed: int = 1,
        every_start: bool = False,
        ppid: int | None = None,
    ) -> None:
        self.at, self.sig, self.every_start = at, sig, every_start
        self.rng = random.Random(seed)
        self.ppid = ppid or os.getpid()
        self.killed: list[int] = []
        self._stop = threading.Event()
        self._fired = False

    def __call__(self, done: int, total: int) -> None:
        if self._fired or done < self.at:
            return
        self._fired = True
        threading.Timer(self.rng.uniform(0.0, 0.004), self._first).start()

    def _first(self) -> None:
        self._signal_all()
        if self.every_start:
            threading.Thread(target=self._keep_killing, daemon=True).start()

    def _signal_all(self) -> None:
        for pid in dut_children(self.ppid):
            if pid in self.killed and self.sig == signal.SIGKILL:
                continue
            try:
                if self.sig == HANG:
                    qmp_stop(pid)
                else:
                    os.kill(pid, self.sig)
                self.killed.append(pid)
            except ProcessLookupError:
                pass

    def _keep_killing(self) -> None:
        while not self._stop.is_set():
            for pid in dut_children(self.ppid):
                if pid not in self.killed:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append(pid)
                    except ProcessLookupError:
                        pass
            time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()


def run_with_events(
    jobs: list[Any], results_dir: Path, monkeypatch: Any, progress: Any = None
) -> tuple[Any, list[dict]]:
    """run_jobs with an EventLog on the recovering device; the events of the run as rows.

    Reads the run's events.parquet when the runner writes one (the results store does once
    it records events), else the log attached here.
    """
    import pyarrow.parquet as pq

    from hilbench.devices import recovery
    from hilbench.runner import bench

    log = EventLog("test")

    def wrap(device: Any) -> Any:
        wrapped = recovery.with_recovery(device)
        wrapped.events = log
        return wrapped

    monkeypatch.setattr(bench, "with_recovery", wrap)
    result = bench.run_jobs(jobs, results_dir, progress=progress)
    stored = result.run_dir / "events.parquet"
    if stored.is_file():
        rows = pq.read_table(stored).to_pylist()
    else:
        rows = [{k: r.get(k) for k in EVENT_SCHEMA.names} for r in log.rows()]
    return result, rows


def measured(rows: list[dict]) -> list[tuple[str, int, str]]:
    """(sample_id, iteration, output_sha256) of the per-vector rows, in plan order."""
    return [
        (r["sample_id"], r["iteration"], r["output_sha256"])
        for r in rows
        if r["phase"] == "measure" and r["window"] is None
    ]


def kill_dut_mid_run(
    proc: subprocess.Popen[str], after_s: float, start_within_s: float = 60.0, poll_s: float = 0.01
) -> tuple[str, str]:
    """Wait for `proc` (a `hilbench run`) to start its DUT, SIGKILL the DUT `after_s` later,
    and return the run's (stdout, stderr); the run is killed if it is still there."""
    try:
        end = time.monotonic() + start_within_s
        while not dut_children(proc.pid):
            assert proc.poll() is None and time.monotonic() < end, proc.communicate()
            time.sleep(poll_s)
        time.sleep(after_s)
        for pid in dut_children(proc.pid):
            os.kill(pid, signal.SIGKILL)
        return proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
