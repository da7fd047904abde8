"""The USB ids hilbench recognises, and what each one most likely is on a TinyML bench.

A VID:PID names the USB chip, not always the board: a CP210x or CH340 bridge sits on ESP32
dev kits and on many other things, and an ST-Link V2-1 is on every Nucleo. So every entry
says how sure it is (`note`) and, where a boards.toml entry can be suggested, which
hilbench board it assumes (`board`, `core`, `clock_hz`), so the user checks one line
instead of looking the chip up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# board: a dev board whose USB port is this device; bridge: a USB-UART chip (the board
# behind it is a guess); probe: a debug probe (the target behind it is not known);
# accelerator: an inference accelerator (not a serial device).
Category = Literal["board", "bridge", "probe", "accelerator"]


@dataclass(frozen=True)
class KnownDevice:
    """One row of the table; `pid` None matches every product of the vendor."""

    vid: int
    pid: int | None
    name: str
    category: Category
    note: str = ""
    board: str | None = None  # suggested [boards.<name>] key; None: no boards.toml entry
    core: str | None = None
    clock_hz: int | None = None
    flasher: str | None = None  # the flasher this board will use once flashing lands
    toml_comment: str = ""  # written above the entry (what the user must check)

    @property
    def vid_pid(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}" if self.pid is not None else f"{self.vid:04x}:*"


_NANO_LINK = (
    "the hilbench nano33ble firmware talks on UARTE0 (header pins) through a USB-UART "
    "adapter: set `port` to that adapter; this USB port is the board's own (bootloader, bossac)"
)
_NUCLEO = (
    "an ST-Link is on every Nucleo board: nucleo-l4r5zi (the MLPerf Tiny reference) is assumed; "
    "change core/clock_hz for another Nucleo. The ST-Link virtual COM port is the board's UART"
)
_ESP32_BRIDGE = (
    "a USB-UART bridge: probably an ESP32 dev board (UART0), but this chip is on other boards "
    "too; generic ESP32 (xtensa-lx6, 240 MHz) assumed"
)

KNOWN_DEVICES: tuple[KnownDevice, ...] = (
    KnownDevice(
        0x2341,
        0x805A,
        "Arduino Nano 33 BLE / BLE Sense",
        "board",
        board="nano33ble",
        core="cortex-m4f",
        clock_hz=64_000_000,
        flasher="bossac",
        toml_comment=_NANO_LINK,
    ),
    KnownDevice(
        0x2341,
        0x005A,
        "Arduino Nano 33 BLE / BLE Sense",
        "board",
        note="in bootloader mode (reset double-tapped, or a flash in progress): the port changes "
        "when the sketch runs",
        board="nano33ble",
        core="cortex-m4f",
        clock_hz=64_000_000,
        flasher="bossac",
        toml_comment="found in bootloader mode: its port (by-id) differs once the sketch runs; "
        "serial_number stays. " + _NANO_LINK,
    ),
    KnownDevice(
        0x10C4,
        0xEA60,
        "Silicon Labs CP210x USB-UART bridge",
        "bridge",
        note="probably an ESP32 board (USB-UART bridge)",
        board="esp32",
        core="xtensa-lx6",
        clock_hz=240_000_000,
        flasher="esptool",
        toml_comment=_ESP32_BRIDGE,
    ),
    KnownDevice(
        0x1A86,
        0x7523,
        "WCH CH340 USB-UART bridge",
        "bridge",
        note="probably an ESP32 board (USB-UART bridge)",
        board="esp32",
        core="xtensa-lx6",
        clock_hz=240_000_000,
        flasher="esptool",
        toml_comment=_ESP32_BRIDGE + ". A CH340 has no USB serial number: two of them are told "
        "apart only by the USB socket (/dev/serial/by-path)",
    ),
    KnownDevice(
        0x303A,
        0x1001,
        "Espressif ESP32-C3/S3 USB-Serial/JTAG",
        "board",
        note="the chip's own USB: ESP32-C3 or -S3 (also C6/H2); `esptool chip_id` tells which",
        board="esp32c3",
        core="rv32imc",
        clock_hz=160_000_000,
        flasher="esptool",
        toml_comment="303a:1001 is the USB-Serial/JTAG of ESP32-C3, -S3 (xtensa-lx7, 240 MHz), -C6 "
        "and -H2: esp32c3 assumed. The hilbench esp32c3 port talks on UART0: on a "
        "board without a USB-UART bridge, wire UART0 to an adapter and set `port` to it",
    ),
    KnownDevice(
        0x0483,
        0x374B,
        "ST-Link/V2-1 (Nucleo board)",
        "board",
        note="the ST-Link virtual COM port is the board's UART",
        board="nucleo-l4r5zi",
        core="cortex-m4f",
        clock_hz=120_000_000,
        flasher="openocd",
        toml_comment=_NUCLEO,
    ),
    KnownDevice(
        0x0483,
        0x374E,
        "STLINK-V3E (Nucleo board)",
        "board",
        note="the ST-Link virtual COM port is the board's UART",
        board="nucleo-l4r5zi",
        core="cortex-m4f",
        clock_hz=120_000_000,
        flasher="openocd",
        toml_comment=_NUCLEO,
    ),
    KnownDevice(
        0x0483,
        0x374F,
        "STLINK-V3 (Nucleo board, or a STLINK-V3SET probe)",
        "board",
        note="the ST-Link virtual COM port is the board's UART",
        board="nucleo-l4r5zi",
        core="cortex-m4f",
        clock_hz=120_000_000,
        flasher="openocd",
        toml_comment=_NUCLEO + ". 374f is also the standalone STLINK-V3SET probe",
    ),
    KnownDevice(
        0x1366, None, "SEGGER J-Link", "probe", note="a debug probe: the board it is wired to is not known"
    ),
    KnownDevice(
        0x1A6E,
        0x089A,
        "Coral USB Accelerator",
        "accelerator",
        note="unprogrammed: the Edge TPU runtime loads its firmware (it then shows as 18d1:9302)",
    ),
    KnownDevice(0x18D1, 0x9302, "Coral USB Accelerator", "accelerator", note="firmware loaded"),
)


def match(vid: int | None, pid: int | None) -> KnownDevice | None:
    """The table row for a VID:PID: an exact product first, then a vendor-wide row."""
    if vid is None:
        return None
    for dev in KNOWN_DEVICES:
        if dev.vid == vid and dev.pid is not None and dev.pid == pid:
            return dev
    for dev in KNOWN_DEVICES:
        if dev.vid == vid and dev.pid is None:
            return dev
    return None
