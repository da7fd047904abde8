"""bossac: boards with a SAM-BA bootloader on USB CDC (Arduino Nano 33 BLE / BLE Sense,
MKR and Nano 33 IoT boards), with the `bossac` program.

The bootloader is entered with the 1200-baud touch (open the port at 1200 baud and close
it: the sketch's USB stack resets into the bootloader), as the Arduino IDE does; the
arguments are the Arduino cores' upload pattern (`-d --port=P -U -i -e -w IMAGE -R`), plus
`-v` to verify after writing and `--offset` when `address` is set. Skip-if-same is
bossac's own verify-only run (`-v` without `-e -w`), a read-back by the bootloader.

Debian's `bossa-cli` (BOSSA 1.9.1) knows the SAM D/E/S chips; the nRF52840 of the Nano 33
BLE needs Arduino's BOSSA fork (github.com/arduino/BOSSA, shipped with the Arduino mbed
core): point `[flash] binary` at it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hilbench.config.flash import FlashConfig
from hilbench.flash.base import (
    FlashError,
    FlashResult,
    Stopwatch,
    ToolRun,
    find_tool,
    run_tool,
)

BOOTLOADER_WAIT_S = 5.0  # the bootloader's CDC port appears within ~1 s of the touch


def touch_1200(port: str) -> None:
    """Open `port` at 1200 baud with DTR dropped, and close it: the Arduino "reset into
    bootloader" signal. Ports that have no modem lines (a pty) just see the baud rate."""
    import serial

    try:
        ser = serial.Serial()
        ser.port, ser.baudrate = port, 1200
        ser.open()
    except (serial.SerialException, ValueError) as exc:
        raise FlashError(f"1200-baud touch: cannot open {port}: {exc}") from None
    try:
        ser.dtr = False
    except (OSError, serial.SerialException):
        pass  # no modem-control lines (pty); the baud rate alone is the signal
    ser.close()


class BossacFlasher:
    tool = "bossac"

    def __init__(self, board: str, port: str, options: FlashConfig | None = None) -> None:
        self.board = board
        self.port = port
        self.options = options or FlashConfig()
        self.timeout_s = self.options.timeout_s
        self.runs: list[ToolRun] = []  # every bossac run of this flasher, argv and output

    @property
    def bootloader_port(self) -> str:
        return self.options.bootloader_port or self.port

    def argv(self, image: Path, address: int | None = None, write: bool = True) -> list[str]:
        """bossac's arguments: write (erase, write, verify, reset) or verify-only (and reset)."""
        exe = find_tool(self.options.binary or "bossac", "bossa-cli")
        argv = [exe, "-d", f"--port={self.bootloader_port}", "-U", "-i"]
        where = address if address is not None else self.options.address
        if where is not None:
            argv.append(f"--offset={where:#x}")
        if write:
            argv += ["-e", "-w"]
        if self.options.verify or not write:
            argv.append("-v")
        return argv + [str(image), "-R"]

    def _enter_bootloader(self) -> None:
        if self.options.touch_1200 is False:
            return
        touch_1200(self.port)
        end = time.monotonic() + BOOTLOADER_WAIT_S
        while not os.path.exists(self.bootloader_port):
            if time.monotonic() > end:
                raise FlashError(
                    f"board '{self.board}': bossac: no bootloader port {self.bootloader_port} "
                    f"within {BOOTLOADER_WAIT_S:g} s of the 1200-baud touch on {self.port}"
                )
            time.sleep(0.1)

    def _run(self, argv: list[str]) -> ToolRun:
        run = run_tool(argv, self.timeout_s)
        self.runs.append(run)
        return run

    def _fail(self, run: ToolRun) -> FlashError:
        why = run.why(self.timeout_s, ("failed", "no device", "error", "invalid", "exclusive"))
        return FlashError(f"board '{self.board}': bossac on {self.bootloader_port}: {why}")

    def _check_image(self, image: Path) -> None:
        if not image.is_file():
            raise FlashError(f"board '{self.board}': no image file {image}")
        if image.read_bytes()[:4] == b"\x7fELF":
            raise FlashError(
                f"board '{self.board}': {image} is an ELF file; bossac writes binary images "
                f"(make one with `arm-none-eabi-objcopy -O binary {image.name} {image.stem}.bin`)"
            )

    def matches(self, image: Path, address: int | None = None) -> bool | None:
        self._check_image(image)
        self._enter_bootloader()
        run = self._run(self.argv(image, address, write=False))
        if run.returncode == 0 and "Verify successful" in run.output:
            return True
        if run.returncode is not None and "Verify failed" in run.output:
            return False
        raise self._fail(run)

    def flash(self, image: Path, address: int | None = None, force: bool = False) -> FlashResult:
        clock = Stopwatch()
        where = address if address is not None else self.options.address
        if not force and self.matches(image, address):
            return FlashResult(
                self.board, self.tool, image, where, True, True, clock.seconds, self.runs[-1].argv
            )
        self._enter_bootloader()
        run = self._run(self.argv(image, address, write=True))
        if run.returncode != 0 or (self.options.verify and "Verify successful" not in run.output):
            raise self._fail(run)
        return FlashResult(
            self.board, self.tool, image, where, False, self.options.verify, clock.seconds, run.argv
        )
