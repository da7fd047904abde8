"""A board whose firmware speaks the MLPerf Tiny protocol (boards.toml `protocol = "mlperf-tiny"`).

Three ways to reach one, the protocol above them identical:
- kind "mcu": a real board already running MLPerf Tiny submission firmware (or hilbench
  firmware), on a serial port or pyserial URL: nothing is flashed;
- kind "emulated": hilbench firmware under QEMU with the board's `model` written to its
  flash model partition by QEMU as flasher (the firmware's MLPerf Tiny mode reads the
  model from there, as MLPerf Tiny firmware has its model built in);
- kind "native": the host build of hilbench firmware, partition image given in
  HIL_FLASH_IMAGE (tests of the protocol under sanitizers, in milliseconds).

Timing: the DUT's own microsecond timer (`m-lap-us-`), never the host's clock. On a real
board its source is `dut_timer_us`. Under QEMU hilbench's firmware counts those
microseconds as instructions at the board's nominal clock (firmware/dut/hil_mlperf.c),
the unit hilbench's own protocol uses for the same board: the source is `qemu_icount`,
rows say `emulated`, and the same model gives the same microseconds in both protocols
(docs/results.md, "One time base per board").
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hilbench.config import BoardConfig
from hilbench.devices.base import DeviceInfo, Timing
from hilbench.errors import DeviceError, LinkError, ModelError
from hilbench.flash.partition import fits, partition_image
from hilbench.link.transport import SerialTransport, Transport
from hilbench.mlperf_tiny.link import (
    DutRestarted,
    Identity,
    InferResult,
    MlperfStats,
    MlperfTinyError,
    MlperfTinyLink,
)

if TYPE_CHECKING:
    from hilbench.devices.emulated import EmulatedDevice

TIMING_SOURCE = "dut_timer_us"
EMULATED_TIMING_SOURCE = "qemu_icount"


class MlperfTinyDut(Protocol):
    """The device seam of MLPerf Tiny mode: a board whose firmware speaks the MLPerf Tiny
    text protocol. Its work is `load` + `infer` (the firmware keeps its own model, and the
    host never reads raw outputs), so it is not `hilbench.devices.base.Device`."""

    name: str

    def open(self) -> DeviceInfo: ...

    def describe(self) -> DeviceInfo: ...

    def load(self, data: bytes) -> None: ...

    def infer(self, count: int, warmup: int | None = None) -> InferResult: ...

    def run(self, data: bytes, count: int = 1, warmup: int | None = 0) -> InferResult: ...

    def close(self) -> None: ...


class MlperfTinyDevice(MlperfTinyDut):
    """Open with `open()` (or `with`); then `load(bytes)` + `infer(n, w)`."""

    def __init__(
        self,
        board: BoardConfig,
        *,
        model: Path | None = None,
        sanitize: bool = False,
        build: bool = True,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.board = board
        self.name = board.name
        self.model_path = model or (Path(board.model) if board.model else None)
        self._sanitize = sanitize
        self._build = build
        self._log = log
        self.link: MlperfTinyLink | None = None
        self.identity: Identity | None = None
        self.firmware_sha256: str | None = None
        self._emulated: EmulatedDevice | None = None  # the EmulatedDevice that owns QEMU
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._info: DeviceInfo | None = None
        self.stats: MlperfStats | None = None  # the link's counters, kept after close()
        self._held: Transport | None = None  # start_board(): the pty kept open, no session on it

    # ------------------------------------------------------------------ start

    def _model_bytes(self) -> bytes:
        if self.model_path is None:
            raise ModelError(f"board '{self.name}': no `model` to write to the flash model partition")
        try:
            return self.model_path.read_bytes()
        except OSError as exc:
            raise ModelError(f"{self.model_path}: cannot read: {exc.strerror}") from None

    def _partition_file(self, model: bytes) -> Path:
        self._tmp = self._tmp or tempfile.TemporaryDirectory(prefix="hilbench-mlperf-")
        part = Path(self._tmp.name) / "model-partition.bin"
        part.write_bytes(partition_image(model))
        return part

    def _start(self) -> Transport:
        b = self.board
        if b.kind == "mcu":
            assert b.port is not None
            return SerialTransport(b.port, baudrate=b.baudrate)
        model = self._model_bytes()
        if b.kind == "native":
            from hilbench.devices.native import NativeDevice

            native = NativeDevice(
                b,
                sanitize=self._sanitize,
                build=self._build,
                env={"HIL_FLASH_IMAGE": str(self._partition_file(model))},
            )
            transport = native._start()
            self.firmware_sha256 = native.firmware_sha256
            return transport
        return self._start_emulated(model)

    def _start_emulated(self, model: bytes) -> Transport:
        """Boot once over hilbench's own protocol to learn where the flash model partition
        is (HELLO), then boot again with the partition written there by QEMU as flasher,
        sending nothing: the first bytes the firmware hears are MLPerf Tiny commands."""
        from hilbench.devices.emulated import EmulatedDevice

        emu = EmulatedDevice(self.board, build=self._build)
        self._emulated = emu
        emu.open()
        assert emu.link is not None and emu.link.hello is not None
        hello = emu.link.hello
        if not hello.flash_model_capacity:
            raise DeviceError(
                f"board '{self.name}': its firmware has no flash model partition for the MLPerf Tiny mode"
            )
        if not fits(model, hello.flash_model_capacity):
            raise ModelError(
                f"{self.model_path}: {len(model):,} bytes do not fit the flash model partition of "
                f"board '{self.name}' ({hello.flash_model_capacity:,} B)"
            )
        transport = emu.restart_with_partition(partition_image(model), hello.flash_model_addr)
        self.firmware_sha256 = emu.firmware_sha256
        return transport

    def start_board(self) -> str:
        """Start an emulated board exactly as open() does (the model written to the flash
        partition, `_start_emulated`) but say nothing on the link: return its pty path for
        another client (`hilbench serve`). The pty stays open here so QEMU never drops
        guest output; close() stops QEMU and removes the temporary files."""
        if self.board.kind != "emulated":
            raise DeviceError(
                f"board '{self.name}' is kind \"{self.board.kind}\": only an emulated board is started"
            )
        try:
            self._held = self._start_emulated(self._model_bytes())
        except BaseException:
            self.close()
            raise
        assert self._emulated is not None and self._emulated.qemu is not None and self._emulated.qemu.pty
        return self._emulated.qemu.pty

    def open(self) -> DeviceInfo:
        try:
            transport = self._start()
            self.link = MlperfTinyLink(
                transport,
                chunk_bytes=self.board.hex_chunk_bytes,
                verify=self.board.verify_load,
                log=self._log,
            )
            self.link.sync(deadline_s=20.0)
            self.identity = self.link.identify()
        except BaseException:
            self.close()
            raise
        ident = self.identity
        self._info = DeviceInfo(
            board=self.board.name,
            board_serial=self.board.serial_number,
            device_kind=self.board.kind,
            core=self.board.core,
            clock_hz=self.board.clock_hz,
            firmware_name=ident.name or None,
            firmware_version=ident.profile or None,
            firmware_sha256=self.firmware_sha256,
            runtime="hilbench-rt" if ident.is_hilbench else "mlperf-tiny-firmware",
            timing=self._timing(ident.is_hilbench),
        )
        return self._info

    def _timing(self, hilbench_firmware: bool) -> Timing:
        """`qemu_icount` for hilbench's firmware under QEMU (one time base per board: a
        microsecond is clock_hz / 1e6 instructions), `dut_timer_us` otherwise."""
        if self.board.kind == "emulated" and hilbench_firmware:
            return Timing(
                source=EMULATED_TIMING_SOURCE,
                cycles_per_tick=Fraction(self.board.clock_hz, 1_000_000),
                us_per_tick=Fraction(1),
                emulated=True,
            )
        return Timing(
            source=TIMING_SOURCE,
            cycles_per_tick=None,
            us_per_tick=Fraction(1),
            emulated=self.board.kind == "emulated",
        )

    def describe(self) -> DeviceInfo:
        if self._info is None:
            raise RuntimeError("device not open")
        return self._info

    @property
    def model_id(self) -> str | None:
        return self.identity.model_id if self.identity else None

    # ------------------------------------------------------------------ work

    def load(self, data: bytes) -> None:
        assert self.link is not None
        self.link.load(data)

    def infer(self, count: int, warmup: int | None = None) -> InferResult:
        assert self.link is not None
        return self.link.infer(count, warmup)

    def run(self, data: bytes, count: int = 1, warmup: int | None = 0) -> InferResult:
        """Load `data` and infer; after an `e-[...]` or a lost answer (no `m-ready` in
        time) the DUT is resynchronised, the input loaded again and the inference run
        once more, where the official runner would abort."""
        assert self.link is not None
        try:
            self.link.load(data)
            return self.link.infer(count, warmup)
        except MlperfTinyError:
            self.link.stats.reruns += 1
        except LinkError as exc:
            self.link.stats.reruns += 1
            if isinstance(exc, DutRestarted):
                self.link.stats.restarts += 1
            self.link.sync(deadline_s=30.0)
        self.link.load(data)
        return self.link.infer(count, warmup)

    def close(self) -> None:
        if self.link is not None:
            self.stats = self.link.stats
            self.link.close()
            self.link = None
        if self._held is not None:
            self._held.close()
            self._held = None
        if self._emulated is not None:
            self._emulated.close()
            self._emulated = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> MlperfTinyDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
