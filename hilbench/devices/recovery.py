"""Recovery of a DUT that stops answering or whose emulator dies (docs/design-notes.md, "Recovery").

A long benchmark must survive what benches do: QEMU killed by the OOM killer or a stray
`kill`, a board that hangs, a USB serial adapter that blinks. `RecoveringDevice` wraps one
device session and, when a call fails with a DeviceError (LinkError included):

1. names the cause from the device's own state (QEMU's exit signal, a stopped process,
   a silent board) instead of what pyserial said (`failure_cause`);
2. resets the DUT the board's way (`restart_dut`: QEMU or the host process started again,
   a DTR/RTS pulse on a real board) and puts the model back (`reload_model`);
3. retries the call that failed. A row is only written when a call returns, so the vector
   whose inference was cut is run again and no sample is lost or duplicated.

A board that fails `max_restarts + 1` times in a row (no call succeeding in between) is
quarantined: QuarantineError, an infrastructure error, and the runner skips its remaining
jobs. `max_restarts = 0` turns recovery off: the first failure ends the job with its cause.
Every restart, reset, quarantine and the link's retransmissions go into the run's events
(`device.events`, an EventLog, set by the runner per job with `device.event_job`).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from hilbench.devices.base import Device
from hilbench.errors import DeviceError, NotImplementedFeature

T = TypeVar("T")

DEFAULT_MAX_RESTARTS = 3
log = logging.getLogger(__name__)


class QuarantineError(DeviceError):
    """A board failed too many times in a row; it runs no more jobs in this run."""


# ---------------------------------------------------------------- process state, for messages


def describe_returncode(code: int) -> str:
    """'signal 9 (SIGKILL)' for a Popen returncode of -9, 'exit code 1' otherwise."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"signal {-code} ({name})"
    return f"exit code {code}"


def process_state(pid: int) -> str | None:
    """The state letter of a live process from /proc/<pid>/stat (R, S, T, t, Z, ...), or None.

    A SIGSTOPped emulator keeps its pty open and simply never answers; only its state in
    /proc tells a stopped QEMU ('T') from a busy or hung one.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) S ...": comm may contain spaces and parentheses; the state follows the last ')'.
    rest = stat[stat.rfind(")") + 1 :].split()
    return rest[0] if rest else None


def wait_returncode(poll: Callable[[], int | None], seconds: float = 1.0) -> int | None:
    """A process whose pipes just broke may not be reaped yet: poll it for a moment."""
    end = time.monotonic() + seconds
    while True:
        code = poll()
        if code is not None or time.monotonic() >= end:
            return code
        time.sleep(0.02)


def link_silence_s(link: Any) -> float:
    """How long a DutLink waits with no answer before it gives up (DutLink.silence_limit_s)."""
    if link is None:
        return 0.0
    limit = getattr(link, "silence_limit_s", None)
    return float(limit) if limit is not None else float(link.timeout) * (int(link.retries) + 1)


def link_symptom(exc: Exception) -> str:
    """What a link failure looked like from the host: 'silent' (no answer in time), 'port'
    (the byte pipe broke: pty closed, process pipe closed, adapter gone), 'boot' (the DUT
    said BOOT mid-session) or 'other'. Read from hilbench.link's own messages."""
    text = str(exc)
    if "no answer to" in text or "no HELLO answer" in text:
        return "silent"
    if "BOOT event" in text:
        return "boot"
    if any(
        k in text
        for k in (
            "read failed",
            "write failed",
            "DUT process exited",
            "closed its output",
            "cannot open serial port",
            "stopped before it ran",
            "QMP",
        )
    ):
        return "port"
    return "other"


