"""The one small interface every device family implements (docs/architecture.md §2).

open / describe / load model / run vectors / close. A device returns raw measurements
(ticks, output bytes) together with a `Timing` that says what the ticks are; the runner
never guesses a unit.

Families say which protocol they implement by naming it as a base class (`class
McuDevice(RestartableDevice, LayerInspection)`), so mypy checks the signatures and a
reader sees the seam; callers use only these methods, never a family's `link`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol, Self, runtime_checkable

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


def qemu_icount_timing(timer_hz: int, icount_shift: int, clock_hz: int) -> Timing:
    """Ticks of a timer under `-icount shift=N`: 2**N ns of virtual time per instruction,
    so a tick is a whole number of instructions; µs are "at the nominal clock_hz"."""
    ns_per_insn = 1 << icount_shift
    insns_per_tick = Fraction(1_000_000_000, timer_hz * ns_per_insn)
    return Timing(
        source="qemu_icount",
        cycles_per_tick=insns_per_tick,
        us_per_tick=insns_per_tick * Fraction(1_000_000, clock_hz),
        emulated=True,
    )


@dataclass(frozen=True)
class DeviceInfo:
    """Identity columns of the results schema (docs/architecture.md §4)."""

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

    def run(self, vector: bytes) -> Sample:
        """One timed inference of one vector: its ticks and its raw output bytes."""
        ...

    def run_many(self, vector: bytes, count: int) -> list[int]:
        """count timed inferences of one vector (performance windows): ticks each."""
        ...

    def profile(self, vector: bytes) -> list[int] | None:
        """Ticks per operator for one inference, or None when the firmware cannot say."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class RestartableDevice(Device, Protocol):
    """A device whose DUT can fail and be brought back (devices/recovery.py wraps these)."""

    def failure_cause(self, exc: Exception) -> str:
        """One line naming the board and what went wrong, from a link or device error."""
        ...

    def restart_dut(self, cause: str) -> None:
        """Reset or restart the DUT and say HELLO again; the caller reloads the model."""
        ...


@runtime_checkable
class LayerInspection(Protocol):
    """A device that can stop after an operator and return a tensor (per-layer fidelity,
    `hilbench verify`): set the input once, then read any tensor after any operator."""

    def set_input(self, vector: bytes) -> None: ...

    def tensor(self, index: int, run_until: int) -> tuple[object, bytes]:
        """(tensor description, raw bytes) of tensor `index` after operator `run_until`."""
        ...
