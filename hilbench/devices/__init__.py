"""Device families behind one interface (docs/architecture.md §2): open / describe / load model /
run vectors / close. `make_device` picks the family from the board's `kind`."""

from __future__ import annotations

from hilbench.config import BoardConfig
from hilbench.devices.base import Device, DeviceInfo, Sample, Timing
from hilbench.errors import NotImplementedFeature


def make_device(board: BoardConfig, *, build: bool = True, sanitize: bool = False) -> Device:
    """A closed device session for board; call open() (or use `with`).

    `build`: build the firmware if needed (emulated and native boards); `sanitize`: the
    native firmware built with ASan/UBSan (native boards only)."""
    if board.kind == "emulated":
        from hilbench.devices.emulated import EmulatedDevice

        return EmulatedDevice(board, build=build)
    if board.kind == "native":
        from hilbench.devices.native import NativeDevice

        return NativeDevice(board, sanitize=sanitize, build=build)
    if board.kind == "mcu":
        from hilbench.devices.mcu import McuDevice

        return McuDevice(board)
    raise NotImplementedFeature(
        f"board '{board.name}': device kind '{board.kind}' is not implemented yet (LiteRT/Coral and "
        "remote SSH devices arrive with later issues)"
    )


__all__ = ["Device", "DeviceInfo", "Sample", "Timing", "make_device"]