def pulse_reset(transport: Any, line: str, seconds: float = 0.1) -> None:
    """Pulse DTR or RTS on a pyserial port: the reset wiring of many dev boards (ESP32,
    Arduino, STM32 Nucleo with the jumper). Asserted, held, released, then a moment to boot."""
    port = getattr(transport, "_port", None)
    if port is None or not hasattr(port, line):
        raise DeviceError(
            f"{getattr(transport, 'name', 'the link')}: cannot pulse {line.upper()}: "
            'not a serial port (reset = "dtr"/"rts" needs a pyserial port)'
        )
    try:
        setattr(port, line, True)
        time.sleep(seconds)
        setattr(port, line, False)
    except (OSError, ValueError) as exc:
        raise DeviceError(f"{transport.name}: {line.upper()} reset pulse failed: {exc}") from None
    time.sleep(seconds)


# ---------------------------------------------------------------- the wrapper


class RecoveringDevice(Device):
    """A device session that resets its DUT and retries when the DUT fails (see module doc).

    Everything not overridden here is the wrapped device's (`name`, `board`, `link`, ...).
    """

    def __init__(self, device: Any, max_restarts: int | None = None) -> None:
        self.__dict__["inner"] = device
        self.name: str = device.name
        board = device.board
        self.max_restarts = int(
            max_restarts if max_restarts is not None else getattr(board, "max_restarts", DEFAULT_MAX_RESTARTS)
        )
        self._events: Any = None  # an EventLog, set by the runner before each job
        self._event_job: str | None = None
        self.failures = 0  # consecutive failures, reset by any call that succeeds
        self.restarts = 0  # restarts and resets over the whole session
        self._model: tuple[bytes, str] | None = None
        self._position = 0  # run() calls that returned since the model was loaded
        self._retransmits_seen = 0
        self._frames_seen = 0
        self._quarantined: str | None = None

    @property
    def events(self) -> Any:
        """The run's EventLog; the wrapped device gets it too (it records its own events,
        e.g. a real board's `flash`)."""
        return self._events

    @events.setter
    def events(self, log: Any) -> None:
        self._events = log
        if hasattr(self.inner, "events"):
            self.inner.events = log

    @property
    def event_job(self) -> str | None:
        """The job events are recorded under; setting the next job first records the
        previous job's retransmissions under the previous job."""
        return self._event_job

    @event_job.setter
    def event_job(self, job_id: str | None) -> None:
        if job_id != self._event_job:
            self.flush_link_events()
        self._event_job = job_id
        if hasattr(self.inner, "event_job"):
            self.inner.event_job = job_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["inner"], name)

    # ------------------------------------------------------------ the device interface

    def open(self) -> Any:
        try:
            info = self.inner.open()
        except DeviceError as exc:
            raise self._named(exc) from None
        self._retransmits_seen = self._frames_seen = 0
        self._wire_link()
        return info

    def describe(self) -> Any:
        return self.inner.describe()

    def load_model(self, model: bytes, source: str = "model") -> Any:
        self._model = (model, source)
        self._position = 0
        return self._call(lambda: self.inner.load_model(model, source=source), position=None, reloads=True)

    def run(self, vector: bytes) -> Any:
        sample = self._call(lambda: self.inner.run(vector), position=self._position)
        self._position += 1
        return sample

    def run_many(self, vector: bytes, count: int) -> list[int]:
        return self._call(lambda: self.inner.run_many(vector, count), position=None)

    def profile(self, vector: bytes) -> list[int] | None:
        return self._call(lambda: self.inner.profile(vector), position=None)

    def close(self) -> None:
        try:
            self.flush_link_events()
        finally:
            self.inner.close()

    def __enter__(self) -> RecoveringDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ events

    def flush_link_events(self) -> None:
        """One "retransmit" event with the retransmissions since the last flush, if any,
        naming the rate and the link's sizes; and the link's open adaptation episode.

        The runner calls this at the end of each job; recovery calls it before the link
        is replaced (a new link starts its counters at zero).
        """
        link = getattr(self.inner, "link", None)
        if link is None:
            return
        self._wire_link()
        if hasattr(link, "flush_events"):
            link.flush_events()
        stats = link.stats
        count = stats.retransmits - self._retransmits_seen
        frames = getattr(stats, "frames", 0) - self._frames_seen
        self._retransmits_seen, self._frames_seen = stats.retransmits, getattr(stats, "frames", 0)
        if count > 0:
            port = self.inner.transport.name if self.inner.transport else "the link"
            rate = f" ({100 * count / frames:.2f} % of {frames} frames)" if frames > 0 else ""
            tail = f"; link: {stats.losses()}" if hasattr(stats, "losses") else ""
            self._event("retransmit", f"{count} frame(s) sent again on {port}{rate}{tail}", count=count)

    def _wire_link(self) -> None:
        """Have the link report its adaptations (link_adapt) into the run's events."""
        link = getattr(self.inner, "link", None)
        if link is not None and hasattr(link, "on_event") and link.on_event is None:
            link.on_event = lambda kind, detail, count: self._event(kind, detail, count=count)

    def _event(self, kind: str, detail: str, **fields: Any) -> None:
        if self.events is not None:
            self.events.add(kind, detail, job_id=self.event_job, board=self.inner.name, **fields)

    # ------------------------------------------------------------ recovery

    def _named(self, exc: DeviceError) -> DeviceError:
        """The same failure, its message naming what happened to the DUT."""
        if isinstance(exc, QuarantineError):
            return exc
        cause = self.inner.failure_cause(exc)
        return exc if cause == str(exc) else type(exc)(cause)

    def _call(self, fn: Callable[[], T], position: int | None, reloads: bool = False) -> T:
        """fn(), recovering and retrying until it returns; `reloads`: fn is the model
        upload, which recovery itself redoes, so its answer is fn's."""
        if self._quarantined is not None:
            raise QuarantineError(self._quarantined)
        while True:
            try:
                result = fn()
            except QuarantineError:
                raise
            except DeviceError as exc:
                reloaded = self._recover(self.inner.failure_cause(exc), position, exc)
                if reloads and reloaded is not None:
                    self.failures = 0
                    return reloaded
                continue
            self.failures = 0
            return result

    def _recover(self, cause: str, position: int | None, exc: DeviceError) -> Any:
        """Reset the DUT until it is back with its model (returns the reloaded ModelDesc,
        None without a model), or quarantine the board."""
        while True:
            self.failures += 1
            if self.max_restarts <= 0:
                raise type(exc)(cause) from None
            if self.failures > self.max_restarts:
                msg = f"board '{self.inner.name}' quarantined after {self.failures} consecutive failures: {cause}"
                self._quarantined = msg
                self._event("quarantine", cause, sample_index=position, count=self.failures)
                raise QuarantineError(msg) from None
            self.flush_link_events()
            self._retransmits_seen = self._frames_seen = 0
            kind = "reset" if self.inner.device_kind == "mcu" else "restart"
            self.restarts += 1
            self._event(kind, cause, sample_index=position, count=self.failures)
            # Said where the user looks too (the CLI's stderr: logging's last-resort handler),
            # so a run that survived a fault never reads like a quiet one.
            log.warning(
                "hilbench: warning: %s: %s the board (%d of at most %d in a row)",
                cause,
                "resetting" if kind == "reset" else "restarting",
                self.failures,
                self.max_restarts,
            )
            try:
                self.inner.restart_dut(cause)
                self._retransmits_seen = self._frames_seen = 0
                self._wire_link()
                desc = self.inner.load_model(*self._model) if self._model is not None else None
                return desc
            except NotImplementedFeature:
                raise
            except DeviceError as again:
                cause = self.inner.failure_cause(again)
                exc = again


def with_recovery(device: Any, max_restarts: int | None = None) -> Any:
    """The device wrapped for recovery, if its family supports it (hilbench protocol)."""
    if not hasattr(device, "restart_dut") or isinstance(device, RecoveringDevice):
        return device
    return RecoveringDevice(device, max_restarts)


def override_max_restarts(jobs: Iterable[Any], max_restarts: int | None) -> list[Any]:
    """Jobs with every board's `max_restarts` replaced (the `hilbench run --max-restarts` flag)."""
    if max_restarts is None:
        return list(jobs)
    return [replace(j, board=j.board.model_copy(update={"max_restarts": max_restarts})) for j in jobs]
