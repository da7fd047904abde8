"""esptool: ESP32-family boards through the ROM serial bootloader, with esptool's Python
API (`esptool.cmds`), so hilbench drives the same code `esptool write_flash` runs.

No stub: the ROM loader alone writes and hashes flash (FLASH_BEGIN/DATA/END, SPI_FLASH_MD5),
which keeps the path identical on every chip revision and is what tests/esp_rom_double.py
models. Skip-if-same is SPI_FLASH_MD5 of the target region against the image's MD5 (what
`esptool write_flash --skip-flashed` does); verify after writing is the same hash, done by
esptool's write_flash. Ports: a device path or a pyserial URL (`rfc2217://host:port`,
`socket://host:port`; esptool cannot toggle reset lines over a socket, so the chip must
already be in download mode there).

The timeout is real: the esptool session runs in a worker thread; at `timeout_s` the
serial port is closed under it, which ends any read esptool is blocked in.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hilbench.config.flash import FlashConfig
from hilbench.errors import ToolMissingError
from hilbench.flash.base import FlashError, FlashResult, Stopwatch, one_line

T = TypeVar("T")
EXTRA_HINT = "install it with `pip install hilbench[boards]` (or `pip install esptool`)"
DEFAULT_ADDRESS = 0x0  # ESP32-C3 and later: the bootloader / direct-boot image offset


def _esptool() -> Any:
    try:
        import esptool
        import esptool.cmds
    except ImportError:
        raise ToolMissingError(f'flasher "esptool" needs the esptool Python package: {EXTRA_HINT}') from None
    return esptool


def _padded(data: bytes) -> bytes:
    """The bytes esptool writes: the image padded with 0xFF to a multiple of 4."""
    return data + b"\xff" * (-len(data) % 4)


def _collector() -> Any:
    """An esptool logger (a TemplateLogger, as esptool's `log.set_logger` requires) that
    keeps esptool's lines, so a failure can quote esptool's own warnings and nothing is
    printed over hilbench's output. Built on first use: esptool is an optional extra."""
    from esptool.logger import TemplateLogger

    class Collector(TemplateLogger):
        def __init__(self) -> None:
            self.lines: list[str] = []

        def print(self, *args: object, **kwargs: object) -> None:
            text = " ".join(str(a) for a in args).strip()
            if text:
                self.lines.append(text)

        def note(self, message: str) -> None:
            self.lines.append(f"NOTE: {message}")

        def warning(self, message: str) -> None:
            self.lines.append(f"WARNING: {message}")

        def error(self, message: str) -> None:
            self.lines.append(f"ERROR: {message}")

        def stage(self, finish: bool = False) -> None:
            pass

        def progress_bar(self, *args: object, **kwargs: object) -> None:
            pass

        def set_verbosity(self, verbosity: str) -> None:
            pass

    return Collector()


class EsptoolFlasher:
    tool = "esptool"

    def __init__(self, board: str, port: str, options: FlashConfig | None = None) -> None:
        self.board = board
        self.port = port
        self.options = options or FlashConfig()
        self.timeout_s = self.options.timeout_s
        self.log: list[str] = []  # esptool's output of the last session

    def _fail(self, message: str) -> FlashError:
        return FlashError(f"board '{self.board}': esptool on {self.port}: {one_line(message)}")

    def _read(self, image: Path) -> bytes:
        try:
            data = image.read_bytes()
        except OSError as exc:
            raise FlashError(f"board '{self.board}': cannot read image {image}: {exc.strerror}") from None
        if data[:4] == b"\x7fELF":
            raise FlashError(
                f"board '{self.board}': {image} is an ELF file; esptool writes binary images "
                f"(make one with `esptool --chip {self.options.chip or 'esp32c3'} elf2image {image}`)"
            )
        if not data:
            raise FlashError(f"board '{self.board}': image {image} is empty")
        return data

    def _session(self, work: Callable[[Any], T]) -> T:
        """Connect to the ROM loader, run `work(esp)`, leave as `after` says; all within the timeout."""
        esptool = _esptool()
        import serial
        from esptool.logger import EspLog, log

        opts = self.options
        result: dict[str, Any] = {}
        collector = _collector()
        try:
            ser = serial.serial_for_url(self.port, exclusive=True, do_not_open=True)
            ser.open()
        except (serial.SerialException, ValueError) as exc:
            raise self._fail(f"cannot open the port: {exc}") from None

        def run() -> None:
            try:
                baud = esptool.loader.ESPLoader.ESP_ROM_BAUD
                before = opts.before or "default-reset"
                if opts.chip:
                    esp = esptool.targets.CHIP_DEFS[opts.chip](ser, baud)
                    esp.connect(before)
                else:
                    esp = esptool.cmds.detect_chip(
                        ser, baud, connect_mode=before
                    )  # a Serial works as the port
                if opts.baud and opts.baud != baud:
                    esp.change_baud(opts.baud)
                esptool.cmds.attach_flash(esp)
                result["value"] = work(esp)
                esptool.cmds.reset_chip(esp, opts.after or "hard-reset")
            except BaseException as exc:
                result["error"] = exc

        old_logger = EspLog.instance
        log.set_logger(collector)
        worker = threading.Thread(target=run, name=f"esptool-{self.board}", daemon=True)
        try:
            worker.start()
            worker.join(self.timeout_s)
            if worker.is_alive():
                ser.close()  # ends the read esptool is blocked in
                worker.join(5)
                raise self._fail(
                    f"no result within the timeout ({self.timeout_s:g} s)"
                    + (f"; last: {collector.lines[-1]}" if collector.lines else "")
                )
        finally:
            EspLog.instance = old_logger
            self.log = collector.lines
            if ser.is_open:
                ser.close()
        error = result.get("error")
        if error is not None:
            if isinstance(error, esptool.util.FatalError | OSError | serial.SerialException):
                first = str(error).strip().splitlines()
                raise self._fail(first[0] if first else type(error).__name__) from None
            raise error
        return result["value"]

    @staticmethod
    def _same(esp: Any, address: int, data: bytes) -> bool:
        return bool(esp.flash_md5sum(address, len(data)) == hashlib.md5(data).hexdigest())

    def matches(self, image: Path, address: int | None = None) -> bool | None:
        data = _padded(self._read(image))
        where = self._address(address)
        return self._session(lambda esp: self._same(esp, where, data))

    def _address(self, address: int | None) -> int:
        if address is not None:
            return address
        return self.options.address if self.options.address is not None else DEFAULT_ADDRESS

    def flash(self, image: Path, address: int | None = None, force: bool = False) -> FlashResult:
        raw = self._read(image)
        data = _padded(raw)
        where = self._address(address)
        clock = Stopwatch()

        def work(esp: Any) -> bool:
            if not force and self._same(esp, where, data):
                return True
            # No stub, no compression: the ROM's own FLASH_DATA path. write_flash then hashes
            # the region with SPI_FLASH_MD5 and raises FatalError on a mismatch (its verify).
            _esptool().cmds.write_flash(
                esp, [(where, raw)], no_compress=True, no_progress=True, flash_size="keep", force=force
            )
            return False

        skipped = self._session(work)
        return FlashResult(self.board, self.tool, image, where, skipped, True, clock.seconds)
