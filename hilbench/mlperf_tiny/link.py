"""Host end of the MLPerf Tiny / EEMBC DUT protocol (docs/architecture.md §6; docs/mlperf-tiny.md).

The second link driver beside `session.DutLink`: it drives boards that run MLPerf Tiny
submission firmware as they are (no reflash), and hilbench firmware in its MLPerf Tiny
mode. The protocol is ASCII: a command ends with `%`, every DUT line ends `\\r\\n`, info
lines start `m-`, errors `e-[...]`, and every command ends with a line `m-ready`.

Where this driver does better than the official runner (and why):
- hex chunks as large as the DUT's command buffer allows (`chunk_bytes`; hilbench
  firmware announces its buffer with `m-hilbench-line-max-[N]` in `profile%`), default the
  official 31 bytes;
- an `e-[...]` during `db load` (a corrupted or dropped byte on the line) is answered by
  loading the input again, not by aborting; with `verify=True` the input is also read
  back with `db print%` and compared, which catches a corruption that is still valid hex;
- timeouts scale with the number of inferences asked for (`infer N W`), from the DUT's
  own latency once one inference has been timed;
- the DUT's 32-bit microsecond timer may wrap between `m-lap-us-T0` and `T1`
  (`hilbench.results.stats.elapsed_ticks`).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hilbench.errors import HilbenchError, LinkError
from hilbench.link.transport import Transport
from hilbench.results.stats import elapsed_ticks

OFFICIAL_CHUNK_BYTES = 31  # bytes per `db` line the official runner sends
OFFICIAL_LINE_MAX = 80  # the reference firmware's command buffer (characters)
MAX_INPUT_BYTES = 96 * 96 * 3  # the largest `db load N` the protocol defines
DEFAULT_WARMUP = 10  # what the firmware does when `infer N` has no W

_NON_PRINTABLE = re.compile(rb"[^\x20-\x7e]")
_BRACKET = re.compile(r"\[(.*)\]")
_HEX_PAIR = re.compile(r"[0-9a-fA-F]{2}")


class MlperfTinyError(HilbenchError):
    """The DUT answered a command with `e-[...]`; `message` is the text in brackets."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(f"MLPerf Tiny DUT refused `{command}%`: {message}")
        self.command = command
        self.message = message


class DutRestarted(LinkError):
    """The DUT rebooted (boot banner or BOOT frame) while a command was in flight."""


@dataclass(frozen=True)
class Identity:
    """What `name%` and `profile%` say about the DUT."""

    name: str  # m-name-dut-[...]
    profile: str  # m-profile-[...]
    model_id: str | None  # m-model-[kws01|vww01|ic01|ad01|strww01]
    line_max: int | None  # hilbench firmware: m-hilbench-line-max-[N]; None for others

    @property
    def is_hilbench(self) -> bool:
        return self.line_max is not None


@dataclass(frozen=True)
class InferResult:
    """One `infer N W%`: the DUT's two lap timestamps and its printed results."""

    count: int
    warmup: int
    t0_us: int  # raw 32-bit timer readings, as printed
    t1_us: int
    results: tuple[float, ...]  # m-results-[...], as printed (dequantized, 3 decimals)
    results_text: str  # the text between the brackets, verbatim
    results_lines: int = 1  # m-results lines in the answer (the official runner's total_inferences)

    @property
    def elapsed_us(self) -> int:
        """T1 - T0 on the DUT's 32-bit µs timer, one wrap allowed."""
        return int(elapsed_ticks(self.t0_us, self.t1_us, bits=32))

    @property
    def latency_us(self) -> float:
        return self.elapsed_us / self.count


@dataclass
class MlperfStats:
    """Counters tests and benchmarks read to prove the driver's behaviour."""

    commands: int = 0
    db_lines: int = 0
    reloads: int = 0  # inputs loaded again after an e-[...] or a failed read-back
    reruns: int = 0  # load + infer run again after an e-[...] or a lost answer to `infer`
    restarts: int = 0  # DUT reboots (boot banner or BOOT frame) seen during a load + infer
    dut_errors: list[str] = field(default_factory=list)


