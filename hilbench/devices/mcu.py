"""A microcontroller running hilbench firmware, reached over a byte link.

This is the device family real boards and emulated boards share: everything from HELLO
on is identical. Subclasses only decide how the firmware gets running and what carries
the bytes (`_start`), and what the ticks mean (`_timing`).
"""

from __future__ import annotations

from fractions import Fraction

from hilbench.config import BoardConfig
from hilbench.devices.base import (
    DeviceInfo,
    LayerInspection,
    RestartableDevice,
    Sample,
    Timing,
    qemu_icount_timing,
)
from hilbench.devices.recovery import link_silence_s, link_symptom, pulse_reset
from hilbench.errors import ModelError, NotImplementedFeature
from hilbench.flash.partition import fits, partition_image
from hilbench.link.messages import CAP_FLASH_MODEL, Hello, ModelDesc, Status
from hilbench.link.session import DutError, DutLink
from hilbench.link.transport import SerialTransport, Transport


class McuDevice(RestartableDevice, LayerInspection):
    """hilbench firmware over a serial link. Real-board flashing is not implemented yet: a
    kind = "mcu" board must already run the firmware on its `port`."""

    device_kind = "mcu"

    def __init__(self, board: BoardConfig) -> None:
        self.board = board
        self.name = board.name
        self.link: DutLink | None = None
        self.transport: Transport | None = None
        self.model: ModelDesc | None = None
        self.firmware_sha256: str | None = None
        self._info: DeviceInfo | None = None
        self.events = None  # the run's EventLog (hilbench.results.events), set by the runner per job
        self.event_job: str | None = None
        self._served: dict | None = None  # what `hilbench serve` says is behind `port`, if anything

    # Subclasses override these two.
    def _start(self) -> Transport:
        """The board's hilbench firmware running on `port` (a serial device, `hilbench
        serve`'s or `hilbench proxy`'s pty, a socket:// URL). With a `flasher` the firmware
        is written first, unless the board already holds that image (`_flash_firmware`);
        without one (or `flasher = "none"`) it is taken to be running already."""
        assert self.board.port is not None  # boards.toml validation requires it for kind "mcu"
        if self.board.flasher not in (None, "none"):
            self._flash_firmware()
        from hilbench.devices.served import lookup

        transport = SerialTransport(self.board.port, baudrate=self.board.baudrate)
        self._served = lookup(self.board.port)  # `hilbench serve` behind the port? (devices/served.py)
        if self._served is not None and self._served.get("firmware_sha256"):
            self.firmware_sha256 = str(self._served["firmware_sha256"])
        return transport

    def _flash_firmware(self) -> None:
        """`hilbench run` flashes when needed: the board's image (its `image`, or its
        `firmware` target built) goes on with its flasher, which skips the write when the
        board already holds those bytes (docs/flashing.md). The runner holds the board's
        lock already, so this does not take it again (as `hilbench flash` does)."""
        from hilbench.flash.select import board_image, make_flasher

        result = make_flasher(self.board).flash(board_image(self.board))
        if self.events is not None:
            self.events.add("flash", result.summary(), job_id=self.event_job, board=self.name)

    def _timing(self, timer_hz: int, timer_kind: str) -> Timing:
        """The firmware's own timer (HELLO's timer_kind) at the board's clock_hz, unless the
        port leads to a QEMU that `hilbench serve` runs: then ticks are instruction counts,
        timed as EmulatedDevice times them (hilbench/devices/served.py says why)."""
        served = self._served
        if served is not None and served.get("emulated"):
            return qemu_icount_timing(
                timer_hz,
                int(served.get("icount_shift", 0)),
                int(served.get("clock_hz") or self.board.clock_hz),
            )
        clock = self.board.clock_hz
        return Timing(
            source=timer_kind,
            cycles_per_tick=Fraction(clock, timer_hz),
            us_per_tick=Fraction(1_000_000, timer_hz),
        )

    def _stop(self) -> None:
        """Release whatever _start acquired besides the transport."""

    def _connect_timeout(self) -> float:
        return 15.0

    def open(self) -> DeviceInfo:
        try:
            self.transport = self._start()
            self.link = DutLink(self.transport)
            hello = self.link.connect(deadline_s=self._connect_timeout())
        except BaseException:
            self.close()
            raise
        self._info = DeviceInfo(
            board=self.board.name,
            board_serial=self.board.serial_number,
            device_kind=self.device_kind,
            core=hello.core or self.board.core,
            clock_hz=self.board.clock_hz,
            firmware_name=hello.firmware_name,
            firmware_version=f"{hello.firmware_version}+{hello.git_hash}",
            firmware_sha256=self.firmware_sha256,
            runtime="hilbench-rt",
            timing=self._timing(hello.timer_hz, hello.timer_kind),
        )
        return self._info

    def describe(self) -> DeviceInfo:
        if self._info is None:
            raise RuntimeError("device not open")
        return self._info

    def load_model(self, model: bytes, source: str = "model") -> ModelDesc:
        """Upload the model into RAM, or have it written to the flash model partition when
        it does not fit (or the board says model_store = "flash")."""
        assert self.link is not None and self.link.hello is not None
        hello = self.link.hello
        try:
            if self._use_flash(model, hello, source):
                self._write_model_partition(partition_image(model), hello.flash_model_addr)
                assert self.link is not None
                self.model = self.link.load_flash_model(model)
            else:
                self.model = self.link.load_model(model)
        except DutError as exc:
            d = exc.detail
            if d.status in (Status.MODEL_TOO_LARGE, Status.ARENA_TOO_SMALL):
                raise ModelError(f"{source}: does not fit board '{self.name}': {d.describe()}") from None
            raise ModelError(f"{source}: refused by the DUT on '{self.name}': {d.describe()}") from None
        return self.model

    def _use_flash(self, model: bytes, hello: Hello, source: str) -> bool:
        store = self.board.model_store
        has_flash = hello.has(CAP_FLASH_MODEL) and hello.flash_model_capacity > 0
        if store == "ram" or (
            store == "auto" and (len(model) <= hello.model_capacity_bytes or not has_flash)
        ):
            return False
        if not has_flash:
            raise ModelError(
                f"{source}: board '{self.name}' has no flash model partition (model_store = \"flash\")"
            )
        if not fits(model, hello.flash_model_capacity):
            raise ModelError(
                f"{source}: {len(model):,} bytes fit neither board '{self.name}' RAM "
                f"({hello.model_capacity_bytes:,} B) nor its flash model partition ({hello.flash_model_capacity:,} B)"
            )
        return True

    def _write_model_partition(self, image: bytes, address: int) -> None:
        """Put image at address in the DUT's flash and bring the DUT back up."""
        raise NotImplementedFeature(
            f"board '{self.name}': writing the flash model partition of a real board (pyocd, esptool, bossac) "
            "is not implemented yet"
        )

    def run(self, vector: bytes) -> Sample:
        assert self.link is not None and self.model is not None
        ticks = self.link.run_once(vector)
        out = self.model.outputs[0]
        return Sample(ticks=ticks, output=self.link.get_output(out.nbytes))

    def run_many(self, vector: bytes, count: int) -> list[int]:
        """count timed inferences of one vector (performance windows); ticks each."""
        assert self.link is not None and self.model is not None
        self.link.set_input(vector)
        return self.link.invoke(count=count)

    def profile(self, vector: bytes) -> list[int] | None:
        """Per-operator ticks for one inference of vector, or None if the DUT cannot."""
        assert self.link is not None and self.link.hello is not None
        from hilbench.link.messages import CAP_PROFILE

        if not self.link.hello.has(CAP_PROFILE):
            return None
        self.link.set_input(vector)
        return self.link.profile()

    # ------------------------------------------------------------ recovery (hilbench.devices.recovery)

    def set_input(self, vector: bytes) -> None:
        assert self.link is not None and self.model is not None
        self.link.set_input(vector)

    def tensor(self, index: int, run_until: int) -> tuple[object, bytes]:
        assert self.link is not None and self.model is not None
        return self.link.tensor(index, run_until=run_until)

    def failure_cause(self, exc: Exception) -> str:
        """One line naming what happened to the DUT when a call failed with exc.

        Real board: a silent board or a lost port; subclasses add their process state.
        Never pyserial's wording: the user acts on the board, not on a file descriptor.
        """
        symptom = link_symptom(exc)
        port = self.board.port or (self.transport.name if self.transport else "?")
        if symptom == "silent":
            return (
                f"no answer from board '{self.name}' within {link_silence_s(self.link):.0f} s (port {port})"
            )
        if symptom == "port":
            return (
                f"lost the serial port {port} of board '{self.name}' (unplugged, or reset by someone else?)"
            )
        if symptom == "boot":
            return f"board '{self.name}' reset itself during the session (BOOT event: watchdog, brown-out?)"
        text = str(exc)
        return text if self.name in text else f"board '{self.name}': {text}"

    def restart_dut(self, cause: str) -> None:
        """Reset a real board the way boards.toml says (`reset`), reopen its port and say
        HELLO again; the caller puts the model back."""
        mode = self.board.reset or "none"  # "dtr" | "rts" | "none" (config/boards.py ResetKind)
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.transport = self._start()
        if mode in ("dtr", "rts"):
            pulse_reset(self.transport, mode)
        self._reconnect()

    def _reconnect(self) -> None:
        """A fresh link on self.transport, up to HELLO (a restarted DUT starts at seq 0)."""
        assert self.transport is not None
        self.link = DutLink(self.transport)
        self.link.connect(deadline_s=self._connect_timeout())

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self._stop()

    def __enter__(self) -> McuDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
