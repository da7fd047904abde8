"""What a faulty line does to a byte stream, decided byte by byte from a seed.

Every byte of a direction's stream consumes the same four random numbers whatever the
chunks it arrived in, so one seed gives the same faults at the same byte positions on
every run: a failure seen once can be replayed. Faults, per direction:

- corrupt: one bit of the byte flipped (which bit comes from the same draw);
- drop: the byte is not delivered;
- dup: the byte is delivered twice;
- delay: the stream stalls for `delay_ms` before this byte (order is kept: a UART that
  stalls, not a network that reorders);
- disconnect_every: after every N bytes of this direction the line is cut for
  `disconnect_ms`: everything sent either way meanwhile is lost, then it carries again.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from enum import Enum

import numpy as np

from hilbench.errors import ConfigError


class Direction(str, Enum):
    """Which way bytes travel: each way has its own rates, random stream and counters."""

    TO_BOARD = "to_board"
    TO_HOST = "to_host"


@dataclass(frozen=True)
class FaultSpec:
    """Rates for one direction (probabilities per byte; 0 = never)."""

    corrupt: float = 0.0
    drop: float = 0.0
    dup: float = 0.0
    delay: float = 0.0
    delay_ms: float = 0.0
    disconnect_every: int = 0  # bytes; 0 = never
    disconnect_ms: float = 200.0

    def __post_init__(self) -> None:
        # Checked here, not only in the CLI: a rate of 1.5 or NaN would silently mean
        # "always" or "never", and a test that thinks it injects faults must not pass clean.
        for name in ("corrupt", "drop", "dup", "delay"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ConfigError(f"--{name}: fault rate must be a number between 0 and 1, not {v!r}")
        if self.corrupt + self.drop + self.dup > 1.0:
            raise ConfigError(
                f"--corrupt + --drop + --dup: the rates add up to more than 1 "
                f"({self.corrupt} + {self.drop} + {self.dup})"
            )
        for name in ("delay_ms", "disconnect_ms"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ConfigError(
                    f"--{name.replace('_', '-')}: must be a number of milliseconds >= 0, not {v!r}"
                )
        every = self.disconnect_every
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ConfigError(f"--disconnect-every: must be a whole number of bytes >= 0, not {every!r}")

    @property
    def clean(self) -> bool:
        """True when this direction relays every byte as it came (no fault configured)."""
        return not (
            self.corrupt or self.drop or self.dup or (self.delay and self.delay_ms) or self.disconnect_every
        )


@dataclass
class FaultCounters:
    """What was injected into one direction (the proxy prints these)."""

    bytes_in: int = 0
    bytes_out: int = 0
    corrupted: int = 0
    dropped: int = 0
    duplicated: int = 0
    delays: int = 0
    disconnects: int = 0
    lost_disconnected: int = 0  # bytes that arrived while the line was cut

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Stream:
    spec: FaultSpec
    rng: np.random.Generator
    counters: FaultCounters = field(default_factory=FaultCounters)
    release_at: float = 0.0  # a stall holds everything until then
    since_disconnect: int = 0


class FaultInjector:
    """Both directions of one line. Thread-safe: the proxy feeds each direction from its
    own thread, and a cut line affects both.

    Each direction has its own random stream (spawned from `seed`), so the faults of one
    direction do not move when the other direction carries more or fewer bytes."""

    def __init__(self, to_board: FaultSpec, to_host: FaultSpec, seed: int = 0) -> None:
        seeds = np.random.SeedSequence(seed).spawn(2)
        self._streams = {
            Direction.TO_BOARD: _Stream(to_board, np.random.default_rng(seeds[0])),
            Direction.TO_HOST: _Stream(to_host, np.random.default_rng(seeds[1])),
        }
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.seed = seed

    def counters(self, direction: Direction) -> FaultCounters:
        """The live counters of one direction (read them after the relay has stopped)."""
        return self._streams[direction].counters

    def summary(self) -> dict[str, dict[str, int]]:
        """All counters, by direction name, for printing or JSON."""
        with self._lock:
            return {d.value: s.counters.as_dict() for d, s in self._streams.items()}

    def process(self, direction: Direction, data: bytes, now: float) -> list[tuple[float, bytes]]:
        """The bytes to deliver for data that arrived at `now`, as (deliver at, bytes)
        segments in order (more than one only when a stall starts inside data)."""
        with self._lock:
            return self._process(self._streams[direction], data, now)

    def _process(self, st: _Stream, data: bytes, now: float) -> list[tuple[float, bytes]]:
        n = len(data)
        st.counters.bytes_in += n
        if n == 0:
            return []
        spec = st.spec
        draws = st.rng.random((n, 4))  # same draws per byte, however the stream is chunked
        out: list[tuple[float, bytes]] = []
        seg = bytearray()
        start = max(st.release_at, now)
        for i, byte in enumerate(data):
            if now < self._down_until:
                st.counters.lost_disconnected += 1
                continue
            if spec.disconnect_every:
                st.since_disconnect += 1
                if st.since_disconnect >= spec.disconnect_every:
                    st.since_disconnect = 0
                    st.counters.disconnects += 1
                    self._down_until = now + spec.disconnect_ms / 1000.0
            u_fault, u_delay = draws[i, 0], draws[i, 1]
            if spec.delay and spec.delay_ms and u_delay < spec.delay:
                if seg:
                    out.append((start, bytes(seg)))
                    seg = bytearray()
                st.counters.delays += 1
                start = max(start, now) + spec.delay_ms / 1000.0
            if u_fault < spec.corrupt:
                bit = min(7, int(u_fault / spec.corrupt * 8))
                seg.append(byte ^ (1 << bit))
                st.counters.corrupted += 1
            elif u_fault < spec.corrupt + spec.drop:
                st.counters.dropped += 1
            elif u_fault < spec.corrupt + spec.drop + spec.dup:
                seg += bytes((byte, byte))
                st.counters.duplicated += 1
            else:
                seg.append(byte)
        if seg:
            out.append((start, bytes(seg)))
        st.release_at = start
        st.counters.bytes_out += sum(len(b) for _, b in out)
        return out


def parse_rate(value: str, option: str) -> tuple[float, float]:
    """`R` (both directions) or `TO_BOARD,TO_HOST`, e.g. `0.01` or `0.01,0`: one option
    per fault kind keeps the command line short, the pair form makes one direction clean."""
    parts = value.split(",")
    try:
        if len(parts) in (1, 2):
            rates = [float(p) for p in parts]
            if all(math.isfinite(r) and 0.0 <= r <= 1.0 for r in rates):
                return (rates[0], rates[-1])
    except ValueError:
        pass
    raise ConfigError(
        f"{option} '{value}': expected a rate between 0 and 1, or a TO_BOARD,TO_HOST pair of rates"
    )


def parse_count(value: str, option: str) -> tuple[int, int]:
    """`N` or `TO_BOARD,TO_HOST` whole numbers >= 0 (for --disconnect-every)."""
    parts = value.split(",")
    if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
        counts = [int(p) for p in parts]
        return (counts[0], counts[-1])
    raise ConfigError(
        f"{option} '{value}': expected a whole number of bytes >= 0, or a TO_BOARD,TO_HOST pair"
    )
