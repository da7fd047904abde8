"""The one small interface every device family implements (DESIGN.md §2).

open / describe / load model / run vectors / close. A device returns raw measurements
(ticks, output bytes) together with a `Timing` that says what the ticks are; the runner
never guesses a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from hilbench.link.messages import ModelDesc


@dataclass(frozen=True)
class Timing:
    """How to turn a device's ticks into cycles and microseconds, and what to call them.

    `cycles_per_tick` is None when the ticks are not cycles (a host clock).
    `us_per_tick` converts to microseconds; on an emulated board that is "at the board's
    nominal clock" and `emulated` is True so every table can say so.
    """

    source: str  # dwt_cycles | systick | qemu_icount | host_clock | ...
    cycles_per_tick: Fraction | None
    us_per_tick: Fraction
    emulated: bool = False

    def cycles(self, ticks: int) -> int | None:
        if self.cycles_per_tick is None:
            return None
        return int(ticks * self.cycles_per_tick)

    def micros(self, ticks: int) -> float:
        return float(ticks * self.us_per_tick)


@dataclass(frozen=True)
class DeviceInfo:
    """Identity columns of the results schema (DESIGN.md §4)."""

    board: str
    board_serial: str | None
    device_kind: str
    core: str
    clock_hz: int
    firmware_name: str | None
    firmware_version: str | None
    firmware_sha256: str | None
    runtime: str
    timing: Timing


@dataclass(frozen=True)
class Sample:
    """One inference as the device measured it."""

    ticks: int
    output: bytes


class Device(Protocol):
    """A device session. Use as a context manager so close() always runs."""

    name: str

    def open(self) -> DeviceInfo: ...

    def describe(self) -> DeviceInfo: ...

    def load_model(self, model: bytes, source: str = "model") -> ModelDesc: ...

    def run(self, vector: bytes) -> Sample: ...

    def close(self) -> None: ...