class MlperfTinyLink:
    """One MLPerf Tiny DUT over a Transport (serial port, QEMU pty, subprocess)."""

    def __init__(
        self,
        transport: Transport,
        *,
        chunk_bytes: int | None = None,
        timeout_s: float = 5.0,
        retries: int = 3,
        verify: bool | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.transport = transport
        self.chunk_bytes = chunk_bytes  # None: 31, or what a hilbench DUT's line buffer allows
        self.timeout_s = timeout_s
        self.retries = retries
        self.verify = verify  # None: read back with `db print%` on hilbench firmware only
        self.log = log
        self.identity: Identity | None = None
        self.stats = MlperfStats()
        self._buf = b""
        self._s_per_inference = 2.0  # host seconds per inference, refined after each infer

    # ------------------------------------------------------------------ lines and commands

    def _line(self, deadline: float) -> str | None:
        """The next DUT line (without CR/LF), or None at the deadline.

        A 0x00 byte is the end of a binary frame: a hilbench DUT in auto mode sends its
        BOOT frame when it (re)starts, before it hears a text command; seeing one raises
        DutRestarted (the DUT lost its input and whatever command was in flight).
        """
        while True:
            if b"\x00" in self._buf:
                self._buf = self._buf[self._buf.rindex(b"\x00") + 1 :]
                raise DutRestarted(
                    f"{self.transport.name}: the DUT restarted (a hilbench BOOT frame arrived)"
                )
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw, self._buf = self._buf[:nl], self._buf[nl + 1 :]
                text = _NON_PRINTABLE.split(raw.rstrip(b"\r"))[-1].decode("ascii")
                if self.log:
                    self.log(f"< {text}")
                if text:
                    return text
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._buf += self.transport.read(min(left, 0.5))

    def _send(self, command: str) -> None:
        if self.log:
            self.log(f"> {command}%")
        self.stats.commands += 1
        self.transport.write(command.encode("ascii") + b"%")

    def command(self, command: str, timeout_s: float | None = None) -> list[str]:
        """Send `command%`, return the DUT's lines up to (not including) `m-ready`.

        An `e-[...]` line raises MlperfTinyError once `m-ready` has arrived (the DUT is
        then ready for the next command); no `m-ready` in time raises LinkError.
        """
        self._send(command)
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        lines: list[str] = []
        error: str | None = None
        while True:
            line = self._line(deadline)
            if line is None:
                got = f"; last line: {lines[-1]!r}" if lines else "; no answer at all"
                raise LinkError(
                    f"{self.transport.name}: no m-ready after `{command}%` within "
                    f"{self.timeout_s if timeout_s is None else timeout_s:.1f} s{got}"
                )
            if line == "m-init-done":  # MLPerf Tiny firmware's boot banner: it restarted
                raise DutRestarted(
                    f"{self.transport.name}: the DUT restarted during `{command}%` (m-init-done)"
                )
            if line == "m-ready":
                break
            if line.startswith("e-") and error is None:
                m = _BRACKET.search(line)
                error = m.group(1) if m else line[2:]
                self.stats.dut_errors.append(error)
            lines.append(line)
        if error is not None:
            raise MlperfTinyError(command, error)
        return lines

    def sync(self, deadline_s: float = 15.0) -> None:
        """Wait until the DUT answers a command: after boot, or after a lost answer."""
        end = time.monotonic() + deadline_s
        last: Exception | None = None
        self._drain(0.05)  # a boot banner or BOOT frame already on the line
        while time.monotonic() < end:
            try:
                self.command("name", timeout_s=min(2.0, max(0.1, end - time.monotonic())))
                self._drain(0.05)
                return
            except (LinkError, MlperfTinyError) as exc:
                last = exc
                self._drain(0.2)
        raise LinkError(
            f"{self.transport.name}: no MLPerf Tiny DUT answers `name%` within {deadline_s:.0f} s"
            + (f" ({last})" if last else "")
        )

    def _drain(self, quiet_s: float) -> None:
        """Drop whatever is in flight until the line has been quiet for quiet_s."""
        self._buf = b""
        while self.transport.read(quiet_s):
            pass

    # ------------------------------------------------------------------ identification

    def identify(self) -> Identity:
        """`name%` and `profile%`: the DUT's name, its model id and (hilbench) line buffer."""
        name = _bracket(self.command("name"), "m-name-dut-")
        lines = self.command("profile")
        profile = _bracket(lines, "m-profile-")
        model = _bracket(lines, "m-model-")
        line_max = _bracket(lines, "m-hilbench-line-max-")
        self.identity = Identity(
            name or "", profile or "", model, int(line_max) if line_max and line_max.isdigit() else None
        )
        return self.identity

    def effective_chunk(self) -> int:
        """Bytes per `db` line: as configured, else the most a hilbench DUT's buffer
        holds (`db ` + 2 hex digits per byte + `%`), else the official 31."""
        if self.chunk_bytes is not None:
            return self.chunk_bytes
        if self.identity is not None and self.identity.line_max:
            return max(1, min(2048, (self.identity.line_max - 4) // 2))
        return OFFICIAL_CHUNK_BYTES

    # ------------------------------------------------------------------ input and inference

    def load(self, data: bytes) -> None:
        """`db load N%` + hex lines; loaded again (up to `retries` times) after an
        `e-[...]` or, when verifying, a read-back that differs."""
        if not 1 <= len(data) <= MAX_INPUT_BYTES:
            raise HilbenchError(
                f"MLPerf Tiny input of {len(data)} bytes: the protocol takes 1..{MAX_INPUT_BYTES}"
            )
        verify = self.verify if self.verify is not None else bool(self.identity and self.identity.is_hilbench)
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.reloads += 1
            try:
                self._load_once(data)
                if not verify:
                    return
                back = self.read_buffer(len(data))
                if back == data:
                    return
                bad = next(
                    (i for i, (a, b) in enumerate(zip(back, data)) if a != b), min(len(back), len(data))
                )
                last = f"read-back differs at byte {bad} (sent {len(data)} bytes, read {len(back)})"
            except MlperfTinyError as exc:
                last = exc.message
                self._drain(0.2)  # e.g. the rest of a line cut short, answered separately
        raise LinkError(
            f"{self.transport.name}: input of {len(data)} bytes not loaded after "
            f"{self.retries + 1} attempts; last: {last}"
        )

    def _load_once(self, data: bytes) -> None:
        lines = self.command(f"db load {len(data)}")
        if not any(f"Expecting {len(data)} bytes" in ln for ln in lines):
            raise MlperfTinyError(f"db load {len(data)}", f"unexpected answer {lines!r}")
        chunk = self.effective_chunk()
        done = False
        for off in range(0, len(data), chunk):
            lines = self.command("db " + data[off : off + chunk].hex())
            self.stats.db_lines += 1
            done = any(ln.startswith("m-load-done") for ln in lines)
        if not done:
            raise MlperfTinyError("db", "the DUT did not say m-load-done after the last byte")

    def read_buffer(self, n: int) -> bytes:
        """`db print%`: the DUT's input buffer as hex (`m-buffer-` lines), first n bytes."""
        lines = self.command("db print", timeout_s=self.timeout_s + n / 2000.0)
        pairs: list[str] = []
        for ln in lines:
            if ln.startswith("m-buffer-"):
                pairs += _HEX_PAIR.findall(ln[len("m-buffer-") :].replace("0x", ""))
        return bytes.fromhex("".join(pairs[:n]))

    def infer(self, count: int, warmup: int | None = None) -> InferResult:
        """`infer N W%`: W warm-up then N timed inferences; T0/T1 from the DUT's timer."""
        if count < 1:
            raise ValueError("infer needs at least one inference")
        w = DEFAULT_WARMUP if warmup is None else warmup
        cmd = f"infer {count} {w}" if warmup is not None else f"infer {count}"
        timeout = self.timeout_s + (count + w) * self._s_per_inference * 3.0
        start = time.monotonic()
        lines = self.command(cmd, timeout_s=timeout)
        took = time.monotonic() - start
        laps = [ln for ln in lines if ln.startswith("m-lap-us-")]
        results = [ln for ln in lines if ln.startswith("m-results-")]
        if len(laps) < 2 or not results:
            raise MlperfTinyError(cmd, f"expected two m-lap-us lines and m-results, got {lines!r}")
        t0, t1 = (_lap(laps[-2]), _lap(laps[-1]))
        text = _bracket(results[-1:], "m-results-") or ""
        values = _floats(text, cmd)
        self._s_per_inference = max(0.001, min(60.0, took / (count + w)))
        return InferResult(count, w, t0, t1, values, text, len(results))

    def results(self) -> tuple[float, ...]:
        """`results%`: the last results line again."""
        lines = self.command("results")
        text = _bracket([ln for ln in lines if ln.startswith("m-results-")], "m-results-")
        if text is None:
            raise MlperfTinyError("results", f"no m-results line in {lines!r}")
        return _floats(text, "results")

    def timestamp(self) -> int:
        """`timestamp%` in performance mode: the DUT timer now, in µs (32-bit)."""
        laps = [ln for ln in self.command("timestamp") if ln.startswith("m-lap-us-")]
        if not laps:
            raise MlperfTinyError("timestamp", "no m-lap-us line")
        return _lap(laps[-1])

    def close(self) -> None:
        self.transport.close()


def _bracket(lines: list[str], prefix: str) -> str | None:
    """The text in [...] of the first line starting with prefix."""
    for ln in lines:
        if ln.startswith(prefix):
            rest = ln[len(prefix) :]
            m = _BRACKET.search(rest)
            return m.group(1) if m else rest
    return None


def _lap(line: str) -> int:
    value = line[len("m-lap-us-") :].strip()
    if not value.isdigit():
        raise MlperfTinyError("infer", f"unreadable timer line {line!r}")
    return int(value) & 0xFFFF_FFFF


def _floats(text: str, cmd: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise MlperfTinyError(cmd, f"unreadable results [{text}]") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise MlperfTinyError(cmd, f"unreadable results [{text}]")
    return values
